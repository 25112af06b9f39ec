using System.Text.Json.Nodes;
using NotebookEngine.Documents;

namespace NotebookEngine.Tests;

/// <summary>The csnb command line, started as a real process.</summary>
public class CliTests
{
    /// <summary>csnb.dll, built by the same configuration as this test assembly.</summary>
    internal static readonly string Csnb = Processes.BuiltProgram("NotebookCli", "csnb");

    internal static (int Code, string Out, string Err) Cli(params string[] args) => Processes.Run(Scripting.DotnetHost.Path, [Csnb, .. args]);

    internal static string Validate(string notebook) => Processes.Run("/usr/bin/python3",
        ["-c", "import sys, nbformat; nbformat.validate(nbformat.read(sys.argv[1], as_version=4)); print('valid')", notebook]) switch
    {
        (0, var stdout, _) => stdout.Trim(),
        var (_, _, stderr) => stderr,
    };

    [Fact]
    public void HelpListsTheCommandsAndUnknownOptionsExitWithTwo()
    {
        var help = Cli("--help");
        Assert.Equal(0, help.Code);
        Assert.Contains("run", help.Out);
        Assert.Contains("export", help.Out);
        var runHelp = Cli("run", "--help");
        Assert.Contains("--parameter", runHelp.Out);
        Assert.Contains("--timeout", runHelp.Out);
        Assert.DoesNotContain("--in-process", runHelp.Out);

        var unknown = Cli("run", TestHost.Fixture("tour.ipynb"), "--epochs", "1");
        Assert.Equal(2, unknown.Code);
        Assert.Contains("Unrecognized command or argument '--epochs'", unknown.Err);

        var undeclared = Cli("run", TestHost.Fixture("tour.ipynb"), "-p", "epoch=1");
        Assert.Equal(2, undeclared.Code);
        Assert.Contains("parameter 'epoch' is declared by no notebook", undeclared.Err);
    }

    /// <summary>A copy of the tour fixture with one change, in a fresh folder.</summary>
    static string Broken(string name, Action<JsonObject> change)
    {
        var notebook = JsonNode.Parse(File.ReadAllText(TestHost.Fixture("tour.ipynb")))!.AsObject();
        change(notebook);
        var path = Path.Combine(TestHost.TempFolder(), name);
        File.WriteAllText(path, notebook.ToJsonString());
        return path;
    }

    [Fact]
    public void BadInputIsOneLineNamingTheProblemAndExitTwo()
    {
        var folder = TestHost.TempFolder();
        var aFile = Path.Combine(folder, "taken");
        File.WriteAllText(aFile, "");
        var tour = TestHost.Fixture("tour.ipynb");
        var cases = new (string[] Args, string Message)[]
        {
            (["run", Broken("source.ipynb", n => n["cells"]![1]!["source"] = 12345)], "source.ipynb: cell 1: 'source' must be a string or a list of strings, got the number 12345"),
            (["run", Broken("tags.ipynb", n => n["cells"]![1]!["metadata"]!["tags"] = 5)], "tags.ipynb: cell 1: 'metadata.tags' must be a list of strings, got the number 5"),
            (["run", Broken("type.ipynb", n => n["cells"]![1]!["cell_type"] = 3)], "type.ipynb: cell 1: 'cell_type' must be one of \"code\", \"markdown\", \"raw\", got the number 3"),
            (["run", Broken("format.ipynb", n => n["nbformat"] = "4")], "format.ipynb: 'nbformat' must be the integer 4, got the string \"4\""),
            (["run", tour, "-o", aFile], $"-o '{aFile}' is a file; it must be a folder (created if missing)"),
            (["run", tour, "--timeout", "-5"], "--timeout must be a positive number of seconds, not -5"),
        };
        foreach (var (args, message) in cases)
        {
            var (code, stdout, stderr) = Cli(args);
            Assert.Equal((2, $"csnb: {message}\n"), (code, stderr.Replace(Path.GetDirectoryName(args[1]) + "/", "")));
            Assert.Equal("", stdout);
        }
        Assert.Equal("", File.ReadAllText(aFile)); // nothing written over it

        // --verbose adds the stack trace for a bug report.
        var verbose = Cli("run", Broken("verbose.ipynb", n => n["cells"]![1]!["source"] = 1), "--verbose");
        Assert.Equal(2, verbose.Code);
        Assert.Contains("NotebookEngine.Documents.NotebookFormatException", verbose.Err);
        Assert.Contains("   at NotebookEngine.Documents.Notebook.Load", verbose.Err);
    }

