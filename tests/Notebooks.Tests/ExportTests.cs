using System.Globalization;
using System.Text.RegularExpressions;
using NotebookEngine.Scripting;

namespace Notebooks.Tests;

/// <summary>The file-based apps build the kit's projects; they run alone, not beside notebooks that build them too.</summary>
[CollectionDefinition(nameof(AppBuilds), DisableParallelization = true)]
public sealed class AppBuilds;

/// <summary>
/// A tutorial notebook exported by <c>csnb export</c> runs with <c>dotnet run</c> wherever the app is
/// written: outside the repository, and inside it (under its central package management and
/// warnings as errors), with TorchSharp's native backend and loader, printing what the notebook shows.
/// </summary>
[Collection(nameof(AppBuilds))]
public class ExportTests
{
    static readonly string Csnb = Processes.BuiltProgram("NotebookCli", "csnb");
    static readonly string Notebooks = Path.Combine(Processes.RepositoryRoot, "notebooks");

    /// <summary>Exports <paramref name="notebook"/> to <paramref name="app"/>, runs it from the root folder and returns what it printed.</summary>
    static string ExportAndRun(string notebook, string app, params string[] parameters)
    {
        var export = Processes.Run(DotnetHost.Path, [Csnb, "export", Path.Combine(Notebooks, notebook), "-o", app, .. parameters.SelectMany(p => new[] { "-p", p })]);
        Assert.True(export.Code == 0, export.Out + export.Err);
        var (code, stdout, stderr) = Processes.Run(DotnetHost.Path, ["run", app], workingDirectory: "/");
        Assert.True(code == 0, stdout + stderr);
        return stdout.Replace("\r", "");
    }

    static double Number(string text, string pattern) =>
        double.Parse(Regex.Match(text, pattern, RegexOptions.Multiline) is { Success: true } m ? m.Groups[1].Value : throw new Xunit.Sdk.XunitException($"no match for {pattern} in:\n{text}"), CultureInfo.InvariantCulture);

    [Fact]
    public void TheSoftmaxNotebookTrainsAsAnAppOutsideTheRepository()
    {
        var folder = Directory.CreateTempSubdirectory("csnb-export-").FullName;
        var app = Path.Combine(folder, "softmax.cs");
        var output = ExportAndRun("02-softmax-features.ipynb", app,
            "epochs=1", "trainPerClass=30", "maxShift=0", "device=cpu", $"modelFolder={Path.Combine(folder, "models")}");
        var source = File.ReadAllText(app);
        Assert.StartsWith("// Exported from 02-softmax-features.ipynb by csnb. Run: dotnet run softmax.cs\n", source);
        Assert.Contains("\n#:package TorchSharp-cpu@0.107.0\n", source);
        Assert.Contains("\nLibTorchLoader.TorchNative.EnsureLoaded();", source);

        Assert.Contains("300 training and 2000 test digits on CPU\n", output);
        // Progress in a log: the line shown first, then only the last update (no line per step).
        var accuracy = Number(output, @"^softmax: starting\nsoftmax: 1 epochs, test accuracy (\d\.\d{4})\n");
        Assert.DoesNotContain("softmax: epoch ", output);
        // The history DataFrame as an aligned table with the same accuracy; the summary dictionary as key and value.
        var header = Regex.Match(output, @"^Epoch +Softmax +Center +Total +TrainAccuracy +TestAccuracy .*$", RegexOptions.Multiline);
        Assert.True(header.Success, output);
        var names = Regex.Matches(header.Value, @"\S+").ToList();
        var cells = Regex.Matches(output[(header.Index + header.Length + 1)..].Split('\n')[0], @"\S+").ToList();
        Assert.Equal(names.Select(n => n.Index + n.Length), cells.Select(c => c.Index + c.Length)); // numbers right-aligned under their names
        Assert.Equal(1, double.Parse(cells[0].Value, CultureInfo.InvariantCulture));
        Assert.Equal(accuracy, double.Parse(cells[names.FindIndex(n => n.Value == "TestAccuracy")].Value, CultureInfo.InvariantCulture), 4);
        Assert.Equal(accuracy, Number(output, @"^testAccuracy +(\S+)$"), 4);
        Assert.Equal(1, Number(output, @"^epochs +(\S+)$"));
        Assert.InRange(Number(output, @"^ratio +(\S+)$"), 1e-3, 10);

        // Each chart is a page beside the app with plotly.js inside, so it opens offline.
        var charts = Regex.Matches(output, @"^chart: (.+)$", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal([Path.Combine(folder, "softmax-charts", "chart-1.html"), Path.Combine(folder, "softmax-charts", "chart-2.html")], charts);
        foreach (var chart in charts)
        {
            var page = File.ReadAllText(chart);
            Assert.Contains("* plotly.js v", page);
            Assert.Contains("Plotly.newPlot(", page);
            Assert.DoesNotContain("<script src=", page);
        }
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public void TheCenterModuleNotebookRunsAsAnAppInsideTheRepository()
    {
        // artifacts/ is ignored by git; the app is still under the repository's Directory.*.props.
        var folder = Path.Combine(Processes.RepositoryRoot, "artifacts", $"export-test-{Environment.ProcessId}");
        Directory.CreateDirectory(folder);
        try
        {
            var output = ExportAndRun("03-center-module.ipynb", Path.Combine(folder, "center.cs"), "alpha=0.25");
            // One update by hand with α = 0.25: class 0 holds samples (1, 2) and (3, 4), class 2 holds (5, 6), from centres 0, 10 and 1.
            // Moving average: c −= (1 − α)·Σ(c − x) gives (3, 4.5) and (4, 4.75); Wen's rule: c −= α·Σ(c − x)/(1 + n) gives (0.333, 0.5) and (1.5, 1.625).
            Assert.Matches(@"\n0 \(twice\) +\(3, 4\.5\) +\(3, 4\.5\) +\(3, 4\.5\) +\(0\.333, 0\.5\) +\(0\.333, 0\.5\)\n", output);
            Assert.Matches(@"\n1 \(absent\) +\(10, 10\) +\(10, 10\) +\(10, 10\) +\(10, 10\) +\(10, 10\)\n", output);
            Assert.Matches(@"\n2 \(once\) +\(4, 4\.75\) +\(4, 4\.75\) +\(4, 4\.75\) +\(1\.5, 1\.625\) +\(1\.5, 1\.625\)\n", output);
            Assert.Contains("saved and loaded: largest difference 0\n", output);
            Assert.Equal((0, 0, 1), (Number(output, @"^movingAverageGap +(\S+)$"), Number(output, @"^restoredGap +(\S+)$"), Number(output, @"^stateKeys +(\S+)$")));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
