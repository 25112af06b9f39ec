using System.Diagnostics;
using NotebookEngine.Display;

namespace NotebookCli;

/// <summary>
/// Shows on stderr what a running cell prints and displays, so a long cell is not silent: each
/// line of its stdout and stderr as it comes, and its progress — a display it keeps updating, or a
/// line it keeps rewriting with <c>\r</c> — at most once a second, plus the last state when the cell
/// ends. Lines start with the notebook and cell, so notebooks running side by side stay readable.
/// </summary>
sealed class LiveProgress(string label, TextWriter console) : ICellOutput
{
    static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    readonly Lock _lock = new();
    readonly Dictionary<string, string> _partial = [];
    // The latest state not yet shown, by where it comes from (a stream's name, or "display").
    readonly Dictionary<string, string> _pending = [];
    Stopwatch? _sinceProgress;

    public void Stream(string name, string text)
    {
        lock (_lock)
        {
            var line = (_partial.GetValueOrDefault(name, "") + text).Replace("\r\n", "\n");
            int end;
            while ((end = line.IndexOfAny(['\n', '\r'])) >= 0)
            {
                if (line[end] == '\r') Progress(line[..end], name); // a line that will be written over: a progress state
                else
                {
                    _pending.Remove(name); // the finished line replaces the state it was writing over
                    Write(line[..end]);
                }
                line = line[(end + 1)..];
            }
            _partial[name] = line;
        }
    }

    public void Display(DisplayData data, string displayId) => Shown(data);

    public void UpdateDisplay(DisplayData data, string displayId) => Shown(data);

    public void Result(DisplayData data) { } // printed with the executed notebook, not as progress

    public void Error(CellError error) { } // the run's cell line prints it

    public void ClearOutput(bool wait) { }

    /// <summary>The cell has ended: prints the last progress state not yet shown and any unfinished line.</summary>
    public void Flush()
    {
        lock (_lock)
        {
            foreach (var state in _pending.Values) Write(state);
            _pending.Clear();
            foreach (var line in _partial.Values.Where(l => l.Length > 0)) Write(line);
            _partial.Clear();
        }
    }

    void Shown(DisplayData data)
    {
        lock (_lock) Progress(data.PlainText.Split('\n')[0], "display");
    }

    /// <summary>Call with the lock held.</summary>
    void Progress(string state, string from)
    {
        if (state.Length == 0) return;
        if (_sinceProgress is null || _sinceProgress.Elapsed >= Interval)
        {
            Write(state);
            _pending.Remove(from);
            _sinceProgress = Stopwatch.StartNew();
        }
        else _pending[from] = state;
    }

    void Write(string line) => console.WriteLine($"  ⋯ {label} │ {line}");
}
