using System.Text;
using NotebookEngine.Scripting;

namespace NotebookEngine.Display;

/// <summary>
/// Routes Console.Out and Console.Error to the output of the cell that is running on the current
/// logical flow (an AsyncLocal, so tasks a cell starts write to that cell, and two sessions in
/// one process do not mix), and Console.In to that output's <see cref="ICellInput"/>. Writes and
/// reads from anywhere else use the process's real console.
/// </summary>
public static class ConsoleCapture
{
    static readonly AsyncLocal<ICellOutput?> Current = new();
    static readonly Lazy<bool> Installed = new(() =>
    {
        Console.SetOut(new RoutingWriter("stdout", Console.Out));
        Console.SetError(new RoutingWriter("stderr", Console.Error));
        Console.SetIn(new RoutingReader(Console.In));
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

    /// <summary>A line of input for the running cell, asked of its front end.</summary>
    /// <exception cref="NoInputException">The front end takes no input.</exception>
    public static string ReadLine(string prompt, bool password)
    {
        if (Current.Value is not { } output) throw new NoInputException("input can be asked only while a cell runs");
        if (output is not ICellInput input)
            throw new NoInputException("this front end takes no input (it did not allow stdin), so the cell cannot read from the console; " +
                                       "give the value as a parameter or in the code instead");
        return input.ReadLine(prompt, password, CellControl.Token);
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

    /// <summary>Console.In for cells: whole lines from the front end; Read and Peek take them a character at a time.</summary>
    sealed class RoutingReader(TextReader fallback) : TextReader
    {
        // Per flow, so a line one cell asked for is never read by another.
        readonly AsyncLocal<string?> _rest = new();

        public override string? ReadLine()
        {
            if (Current.Value is null) return fallback.ReadLine();
            if (_rest.Value is { Length: > 0 } rest)
            {
                _rest.Value = null;
                return rest.TrimEnd('\n');
            }
            return ConsoleCapture.ReadLine("", password: false);
        }

        public override int Read()
        {
            var next = Peek();
            if (next >= 0 && Current.Value is not null) _rest.Value = _rest.Value![1..];
            return next;
        }

        public override int Peek()
        {
            if (Current.Value is null) return fallback.Peek();
            if (string.IsNullOrEmpty(_rest.Value)) _rest.Value = ConsoleCapture.ReadLine("", password: false) + "\n";
            return _rest.Value[0];
        }

        public override string ReadToEnd() => Current.Value is null ? fallback.ReadToEnd() : ReadLine() ?? "";
    }
}
