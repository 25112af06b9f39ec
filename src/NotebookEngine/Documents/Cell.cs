using System.Text.Json.Nodes;

namespace NotebookEngine.Documents;

/// <summary>One notebook cell, a view over its JSON object.</summary>
public sealed class Cell(JsonObject node)
{
    /// <summary>The cell's JSON object.</summary>
    public JsonObject Node { get; } = node;

    /// <summary>"code", "markdown" or "raw".</summary>
    public string CellType => Node["cell_type"]?.GetValue<string>() ?? "raw";

    /// <summary>True for code cells.</summary>
    public bool IsCode => CellType == "code";

    /// <summary>The cell's metadata object.</summary>
    public JsonObject Metadata => (JsonObject)(Node["metadata"] ??= new JsonObject());

    /// <summary>The source text; nbformat allows a string or a list of lines, and both read the same.</summary>
    public string Source
    {
        get => Text.Join(Node["source"]);
        set => Node["source"] = Text.Lines(value);
    }

    /// <summary>The cell's tags.</summary>
    public IReadOnlyList<string> Tags =>
        Metadata["tags"] is JsonArray tags ? tags.Select(t => t!.GetValue<string>()).ToList() : [];

    /// <summary>The outputs array of a code cell.</summary>
    public JsonArray Outputs => (JsonArray)(Node["outputs"] ??= new JsonArray());

    /// <summary>The execution count of a code cell (null until it runs).</summary>
    public int? ExecutionCount
    {
        get => Node["execution_count"]?.GetValue<int?>();
        set => Node["execution_count"] = value;
    }

    static readonly string[] CellTypes = ["code", "markdown", "raw"];
    static readonly string[] OutputTypes = ["stream", "display_data", "execute_result", "error"];

    /// <summary>
    /// Checks the type of each field of cell <paramref name="index"/> that the engine reads; throws a
    /// <see cref="NotebookFormatException"/> naming the cell, the field and what was expected.
    /// </summary>
    internal static void Validate(JsonObject node, int index)
    {
        var where = new Where($"cell {index}: ");
        JsonChecks.OneOf(node, "cell_type", where, CellTypes);
        JsonChecks.String(node, "id", where);
        JsonChecks.Text(node, "source", where);
        JsonChecks.Object(node, "attachments", where);
        JsonChecks.Integer(node, "execution_count", where, "an integer ≥ 0 or null", nullable: true);
        if (JsonChecks.Object(node, "metadata", where) is { } metadata)
        {
            var inside = where.In("metadata");
            JsonChecks.StringList(metadata, "tags", inside);
            if (JsonChecks.Object(metadata, "polyglot_notebook", inside) is { } polyglot)
                JsonChecks.String(polyglot, "kernelName", inside.In("polyglot_notebook"));
            if (JsonChecks.Object(metadata, "dotnet_interactive", inside) is { } interactive)
                JsonChecks.String(interactive, "language", inside.In("dotnet_interactive"));
        }
        if (!node.TryGetPropertyValue("outputs", out var outputs)) return;
        if (outputs is not JsonArray list) throw new NotebookFormatException($"{where.Name("outputs")} must be a list of output objects, got {JsonChecks.Kind(outputs)}");
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] is not JsonObject output) throw new NotebookFormatException($"cell {index}: output {i} must be an object, got {JsonChecks.Kind(list[i])}");
            ValidateOutput(output, new Where($"cell {index}: output {i}: "));
        }
    }

    static void ValidateOutput(JsonObject output, Where where)
    {
        JsonChecks.OneOf(output, "output_type", where, OutputTypes);
        JsonChecks.String(output, "name", where);
        JsonChecks.Text(output, "text", where);
        JsonChecks.String(output, "ename", where);
        JsonChecks.String(output, "evalue", where);
        JsonChecks.StringList(output, "traceback", where, nullItems: true);
        JsonChecks.Integer(output, "execution_count", where, "an integer ≥ 0 or null", nullable: true);
        JsonChecks.Object(output, "metadata", where);
        // A MIME bundle: text for every type but JSON ones, which hold any JSON value.
        if (JsonChecks.Object(output, "data", where) is { } data)
            foreach (var (mime, _) in data)
                if (!mime.EndsWith("json", StringComparison.Ordinal)) JsonChecks.Text(data, mime, where.In("data"));
    }

    /// <summary>A new code cell.</summary>
    public static Cell Code(string source, params string[] tags)
    {
        var cell = new Cell(new JsonObject
        {
            ["cell_type"] = "code",
            ["execution_count"] = null,
            ["metadata"] = new JsonObject(),
            ["outputs"] = new JsonArray(),
        }) { Source = source };
        if (tags.Length > 0) cell.Metadata["tags"] = new JsonArray(tags.Select(t => (JsonNode)t!).ToArray());
        return cell;
    }

    /// <summary>A new markdown cell.</summary>
    public static Cell Markdown(string source) =>
        new(new JsonObject { ["cell_type"] = "markdown", ["metadata"] = new JsonObject() }) { Source = source };

    /// <summary>
    /// The .NET Interactive kernel the cell names in its metadata (newer <c>polyglot_notebook.kernelName</c>,
    /// else older <c>dotnet_interactive.language</c>), or null.
    /// </summary>
    public string? KernelName =>
        Metadata["polyglot_notebook"]?["kernelName"]?.GetValue<string>() ?? Metadata["dotnet_interactive"]?["language"]?.GetValue<string>();

    /// <summary>Names <paramref name="kernel"/> in the cell's metadata, both ways .NET Interactive writes it; returns the cell.</summary>
    public Cell InKernel(string kernel)
    {
        Metadata["dotnet_interactive"] = new JsonObject { ["language"] = kernel };
        Metadata["polyglot_notebook"] = new JsonObject { ["kernelName"] = kernel };
        return this;
    }

    /// <summary>Clears outputs and the execution count, as before a fresh run.</summary>
    public void ClearOutputs()
    {
        Outputs.Clear();
        ExecutionCount = null;
    }
}

/// <summary>nbformat's multi-line strings: one string, or a list of lines each keeping its newline.</summary>
public static class Text
{
    /// <summary>Joins a string or list of strings into one string.</summary>
    public static string Join(JsonNode? node) => node switch
    {
        null => "",
        JsonArray lines => string.Concat(lines.Select(l => l?.GetValue<string>() ?? "")),
        _ => node.GetValue<string>(),
    };

    /// <summary>Splits text into lines that keep their newlines, as Jupyter stores them.</summary>
    public static JsonArray Lines(string text)
    {
        var lines = new JsonArray();
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '\n') continue;
            lines.Add(text[start..(i + 1)]);
            start = i + 1;
        }
        if (start < text.Length) lines.Add(text[start..]);
        return lines;
    }
}
