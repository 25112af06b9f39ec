using System.Text.Json.Nodes;
using NotebookEngine.Documents;
using NotebookEngine.Running;

namespace NotebookEngine.Tests;

/// <summary>The kernel driven by Debian's real Jupyter client (jupyter_client, nbclient, nbconvert).</summary>
public class KernelTests
{
    static readonly string Kernel = Processes.BuiltProgram("NotebookKernel", "csnb-kernel");

    /// <summary>Registers the kernel in a private Jupyter data folder; returns the environment that finds it.</summary>
    static Dictionary<string, string> Install(string name)
    {
        var data = TestHost.TempFolder();
        var environment = Processes.InstallKernel(data, name);
        var spec = JsonNode.Parse(File.ReadAllText(Path.Combine(data, "kernels", name, "kernel.json")))!;
        Assert.Equal("message", (string?)spec["interrupt_mode"]);
        Assert.Equal("C# (csnb)", (string?)spec["display_name"]);
        foreach (var (variable, value) in LibTorchLoader.NativeAllocator.Environment)
            Assert.Equal(value, (string?)spec["env"]![variable]); // glibc reads them only when the kernel starts
        return environment;
    }

    [Fact]
    public void TheKernelServesJupyterClientThroughErrorsInterruptsForgeriesAndShutdown()
    {
        var environment = Install("csnb-checks");
        var (code, stdout, stderr) = Processes.Run("/usr/bin/python3", [Path.Combine(AppContext.BaseDirectory, "Kernel", "kernel_checks.py"), "csnb-checks"],
            timeoutSeconds: 240, environment: environment);
        Assert.True(code == 0, stderr);
        var found = JsonNode.Parse(stdout)!;
        string Json(string key) => found[key]!.ToJsonString();

        Assert.True((bool)found["heartbeat"]!);
        Assert.Equal("""["ok",1,["2"]]""", Json("first"));
        Assert.Equal("""["error","System.InvalidOperationException","boom (cell [2], line 1)"]""", Json("error_reply"));
        Assert.Equal("""["System.InvalidOperationException"]""", Json("error_iopub"));
        Assert.Equal("""["ok",["2"]]""", Json("after_error"));
        Assert.Equal("""["error","Interrupted"]""", Json("interrupted"));
        Assert.Equal("""["ok",["True"]]""", Json("after_interrupt"));
        Assert.Equal("""["ok",["2"],false]""", Json("after_forged")); // the forged Add(99) never ran, and got no reply
        Assert.Contains("dropped a message: invalid signature", stderr);
        Assert.Equal("""["Add","AddRange"]""", found["complete_member"]!["matches"]!.ToJsonString());
        Assert.Equal(8, (int)found["complete_member"]!["cursor_start"]!);
        Assert.Equal("""["numbers"]""", found["complete_variable"]!["matches"]!.ToJsonString());
        Assert.Equal("incomplete", (string?)found["is_complete_open"]);
        Assert.Equal("complete", (string?)found["is_complete_done"]);
        Assert.True((bool)found["inspect"]![0]!);
        Assert.Equal("variable numbers\nList<int> numbers", (string?)found["inspect"]![1]);
        Assert.Equal(0, (int)found["exit_code"]!);
        Assert.False((bool)found["process_left"]!);
    }

