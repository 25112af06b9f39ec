using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace NotebookEngine.Documents;

/// <summary>
/// .NET Interactive's plain-text notebook (.dib): an optional <c>#!meta</c> block holding the kernel
/// info as JSON, then cells, each begun by a line <c>#!name</c> that names a kernel (csharp, markdown,
/// html, …) or one of its aliases. Any other <c>#!</c> line (<c>#!time</c>) belongs to the cell. Blank
/// lines around a cell are not part of it. A .dib stores no outputs.
/// </summary>
public static class Dib
{
    const string Meta = "#!meta";

    /// <summary>Kernels .NET Interactive knows without a <c>#!meta</c> block, with their aliases.</summary>
    static readonly (string Name, string[] Aliases)[] DefaultKernels =
    [
        ("csharp", ["c#", "C#"]), ("fsharp", ["f#", "F#"]), ("pwsh", ["powershell"]), ("javascript", ["js"]),
        ("html", []), ("markdown", ["md"]), ("mermaid", []), ("sql", []), ("kql", []), ("value", []), ("http", []),
    ];

    static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Reads .dib text as a notebook: markdown cells, and code cells that name their kernel in their metadata as .NET Interactive does.</summary>
    public static Notebook Parse(string text, string? path = null)
    {
        var lines = text.Length == 0 ? [] : text.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        var kernels = DefaultKernels.SelectMany(k => k.Aliases.Append(k.Name).Select(a => (Alias: a, k.Name))).ToDictionary(k => k.Alias, k => k.Name);
        JsonObject? meta = null;
        var cells = new List<(string Kernel, List<string> Lines)>();
        var current = (Kernel: "csharp", Lines: new List<string>());

        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (meta is null && line.StartsWith(Meta, StringComparison.Ordinal))
            {
                var json = new StringBuilder();
                var first = i + 1;
                while (i + 1 < lines.Length && !lines[i + 1].StartsWith("#!", StringComparison.Ordinal)) json.AppendLine(lines[++i]);
                meta = ParseMeta(json.ToString(), first + 1);
                foreach (var (alias, name) in DeclaredKernels(meta)) kernels[alias] = name;
                if (meta["kernelInfo"]?["defaultKernelName"] is JsonValue dflt && dflt.TryGetValue<string>(out var named) && current.Lines.Count == 0)
                    current.Kernel = named;
                continue;
            }
            if (line.StartsWith("#!", StringComparison.Ordinal) && kernels.TryGetValue(line[2..], out var kernel))
            {
                cells.Add(current);
                current = (kernel, []);
            }
            else current.Lines.Add(line);
        }
        cells.Add(current);

        var notebook = Notebook.Create(path);
        notebook.Metadata["kernelspec"] = KernelSpec(meta?["kernelInfo"]?["defaultKernelName"]?.GetValue<string>() ?? "csharp");
        if (meta is not null) notebook.Metadata["polyglot_notebook"] = meta;
        foreach (var (kernel, body) in cells)
        {
            var source = string.Join('\n', Trimmed(body));
            if (source.Length == 0) continue;
            notebook.InsertCell(notebook.Cells.Count, kernel == "markdown" ? Cell.Markdown(source) : Cell.Code(source).InKernel(kernel));
        }
        return notebook;
    }

    /// <summary>The notebook as .dib text: its kernel info (if it has one) in <c>#!meta</c>, then every cell under its kernel's line. Outputs are not kept.</summary>
    public static string Write(Notebook notebook)
    {
        var lines = new List<string>();
        if (notebook.Metadata["polyglot_notebook"] is JsonObject meta)
            lines.AddRange([Meta, "", meta.ToJsonString(Compact), ""]);
        var fallback = DefaultKernel(notebook);
        foreach (var cell in notebook.Cells)
        {
            var body = Trimmed(cell.Source.Replace("\r\n", "\n").Split('\n')).ToList();
            var kernel = cell.IsCode ? cell.KernelName ?? fallback : "markdown";
            // A leading kernel line (as .NET Interactive wrote some .ipynb cells) says the same as the header.
            if (cell.IsCode && body.Count > 0 && body[0].StartsWith("#!", StringComparison.Ordinal) && DefaultKernels.Any(k => k.Name == body[0][2..] || k.Aliases.Contains(body[0][2..])))
            {
                kernel = DefaultKernels.First(k => k.Name == body[0][2..] || k.Aliases.Contains(body[0][2..])).Name;
                body = Trimmed(body.Skip(1)).ToList();
            }
            if (body.Count == 0) continue;
            lines.AddRange([$"#!{kernel}", "", .. body, ""]);
        }
        return string.Join('\n', lines);
    }

    static JsonObject ParseMeta(string json, int line)
    {
        try
        {
            return JsonNode.Parse(json) as JsonObject
                   ?? throw new NotebookFormatException($"the #!meta block at line {line} is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new NotebookFormatException($"the #!meta block at line {line} is not JSON ({e.Message})");
        }
    }

    static IEnumerable<(string Alias, string Name)> DeclaredKernels(JsonObject meta)
    {
        if (meta["kernelInfo"]?["items"] is not JsonArray items) yield break;
        foreach (var item in items.OfType<JsonObject>())
        {
            if (item["name"]?.GetValue<string>() is not { } name) continue;
            yield return (name, name);
            if (item["aliases"] is JsonArray aliases)
                foreach (var alias in aliases.Select(a => a?.GetValue<string>()).OfType<string>()) yield return (alias, name);
        }
    }

    /// <summary>The kernel a code cell without its own runs in: the kernel info's default, else the kernelspec's language.</summary>
    internal static string DefaultKernel(Notebook notebook) =>
        notebook.Metadata["polyglot_notebook"]?["kernelInfo"]?["defaultKernelName"]?.GetValue<string>()
        ?? notebook.KernelName switch { ".net-fsharp" => "fsharp", ".net-powershell" or ".net-pwsh" => "pwsh", _ => "csharp" };

    static JsonObject KernelSpec(string kernel) => kernel switch
    {
        "fsharp" => new JsonObject { ["display_name"] = ".NET (F#)", ["language"] = "F#", ["name"] = ".net-fsharp" },
        "pwsh" => new JsonObject { ["display_name"] = ".NET (PowerShell)", ["language"] = "PowerShell", ["name"] = ".net-pwsh" },
        _ => new JsonObject { ["display_name"] = ".NET (C#)", ["language"] = "C#", ["name"] = ".net-csharp" },
    };

    static IEnumerable<string> Trimmed(IEnumerable<string> lines)
    {
        var list = lines.SkipWhile(l => l.Length == 0).ToList();
        while (list.Count > 0 && list[^1].Length == 0) list.RemoveAt(list.Count - 1);
        return list;
    }
}
