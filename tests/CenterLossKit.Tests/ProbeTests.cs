using CenterLossKit.Charts;
using CenterLossKit.Data;
using CenterLossKit.Evaluation;
using CenterLossKit.Models;
using CenterLossKit.Training;
namespace CenterLossKit.Tests;
public class ProbeTests
{
    [Fact]
    public void Probe()
    {
        var (train, test) = Datasets.Mnist();
        using var t = new Trainer(() => new SmallNet(), new TrainOptions { Epochs = 4, BatchSize = 32, LearningRate = 1e-2, Lambda = 0.1, Seed = 1, SnapshotSamples = 500 }, CPU);
        t.Fit(train.Take(300), test);
        var s = t.Snapshots[^1];
        ChartHtml.Save(FeatureCharts.Scatter(s.Features, 2, s.Labels, Datasets.Digits, s.Centers, "center loss"), "/tmp/features.html");
        ChartHtml.Save(FeatureCharts.Animation(t.Snapshots, Datasets.Digits), "/tmp/anim.html");
        ChartHtml.Save(FeatureCharts.Curves(t.Records), "/tmp/curves.html");
    }
}
