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

    /// <summary>Time limit of each cell; null for none.</summary>
    public TimeSpan? CellTimeout { get; init; }

    /// <summary>Run the remaining cells after a failing one.</summary>
    public bool ContinueOnError { get; init; }

    /// <summary>Called before each code cell runs, with the cell's index in the notebook.</summary>
    public Action<int>? CellStarting { get; init; }

    /// <summary>Called after each code cell, with the notebook as it stands (to save progress).</summary>
    public Action<CellReport, Notebook>? CellFinished { get; init; }

    /// <summary>Session settings; the working directory defaults to the notebook's folder.</summary>
    public SessionOptions? Session { get; init; }
}

/// <summary>One executed cell: its index in the notebook, execution count (none if it could not run), wall time and status.</summary>
public sealed record CellReport(int Index, int? ExecutionCount, TimeSpan Elapsed, CellStatus Status);

/// <summary>An executed notebook and how each cell went.</summary>
public sealed record NotebookResult(Notebook Notebook, IReadOnlyList<CellReport> Cells)
{
    /// <summary>True when every cell that ran finished without error.</summary>
    public bool Succeeded => Cells.All(c => c.Status == CellStatus.Ok);
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
        Running.Parameters.Inject(copy, options.Parameters);
        foreach (var cell in copy.Cells.Where(c => c.IsCode)) cell.ClearOutputs();
        copy.Metadata["language_info"] = LanguageInfo();
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
        var outputs = new NotebookOutputs(options.Parameters);
        var reports = new List<CellReport>();
        for (var index = 0; index < prepared.Cells.Count; index++)
        {
            var cell = prepared.Cells[index];
            if (!cell.IsCode || string.IsNullOrWhiteSpace(cell.Source)) continue; // as Jupyter: empty cells are not sent
            options.CellStarting?.Invoke(index);
            var clock = Stopwatch.StartNew();
            var sink = outputs.For(cell, cells.ExecutionCount + 1);
            var status = await cells.ExecuteAsync(cell.Source, sink, options.CellTimeout, cancellation, Languages.Of(prepared, cell)).ConfigureAwait(false);
            cell.ExecutionCount = cells.ExecutionCount;
            var report = new CellReport(index, cells.ExecutionCount, clock.Elapsed, status);
            reports.Add(report);
            options.CellFinished?.Invoke(report, prepared);
            if (report.Status != CellStatus.Ok && !options.ContinueOnError) break;
        }
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