    [Fact]
    public void ACellThatKillsItsProcessOrWillNotStopLeavesTheKernelServing()
    {
        var environment = Install("csnb-deaths");
        var (code, stdout, stderr) = Processes.Run("/usr/bin/python3", [Path.Combine(AppContext.BaseDirectory, "Kernel", "kernel_deaths.py"), "csnb-deaths"],
            timeoutSeconds: 400, environment: environment);
        Assert.True(code == 0, stderr);
        var found = JsonNode.Parse(stdout)!;

        // Blocking waits are woken by the interrupt, well within the grace period: the process and its variables stay.
        foreach (var wait in new[] { "sleep", "delay", "wait", "semaphore" })
        {
            Assert.Equal("error", (string?)found[$"wait_{wait}"]!["status"]);
            Assert.Equal("Interrupted", (string?)found[$"wait_{wait}"]!["ename"]);
            Assert.Matches(@"^cell \[\d+\] was interrupted$", (string?)found[$"wait_{wait}"]!["evalue"]);
        }
        Assert.Equal("""["41"]""", found["kept_after_waits"]!["results"]!.ToJsonString());

        var deaths = new Dictionary<string, string>
        {
            ["abort"] = "the process running the cells was killed by SIGABRT: native code aborted it (libtorch does on some invalid shapes or arguments) while cell [8] ran",
            ["exit"] = "the process running the cells exited with code 3 (a cell called Environment.Exit, or something ended the process) while cell [12] ran",
            ["overflow"] = "the process running the cells died of a stack overflow (a recursion with no end?) while cell [16] ran",
        };
        foreach (var (death, evalue) in deaths)
        {
            var died = found[$"death_{death}"]!;
            Assert.Equal("error", (string?)died["status"]);
            Assert.Equal("ProcessDied", (string?)died["ename"]);
            Assert.Equal(evalue, (string?)died["evalue"]);
            Assert.Equal("""["ProcessDied"]""", died["iopub_errors"]!.ToJsonString()); // the notebook shows it, then idle came
            Assert.Equal("A fresh process has started: the variables of earlier cells are lost; run those cells again.", (string?)died["traceback"]!.AsArray()[^1]);
            // The request queued behind it ran in the fresh process, where the variable is gone.
            Assert.Contains("The name 'kept' does not exist", (string?)found[$"queued_{death}"]!["evalue"]);
            Assert.Equal("""["2"]""", found[$"after_{death}"]!["results"]!.ToJsonString());
        }
        var traceback = found["death_abort"]!["traceback"]!.AsArray().Select(l => (string)l!).ToList();
        Assert.Contains("  what():  mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)", traceback); // libtorch's own words
        Assert.Contains("Stack overflow.", found["death_overflow"]!["traceback"]!.AsArray().Select(l => (string)l!));

        Assert.Equal("Interrupted", (string?)found["unstoppable"]!["ename"]);
        Assert.Equal("cell [20] was interrupted; it did not stop within 3 s, so the process running the cells is replaced: the variables of earlier cells are lost",
            (string?)found["unstoppable"]!["evalue"]);
        Assert.Contains("The name 'kept' does not exist", (string?)found["after_unstoppable"]!["evalue"]);
        Assert.Equal("""["2"]""", found["then"]!["results"]!.ToJsonString());
        Assert.True((bool)found["kernel_alive"]!);
    }

    [Fact]
    public void JupytersOwnKernelTestSuitePassesEveryTest()
    {
        var environment = Install("csnb-suite");
        environment["CSNB_KERNEL_NAME"] = "csnb-suite";
        var (code, stdout, stderr) = Processes.Run("/usr/bin/python3", ["-m", "unittest", "-v", "kernel_test_suite"],
            workingDirectory: Path.Combine(AppContext.BaseDirectory, "Kernel"), timeoutSeconds: 400, environment: environment);
        var report = stdout + stderr; // unittest reports on stderr
        Assert.True(code == 0, report);
        Assert.Contains("Ran 12 tests", report);
        Assert.DoesNotContain("skipped", report);
        foreach (var test in new[] { "kernel_info", "execute_stdout", "execute_stderr", "completion", "is_complete", "pager", "error",
                                     "execute_result", "display_data", "history", "inspect", "clear_output" })
            Assert.Contains($"test_{test} (kernel_test_suite.CsnbKernelTests.test_{test}) ... ok", report);
    }

