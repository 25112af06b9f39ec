using NotebookEngine.Display;
using NotebookEngine.Scripting;

namespace NotebookEngine.Tests;

public class SessionTests
{
    static async Task<(CellStatus Status, RecordingOutput Output)> Run(ScriptSession session, string code, TimeSpan? timeout = null, CancellationToken cancel = default)
    {
        var output = new RecordingOutput();
        var status = await session.ExecuteAsync(code, output, timeout, cancel);
        return (status, output);
    }

    [Fact]
    public async Task VariablesTypesAndUsingsCarryFromCellToCell()
    {
        var session = new ScriptSession();
        Assert.Equal(CellStatus.Ok, (await Run(session, "using System.Numerics;\nvar total = 40;\nrecord Point(int X, int Y);")).Status);
        var (status, output) = await Run(session, "total += new Point(1, 1).X + 1;\nBigInteger.Pow(2, 70) + total");
        Assert.Equal(CellStatus.Ok, status);
        Assert.Equal("1180591620717411303466", output.Results.Single().PlainText); // 2^70 + 42
        Assert.Equal(2, session.ExecutionCount);
    }

    [Fact]
    public async Task TheWholeFrameworkIsThereWithoutAReference()
    {
        var session = new ScriptSession();
        var (status, output) = await Run(session, "System.Xml.Linq.XElement.Parse(\"<a>7</a>\").Value + new System.Net.Http.HttpClient().Timeout.TotalSeconds");
        Assert.Equal(CellStatus.Ok, status);
        Assert.Equal("7100", output.Results.Single().PlainText);
    }

    [Fact]
    public async Task TrailingExpressionGivesAResultOnlyWhenItHasAValue()
    {
        var session = new ScriptSession();
        Assert.Equal("6", (await Run(session, "1 + 2 + 3")).Output.Results.Single().PlainText);
        Assert.Empty((await Run(session, "var x = 1;")).Output.Results);
        Assert.Empty((await Run(session, "Console.Write(\"\")")).Output.Results); // void
        Assert.Equal("<null>", (await Run(session, "(string?)null")).Output.Results.Single().PlainText);
    }

    [Fact]
    public async Task ConsoleOutputBecomesStreamsOfTheCell()
    {
        var (_, output) = await Run(new ScriptSession(), "Console.WriteLine(\"to out\");\nConsole.Error.Write(\"to err\");\nawait Task.Run(() => Console.Write(\"from a task\"));");
        Assert.Equal("to out\nfrom a task", output.Stdout.Replace("\r", ""));
        Assert.Equal("to err", string.Concat(output.Events.Where(e => e.Kind == "stderr").Select(e => e.Text)));
    }

    [Fact]
    public async Task DisplayHandlesUpdateTheirOwnOutput()
    {
        var (_, output) = await Run(new ScriptSession(), "var h = display(\"epoch 0\");\nfor (var i = 1; i <= 3; i++) h.Update($\"epoch {i}\");\n\"done\".Display();");
        var first = output.Events[0];
        Assert.Equal(("display", "epoch 0"), (first.Kind, first.Text));
        Assert.Equal(["epoch 1", "epoch 2", "epoch 3"], output.Events.Where(e => e.Kind == "update").Select(e => e.Text));
        Assert.All(output.Events.Where(e => e.Kind == "update"), e => Assert.Equal(first.Id, e.Id));
        Assert.Equal("done", output.Events[^1].Text);
        Assert.NotEqual(first.Id, output.Events[^1].Id);
    }

