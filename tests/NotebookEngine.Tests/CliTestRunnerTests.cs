using System.Globalization;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using NotebookEngine.Documents;
using NotebookEngine.Running;

namespace NotebookEngine.Tests;

/// <summary>csnb as a notebook test runner in CI: papermill's and nbval's conventions, csnb test, reports, live progress, -j.</summary>
public class CliTestRunnerTests
{
    static (int Code, string Out, string Err) Cli(params string[] args) => CliTests.Cli(args);

    /// <summary>A copy of the fixture <paramref name="name"/> in <paramref name="folder"/>, so that what its cells write stays there.</summary>
    static string Copy(string name, string folder)
    {
        var path = Path.Combine(folder, name);
        File.Copy(TestHost.Fixture(name), path);
        return path;
    }

    static string Stdout(Cell cell) => string.Concat(cell.Outputs.Where(o => (string?)o!["output_type"] == "stream").Select(o => Text.Join(o!["text"])));

    static JsonObject Papermill(Cell cell) => (JsonObject)cell.Metadata["papermill"]!;

    static DateTimeOffset Time(JsonNode? node) => DateTimeOffset.Parse((string)node!, CultureInfo.InvariantCulture);

    /// <summary>"valid", or what Debian's libxml2 (through lxml) says is wrong with the JUnit file against the Jenkins schema.</summary>
    internal static string ValidateJUnit(string path) => Processes.Run("/usr/bin/python3",
    [
        "-c", "import sys; from lxml import etree; s = etree.XMLSchema(etree.parse(sys.argv[1])); ok = s.validate(etree.parse(sys.argv[2])); print('valid' if ok else s.error_log)",
        Path.Combine(AppContext.BaseDirectory, "Reports", "junit.xsd"), path,
    ]) switch
    {
        (0, var stdout, _) => stdout.Trim(),
        var (_, stdout, stderr) => stdout + stderr,
    };

    [Fact]
    public void TagsParameterFilesRawValuesAndCwdWorkAsInPapermillAndEachCellRecordsItsTimes()
    {
        var folder = TestHost.TempFolder();
        var notebook = Copy("conventions.ipynb", folder);
        var cwd = Directory.CreateDirectory(Path.Combine(folder, "elsewhere")).FullName;
        var json = Path.Combine(folder, "p.json");
        File.WriteAllText(json, """{"epochs": 4, "label": "from the file"}""");
        var yaml = Path.Combine(folder, "p.yaml");
        File.WriteAllText(yaml, "epochs: 5  # a later file wins\n");
        var output = Path.Combine(folder, "out");

        var (code, stdout, stderr) = Cli("run", notebook, "-o", output, "-f", json, "-f", yaml, "-r", "label", "raw \"7\"", "--cwd", cwd, "--quiet");
        Assert.True(code == 0, stdout + stderr);
        Assert.DoesNotContain("⋯", stderr); // --quiet: no live progress
        Assert.Matches(@"cell +3 \[4\] +[0-9.]+ s  error \(expected\)", stdout);
        Assert.Matches(@"cell +4 \[ \] +0\.00 s  skipped", stdout);
        Assert.Equal(cwd, File.ReadAllText(Path.Combine(cwd, "ran-in.txt")));
        Assert.False(File.Exists(Path.Combine(folder, "ran-in.txt")));

        Assert.Equal("valid", CliTests.Validate(Path.Combine(output, "conventions.ipynb")));
        var executed = Notebook.Load(Path.Combine(output, "conventions.ipynb"));
        var cells = executed.Cells;
        Assert.Equal("// Parameters (injected)\nvar epochs = 5;\nvar label = \"raw \\\"7\\\"\";", cells[1].Source);
        Assert.Equal("raw \"7\": 5\n", Stdout(cells[2]));
        Assert.Equal("System.InvalidOperationException", (string?)cells[3].Outputs.Single()!["ename"]);
        Assert.Null(cells[4].ExecutionCount);
        Assert.Empty(cells[4].Outputs);
        Assert.Equal("after\n", Stdout(cells[5]));
        Assert.Equal(5, cells[5].ExecutionCount);

        // papermill's records: the notebook's parameters and times, and each cell's.
        var run = (JsonObject)executed.Metadata["papermill"]!;
        Assert.Equal(["epochs", "label"], ((JsonObject)run["parameters"]!).Select(p => p.Key));
        Assert.Equal(["5", "raw \"7\""], ((JsonObject)run["parameters"]!).Select(p => (string?)p.Value));
        Assert.False((bool)run["exception"]!);
        Assert.Equal(["completed", "completed", "completed", "completed", "pending", "completed"], cells.Select(c => (string?)Papermill(c)["status"]));
        foreach (var cell in cells.Where(c => c.ExecutionCount is not null))
        {
            var record = Papermill(cell);
            var (start, end) = (Time(record["start_time"]), Time(record["end_time"]));
            Assert.InRange(start, Time(run["start_time"]), end);
            Assert.InRange(end, start, Time(run["end_time"]));
            Assert.Equal((end - start).TotalSeconds, (double)record["duration"]!, 5);
            Assert.False((bool)record["exception"]!); // an expected error is no exception of the run
            Assert.Equal((string?)record["end_time"], (string?)cell.Metadata["execution"]!["shell.execute_reply"]); // nbclient's key
        }
        Assert.Null(Papermill(cells[4])["start_time"]);
        Assert.Null(cells[4].Metadata["execution"]);
        Assert.Equal((Time(run["end_time"]) - Time(run["start_time"])).TotalSeconds, (double)run["duration"]!, 5);
        Assert.DoesNotContain(cells, c => c.Tags.Contains(ErrorBanner.Tag));
    }

