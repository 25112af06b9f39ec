using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace NotebookEngine.Documents;

/// <summary>
/// An nbformat 4 notebook held as its JSON tree, so fields the engine does not know survive a
/// read–execute–write round trip unchanged.
/// </summary>
public sealed class Notebook
{
    static readonly JsonSerializerOptions WriteOptions = new()
    {
        WriteIndented = true,
        IndentSize = 1, // as Jupyter writes notebooks
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    readonly JsonObject _root;

    Notebook(JsonObject root, string? path)
    {
        _root = root;
        Path = path;
        Cells = Wrap((JsonArray)root["cells"]!);
    }

    static List<Cell> Wrap(JsonArray cells) => cells.Select(c => new Cell((JsonObject)c!)).ToList();

    /// <summary>The file the notebook was read from, if any.</summary>
    public string? Path { get; }

    /// <summary>The cells, in order. Change the list with <see cref="InsertCell"/> and <see cref="RemoveCell"/>.</summary>
    public IReadOnlyList<Cell> Cells { get; private set; }

    /// <summary>The notebook-level metadata object.</summary>
    public JsonObject Metadata => (JsonObject)(_root["metadata"] ??= new JsonObject());

    /// <summary>nbformat minor version; 5 and above require cell ids.</summary>
    public int MinorVersion => _root["nbformat_minor"]?.GetValue<int>() ?? 0;

    /// <summary>The kernelspec name in the metadata, if any.</summary>
    public string? KernelName => Metadata["kernelspec"]?["name"]?.GetValue<string>();

    /// <summary>
    /// Reads a notebook file: .NET Interactive's .dib text for a .dib file, nbformat 4 JSON for any other.
    /// A file that is neither, or has a field of the wrong type, gives a <see cref="NotebookFormatException"/>
    /// whose message starts with the path; one that cannot be read, an <see cref="IOException"/> (or
    /// <see cref="UnauthorizedAccessException"/>).
    /// </summary>
    public static Notebook Load(string path)
    {
        try { return IsDib(path) ? Dib.Parse(File.ReadAllText(path), path) : Parse(File.ReadAllText(path), path); }
        catch (NotebookFormatException e) { throw new NotebookFormatException($"{path}: {e.Message}"); }
    }

    /// <summary>
    /// Parses notebook JSON and checks the type of every field the engine reads, so that later code can
    /// trust the tree: a field of the wrong type gives a <see cref="NotebookFormatException"/> naming the
    /// cell, the field and what was expected. Fields the engine does not read are kept as they are.
    /// </summary>
    public static Notebook Parse(string json, string? path = null)
    {
        JsonNode? node;
        try { node = JsonNode.Parse(json); }
        catch (JsonException e) { throw new NotebookFormatException($"not JSON ({e.Message})"); }
        if (node is not JsonObject root)
            throw new NotebookFormatException($"not a notebook: the JSON is {JsonChecks.Kind(node)}, not an object");
        // Duplicate keys surface only when an object is first read; reading it all here finds them.
        try { Validate(root); }
        catch (ArgumentException e) { throw new NotebookFormatException($"not a notebook: {e.Message}"); }
        return new Notebook(root, path);
    }

    static void Validate(JsonObject root)
    {
        if (!root.ContainsKey("nbformat")) throw new NotebookFormatException("'nbformat' is missing (expected the integer 4)");
        var top = new Where("");
        int major = JsonChecks.Integer(root, "nbformat", top, "the integer 4") ?? 0;
        if (major != 4) throw new NotebookFormatException($"nbformat {major} is not supported (4.x is)");
        JsonChecks.Integer(root, "nbformat_minor", top, "an integer ≥ 0");
        if (JsonChecks.Object(root, "metadata", top) is { } metadata)
        {
            var inside = top.In("metadata");
            if (JsonChecks.Object(metadata, "kernelspec", inside) is { } kernelspec)
                foreach (var field in new[] { "name", "language", "display_name" }) JsonChecks.String(kernelspec, field, inside.In("kernelspec"));
            if (JsonChecks.Object(metadata, "language_info", inside) is { } languageInfo) JsonChecks.String(languageInfo, "name", inside.In("language_info"));
            if (JsonChecks.Object(metadata, "polyglot_notebook", inside) is { } polyglot
                && JsonChecks.Object(polyglot, "kernelInfo", inside.In("polyglot_notebook")) is { } kernelInfo)
                JsonChecks.String(kernelInfo, "defaultKernelName", inside.In("polyglot_notebook").In("kernelInfo"));
        }
        if (root["cells"] is not JsonArray cells)
            throw new NotebookFormatException($"'cells' must be a list of cell objects, got {JsonChecks.Kind(root["cells"])}");
        for (var i = 0; i < cells.Count; i++)
        {
            if (cells[i] is not JsonObject cell) throw new NotebookFormatException($"cell {i} must be an object, got {JsonChecks.Kind(cells[i])}");
            Cell.Validate(cell, i);
        }
    }

    /// <summary>A new, empty nbformat 4.5 notebook (read from <paramref name="path"/>, if given).</summary>
    public static Notebook Create(string? path = null) => Parse("""{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}""", path);

    /// <summary>True for a path with the .dib extension.</summary>
    public static bool IsDib(string path) => System.IO.Path.GetExtension(path).Equals(".dib", StringComparison.OrdinalIgnoreCase);

    /// <summary>Inserts <paramref name="cell"/> at <paramref name="index"/>.</summary>
    public void InsertCell(int index, Cell cell)
    {
        var cells = (JsonArray)_root["cells"]!;
        if (MinorVersion >= 5) cell.Node["id"] ??= Guid.NewGuid().ToString("N")[..12];
        cells.Insert(index, cell.Node);
        Cells = Wrap(cells);
    }

    /// <summary>Removes the cell at <paramref name="index"/>.</summary>
    public void RemoveCell(int index)
    {
        var cells = (JsonArray)_root["cells"]!;
        cells.RemoveAt(index);
        Cells = Wrap(cells);
    }

    /// <summary>The notebook as JSON, indented as Jupyter writes it.</summary>
    public string ToJson() => _root.ToJsonString(WriteOptions) + "\n";

    /// <summary>
    /// Writes the notebook to <paramref name="path"/>, as .dib text (no outputs) for a .dib file, else
    /// as .ipynb JSON: a temp file, then a rename, so a reader never sees half a notebook.
    /// </summary>
    public void Save(string path) => AtomicFile.WriteAllText(path, IsDib(path) ? Dib.Write(this) : ToJson());

    /// <summary>A deep copy.</summary>
    public Notebook Clone() => new((JsonObject)_root.DeepClone(), Path);
}

/// <summary>The file is not an nbformat 4 notebook, or a field has the wrong type; the message names the cell and field.</summary>
public sealed class NotebookFormatException(string message) : Exception(message);

/// <summary>Where a field is: the cell (and output) it belongs to, then the objects inside it.</summary>
readonly record struct Where(string Location, string Path = "")
{
    /// <summary>The same place, inside the object <paramref name="field"/>.</summary>
    public Where In(string field) => this with { Path = Path + field + "." };

    /// <summary>The field's name for a message: <c>cell 1: 'metadata.tags'</c>.</summary>
    public string Name(string field) => $"{Location}'{Path}{field}'";
}

/// <summary>Type checks of notebook JSON, each naming the field and what was expected.</summary>
static class JsonChecks
{
    /// <summary>"a string", "a number", "a list", … — what a node is, with its value if it is short.</summary>
    public static string Kind(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "an object",
        JsonArray => "a list",
        _ => node.GetValueKind() switch
        {
            JsonValueKind.String => "the string " + Short(node),
            JsonValueKind.Number => "the number " + Short(node),
            _ => Short(node),
        },
    };

