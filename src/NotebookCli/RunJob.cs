using System.Diagnostics;
using System.Text.Json.Nodes;
using LibTorchLoader;
using NotebookEngine.Documents;
using NotebookEngine.Running;
using NotebookEngine.Scripting;

namespace NotebookCli;

/// <summary>
/// The run command. Each notebook runs in a worker process of its own (this program with
/// --in-process), as each Jupyter notebook gets its own kernel: a fresh session every time, and a
/// native crash (TorchSharp aborts the process on some bad inputs) is reported on the cell that
/// caused it instead of taking the whole run down silently.
/// </summary>
sealed class RunJob(string output, double? timeoutSeconds, bool continueOnError)
{
    readonly string outputFolder = Path.GetFullPath(output);

    const string CellMarker = "\u0001cell ";

    /// <summary>name=value pairs, or null (after printing why) if one is malformed.</summary>
    public static Dictionary<string, string>? ParseParameters(IEnumerable<string> items)
    {
        var values = new Dictionary<string, string>();
        foreach (var item in items)
        {
            var at = item.IndexOf('=');
            if (at <= 0)
            {
                Console.Error.WriteLine($"csnb: parameter '{item}' is not name=value");
                return null;
            }
            values[item[..at].Trim()] = item[(at + 1)..];
        }
        return values;
    }

    public async Task<int> RunAllAsync(string path, Dictionary<string, string> values, string[] ownArgs, CancellationToken cancellation)
    {
        var paths = Directory.Exists(path)
            ? Directory.EnumerateFiles(path, "*.ipynb").Order(StringComparer.Ordinal).ToList()
            : File.Exists(path) ? [path] : [];
        if (paths.Count == 0)
        {
            Console.Error.WriteLine($"csnb: no notebook at '{path}'");
            return 2;
        }
        var declared = new Dictionary<string, IReadOnlyList<DeclaredParameter>>();
        foreach (var notebook in paths)
        {
            try { declared[notebook] = Parameters.Declared(Notebook.Load(notebook)); }
            catch (Exception e) when (e is NotebookFormatException or IOException)
            {
                Console.Error.WriteLine($"csnb: {e.Message}");
                return 2;
            }
        }
        if (values.Keys.FirstOrDefault(name => !declared.Values.Any(d => d.Any(p => p.Name == name))) is { } unknown)
        {
            Console.Error.WriteLine($"csnb: parameter '{unknown}' is declared by no notebook in '{path}'");
            return 2;
        }

        var total = Stopwatch.StartNew();
        var failed = 0;
        foreach (var notebook in paths)
        {
            // A folder run passes each notebook the parameters it declares.
            var own = values.Where(v => declared[notebook].Any(p => p.Name == v.Key)).ToDictionary();
            if (await RunWorkerAsync(notebook, own, cancellation) != 0) failed++;
        }
        Console.WriteLine($"{paths.Count} notebook(s): {paths.Count - failed} ok, {failed} failed, {total.Elapsed.TotalSeconds:0.0} s in all");
        return failed == 0 ? 0 : 1;
    }