    [Fact]
    public async Task HtmlChartsAndDataFramesDisplayAsHtml()
    {
        var session = new ScriptSession();
        var html = (await Run(session, "display(HTML(\"<b>bold</b>\"));")).Output.Events.Single().Data!;
        Assert.Equal("<b>bold</b>", html.Html);

        var chart = "Plotly.NET.CSharp.Chart.Point<int, int, string>(new[] { 1, 2 }, new[] { 3, 4 })";
        var first = (await Run(session, $"#r \"nuget: Plotly.NET.CSharp, 0.14.0\"\ndisplay({chart});")).Output.Events.Skip(1).ToList(); // after the packages line
        Assert.Equal(2, first.Count); // plotly.js once, then the chart
        Assert.Contains("plotly.js v2.28.0", first[0].Data!.Html);
        Assert.Contains("Plotly.newPlot(", first[1].Data!.Html);
        Assert.Contains("\"x\":[1,2]", first[1].Data!.Html);
        var second = (await Run(session, chart)).Output.Events;
        Assert.Equal("Plotly.NET chart", second.Single().Data!.PlainText); // no second copy of plotly.js
        Assert.DoesNotContain("plotly.js v", second.Single().Data!.Html);

        var frame = (await Run(session, "new Microsoft.Data.Analysis.DataFrame(new Microsoft.Data.Analysis.Int32DataFrameColumn(\"n\", Enumerable.Range(100, 25)))")).Output.Results.Single();
        Assert.Contains("<th>n</th>", frame.Html);
        Assert.Contains("<td>119</td>", frame.Html);       // row 20 shown
        Assert.DoesNotContain("<td>120</td>", frame.Html); // row 21 not
        Assert.Contains("25 rows × 1 columns, first 20 shown", frame.Html);
        var doubles = (await Run(session, "new Microsoft.Data.Analysis.DataFrame(new Microsoft.Data.Analysis.DoubleDataFrameColumn(\"x\", new[] { 1.0 / 3, 2.5 }))")).Output.Results.Single();
        Assert.Equal("       x\n0.333333\n     2.5\n2 rows × 1 columns", doubles.PlainText); // six significant digits, right-aligned
        Assert.Contains("<td>0.333333</td>", doubles.Html);
        // Numbers as .NET Interactive shows them: plain text, and HTML in its dni-plaintext block.
        var number = (await Run(session, "42")).Output.Results.Single();
        Assert.Equal("42", number.PlainText);
        Assert.StartsWith("<div class=\"dni-plaintext\"><pre>42</pre></div>", number.Html);
    }

    [Fact]
    public async Task CompileErrorsGivePositionsInsideTheCellEvenWhenLoopsAreInstrumented()
    {
        var session = new ScriptSession();
        var (status, output) = await Run(session, "var n = 0;\nfor (var i = 0; i < 3; i++) { n += unknown; }\nwhile (n < 3) n++; n += 1 + missing;");
        Assert.Equal(CellStatus.Error, status);
        var error = output.Errors.Single();
        Assert.Equal("CompilationError", error.Name);
        Assert.Equal(
            ["cell [1] (2,36): error CS0103: The name 'unknown' does not exist in the current context",
             "cell [1] (3,29): error CS0103: The name 'missing' does not exist in the current context"],
            error.Traceback);
    }

    [Fact]
    public async Task RuntimeExceptionsNameTypeMessageCellAndLineAndKeepEarlierState()
    {
        var session = new ScriptSession();
        var (status, output) = await Run(session, "var before = 7;\nint Divide(int a, int b)\n{\n    return a / b;\n}\nDivide(1, 0);\nvar after = 1;");
        Assert.Equal(CellStatus.Error, status);
        var error = output.Errors.Single();
        Assert.Equal("System.DivideByZeroException", error.Name);
        Assert.Equal("Attempted to divide by zero. (cell [1], line 4)", error.Value);
        Assert.Equal(["System.DivideByZeroException: Attempted to divide by zero.", "   at Divide() in cell [1], line 4", "   at cell [1], line 6"], error.Traceback);
        Assert.Equal("7", (await Run(session, "before")).Output.Results.Single().PlainText);
    }

    [Fact]
    public async Task ATimeoutCancelsARunawayCellAndTheSessionGoesOn()
    {
        var session = new ScriptSession();
        await Run(session, "var warm = 1;"); // the time limit counts compilation too; the first one is the slow one
        var (status, output) = await Run(session, "var marker = 5;\nvar spins = 0L;\nwhile (true) spins++;", TimeSpan.FromSeconds(1.5));
        Assert.Equal(CellStatus.TimedOut, status);
        Assert.Equal("TimeoutError", output.Errors.Single().Name);
        Assert.Equal("cell [2] did not finish within 1.5 s and was cancelled", output.Errors.Single().Value);
        Assert.False(session.IsStuck);
        var next = await Run(session, "marker");
        Assert.Equal("5", next.Output.Results.Single().PlainText);
    }

    /// <summary>Runs a cell and interrupts it once it has written "running" (so never while it compiles, however slow the machine).</summary>
    static async Task<(CellStatus Status, RecordingOutput Output)> RunAndInterrupt(ScriptSession session, string code)
    {
        var output = new RecordingOutput();
        using var interrupt = new CancellationTokenSource();
        var status = await session.ExecuteAsync(code, new InterruptWhenRunning(output, interrupt), cancellation: interrupt.Token);
        return (status, output);
    }

