using System.Diagnostics;
using CenterLossKit.Evaluation;
using CenterLossKit.Models;
using static TorchSharp.torch;

namespace CenterLossKit.Benchmarks;

/// <summary>
/// Evaluation speed: <see cref="Metrics.Embed"/> of the tutorial's 2,000 test images by LeNet++ at
/// several batch sizes, which the trainer runs after every epoch and the rejection notebook runs on
/// 12,000 images per model.
/// </summary>
static class EvalBenchmark
{
    const int Images = 2000;
    static readonly int[] BatchSizes = [128, 256, 500, 1000, 2000];

    public static void Run(Options options)
    {
        using var generator = new Generator(4, CPU);
        using var images = randn([Images, 1, 28, 28], generator: generator, device: CPU);
        using var model = new LeNetPlusPlus();
        Console.WriteLine($"## Evaluation: Metrics.Embed of {Images} images (median of {options.Rounds} runs)");
        Console.WriteLine();
        Console.WriteLine("| batch | seconds | images/s |");
        Console.WriteLine("|---|---|---|");
        Embed(model, images, BatchSizes[0]); // warm-up
        foreach (int batch in BatchSizes)
        {
            var times = new List<double>();
            for (int r = 0; r < options.Rounds; r++)
            {
                var clock = Stopwatch.StartNew();
                Embed(model, images, batch);
                times.Add(clock.Elapsed.TotalSeconds);
            }
            double seconds = Machine.Median(times);
            Console.WriteLine($"| {batch} | {seconds:F2} | {Images / seconds:F0} |");
        }
        Console.WriteLine();
    }

    static void Embed(FeatureNet model, Tensor images, int batch)
    {
        var (features, logits) = Metrics.Embed(model, images, batch);
        features.Dispose();
        logits.Dispose();
    }
}
