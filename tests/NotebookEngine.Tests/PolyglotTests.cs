using System.Text.Json.Nodes;
using NotebookEngine.Documents;
using NotebookEngine.Polyglot;
using NotebookEngine.Running;
using NotebookEngine.Scripting;

namespace NotebookEngine.Tests;

/// <summary>
/// Cells in the languages of .NET Interactive notebooks and the magics they share, through the
/// engine's notebook session. What the real .NET Interactive gives for the same cells is compared in
/// Interop.Tests/MagicTests.
/// </summary>
public class PolyglotTests
{
    static async Task<(CellStatus Status, RecordingOutput Output)> Run(NotebookSession session, string code, string? language = null)
    {
        var output = new RecordingOutput();
        var status = await session.ExecuteAsync(code, output, language: language);
        return (status, output);
    }

    static string Html(RecordingOutput output) => output.Events.Single().Data!.Html!;

    [Fact]
    public async Task ALeadingLanguageLineOrTheCellsLanguageChoosesTheInterpreter()
    {
        var session = new NotebookSession();
        Assert.Equal("<b>x</b>", Html((await Run(session, "#!html\n<b>x</b>")).Output));
        Assert.Equal("<b>y</b>", Html((await Run(session, "<b>y</b>", language: "html")).Output));
        Assert.Equal("<script type=\"text/javascript\">console.log(1)</script>", Html((await Run(session, "#!js\nconsole.log(1)")).Output));

        var markdown = (await Run(session, "# Title\n*soft*", language: "markdown")).Output.Events.Single().Data!;
        Assert.Equal("# Title\n*soft*", markdown.Data["text/markdown"]);
        Assert.Equal("<h1 id=\"title\">Title</h1>\n<p><em>soft</em></p>\n", markdown.Html);

        // C# first, then HTML in the same cell; line numbers of compile errors stay the cell's.
        var (status, mixed) = await Run(session, "var n = 6 * 7;\n#!html\n<p>after</p>");
        Assert.Equal(CellStatus.Ok, status);
        Assert.Equal("<p>after</p>", Html(mixed));
        Assert.Equal("42", (await Run(session, "n")).Output.Results.Single().PlainText);
        var error = (await Run(session, "#!html\n<p></p>\n#!csharp\nvar broken = ;")).Output.Errors.Single();
        Assert.Contains("(4,", error.Value);
        Assert.Equal(7, session.ExecutionCount);
    }

    [Fact]
    public async Task MermaidDiagramsComeWithTheirScriptOnce()
    {
        var session = new NotebookSession();
        var first = (await Run(session, "#!mermaid\ngraph TD; A-->B")).Output.Events;
        Assert.Equal(2, first.Count);
        Assert.Contains("mermaid", first[0].Data!.Html);
        Assert.True(first[0].Data!.Html!.Length > 1_000_000); // the whole library, for pages read offline
        Assert.Equal("graph TD; A-->B", first[1].Data!.Data["text/vnd.mermaid"]);
        Assert.StartsWith("<pre class=\"mermaid\" id=\"mermaid-", first[1].Data!.Html);
        var second = (await Run(session, "#!mermaid\ngraph LR; C-->D")).Output.Events;
        Assert.Equal("graph LR; C-->D", second.Single().Data!.PlainText);
    }

    [Fact]
    public async Task TheValueStoreSetAndShareMoveValuesBetweenCSharpAndValues()
    {
        var folder = TestHost.TempFolder();
        File.WriteAllText(Path.Combine(folder, "notes.txt"), "from a file");
        var session = new NotebookSession(new SessionOptions { WorkingDirectory = folder });

        Assert.Equal("hello", (await Run(session, "#!value --name greeting\nhello")).Output.Events.Single().Text);
        Assert.Empty((await Run(session, "#!value --name notes --from-file notes.txt")).Output.Events);
        Assert.Equal(new StoredValue("from a file", "text/plain"), session.Values["notes"]);

        Assert.Equal("16", (await Run(session, "#!set --name text --value @value:greeting\n#!share --from value notes\ntext.Length + notes.Length")).Output.Results.Single().PlainText);
        // A #!set value is a string, as in .NET Interactive.
        Assert.Equal("33", (await Run(session, "#!set --name count --value 3\nvar twice = count + count;\ntwice")).Output.Results.Single().PlainText);

        Assert.Empty((await Run(session, "#!value\n#!share --from csharp twice --as doubled")).Output.Events);
        Assert.Equal(new StoredValue("33", "text/plain"), session.Values["doubled"]);
    }

