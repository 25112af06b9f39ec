using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace CenterLossKit.Modules;

/// <summary>
/// Class centres (numClasses, featDim) as a trainable <see cref="Parameter"/>, moved by the center
/// loss gradient through an optimizer of their own: the form most PyTorch implementations use,
/// kept beside <see cref="Center"/> for comparison.
/// </summary>
public sealed class LearnableCenter : nn.Module<Tensor, Tensor, Tensor>
{
    [ComponentName(Name = "centers")]
    readonly Parameter _centers;

    /// <summary>Creates the module with Glorot-uniform centres.</summary>
    /// <param name="num_classes">Number of classes C.</param>
    /// <param name="feat_dim">Feature dimension D.</param>
    /// <param name="device">Device of the centres. Default: CPU.</param>
    /// <param name="dtype">Floating dtype of the centres. Default: float32.</param>
    public LearnableCenter(long num_classes, long feat_dim, Device? device = null, ScalarType dtype = ScalarType.Float32)
        : base(nameof(LearnableCenter))
    {
        if (num_classes < 1) throw new ArgumentOutOfRangeException(nameof(num_classes), num_classes, "need at least one class");
        if (feat_dim < 1) throw new ArgumentOutOfRangeException(nameof(feat_dim), feat_dim, "need at least one feature dimension");
        var initial = empty(num_classes, feat_dim, dtype: dtype, device: device);
        using (no_grad()) nn.init.xavier_uniform_(initial);
        _centers = new Parameter(initial);
        RegisterComponents();
    }

    /// <summary>The centres (C, D), a parameter.</summary>
    public Parameter centers => _centers;

    /// <summary>Checks the batch against the centres and returns the centres, for the loss to use.</summary>
    /// <param name="features">Features (B, D).</param>
    /// <param name="labels">Class labels (B) in [0, C).</param>
    public override Tensor forward(Tensor features, Tensor labels)
    {
        Check.FeaturesAndLabels(features, labels, _centers);
        return _centers;
    }

    /// <summary>The centres for inference.</summary>
    public Tensor predict() => _centers;
}
