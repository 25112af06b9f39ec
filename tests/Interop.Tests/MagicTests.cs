using Xunit.Abstractions;

namespace Interop.Tests;

/// <summary>The magic commands and cell languages of .NET Interactive notebooks, cell by cell against the real engine.</summary>
public class MagicTests(ITestOutputHelper log)
{
    static readonly string[] Cells =
    [
        "var count = 3;\nvar word = \"centre\";",
        "#!who",
        "#!whos",
        "#!value --name greeting\nhello there",
        "#!set --name fromValue --value @value:greeting\nfromValue.Length",
        "#!share --from value greeting\ngreeting",
        "#!set --name plain --value 42\nplain",
        "#!html\n<b>bold</b>",
        "#!value --name page --mime-type text/html\n<i>page</i>",
        "var x = 1;\n#!html\n<p>after C#</p>",
        "x + count",
    ];

    [Fact]
    public async Task MagicsGiveWhatTheRealEngineGives()
    {
        var kit = KitEngine.RunCells(Cells);

        using var engine = new RealEngine();
        for (var i = 0; i < Cells.Length; i++)
        {
            var real = await engine.RunAsync(Cells[i], TimeSpan.FromSeconds(60));
            var verdict = Differences.Classify(Cells[i], real, kit[i], earlierCellEndedDifferently: false);
            log.WriteLine($"{Cells[i]}\n  real: {string.Join(" | ", real.Outputs)}\n  kit:  {string.Join(" | ", kit[i].Outputs)}\n  -> {verdict}");
            Assert.False(real.Failed, real.ErrorText);
            // The kit gives every output the real engine gives, text for text; it may add text/plain where the real engine gives HTML only.
            Assert.Contains(verdict, new[] { Differences.Equal, "equal on the real engine's MIME types; the kit adds text/plain" });
        }
    }
}
