using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using NotebookEngine.Documents;

namespace NotebookEngine.Running;

/// <summary>How a cell's new outputs differ from its stored ones: the fields that differ and a readable diff.</summary>
public sealed record OutputDifference(IReadOnlyList<string> Fields, string Diff)
{
    /// <summary>One line for a report: "outputs differ: stdout, text/plain".</summary>
    public string Message => $"outputs differ: {string.Join(", ", Fields)}";
}

/// <summary>
/// Compares a cell's outputs with the outputs stored in the notebook, as nbval does: streams merged
/// by name (with carriage returns and backspaces applied, as a terminal shows them), every text
/// MIME type of displayed values and results (<c>text/plain</c>, <c>text/html</c>, …), and an error's
/// name and value; tracebacks, execution counts, metadata, images and JSON payloads are left out.
/// Values with the same field are compared in order; different fields in any order. Both sides go
/// through the same <see cref="Sanitizers"/> first.
/// </summary>
public static partial class OutputCheck
{
    /// <summary>Null when <paramref name="actual"/> matches <paramref name="expected"/>, else how they differ.</summary>
    public static OutputDifference? Compare(JsonArray expected, JsonArray actual, Sanitizers sanitizers)
    {
        var want = Fields(expected, sanitizers);
        var got = Fields(actual, sanitizers);
        var differing = want.Keys.Union(got.Keys)
            .Where(k => !want.TryGetValue(k, out var w) || !got.TryGetValue(k, out var g) || !w.SequenceEqual(g))
            .Order(StringComparer.Ordinal)
            .ToList();
        return differing.Count == 0 ? null : new OutputDifference(differing, LineDiff.Of(Render(want), Render(got)));
    }

    /// <summary>The compared fields of some outputs: field → its values in order.</summary>
    static Dictionary<string, List<string>> Fields(JsonArray outputs, Sanitizers sanitizers)
    {
        var fields = new Dictionary<string, List<string>>();
        void Add(string field, string value)
        {
            if (!fields.TryGetValue(field, out var values)) fields[field] = values = [];
            values.Add(sanitizers.Apply(value));
        }
        var streams = new Dictionary<string, StringBuilder>();
        foreach (var output in outputs.OfType<JsonObject>())
        {
            switch ((string?)output["output_type"])
            {
                case "stream":
                    var name = (string?)output["name"] ?? "stdout";
                    if (!streams.TryGetValue(name, out var text)) streams[name] = text = new StringBuilder();
                    text.Append(Text.Join(output["text"]));
                    break;
                case "error":
                    Add("error", $"{(string?)output["ename"]}: {(string?)output["evalue"]}");
                    break;
                default:
                    if (output["data"] is JsonObject data)
                        foreach (var (mime, value) in data)
                            if (mime.StartsWith("text/", StringComparison.Ordinal)) Add(mime, Text.Join(value));
                    break;
            }
        }
        foreach (var (name, text) in streams) Add(name, AsShown(text.ToString()));
        return fields;
    }

    /// <summary>Stream text as a terminal leaves it: a backspace erases the character before it, a carriage return the line so far.</summary>
    static string AsShown(string text)
    {
        string before;
        do
        {
            before = text;
            text = Backspace().Replace(text, "");
        } while (text.Length < before.Length);
        return Overwritten().Replace(text, "");
    }

    static string Render(Dictionary<string, List<string>> fields)
    {
        var text = new StringBuilder();
        foreach (var field in fields.Keys.Order(StringComparer.Ordinal))
            foreach (var value in fields[field])
                text.Append('[').Append(field).Append("]\n").Append(value.TrimEnd('\n')).Append('\n');
        return text.ToString().TrimEnd('\n');
    }

    [GeneratedRegex(@"[^\n]\x08")]
    private static partial Regex Backspace();

    [GeneratedRegex(@"^.*\r(?=[^\n])", RegexOptions.Multiline)]
    private static partial Regex Overwritten();
}