    [Fact]
    public void FrontEndsGetInputHistoryCommsInspectionAndEveryExecuteOption()
    {
        var environment = Install("csnb-protocol");
        var (code, stdout, stderr) = Processes.Run("/usr/bin/python3", [Path.Combine(AppContext.BaseDirectory, "Kernel", "kernel_protocol.py"), "csnb-protocol"],
            timeoutSeconds: 400, environment: environment);
        Assert.True(code == 0, stderr);
        var found = JsonNode.Parse(stdout)!;
        string Json(string key) => found[key]!.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

        var info = found["kernel_info"]!;
        Assert.Equal("5.5", (string?)info["protocol_version"]);
        Assert.Equal("[]", info["supported_features"]!.ToJsonString());
        Assert.Equal("""{"name":"csharp","version":"14.0","mimetype":"text/x-csharp","file_extension":".cs","pygments_lexer":"csharp","codemirror_mode":"text/x-csharp","nbconvert_exporter":"script"}""",
            info["language_info"]!.ToJsonString());
        var links = info["help_links"]!.AsArray().Select(l => (string)l!["text"]!).ToList();
        Assert.Equal(["C# language", ".NET API browser", "TorchSharp", "CenterLoss.Notebooks README", "CenterLoss.Notebooks tutorial notebooks"], links);

        // stdin
        Assert.Equal("""[[["",false],["",false]],"ok",["Ada/Z"]]""", Json("readline"));
        Assert.Equal("""[[["Key: ",true]],["7"]]""", Json("password"));
        Assert.Equal("""[[["Your city",false],["PIN",true]],["Oslo 4"]]""", Json("input_tokens")); // .NET Interactive's @input: and @password: tokens
        Assert.Equal("NotebookEngine.Display.NoInputException", (string?)found["no_stdin"]![1]);
        Assert.StartsWith("this front end takes no input", (string?)found["no_stdin"]![2]);
        Assert.Equal("""[[["",false]],"error","Interrupted"]""", Json("input_interrupted"));
        Assert.Equal("""["Ada"]""", Json("after_input"));

        // execute_request's options
        var count = (int)found["count_before"]!;
        Assert.Equal($"""["ok",{count},[]]""", Json("silent"));             // nothing published, the count kept
        Assert.Equal($"[{count},[{count}]]", Json("no_history"));          // store_history false keeps the count
        var expressions = found["user_expressions"]!;
        Assert.Equal(("ok", "6"), ((string?)expressions["double"]!["status"], (string?)expressions["double"]!["data"]!["text/plain"]));
        Assert.StartsWith("<div class=\"dni-plaintext\"><pre>6</pre></div>", (string?)expressions["double"]!["data"]!["text/html"]);
        Assert.Equal("scatter", (string?)expressions["chart"]!["data"]!["application/vnd.plotly.v1+json"]!["data"]![0]!["type"]);
        Assert.Equal("error", (string?)expressions["broken"]!["status"]);
        Assert.Contains("'int' does not contain a definition for 'Nope'", (string?)expressions["broken"]!["evalue"]);
        Assert.Equal("""["error","aborted","aborted"]""", Json("stop_on_error"));
        Assert.Equal("[null,null]", Json("aborted_counts")); // no number: front ends show them as never run
        Assert.Equal("CompilationError", (string?)found["aborted_did_not_run"]); // 'ran' was never declared

        Assert.Equal("""[["execute_input",null],["display_data",null],["clear_output",true],["update_display_data",null],["stream",null]]""", Json("clear_output"));
        Assert.Equal("""[["application/vnd.plotly.v1+json","text/html","text/plain"],[{"type":"scatter","mode":"markers","x":[1,2],"y":[3,4],"marker":{},"line":{}}]]""", Json("plotly"));

        // comms
        Assert.Equal("""{"status":"ok","comms":{}}""", Json("comm_info_empty"));
        Assert.Equal("""{"comm_id":"c-unknown","data":{}}""", Json("unknown_target"));
        Assert.Equal("""[{"opened":"there"},{"echo":"ping"}]""", Json("echo"));
        Assert.Equal("""{"status":"ok","comms":{"c-echo":{"target_name":"echo"}}}""", Json("comm_info_echo"));
        Assert.Equal("""[["execute_input",null,null],["comm_open","front.end",{"n":1}],["comm_msg",null,{"n":2}],["comm_close",null,{}]]""", Json("opened_by_cell"));

        // inspect at detail 0 and 1, as text and Markdown
        var overloads = (string)found["inspect_overloads"]![1]!;
        Assert.StartsWith("method System.Console.WriteLine (", overloads);
        Assert.Contains("static void Console.WriteLine(string? value)", overloads);
        Assert.Contains("static void Console.WriteLine(int value)", overloads);
        Assert.Contains("Writes the current line terminator to the standard output stream.", overloads); // the first overload's summary
        Assert.Equal("method System.Math.Sqrt\nstatic double Math.Sqrt(double d)\n\nReturns the square root of a specified number.\nParameters:\n  d: The number whose square root is to be found.",
            ((string)found["inspect_sqrt"]![1]!).Split("\nReturns:")[0]);
        Assert.StartsWith("**method System.Math.Sqrt**\n\n```csharp\nstatic double Math.Sqrt(double d)\n```\n\nReturns the square root", (string)found["inspect_sqrt"]![2]!);
        Assert.Contains("Returns: One of the values in the following table.", (string)found["inspect_sqrt"]![1]!); // detail 1 adds the returns
        Assert.StartsWith("class System.Console\npublic static class System.Console\n\nRepresents the standard input, output, and error streams", (string)found["inspect_type"]![1]!);
        Assert.Equal("namespace System.Linq\nnamespace System.Linq", (string)found["inspect_namespace"]![1]!);
        Assert.StartsWith("property System.Collections.Generic.List<int>.Count\nint List<int>.Count\n\nGets the number of elements contained in the", (string)found["inspect_property"]![1]!);
        Assert.Equal("variable w\nint w", (string)found["inspect_variable"]![1]!);
        Assert.Equal("""{"status":"invalid"}""", Json("is_complete_invalid"));
    }

