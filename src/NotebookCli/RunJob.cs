using System.Diagnostics;
using LibTorchLoader;
using NotebookEngine.Documents;
using NotebookEngine.Hosting;
using NotebookEngine.Running;
using NotebookEngine.Running.Reports;
using NotebookEngine.Scripting;

namespace NotebookCli;

/// <summary>What a run or test asks for, from the command line.</summary>
sealed record JobSettings
{
    /// <summary>Where executed notebooks and their HTML go; null to write none (a test without -o).</summary>
    public string? OutputFolder { get; init; }
    public TimeSpan? CellTimeout { get; init; }
    public bool ContinueOnError { get; init; }
    /// <summary>The cells' working directory; null for each notebook's own folder.</summary>
    public string? WorkingDirectory { get; init; }
    /// <summary>Inject the parameters and write the notebooks; run nothing.</summary>
    public bool PrepareOnly { get; init; }
    /// <summary>No live progress on stderr.</summary>
    public bool Quiet { get; init; }
    /// <summary>How many notebooks run at once, each in its own cell host.</summary>
    public int Jobs { get; init; } = 1;
    /// <summary>For csnb test: the sanitizers outputs are compared through; null for a run, which compares nothing.</summary>
    public Sanitizers? Check { get; init; }
    /// <summary>nbval's lax mode: compare only cells marked NBVAL_CHECK_OUTPUT.</summary>
    public bool Lax { get; init; }
    /// <summary>Report files to write (.xml: JUnit, .trx: Visual Studio).</summary>
    public IReadOnlyList<string> Reports { get; init; } = [];
}

