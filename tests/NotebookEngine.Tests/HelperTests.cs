using NotebookEngine.Scripting;

namespace NotebookEngine.Tests;

/// <summary>
/// .NET Interactive's helpers in a cell, under its names. The expected outputs are the real engine's
/// (Interop.Tests runs the same calls through it and compares).
/// </summary>
public class HelperTests
{
    static async Task<RecordingOutput> Run(ScriptSession session, string code)
    {
        var output = new RecordingOutput();
        var status = await session.ExecuteAsync(code, output);
        Assert.True(status == CellStatus.Ok, string.Join("\n", output.Errors.Select(e => $"{e.Name}: {e.Value}")));
        return output;
    }

    [Fact]
    public async Task DotNetInteractiveNamespacesCompileUnchanged()
    {
        var session = new ScriptSession();
        await Run(session, "using Microsoft.DotNet.Interactive;\nusing Microsoft.DotNet.Interactive.Formatting;\nusing static Microsoft.DotNet.Interactive.Kernel;");
        var shown = await Run(session, "Kernel.display(42, \"text/plain\");");
        Assert.Equal(["text/plain"], shown.Events.Single().Data!.Data.Keys);
        Assert.Equal("42", shown.Events.Single().Text);
    }

    [Fact]
    public async Task DisplayWithMimeTypesFormatsAsExactlyThose()
    {
        var output = await Run(new ScriptSession(), "display(\"x\", \"text/html\");\ndisplay(new[] { 1, 2 }, \"text/plain\", \"text/html\");");
        var html = output.Events[0].Data!;
        Assert.Equal(["text/html"], html.Data.Keys);
        Assert.StartsWith("<div class=\"dni-plaintext\"><pre>x</pre></div><style>", html.Html);
        var both = output.Events[1].Data!;
        Assert.Equal(["text/plain", "text/html"], both.Data.Keys);
        Assert.Equal("[ 1, 2 ]", both.PlainText);
    }

    [Fact]
    public async Task JavascriptAndCssShowScriptsAsHtmlOnly()
    {
        var output = await Run(new ScriptSession(), "Javascript(\"console.log(1)\");\nCSS(\"p { color: red; }\");");
        Assert.Equal(["text/html"], output.Events[0].Data!.Data.Keys);
        Assert.Equal("<script type=\"text/javascript\">console.log(1)</script>", output.Events[0].Data!.Html);
        Assert.Equal("", output.Events[0].Data!.PlainText);
        Assert.Equal("<script type=\"text/javascript\">document.head.appendChild(Object.assign(document.createElement('style'), { textContent: \"p { color: red; }\" }));</script>",
            output.Events[1].Data!.Html);
    }

    [Fact]
    public async Task DisplayTableShowsAnHtmlTableAndCsv()
    {
        var output = await Run(new ScriptSession(), "new[] { new { A = 1, B = \"b\" }, new { A = 2, B = \"c\" } }.DisplayTable();");
        var table = output.Events.Single().Data!;
        Assert.Equal(["text/html", "text/csv"], table.Data.Keys);
        Assert.StartsWith("<table><thead><tr><td><span>A</span></td><td><span>B</span></td></tr></thead><tbody><tr><td><div class=\"dni-plaintext\"><pre>1</pre></div></td>", table.Html);
        Assert.Equal("A,B\n1,b\n2,c", table.Data["text/csv"].ReplaceLineEndings("\n").TrimEnd('\n'));
    }

    [Fact]
    public async Task LatexAndMathStringsShowAsLatex()
    {
        var session = new ScriptSession();
        var latex = (await Run(session, "new LaTeXString(@\"\\frac{1}{2}\")")).Results.Single();
        Assert.Equal("\\frac{1}{2}", latex.Data["text/latex"]);
        // MathString, .NET Interactive's older type, adds the $$ delimiters a formula lacks.
        Assert.Equal("$$x^2$$", (await Run(session, "(MathString)@\"x^2\"")).Results.Single().Data["text/latex"]);
        Assert.Equal("$$y$$", (await Run(session, "new MathString(\"$$y$$\")")).Results.Single().Data["text/latex"]);
    }

    [Fact]
    public async Task ADisplayHandleWithMimeTypesUpdatesItsOwnOutput()
    {
        var session = new ScriptSession();
        var output = await Run(session, "var shown = display(\"a\", \"text/plain\");\nshown.Update(\"b\");");
        Assert.Equal([("display", "a"), ("update", "b")], output.Events.Select(e => (e.Kind, e.Text)));
        Assert.Equal(output.Events[0].Id, output.Events[1].Id);
        // The Formatting package's own Display() returns a handle other than the one it shows, so, as in
        // .NET Interactive, its updates change nothing.
        var package = await Run(session, "\"c\".Display(\"text/plain\").Update(\"d\");");
        Assert.Equal([("display", "c")], package.Events.Select(e => (e.Kind, e.Text)));
    }
}
