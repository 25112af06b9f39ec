using System.Globalization;
using System.Xml.Linq;

namespace NotebookEngine.Running.Reports;

/// <summary>
/// The JUnit XML report CI servers read (Jenkins, GitLab, GitHub test reporters, Azure DevOps'
/// JUnit format): a <c>testsuite</c> per notebook, a <c>testcase</c> per cell, a <c>failure</c>
/// carrying the error or the diff, a <c>skipped</c> element, the cell's stdout as <c>system-out</c>.
/// Only the elements and attributes of the Ant/Jenkins schema are written, so strict readers accept it.
/// </summary>
public static class JUnitReport
{
    /// <summary>The report of <paramref name="suites"/>.</summary>
    public static XDocument Build(IReadOnlyList<TestSuite> suites)
    {
        var root = new XElement("testsuites",
            new XAttribute("name", "csnb"),
            new XAttribute("tests", suites.Sum(s => s.Cases.Count)),
            new XAttribute("failures", suites.Sum(s => s.Count(TestOutcome.Failed))),
            new XAttribute("errors", 0),
            new XAttribute("time", Seconds(TimeSpan.FromTicks(suites.Sum(s => s.Time.Ticks)))));
        var host = Environment.MachineName;
        foreach (var (suite, id) in suites.Select((s, i) => (s, i)))
        {
            var element = new XElement("testsuite",
                new XAttribute("name", suite.Name),
                new XAttribute("tests", suite.Cases.Count),
                new XAttribute("failures", suite.Count(TestOutcome.Failed)),
                new XAttribute("errors", 0),
                new XAttribute("skipped", suite.Count(TestOutcome.Skipped)),
                new XAttribute("time", Seconds(suite.Time)),
                new XAttribute("timestamp", suite.Start.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture)),
                new XAttribute("hostname", host),
                new XAttribute("id", id));
            foreach (var test in suite.Cases)
            {
                var testcase = new XElement("testcase",
                    new XAttribute("name", test.Name),
                    new XAttribute("classname", suite.ClassName),
                    new XAttribute("time", Seconds(test.Time)));
                if (test.Outcome == TestOutcome.Failed)
                    testcase.Add(new XElement("failure", new XAttribute("message", XmlReport.Clean(test.Message ?? "failed")), XmlReport.Clean(test.Details ?? test.Message ?? "")));
                else if (test.Outcome == TestOutcome.Skipped)
                    testcase.Add(new XElement("skipped", new XAttribute("message", XmlReport.Clean(test.Message ?? "skipped"))));
                if (test.Output is { } output) testcase.Add(new XElement("system-out", XmlReport.Clean(output)));
                element.Add(testcase);
            }
            root.Add(element);
        }
        return new XDocument(root);
    }

    /// <summary>Writes the report of <paramref name="suites"/> to <paramref name="path"/>.</summary>
    public static void Save(IReadOnlyList<TestSuite> suites, string path) => XmlReport.Save(Build(suites), path);

    /// <summary>Seconds with a decimal point and no grouping, the form Surefire's time pattern allows.</summary>
    static string Seconds(TimeSpan time) => time.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture);
}
