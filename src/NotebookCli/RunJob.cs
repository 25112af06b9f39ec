using System.Diagnostics;
using System.Text.Json.Nodes;
using LibTorchLoader;
using NotebookEngine.Documents;
using NotebookEngine.Hosting;
using NotebookEngine.Running;
using NotebookEngine.Scripting;

namespace NotebookCli;

/// <summary>
/// The run command. This process reads, parameterises and writes the notebooks; their cells run
/// in a cell host process of their own per notebook (as each Jupyter notebook gets its own kernel),
/// so whatever a cell does to its process — a native abort, <c>Environment.Exit</c>, a stack
/// overflow — is reported on that cell, and the executed notebook is still written.
/// </summary>
sealed class RunJob(string outputFolder, TimeSpan? cellTimeout, bool continueOnError)
{
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

    /// <summary>Runs the notebook at <paramref name="path"/>, or each notebook of that folder in name order. Returns the exit code.</summary>
    public async Task<int> RunAllAsync(string path, Dictionary<string, string> values, CancellationToken cancellation)
    {
        var paths = Directory.Exists(path)
            ? Directory.EnumerateFiles(path).Where(f => f.EndsWith(".ipynb", StringComparison.Ordinal) || Notebook.IsDib(f)).Order(StringComparer.Ordinal).ToList()
            : File.Exists(path) ? [path] : [];
        if (paths.Count == 0) throw new UsageException($"no notebook at '{path}'");
        // What each notebook takes: the names of its parameters cell, and the values it asks for as input (#!set … @input:).
        var declared = new Dictionary<string, IReadOnlySet<string>>();
        foreach (var notebook in paths)
        {
            var loaded = Notebook.Load(notebook);
            declared[notebook] = Parameters.Declared(loaded).Select(p => p.Name).Concat(Parameters.Inputs(loaded)).ToHashSet();
        }
        if (values.Keys.FirstOrDefault(name => !declared.Values.Any(d => d.Contains(name))) is { } unknown)
            throw new UsageException($"parameter '{unknown}' is declared by no notebook in '{path}'");

        var total = Stopwatch.StartNew();
        var failed = 0;
        foreach (var notebook in paths)
        {
            // A folder run passes each notebook the parameters it declares.
            var own = values.Where(v => declared[notebook].Contains(v.Key)).ToDictionary();
            if (!await RunOneAsync(notebook, own, cancellation)) failed++;
            if (cancellation.IsCancellationRequested) break;
        }
        Console.WriteLine($"{paths.Count} notebook(s): {paths.Count - failed} ok, {failed} failed, {total.Elapsed.TotalSeconds:0.0} s in all");
        return cancellation.IsCancellationRequested ? 130 : failed == 0 ? 0 : 1;
    }

    async Task<bool> RunOneAsync(string path, Dictionary<string, string> values, CancellationToken cancellation)
    {
        Console.WriteLine($"▶ {path}");
        var clock = Stopwatch.StartNew();
        var saved = OutputPath(path, ".ipynb");
        string? unsaved = null;
        void Save(Notebook notebook, string file, Action<Notebook, string> write)
        {
            try { write(notebook, file); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A full disk, say: the run goes on, and says so where it still can.
                if (unsaved is null) Console.Error.WriteLine($"csnb: cannot write {file}: {e.Message}");
                unsaved = e.Message;
            }
        }
        var options = new RunOptions
        {
            Parameters = values,
            CellTimeout = cellTimeout,
            ContinueOnError = continueOnError,
            CellFinished = (report, notebook) =>
            {
                var status = report.Status == CellStatus.Ok ? "ok" : report.Status.ToString().ToLowerInvariant();
                Console.WriteLine($"  cell {report.Index,3} [{report.ExecutionCount?.ToString() ?? " "}]  {report.Elapsed.TotalSeconds,7:0.00} s  {status}");
                if (report.Status != CellStatus.Ok && LastError(notebook.Cells[report.Index]) is { } error) Console.WriteLine($"    {error}");
                Save(notebook, saved, (n, f) => n.Save(f));
            },
        };
        var prepared = NotebookRunner.Prepare(Notebook.Load(path), options);
        Save(prepared, saved, (n, f) => n.Save(f));

        // glibc reads its malloc settings only at start-up, so the host gets them now (a caller's own value wins).
        using var host = new CellHost(new CellHostOptions
        {
            WorkingDirectory = Path.GetDirectoryName(Path.GetFullPath(path))!, // as under Jupyter, a notebook runs in its own folder
            Environment = NativeAllocator.Environment.Where(v => Environment.GetEnvironmentVariable(v.Key) is null).ToDictionary(),
            Log = line => Console.Error.WriteLine($"  | {line}"),
        });
        var result = await NotebookRunner.RunAsync(prepared, options, host, cancellation);
        if (unsaved is not null) AddSaveError(result.Notebook, unsaved);
        Save(result.Notebook, saved, (n, f) => n.Save(f));
        Save(result.Notebook, OutputPath(path, ".html"), HtmlPage.Save);
        var ok = result.Succeeded && unsaved is null;
        var mark = cancellation.IsCancellationRequested ? "✗ interrupted:" : ok ? "✓" : "✗";
        Console.WriteLine($"{mark} {path}  {result.Cells.Count} cells  {clock.Elapsed.TotalSeconds:0.0} s  → {saved}");
        return ok;
    }

    static string? LastError(Cell cell) =>
        cell.Outputs.OfType<JsonObject>().LastOrDefault(o => (string?)o["output_type"] == "error") is { } error
            ? $"{(string?)error["ename"]}: {(string?)error["evalue"]}" : null;

    /// <summary>A notebook that could not always be saved says so at its top, once it can be.</summary>
    static void AddSaveError(Notebook notebook, string problem)
    {
        var banner = new Cell(new JsonObject { ["cell_type"] = "markdown", ["metadata"] = new JsonObject() })
        {
            Source = $"**csnb could not write this notebook during the run:** {problem}",
        };
        notebook.InsertCell(0, banner);
    }

    string OutputPath(string notebook, string extension) =>
        Path.Combine(outputFolder, Path.GetFileNameWithoutExtension(notebook) + extension);
}

/// <summary>Bad usage or input: csnb prints the message on one line and exits with 2.</summary>
sealed class UsageException(string message) : Exception(message);
