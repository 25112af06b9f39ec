using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;

namespace NotebookEngine.Running.Reports;

/// <summary>
/// The Visual Studio test results file (.trx) that Azure DevOps' "Publish test results" and Visual
/// Studio read, in the shape VSTest's own trx logger writes it (the same elements, attributes and
/// namespace): a <c>UnitTestResult</c> and a <c>UnitTest</c> definition per cell, linked by ids,
/// entries in VSTest's default test list, and the run's counters.
/// </summary>
public static class TrxReport
{
    static readonly XNamespace Ns = "http://microsoft.com/schemas/VisualStudio/TeamTest/2010";

    // Fixed ids of the format: the unit-test type, "Results Not in a List" and "All Loaded Results".
    const string UnitTestType = "13cdc9d9-ddb5-4fa4-a97d-d965ccfc6d4b";
    const string ResultsNotInAList = "8c84fa94-04c1-424b-9868-57a2d4851a1d";
    const string AllLoadedResults = "19431567-8539-422a-85d7-44ee4e166bda";

    /// <summary>The report of <paramref name="suites"/>, run from <paramref name="start"/> to <paramref name="finish"/>.</summary>
    public static XDocument Build(IReadOnlyList<TestSuite> suites, DateTimeOffset start, DateTimeOffset finish)
    {
        var host = Environment.MachineName;
        var user = Environment.UserName;
        var name = $"{user}@{host} {finish.UtcDateTime:yyyy-MM-dd HH:mm:ss}";
        var results = new XElement(Ns + "Results");
        var definitions = new XElement(Ns + "TestDefinitions");
        var entries = new XElement(Ns + "TestEntries");
        foreach (var suite in suites)
        {
            var storage = Path.GetFullPath(suite.Name);
            foreach (var test in suite.Cases)
            {
                var testId = StableId(storage + "::" + test.Name);
                var executionId = Guid.NewGuid().ToString();
                var result = new XElement(Ns + "UnitTestResult",
                    new XAttribute("executionId", executionId),
                    new XAttribute("testId", testId),
                    new XAttribute("testName", $"{suite.ClassName}.{test.Name}"),
                    new XAttribute("computerName", host),
                    new XAttribute("duration", test.Time.ToString(@"hh\:mm\:ss\.fffffff")),
                    new XAttribute("startTime", test.Start.ToString("o")),
                    new XAttribute("endTime", (test.Start + test.Time).ToString("o")),
                    new XAttribute("testType", UnitTestType),
                    new XAttribute("outcome", test.Outcome switch { TestOutcome.Passed => "Passed", TestOutcome.Failed => "Failed", _ => "NotExecuted" }),
                    new XAttribute("testListId", ResultsNotInAList),
                    new XAttribute("relativeResultsDirectory", executionId));
                var output = new XElement(Ns + "Output");
                if (test.Output is { } stdout) output.Add(new XElement(Ns + "StdOut", XmlReport.Clean(stdout)));
                if (test.Outcome != TestOutcome.Passed)
                {
                    var error = new XElement(Ns + "ErrorInfo", new XElement(Ns + "Message", XmlReport.Clean(test.Message ?? "")));
                    if (test.Details is { } details) error.Add(new XElement(Ns + "StackTrace", XmlReport.Clean(details)));
                    output.Add(error);
                }
                if (output.HasElements) result.Add(output);
                results.Add(result);
                definitions.Add(new XElement(Ns + "UnitTest",
                    new XAttribute("name", $"{suite.ClassName}.{test.Name}"),
                    new XAttribute("storage", storage),
                    new XAttribute("id", testId),
                    new XElement(Ns + "Execution", new XAttribute("id", executionId)),
                    new XElement(Ns + "TestMethod",
                        new XAttribute("codeBase", storage),
                        new XAttribute("adapterTypeName", "executor://csnb/"),
                        new XAttribute("className", suite.ClassName),
                        new XAttribute("name", test.Name))));
                entries.Add(new XElement(Ns + "TestEntry",
                    new XAttribute("testId", testId), new XAttribute("executionId", executionId), new XAttribute("testListId", ResultsNotInAList)));
            }
        }
        var cases = suites.SelectMany(s => s.Cases).ToList();
        int passed = cases.Count(c => c.Outcome == TestOutcome.Passed), failed = cases.Count(c => c.Outcome == TestOutcome.Failed);
        var counters = new XElement(Ns + "Counters",
            new XAttribute("total", cases.Count), new XAttribute("executed", passed + failed), new XAttribute("passed", passed),
            new XAttribute("failed", failed), new XAttribute("error", 0), new XAttribute("timeout", 0), new XAttribute("aborted", 0),
            new XAttribute("inconclusive", 0), new XAttribute("passedButRunAborted", 0), new XAttribute("notRunnable", 0),
            new XAttribute("notExecuted", cases.Count - passed - failed), new XAttribute("disconnected", 0), new XAttribute("warning", 0),
            new XAttribute("completed", 0), new XAttribute("inProgress", 0), new XAttribute("pending", 0));
        var run = new XElement(Ns + "TestRun",
            new XAttribute("id", Guid.NewGuid().ToString()),
            new XAttribute("name", name),
            new XElement(Ns + "Times",
                new XAttribute("creation", finish.ToString("o")), new XAttribute("queuing", finish.ToString("o")),
                new XAttribute("start", start.ToString("o")), new XAttribute("finish", finish.ToString("o"))),
            new XElement(Ns + "TestSettings", new XAttribute("name", "default"), new XAttribute("id", Guid.NewGuid().ToString()),
                new XElement(Ns + "Deployment", new XAttribute("runDeploymentRoot", $"{user}_{host}_{finish.UtcDateTime:yyyy-MM-dd_HH_mm_ss}"))),
            results,
            definitions,
            entries,
            new XElement(Ns + "TestLists",
                new XElement(Ns + "TestList", new XAttribute("name", "Results Not in a List"), new XAttribute("id", ResultsNotInAList)),
                new XElement(Ns + "TestList", new XAttribute("name", "All Loaded Results"), new XAttribute("id", AllLoadedResults))),
            new XElement(Ns + "ResultSummary", new XAttribute("outcome", failed == 0 ? "Completed" : "Failed"), counters));
        return new XDocument(run);
    }

    /// <summary>Writes the report of <paramref name="suites"/> to <paramref name="path"/>.</summary>
    public static void Save(IReadOnlyList<TestSuite> suites, DateTimeOffset start, DateTimeOffset finish, string path) =>
        XmlReport.Save(Build(suites, start, finish), path);

    /// <summary>The same test gets the same id in every run (VSTest derives it from the test's name too), so history lines up across runs.</summary>
    static string StableId(string key) => new Guid(SHA256.HashData(Encoding.UTF8.GetBytes(key))[..16]).ToString();
}
