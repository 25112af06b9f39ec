using NotebookEngine.Documents;
using NotebookEngine.Running;
using Xunit.Abstractions;

namespace Interop.Tests;

/// <summary>Tests that set the process's working directory, as the real engine reads relative paths from it: one at a time.</summary>
[CollectionDefinition(nameof(WorkingDirectory), DisableParallelization = true)]
public sealed class WorkingDirectory;

/// <summary>
/// The tutorial notebooks under the real .NET Interactive C# kernel, as its user runs them: the
/// library built once in Release (the step notebooks/README.md names), each notebook in its own
/// kernel with the notebooks' folder as working directory, at small parameters.
/// </summary>
[Collection(nameof(WorkingDirectory))]
public partial class TutorialTests(ITestOutputHelper log)
{
    static readonly string Folder = Path.Combine(Processes.RepositoryRoot, "notebooks");

    /// <summary>The least that runs every cell: a few digits per class, one epoch.</summary>
    static Dictionary<string, string> Small(string models) => new()
    {
        ["epochs"] = "1", ["trainPerClass"] = "20", ["maxShift"] = "0", ["device"] = "cpu", ["samplesShown"] = "10",
        ["sweepEpochs"] = "1", ["sweepPerClass"] = "10", ["snapshotSamples"] = "50", ["outsiders"] = "100",
        ["pairEpochs"] = "1", ["pairsPerEpoch"] = "256", ["featureDims"] = "2", ["knownPerClass"] = "20", ["perClass"] = "10",
        ["modelFolder"] = models, ["figureFolder"] = models, ["resultFolder"] = models,
    };

    [Fact]
    public async Task EveryNotebookRunsInTheRealEngine()
    {
        var build = Processes.Run(NotebookEngine.Scripting.DotnetHost.Path,
            ["build", "-c", "Release", "-nologo", "-v", "q", Path.Combine(Processes.RepositoryRoot, "src", "CenterLossKit", "CenterLossKit.csproj")], timeoutSeconds: 600);
        Assert.True(build.Code == 0, build.Out + build.Err);
        var models = Directory.CreateTempSubdirectory("interop-tutorial-").FullName;

        var home = Environment.CurrentDirectory;
        try
        {
            Environment.CurrentDirectory = Folder;
            foreach (var file in Directory.EnumerateFiles(Folder, "*.ipynb").Order(StringComparer.Ordinal))
            {
                var source = Notebook.Load(file);
                var declared = Parameters.Declared(source).Select(p => p.Name).ToHashSet();
                var prepared = NotebookRunner.Prepare(source, new RunOptions { Parameters = Small(models).Where(p => declared.Contains(p.Key)).ToDictionary() });
                using var engine = new RealEngine();
                foreach (var cell in prepared.Cells.Where(c => c.IsCode))
                {
                    var run = await engine.RunAsync(cell.Source, TimeSpan.FromSeconds(300));
                    log.WriteLine($"{Path.GetFileName(file)}: {(run.Failed ? "error " + run.ErrorText : "ok")} | {string.Join(" | ", run.Outputs)}");
                    var shown = string.Join("\n", run.Outputs.SelectMany(o => o.Data.Values));
                    Assert.False(run.Failed, $"{Path.GetFileName(file)}:\n{cell.Source}\n{run.ErrorText}");
                    // A kit chart is built (this host loads FSharp.Core 10.1 for Plotly.NET 6), but the real engine has no display for it:
                    // it shows the chart's object tree, never a plot.
                    Assert.DoesNotContain("Plotly.newPlot(", shown);
                    if (ChartCall().IsMatch(cell.Source)) Assert.Contains("Plotly.NET.Trace2D", shown);
                }
            }
        }
        finally
        {
            Environment.CurrentDirectory = home;
            Directory.Delete(models, recursive: true);
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\b\w+Charts\.\w+\(")]
    private static partial System.Text.RegularExpressions.Regex ChartCall();
}
