namespace Interop.Tests;

/// <summary>
/// The .NET Interactive helpers the kit carries (display with MIME types, Javascript, DisplayTable,
/// LaTeXString, the Kernel class) give what the real engine gives, cell by cell.
/// </summary>
public class HelperTests
{
    static readonly string[] Cells =
    [
        "using Microsoft.DotNet.Interactive;\nusing Microsoft.DotNet.Interactive.Formatting;",
        "display(\"<b>x</b>\", \"text/html\");",
        "display(new { Name = \"a\", Size = 2 }, \"text/html\", \"text/plain\");",
        "Kernel.display(42, \"text/plain\");",
        "Javascript(\"console.log('hi')\");",
        "new[] { new { A = 1, B = \"b\" }, new { A = 2, B = \"c\" } }.DisplayTable();",
        "\"<i>as is</i>\".DisplayAs(\"text/html\");",
    ];

    [Fact]
    public async Task HelpersGiveWhatTheRealEngineGives()
    {
        var kit = KitEngine.RunCells(Cells);

        using var engine = new RealEngine();
        for (var i = 0; i < Cells.Length; i++)
        {
            var real = await engine.RunAsync(Cells[i], TimeSpan.FromSeconds(60));
            Assert.False(real.Failed, real.ErrorText);
            Assert.True(Differences.Classify(Cells[i], real, kit[i], earlierCellEndedDifferently: false) == Differences.Equal,
                $"{Cells[i]}\nreal: {string.Join(" | ", real.Outputs)}\nkit:  {string.Join(" | ", kit[i].Outputs)}");
        }
    }

    [Fact]
    public async Task LaTeXStringAndHtmlResultsMatchWithTheKitsTextAndCssAddsAStyleSheetThroughAScript()
    {
        var cells = new[] { "using Microsoft.DotNet.Interactive.Formatting;\nnew LaTeXString(@\"\\frac{1}{2}\")", "CSS(\"p { color: red; }\");", "HTML(\"<b>bold</b>\")" };
        var kit = KitEngine.RunCells(cells);
        using var engine = new RealEngine();

        var latex = await engine.RunAsync(cells[0], TimeSpan.FromSeconds(60));
        Assert.Equal("\\frac{1}{2}", latex.Outputs.Single().Data["text/latex"]);
        Assert.Equal("equal on the real engine's MIME types; the kit adds text/plain", Differences.Classify(cells[0], latex, kit[0], false));

        // The real engine's script is its own text; the kit's differs but is also HTML only, a script that adds the sheet.
        var css = (await engine.RunAsync(cells[1], TimeSpan.FromSeconds(60))).Outputs.Single();
        var mine = kit[1].Outputs.Single();
        Assert.Equal("display", mine.Kind);
        Assert.Equal(["text/html"], mine.Data.Keys);
        Assert.Equal(css.Data.Keys, mine.Data.Keys);
        Assert.StartsWith("<script type=\"text/javascript\">", css.Data["text/html"]);
        Assert.Equal("<script type=\"text/javascript\">document.head.appendChild(Object.assign(document.createElement('style'), { textContent: \"p { color: red; }\" }));</script>", mine.Data["text/html"]);

        // A trailing value keeps the kit's text/plain beside the real engine's MIME types.
        var html = await engine.RunAsync(cells[2], TimeSpan.FromSeconds(60));
        Assert.Equal("<b>bold</b>", html.Outputs.Single().Data["text/html"]);
        Assert.Equal("equal on the real engine's MIME types; the kit adds text/plain", Differences.Classify(cells[2], html, kit[2], false));
    }
}