    /// <summary>
    /// The output folder fills up during the run (a 160 kB tmpfs, in a mount namespace of the test's
    /// own): the run goes on, says so in the console and fails; what is on disk is a whole notebook,
    /// as far as it could be written, and no temp file is left.
    /// </summary>
    [Fact]
    public void AFullDiskIsReportedAndLeavesAWholeNotebook()
    {
        var folder = TestHost.TempFolder();
        var notebook = Notebook.Create();
        foreach (var source in new[] { "var big = new string('x', 100_000);\nConsole.WriteLine(\"small\");", "Console.WriteLine(big);", "Console.WriteLine(big);" })
            notebook.InsertCell(notebook.Cells.Count, Cell.Code(source));
        notebook.Save(Path.Combine(folder, "big.ipynb"));
        var output = Path.Combine(folder, "out");
        Directory.CreateDirectory(output);
        // Everything is read inside the namespace: the tmpfs goes with it.
        var script = $"""
            mount -t tmpfs -o size=160k tmpfs '{output}' || exit 99
            '{Scripting.DotnetHost.Path}' '{Csnb}' run '{folder}/big.ipynb' -o '{output}'
            echo "exit=$?"
            ls -a '{output}'
            /usr/bin/python3 -c "import sys, nbformat; nb = nbformat.read(sys.argv[1], as_version=4); nbformat.validate(nb); print('cells run:', sum(1 for c in nb.cells if c.execution_count))" '{output}/big.ipynb'
            """;
        var (code, stdout, stderr) = Processes.Run("unshare", ["--map-root-user", "--mount", "sh", "-c", script], folder);
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("exit=1", stdout);
        Assert.Matches(@"csnb: cannot write .*out/big\.(ipynb|html): .*disk was full", stderr);
        Assert.DoesNotContain(".tmp", stdout); // the failed writer's temp file is gone
        Assert.Matches(@"cells run: [12]\n", stdout); // the last notebook that fitted: whole, valid, and holding the cells up to it
    }

    [Fact]
    public void RunWritesValidNotebooksAndHtmlAndReportsEachCell()
    {
        var folder = TestHost.TempFolder();
        var input = Directory.CreateDirectory(Path.Combine(folder, "in")).FullName;
        foreach (var name in new[] { "tour.ipynb", "failing.ipynb" }) File.Copy(TestHost.Fixture(name), Path.Combine(input, name));
        var output = Path.Combine(folder, "out");

        var (code, stdout, _) = Cli("run", input, "-o", output, "-p", "epochs=2");
        Assert.Equal(1, code); // one of the two fails
        Assert.Matches(@"cell +2 \[2\] +[0-9.]+ s  ok", stdout);
        Assert.Matches(@"cell +1 \[2\] +[0-9.]+ s  error", stdout);
        Assert.Contains("2 notebook(s): 1 ok, 1 failed", stdout);
        foreach (var name in new[] { "tour", "failing" })
        {
            Assert.Equal("valid", Validate(Path.Combine(output, name + ".ipynb")));
            Assert.Contains("<pre class=\"source\">", File.ReadAllText(Path.Combine(output, name + ".html")));
        }
        var tour = Notebook.Load(Path.Combine(output, "tour.ipynb"));
        Assert.Equal("epoch 2 of 2", Text.Join(tour.Cells[3].Outputs[1]!["data"]!["text/plain"]));
        Assert.Empty(Directory.GetFiles(output, "*.tmp"));
        Assert.Equal(0, Cli("run", Path.Combine(input, "tour.ipynb"), "-o", output).Code);
    }