    [Fact]
    public void PrepareOnlyInjectsTheParametersAndRunsNothingAndBadParameterInputIsNamed()
    {
        var folder = TestHost.TempFolder();
        var notebook = Copy("conventions.ipynb", folder);
        var output = Path.Combine(folder, "out");
        var (code, stdout, stderr) = Cli("run", notebook, "--prepare-only", "-o", output, "-p", "epochs=9");
        Assert.True(code == 0, stdout + stderr);
        Assert.EndsWith("1 notebook(s) prepared, none run\n", stdout);
        var prepared = Notebook.Load(Path.Combine(output, "conventions.ipynb"));
        Assert.Equal("// Parameters (injected)\nvar epochs = 9;", prepared.Cells[1].Source);
        Assert.All(prepared.Cells, c => Assert.Null(c.ExecutionCount));
        Assert.All(prepared.Cells, c => Assert.Equal("pending", (string?)Papermill(c)["status"]));
        Assert.False(File.Exists(Path.Combine(folder, "ran-in.txt")));
        Assert.Equal("valid", CliTests.Validate(Path.Combine(output, "conventions.ipynb")));

        var list = Path.Combine(folder, "list.yaml");
        File.WriteAllText(list, "epochs: [1, 2]\n");
        Assert.Equal((2, "", $"csnb: {list}: parameter 'epochs' must be a single value (number, text or true/false), got a list\n"),
            Cli("run", notebook, "--prepare-only", "-o", output, "-f", list));
        Assert.Equal((2, "", "csnb: parameter 'epochs' is int, like its default 3; a raw value is a string and fits only a string parameter\n"),
            Cli("run", notebook, "--prepare-only", "-o", output, "-r", "epochs", "5"));
        Assert.Equal(2, Cli("run", notebook, "-r", "label").Code);
    }

