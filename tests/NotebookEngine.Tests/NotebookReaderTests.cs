using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using NotebookEngine.Documents;
using NotebookEngine.Running;
using Xunit.Abstractions;

namespace NotebookEngine.Tests;

/// <summary>The notebook reader refuses a field of the wrong type when loading, naming the cell, the field and what it expected.</summary>
public sealed class NotebookReaderTests(ITestOutputHelper output) : IDisposable
{
    readonly string _folder = TestHost.TempFolder();

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    // A markdown cell, then a code cell with every field the engine reads.
    const string Valid = """
        {
         "nbformat": 4, "nbformat_minor": 5,
         "metadata": {"kernelspec": {"name": "csnb", "language": "csharp", "display_name": "C# (csnb)"}, "language_info": {"name": "csharp"}},
         "cells": [
          {"cell_type": "markdown", "id": "m", "metadata": {}, "source": "# Title"},
          {"cell_type": "code", "id": "c", "execution_count": 3,
           "metadata": {"tags": ["parameters"], "polyglot_notebook": {"kernelName": "csharp"}},
           "source": ["var x = 1;\n", "x"],
           "outputs": [
            {"output_type": "stream", "name": "stdout", "text": ["hi\n"]},
            {"output_type": "execute_result", "execution_count": 3, "data": {"text/plain": "1", "application/json": {"x": 1}}, "metadata": {}},
            {"output_type": "error", "ename": "E", "evalue": "v", "traceback": ["line", null]}
           ]}
         ]
        }
        """;

    string Write(Action<JsonObject> change)
    {
        var root = JsonNode.Parse(Valid)!.AsObject();
        change(root);
        var path = Path.Combine(_folder, "bad.ipynb");
        File.WriteAllText(path, root.ToJsonString());
        return path;
    }

    static JsonObject Code(JsonObject root) => root["cells"]![1]!.AsObject();

