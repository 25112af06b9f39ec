using System.Text.Json;
using System.Text.Json.Nodes;
using NotebookEngine.Documents;

namespace NotebookEngine.Display;

/// <summary>A MIME bundle as Jupyter carries it: text as text, JSON types (a Plotly figure) as JSON.</summary>
public static class JupyterBundle
{
    /// <summary>The bundle's JSON; <paramref name="textAsLines"/> stores text as lists of lines, as notebooks on disk do.</summary>
    public static JsonObject Of(DisplayData data, bool textAsLines)
    {
        var bundle = new JsonObject();
        foreach (var (mime, value) in data.Data)
            bundle[mime] = IsJson(mime) ? Parse(value) : textAsLines && mime.StartsWith("text/", StringComparison.Ordinal) ? Text.Lines(value) : value;
        return bundle;
    }

    /// <summary>application/json and application/…+json hold JSON values, not strings.</summary>
    public static bool IsJson(string mime) => mime == "application/json" || (mime.StartsWith("application/", StringComparison.Ordinal) && mime.EndsWith("+json", StringComparison.Ordinal));

    static JsonNode? Parse(string json)
    {
        try { return JsonNode.Parse(json); }
        catch (JsonException) { return json; }
    }
}
