using System.Text.Json.Nodes;
using NotebookEngine.Documents;
using NotebookEngine.Running;
using NotebookEngine.Running.Reports;
using NotebookEngine.Scripting;

namespace NotebookEngine.Tests;

/// <summary>The pieces of csnb test that need no cells run: cell marks, sanitizers, the diff, the comparison, parameter files.</summary>
public class OutputCheckTests
{
    static Cell Code(string source, params string[] tags) => Cell.Code(source, tags);

    [Fact]
    public void MarksComeFromTagsAndCommentsAndACommentOverridesATag()
    {
        Assert.Equal(new CellMarks(false, false, null), CellMarks.Of(Code("var x = 1;")));
        Assert.Equal(new CellMarks(true, true, false), CellMarks.Of(Code("x", "skip-execution", "raises-exception", "nbval-ignore-output")));
        Assert.Equal(new CellMarks(true, true, true), CellMarks.Of(Code("  // NBVAL_SKIP\n//NBVAL_RAISES_EXCEPTION\n// NBVAL_CHECK_OUTPUT\nx")));
        Assert.Equal(new CellMarks(true, true, null), CellMarks.Of(Code("x", "nbval-skip", "nbval-raises-exception")));
        Assert.True(CellMarks.Of(Code("// NBVAL_CHECK_OUTPUT\nx", "nbval-ignore-output")).CheckOutput); // nbval: comments win over tags
        Assert.Null(CellMarks.Of(Code("var s = \"// NBVAL_SKIP\";")).CheckOutput); // only a comment line of its own counts
        Assert.False(CellMarks.Of(Code("var s = \"// NBVAL_SKIP\";")).Skip);
    }

    [Fact]
    public void TheBuiltInSanitizersReplaceWhatChangesFromRunToRun()
    {
        var text = "id 3f2504e0-4f89-11d3-9a0c-0305e82c3301, key 0123456789abcdef0123456789abcdef, " +
                   "renderPlotly_3f2504e04f8911d39a0c0305e82c3301(); at 2026-12-02T20:37:18.5004574Z and 2026-12-02 20:37 and 12/02/2026 20:37:18; " +
                   "Wall time: 12.345 ms; ptr 0x7ffd5a3c1e20; type Submission#12+Point and <>f__AnonymousType3#7<Guid>; keep 42 and 2026 and deadbeef";
        Assert.Equal(
            "id GUID, key ID, renderPlotly_ID(); at TIMESTAMP and TIMESTAMP and TIMESTAMP; Wall time: TIME; ptr 0xADDRESS; type Submission#N+Point and <>f__AnonymousType#N<Guid>; keep 42 and 2026 and deadbeef",
            Sanitizers.Default.Apply(text));
    }

    [Fact]
    public void UserSanitizersReadNbvalsFileFormatAndRunFirst()
    {
        var sanitizers = Sanitizers.Parse("[pids]\nregex: process (\\d+) of (\\w+)\nreplace: process \\g<2>/\\1 $1\n\n[dates]\nregex: \\d{1,2}/\\d{1,2}/\\d{2,4}\nreplace: DATE-STAMP\n", "mine.cfg");
        Assert.Equal("process root/4242 $1 on DATE-STAMP", sanitizers.Apply("process 4242 of root on 1/2/2026"));
        // The built-in rules still apply after the user's.
        Assert.Equal("GUID", sanitizers.Apply("3f2504e0-4f89-11d3-9a0c-0305e82c3301"));

        Assert.Equal("bad.cfg, line 2: not a valid regular expression (Invalid pattern '(' at offset 1. Not enough )'s.)",
            Assert.Throws<FormatException>(() => Sanitizers.Parse("[a]\nregex: (\nreplace: x\n", "bad.cfg")).Message);
        Assert.StartsWith("empty.cfg: no sanitizer found; each needs a line 'regex: <pattern>' followed by a line 'replace: <text>'",
            Assert.Throws<FormatException>(() => Sanitizers.Parse("regex: a\n\nreplace: b\n", "empty.cfg")).Message);
    }

    [Fact]
    public void ASanitizerThatBacktracksWithoutEndIsNamedAndTheBuiltInOnesKeepUpWithLargeOutputs()
    {
        var sanitizers = Sanitizers.Parse("regex: (a+)+$\nreplace: x\n", "slow.cfg");
        var error = Assert.Throws<FormatException>(() => sanitizers.Apply(new string('a', 40) + "!"));
        Assert.Equal("slow.cfg: the sanitizer '(a+)+$' took over 5 s on an output of 41 characters; it backtracks too much (nested quantifiers such as (a+)+?): simplify it",
            error.Message);

        // An output the size of plotly.js with a chart's ids at its end: no time limit to run into, the ids replaced.
        var script = string.Concat(Enumerable.Repeat("function(t,e){return t.map(function(r){return r*2})};\n", 70_000));
        var chart = script + "renderPlotly_6fd16fd872c14c41a9bf709cc2fa874b(); Plotly.newPlot('6fd16fd8-72c1-4c41-a9bf-709cc2fa874b')";
        Assert.EndsWith("renderPlotly_ID(); Plotly.newPlot('GUID')", Sanitizers.Default.Apply(chart));
    }

