using System.Xml;
using System.Xml.Linq;
using System.Xml.Schema;
using NotebookEngine.Running.Reports;

namespace NotebookEngine.Tests;

/// <summary>The JUnit and TRX reports, checked against what CI servers read.</summary>
public class ReportTests
{
    static readonly DateTimeOffset Start = new(2026, 12, 2, 20, 0, 0, TimeSpan.Zero);

    /// <summary>Two notebooks: a passing cell with output, a failing one whose output holds characters XML cannot, a skipped one.</summary>
    internal static IReadOnlyList<TestSuite> Suites() =>
    [
        new("notebooks/first.ipynb", "first", Start, TimeSpan.FromSeconds(3.5),
        [
            new TestCase("cell 1", TestOutcome.Passed, Start, TimeSpan.FromSeconds(1.25), Output: "hello\n"),
            new TestCase("cell 2", TestOutcome.Failed, Start.AddSeconds(1.25), TimeSpan.FromSeconds(0.5),
                Message: "System.InvalidOperationException: stop \u001b[31mhere\u001b[0m (cell [2], line 1)", Details: "System.InvalidOperationException: stop here\n   at cell [2], line 1",
                Output: "bell \u0007 and backspace \b"),
            new TestCase("cell 3", TestOutcome.Skipped, Start.AddSeconds(2), TimeSpan.Zero, Message: "skipped, as its tag or NBVAL_SKIP asks"),
        ]),
        new("notebooks/second.ipynb", "second", Start.AddSeconds(4), TimeSpan.FromSeconds(1),
        [
            new TestCase("cell 0", TestOutcome.Failed, Start.AddSeconds(4), TimeSpan.FromSeconds(0.1), Message: "outputs differ: stdout", Details: "  [stdout]\n- a\n+ b\n") { OutputsDiffer = true },
        ]),
    ];

    static List<string> Validate(string xml, string xsd)
    {
        var schemas = new XmlSchemaSet();
        schemas.Add(null, xsd);
        var problems = new List<string>();
        var settings = new XmlReaderSettings { ValidationType = ValidationType.Schema, Schemas = schemas };
        settings.ValidationEventHandler += (_, e) => problems.Add($"{e.Severity}: {e.Message}");
        using var reader = XmlReader.Create(new StringReader(xml), settings);
        while (reader.Read()) { }
        return problems;
    }

    static string Schema => Path.Combine(AppContext.BaseDirectory, "Reports", "junit.xsd");

    [Fact]
    public void TheJUnitReportValidatesAgainstTheSchemaJenkinsReadsAndCarriesEachCell()
    {
        var path = Path.Combine(TestHost.TempFolder(), "junit.xml");
        JUnitReport.Save(Suites(), path);
        var xml = File.ReadAllText(path);
        Assert.StartsWith("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<testsuites name=\"csnb\" tests=\"4\" failures=\"2\" errors=\"0\" time=\"4.500\">", xml);
        Assert.Empty(Validate(xml, Schema));
        Assert.Equal("valid", CliTestRunnerTests.ValidateJUnit(path)); // and as libxml2 reads it

        var root = XDocument.Parse(xml).Root!;
        var first = root.Elements("testsuite").First();
        Assert.Equal(["notebooks/first.ipynb", "3", "1", "0", "1", "3.500", "2026-12-02T20:00:00", "0"],
            new[] { "name", "tests", "failures", "errors", "skipped", "time", "timestamp", "id" }.Select(a => (string?)first.Attribute(a)));
        var failed = first.Elements("testcase").ElementAt(1);
        Assert.Equal(["cell 2", "first", "0.500"], new[] { "name", "classname", "time" }.Select(a => (string?)failed.Attribute(a)));
        Assert.Equal("System.InvalidOperationException: stop here (cell [2], line 1)", (string?)failed.Element("failure")!.Attribute("message")); // colours gone
        Assert.Equal("System.InvalidOperationException: stop here\n   at cell [2], line 1", failed.Element("failure")!.Value);
        Assert.Equal("bell \\u0007 and backspace \\u0008", failed.Element("system-out")!.Value); // written out, so the file still parses
        Assert.Equal("skipped, as its tag or NBVAL_SKIP asks", (string?)first.Elements("testcase").Last().Element("skipped")!.Attribute("message"));
        Assert.Equal("  [stdout]\n- a\n+ b\n", root.Elements("testsuite").Last().Element("testcase")!.Element("failure")!.Value);
    }

    [Fact]
    public void TheSchemaRefusesWhatStrictReadersRefuse()
    {
        // The check above can fail: these are the mistakes JUnit writers make.
        Assert.Contains(Validate("""<testsuites skipped="1"><testsuite name="a" tests="1" failures="0" errors="0"/></testsuites>""", Schema),
            p => p.Contains("'skipped' attribute is not declared"));
        Assert.Contains(Validate("""<testsuites><testsuite name="a" tests="1" failures="0"/></testsuites>""", Schema),
            p => p.Contains("'errors' is missing"));
        Assert.Contains(Validate("""<testsuites><testsuite name="a" tests="1" failures="0" errors="0" time="1,5s"/></testsuites>""", Schema),
            p => p.Contains("'time' attribute is invalid"));
        Assert.Contains(Validate("""<testsuites><testsuite name="a" tests="1" failures="0" errors="0"><testcase classname="x"/></testsuite></testsuites>""", Schema),
            p => p.Contains("'name' is missing"));
    }

    /// <summary>Each element with its path from the root, e.g. "/{ns}TestRun/{ns}Results".</summary>
    static IEnumerable<(string Path, XElement Element)> Elements(XDocument document)
    {
        IEnumerable<(string, XElement)> Walk(XElement element, string parent)
        {
            var path = $"{parent}/{{{element.Name.NamespaceName}}}{element.Name.LocalName}";
            return element.Elements().SelectMany(child => Walk(child, path)).Prepend((path, element));
        }
        return Walk(document.Root!, "");
    }

