using System.Runtime.CompilerServices;
using System.Text.Json;
using NotebookEngine.Documents;
using NotebookEngine.Running;
using NotebookEngine.Scripting;

namespace Notebooks.Tests;

/// <summary>
/// Every notebook in notebooks/ runs top to bottom with small parameters; a notebook added to the
/// folder is picked up with no change here. Each notebook leaves a <c>summary</c> dictionary of its
/// key results, which the checks below read from the live session.
/// </summary>
public class NotebookTests
{
#pragma warning disable CA2255 // the host must hook native loading before a notebook touches TorchSharp
    [ModuleInitializer]
    internal static void LoadTorchNatively() => LibTorchLoader.TorchNative.LoadWhenTorchSharpLoads();
#pragma warning restore CA2255

    static readonly string Folder = Path.Combine(Processes.RepositoryRoot, "notebooks");

    /// <summary>Models trained by one notebook are reused by the next, as in a real run of the series.</summary>
    static readonly string Models = Directory.CreateTempSubdirectory("csnb-notebook-models-").FullName;

    /// <summary>Small settings; each notebook gets those its parameters cell declares.</summary>
    static readonly Dictionary<string, string> Small = new()
    {
        // LeNet++ with 2-D features learns slowly at first: 4 epochs of the 8,000 digits is about the least that shows it.
        ["epochs"] = "4", ["maxShift"] = "0", ["seed"] = "1", ["device"] = "cpu",
        ["sweepEpochs"] = "1", ["sweepPerClass"] = "30", ["snapshotSamples"] = "100", ["outsiders"] = "500",
        ["pairEpochs"] = "3", ["pairsPerEpoch"] = "3000", ["samplesShown"] = "10", ["modelFolder"] = Models,
        ["figureFolder"] = Models,
        // Notebook 7 trains two networks per feature dimension: two small dimensions, 150 digits per known class.
        ["featureDims"] = "2,8", ["knownPerClass"] = "150", ["resultFolder"] = Models,
    };

