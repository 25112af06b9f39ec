using System.Diagnostics;
using System.Text;
using NotebookEngine.Display;

namespace TestSupport;

// Shared by the test projects (linked into each): the repository's built programs, running them, recording a cell.

/// <summary>Programs of the repository, and running a program to its end.</summary>
public static class Processes
{
    /// <summary>The repository's root folder (tests run from tests/&lt;Project&gt;/bin/&lt;Configuration&gt;/net10.0/).</summary>
    public static string RepositoryRoot => Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", ".."));

    /// <summary>The built program <paramref name="assembly"/>.dll of project src/<paramref name="project"/>, same configuration as the tests.</summary>
    public static string BuiltProgram(string project, string assembly) => Path.Combine(RepositoryRoot,
        "src", project, "bin", Path.GetFileName(Path.GetDirectoryName(AppContext.BaseDirectory.TrimEnd('/'))!), "net10.0", assembly + ".dll");

    /// <summary>Runs a program to its end and returns exit code, stdout and stderr.</summary>
    public static (int Code, string Out, string Err) Run(string file, IEnumerable<string> args, string? workingDirectory = null, int timeoutSeconds = 300,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        // Collected as it comes, so that a timeout can still show what the program printed until then.
        var (stdout, stderr) = (new StringBuilder(), new StringBuilder());
        var reading = Task.WhenAll(Collect(process.StandardOutput, stdout), Collect(process.StandardError, stderr));
        if (!process.WaitForExit(timeoutSeconds * 1000))
        {
            process.Kill(entireProcessTree: true);
            reading.Wait(TimeSpan.FromSeconds(10));
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in {timeoutSeconds} s; it printed:\n{Snapshot(stdout)}{Snapshot(stderr)}");
        }
        reading.Wait();
        return (process.ExitCode, stdout.ToString(), stderr.ToString());
    }

    static async Task Collect(StreamReader reader, StringBuilder into)
    {
        var buffer = new char[8192];
        for (int n; (n = await reader.ReadAsync(buffer)) > 0;)
            lock (into) into.Append(buffer, 0, n);
    }

    static string Snapshot(StringBuilder builder) { lock (builder) return builder.ToString(); }

    /// <summary>True once process <paramref name="pid"/> is gone (or a zombie), polling up to <paramref name="timeout"/>.</summary>
    public static bool Ended(int pid, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        do
        {
            try
            {
                if (File.ReadLines($"/proc/{pid}/status").Any(l => l.StartsWith("State:") && l.Contains("zombie"))) return true;
            }
            catch (IOException) { return true; } // no such process
            Thread.Sleep(100);
        } while (clock.Elapsed < timeout);
        return false;
    }

    /// <summary>
    /// Registers the built csnb kernel under <paramref name="name"/> in the Jupyter data folder
    /// <paramref name="dataDir"/>; returns the environment in which Jupyter looks there.
    /// </summary>
    public static Dictionary<string, string> InstallKernel(string dataDir, string name = "csnb")
    {
        var (code, stdout, stderr) = Run(NotebookEngine.Scripting.DotnetHost.Path,
            [BuiltProgram("NotebookKernel", "csnb-kernel"), "install", "--name", name, "--data-dir", dataDir]);
        if (code != 0) throw new InvalidOperationException($"csnb-kernel install failed: {stdout}{stderr}");
        return new Dictionary<string, string> { ["JUPYTER_PATH"] = dataDir, ["JUPYTER_DATA_DIR"] = dataDir };
    }
}

/// <summary>Records what a cell produced, in order.</summary>
public sealed class RecordingOutput : ICellOutput
{
    public List<(string Kind, string Text, string? Id, DisplayData? Data)> Events { get; } = [];

    public void Stream(string name, string text) { lock (Events) Events.Add((name, text, null, null)); }
    public void Display(DisplayData data, string displayId) { lock (Events) Events.Add(("display", data.PlainText, displayId, data)); }
    public void UpdateDisplay(DisplayData data, string displayId) { lock (Events) Events.Add(("update", data.PlainText, displayId, data)); }
    public void Result(DisplayData data) { lock (Events) Events.Add(("result", data.PlainText, null, data)); }
    public void Error(CellError error) { lock (Events) { Events.Add(("error", error.Name + ": " + error.Value, null, null)); Errors.Add(error); } }
    public void ClearOutput(bool wait) { lock (Events) Events.Add(("clear", wait ? "wait" : "now", null, null)); }

    public List<CellError> Errors { get; } = [];

    public string Stdout => string.Concat(Events.Where(e => e.Kind == "stdout").Select(e => e.Text));
    public IEnumerable<DisplayData> Results => Events.Where(e => e.Kind == "result").Select(e => e.Data!);
}
