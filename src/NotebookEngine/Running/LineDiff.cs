using System.Text;

namespace NotebookEngine.Running;

/// <summary>
/// A line-by-line diff of two texts (a cell's outputs) in the unified style, made to be read in a
/// console or a CI log: <c>-</c> expected, <c>+</c> actual, long runs of equal lines folded and
/// long lines (an embedded script) cut.
/// </summary>
public static class LineDiff
{
    const int Context = 2, MaxLine = 160, MaxLines = 60, MaxTable = 4_000_000;

    /// <summary>The diff; lines start with "  " (same), "- " (only in <paramref name="expected"/>) or "+ " (only in <paramref name="actual"/>).</summary>
    public static string Of(string expected, string actual)
    {
        var a = expected.Split('\n');
        var b = actual.Split('\n');
        var lines = new List<(char Mark, string Text)>();
        // Equal head and tail are cheap to find and keep the table below small.
        var head = 0;
        while (head < a.Length && head < b.Length && a[head] == b[head]) head++;
        var tail = 0;
        while (tail < a.Length - head && tail < b.Length - head && a[^(tail + 1)] == b[^(tail + 1)]) tail++;
        lines.AddRange(a[..head].Select(l => (' ', l)));
        lines.AddRange(Middle(a[head..^tail], b[head..^tail]));
        lines.AddRange(a[^tail..].Select(l => (' ', l)));
        return Render(lines);
    }

    /// <summary>The smallest diff by longest common subsequence, or all removed then all added when the table would be too big.</summary>
    static IEnumerable<(char, string)> Middle(string[] a, string[] b)
    {
        if ((long)a.Length * b.Length > MaxTable) return a.Select(l => ('-', l)).Concat(b.Select(l => ('+', l)));
        var common = new int[a.Length + 1, b.Length + 1];
        for (var i = a.Length - 1; i >= 0; i--)
            for (var j = b.Length - 1; j >= 0; j--)
                common[i, j] = a[i] == b[j] ? common[i + 1, j + 1] + 1 : Math.Max(common[i + 1, j], common[i, j + 1]);
        var lines = new List<(char, string)>();
        int x = 0, y = 0;
        while (x < a.Length || y < b.Length)
        {
            if (x < a.Length && y < b.Length && a[x] == b[y]) { lines.Add((' ', a[x++])); y++; }
            else if (x < a.Length && (y == b.Length || common[x + 1, y] >= common[x, y + 1])) lines.Add(('-', a[x++]));
            else lines.Add(('+', b[y++]));
        }
        return lines;
    }

    static string Render(List<(char Mark, string Text)> lines)
    {
        // Shown: changed lines and their context; the rest folds.
        var near = new bool[lines.Count];
        for (var i = 0; i < lines.Count; i++)
            if (lines[i].Mark != ' ')
                for (var j = Math.Max(0, i - Context); j <= Math.Min(lines.Count - 1, i + Context); j++) near[j] = true;
        var text = new StringBuilder();
        var shown = 0;
        for (var i = 0; i < lines.Count; i++)
        {
            if (!near[i])
            {
                var run = i;
                while (run < lines.Count && !near[run]) run++;
                text.Append($"  … {run - i} same line(s)\n");
                i = run - 1;
                continue;
            }
            if (++shown > MaxLines)
            {
                text.Append($"  … {lines.Count - i} more line(s)\n");
                break;
            }
            var (mark, line) = lines[i];
            text.Append(mark).Append(' ').Append(line.Length > MaxLine ? line[..MaxLine] + $"… ({line.Length} characters)" : line).Append('\n');
        }
        return text.ToString();
    }
}
