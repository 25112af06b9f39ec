using CenterLossKit.Distances;
using static TorchSharp.torch;

namespace CenterLossKit.Evaluation;

/// <summary>
/// OpenMax (Bendale and Boult 2016) on the logits: each class k has a mean logit vector μ_k over its
/// correctly classified training inputs and a Weibull fitted to the largest distances ‖z − μ_k‖ of
/// those inputs. For an input, the logits of its top α classes are scaled down by
/// w = 1 − (α − r)/α · WeibullCDF_k(‖z − μ_k‖) (rank r = 0 for the top class), the removed mass becomes
/// the logit of an extra "unknown" class, and the score is 1 − P(unknown) after a softmax over all
/// C + 1. Distances are Euclidean and the Weibull has two parameters fitted by maximum likelihood
/// (the paper's libMR shifts the tail first and mixes in a cosine distance).
/// </summary>
public sealed class OpenMax : OutsiderScore
{
    readonly Tensor _means;   // (C, C): μ_k
    readonly Tensor _shapes;  // (C)
    readonly Tensor _scales;  // (C)

    /// <summary>OpenMax with given class means (C, C) and one Weibull per class, revising the top <paramref name="alphaRank"/> classes.</summary>
    public OpenMax(Tensor means, IReadOnlyList<Weibull> weibulls, int alphaRank)
    {
        if (means.dim() != 2 || means.shape[0] != means.shape[1] || means.shape[0] < 2)
            throw new ArgumentException($"means must have shape (C, C) with C ≥ 2 (one logit vector per class), got {Check.Shape(means)}", nameof(means));
        if (weibulls.Count != means.shape[0])
            throw new ArgumentException($"need one Weibull per class: {means.shape[0]} classes, {weibulls.Count} Weibulls", nameof(weibulls));
        if (alphaRank < 1 || alphaRank > means.shape[0])
            throw new ArgumentOutOfRangeException(nameof(alphaRank), alphaRank, $"must lie in [1, {means.shape[0]}]");
        AlphaRank = alphaRank;
        Weibulls = weibulls;
        _means = means.detach().to(ScalarType.Float64, copy: true).DetachFromDisposeScope();
        _shapes = tensor(weibulls.Select(w => w.Shape).ToArray(), device: means.device).DetachFromDisposeScope();
        _scales = tensor(weibulls.Select(w => w.Scale).ToArray(), device: means.device).DetachFromDisposeScope();
    }

    /// <inheritdoc/>
    public override string Name => "OpenMax";

    /// <summary>How many of the top classes are revised.</summary>
    public int AlphaRank { get; }

    /// <summary>The Weibull of each class's distances.</summary>
    public IReadOnlyList<Weibull> Weibulls { get; }

    /// <summary>Fits the means and Weibulls on training logits (N, C) and labels (N).</summary>
    /// <param name="logits">Training logits (N, C).</param>
    /// <param name="labels">Their classes (N).</param>
    /// <param name="tailSize">How many of each class's largest distances the Weibull is fitted to. Default 20, as the paper.</param>
    /// <param name="alphaRank">How many top classes to revise. Default: min(10, C), as the paper.</param>
    /// <remarks>
    /// A class with fewer than three correctly classified inputs (a network early in training) is fitted on all its
    /// inputs: two inputs always lie at the same distance from their mean, and a Weibull cannot be fitted to equal values.
    /// </remarks>
    /// <exception cref="ArgumentException">Bad inputs, a class with fewer than three inputs, or a class whose largest distances are all equal.</exception>
    public static OpenMax Fit(Tensor logits, Tensor labels, int tailSize = 20, int? alphaRank = null)
    {
        if (tailSize < 2) throw new ArgumentOutOfRangeException(nameof(tailSize), tailSize, "must be at least 2");
        if (logits.dim() != 2) throw new ArgumentException($"logits must have shape (N, C), got {Check.Shape(logits)}", nameof(logits));
        long classes = logits.shape[1];
        if (classes < 2) throw new ArgumentException($"logits must have shape (N, C) with C ≥ 2 (a single class leaves nothing to revise), got {Check.Shape(logits)}", nameof(logits));
        using var scope = NewDisposeScope();
        Check.FeaturesAndLabels(logits, labels, logits.new_zeros(classes, classes), nameof(logits));
        var z = logits.detach().to(ScalarType.Float64);
        var y = labels.to(ScalarType.Int64);
        var correct = z.argmax(1).eq(y);
        var means = new Tensor[classes];
        var weibulls = new Weibull[classes];
        for (long k = 0; k < classes; k++)
        {
            var mine = z.index_select(0, correct.logical_and(y.eq(k)).nonzero().squeeze(1));
            if (mine.shape[0] < 3) mine = z.index_select(0, y.eq(k).nonzero().squeeze(1));
            if (mine.shape[0] < 3)
                throw new ArgumentException($"class {k} has {mine.shape[0]} training inputs; OpenMax needs at least three", nameof(labels));
            means[k] = mine.mean([0]);
            var distances = SquaredEuclidean.Paired(mine, means[k].expand_as(mine)).sqrt();
            var tail = distances.topk((int)Math.Min(tailSize, distances.shape[0])).values;
            try { weibulls[k] = Weibull.Fit(HostArrays.Doubles(tail)); }
            catch (ArgumentException e) { throw new ArgumentException($"class {k}: {e.Message}", nameof(logits), e); }
        }
        return new OpenMax(stack(means), weibulls, alphaRank ?? (int)Math.Min(10, classes));
    }

    /// <inheritdoc/>
    protected override Tensor Compute(Tensor features, Tensor logits)
    {
        RequireComparable(logits, "logits", _means, "class means");
        var z = logits.detach().to(ScalarType.Float64);
        var distances = SquaredEuclidean.ToAll(z, _means).sqrt();                                    // (N, C)
        var cdf = distances.div(_scales).pow(_shapes).neg().expm1().neg();                           // Weibull CDF per class
        var rank = z.argsort(1, descending: true).argsort(1);                                         // 0 for the top class
        var weight = rank.to(ScalarType.Float64).neg().add(AlphaRank).div(AlphaRank).clamp_min(0);   // (α − r)/α, 0 beyond α
        var revised = z * (1 - weight * cdf);
        var unknown = (z - revised).sum(1, keepdim: true);
        return 1 - nn.functional.softmax(cat([unknown, revised], 1), 1)[.., 0];
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (!disposing) return;
        _means.Dispose();
        _shapes.Dispose();
        _scales.Dispose();
    }
}
