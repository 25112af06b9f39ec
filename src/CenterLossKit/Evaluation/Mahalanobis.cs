using CenterLossKit.Distances;
using static TorchSharp.torch;

namespace CenterLossKit.Evaluation;

/// <summary>
/// Minus the smallest squared Mahalanobis distance to a class mean, (f − μ_k)ᵀ Σ⁻¹ (f − μ_k), with the
/// class means and one covariance Σ shared by all classes, both from training features (Lee et al.
/// 2018, on the penultimate layer, without their input perturbation). Computed as the squared
/// Euclidean distance after whitening by Σ^(−1/2); directions in which the training features do not
/// vary are dropped (Σ's pseudo-inverse), so a singular Σ is no error. Float64 inside.
/// </summary>
public sealed class Mahalanobis : OutsiderScore
{
    readonly Tensor _whitening;      // (D, R): x·W has identity covariance in the R directions that vary
    readonly Tensor _whitenedMeans;  // (C, R)

    Mahalanobis(Tensor whitening, Tensor whitenedMeans) => (_whitening, _whitenedMeans) = (whitening, whitenedMeans);

    /// <inheritdoc/>
    public override string Name => "Mahalanobis";

    /// <summary>Number of directions kept: the rank of the shared covariance.</summary>
    public long Rank => _whitening.shape[1];

    /// <summary>Fits the class means and the shared covariance (divided by N) on features (N, D) and labels (N).</summary>
    /// <exception cref="ArgumentException">Bad features or labels, or a class with no sample.</exception>
    public static Mahalanobis Fit(Tensor features, Tensor labels, long numClasses)
    {
        if (numClasses < 1) throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "must be at least 1");
        if (features.dim() != 2) throw new ArgumentException($"features must have shape (N, D), got {Check.Shape(features)}", nameof(features));
        using var scope = NewDisposeScope();
        Check.FeaturesAndLabels(features, labels, features.new_zeros(numClasses, features.shape[1]));
        var f = features.detach().to(ScalarType.Float64);
        var y = labels.to(ScalarType.Int64);
        var counts = y.bincount(null, numClasses);
        var empty = counts.eq(0).nonzero();
        if (empty.shape[0] > 0)
            throw new ArgumentException($"class {empty[0, 0].item<long>()} has no sample to fit its mean", nameof(labels));
        var means = Metrics.ClassMeans(f, y, numClasses);
        var centred = f - means.index_select(0, y);
        var covariance = centred.t().mm(centred).div_(f.shape[0]);
        var (values, vectors) = linalg.eigh(covariance);
        // Eigenvalues below this are rounding noise of a zero variance (numpy's matrix_rank tolerance).
        double tolerance = values.max().item<double>() * covariance.shape[0] * 2.220446049250313e-16;
        var kept = values.gt(tolerance).nonzero().squeeze(1);
        var whitening = vectors.index_select(1, kept).div(values.index_select(0, kept).sqrt().unsqueeze(0));
        return new Mahalanobis(whitening.DetachFromDisposeScope(), means.mm(whitening).DetachFromDisposeScope());
    }

    /// <inheritdoc/>
    protected override Tensor Compute(Tensor features, Tensor logits)
    {
        RequireComparable(features, "features", _whitening.t(), "fitted covariance");
        var whitened = features.detach().to(ScalarType.Float64).mm(_whitening);
        return SquaredEuclidean.ToAll(whitened, _whitenedMeans).min(1).values.neg();
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (!disposing) return;
        _whitening.Dispose();
        _whitenedMeans.Dispose();
    }
}