    [Fact]
    public void TheWorkerStartsWithTheKitsMallocSettingsUnlessTheCallerSetOne()
    {
        var folder = TestHost.TempFolder();
        var notebook = Notebook.Create();
        notebook.InsertCell(0, Cell.Code(
            "File.WriteAllText(\"env.txt\", string.Join(\" \", new[] { \"MALLOC_ARENA_MAX\", \"MALLOC_MMAP_THRESHOLD_\", \"MALLOC_TRIM_THRESHOLD_\" }.Select(Environment.GetEnvironmentVariable)));"));
        notebook.Save(Path.Combine(folder, "env.ipynb"));
        var (code, _, stderr) = Processes.Run(Scripting.DotnetHost.Path, [Csnb, "run", Path.Combine(folder, "env.ipynb"), "-o", Path.Combine(folder, "out")],
            environment: new Dictionary<string, string> { ["MALLOC_TRIM_THRESHOLD_"] = "12345" });
        Assert.True(code == 0, stderr);
        Assert.Equal("1 1073741824 12345", File.ReadAllText(Path.Combine(folder, "env.txt")));
    }

    [Fact]
    public void ANotebookRunsInItsOwnFolderAsUnderJupyter()
    {
        var folder = Directory.CreateDirectory(Path.Combine(TestHost.TempFolder(), "deep", "notebooks")).FullName;
        var notebook = Notebook.Create();
        notebook.InsertCell(0, Cell.Code("File.WriteAllText(\"../written.txt\", Directory.GetCurrentDirectory());"));
        notebook.Save(Path.Combine(folder, "here.ipynb"));
        var (code, _, stderr) = Cli("run", Path.Combine(folder, "here.ipynb"), "-o", "relative-out");
        Assert.True(code == 0, stderr);
        Assert.Equal(folder, File.ReadAllText(Path.Combine(folder, "..", "written.txt")));
        Assert.True(File.Exists(Path.Combine(Environment.CurrentDirectory, "relative-out", "here.ipynb"))); // -o is the caller's
        Directory.Delete(Path.Combine(Environment.CurrentDirectory, "relative-out"), recursive: true);
    }

    [Fact]
    public void ANativeCrashIsReportedOnTheCellThatCausedIt()
    {
        var output = TestHost.TempFolder();
        var (code, stdout, stderr) = Cli("run", TestHost.Fixture("crash.ipynb"), "-o", output);
        Assert.Equal(1, code);
        Assert.Contains("ProcessDied: the process running the cells was killed by SIGABRT", stdout);
        Assert.Contains("native abort in a test", stderr); // the host's own stderr, passed on
        var notebook = Notebook.Load(Path.Combine(output, "crash.ipynb"));
        Assert.Contains("In [2]</a>: ProcessDied:", notebook.Cells[0].Source); // papermill's banner, then the cells
        var cells = notebook.Cells.Where(c => c.IsCode).ToList();
        Assert.Equal("before\n", Text.Join(cells[0].Outputs[0]!["text"]));
        var died = (JsonObject)cells[1].Outputs.Single()!;
        Assert.Equal("ProcessDied", (string?)died["ename"]);
        Assert.Equal("the process running the cells was killed by SIGABRT: native code aborted it (libtorch does on some invalid shapes or arguments) while cell [2] ran",
            (string?)died["evalue"]);
        var traceback = ((JsonArray)died["traceback"]!).Select(l => (string)l!).ToList();
        Assert.Contains("native abort in a test", traceback);
        Assert.DoesNotContain(traceback, l => l.Contains("NotebookEngine.")); // the engine's frames mean nothing to a reader
        Assert.Equal("A fresh process has started: the variables of earlier cells are lost; run those cells again.", traceback[^1]);
        Assert.Empty(cells[2].Outputs);
        Assert.Equal("valid", Validate(Path.Combine(output, "crash.ipynb")));
    }

