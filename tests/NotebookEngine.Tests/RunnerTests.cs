using System.Text.Json.Nodes;
using NotebookEngine.Documents;
using NotebookEngine.Running;
using NotebookEngine.Scripting;

namespace NotebookEngine.Tests;

public class RunnerTests
{
    static async Task<NotebookResult> Run(string fixture, RunOptions? options = null)
    {
        options ??= new RunOptions();
        return await NotebookRunner.RunAsync(NotebookRunner.Prepare(Notebook.Load(TestHost.Fixture(fixture)), options), options);
    }

    static readonly System.Text.Json.JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    static string Json(JsonNode? node) => node?.ToJsonString(Relaxed) ?? "null";

    [Fact]
    public async Task TheExecutedNotebookHoldsEveryOutputFieldByField()
    {
        var result = await Run("tour.ipynb", new RunOptions { Parameters = new Dictionary<string, string> { ["epochs"] = "2" } });
        Assert.True(result.Succeeded);
        var cells = result.Notebook.Cells;
        Assert.Equal(["markdown", "code", "code", "code", "code", "code", "raw", "code"], cells.Select(c => c.CellType));

        Assert.Equal(1, cells[1].ExecutionCount);
        Assert.Equal("[]", Json(cells[1].Outputs));
        Assert.Equal(["injected-parameters"], cells[2].Tags);
        Assert.Equal("// Parameters (injected)\nvar epochs = 2;", cells[2].Source);
        Assert.Equal(2, cells[2].ExecutionCount);

        Assert.Equal(3, cells[3].ExecutionCount);
        Assert.Equal(
            """[{"output_type":"stream","name":"stdout","text":["run: 2 epochs at 0.5\n"]},""" +
            """{"output_type":"display_data","data":{"text/plain":["epoch 2 of 2"]},"metadata":{}}]""",
            Json(new JsonArray(cells[3].Outputs.Take(2).Select(o => o!.DeepClone()).ToArray())));
        var result3 = cells[3].Outputs[2]!;
        Assert.Equal(("execute_result", 3, "1"), ((string?)result3["output_type"], (int?)result3["execution_count"], Text.Join(result3["data"]!["text/plain"])));
        Assert.StartsWith("<div class=\"dni-plaintext\"><pre>1</pre></div>", Text.Join(result3["data"]!["text/html"])); // as .NET Interactive shows numbers
        Assert.Equal(
            """[{"output_type":"stream","name":"stdout","text":["ab"]},{"output_type":"stream","name":"stderr","text":["warn\n"]},{"output_type":"stream","name":"stdout","text":["c\n"]}]""",
            Json(cells[4].Outputs));
        Assert.Null(cells[5].ExecutionCount); // empty cells are not run, as in Jupyter
        Assert.Equal("raw text is kept", cells[6].Source);
        Assert.Equal(5, cells[7].ExecutionCount);
        Assert.Equal("""[{"output_type":"display_data","data":{"text/plain":["<i>ok</i>"],"text/html":["<i>ok</i>"]},"metadata":{}}]""", Json(cells[7].Outputs));

        Assert.Equal("csharp", (string?)result.Notebook.Metadata["language_info"]?["name"]);
        Assert.Equal("""{"epochs":"2"}""", Json(result.Notebook.Metadata["parameters"]));
        Assert.Equal([1, 2, 3, 4, 7], result.Cells.Select(c => c.Index));
    }

    [Fact]
    public async Task ExecutionStopsAtTheFirstFailingCellUnlessAskedToContinue()
    {
        var stopped = await Run("failing.ipynb");
        Assert.False(stopped.Succeeded);
        var cells = stopped.Notebook.Cells;
        var error = (JsonObject)cells[1].Outputs.Single()!;
        Assert.Equal("error", (string?)error["output_type"]);
        Assert.Equal("System.InvalidOperationException", (string?)error["ename"]);
        Assert.Equal("stop here (cell [2], line 1)", (string?)error["evalue"]);
        Assert.Equal("""["System.InvalidOperationException: stop here","   at cell [2], line 1"]""", Json(error["traceback"]));
        Assert.Null(cells[2].ExecutionCount);
        Assert.Empty(cells[2].Outputs);

        var continued = await Run("failing.ipynb", new RunOptions { ContinueOnError = true });
        Assert.Equal("2", Text.Join(continued.Notebook.Cells[2].Outputs[0]!["data"]!["text/plain"]));
        Assert.Equal([CellStatus.Ok, CellStatus.Error, CellStatus.Ok], continued.Cells.Select(c => c.Status));
    }

