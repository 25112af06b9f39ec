using System.Collections.Concurrent;

namespace NotebookEngine.Scripting;

/// <summary>
/// Cancellation for running cells (.NET cannot abort a thread). The engine inserts a call to
/// <see cref="Check"/> at the top of every loop body and block-bodied method, local function and
/// lambda of a cell, and passes every <c>await</c>ed task through <see cref="Cancellable(Task)"/>,
/// so an interrupt stops user code at its next iteration or await. A cell blocked in a wait
/// (<c>Thread.Sleep</c>, <c>Task.Wait</c>, <c>.Result</c>, a lock or a semaphore) is woken with
/// <see cref="Thread.Interrupt"/>: every thread that runs with the cell's execution context is known.
/// </summary>
public static class CellControl
{
    static readonly AsyncLocal<Scope?> Current = new(OnContextChanged);

    /// <summary>The token of the cell running on this logical flow; cells may pass it to async APIs.</summary>
    public static CancellationToken Token => Current.Value?.Token ?? CancellationToken.None;

    /// <summary>Throws <see cref="OperationCanceledException"/> once this flow's cell has been cancelled.</summary>
    public static void Check() => Token.ThrowIfCancellationRequested();

    /// <summary>The awaited task, or a task that ends with <see cref="OperationCanceledException"/> when the cell is cancelled first.</summary>
    public static Task Cancellable(Task task) => task.WaitAsync(Token);

    /// <inheritdoc cref="Cancellable(Task)"/>
    public static Task<T> Cancellable<T>(Task<T> task) => task.WaitAsync(Token);

    /// <inheritdoc cref="Cancellable(Task)"/>
    public static Task Cancellable(ValueTask task) => task.IsCompleted ? task.AsTask() : task.AsTask().WaitAsync(Token);

    /// <inheritdoc cref="Cancellable(Task)"/>
    public static Task<T> Cancellable<T>(ValueTask<T> task) => task.IsCompleted ? task.AsTask() : task.AsTask().WaitAsync(Token);

    /// <summary>Any other awaitable (<c>Task.Yield()</c>, <c>ConfigureAwait</c>, a custom one) is awaited as it is.</summary>
    public static T Cancellable<T>(T awaitable) => awaitable;

    /// <summary>Runs <paramref name="body"/> as the cell's code: its flow, and every task it starts, belongs to the returned scope.</summary>
    internal static async Task<T> RunAsCell<T>(Scope scope, Func<Task<T>> body)
    {
        Current.Value = scope;
        try { return await body().ConfigureAwait(false); }
        finally { Current.Value = null; }
    }

    /// <summary>One running cell: its token and the threads now running its code.</summary>
    internal sealed class Scope(CancellationToken token)
    {
        readonly ConcurrentDictionary<Thread, int> _threads = new();
        volatile bool _interrupting;

        public CancellationToken Token { get; } = token;

        /// <summary>Wakes every thread of the cell that is blocked in a managed wait; call after cancelling the token, and again while the cell runs.</summary>
        public void InterruptWaits()
        {
            _interrupting = true;
            foreach (var thread in _threads.Keys)
                if ((thread.ThreadState & ThreadState.WaitSleepJoin) != 0) thread.Interrupt();
        }

        internal void Enter(Thread thread) => _threads.AddOrUpdate(thread, 1, (_, n) => n + 1);

        internal void Leave(Thread thread)
        {
            if (_threads.AddOrUpdate(thread, 0, (_, n) => n - 1) <= 0) _threads.TryRemove(thread, out _);
            // An interrupt that reached a thread just as it left the cell must not fire in whatever it runs next.
            if (_interrupting)
                try { Thread.Sleep(0); }
                catch (ThreadInterruptedException) { }
        }
    }

    // Called on each thread whose execution context gains or loses a cell: a thread-pool thread
    // picking up a continuation of the cell, or giving it back.
    static void OnContextChanged(AsyncLocalValueChangedArgs<Scope?> change)
    {
        if (ReferenceEquals(change.PreviousValue, change.CurrentValue)) return;
        change.PreviousValue?.Leave(Thread.CurrentThread);
        change.CurrentValue?.Enter(Thread.CurrentThread);
    }
}