    [Theory]
    [InlineData("Environment.Exit(0);", "the process running the cells exited with code 0 (a cell called Environment.Exit, or something ended the process) while cell [2] ran")]
    [InlineData("Environment.Exit(1);", "the process running the cells exited with code 1 (a cell called Environment.Exit, or something ended the process) while cell [2] ran")]
    [InlineData("int Deeper(int n) => Deeper(n + 1) + 1;\nDeeper(0)", "the process running the cells died of a stack overflow (a recursion with no end?) while cell [2] ran")]
    public void ACellThatEndsItsProcessFailsTheRunAndTheNotebookIsStillWritten(string cell, string evalue)
    {
        var folder = TestHost.TempFolder();
        var notebook = Notebook.Create();
        foreach (var source in new[] { "Console.WriteLine(\"first\");", cell, "Console.WriteLine(\"third\");" }) notebook.InsertCell(notebook.Cells.Count, Cell.Code(source));
        notebook.Save(Path.Combine(folder, "ends.ipynb"));
        var (code, stdout, stderr) = Cli("run", Path.Combine(folder, "ends.ipynb"), "-o", Path.Combine(folder, "out"));
        Assert.Equal(1, code);
        Assert.Contains($"ProcessDied: {evalue}", stdout);
        Assert.True(stderr.Split('\n').Length < 100, $"{stderr.Split('\n').Length} lines of stderr"); // a stack overflow's report is cut short

        var executed = Notebook.Load(Path.Combine(folder, "out", "ends.ipynb")).Cells.Where(c => c.IsCode).ToList();
        Assert.Equal("first\n", Text.Join(executed[0].Outputs.Single()!["text"]));
        var died = executed[1].Outputs.Single()!;
        Assert.Equal(evalue, (string?)died["evalue"]);
        if (cell.Contains("Deeper"))
        {
            var traceback = ((JsonArray)died["traceback"]!).Select(l => (string)l!).ToList();
            Assert.Contains("Stack overflow.", traceback);
            Assert.Contains(traceback, l => l.Contains("Submission#") && l.Contains(".Deeper(Int32)"));
            Assert.True(traceback.Count < 20, string.Join('\n', traceback));
        }
        Assert.Null(executed[2].ExecutionCount); // the run stopped there
        Assert.Equal("valid", Validate(Path.Combine(folder, "out", "ends.ipynb")));
        Assert.Contains("ProcessDied", File.ReadAllText(Path.Combine(folder, "out", "ends.html")));
    }