    public static TheoryData<string, Action<JsonObject>, string> Bad => new()
    {
        { "source a number", r => Code(r)["source"] = 42, "cell 1: 'source' must be a string or a list of strings, got the number 42" },
        { "source line a number", r => Code(r)["source"] = new JsonArray("a\n", 3), "cell 1: 'source' item 1 must be a string, got the number 3" },
        { "tags a string", r => Code(r)["metadata"]!["tags"] = "parameters", "cell 1: 'metadata.tags' must be a list of strings, got the string \"parameters\"" },
        { "tag null", r => Code(r)["metadata"]!["tags"] = new JsonArray("a", null), "cell 1: 'metadata.tags' item 1 must be a string, got null" },
        { "metadata a list", r => Code(r)["metadata"] = new JsonArray(), "cell 1: 'metadata' must be an object, got a list" },
        { "outputs an object", r => Code(r)["outputs"] = new JsonObject(), "cell 1: 'outputs' must be a list of output objects, got an object" },
        { "output a number", r => Code(r)["outputs"] = new JsonArray(7), "cell 1: output 0 must be an object, got the number 7" },
        { "output type missing", r => Code(r)["outputs"]![0]!.AsObject().Remove("output_type"), "cell 1: output 0: 'output_type' must be one of \"stream\", \"display_data\", \"execute_result\", \"error\", got null" },
        { "stream text a boolean", r => Code(r)["outputs"]![0]!["text"] = true, "cell 1: output 0: 'text' must be a string or a list of strings, got true" },
        { "bundle text a number", r => Code(r)["outputs"]![1]!["data"]!["text/plain"] = 1, "cell 1: output 1: 'data.text/plain' must be a string or a list of strings, got the number 1" },
        { "traceback a string", r => Code(r)["outputs"]![2]!["traceback"] = "boom", "cell 1: output 2: 'traceback' must be a list of strings, got the string \"boom\"" },
        { "execution_count a string", r => Code(r)["execution_count"] = "3", "cell 1: 'execution_count' must be an integer ≥ 0 or null, got the string \"3\"" },
        { "execution_count a fraction", r => Code(r)["execution_count"] = 1.5, "cell 1: 'execution_count' must be an integer ≥ 0 or null, got the number 1.5" },
        { "execution_count negative", r => Code(r)["execution_count"] = -1, "got the number -1" },
        { "cell_type a number", r => Code(r)["cell_type"] = 3, "cell 1: 'cell_type' must be one of \"code\", \"markdown\", \"raw\", got the number 3" },
        { "cell_type unknown", r => r["cells"]![0]!["cell_type"] = "python", "cell 0: 'cell_type' must be one of \"code\", \"markdown\", \"raw\", got the string \"python\"" },
        { "cell_type missing", r => r["cells"]![0]!.AsObject().Remove("cell_type"), "cell 0: 'cell_type' must be one of" },
        { "id a number", r => r["cells"]![0]!["id"] = 5, "cell 0: 'id' must be a string, got the number 5" },
        { "language a number", r => Code(r)["metadata"]!["polyglot_notebook"]!["kernelName"] = 1, "cell 1: 'metadata.polyglot_notebook.kernelName' must be a string, got the number 1" },
        { "cell a string", r => r["cells"]![0] = "cell", "cell 0 must be an object, got the string \"cell\"" },
        { "cells an object", r => r["cells"] = new JsonObject(), "'cells' must be a list of cell objects, got an object" },
        { "nbformat a string", r => r["nbformat"] = "4", "'nbformat' must be the integer 4, got the string \"4\"" },
        { "nbformat 3", r => r["nbformat"] = 3, "nbformat 3 is not supported (4.x is)" },
        { "nbformat missing", r => r.Remove("nbformat"), "'nbformat' is missing (expected the integer 4)" },
        { "nbformat_minor a string", r => r["nbformat_minor"] = "5", "'nbformat_minor' must be an integer ≥ 0, got the string \"5\"" },
        { "kernel name a number", r => r["metadata"]!["kernelspec"]!["name"] = 2, "'metadata.kernelspec.name' must be a string, got the number 2" },
        { "kernelspec a string", r => r["metadata"]!["kernelspec"] = "csnb", "'metadata.kernelspec' must be an object, got the string \"csnb\"" },
        { "metadata null", r => r["metadata"] = null, "'metadata' must be an object, got null" },
    };

