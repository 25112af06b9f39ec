using NotebookEngine.Documents;

namespace Notebooks.Tests;

/// <summary>The notebooks that train nothing, run by Jupyter itself (Debian's nbconvert) through the csnb kernel.</summary>
public class JupyterTests
{
    [Theory]
    [InlineData("01-the-data.ipynb")]
    [InlineData("03-center-module.ipynb")]
    public void JupyterRunsTheNotebookThroughTheCsnbKernel(string name)
    {
        var data = Directory.CreateTempSubdirectory("csnb-jupyter-").FullName;
        var environment = Processes.InstallKernel(data);

        // nbconvert picks the kernel named in the notebook's metadata (csnb) and runs it in the notebook's folder.
        // A cell that hangs fails within nbconvert (which names the cell) before the whole run is stopped.
        var (code, stdout, stderr) = Processes.Run("/usr/bin/python3",
            ["-m", "nbconvert", "--to", "notebook", "--execute", "--ExecutePreprocessor.timeout=240", "--output-dir", data, name],
            Path.Combine(Processes.RepositoryRoot, "notebooks"), timeoutSeconds: 420, environment: environment);
        Assert.True(code == 0, stdout + stderr);
        var executed = Notebook.Load(Path.Combine(data, name));
        var codeCells = executed.Cells.Where(c => c.IsCode && !string.IsNullOrWhiteSpace(c.Source)).ToList();
        Assert.All(codeCells, c => Assert.NotNull(c.ExecutionCount));
        Assert.DoesNotContain(codeCells.SelectMany(c => c.Outputs), o => (string?)o!["output_type"] == "error");
        Assert.Contains(codeCells[^1].Outputs, o => Text.Join(o!["data"]?["text/plain"]).Contains("Key: ", StringComparison.Ordinal)); // the summary
    }
}
