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
    /// Reads a notebook file: .NET Interactive's .dib text for a .dib file, nbformat 4 JSON for any
    /// other; a file that is neither gives a <see cref="NotebookFormatException"/>.
    /// </summary>
    public static Notebook Load(string path)
    {
        try { return IsDib(path) ? Dib.Parse(File.ReadAllText(path), path) : Parse(File.ReadAllText(path), path); }
        catch (NotebookFormatException e) { throw new NotebookFormatException($"{path}: {e.Message}"); }
    }

    /// <summary>Parses notebook JSON.</summary>
    public static Notebook Parse(string json, string? path = null)
    {
        JsonNode? node;
        try { node = JsonNode.Parse(json); }
        catch (JsonException e) { throw new NotebookFormatException($"not JSON ({e.Message})"); }
        if (node is not JsonObject root)
            throw new NotebookFormatException("not a notebook: the JSON is not an object");
        var major = root["nbformat"]?.GetValue<int>();
        if (major != 4)
            throw new NotebookFormatException($"nbformat {major?.ToString() ?? "missing"} is not supported (4.x is)");
        if (root["cells"] is not JsonArray cells || cells.Any(c => c is not JsonObject))
            throw new NotebookFormatException("not a notebook: 'cells' is not a list of objects");
        return new Notebook(root, path);
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

/// <summary>The file is not an nbformat 4 notebook.</summary>
public sealed class NotebookFormatException(string message) : Exception(message);

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
