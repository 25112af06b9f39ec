using static TorchSharp.torch;

namespace CenterLossKit.Evaluation;

/// <summary>
/// Principal component analysis, to chart features of many dimensions in two: the directions of
/// largest variance, from the eigenvectors of the covariance (torch.linalg.eigh), in float64. Each
/// component's sign is fixed so that its largest entry in absolute value is positive, so the same
/// data always give the same picture.
/// </summary>
public sealed class Pca : IDisposable
{
    readonly Tensor _mean;        // (D)
    readonly Tensor _components;  // (K, D), one unit direction per row

    Pca(Tensor mean, Tensor components, double[] variance, double totalVariance) =>
        (_mean, _components, ExplainedVariance, TotalVariance) = (mean, components, variance, totalVariance);

    /// <summary>The variance along each component (the covariance's eigenvalues, divided by N − 1), largest first.</summary>
    public double[] ExplainedVariance { get; }

    /// <summary>The total variance of the data: the trace of the covariance.</summary>
    public double TotalVariance { get; }

    /// <summary>Each component's share of the total variance.</summary>
    public double[] ExplainedVarianceRatio => [.. ExplainedVariance.Select(v => TotalVariance > 0 ? v / TotalVariance : 0)];

    /// <summary>The components (K, D), one unit direction per row.</summary>
    public Tensor Components => _components;

    /// <summary>Fits the first <paramref name="components"/> directions of features (N, D), N ≥ 2.</summary>
    /// <exception cref="ArgumentException">Not (N, D) floating point, fewer than two rows, non-finite values, or more components than dimensions.</exception>
    public static Pca Fit(Tensor features, int components = 2)
    {
        if (features.dim() != 2 || !features.is_floating_point())
            throw new ArgumentException($"features must be floating point of shape (N, D), got {features.dtype} {Check.Shape(features)}", nameof(features));
        if (features.shape[0] < 2) throw new ArgumentException($"need at least two rows to find directions of variance, got {features.shape[0]}", nameof(features));
        if (components < 1 || components > features.shape[1])
            throw new ArgumentOutOfRangeException(nameof(components), components, $"must lie in [1, {features.shape[1]}] for dimension {features.shape[1]}");
        using var scope = NewDisposeScope();
        var x = features.detach().to(ScalarType.Float64);
        if (!isfinite(x).all().item<bool>()) throw new ArgumentException("features contain NaN or infinity", nameof(features));
        var mean = x.mean([0]);
        var centred = x - mean;
        var covariance = centred.t().mm(centred).div_(x.shape[0] - 1);
        var (values, vectors) = linalg.eigh(covariance);                 // ascending
        var order = arange(x.shape[1] - 1, x.shape[1] - 1 - components, -1, device: x.device);
        var top = vectors.index_select(1, order).t();                      // (K, D), largest variance first
        var largest = top.abs().argmax(1, keepdim: true);
        top = top * top.gather(1, largest).sign();
        return new Pca(mean.DetachFromDisposeScope(), top.contiguous().DetachFromDisposeScope(),
            HostArrays.Doubles(values.index_select(0, order).clamp_min(0)), covariance.trace().item<double>());
    }

    /// <summary>Features (N, D) projected on the components: (N, K), in float64.</summary>
    public Tensor Transform(Tensor features)
    {
        if (features.dim() != 2 || features.shape[1] != _components.shape[1])
            throw new ArgumentException($"features must have shape (N, {_components.shape[1]}), got {Check.Shape(features)}", nameof(features));
        using var scope = NewDisposeScope();
        var x = features.detach().to(ScalarType.Float64);
        return (x - _mean.to(x.device)).mm(_components.to(x.device).t()).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _mean.Dispose();
        _components.Dispose();
    }
}
