using CenterLossKit.Distances;
using static TorchSharp.torch;

namespace CenterLossKit.Evaluation;

/// <summary>One decision: the nearest class, the distance to its centre, and whether it is within that class's threshold.</summary>
public sealed record Decision(int Class, double Distance, double Threshold, bool Accepted);

/// <summary>
/// Rejects inputs of no known class by their distance to the nearest class centre: class i accepts a
/// sample when the distance is at most T_i, a threshold chosen so that a given fraction of class i's
/// training samples is accepted. No outsider is needed to fit it, and each decision is explained by
/// a distance and a threshold.
/// </summary>
public sealed class OutsiderRejector : IDisposable
{
    readonly Tensor _centers;
    readonly Tensor _thresholds;

    OutsiderRejector(Tensor centers, Tensor thresholds, double acceptRate) =>
        (_centers, _thresholds, AcceptRate) = (centers, thresholds, acceptRate);

    /// <summary>The fraction of each class's training samples accepted.</summary>
    public double AcceptRate { get; }

    /// <summary>Per-class thresholds T_i on the Euclidean distance to the centre.</summary>
    public double[] Thresholds => HostArrays.Doubles(_thresholds);

    /// <summary>
    /// Fits T_i as the <paramref name="acceptRate"/> quantile of the distances of class i's training
    /// features (N, D) to centre i of <paramref name="centers"/> (C, D).
    /// </summary>
    public static OutsiderRejector Fit(Tensor trainFeatures, Tensor trainLabels, Tensor centers, double acceptRate = 0.95)
    {
        if (!(acceptRate is > 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(acceptRate), acceptRate, "must lie in (0, 1]");
        Check.FeaturesAndLabels(trainFeatures, trainLabels, centers, nameof(trainFeatures));
        if (!Check.Finite(centers)) throw new ArgumentException("centers contain NaN or infinity: no threshold can be fitted", nameof(centers));
        using var scope = NewDisposeScope();
        var labels = trainLabels.to(ScalarType.Int64);
        var distances = SquaredEuclidean.Paired(trainFeatures, centers.index_select(0, labels)).sqrt();
        long classes = centers.shape[0];
        var thresholds = new Tensor[classes];
        for (long i = 0; i < classes; i++)
        {
            var mine = distances.masked_select(labels.eq(i));
            if (mine.shape[0] == 0) throw new ArgumentException($"class {i} has no training sample to fit its threshold", nameof(trainLabels));
            thresholds[i] = mine.to(ScalarType.Float64).quantile(acceptRate); // quantile wants q and input of one dtype
        }
        var fitted = stack(thresholds).to(centers.dtype).DetachFromDisposeScope();
        return new OutsiderRejector(centers.detach().clone().DetachFromDisposeScope(), fitted, acceptRate);
    }

    /// <summary>Nearest class (N), distance to it (N), and accepted (N, bool) for features (N, D).</summary>
    public (Tensor Class, Tensor Distance, Tensor Accepted) Decide(Tensor features)
    {
        using var scope = NewDisposeScope();
        var (distance, nearest) = SquaredEuclidean.ToAll(features, _centers).min(1);
        distance = distance.sqrt();
        var accepted = distance.le(_thresholds.index_select(0, nearest));
        return (nearest.MoveToOuterDisposeScope(), distance.MoveToOuterDisposeScope(), accepted.MoveToOuterDisposeScope());
    }

    /// <summary>The decisions for features (N, D), read to the host.</summary>
    public IReadOnlyList<Decision> Explain(Tensor features)
    {
        var (nearest, distance, accepted) = Decide(features);
        using (nearest) using (distance) using (accepted)
        {
            var c = nearest.cpu().data<long>().ToArray();
            var d = HostArrays.Doubles(distance);
            var a = accepted.cpu().data<bool>().ToArray();
            var t = Thresholds;
            return c.Select((k, i) => new Decision((int)k, d[i], t[k], a[i])).ToList();
        }
    }

    /// <summary>
    /// In-distribution score (higher = more like a known class): minus the distance to the nearest
    /// centre, measured in units of that class's threshold, so wide and tight classes compare fairly.
    /// </summary>
    public Tensor Score(Tensor features)
    {
        using var scope = NewDisposeScope();
        var scaled = SquaredEuclidean.ToAll(features, _centers).sqrt().div_(_thresholds.unsqueeze(0));
        return scaled.min(1).values.neg().MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _centers.Dispose();
        _thresholds.Dispose();
    }
}