    [Fact]
    public void AFailedRunGetsPapermillsErrorBannerAndTheConsoleShowsTheError()
    {
        var folder = TestHost.TempFolder();
        var input = Directory.CreateDirectory(Path.Combine(folder, "in")).FullName;
        Copy("failing.ipynb", input);
        var unraised = Notebook.Create();
        unraised.InsertCell(0, Cell.Code("Console.WriteLine(\"no error here\");", CellMarks.RaisesExceptionTag));
        unraised.Save(Path.Combine(input, "unraised.ipynb"));
        var output = Path.Combine(folder, "out");

        var junit = Path.Combine(folder, "junit.xml");
        var (code, stdout, stderr) = Cli("run", input, "-o", output, "--report", junit);
        Assert.Equal(1, code);
        Assert.Contains("cell   1 [2]", stdout);
        Assert.Contains("    System.InvalidOperationException: stop here (cell [2], line 1)\n      at cell [2], line 1\n", stdout);
        Assert.Contains("    the cell is marked to raise an exception, but it ran without one\n", stdout);
        Assert.Contains("2 notebook(s): 0 ok, 2 failed", stdout);
        Assert.Contains("  ⋯ unraised.ipynb cell 0 │ no error here", stderr);

        var failing = Notebook.Load(Path.Combine(output, "failing.ipynb"));
        Assert.Equal("valid", CliTests.Validate(Path.Combine(output, "failing.ipynb")));
        Assert.Equal(["markdown", "code", "markdown", "code", "code"], failing.Cells.Select(c => c.CellType));
        var banner = failing.Cells[0];
        Assert.Equal([ErrorBanner.Tag], banner.Tags);
        Assert.Contains("<a href=\"#papermill-error-cell\">In [2]</a>: System.InvalidOperationException: stop here (cell [2], line 1)", banner.Source);
        Assert.Contains("id=\"papermill-error-cell\"", failing.Cells[2].Source); // the anchor, right before the failing cell
        Assert.Equal("throw new InvalidOperationException(\"stop here\");", failing.Cells[3].Source);
        Assert.Equal(["completed", "failed", "pending"], failing.Cells.Where(c => c.IsCode).Select(c => (string?)Papermill(c)["status"]));
        Assert.True((bool)Papermill(failing.Cells[3])["exception"]!);
        Assert.True((bool)failing.Metadata["papermill"]!["exception"]!);

        var executed = Notebook.Load(Path.Combine(output, "unraised.ipynb"));
        Assert.Contains("In [1]</a>: the cell is marked to raise an exception, but it ran without one", executed.Cells[0].Source);
        Assert.Equal("failed", (string?)Papermill(executed.Cells[2])["status"]);
        Assert.False((bool)Papermill(executed.Cells[2])["exception"]!); // it failed without raising

        // The report: a failure carries the error and its traceback; the cell after it did not run.
        Assert.Equal("valid", ValidateJUnit(junit));
        var cases = XDocument.Load(junit).Descendants("testcase").ToList();
        Assert.Equal(["failing/cell 0", "failing/cell 1", "failing/cell 2", "unraised/cell 0"], cases.Select(c => $"{c.Attribute("classname")!.Value}/{c.Attribute("name")!.Value}"));
        Assert.Equal("System.InvalidOperationException: stop here (cell [2], line 1)", (string?)cases[1].Element("failure")!.Attribute("message"));
        Assert.Equal("System.InvalidOperationException: stop here\n   at cell [2], line 1", cases[1].Element("failure")!.Value);
        Assert.Equal("not run: the run stopped before this cell", (string?)cases[2].Element("skipped")!.Attribute("message"));
        Assert.Equal("the cell is marked to raise an exception, but it ran without one", (string?)cases[3].Element("failure")!.Attribute("message"));

        // Running the executed notebook again starts without the earlier banner.
        var again = NotebookRunner.Prepare(failing, new RunOptions());
        Assert.Equal(["code", "code", "code"], again.Cells.Select(c => c.CellType));
    }

    [Fact]
    public void TestComparesStoredOutputsShowsADiffAndWritesReportsCIServersRead()
    {
        var folder = TestHost.TempFolder();
        var notebook = Copy("stored-outputs.ipynb", folder);
        var before = File.ReadAllText(notebook);
        var junit = Path.Combine(folder, "reports", "junit.xml");
        var trx = Path.Combine(folder, "reports", "results.trx");

        var (code, stdout, stderr) = Cli("test", notebook, "--report", junit, "--report", trx, "-q");
        Assert.True(code == 1, stdout + stderr);
        // Only the process id differs: the GUID, the time, the chart's div id, Submission#N and the random cell (NBVAL_IGNORE_OUTPUT) pass.
        Assert.Matches(@"  ✗ cell 2: outputs differ: stdout\n        \[stdout\]\n        run GUID at TIMESTAMP\n      - process 23664\n      \+ process \d+\n", stdout);
        Assert.Contains("\n6 passed, 1 failed, 1 skipped in 1 notebook(s), ", stdout);
        Assert.Equal(before, File.ReadAllText(notebook)); // a test writes no notebook unless given -o

        Assert.Equal("valid", ValidateJUnit(junit));
        var cases = XDocument.Load(junit).Descendants("testcase").ToList();
        Assert.Equal(["cell 1", "cell 2", "cell 3", "cell 4", "cell 5", "cell 6", "cell 7", "cell 8"], cases.Select(c => (string?)c.Attribute("name")));
        Assert.Equal("outputs differ: stdout", (string?)cases[1].Element("failure")!.Attribute("message"));
        Assert.Contains("- process 23664\n", cases[1].Element("failure")!.Value);
        Assert.Single(cases, c => c.Element("skipped") is not null);

        var document = XDocument.Load(trx);
        Assert.Empty(ReportTests.ShapeDifferences(document));
        XNamespace ns = "http://microsoft.com/schemas/VisualStudio/TeamTest/2010";
        var counters = document.Descendants(ns + "Counters").Single();
        Assert.Equal(["8", "7", "6", "1", "1"], new[] { "total", "executed", "passed", "failed", "notExecuted" }.Select(a => (string?)counters.Attribute(a)));

        // With the user's sanitizer for process ids, the same notebook passes.
        (code, stdout, stderr) = Cli("test", notebook, "--sanitize-with", TestHost.Fixture("sanitize.cfg"), "-q");
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("\n7 passed, 0 failed, 1 skipped in 1 notebook(s)", stdout);
    }

