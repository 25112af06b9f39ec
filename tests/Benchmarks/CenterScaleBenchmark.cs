using System.Diagnostics;
using CenterLossKit.Losses;
using CenterLossKit.Modules;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CenterLossKit.Benchmarks;

/// <summary>
/// Center loss (forward and backward to the features) plus the centre update, per batch, from 10 to
/// 100,000 classes and 2 to 512 feature dimensions, for both update rules of <see cref="Center"/>;
/// beside it the distance-matrix form of the widely used PyTorch implementation, which builds all
/// B × C distances, masks all but each sample's own class and learns the centres with SGD.
/// </summary>
static class CenterScaleBenchmark
{
    const int Batch = 256;
    static readonly long[] ClassCounts = [10, 1_000, 100_000];
    static readonly long[] Dims = [2, 128, 512];

    public static void Run(Options options)
    {
        Console.WriteLine($"## Centre update + center loss per batch of {Batch} (median ms)");
        Console.WriteLine();
        Console.WriteLine("| classes | dim | moving average | Wen | distance matrix | matrix / Wen |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (long classes in ClassCounts)
        foreach (long dim in Dims)
        {
            using var scope = NewDisposeScope();
            using var generator = new Generator((ulong)(classes * 1000 + dim), CPU);
            var features = randn([Batch, dim], generator: generator, device: CPU).requires_grad_();
            var labels = randint(0, classes, [Batch], generator: generator, device: CPU);
            double moving = Ours(features, labels, classes, CenterUpdate.MovingAverage);
            double wen = Ours(features, labels, classes, CenterUpdate.Wen);
            double matrix = DistanceMatrix(features, labels, classes);
            double ratio = matrix / wen;
            Console.WriteLine($"| {classes:N0} | {dim} | {moving:F3} | {wen:F3} | {matrix:F3} | {ratio.ToString(ratio < 10 ? "F1" : "F0")}× |");
        }
        Console.WriteLine();
    }

    // The library's way: centres gathered per sample, O(B·D) whatever the number of classes.
    static double Ours(Tensor features, Tensor labels, long classes, CenterUpdate rule)
    {
        using var center = new Center(classes, features.shape[1], alpha: 0.5, update: rule, device: features.device);
        using var loss = new CenterLoss();
        return Time(() =>
        {
            using var step = NewDisposeScope();
            features.grad?.zero_();
            loss.forward(features, labels, center.centers).backward();
            center.forward(features.detach(), labels);
        });
    }

    // All B × C squared distances as ‖x‖² + ‖c‖² − 2·x·cᵀ, the own class kept by a mask; the centres
    // are a parameter, so backward fills a (C, D) gradient and SGD moves every row.
    static double DistanceMatrix(Tensor features, Tensor labels, long classes)
    {
        using var centers = new Parameter(randn(classes, features.shape[1], device: features.device));
        using var optimizer = optim.SGD([centers], 0.5);
        using var classIds = arange(classes, device: features.device);
        return Time(() =>
        {
            using var step = NewDisposeScope();
            features.grad?.zero_();
            optimizer.zero_grad();
            var distances = features.pow(2).sum(1, keepdim: true).expand(Batch, classes)
                + centers.pow(2).sum(1, keepdim: true).expand(classes, Batch).t();
            distances = distances.addmm(features, centers.t(), beta: 1, alpha: -2);
            var own = labels.unsqueeze(1).eq(classIds.unsqueeze(0));
            var loss = (distances * own).clamp(1e-12, 1e12).sum() / Batch;
            loss.backward();
            optimizer.step();
        });
    }

    // Median of repeated runs after two warm-ups: at least 5 runs, and more while under a second in all.
    static double Time(Action run)
    {
        run();
        run();
        var times = new List<double>();
        var total = Stopwatch.StartNew();
        while (times.Count < 5 || (total.Elapsed.TotalSeconds < 1 && times.Count < 200))
        {
            var clock = Stopwatch.StartNew();
            run();
            times.Add(clock.Elapsed.TotalMilliseconds);
        }
        return Machine.Median(times);
    }
}
