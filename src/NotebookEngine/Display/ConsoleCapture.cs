using System.Text;

namespace NotebookEngine.Display;

/// <summary>
/// Routes Console.Out and Console.Error to the output of the cell that is running on the current
/// logical flow (an AsyncLocal, so tasks a cell starts write to that cell, and two sessions in
/// one process do not mix). Writes from anywhere else go to the process's real console.
/// </summary>
public static class ConsoleCapture
{
    static readonly AsyncLocal<ICellOutput?> Current = new();
    static readonly Lazy<bool> Installed = new(() =>
    {
        Console.SetOut(new RoutingWriter("stdout", Console.Out));
        Console.SetError(new RoutingWriter("stderr", Console.Error));
        return true;
    });

    /// <summary>Sends this flow's console output to <paramref name="output"/> until the returned scope is disposed.</summary>
    public static IDisposable Into(ICellOutput output)
    {
        _ = Installed.Value;
        var previous = Current.Value;
        Current.Value = output;
        return new Scope(() => Current.Value = previous);
    }

    sealed class Scope(Action onDispose) : IDisposable
    {
        public void Dispose() => onDispose();
    }

    sealed class RoutingWriter(string name, TextWriter fallback) : TextWriter
    {
        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value) => Write(value.ToString());

        public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));

        public override void Write(string? value)
        {
            if (string.IsNullOrEmpty(value)) return;
            if (Current.Value is { } output) output.Stream(name, value);
            else fallback.Write(value);
        }

        public override void WriteLine(string? value) => Write(value + Environment.NewLine);

        public override void Flush()
        {
            if (Current.Value is null) fallback.Flush();
        }
    }
}