    [Fact]
    public void CellsOptOutByNbvalTagsAndADifferentOutputFailsWithItsDiff()
    {
        var folder = TestHost.TempFolder();
        var notebook = Notebook.Load(TestHost.Fixture("stored-outputs.ipynb"));
        // The process id cell opts out by tag; the chart's stored HTML says something else than a run shows.
        notebook.Cells[2].Metadata["tags"] = new JsonArray("nbval-ignore-output");
        foreach (var field in new[] { "text/plain", "text/html" })
            notebook.Cells[3].Outputs[0]!["data"]![field] = "<div id=\"94408166-be44-40fa-87f5-349ff4fda183\">a table</div>";
        var path = Path.Combine(folder, "changed.ipynb");
        notebook.Save(path);
        var output = Path.Combine(folder, "out");

        var (code, stdout, stderr) = Cli("test", path, "-o", output, "-q");
        Assert.True(code == 1, stdout + stderr);
        Assert.Contains("  ✗ cell 3: outputs differ: text/html, text/plain\n" +
                        "        [text/html]\n      - <div id=\"GUID\">a table</div>\n      + <div id=\"GUID\">chart</div>\n" +
                        "        [text/plain]\n      - <div id=\"GUID\">a table</div>\n      + <div id=\"GUID\">chart</div>\n", stdout);
        Assert.DoesNotContain("✗ cell 2", stdout);
        Assert.Contains("\n6 passed, 1 failed, 1 skipped in 1 notebook(s)", stdout);
        Assert.Equal("valid", CliTests.Validate(Path.Combine(output, "changed.ipynb"))); // -o: the executed notebook too
    }

    [Fact]
    public void ANotebookRunByCsnbPassesItsTestDespiteNewChartIdsTimesAndGuidsWithNoNetwork()
    {
        var folder = TestHost.TempFolder();
        var notebook = Notebook.Create();
        notebook.InsertCell(0, Cell.Code("#r \"nuget: Plotly.NET.CSharp, 0.14.0\"\nPlotly.NET.CSharp.Chart.Point<int, int, string>(new[] { 1, 2, 3 }, new[] { 4, 1, 9 })"));
        notebook.InsertCell(1, Cell.Code("Console.WriteLine(DateTime.Now);\nnew { Id = Guid.NewGuid(), At = DateTimeOffset.UtcNow }"));
        notebook.Save(Path.Combine(folder, "chart.ipynb"));
        var stored = Path.Combine(folder, "stored");
        var (code, stdout, stderr) = Cli("run", Path.Combine(folder, "chart.ipynb"), "-o", stored, "-q");
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("renderPlotly_", File.ReadAllText(Path.Combine(stored, "chart.ipynb")));

        // The test runs offline, in a network namespace of its own: the package restored by the run above comes from the cache.
        (code, stdout, stderr) = Processes.Run("unshare", ["--map-root-user", "--net", Scripting.DotnetHost.Path, CliTests.Csnb, "test", Path.Combine(stored, "chart.ipynb"), "-q"]);
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("\n2 passed, 0 failed, 0 skipped in 1 notebook(s), ", stdout);
    }