    async Task<int> RunWorkerAsync(string notebook, Dictionary<string, string> values, CancellationToken cancellation)
    {
        Console.WriteLine($"▶ {notebook}");
        // As under Jupyter, a notebook runs in its own folder, so its relative paths mean the same in both.
        var start = new ProcessStartInfo(Environment.ProcessPath!)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetDirectoryName(Path.GetFullPath(notebook))!,
        };
        // glibc reads its malloc settings only at start-up, so the worker gets them now.
        NativeAllocator.AddTo(start.Environment);
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet") start.ArgumentList.Add(typeof(RunJob).Assembly.Location);
        foreach (var arg in new[] { "run", Path.GetFullPath(notebook), "--in-process", "--output", outputFolder }) start.ArgumentList.Add(arg);
        foreach (var (name, value) in values) { start.ArgumentList.Add("-p"); start.ArgumentList.Add($"{name}={value}"); }
        if (timeoutSeconds is { } seconds) { start.ArgumentList.Add("--timeout"); start.ArgumentList.Add(seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)); }
        if (continueOnError) start.ArgumentList.Add("--continue-on-error");

        var clock = Stopwatch.StartNew();
        using var worker = Process.Start(start)!;
        int? runningCell = null;
        var stderrTail = new Queue<string>();
        var stdout = Task.Run(async () =>
        {
            while (await worker.StandardOutput.ReadLineAsync(cancellation) is { } line)
                if (line.StartsWith(CellMarker, StringComparison.Ordinal)) runningCell = int.Parse(line[CellMarker.Length..]);
                else Console.WriteLine(line);
        }, cancellation);
        var stderr = Task.Run(async () =>
        {
            while (await worker.StandardError.ReadLineAsync(cancellation) is { } line)
            {
                Console.Error.WriteLine(line);
                lock (stderrTail) { stderrTail.Enqueue(line); if (stderrTail.Count > 40) stderrTail.Dequeue(); }
            }
        }, cancellation);
        await worker.WaitForExitAsync(cancellation);
        await Task.WhenAll(stdout, stderr);
        if (worker.ExitCode is 0 or 1 or 2) return worker.ExitCode;

        // The worker died (a native abort, a kill): say so on the cell that was running.
        var died = $"the notebook process died with exit code {worker.ExitCode}{Signal(worker.ExitCode)}" +
                   (runningCell is { } index ? $" while cell {index} ran" : " before its first cell");
        Console.WriteLine($"  ✗ {died}");
        var saved = OutputPath(notebook, ".ipynb");
        if (File.Exists(saved) && runningCell is { } at)
        {
            var partial = Notebook.Load(saved);
            partial.Cells[at].Outputs.Add(new JsonObject
            {
                ["output_type"] = "error",
                ["ename"] = "ProcessDied",
                ["evalue"] = died,
                ["traceback"] = new JsonArray([died, .. stderrTail.Select(l => (JsonNode)l!)]),
            });
            partial.Save(saved);
            HtmlPage.Save(partial, OutputPath(notebook, ".html"));
        }
        Console.WriteLine($"✗ {notebook}  {clock.Elapsed.TotalSeconds:0.0} s  (died)");
        return 1;
    }

    static string Signal(int exitCode) => exitCode switch
    {
        134 => " (SIGABRT: native code aborted; in TorchSharp this is often an invalid shape or argument)",
        137 => " (SIGKILL: killed, perhaps out of memory)",
        139 => " (SIGSEGV: native crash)",
        143 => " (SIGTERM)",
        _ => "",
    };

    public async Task<int> RunHereAsync(string path, Dictionary<string, string> values, CancellationToken cancellation)
    {
        Notebook prepared;
        var options = new RunOptions
        {
            Parameters = values,
            CellTimeout = timeoutSeconds is { } s ? TimeSpan.FromSeconds(s) : null,
            ContinueOnError = continueOnError,
            CellStarting = index => Console.WriteLine($"{CellMarker}{index}"),
            CellFinished = (report, notebook) =>
            {
                Console.WriteLine($"  cell {report.Index,3} [{report.ExecutionCount?.ToString() ?? " "}]  {report.Elapsed.TotalSeconds,7:0.00} s  {(report.Status == CellStatus.Ok ? "ok" : report.Status.ToString().ToLowerInvariant())}");
                notebook.Save(OutputPath(path, ".ipynb"));
            },
        };
        try { prepared = NotebookRunner.Prepare(Notebook.Load(path), options); }
        catch (Exception e) when (e is NotebookFormatException or IOException or ParameterException)
        {
            Console.Error.WriteLine($"csnb: {e.Message}");
            return 2;
        }
        prepared.Save(OutputPath(path, ".ipynb"));
        var clock = Stopwatch.StartNew();
        var result = await NotebookRunner.RunAsync(prepared, options, cancellation);
        result.Notebook.Save(OutputPath(path, ".ipynb"));
        HtmlPage.Save(result.Notebook, OutputPath(path, ".html"));
        var mark = result.Succeeded ? "✓" : "✗";
        Console.WriteLine($"{mark} {path}  {result.Cells.Count} cells  {clock.Elapsed.TotalSeconds:0.0} s  → {OutputPath(path, ".ipynb")}");
        return result.Succeeded ? 0 : 1;
    }

    string OutputPath(string notebook, string extension) =>
        Path.Combine(outputFolder, Path.GetFileNameWithoutExtension(notebook) + extension);
}