    [Fact]
    public async Task JupyterExecutesNotebooksExactlyAsTheHeadlessRunnerDoes()
    {
        var environment = Install("csnb-nbconvert");
        foreach (var fixture in new[] { "tour.ipynb", "failing.ipynb" })
        {
            var folder = TestHost.TempFolder();
            File.Copy(TestHost.Fixture(fixture), Path.Combine(folder, fixture));
            var (code, _, stderr) = Processes.Run("/usr/bin/python3",
                ["-m", "nbconvert", "--to", "notebook", "--execute", "--allow-errors", "--ExecutePreprocessor.timeout=120",
                 "--ExecutePreprocessor.kernel_name=csnb-nbconvert", "--output", "jupyter.ipynb", fixture],
                workingDirectory: folder, timeoutSeconds: 240, environment: environment);
            Assert.True(code == 0, stderr);
            var jupyter = Notebook.Load(Path.Combine(folder, "jupyter.ipynb"));
            Assert.Equal("valid", CliTests.Validate(Path.Combine(folder, "jupyter.ipynb")));

            var options = new RunOptions { ContinueOnError = true };
            var runner = (await NotebookRunner.RunAsync(NotebookRunner.Prepare(Notebook.Load(TestHost.Fixture(fixture)), options), options)).Notebook;
            Assert.Equal("csharp", (string?)jupyter.Metadata["language_info"]?["name"]);
            Assert.Equal(runner.Cells.Count, jupyter.Cells.Count);
            for (var i = 0; i < runner.Cells.Count; i++)
            {
                Assert.Equal(runner.Cells[i].ExecutionCount, jupyter.Cells[i].ExecutionCount);
                Assert.True(JsonNode.DeepEquals(runner.Cells[i].Outputs, jupyter.Cells[i].Outputs),
                    $"{fixture} cell {i}:\n runner  {runner.Cells[i].Outputs.ToJsonString()}\n jupyter {jupyter.Cells[i].Outputs.ToJsonString()}");
            }
        }
    }

    [Fact]
    public void UnderDotNetInteractivesNameItRunsItsNotebooksUnchanged()
    {
        // Installed as .net-csharp, the kernel is the one .NET Interactive notebooks name in their metadata.
        var environment = Install(".net-csharp");
        var spec = JsonNode.Parse(File.ReadAllText(Path.Combine(environment["JUPYTER_PATH"], "kernels", ".net-csharp", "kernel.json")))!;
        Assert.Null(spec["metadata"]!["vscode"]); // that key would make VS Code hand the kernel to the deprecated Polyglot extension
        var folder = TestHost.TempFolder();
        File.Copy(TestHost.Fixture("dotnet-interactive.ipynb"), Path.Combine(folder, "written-for-dotnet-interactive.ipynb"));
        var (code, _, stderr) = Processes.Run("/usr/bin/python3",
            ["-m", "nbconvert", "--to", "notebook", "--execute", "--ExecutePreprocessor.timeout=300", "--output", "executed.ipynb", "written-for-dotnet-interactive.ipynb"],
            workingDirectory: folder, timeoutSeconds: 400, environment: environment); // no kernel_name: nbconvert takes the notebook's own
        Assert.True(code == 0, stderr);
        var executed = Notebook.Load(Path.Combine(folder, "executed.ipynb"));
        Assert.Equal("6", Text.Join(executed.Cells[2].Outputs.Single(o => (string?)o!["output_type"] == "execute_result")!["data"]!["text/plain"]));
        Assert.Equal("csharp", (string?)executed.Metadata["language_info"]!["name"]);
    }

    [Fact]
    public void UninstallRemovesTheRegistration()
    {
        var environment = Install("csnb-gone");
        var uninstall = Processes.Run(Scripting.DotnetHost.Path, [Kernel, "uninstall", "--name", "csnb-gone", "--data-dir", environment["JUPYTER_PATH"]]);
        Assert.Equal(0, uninstall.Code);
        Assert.False(Directory.Exists(Path.Combine(environment["JUPYTER_PATH"], "kernels", "csnb-gone")));
        Assert.Equal(1, Processes.Run(Scripting.DotnetHost.Path, [Kernel, "uninstall", "--name", "csnb-gone", "--data-dir", environment["JUPYTER_PATH"]]).Code);
    }
}