    [Fact]
    public async Task ARunningCellsOutputAndDisplaysShowOnStderrWhileItRuns()
    {
        var folder = TestHost.TempFolder();
        var notebook = Notebook.Create();
        // The cell waits for a file the test writes only once it has seen the cell's first line on stderr.
        notebook.InsertCell(0, Cell.Code(
            "Console.WriteLine(\"waiting for the go\");\n" +
            "var clock = System.Diagnostics.Stopwatch.StartNew();\n" +
            "while (!File.Exists(\"go\") && clock.Elapsed.TotalSeconds < 60) Thread.Sleep(50);\n" +
            "Console.WriteLine(File.Exists(\"go\") ? \"went\" : \"no go\");"));
        notebook.InsertCell(1, Cell.Code("var d = display(\"step 0\");\nd.Update(\"step 1\");\nd.Update(\"step 2\");\nConsole.Write(\"10%\\r50%\\r\");\nConsole.WriteLine(\"100%\");"));
        notebook.Save(Path.Combine(folder, "live.ipynb"));

        var start = new System.Diagnostics.ProcessStartInfo(Scripting.DotnetHost.Path) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { CliTests.Csnb, "run", Path.Combine(folder, "live.ipynb"), "-o", Path.Combine(folder, "out") }) start.ArgumentList.Add(arg);
        using var csnb = System.Diagnostics.Process.Start(start)!;
        var stdout = csnb.StandardOutput.ReadToEndAsync();
        var lines = new List<string>();
        while (await csnb.StandardError.ReadLineAsync() is { } line)
        {
            lines.Add(line);
            if (line == "  ⋯ live.ipynb cell 0 │ waiting for the go") File.WriteAllText(Path.Combine(folder, "go"), "");
        }
        await csnb.WaitForExitAsync();
        Assert.True(csnb.ExitCode == 0, await stdout + string.Join('\n', lines));
        var progress = lines.Where(l => l.StartsWith("  ⋯ live.ipynb")).ToList();
        Assert.Equal("  ⋯ live.ipynb cell 0 │ went", progress[1]);
        Assert.Equal("  ⋯ live.ipynb cell 1 │ step 0", progress[2]);
        // At most one progress state a second: the bar's finished line replaces its states, the display's last state comes when the cell ends.
        Assert.Equal(["  ⋯ live.ipynb cell 1 │ 100%", "  ⋯ live.ipynb cell 1 │ step 2"], progress[^2..]);
        Assert.Equal("waiting for the go\nwent\n", Stdout(Notebook.Load(Path.Combine(folder, "out", "live.ipynb")).Cells[0]));
    }

    [Fact]
    public void NamedInputsAreAnsweredFromParametersWhileProgressIsShown()
    {
        var folder = TestHost.TempFolder();
        var notebook = Notebook.Create();
        notebook.InsertCell(0, Cell.Code("#!set --name user --value @input:\"Your name\"\n#!set --name pin --value @password:\"PIN\"\nConsole.WriteLine($\"{user} {pin.Length}\");"));
        notebook.Save(Path.Combine(folder, "inputs.ipynb"));

        var (code, stdout, stderr) = Cli("run", Path.Combine(folder, "inputs.ipynb"), "-o", Path.Combine(folder, "out"), "-r", "user", "Ann Lee", "-p", "pin=1234");
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("  ⋯ inputs.ipynb cell 0 │ Ann Lee 4", stderr); // the live progress, and the inputs it answered
        Assert.Equal("Ann Lee 4\n", Stdout(Notebook.Load(Path.Combine(folder, "out", "inputs.ipynb")).Cells[0]));
    }

    [Fact]
    public void JobsRunNotebooksSideBySideAndPrintEachWhole()
    {
        var folder = TestHost.TempFolder();
        // Each notebook waits for the other to start: only two notebooks running at once both see it.
        foreach (var (me, other) in new[] { ("a", "b"), ("b", "a") })
        {
            var notebook = Notebook.Create();
            notebook.InsertCell(0, Cell.Code(
                $"File.WriteAllText(\"{me}.started\", \"\");\n" +
                "var clock = System.Diagnostics.Stopwatch.StartNew();\n" +
                $"while (!File.Exists(\"{other}.started\") && clock.Elapsed.TotalSeconds < 60) Thread.Sleep(50);\n" +
                $"Console.WriteLine(File.Exists(\"{other}.started\") ? \"together\" : \"alone\");"));
            notebook.InsertCell(1, Cell.Code("Console.WriteLine(\"second cell\");"));
            notebook.Save(Path.Combine(folder, $"{me}.ipynb"));
        }
        var junit = Path.Combine(folder, "junit.xml");

        var (code, stdout, stderr) = Cli("run", folder, "-j", "2", "-o", Path.Combine(folder, "out"), "--report", junit, "-q");
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("2 notebook(s): 2 ok, 0 failed", stdout);
        foreach (var name in new[] { "a", "b" })
        {
            Assert.Equal("together\n", Stdout(Notebook.Load(Path.Combine(folder, "out", $"{name}.ipynb")).Cells[0]));
            // A notebook's block is printed whole: its start line, its two cells, its end line.
            Assert.Matches($@"▶ [^\n]*/{name}\.ipynb\n  cell   0 \[1\][^\n]*ok\n  cell   1 \[2\][^\n]*ok\n✓ [^\n]*/{name}\.ipynb ", stdout);
        }
        Assert.Equal("valid", ValidateJUnit(junit));
        Assert.Equal([$"{folder}/a.ipynb", $"{folder}/b.ipynb"], XDocument.Load(junit).Descendants("testsuite").Select(s => (string?)s.Attribute("name")));
        Assert.Equal(2, Cli("run", folder, "-j", "0").Code);
    }
}