    [Fact]
    public async Task ANotebookWrittenForDotNetInteractiveRuns()
    {
        var result = await Run("dotnet-interactive.ipynb");
        Assert.True(result.Succeeded, Json(result.Notebook.Cells[1].Outputs));
        var cells = result.Notebook.Cells;
        Assert.Equal("Installed Packages\n  TorchSharp-cpu, 0.107.0 (the host carries TorchSharp 0.107.0 (cpu backend), and a process can load only one)", Text.Join(cells[1].Outputs[0]!["data"]!["text/plain"]));
        Assert.Equal("6", Text.Join(cells[2].Outputs[0]!["data"]!["text/plain"]));
        Assert.Equal("done", Text.Join(cells[3].Outputs[0]!["data"]!["text/plain"]));
        Assert.StartsWith("Wall time: ", Text.Join(cells[3].Outputs[1]!["text"]));
    }

    [Fact]
    public async Task ACellInAnotherLanguageIsAClearError()
    {
        var notebook = Notebook.Load(TestHost.Fixture("dotnet-interactive.ipynb"));
        notebook.Cells[2].Metadata["polyglot_notebook"] = new JsonObject { ["kernelName"] = "fsharp" };
        var options = new RunOptions();
        var result = await NotebookRunner.RunAsync(NotebookRunner.Prepare(notebook, options), options);
        var error = result.Notebook.Cells[2].Outputs.Single()!;
        Assert.Equal("LanguageError", (string?)error["ename"]);
        Assert.Equal("cell [2], line 1: 'fsharp' is a language this engine does not run; it runs csharp, html, javascript, markdown, mermaid, value cells", (string?)error["evalue"]);
    }

    [Fact]
    public void ParametersAreTypedFromTheirDefaults()
    {
        var notebook = Notebook.Load(TestHost.Fixture("tour.ipynb"));
        Assert.Equal([new DeclaredParameter("epochs", "int", "3"), new DeclaredParameter("rate", "double", "0.5"), new DeclaredParameter("label", "string", "\"run\"")],
            Parameters.Declared(notebook));

        Parameters.Inject(notebook, new Dictionary<string, string> { ["epochs"] = "10", ["rate"] = "1", ["label"] = "say \"hi\"" });
        Assert.Equal("// Parameters (injected)\nvar epochs = 10;\nvar rate = 1d;\nvar label = \"say \\\"hi\\\"\";", notebook.Cells[2].Source);

        // Injecting again replaces the injected cell rather than stacking another.
        Parameters.Inject(notebook, new Dictionary<string, string> { ["epochs"] = "1" });
        Assert.Single(notebook.Cells, c => c.Tags.Contains(Parameters.InjectedTag));
        Assert.Equal("// Parameters (injected)\nvar epochs = 1;", notebook.Cells[2].Source);
    }

    [Theory]
    [InlineData("epochs", "1.5", "parameter 'epochs' must be int, like its default 3; got '1.5'")]
    [InlineData("rate", "fast", "parameter 'rate' must be double, like its default 0.5; got 'fast'")]
    [InlineData("epoch", "1", "parameter 'epoch' is not declared; the 'parameters' cell declares: epochs, rate, label")]
    public void ABadParameterNamesTheProblemAndChangesNothing(string name, string value, string message)
    {
        var notebook = Notebook.Load(TestHost.Fixture("tour.ipynb"));
        var before = notebook.ToJson();
        var error = Assert.Throws<ParameterException>(() => Parameters.Inject(notebook, new Dictionary<string, string> { [name] = value }));
        Assert.Equal(message, error.Message);
        Assert.Equal(before, notebook.ToJson());
    }

    [Fact]
    public async Task TheHtmlPageRendersMarkdownCodeAndOutputs()
    {
        var result = await Run("tour.ipynb");
        var html = HtmlPage.Render(result.Notebook, "tour");
        Assert.Contains("<h1 id=\"a-tour-of-the-engine\">A tour of the engine</h1>", html);
        Assert.Contains("<div class=\"prompt\">In [3]:</div>", html);
        Assert.Contains("<pre class=\"stream\">run: 3 epochs at 0.5\n</pre>", html);
        Assert.Contains("<pre class=\"stream stderr\">warn\n</pre>", html);
        Assert.Contains("<div class=\"output\"><i>ok</i></div>", html);
    }

    [Fact]
    public void Braces_in_markdown_stay_text_as_in_Jupyter()
    {
        var notebook = Notebook.Create();
        notebook.InsertCell(0, Cell.Markdown("**L = CE + λ · ½ · mean ‖f_i − c_{y_i}‖²**"));
        Assert.Contains("<strong>L = CE + λ · ½ · mean ‖f_i − c_{y_i}‖²</strong>", HtmlPage.Render(notebook, "t"));
    }
}
