using CenterLossKit.Distances;
using TorchSharp;
using static TorchSharp.torch;

namespace CenterLossKit.Losses;

/// <summary>
/// Center loss, <c>½·‖f_i − c_{y_i}‖²</c> per sample, reduced by mean (default: <c>½·(1/B)·Σ_i</c>), sum or
/// none. The centres are gathered per sample, so the cost is O(B·D) whatever the number of classes.
/// Gradient w.r.t. the features: <c>(f_i − c_{y_i}) / B</c> under the mean; centres held in a
/// buffer receive none.
/// </summary>
/// <param name="reduction">Mean (default), Sum, or None for the per-sample (B) losses.</param>
public sealed class CenterLoss(nn.Reduction reduction = nn.Reduction.Mean)
    : nn.Module<Tensor, Tensor, Tensor, Tensor>(nameof(CenterLoss))
{
    /// <summary>How per-sample losses are combined.</summary>
    public nn.Reduction reduction { get; } = reduction;

    /// <summary>The loss of <paramref name="features"/> (B, D) against <paramref name="centers"/> (C, D) for <paramref name="labels"/> (B).</summary>
    /// <exception cref="ArgumentException">Bad shapes (centres not (C, D) included), dtypes, devices, labels or non-finite features.</exception>
    public override Tensor forward(Tensor features, Tensor labels, Tensor centers)
    {
        Check.FeaturesAndLabels(features, labels, centers);
        var perSample = SquaredEuclidean.Paired(features, centers.index_select(0, labels.to(ScalarType.Int64))).mul_(0.5);
        return reduction switch
        {
            nn.Reduction.Mean => perSample.mean(),
            nn.Reduction.Sum => perSample.sum(),
            _ => perSample,
        };
    }
}