    static HashSet<string> AttributeNames(XElement element) => element.Attributes().Where(a => !a.IsNamespaceDeclaration).Select(a => a.Name.ToString()).ToHashSet();

    /// <summary>
    /// How <paramref name="document"/> differs in shape from the .trx written by `dotnet test --logger trx` (VSTest,
    /// xunit.runner.visualstudio 3.1.4) on a three-test project (one passing test with output, one failing, one skipped):
    /// an element VSTest does not write, an attribute it does not write there or one it writes that is missing, an element
    /// about tests it writes that is missing. Empty when the shapes agree.
    /// </summary>
    internal static List<string> ShapeDifferences(XDocument document)
    {
        // VSTest writes the same attributes on every element of a path.
        var reference = Elements(XDocument.Load(Path.Combine(AppContext.BaseDirectory, "Reports", "vstest-reference.trx")))
            .GroupBy(e => e.Path).ToDictionary(g => g.Key, g => AttributeNames(g.First().Element));
        var ours = Elements(document).ToList();
        var problems = new List<string>();
        if (document.Root!.Name.NamespaceName != "http://microsoft.com/schemas/VisualStudio/TeamTest/2010") problems.Add($"namespace {document.Root.Name.NamespaceName}");
        foreach (var (path, element) in ours)
        {
            var attributes = AttributeNames(element);
            if (!reference.TryGetValue(path, out var expected)) problems.Add($"{path} is not in VSTest's file");
            else if (!expected.SetEquals(attributes)) problems.Add($"{path} has [{string.Join(", ", attributes.Order())}], VSTest writes [{string.Join(", ", expected.Order())}]");
        }
        // The run's own log lines (RunInfos) and the summary's StdOut are optional.
        const string Summary = "/{http://microsoft.com/schemas/VisualStudio/TeamTest/2010}ResultSummary/{http://microsoft.com/schemas/VisualStudio/TeamTest/2010}";
        problems.AddRange(reference.Keys.Except(ours.Select(e => e.Path)).Where(p => !p.Contains(Summary + "RunInfos") && !p.Contains(Summary + "Output")).Select(p => $"{p} is missing"));
        return problems.Distinct().ToList();
    }

    [Fact]
    public void TheTrxReportHasTheShapeVSTestWritesAndItsIdsLinkUp()
    {
        var path = Path.Combine(TestHost.TempFolder(), "results.trx");
        TrxReport.Save(Suites(), Start, Start.AddSeconds(5), path);
        var document = XDocument.Load(path);
        Assert.Empty(ShapeDifferences(document));

        // The check can fail: a JUnit-style attribute, a missing one, an element of another format.
        var wrong = new XDocument(document);
        XNamespace trx = "http://microsoft.com/schemas/VisualStudio/TeamTest/2010";
        var broken = wrong.Descendants(trx + "UnitTestResult").ToList();
        broken[0].SetAttributeValue("classname", "first");
        broken[1].Attribute("testListId")!.Remove();
        broken[2].Add(new XElement(trx + "Failure"));
        Assert.Equal(3, ShapeDifferences(wrong).Count(p => p.Contains("UnitTestResult")));

        XNamespace ns = "http://microsoft.com/schemas/VisualStudio/TeamTest/2010";
        var results = document.Descendants(ns + "UnitTestResult").ToList();
        Assert.Equal(["Passed", "Failed", "NotExecuted", "Failed"], results.Select(r => (string?)r.Attribute("outcome")));
        Assert.Equal(["first.cell 1", "first.cell 2", "first.cell 3", "second.cell 0"], results.Select(r => (string?)r.Attribute("testName")));
        Assert.Equal("00:00:01.2500000", (string?)results[0].Attribute("duration"));
        Assert.Equal("hello\n", results[0].Element(ns + "Output")!.Element(ns + "StdOut")!.Value);
        Assert.Equal("System.InvalidOperationException: stop here\n   at cell [2], line 1", results[1].Descendants(ns + "StackTrace").Single().Value);
        var definitions = document.Descendants(ns + "UnitTest").ToDictionary(d => (string)d.Attribute("id")!);
        var entries = document.Descendants(ns + "TestEntry").ToList();
        foreach (var result in results)
        {
            var definition = definitions[(string)result.Attribute("testId")!];
            Assert.Equal((string?)result.Attribute("executionId"), (string?)definition.Element(ns + "Execution")!.Attribute("id"));
            Assert.Single(entries, e => (string?)e.Attribute("testId") == (string?)result.Attribute("testId") && (string?)e.Attribute("executionId") == (string?)result.Attribute("executionId"));
        }
        var counters = document.Descendants(ns + "Counters").Single();
        Assert.Equal(["4", "3", "1", "2", "1"], new[] { "total", "executed", "passed", "failed", "notExecuted" }.Select(a => (string?)counters.Attribute(a)));
        Assert.Equal("Failed", (string?)document.Descendants(ns + "ResultSummary").Single().Attribute("outcome"));

        // The same test has the same id in the next run; its execution does not.
        TrxReport.Save(Suites(), Start, Start.AddSeconds(5), path);
        var again = XDocument.Load(path).Descendants(ns + "UnitTestResult").ToList();
        Assert.Equal(results.Select(r => (string?)r.Attribute("testId")), again.Select(r => (string?)r.Attribute("testId")));
        Assert.NotEqual((string?)results[0].Attribute("executionId"), (string?)again[0].Attribute("executionId"));
    }
}
