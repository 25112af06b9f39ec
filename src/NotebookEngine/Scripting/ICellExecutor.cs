using NotebookEngine.Display;

namespace NotebookEngine.Scripting;

/// <summary>
/// Runs cells one after another, sharing their state: a <see cref="Polyglot.NotebookSession"/> in
/// this process, or a <see cref="Hosting.CellHost"/> that runs them in a process of their own.
/// </summary>
public interface ICellExecutor
{
    /// <summary>The execution count of the last cell.</summary>
    int ExecutionCount { get; }

    /// <summary>
    /// Runs a cell with the next execution count; outputs go to <paramref name="output"/> as they
    /// happen. <paramref name="language"/> is the cell's language from its metadata (C# if null).
    /// </summary>
    Task<CellStatus> ExecuteAsync(string source, ICellOutput output, TimeSpan? timeout = null, CancellationToken cancellation = default, string? language = null);
}
