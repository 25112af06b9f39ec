using System.Diagnostics;
using System.Text.Json.Nodes;
using NotebookEngine.Display;
using NotebookEngine.Documents;
using NotebookEngine.Scripting;

namespace NotebookEngine.Running;

/// <summary>How to run a notebook.</summary>
public sealed record RunOptions
{
    /// <summary>Parameter values (name → text), typed from the notebook's defaults.</summary>
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>();

    /// <summary>Raw parameter values (papermill's <c>-r</c>): strings as given, winning over <see cref="Parameters"/>.</summary>
    public IReadOnlyDictionary<string, string> RawParameters { get; init; } = new Dictionary<string, string>();

    /// <summary>Time limit of each cell; null for none.</summary>
    public TimeSpan? CellTimeout { get; init; }

    /// <summary>Run the remaining cells after a failing one.</summary>
    public bool ContinueOnError { get; init; }

    /// <summary>Called before each code cell runs, with the cell's index in the notebook.</summary>
    public Action<int>? CellStarting { get; init; }

    /// <summary>Called after each code cell, with the notebook as it stands (to save progress).</summary>
    public Action<CellReport, Notebook>? CellFinished { get; init; }

    /// <summary>For the cell at an index, a second receiver of its outputs as they happen (live progress); null for none.</summary>
    public Func<int, ICellOutput?>? Watch { get; init; }

    /// <summary>Session settings; the working directory defaults to the notebook's folder.</summary>
    public SessionOptions? Session { get; init; }
}

/// <summary>One executed cell: its index in the notebook, execution count (none if it could not run), wall time and status.</summary>
public sealed record CellReport(int Index, int? ExecutionCount, TimeSpan Elapsed, CellStatus Status)
{
    /// <summary>Not executed, as its marks asked (<see cref="CellMarks.Skip"/>).</summary>
    public bool Skipped { get; init; }

    /// <summary>Marked to raise (<see cref="CellMarks.RaisesException"/>): an error passes, no error fails.</summary>
    public bool ErrorExpected { get; init; }

    /// <summary>True when the cell fails the run: an unexpected error, a time limit, an interrupt, or no error where one was expected.</summary>
    public bool Failed => !Skipped && (ErrorExpected ? Status != CellStatus.Error : Status != CellStatus.Ok);

    /// <summary>Why a cell that ran without error failed (an expected error that did not come); null otherwise.</summary>
    public string? MissingError => Failed && Status == CellStatus.Ok ? "the cell is marked to raise an exception, but it ran without one" : null;
}

/// <summary>An executed notebook and how each cell went.</summary>
public sealed record NotebookResult(Notebook Notebook, IReadOnlyList<CellReport> Cells)
{
    /// <summary>True when no cell that ran failed (expected errors and skipped cells do not fail it).</summary>
    public bool Succeeded => !Cells.Any(c => c.Failed);
}

/// <summary>
/// Executes a notebook's C# cells in order in one <see cref="ScriptSession"/>, like papermill:
/// parameters injected after the <c>parameters</c> cell, outputs written into a copy of the notebook.
/// </summary>
public static class NotebookRunner
{
    /// <summary>The language_info the engine writes, as a Jupyter kernel would report it.</summary>
    public static JsonObject LanguageInfo() => new()
    {
        ["name"] = "csharp",
        ["version"] = "14.0",
        ["mimetype"] = "text/x-csharp",
        ["file_extension"] = ".cs",
        ["pygments_lexer"] = "csharp",
        ["codemirror_mode"] = "text/x-csharp",
        ["nbconvert_exporter"] = "script",
    };

    /// <summary>
    /// The notebook as it will run: a copy with parameters injected and earlier outputs cleared.
    /// Throws <see cref="ParameterException"/> before anything runs if a parameter does not fit.
    /// </summary>
    public static Notebook Prepare(Notebook notebook, RunOptions options)
    {
        var copy = notebook.Clone();
        ErrorBanner.Remove(copy);
        Running.Parameters.Inject(copy, options.Parameters, options.RawParameters);
        foreach (var cell in copy.Cells.Where(c => c.IsCode)) cell.ClearOutputs();
        copy.Metadata["language_info"] = LanguageInfo();
        ExecutionRecord.Reset(copy, Running.Parameters.Merge(options.Parameters, options.RawParameters));
        return copy;
    }