/// <summary>
/// The run and test commands. This process reads, parameterises and writes the notebooks; their cells
/// run in a cell host process of their own per notebook (as each Jupyter notebook gets its own kernel),
/// so whatever a cell does to its process — a native abort, <c>Environment.Exit</c>, a stack
/// overflow — is reported on that cell, and the executed notebook is still written.
/// </summary>
sealed class RunJob(JobSettings settings)
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

    readonly Lock _console = new();

    /// <summary>
    /// Runs (or tests) the notebook at <paramref name="path"/>, or each notebook of that folder in name
    /// order, <see cref="JobSettings.Jobs"/> at a time. Returns the exit code.
    /// </summary>
    public async Task<int> RunAllAsync(string path, Dictionary<string, string> values, Dictionary<string, string> raw, CancellationToken cancellation)
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
        if (values.Keys.Concat(raw.Keys).FirstOrDefault(name => !declared.Values.Any(d => d.Contains(name))) is { } unknown)
            throw new UsageException($"parameter '{unknown}' is declared by no notebook in '{path}'");
        // A folder run passes each notebook the parameters it declares.
        Dictionary<string, string> Own(Dictionary<string, string> all, string notebook) => all.Where(v => declared[notebook].Contains(v.Key)).ToDictionary();

        var start = DateTimeOffset.UtcNow;
        var total = Stopwatch.StartNew();
        var outcomes = new Outcome?[paths.Count];
        using var gate = new SemaphoreSlim(settings.Jobs);
        await Task.WhenAll(paths.Select(async (notebook, i) =>
        {
            await gate.WaitAsync(CancellationToken.None);
            try
            {
                if (cancellation.IsCancellationRequested) return;
                // One notebook at a time prints as it goes; side by side, each prints its block whole when done.
                var console = settings.Jobs == 1 ? Console.Out : new StringWriter();
                outcomes[i] = settings.PrepareOnly
                    ? Prepare(notebook, Own(values, notebook), Own(raw, notebook), console)
                    : await RunOneAsync(notebook, Own(values, notebook), Own(raw, notebook), console, cancellation);
                if (console is StringWriter buffer) lock (_console) Console.Out.Write(buffer.ToString());
            }
            finally { gate.Release(); }
        }));

        var done = outcomes.OfType<Outcome>().ToList();
        var failed = done.Count(o => !o.Ok);
        if (settings.PrepareOnly)
        {
            Console.WriteLine($"{done.Count} notebook(s) prepared, none run");
            return 0;
        }
        var suites = done.Select(o => o.Suite!).ToList();
        var finish = DateTimeOffset.UtcNow;
        foreach (var report in settings.Reports) WriteReport(report, suites, start, finish);
        if (settings.Check is null)
            Console.WriteLine($"{paths.Count} notebook(s): {done.Count - failed} ok, {failed} failed, {total.Elapsed.TotalSeconds:0.0} s in all");
        else
        {
            var cases = suites.SelectMany(s => s.Cases).ToList();
            Console.WriteLine($"{cases.Count(c => c.Outcome == TestOutcome.Passed)} passed, {cases.Count(c => c.Outcome == TestOutcome.Failed)} failed, " +
                              $"{cases.Count(c => c.Outcome == TestOutcome.Skipped)} skipped in {paths.Count} notebook(s), {total.Elapsed.TotalSeconds:0.0} s");
        }
        return cancellation.IsCancellationRequested ? 130 : failed == 0 ? 0 : 1;
    }

    /// <summary>How one notebook went; <see cref="Suite"/> is null when nothing ran.</summary>
    sealed record Outcome(bool Ok, TestSuite? Suite);

    static void WriteReport(string path, IReadOnlyList<TestSuite> suites, DateTimeOffset start, DateTimeOffset finish)
    {
        if (path.EndsWith(".trx", StringComparison.OrdinalIgnoreCase)) TrxReport.Save(suites, start, finish, path);
        else JUnitReport.Save(suites, path);
        Console.WriteLine($"wrote {Path.GetFullPath(path)}");
    }

    Outcome Prepare(string path, Dictionary<string, string> values, Dictionary<string, string> raw, TextWriter console)
    {
        var prepared = NotebookRunner.Prepare(Notebook.Load(path), new RunOptions { Parameters = values, RawParameters = raw });
        var saved = OutputPath(path, ".ipynb")!;
        prepared.Save(saved);
        console.WriteLine($"prepared {path} → {saved}");
        return new Outcome(true, null);
    }

    async Task<Outcome> RunOneAsync(string path, Dictionary<string, string> values, Dictionary<string, string> raw, TextWriter console, CancellationToken cancellation)
    {
        console.WriteLine($"▶ {path}");
        var name = Path.GetFileName(path);
        var start = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var saved = OutputPath(path, ".ipynb");
        string? unsaved = null;
        void Save(Notebook notebook, string? file, Action<Notebook, string> write)
        {
            if (file is null) return;
            try { write(notebook, file); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A full disk, say: the run goes on, and says so where it still can.
                if (unsaved is null) Console.Error.WriteLine($"csnb: cannot write {file}: {e.Message}");
                unsaved = e.Message;
            }
        }
        LiveProgress? progress = null;
        var options = new RunOptions
        {
            Parameters = values,
            RawParameters = raw,
            CellTimeout = settings.CellTimeout,
            // A test runs every cell, as nbval does: each cell is a test of its own.
            ContinueOnError = settings.ContinueOnError || settings.Check is not null,
            Watch = index => progress = settings.Quiet ? null : new LiveProgress($"{name} cell {index}", Console.Error),
            CellFinished = (report, notebook) =>
            {
                progress?.Flush();
                progress = null;
                PrintCell(console, report, notebook.Cells[report.Index]);
                Save(notebook, saved, (n, f) => n.Save(f));
            },
        };
        var stored = Notebook.Load(path);
        var prepared = NotebookRunner.Prepare(stored, options);
        Save(prepared, saved, (n, f) => n.Save(f));

        // glibc reads its malloc settings only at start-up, so the host gets them now (a caller's own value wins).
        using var host = new CellHost(new CellHostOptions
        {
            // As under Jupyter, a notebook runs in its own folder, unless --cwd names one.
            WorkingDirectory = settings.WorkingDirectory ?? Path.GetDirectoryName(Path.GetFullPath(path))!,
            Environment = NativeAllocator.Environment.Where(v => Environment.GetEnvironmentVariable(v.Key) is null).ToDictionary(),
            Log = line => Console.Error.WriteLine($"  | {name}: {line}"),
        });
        var result = await NotebookRunner.RunAsync(prepared, options, host, cancellation);
        var suite = CellTests.Of(path, stored, result, start, clock.Elapsed, settings.Check, checkByDefault: !settings.Lax);
        if (settings.Check is not null) PrintFailures(console, suite);
        if (result.Cells.FirstOrDefault(c => c.Failed) is { } first)
            ErrorBanner.Add(result.Notebook, first.Index, first.MissingError ?? CellTests.ErrorLine(result.Notebook.Cells[first.Index]) ?? first.Status.ToString());
        if (unsaved is not null) AddSaveError(result.Notebook, unsaved);
        Save(result.Notebook, saved, (n, f) => n.Save(f));
        Save(result.Notebook, OutputPath(path, ".html"), HtmlPage.Save);
        var ok = (settings.Check is null ? result.Succeeded : suite.Count(TestOutcome.Failed) == 0) && unsaved is null;
        var mark = cancellation.IsCancellationRequested ? "✗ interrupted:" : ok ? "✓" : "✗";
        var counts = settings.Check is null ? $"{result.Cells.Count} cells"
            : $"{suite.Count(TestOutcome.Passed)} passed, {suite.Count(TestOutcome.Failed)} failed, {suite.Count(TestOutcome.Skipped)} skipped";
        console.WriteLine($"{mark} {path}  {counts}  {clock.Elapsed.TotalSeconds:0.0} s{(saved is null ? "" : $"  → {saved}")}");
        return new Outcome(ok, suite with { Time = clock.Elapsed });
    }

    /// <summary>One line per cell; a failing cell's error, and the start of its traceback, under it.</summary>
    static void PrintCell(TextWriter console, CellReport report, Cell cell)
    {
        var status = report.Skipped ? "skipped" : report.Status == CellStatus.Ok ? "ok" : report.Status.ToString().ToLowerInvariant();
        if (report.ErrorExpected && !report.Failed) status += " (expected)";
        console.WriteLine($"  cell {report.Index,3} [{report.ExecutionCount?.ToString() ?? " "}]  {report.Elapsed.TotalSeconds,7:0.00} s  {status}");
        if (!report.Failed) return;
        if (report.MissingError is { } missing) console.WriteLine($"    {missing}");
        if (CellTests.ErrorLine(cell) is not { } error) return;
        console.WriteLine($"    {error}");
        var trace = (CellTests.Traceback(cell) ?? "").Split('\n').Skip(1).Where(l => l.Trim().Length > 0).ToList();
        foreach (var line in trace.Take(TracebackLines)) console.WriteLine($"      {line.Trim()}");
        if (trace.Count > TracebackLines) console.WriteLine($"      … {trace.Count - TracebackLines} more line(s) in the executed notebook");
    }

    const int TracebackLines = 8;

    /// <summary>Each failing test with why; a diff of outputs indented under it.</summary>
    static void PrintFailures(TextWriter console, TestSuite suite)
    {
        foreach (var test in suite.Cases.Where(c => c.Outcome == TestOutcome.Failed))
        {
            console.WriteLine($"  ✗ {test.Name}: {test.Message}");
            if (test.OutputsDiffer && test.Details is { } diff)
                foreach (var line in diff.TrimEnd('\n').Split('\n')) console.WriteLine($"      {line}");
        }
    }

    /// <summary>A notebook that could not always be saved says so at its top, once it can be.</summary>
    static void AddSaveError(Notebook notebook, string problem) =>
        notebook.InsertCell(0, Cell.Markdown($"**csnb could not write this notebook during the run:** {problem}"));

    string? OutputPath(string notebook, string extension) =>
        settings.OutputFolder is { } folder ? Path.Combine(folder, Path.GetFileNameWithoutExtension(notebook) + extension) : null;
}

/// <summary>Bad usage or input: csnb prints the message on one line and exits with 2.</summary>
sealed class UsageException(string message) : Exception(message);