    [Fact]
    public void TheDiffMarksRemovedAndAddedLinesAndFoldsLongEqualRuns()
    {
        Assert.Equal("  a\n- b\n+ B\n  c\n", LineDiff.Of("a\nb\nc", "a\nB\nc"));
        Assert.Equal("  a\n+ new\n  b\n", LineDiff.Of("a\nb", "a\nnew\nb"));
        var expected = string.Join('\n', Enumerable.Range(1, 20).Select(i => $"line {i}"));
        var actual = expected.Replace("line 10\n", "line ten\n");
        Assert.Equal("  … 7 same line(s)\n  line 8\n  line 9\n- line 10\n+ line ten\n  line 11\n  line 12\n  … 8 same line(s)\n", LineDiff.Of(expected, actual));
        var cut = LineDiff.Of("x", new string('y', 200));
        Assert.Equal($"- x\n+ {new string('y', 160)}… (200 characters)\n", cut);
    }

    static JsonArray Outputs(string json) => JsonNode.Parse(json)!.AsArray();

    [Fact]
    public void OutputsCompareAsNbvalComparesThem()
    {
        var stored = Outputs("""
            [{"output_type":"stream","name":"stdout","text":["run 3f2504e0-4f89-11d3-9a0c-0305e82c3301\n"]},
             {"output_type":"stream","name":"stdout","text":"10%\r100%\n"},
             {"output_type":"display_data","data":{"text/plain":["chart"],"text/html":["<b>chart</b>"],"image/png":"AAAA"},"metadata":{}},
             {"output_type":"execute_result","execution_count":3,"data":{"text/plain":["42"]},"metadata":{}},
             {"output_type":"error","ename":"E","evalue":"bad","traceback":["line 1"]}]
            """);
        // Another run: a new GUID, one stream written in other pieces, another count, image and traceback: the same outputs.
        var again = Outputs("""
            [{"output_type":"stream","name":"stdout","text":["run 9e2504e0-4f89-11d3-9a0c-0305e82c3301\n50%\r100%\n"]},
             {"output_type":"display_data","data":{"text/plain":["chart"],"text/html":["<b>chart</b>"],"image/png":"BBBB"},"metadata":{"x":1}},
             {"output_type":"execute_result","execution_count":9,"data":{"text/plain":["42"]},"metadata":{}},
             {"output_type":"error","ename":"E","evalue":"bad","traceback":["line 2"]}]
            """);
        Assert.Null(OutputCheck.Compare(stored, again, Sanitizers.Default));

        var changed = Outputs("""
            [{"output_type":"stream","name":"stdout","text":["run 9e2504e0-4f89-11d3-9a0c-0305e82c3301\n100%\n"]},
             {"output_type":"stream","name":"stderr","text":["warning\n"]},
             {"output_type":"display_data","data":{"text/plain":["chart"]},"metadata":{}},
             {"output_type":"execute_result","execution_count":9,"data":{"text/plain":["41"]},"metadata":{}},
             {"output_type":"error","ename":"E","evalue":"worse","traceback":[]}]
            """);
        var difference = OutputCheck.Compare(stored, changed, Sanitizers.Default)!;
        Assert.Equal(["error", "stderr", "text/html", "text/plain"], difference.Fields);
        Assert.Equal("outputs differ: error, stderr, text/html, text/plain", difference.Message);
        Assert.Equal(
            "  [error]\n- E: bad\n+ E: worse\n+ [stderr]\n+ warning\n  [stdout]\n  run GUID\n  100%\n- [text/html]\n- <b>chart</b>\n  [text/plain]\n  chart\n  [text/plain]\n- 42\n+ 41\n",
            difference.Diff);
    }