    sealed class InterruptWhenRunning(RecordingOutput inner, CancellationTokenSource interrupt) : ICellOutput
    {
        public void Stream(string name, string text)
        {
            inner.Stream(name, text);
            if (text.Contains("running")) interrupt.CancelAfter(200);
        }
        public void Display(DisplayData data, string displayId) => inner.Display(data, displayId);
        public void UpdateDisplay(DisplayData data, string displayId) => inner.UpdateDisplay(data, displayId);
        public void Result(DisplayData data) => inner.Result(data);
        public void Error(CellError error) => inner.Error(error);
        public void ClearOutput(bool wait) => inner.ClearOutput(wait);
    }

    [Fact]
    public async Task AnInterruptStopsACallbackLoopAndACellThatIgnoresItMakesTheSessionStuck()
    {
        var session = new ScriptSession(new SessionOptions { StopGrace = TimeSpan.FromSeconds(2) });
        var (status, output) = await RunAndInterrupt(session, "void Step(int i) { Thread.Sleep(5); }\nvar k = 0;\nConsole.WriteLine(\"running\");\nwhile (true) Step(k++);");
        Assert.Equal(CellStatus.Interrupted, status);
        Assert.Equal("Interrupted", output.Errors.Single().Name);

        // A query of expression lambdas inside the BCL has no check to stop at and no wait to wake.
        var stuck = await RunAndInterrupt(session, "Console.WriteLine(\"running\");\nEnumerable.Range(0, int.MaxValue).SelectMany(i => Enumerable.Range(0, int.MaxValue)).LongCount()");
        Assert.Equal(CellStatus.Interrupted, stuck.Status);
        Assert.Equal("cell [2] was interrupted; it did not stop within 2 s, so this session can run no more cells (restart it)", stuck.Output.Errors.Single().Value);
        Assert.True(session.IsStuck);
        Assert.Equal("SessionStuck", (await Run(session, "1")).Output.Errors.Single().Name);
    }

    [Theory]
    [InlineData("Thread.Sleep(60000);")]
    [InlineData("await Task.Delay(60000);")]
    [InlineData("Task.Delay(60000).Wait();")]
    [InlineData("var value = Task.Run(async () => { await Task.Delay(60000); return 1; }).Result;")]
    [InlineData("new SemaphoreSlim(0).Wait();")]
    [InlineData("var gate = new object();\nlock (gate) Monitor.Wait(gate);")]
    [InlineData("await Task.Run(() => Thread.Sleep(60000));")]
    public async Task AnInterruptWakesABlockingWaitAndTheCellsStateIsKept(string wait)
    {
        // A grace of one second: a wait that is not woken makes the session stuck and fails the test.
        var session = new ScriptSession(new SessionOptions { StopGrace = TimeSpan.FromSeconds(1) });
        await Run(session, "var kept = 41;");
        var (status, output) = await RunAndInterrupt(session, "Console.WriteLine(\"running\");\n" + wait + "\nkept = 0;");
        Assert.Equal(CellStatus.Interrupted, status);
        Assert.True(output.Errors.Count == 1, string.Join(" | ", output.Errors.Select(e => e.Name + ": " + e.Value)));
        Assert.Equal("cell [2] was interrupted", output.Errors.Single().Value);
        Assert.False(session.IsStuck);
        Assert.Equal("41", (await Run(session, "kept")).Output.Results.Single().PlainText);
        Assert.Equal("ok", (await Run(session, "Thread.Sleep(10); await Task.Delay(10); \"ok\"")).Output.Results.Single().PlainText); // no interrupt left pending
    }

    [Fact]
    public async Task MagicCommandsAndLanguages()
    {
        var session = new ScriptSession();
        var timed = await Run(session, "#!csharp\n#!time\n1 + 1");
        Assert.Equal("2", timed.Output.Results.Single().PlainText);
        Assert.Matches(@"^Wall time: [0-9.]+ ms\n$", timed.Output.Stdout);

        var unknown = await Run(session, "var a = 1;\n#!whos");
        Assert.Equal("DirectiveError", unknown.Output.Errors.Single().Name);
        Assert.Equal("cell [2], line 2: unknown magic command '#!whos' (known: #!csharp, #!time)", unknown.Output.Errors.Single().Value);
        var fsharp = await Run(session, "#!fsharp\nlet x = 1");
        Assert.Contains("another language", fsharp.Output.Errors.Single().Value);
    }
}
