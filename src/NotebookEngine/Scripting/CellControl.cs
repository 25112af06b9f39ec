namespace NotebookEngine.Scripting;

/// <summary>
/// Cooperative cancellation for running cells. The engine inserts a call to <see cref="Check"/> at
/// the top of every loop body and block-bodied method, local function and lambda of a cell, so a
/// timeout or an interrupt stops user code at its next iteration. (.NET cannot abort a thread.)
/// </summary>
public static class CellControl
{
    static readonly AsyncLocal<CancellationToken> Current = new();

    /// <summary>The token of the cell running on this logical flow; cells may pass it to async APIs.</summary>
    public static CancellationToken Token => Current.Value;

    /// <summary>Throws <see cref="OperationCanceledException"/> once this flow's cell has been cancelled.</summary>
    public static void Check() => Current.Value.ThrowIfCancellationRequested();

    internal static void Enter(CancellationToken token) => Current.Value = token;
}