    [Theory, MemberData(nameof(Bad))]
    public void A_field_of_the_wrong_type_is_refused_with_the_file_cell_and_field(string _, Action<JsonObject> change, string message)
    {
        var path = Write(change);
        var e = Assert.Throws<NotebookFormatException>(() => Notebook.Load(path));
        Assert.StartsWith(path + ": ", e.Message);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Everything_a_valid_notebook_holds_reads_without_surprises()
    {
        var notebook = Notebook.Load(Write(r => Code(r)["source"] = "x"));
        Assert.Equal(["markdown", "code"], notebook.Cells.Select(c => c.CellType));
        Assert.Equal("x", notebook.Cells[1].Source);
        Assert.Equal(["parameters"], notebook.Cells[1].Tags);
        Assert.Equal(3, notebook.Cells[1].ExecutionCount);
        Assert.Equal("csnb", notebook.KernelName);
        Assert.Equal(5, notebook.MinorVersion);
        Assert.Contains("<pre class=\"error\">line\n</pre>", HtmlPage.Render(notebook, "t"));

        // Optional fields may be absent; a null execution count is "not run".
        var bare = Notebook.Parse("""{"nbformat": 4, "cells": [{"cell_type": "code", "execution_count": null}]}""");
        Assert.Null(bare.Cells[0].ExecutionCount);
        Assert.Equal("", bare.Cells[0].Source);
        Assert.Empty(bare.Cells[0].Tags);
        Assert.Null(bare.KernelName);
    }

    [Fact]
    public void Duplicate_keys_and_non_objects_are_refused_as_format_errors()
    {
        var e = Assert.Throws<NotebookFormatException>(() => Notebook.Parse("""{"nbformat": 4, "cells": [{"cell_type": "code", "cell_type": "raw"}]}"""));
        Assert.Contains("cell_type", e.Message);
        e = Assert.Throws<NotebookFormatException>(() => Notebook.Parse("[1, 2]"));
        Assert.Contains("the JSON is a list, not an object", e.Message);
        e = Assert.Throws<NotebookFormatException>(() => Notebook.Parse("{\"nbformat\": 4, "));
        Assert.Contains("not JSON", e.Message);
    }

    [Fact]
    public void Thousands_of_damaged_notebooks_read_or_fail_with_NotebookFormatException_and_what_reads_is_usable()
    {
        const int cases = 3000;
        var budget = TimeSpan.FromSeconds(10);
        var random = new Random(16);
        var outcomes = new Dictionary<string, int>();
        var clock = Stopwatch.StartNew();
        int done = 0;
        for (; done < cases && clock.Elapsed < budget; done++)
        {
            // Mostly a field given another JSON type, removed or added; sometimes damaged bytes.
            var json = random.Next(4) == 0
                ? Encoding.UTF8.GetString(Corruptions.Damage(Encoding.UTF8.GetBytes(Valid), random, 200))
                : Mutated(random);
            Notebook notebook;
            try { notebook = Notebook.Parse(json); }
            catch (NotebookFormatException e)
            {
                var kind = System.Text.RegularExpressions.Regex.Replace(e.Message, "got .*|\\(.*|[0-9]+", "#");
                outcomes[kind] = outcomes.GetValueOrDefault(kind) + 1;
                continue;
            }
            outcomes["read"] = outcomes.GetValueOrDefault("read") + 1;
            // Whatever the reader accepts, the engine can use: every accessor, rendering, preparing a run, writing.
            foreach (var cell in notebook.Cells)
            {
                _ = (cell.CellType, cell.IsCode, cell.Source, cell.Tags.Count, cell.Outputs.Count, cell.ExecutionCount, cell.Metadata.Count);
                _ = Languages.Of(notebook, cell);
            }
            _ = (notebook.KernelName, notebook.MinorVersion, notebook.Metadata.Count);
            _ = HtmlPage.Render(notebook, "fuzz");
            Notebook.Parse(NotebookRunner.Prepare(notebook, new RunOptions()).ToJson());
        }
        output.WriteLine($"notebooks: {done} cases in {clock.Elapsed.TotalSeconds:0.0} s");
        foreach (var (kind, count) in outcomes.OrderByDescending(o => o.Value)) output.WriteLine($"  {count,5}  {kind}");
        Assert.True(done >= 300, $"only {done} cases ran in {budget.TotalSeconds} s");
    }

    static readonly JsonNode?[] Replacements =
        [null, 0, -1, 1.5, 4, 2147483648L, "", "x", "4", "code", true, false, new JsonArray(), new JsonObject(),
         new JsonArray("a\n", 1), new JsonArray((JsonNode?)null), new JsonObject { ["a"] = 1 }];

    // The valid notebook with one field replaced by a value of another type, removed, or one added.
    static string Mutated(Random random)
    {
        var root = JsonNode.Parse(Valid)!;
        var slots = new List<(JsonNode Parent, string? Key, int Index)>();
        void Walk(JsonNode? node)
        {
            if (node is JsonObject obj)
                foreach (var (key, child) in obj.ToList()) { slots.Add((obj, key, -1)); Walk(child); }
            else if (node is JsonArray array)
                for (int i = 0; i < array.Count; i++) { slots.Add((array, null, i)); Walk(array[i]); }
        }
        Walk(root);
        var (parent, key, index) = slots[random.Next(slots.Count)];
        var value = Replacements[random.Next(Replacements.Length)]?.DeepClone();
        switch (random.Next(3), parent)
        {
            case (0, JsonObject obj): obj.Remove(key!); break;
            case (0, JsonArray array): array.RemoveAt(index); break;
            case (1, JsonObject obj): obj["extra" + random.Next(3)] = value; break;
            case (_, JsonObject obj): obj[key!] = value; break;
            case (_, JsonArray array): array[index] = value; break;
        }
        return root.ToJsonString();
    }
}
