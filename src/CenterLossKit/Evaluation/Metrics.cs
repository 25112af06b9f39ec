using CenterLossKit.Data;
using CenterLossKit.Distances;
using CenterLossKit.Models;
using static TorchSharp.torch;

namespace CenterLossKit.Evaluation;

/// <summary>Compactness of classes in feature space.</summary>
/// <param name="Intra">Mean distance of a sample to its class centre.</param>
/// <param name="Inter">Mean distance between two class centres.</param>
public sealed record Compactness(double Intra, double Inter)
{
    /// <summary>Intra / Inter: smaller means tighter, better separated classes.</summary>
    public double Ratio => Intra / Inter;
}

/// <summary>Features, accuracy and compactness of a trained network.</summary>
public static class Metrics
{
    /// <summary>
    /// Features (N, D) and logits (N, C) of <paramref name="images"/> in eval mode without
    /// gradients, in batches; the network's training mode is restored afterwards. Batches of 256 ran
    /// fastest under glibc's default malloc, which unmaps and re-faults larger activations each batch.
    /// </summary>
    public static (Tensor Features, Tensor Logits) Embed(FeatureNet model, Tensor images, int batchSize = 256)
    {
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var scope = NewDisposeScope();
            using var _ = inference_mode();
            var features = new List<Tensor>();
            var logits = new List<Tensor>();
            for (long start = 0; start < images.shape[0]; start += batchSize)
            {
                var (f, l) = model.call(images.narrow(0, start, Math.Min(batchSize, images.shape[0] - start)));
                features.Add(f);
                logits.Add(l);
            }
            return (cat(features, 0).MoveToOuterDisposeScope(), cat(logits, 0).MoveToOuterDisposeScope());
        }
        finally { model.train(wasTraining); }
    }

    /// <summary>Features and logits of a whole <see cref="ImageSet"/> on <paramref name="device"/>.</summary>
    public static (Tensor Features, Tensor Logits, Tensor Labels) Embed(FeatureNet model, ImageSet set, Device device)
    {
        var (images, labels) = set.ToTensors(device);
        using (images)
        {
            var (f, l) = Embed(model, images);
            return (f, l, labels);
        }
    }

    /// <summary>Fraction of rows whose largest logit is the label.</summary>
    public static double Accuracy(Tensor logits, Tensor labels)
    {
        using var scope = NewDisposeScope();
        return logits.argmax(1).eq(labels).to(ScalarType.Float64).mean().item<double>();
    }

    /// <summary>Mean feature of each class (C, D); a class with no sample gets zeros.</summary>
    public static Tensor ClassMeans(Tensor features, Tensor labels, long numClasses)
    {
        using var scope = NewDisposeScope();
        var sums = features.new_zeros(numClasses, features.shape[1]).index_add_(0, labels, features, 1);
        var counts = features.new_zeros(numClasses).index_add_(0, labels, features.new_ones(labels.shape[0]), 1);
        return sums.div_(counts.clamp_min(1).unsqueeze(1)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Mean distance of each sample to its class centre against the mean distance between centres.
    /// With no <paramref name="centers"/>, each class's mean feature is its centre.
    /// </summary>
    public static Compactness Compactness(Tensor features, Tensor labels, long numClasses, Tensor? centers = null)
    {
        using var scope = NewDisposeScope();
        var c = centers ?? ClassMeans(features, labels, numClasses);
        var intra = SquaredEuclidean.Paired(features, c.index_select(0, labels)).sqrt().mean().to(ScalarType.Float64).item<double>();
        var between = SquaredEuclidean.ToAll(c, c).sqrt();
        var inter = between.sum().to(ScalarType.Float64).item<double>() / (numClasses * (numClasses - 1));
        return new Compactness(intra, inter);
    }
}