    [Fact]
    public async Task WhoWhosLsmagicAboutAndTime()
    {
        var session = new NotebookSession();
        await Run(session, "var count = 3;\nvar word = \"centre\";\ncount = 4;");
        Assert.Equal("count\tword", (await Run(session, "#!who")).Output.Events.Single().Text);
        Assert.Equal("Variable  Type           Value\ncount     System.Int32   4\nword      System.String  centre", (await Run(session, "#!whos")).Output.Events.Single().Text);

        var magics = (await Run(session, "#!lsmagic")).Output.Events.Single().Text;
        Assert.Equal("Magic commands: #!.net-csharp #!about #!c# #!csharp #!html #!javascript #!js #!lsmagic #!markdown #!md #!mermaid #!set #!share #!time #!value #!who #!whos", magics);
        Assert.StartsWith("csnb ", (await Run(session, "#!about")).Output.Events.Single().Text);

        var timed = (await Run(session, "#!time\nThread.Sleep(50);\ncount")).Output;
        Assert.Equal("4", timed.Results.Single().PlainText);
        var wall = double.Parse(timed.Stdout.Replace("Wall time: ", "").Replace(" ms\n", ""), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(wall, 50, 60_000);
    }

    [Fact]
    public async Task MagicsThatCannotBeHonouredAreClearErrorsAndChangeNothing()
    {
        var session = new NotebookSession();
        await Run(session, "var kept = 1;");
        async Task<string> Error(string code, string? language = null)
        {
            var (status, output) = await Run(session, code, language);
            Assert.Equal(CellStatus.Error, status);
            var error = output.Errors.Single();
            return $"{error.Name}: {error.Value}";
        }
        Assert.Equal("DirectiveError: cell [2], line 2: unknown magic command '#!nope' (known: #!.net-csharp, #!about, #!c#, #!csharp, #!html, #!javascript, #!js, #!lsmagic, #!markdown, #!md, #!mermaid, #!set, #!share, #!time, #!value, #!who, #!whos)",
            await Error("kept = 2;\n#!nope"));
        Assert.Equal("DirectiveError: cell [3], line 1: #!set needs --value", await Error("#!set --name x"));
        Assert.Equal("DirectiveError: cell [4], line 1: 'class' is not a C# variable name", await Error("#!set --name class --value 1"));
        Assert.Equal("DirectiveError: cell [5], line 1: the value store has no 'missing'", await Error("#!share --from value missing"));
        Assert.Equal("DirectiveError: cell [6], line 2: C# has no variable 'ghost'", await Error("#!value\n#!share --from csharp ghost"));
        Assert.Equal("DirectiveError: cell [7], line 1: #!value needs --name to store the cell's text under", await Error("#!value\ntext"));
        Assert.Equal("DirectiveError: cell [8], line 1: a quote is not closed", await Error("#!set --name x --value \"open"));
        Assert.Equal("LanguageError: cell [9], line 3: 'fsharp' is a language this engine does not run; it runs csharp, html, javascript, markdown, mermaid, value cells", await Error("kept\n\n#!fsharp\n1"));
        Assert.Equal("LanguageError: cell [10], line 1: 'pwsh' is a language this engine does not run; it runs csharp, html, javascript, markdown, mermaid, value cells", await Error("ls", language: "pwsh"));
        Assert.Equal("DirectiveError: cell [11], line 1: @input:name needs input, and this front end takes none", await Error("#!set --name who --value @input:name"));
        // The first cell's error came before any of its C# ran.
        Assert.Equal("1", (await Run(session, "kept")).Output.Results.Single().PlainText);
    }

    [Fact]
    public async Task TheRunnerAnswersInputTokensFromParametersAndSaysWhichParameterIsMissing()
    {
        var notebook = Notebook.Create();
        notebook.InsertCell(0, Cell.Code("#!set --name user --value @input:\"Your name\"\n#!set --name secret --value @password:\"Token\"\n$\"{user} {secret.Length}\""));
        notebook.InsertCell(1, Cell.Code("<b>shown</b>").InKernel("html"));
        Assert.Equal(["secret", "user"], Parameters.Inputs(notebook).Order());

        var options = new RunOptions { Parameters = new Dictionary<string, string> { ["user"] = "Ann", ["secret"] = "abc" } };
        var answered = await NotebookRunner.RunAsync(NotebookRunner.Prepare(notebook, options), options);
        Assert.True(answered.Succeeded);
        Assert.Equal(2, answered.Notebook.Cells.Count); // input names are answered as cells run, not injected as a parameters cell
        Assert.Equal("Ann 3", Text.Join(answered.Notebook.Cells[0].Outputs.Single()!["data"]!["text/plain"]));
        Assert.Equal("<b>shown</b>", Text.Join(answered.Notebook.Cells[1].Outputs.Single()!["data"]!["text/html"]));

        var unanswered = await NotebookRunner.RunAsync(NotebookRunner.Prepare(notebook, new RunOptions()), new RunOptions());
        Assert.False(unanswered.Succeeded);
        Assert.Equal("cell [1], line 1: 'user' is asked for as input, and a headless run has no user: give it as a parameter (-p user=…)",
            (string?)unanswered.Notebook.Cells[0].Outputs.Single()!["evalue"]);
    }
}
