using TorchSharp;
using static TorchSharp.torch;

namespace CenterLossKit.Losses;

/// <summary>The parts of the joint objective, each a scalar tensor.</summary>
/// <param name="Total">Softmax + λ·Center: what to back-propagate.</param>
/// <param name="Softmax">The cross-entropy part.</param>
/// <param name="Center">The center loss part, before λ.</param>
public sealed record LossParts(Tensor Total, Tensor Softmax, Tensor Center);

/// <summary>The joint objective of Wen et al.: <c>cross-entropy + λ·center loss</c>, both parts reported.</summary>
/// <param name="lambda">Weight λ ≥ 0 of the center loss.</param>
public sealed class SoftmaxCenterLoss(double lambda) : nn.Module<Tensor, Tensor, Tensor, Tensor, LossParts>(nameof(SoftmaxCenterLoss))
{
    readonly CenterLoss _center = new();

    /// <summary>Weight λ of the center loss.</summary>
    public double lambda { get; } = lambda >= 0 && double.IsFinite(lambda)
        ? lambda
        : throw new ArgumentOutOfRangeException(nameof(lambda), lambda, "lambda must be a finite number ≥ 0");

    /// <summary>The objective for <paramref name="logits"/> (B, C), <paramref name="features"/> (B, D), <paramref name="labels"/> (B) and <paramref name="centers"/> (C, D).</summary>
    /// <exception cref="ArgumentException">
    /// Bad shapes, dtypes or devices; a label outside the logits' classes or the centres; NaN or
    /// infinite logits or features. Checked before libtorch sees the batch.
    /// </exception>
    public override LossParts forward(Tensor logits, Tensor features, Tensor labels, Tensor centers)
    {
        Check.LogitsAndLabels(logits, labels);
        var center = _center.forward(features, labels, centers);
        var softmax = nn.functional.cross_entropy(logits, labels.to(ScalarType.Int64));
        return new LossParts(softmax + lambda * center, softmax, center);
    }
}