    static string Short(JsonNode node)
    {
        var text = node.ToJsonString();
        return text.Length <= 40 ? text : text[..37] + "…";
    }

    static NotebookFormatException Wrong(Where where, string field, string expected, JsonNode? found) =>
        new($"{where.Name(field)} must be {expected}, got {Kind(found)}");

    /// <summary>The object at <paramref name="field"/>, null if absent.</summary>
    public static JsonObject? Object(JsonObject parent, string field, Where where) =>
        !parent.TryGetPropertyValue(field, out var node) ? null
            : node as JsonObject ?? throw Wrong(where, field, "an object", node);

    /// <summary>Checks that <paramref name="field"/> is present and one of the strings <paramref name="allowed"/>.</summary>
    public static void OneOf(JsonObject parent, string field, Where where, string[] allowed)
    {
        var node = parent[field];
        if (!IsString(node) || !allowed.Contains(node!.GetValue<string>()))
            throw Wrong(where, field, "one of " + string.Join(", ", allowed.Select(a => $"\"{a}\"")), node);
    }

    /// <summary>Checks that <paramref name="field"/>, if present, is a string.</summary>
    public static void String(JsonObject parent, string field, Where where)
    {
        if (parent.TryGetPropertyValue(field, out var node) && !IsString(node)) throw Wrong(where, field, "a string", node);
    }

    /// <summary>The integer at <paramref name="field"/> (≥ 0), null if absent or, when <paramref name="nullable"/>, null.</summary>
    public static int? Integer(JsonObject parent, string field, Where where, string expected, bool nullable = false)
    {
        if (!parent.TryGetPropertyValue(field, out var node) || (node is null && nullable)) return null;
        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.Number && value.TryGetValue<int>(out var number) && number >= 0)
            return number;
        throw Wrong(where, field, expected, node);
    }

    /// <summary>
    /// Checks that <paramref name="field"/>, if present, is nbformat's multi-line string: a string or a
    /// list of strings (null items read as empty, as .NET Interactive wrote some).
    /// </summary>
    public static void Text(JsonObject parent, string field, Where where)
    {
        if (!parent.TryGetPropertyValue(field, out var node) || IsString(node)) return;
        if (node is not JsonArray lines) throw Wrong(where, field, "a string or a list of strings", node);
        Strings(lines, field, where, nullItems: true);
    }

    /// <summary>Checks that <paramref name="field"/>, if present, is a list of strings, or of strings and nulls.</summary>
    public static void StringList(JsonObject parent, string field, Where where, bool nullItems = false)
    {
        if (!parent.TryGetPropertyValue(field, out var node)) return;
        if (node is not JsonArray items) throw Wrong(where, field, "a list of strings", node);
        Strings(items, field, where, nullItems);
    }

    static void Strings(JsonArray items, string field, Where where, bool nullItems)
    {
        for (var i = 0; i < items.Count; i++)
            if (!IsString(items[i]) && !(nullItems && items[i] is null))
                throw new NotebookFormatException($"{where.Name(field)} item {i} must be a string, got {Kind(items[i])}");
    }

    static bool IsString(JsonNode? node) => node is JsonValue value && value.GetValueKind() == JsonValueKind.String;
}

/// <summary>Writes whole files or nothing.</summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="text"/> to a temp file beside <paramref name="path"/>, then renames it over <paramref name="path"/>.</summary>
    public static void WriteAllText(string path, string text)
    {
        var folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        Directory.CreateDirectory(folder);
        var temp = System.IO.Path.Combine(folder, $".{System.IO.Path.GetFileName(path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.WriteAllText(temp, text);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