    public static TheoryData<string> All() => [.. Directory.EnumerateFiles(Folder, "*.ipynb").Select(p => Path.GetFileName(p)).Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(All))]
    public async Task TheNotebookRunsAndReachesItsResults(string name)
    {
        var source = Notebook.Load(Path.Combine(Folder, name));
        Assert.Equal("csnb", source.KernelName);
        Assert.All(source.Cells.Where(c => c.IsCode), c => Assert.Empty(c.Outputs)); // committed without outputs
        Assert.DoesNotContain(source.Cells, c => c.Source.Contains("#r \"/", StringComparison.Ordinal));
        Assert.NotEmpty(Parameters.Declared(source));

        var declared = Parameters.Declared(source).Select(p => p.Name).ToHashSet();
        var options = new RunOptions { Parameters = Small.Where(p => declared.Contains(p.Key)).ToDictionary() };
        var session = new NotebookEngine.Polyglot.NotebookSession(new SessionOptions { WorkingDirectory = Folder });
        var result = await NotebookRunner.RunAsync(NotebookRunner.Prepare(source, options), options, session);
        var errors = result.Notebook.Cells.SelectMany(c => c.Outputs).Where(o => (string?)o!["output_type"] == "error").Select(o => o!.ToJsonString()).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        Assert.True(result.Succeeded);

        // A cell that draws a chart has one among its outputs.
        foreach (var cell in result.Notebook.Cells.Where(c => c.IsCode && c.Source.Contains("FeatureCharts.", StringComparison.Ordinal)))
            Assert.Contains(cell.Outputs, o => Text.Join(o!["data"]?["text/html"]).Contains("Plotly.newPlot(", StringComparison.Ordinal));

        Check(name, await Summary(session));
    }

    static async Task<Dictionary<string, double>> Summary(NotebookEngine.Polyglot.NotebookSession session)
    {
        var output = new RecordingOutput();
        Assert.Equal(CellStatus.Ok, await session.ExecuteAsync("System.Text.Json.JsonSerializer.Serialize(summary)", output));
        return JsonSerializer.Deserialize<Dictionary<string, double>>(output.Results.Single().PlainText)!;
    }

    /// <summary>Bounds a broken implementation cannot meet, at the small settings above (chance accuracy is 0.1).</summary>
    static void Check(string name, Dictionary<string, double> summary)
    {
        switch (name[..2])
        {
            case "01":
                Assert.Equal(8000, summary["trainCount"]);
                Assert.Equal(2000, summary["testCount"]);
                Assert.Equal(2000, summary["outsiderCount"]);
                Assert.InRange(summary["smallestClassShare"], 0.08, 0.1);
                break;
            case "02":
                Assert.InRange(summary["testAccuracy"], 0.6, 1);
                Assert.Equal(4, summary["epochs"]);
                break;
            case "03":
                Assert.True(summary["movingAverageGap"] < 1e-12 && summary["wenGap"] < 1e-12 && summary["restoredGap"] == 0);
                Assert.Equal(1, summary["stateKeys"]);
                Assert.Equal(0, summary["parameters"]);
                // The learner's own loop with MyCenter and the kit's Trainer: the same step, the same numbers.
                Assert.InRange(summary["loopGap"], 0, 1e-5);
                Assert.True(summary["loopLastCrossEntropy"] < summary["loopFirstCrossEntropy"], $"cross-entropy {summary["loopFirstCrossEntropy"]} → {summary["loopLastCrossEntropy"]}");
                Assert.InRange(summary["loopAccuracy"], 0.3, 1);
                break;
            case "04":
                Assert.InRange(summary["centerAccuracy"], 0.6, 1);
                Assert.True(summary["centerRatio"] < summary["softmaxRatio"], $"center loss {summary["centerRatio"]} vs softmax {summary["softmaxRatio"]}");
                Assert.Equal(1, summary["snapshots"]);
                break;
            case "05":
                Assert.InRange(summary["aurocCenterDistance"], 0.7, 1);
                Assert.True(summary["aurocCenterDistance"] > summary["aurocSoftmaxDistance"], $"{summary["aurocCenterDistance"]} vs {summary["aurocSoftmaxDistance"]}");
                Assert.InRange(summary["digitsAccepted"], 0.8, 1);
                Assert.InRange(summary["trainWithinOwnThreshold"], 0.945, 0.955); // Fit's quantile, recomputed by the notebook
                Assert.InRange(summary["trainAcceptedByDecide"], 0.8, 1);
                break;
            case "06":
                Assert.Equal(6.5, summary["contrastiveCheck"], 9);
                Assert.True(summary["lastLoss"] < summary["firstLoss"]);
                Assert.InRange(summary["contrastiveAccuracy"], 0.3, 1);
                break;
            case "07":
                Assert.Equal(6, summary["knownClasses"]);
                Assert.Equal(2 * 2 * 6 * 2, summary["rows"]);          // dimensions × networks × scores × kinds of outsider
                Assert.Equal(1, summary["metricsInRange"]);
                Assert.Equal(0, summary["oscrAboveAccuracy"]);          // an OSCR area never exceeds the closed-set accuracy
                Assert.InRange(summary["validationAcceptedMin"], 0.85, 1); // thresholds accept about acceptRate of validation
                Assert.InRange(summary["accuracyMin"], 0.35, 1);         // six classes: chance is 0.17
                Assert.InRange(summary["aurocFarBest"], 0.7, 1);
                Assert.Equal(5, summary["savedSets"]);
                Assert.True(summary["ratio8Center"] < summary["ratio8Softmax"], $"8-D: center loss {summary["ratio8Center"]} vs softmax {summary["ratio8Softmax"]}");
                break;
            case "08":
                // Centres in no optimizer are named after max_idle_steps (10) steps; with one they move.
                Assert.Equal((10, 1), (summary["forgottenSteps"], summary["forgottenCaught"]));
                Assert.True(summary["centreShift"] > 0);
                Assert.True(summary["unscaleGap"] < 1e-12);
                // The large-λ SGD run is stopped by the loss's NaN check; the Trainer names where it stopped.
                Assert.Equal(1, summary["nanCaught"]);
                Assert.InRange(summary["divergedStep"], 1, 1000);
                Assert.Equal(summary["divergedEpoch"] - 1, summary["historyRows"]);
                Assert.Equal(1, summary["weightsFinite"]);
                break;
        }
    }
}
