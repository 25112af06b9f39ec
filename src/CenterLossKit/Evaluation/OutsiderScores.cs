using CenterLossKit.Distances;
using static TorchSharp.torch;

namespace CenterLossKit.Evaluation;

/// <summary>
/// How much each input looks like a known class: one number per input, higher meaning more like the
/// training data, so an outsider is rejected below a threshold. The parts are small and interchangeable,
/// in the way of pytorch-metric-learning's distances: each reads the features, the logits or both,
/// and <see cref="Score"/> checks them before <see cref="Compute"/> sees them.
/// </summary>
public abstract class OutsiderScore : IDisposable
{
    /// <summary>Name for tables and legends.</summary>
    public abstract string Name { get; }

    /// <summary>Scores (N) of features (N, D) and logits (N, C) of the same N inputs.</summary>
    /// <exception cref="ArgumentException">Wrong ranks, different N, or not floating point.</exception>
    public Tensor Score(Tensor features, Tensor logits)
    {
        if (features.dim() != 2) throw new ArgumentException($"features must have shape (N, D), got {Check.Shape(features)}", nameof(features));
        if (logits.dim() != 2) throw new ArgumentException($"logits must have shape (N, C), got {Check.Shape(logits)}", nameof(logits));
        if (features.shape[0] != logits.shape[0])
            throw new ArgumentException($"{features.shape[0]} feature rows but {logits.shape[0]} logit rows", nameof(logits));
        if (!features.is_floating_point() || !logits.is_floating_point())
            throw new ArgumentException($"features and logits must be floating point, got {features.dtype} and {logits.dtype}");
        using var scope = NewDisposeScope();
        return Compute(features, logits).MoveToOuterDisposeScope();
    }

    /// <summary>The scores (N) of checked inputs.</summary>
    protected abstract Tensor Compute(Tensor features, Tensor logits);

    /// <summary>Releases fitted tensors, if any.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Disposes what a fitted score holds.</summary>
    protected virtual void Dispose(bool disposing) { }

    /// <summary>Throws unless fitted <paramref name="rows"/> (K, D) can be compared with an input (N, D).</summary>
    private protected static void RequireComparable(Tensor input, string inputName, Tensor rows, string what)
    {
        if (input.shape[1] != rows.shape[1])
            throw new ArgumentException($"{inputName} have dimension {input.shape[1]}, the {what} {rows.shape[1]}", inputName);
        if (input.device_type != rows.device_type || input.device_index != rows.device_index)
            throw new ArgumentException($"{inputName} are on {input.device}, the {what} on {rows.device}", inputName);
    }
}

/// <summary>The classifier's confidence, max_k softmax(z)_k (Hendrycks and Gimpel 2017).</summary>
public sealed class MaxSoftmax : OutsiderScore
{
    /// <inheritdoc/>
    public override string Name => "max softmax";

    /// <inheritdoc/>
    protected override Tensor Compute(Tensor features, Tensor logits) => nn.functional.softmax(logits, 1).max(1).values;
}

/// <summary>The largest logit, max_k z_k: the confidence before softmax normalises it away (Hendrycks et al. 2022).</summary>
public sealed class MaxLogit : OutsiderScore
{
    /// <inheritdoc/>
    public override string Name => "max logit";

    /// <inheritdoc/>
    protected override Tensor Compute(Tensor features, Tensor logits) => logits.max(1).values;
}

/// <summary>
/// Minus the free energy, −E(z) = T·logsumexp(z / T) (Liu et al. 2020): low energy means in-distribution,
/// so its negative is the score. At T = 1 it is the log of softmax's denominator.
/// </summary>
/// <param name="temperature">T &gt; 0. Default 1.</param>
public sealed class Energy(double temperature = 1) : OutsiderScore
{
    /// <summary>The temperature T.</summary>
    public double Temperature { get; } = temperature > 0 && double.IsFinite(temperature)
        ? temperature : throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "must be positive and finite");

    /// <inheritdoc/>
    public override string Name => Temperature == 1 ? "energy" : $"energy (T = {Temperature:G4})";

    /// <inheritdoc/>
    protected override Tensor Compute(Tensor features, Tensor logits) => logits.div(Temperature).logsumexp(1).mul_(Temperature);
}

/// <summary>Minus the Euclidean distance to the nearest class centre: center loss's own score.</summary>
public sealed class CenterDistance : OutsiderScore
{
    readonly Tensor _centers;

    /// <summary>Scores against <paramref name="centers"/> (C, D), copied.</summary>
    public CenterDistance(Tensor centers)
    {
        if (centers.dim() != 2 || centers.shape[0] < 1)
            throw new ArgumentException($"centres must have shape (C, D) with C ≥ 1, got {Check.Shape(centers)}", nameof(centers));
        _centers = centers.detach().clone().DetachFromDisposeScope();
    }

    /// <inheritdoc/>
    public override string Name => "centre distance";

    /// <inheritdoc/>
    protected override Tensor Compute(Tensor features, Tensor logits)
    {
        RequireComparable(features, "features", _centers, "centres");
        return SquaredEuclidean.ToAll(features, _centers.to(features.dtype)).min(1).values.sqrt().neg();
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing) _centers.Dispose();
    }
}