    [Fact]
    public void OnlyCellsStoredWithAnExecutionCountAreComparedAndLaxComparesOnlyMarkedOnes()
    {
        static Cell Stored(int? count, string? output, params string[] tags)
        {
            var cell = Code("Console.WriteLine(2);", tags);
            cell.ExecutionCount = count;
            if (output is not null) cell.Outputs.Add(JsonNode.Parse($$"""{"output_type":"stream","name":"stdout","text":"{{output}}\n"}"""));
            return cell;
        }
        var stored = Notebook.Create();
        foreach (var cell in new[] { Stored(1, "1"), Stored(null, null), Stored(null, "2"), Stored(4, "1", "nbval-check-output") }) stored.InsertCell(stored.Cells.Count, cell);
        // A run in which each cell printed 2.
        var run = stored.Clone();
        foreach (var (cell, i) in run.Cells.Select((c, i) => (c, i)))
        {
            cell.Outputs.Clear();
            cell.Outputs.Add(JsonNode.Parse("""{"output_type":"stream","name":"stdout","text":"2\n"}"""));
            cell.ExecutionCount = i + 1;
        }
        var result = new NotebookResult(run, [.. Enumerable.Range(0, 4).Select(i => new CellReport(i, i + 1, TimeSpan.FromSeconds(0.5), CellStatus.Ok))]);
        var start = DateTimeOffset.UnixEpoch;

        var suite = CellTests.Of("n.ipynb", stored, result, start, TimeSpan.FromSeconds(2), Sanitizers.Default);
        Assert.Equal([TestOutcome.Failed, TestOutcome.Passed, TestOutcome.Failed, TestOutcome.Failed], suite.Cases.Select(c => c.Outcome));
        Assert.Equal("  [stdout]\n- 1\n+ 2\n", suite.Cases[0].Details);
        Assert.Equal("the stored cell has outputs but no execution count: run the notebook and save it again", suite.Cases[2].Message);

        var lax = CellTests.Of("n.ipynb", stored, result, start, TimeSpan.FromSeconds(2), Sanitizers.Default, checkByDefault: false);
        Assert.Equal([TestOutcome.Passed, TestOutcome.Passed, TestOutcome.Passed, TestOutcome.Failed], lax.Cases.Select(c => c.Outcome));
        Assert.Equal("outputs differ: stdout", lax.Cases[3].Message);

        // A run compares nothing.
        Assert.All(CellTests.Of("n.ipynb", stored, result, start, TimeSpan.FromSeconds(2)).Cases, c => Assert.Equal(TestOutcome.Passed, c.Outcome));
    }

    [Fact]
    public void ParameterFilesAreYamlOrJsonMappingsOfValues()
    {
        var folder = TestHost.TempFolder();
        var yaml = Path.Combine(folder, "p.yaml");
        File.WriteAllText(yaml, "# a comment\nepochs: 5\nrate: 0.25\nlabel: two words\nquoted: \"7\"\nflag: true\n");
        Assert.Equal(new Dictionary<string, string> { ["epochs"] = "5", ["rate"] = "0.25", ["label"] = "two words", ["quoted"] = "7", ["flag"] = "true" },
            ParameterFile.Read(yaml));
        var json = Path.Combine(folder, "p.json");
        File.WriteAllText(json, """{"epochs": 7, "label": "from json"}""");
        Assert.Equal(new Dictionary<string, string> { ["epochs"] = "7", ["label"] = "from json" }, ParameterFile.Read(json));
        File.WriteAllText(json, "");
        Assert.Empty(ParameterFile.Read(json));

        foreach (var (content, message) in new[]
        {
            ("epochs: [1, 2]", "parameter 'epochs' must be a single value (number, text or true/false), got a list"),
            ("label: null", "parameter 'label' must be a single value (number, text or true/false), got null"),
            ("- 1\n- 2", "expected a mapping of parameter names to values, got a list"),
            ("epochs: [1", "not YAML or JSON"),
        })
        {
            File.WriteAllText(yaml, content);
            Assert.StartsWith($"{yaml}: {message}", Assert.Throws<ParameterException>(() => ParameterFile.Read(yaml)).Message);
        }
    }

    [Fact]
    public void ARawValueIsAStringThatWinsAndFitsOnlyAStringParameter()
    {
        var notebook = Notebook.Load(TestHost.Fixture("tour.ipynb"));
        Parameters.Inject(notebook, new Dictionary<string, string> { ["epochs"] = "2", ["label"] = "typed" }, new Dictionary<string, string> { ["label"] = "1.10 \"raw\"" });
        Assert.Equal("// Parameters (injected)\nvar epochs = 2;\nvar label = \"1.10 \\\"raw\\\"\";", notebook.Cells[2].Source);

        var before = notebook.ToJson();
        Assert.Equal("parameter 'epochs' is int, like its default 3; a raw value is a string and fits only a string parameter",
            Assert.Throws<ParameterException>(() => Parameters.Inject(notebook, new Dictionary<string, string>(), new Dictionary<string, string> { ["epochs"] = "5" })).Message);
        Assert.Equal(before, notebook.ToJson());
    }
}