    [Theory]
    [InlineData("KILL")]
    [InlineData("TERM")]
    [InlineData("INT")]
    public async Task WhenCsnbEndsItsCellHostEndsToo(string signal)
    {
        var folder = TestHost.TempFolder();
        var notebook = Notebook.Create();
        notebook.InsertCell(0, Cell.Code("File.WriteAllText(\"host.pid\", Environment.ProcessId.ToString());"));
        notebook.InsertCell(1, Cell.Code("while (true) Thread.Sleep(100);"));
        notebook.Save(Path.Combine(folder, "forever.ipynb"));
        var start = new System.Diagnostics.ProcessStartInfo(Scripting.DotnetHost.Path) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { Csnb, "run", Path.Combine(folder, "forever.ipynb"), "-o", Path.Combine(folder, "out") }) start.ArgumentList.Add(arg);
        var temp = Directory.CreateDirectory(Path.Combine(folder, "tmp")).FullName;
        start.Environment["TMPDIR"] = temp;
        using var csnb = System.Diagnostics.Process.Start(start)!;
        var stdout = csnb.StandardOutput.ReadToEndAsync();
        var pidFile = Path.Combine(folder, "host.pid");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!File.Exists(pidFile) && clock.Elapsed < TimeSpan.FromSeconds(120)) Thread.Sleep(100);
        Thread.Sleep(500); // into the endless cell
        var host = int.Parse(File.ReadAllText(pidFile));

        Processes.Run("kill", [$"-{signal}", csnb.Id.ToString()]);
        Assert.True(Processes.Ended(host, TimeSpan.FromSeconds(10)), $"cell host {host} outlived csnb (SIG{signal})");
        Assert.True(csnb.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Empty(Directory.GetFiles(temp, "csnb-*.sock")); // the host's socket path, even after SIGKILL
        if (signal == "KILL") return;
        // Asked to stop, csnb interrupts the cell and still writes what ran.
        Assert.Equal(130, csnb.ExitCode);
        Assert.Contains("✗ interrupted:", await stdout);
        var executed = Notebook.Load(Path.Combine(folder, "out", "forever.ipynb")).Cells.Where(c => c.IsCode).ToList();
        Assert.Equal("Interrupted", (string?)executed[1].Outputs.Single()!["ename"]);
    }

    [Fact]
    public void ASocketPathLeftByAKilledCsnbIsDeletedByTheNextOne()
    {
        var folder = TestHost.TempFolder();
        var temp = Directory.CreateDirectory(Path.Combine(folder, "tmp")).FullName;
        // A process id no process has, as left by a csnb killed before its host connected; and this live process's.
        var stale = Path.Combine(temp, $"csnb-{int.MaxValue}-0123abcd.sock");
        var live = Path.Combine(temp, $"csnb-{Environment.ProcessId}-0123abcd.sock");
        foreach (var path in new[] { stale, live }) File.WriteAllText(path, ""); // only the name counts (.NET deletes a socket's path when it closes it)
        var notebook = Notebook.Create();
        notebook.InsertCell(0, Cell.Code("1 + 1"));
        notebook.Save(Path.Combine(folder, "one.ipynb"));

        var (code, stdout, stderr) = Processes.Run(Scripting.DotnetHost.Path, [Csnb, "run", Path.Combine(folder, "one.ipynb"), "-o", Path.Combine(folder, "out")],
            environment: new Dictionary<string, string> { ["TMPDIR"] = temp });

        Assert.True(code == 0, stdout + stderr);
        Assert.False(File.Exists(stale), "the dead csnb's socket path is still there");
        Assert.True(File.Exists(live), "the socket path of a running process was deleted");
    }

    [Fact]
    public void AnExportedNotebookRunsAsAFileBasedApp()
    {
        var folder = TestHost.TempFolder();
        var app = Path.Combine(folder, "app.cs");
        var export = Cli("export", TestHost.Fixture("export.ipynb"), "-o", app, "-p", "greeting=hi");
        Assert.Equal((0, $"wrote {app}; run it with: dotnet run {Path.GetRelativePath(Environment.CurrentDirectory, app)}\n"), (export.Code, export.Out));
        var source = File.ReadAllText(app);
        Assert.StartsWith("// Exported from export.ipynb by csnb. Run: dotnet run app.cs\n#:package Humanizer.Core@2.14.1\n" +
            "#:property ManagePackageVersionsCentrally=false\n#:property PublishAot=false\n\nusing Humanizer;\nusing System.Text;\n", source);
        Assert.Contains("// # Export me", source);
        Assert.Contains("var greeting = \"hello\";\n", source);
        Assert.Contains("// Parameters (injected)\ngreeting = \"hi\";\n", source); // the script's second declaration, as an assignment
        Assert.Contains("display(pair.A * pair.B);", source);
        Assert.EndsWith("record Pair(int A, int B);\n\n", source); // types after the top-level statements

        // Run from another folder: the cells still run in the notebook's. Output goes to a pipe, as in a log:
        // an updated value prints once, with its last value, before whatever is printed next.
        var (code, stdout, stderr) = Processes.Run(Scripting.DotnetHost.Path, ["run", app], workingDirectory: "/");
        Assert.True(code == 0, stdout + stderr);
        Assert.Equal("Humanized name\n6\nshown\nupdated\nhi: True\nstep 0\nstep 3\nafter the steps\n" +
            "key     value\none         1\neleven   11.5\n[1, 2, 3]\n", stdout.Replace("\r", ""));

        // On a terminal (util-linux's script gives the app one), each update rewrites the value's line in place.
        var terminal = Processes.Run("script", ["-qec", $"{Scripting.DotnetHost.Path} run {app}", "/dev/null"], workingDirectory: "/");
        Assert.True(terminal.Code == 0, terminal.Out + terminal.Err);
        const string Rewrite = "\u001b[1F\u001b[J"; // to the start of the line above, and clear from there
        Assert.Contains($"\nshown\r\n{Rewrite}updated\r\nhi: True\r\nstep 0\r\n{Rewrite}step 1\r\n{Rewrite}step 2\r\n{Rewrite}step 3\r\nafter the steps\r\n", terminal.Out);
    }
}
