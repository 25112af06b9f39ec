using System.Diagnostics;
using CenterLossKit.Data;
using CenterLossKit.Evaluation;
using CenterLossKit.Models;
using CenterLossKit.Training;
using static TorchSharp.torch;

namespace CenterLossKit.Benchmarks;

/// <summary>
/// The README's quick try: softmax only and softmax + center loss, trained briefly on the bundled
/// digits, measured as notebooks 4 and 5 measure them — test accuracy, intra/inter compactness, and
/// the AUROC of the centre distance and of the max softmax against 2,000 Fashion-MNIST outsiders.
/// </summary>
static class QuickTry
{
    const int Outsiders = 2000;

    public static void Run(Options options)
    {
        var (train, test) = Datasets.Mnist();
        var fashion = Datasets.FashionMnist().Test;
        fashion = fashion.Subset([.. Enumerable.Range(0, Math.Min(Outsiders, fashion.Count))], "fashion outsiders");
        var recipe = new TrainOptions
        {
            Epochs = options.Epochs, BatchSize = options.Batch, LearningRate = options.LearningRate, MaxShift = 0,
            Alpha = 0.5, Centers = CenterMode.Wen, Seed = 1,
        };
        Console.WriteLine($"## Quick try: {options.Model}, {options.Epochs} epochs, batch {options.Batch}, Adam {options.LearningRate} (cosine), "
                          + $"{train.Count} training digits; load average before: {LoadAverage()}");
        Console.WriteLine();
        Console.WriteLine("| model | test accuracy | intra / inter | AUROC, centre distance | AUROC, max softmax | training s |");
        Console.WriteLine("|---|---|---|---|---|---|");
        var clock = Stopwatch.StartNew();
        foreach (var lambda in new[] { 0, options.Lambda })
        {
            var started = clock.Elapsed;
            using var trainer = new Trainer(() => options.Model == "LeNet++" ? new LeNetPlusPlus() : new SmallNet(), recipe with { Lambda = lambda }, CPU);
            trainer.Fit(train, test);
            var seconds = (clock.Elapsed - started).TotalSeconds;
            using var scope = NewDisposeScope();
            var digits = Metrics.Embed(trainer.Model, test, CPU);
            var fitted = Metrics.Embed(trainer.Model, train, CPU);
            var others = Metrics.Embed(trainer.Model, fashion, CPU);
            using var rejector = OutsiderRejector.Fit(fitted.Features, fitted.Labels, trainer.CenterValues);
            var maxSoftmax = new MaxSoftmax();
            double distance = Roc.Compute(Values(rejector.Score(digits.Features)), Values(rejector.Score(others.Features))).Auroc;
            double softmax = Roc.Compute(Values(maxSoftmax.Score(digits.Features, digits.Logits)), Values(maxSoftmax.Score(others.Features, others.Logits))).Auroc;
            Console.WriteLine($"| {(lambda == 0 ? "softmax only" : $"center loss λ = {lambda}")} | {Metrics.Accuracy(digits.Logits, digits.Labels):F3} | "
                              + $"{Metrics.Compactness(digits.Features, digits.Labels, 10).Ratio:F3} | {distance:F3} | {softmax:F3} | {seconds:F0} |");
        }
        Console.WriteLine();
        Console.WriteLine($"All in {clock.Elapsed.TotalSeconds:F0} s (evaluation included); load average after: {LoadAverage()}");
        Console.WriteLine();
    }

    static double[] Values(Tensor t) => t.detach().to(ScalarType.Float64).data<double>().ToArray();

    // The 1-, 5- and 15-minute load averages, as uptime prints them: the machine is shared.
    static string LoadAverage() => string.Join(", ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
}
