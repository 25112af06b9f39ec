using System.Text.Json.Nodes;
using NotebookKernel;

namespace NotebookEngine.Tests;

/// <summary>The kernel's input history: one SQLite file per user, a session per kernel start.</summary>
public class HistoryTests
{
    static string Json(JsonNode node) => node.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

    [Fact]
    public void TailRangeAndSearchAnswerAsIPythonsHistoryDoes()
    {
        var folder = TestHost.TempFolder();
        int first;
        using (var earlier = new History(folder))
        {
            first = earlier.Session;
            earlier.Add(1, "var a = 1;");
            earlier.Add(2, "a + 1");
            earlier.SetOutput(2, "2");
        }
        using var history = new History(folder); // a kernel restart: the earlier session is kept
        Assert.Equal(first + 1, history.Session);
        history.Add(1, "a * 2");
        history.Add(2, "var b = 3;");
        history.Add(3, "a + 1");

        Assert.Equal($"[[{first},2,\"a + 1\"],[{first + 1},1,\"a * 2\"],[{first + 1},2,\"var b = 3;\"],[{first + 1},3,\"a + 1\"]]", Json(history.Tail(4, output: false)));
        Assert.Equal($"[[{first},1,[\"var a = 1;\",null]],[{first},2,[\"a + 1\",\"2\"]]]", Json(history.Range(first, 1, null, output: true)));
        Assert.Equal($"[[{first},2,\"a + 1\"]]", Json(history.Range(-1, 2, 3, output: false)));   // -1: the session before this one
        Assert.Equal($"[[{first + 1},2,\"var b = 3;\"]]", Json(history.Range(0, 2, 3, output: false))); // 0: this one
        Assert.Equal($"[[{first},2,\"a + 1\"],[{first + 1},1,\"a * 2\"],[{first + 1},3,\"a + 1\"]]", Json(history.Search("a [*+]*", null, unique: false, output: false)));
        Assert.Equal($"[[{first + 1},1,\"a * 2\"],[{first + 1},3,\"a + 1\"]]", Json(history.Search("a [*+]*", null, unique: true, output: false)));
        Assert.Equal($"[[{first + 1},3,\"a + 1\"]]", Json(history.Search("a [*+]*", 1, unique: false, output: false)));
        Assert.Equal("[]", Json(history.Search("nothing*", null, unique: false, output: false)));
    }

    [Fact]
    public async Task TwoKernelsWritingAtOnceLoseNothing()
    {
        var folder = TestHost.TempFolder();
        using var one = new History(folder);
        using var two = new History(folder);
        await Task.WhenAll(
            Task.Run(() => { for (var line = 1; line <= 300; line++) one.Add(line, $"one {line}"); }),
            Task.Run(() => { for (var line = 1; line <= 300; line++) two.Add(line, $"two {line}"); }));
        using var reader = new History(folder);
        Assert.Equal(300, reader.Range(one.Session, 1, null, output: false).Count);
        Assert.Equal(300, reader.Range(two.Session, 1, null, output: false).Count);
        Assert.NotEqual(one.Session, two.Session);
    }
}