    /// <summary>Runs a prepared notebook (see <see cref="Prepare"/>) in a new session; outputs go into it.</summary>
    public static Task<NotebookResult> RunAsync(Notebook prepared, RunOptions options, CancellationToken cancellation = default)
    {
        var folder = prepared.Path is { } path ? Path.GetDirectoryName(Path.GetFullPath(path))! : Environment.CurrentDirectory;
        return RunAsync(prepared, options, new Polyglot.NotebookSession((options.Session ?? new SessionOptions()) with { WorkingDirectory = folder }), cancellation);
    }

    /// <summary>
    /// Runs a prepared notebook with <paramref name="cells"/>: a session in this process, which stays
    /// usable afterwards (to read the notebook's variables), or a <see cref="Hosting.CellHost"/>.
    /// </summary>
    public static async Task<NotebookResult> RunAsync(Notebook prepared, RunOptions options, ICellExecutor cells, CancellationToken cancellation = default)
    {
        // Named inputs (@input:) are answered from the parameters, a raw value as given.
        var outputs = new NotebookOutputs(Running.Parameters.Merge(options.Parameters, options.RawParameters));
        var reports = new List<CellReport>();
        var started = DateTimeOffset.UtcNow;
        ExecutionRecord.NotebookStarted(prepared, started);
        for (var index = 0; index < prepared.Cells.Count; index++)
        {
            var cell = prepared.Cells[index];
            if (!cell.IsCode || string.IsNullOrWhiteSpace(cell.Source)) continue; // as Jupyter: empty cells are not sent
            var marks = CellMarks.Of(cell);
            if (marks.Skip)
            {
                var skipped = new CellReport(index, null, TimeSpan.Zero, CellStatus.Ok) { Skipped = true };
                reports.Add(skipped);
                options.CellFinished?.Invoke(skipped, prepared);
                continue;
            }
            options.CellStarting?.Invoke(index);
            var start = DateTimeOffset.UtcNow;
            ExecutionRecord.CellStarted(cell, start);
            var clock = Stopwatch.StartNew();
            var sink = outputs.For(cell, cells.ExecutionCount + 1);
            if (options.Watch?.Invoke(index) is { } watcher) sink = new BothOutputs(sink, watcher);
            var status = await cells.ExecuteAsync(cell.Source, sink, options.CellTimeout, cancellation, Languages.Of(prepared, cell)).ConfigureAwait(false);
            cell.ExecutionCount = cells.ExecutionCount;
            var report = new CellReport(index, cells.ExecutionCount, clock.Elapsed, status) { ErrorExpected = marks.RaisesException };
            ExecutionRecord.CellFinished(prepared, cell, start, DateTimeOffset.UtcNow, report.Status != CellStatus.Ok, report.Failed);
            reports.Add(report);
            options.CellFinished?.Invoke(report, prepared);
            if (report.Failed && !options.ContinueOnError) break;
            if (cancellation.IsCancellationRequested) break;
        }
        ExecutionRecord.NotebookFinished(prepared, started, DateTimeOffset.UtcNow);
        return new NotebookResult(prepared, reports);
    }
}

/// <summary>Which language a cell is in, as the kit's notebooks and .NET Interactive mark it.</summary>
public static class Languages
{
    /// <summary>The cell's language from its metadata or the notebook's (null: C#, the default).</summary>
    public static string? Of(Notebook notebook, Cell cell) =>
        cell.KernelName
        ?? (string?)notebook.Metadata["polyglot_notebook"]?["kernelInfo"]?["defaultKernelName"]
        ?? (string?)notebook.Metadata["kernelspec"]?["language"];
}

/// <summary>Passes every output to the notebook and to a watcher (live progress); the notebook's sink answers input.</summary>
sealed class BothOutputs(ICellOutput first, ICellOutput second) : ICellOutput, ICellInput
{
    ICellInput Input => first as ICellInput ?? throw new NoInputException("this run takes no input");
    public string ReadLine(string prompt, bool password, CancellationToken cancellation) => Input.ReadLine(prompt, password, cancellation);
    public string ReadLine(string prompt, bool password, string? name, CancellationToken cancellation) => Input.ReadLine(prompt, password, name, cancellation);
    public void Stream(string name, string text) { first.Stream(name, text); second.Stream(name, text); }
    public void Display(DisplayData data, string displayId) { first.Display(data, displayId); second.Display(data, displayId); }
    public void UpdateDisplay(DisplayData data, string displayId) { first.UpdateDisplay(data, displayId); second.UpdateDisplay(data, displayId); }
    public void Result(DisplayData data) { first.Result(data); second.Result(data); }
    public void Error(CellError error) { first.Error(error); second.Error(error); }
    public void ClearOutput(bool wait) { first.ClearOutput(wait); second.ClearOutput(wait); }
}
