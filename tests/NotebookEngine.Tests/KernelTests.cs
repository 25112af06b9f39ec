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
        Assert.Equal("Field: System.Collections.Generic.List<int> numbers", (string?)found["inspect"]![1]);
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
    public void UninstallRemovesTheRegistration()
    {
        var environment = Install("csnb-gone");
        var uninstall = Processes.Run(Scripting.DotnetHost.Path, [Kernel, "uninstall", "--name", "csnb-gone", "--data-dir", environment["JUPYTER_PATH"]]);
        Assert.Equal(0, uninstall.Code);
        Assert.False(Directory.Exists(Path.Combine(environment["JUPYTER_PATH"], "kernels", "csnb-gone")));
        Assert.Equal(1, Processes.Run(Scripting.DotnetHost.Path, [Kernel, "uninstall", "--name", "csnb-gone", "--data-dir", environment["JUPYTER_PATH"]]).Code);
    }
}
