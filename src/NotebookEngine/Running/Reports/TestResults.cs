using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using NotebookEngine.Documents;

namespace NotebookEngine.Running.Reports;

/// <summary>How a cell's test ended.</summary>
public enum TestOutcome
{
    /// <summary>Ran as expected (and its outputs matched, when compared).</summary>
    Passed,
    /// <summary>An unexpected error, a missing expected one, a time limit, or outputs that differ.</summary>
    Failed,
    /// <summary>Not run: marked to skip, or the run stopped before it.</summary>
    Skipped,
}

/// <summary>One cell as a test, and what a report shows of it.</summary>
/// <param name="Name">"cell 3": the cell's place in the notebook file, from 0.</param>
/// <param name="Outcome">How it ended.</param>
/// <param name="Start">When it started.</param>
/// <param name="Time">How long it ran.</param>
/// <param name="Message">One line: the error ("Name: value"), why it failed, or why it was skipped.</param>
/// <param name="Details">The traceback or the diff of outputs.</param>
/// <param name="Output">The cell's stdout.</param>
public sealed record TestCase(string Name, TestOutcome Outcome, DateTimeOffset Start, TimeSpan Time, string? Message = null, string? Details = null, string? Output = null)
{
    /// <summary>Failed because its outputs differ from the stored ones; <see cref="Details"/> is then the diff.</summary>
    public bool OutputsDiffer { get; init; }
}

/// <summary>One notebook as a suite of cell tests.</summary>
/// <param name="Name">The notebook's path as given.</param>
/// <param name="ClassName">The notebook's file name without extension, the class of its tests in a report.</param>
/// <param name="Start">When the notebook started.</param>
/// <param name="Time">How long it ran, host start included.</param>
/// <param name="Cases">Its cells' tests, in notebook order.</param>
public sealed record TestSuite(string Name, string ClassName, DateTimeOffset Start, TimeSpan Time, IReadOnlyList<TestCase> Cases)
{
    /// <summary>How many cases ended with <paramref name="outcome"/>.</summary>
    public int Count(TestOutcome outcome) => Cases.Count(c => c.Outcome == outcome);
}

/// <summary>Turns an executed notebook into a suite of cell tests.</summary>
public static partial class CellTests
{
    /// <summary>
    /// The suite of <paramref name="result"/>: one case per non-empty code cell of <paramref name="stored"/>, the
    /// notebook as read. With <paramref name="sanitizers"/>, a cell that ran as expected also has its outputs
    /// compared with its stored ones (see <see cref="OutputCheck"/>), when its marks or, failing those,
    /// <paramref name="checkByDefault"/> say so, and only if the stored cell was executed (as nbval does).
    /// </summary>
    public static TestSuite Of(string name, Notebook stored, NotebookResult result, DateTimeOffset start, TimeSpan time,
        Sanitizers? sanitizers = null, bool checkByDefault = true)
    {
        var stores = Testable(stored);
        var runs = Testable(result.Notebook);
        if (stores.Count != runs.Count) throw new InvalidOperationException($"{name}: the executed notebook has {runs.Count} code cells to test, the stored one {stores.Count}");
        var reports = result.Cells.ToDictionary(r => r.Index);
        var cases = new List<TestCase>();
        for (var k = 0; k < stores.Count; k++)
        {
            var (storedIndex, expected) = stores[k];
            var (runIndex, cell) = runs[k];
            if (string.IsNullOrWhiteSpace(cell.Source)) continue; // nothing runs, nothing to test
            var test = new TestCase($"cell {storedIndex}", TestOutcome.Passed, StartOf(cell) ?? start, TimeSpan.Zero, Output: Stdout(cell));
            cases.Add(reports.GetValueOrDefault(runIndex) switch
            {
                null => test with { Outcome = TestOutcome.Skipped, Message = "not run: the run stopped before this cell" },
                { Skipped: true } => test with { Outcome = TestOutcome.Skipped, Message = "skipped, as its tag or NBVAL_SKIP asks" },
                { Failed: true } report => test with
                {
                    Outcome = TestOutcome.Failed, Time = report.Elapsed,
                    Message = report.MissingError ?? ErrorLine(cell) ?? $"the cell ended {report.Status}",
                    Details = Traceback(cell),
                },
                var report => Checked(test with { Time = report.Elapsed }, expected, cell, sanitizers, checkByDefault),
            });
        }
        return new TestSuite(name, Path.GetFileNameWithoutExtension(name), start, time, cases);
    }

    static TestCase Checked(TestCase test, Cell expected, Cell actual, Sanitizers? sanitizers, bool checkByDefault)
    {
        if (sanitizers is null || !(CellMarks.Of(actual).CheckOutput ?? checkByDefault)) return test;
        if (expected.ExecutionCount is null)
            return expected.Outputs.Count == 0 ? test : test with
            {
                Outcome = TestOutcome.Failed,
                Message = "the stored cell has outputs but no execution count: run the notebook and save it again",
            };
        return OutputCheck.Compare(expected.Outputs, actual.Outputs, sanitizers) is { } difference
            ? test with { Outcome = TestOutcome.Failed, Message = difference.Message, Details = difference.Diff, OutputsDiffer = true }
            : test;
    }

    /// <summary>Code cells paired between the stored and the executed notebook: the runner's own cells (injected parameters, error banner) left out.</summary>
    static List<(int Index, Cell Cell)> Testable(Notebook notebook) =>
        notebook.Cells.Select((c, i) => (i, c))
            .Where(x => x.c.IsCode && !x.c.Tags.Contains(Parameters.InjectedTag) && !x.c.Tags.Contains(ErrorBanner.Tag))
            .ToList();

    static DateTimeOffset? StartOf(Cell cell) =>
        DateTimeOffset.TryParse((string?)cell.Metadata["papermill"]?["start_time"], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) ? time : null;

    static IEnumerable<JsonObject> Outputs(Cell cell, string type) => cell.Outputs.OfType<JsonObject>().Where(o => (string?)o["output_type"] == type);

    static string? Stdout(Cell cell) =>
        string.Concat(Outputs(cell, "stream").Where(o => (string?)o["name"] == "stdout").Select(o => Text.Join(o["text"]))) is { Length: > 0 } text ? text : null;

    /// <summary>The cell's last error as "Name: value", as the console prints it.</summary>
    public static string? ErrorLine(Cell cell) =>
        Outputs(cell, "error").LastOrDefault() is { } error ? $"{(string?)error["ename"]}: {(string?)error["evalue"]}" : null;

    /// <summary>The cell's last error's traceback, without terminal colours.</summary>
    public static string? Traceback(Cell cell) =>
        Outputs(cell, "error").LastOrDefault()?["traceback"] is JsonArray lines && lines.Count > 0
            ? Ansi.Strip(string.Join('\n', lines.Select(l => (string?)l ?? "")))
            : null;
}

/// <summary>Terminal colour codes, which a traceback may carry and a report or page must not.</summary>
public static partial class Ansi
{
    /// <summary><paramref name="text"/> without ANSI colour sequences.</summary>
    public static string Strip(string text) => Codes().Replace(text, "");

    [GeneratedRegex(@"\x1b\[[0-9;]*m")]
    private static partial Regex Codes();
}
