using System.Diagnostics;
using NotebookEngine.Documents;

namespace Notebooks.Tests;

/// <summary>The notebooks that train nothing, run by Jupyter itself (Debian's nbconvert) through the csnb kernel.</summary>
public class JupyterTests
{
    static readonly string Root = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", ".."));

    static (int Code, string Output) Run(string file, IEnumerable<string> args, string folder, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(300_000)) { process.Kill(true); throw new TimeoutException($"{file} took over 5 minutes"); }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    [Theory]
    [InlineData("01-the-data.ipynb")]
    [InlineData("03-center-module.ipynb")]
    public void JupyterRunsTheNotebookThroughTheCsnbKernel(string name)
    {
        var configuration = Path.GetFileName(Path.GetDirectoryName(AppContext.BaseDirectory.TrimEnd('/')))!;
        var kernel = Path.Combine(Root, "src", "NotebookKernel", "bin", configuration, "net10.0", "csnb-kernel.dll");
        var data = Directory.CreateTempSubdirectory("csnb-jupyter-").FullName;
        var install = Run("dotnet", [kernel, "install", "--data-dir", data], Root);
        Assert.True(install.Code == 0, install.Output);

        // nbconvert picks the kernel named in the notebook's metadata (csnb) and runs it in the notebook's folder.
        var (code, log) = Run("/usr/bin/python3",
            ["-m", "nbconvert", "--to", "notebook", "--execute", "--ExecutePreprocessor.timeout=300", "--output-dir", data, name],
            Path.Combine(Root, "notebooks"), new Dictionary<string, string> { ["JUPYTER_PATH"] = data, ["JUPYTER_DATA_DIR"] = data });
        Assert.True(code == 0, log);
        var executed = Notebook.Load(Path.Combine(data, name));
        var codeCells = executed.Cells.Where(c => c.IsCode && !string.IsNullOrWhiteSpace(c.Source)).ToList();
        Assert.All(codeCells, c => Assert.NotNull(c.ExecutionCount));
        Assert.DoesNotContain(codeCells.SelectMany(c => c.Outputs), o => (string?)o!["output_type"] == "error");
        Assert.Contains(codeCells[^1].Outputs, o => Text.Join(o!["data"]?["text/plain"]).Contains("Key: ", StringComparison.Ordinal)); // the summary
    }
}
