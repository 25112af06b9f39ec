using System.Text.RegularExpressions;

namespace Interop.Tests;

/// <summary>
/// One output of a cell as both engines can be read: a stream ("stdout", "stderr"), a "display",
/// the cell's "result", or an "error". Data maps MIME types to text; an error holds one entry,
/// "error", its comparable text.
/// </summary>
public sealed record CellOutput(string Kind, IReadOnlyDictionary<string, string> Data)
{
    public static CellOutput Stream(string name, string text) => new(name, new Dictionary<string, string> { ["text/plain"] = text });

    public static CellOutput Failure(string text) => new("error", new Dictionary<string, string> { ["error"] = text });

    public override string ToString() => $"{Kind} {{{string.Join(", ", Data.Select(d => $"{d.Key}: {Short(d.Value)}"))}}}";

    static string Short(string text) => (text.Length > 160 ? text[..160] + "…" : text).ReplaceLineEndings("⏎");
}

/// <summary>What a cell gave in one engine, its outputs in order (consecutive stream writes joined).</summary>
public sealed record CellRun(IReadOnlyList<CellOutput> Outputs)
{
    public bool Failed => Outputs.Any(o => o.Kind == "error");

    public string? ErrorText => Outputs.FirstOrDefault(o => o.Kind == "error")?.Data["error"];

    /// <summary>Joins consecutive writes to one stream, as front ends show them.</summary>
    public static CellRun Of(IEnumerable<CellOutput> outputs)
    {
        var joined = new List<CellOutput>();
        foreach (var output in outputs)
        {
            if (output.Kind is "stdout" or "stderr" && joined.Count > 0 && joined[^1].Kind == output.Kind)
                joined[^1] = CellOutput.Stream(output.Kind, joined[^1].Data["text/plain"] + output.Data["text/plain"]);
            else joined.Add(output);
        }
        return new CellRun(joined);
    }
}

/// <summary>
/// Makes outputs of the two engines comparable: removes what differs from run to run or by
/// host (the style sheet .NET Interactive appends to HTML, random ids, submission numbers, line endings).
/// </summary>
public static partial class Normal
{
    public static string Text(string text)
    {
        text = StyleBlock().Replace(text, "");
        text = Guid().Replace(text, "<id>");
        text = HexId().Replace(text, "<id>");
        text = Submission().Replace(text, "Submission#N");
        return text.Replace("\r\n", "\n").TrimEnd('\n');
    }

    public static CellOutput Output(CellOutput output) =>
        new(output.Kind, output.Data.ToDictionary(d => d.Key, d => Text(d.Value)));

    [GeneratedRegex(@"<style>.*?</style>", RegexOptions.Singleline)]
    private static partial Regex StyleBlock();

    [GeneratedRegex(@"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")]
    private static partial Regex Guid();

    [GeneratedRegex(@"\b[0-9a-f]{32}\b")]
    private static partial Regex HexId();

    [GeneratedRegex(@"Submission#\d+")]
    private static partial Regex Submission();
}
