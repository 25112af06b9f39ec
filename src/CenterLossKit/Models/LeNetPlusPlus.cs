using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CenterLossKit.Models;

/// <summary>
/// A network that maps images to a feature vector and class logits: a convolutional body, a fully
/// connected layer to the feature (PReLU), and a fully connected layer to the classes.
/// </summary>
public abstract class FeatureNet : nn.Module<Tensor, (Tensor Features, Tensor Logits)>
{
    readonly Sequential body;
    readonly Sequential feature;
    readonly Linear classifier;

    /// <summary>Builds the head on <paramref name="body"/>, whose flattened output has <paramref name="bodyWidth"/> values.</summary>
    protected FeatureNet(string name, Sequential body, long bodyWidth, long feat_dim, long num_classes) : base(name)
    {
        if (feat_dim < 1) throw new ArgumentOutOfRangeException(nameof(feat_dim), feat_dim, "must be at least 1");
        if (num_classes < 2) throw new ArgumentOutOfRangeException(nameof(num_classes), num_classes, "must be at least 2");
        this.body = body;
        feature = nn.Sequential(("fc1", nn.Linear(bodyWidth, feat_dim)), ("prelu_fc1", nn.PReLU(1)));
        classifier = nn.Linear(feat_dim, num_classes);
        (this.feat_dim, this.num_classes) = (feat_dim, num_classes);
        RegisterComponents();
    }

    /// <summary>Dimension of the feature vector.</summary>
    public long feat_dim { get; }
    /// <summary>Number of classes.</summary>
    public long num_classes { get; }

    /// <summary>Features (B, feat_dim) and logits (B, num_classes) of images (B, 1, 28, 28).</summary>
    public override (Tensor Features, Tensor Logits) forward(Tensor images)
    {
        if (images.dim() != 4 || images.shape[1] != 1 || images.shape[2] != 28 || images.shape[3] != 28)
            throw new ArgumentException($"images must have shape (B, 1, 28, 28), got {Check.Shape(images)}", nameof(images));
        var features = feature.call(body.call(images));
        return (features, classifier.call(features));
    }

    private protected static (string, nn.Module<Tensor, Tensor>)[] ConvBlock(string name, long input, long output) =>
        [(name, nn.Conv2d(input, output, 5, padding: 2)), (name.Replace("conv", "prelu"), nn.PReLU(output))];
}

/// <summary>
/// LeNet++ (Wen et al. 2016): 5×5 convolutions 32, 32 → max-pool → 64, 64 → max-pool → 128, 128 →
/// max-pool, PReLU after each; then the feature and class layers.
/// </summary>
/// <param name="feat_dim">Feature dimension; 2 draws the tutorial's pictures. Default 2.</param>
/// <param name="num_classes">Number of classes. Default 10.</param>
public sealed class LeNetPlusPlus(long feat_dim = 2, long num_classes = 10)
    : FeatureNet(nameof(LeNetPlusPlus), Body(), 128 * 3 * 3, feat_dim, num_classes)
{
    static Sequential Body() => nn.Sequential([
        .. ConvBlock("conv1_1", 1, 32), .. ConvBlock("conv1_2", 32, 32), ("pool1", nn.MaxPool2d(2)),
        .. ConvBlock("conv2_1", 32, 64), .. ConvBlock("conv2_2", 64, 64), ("pool2", nn.MaxPool2d(2)),
        .. ConvBlock("conv3_1", 64, 128), .. ConvBlock("conv3_2", 128, 128), ("pool3", nn.MaxPool2d(2)),
        ("flatten", nn.Flatten())]);
}

/// <summary>
/// A smaller network for quick CPU runs: 5×5 convolutions 16 → max-pool → 32 → max-pool, PReLU after
/// each; then the feature and class layers. About ten times cheaper than LeNet++.
/// </summary>
/// <param name="feat_dim">Feature dimension. Default 2.</param>
/// <param name="num_classes">Number of classes. Default 10.</param>
public sealed class SmallNet(long feat_dim = 2, long num_classes = 10)
    : FeatureNet(nameof(SmallNet), Body(), 32 * 7 * 7, feat_dim, num_classes)
{
    static Sequential Body() => nn.Sequential([
        .. ConvBlock("conv1", 1, 16), ("pool1", nn.MaxPool2d(2)),
        .. ConvBlock("conv2", 16, 32), ("pool2", nn.MaxPool2d(2)),
        ("flatten", nn.Flatten())]);
}

/// <summary>Picks the device to run on.</summary>
public static class Devices
{
    /// <summary>CUDA when available, else CPU; <paramref name="requested"/> ("cpu", "cuda", "cuda:1") overrides "auto".</summary>
    public static Device Default(string? requested = null) =>
        string.IsNullOrWhiteSpace(requested) || requested == "auto"
            ? (cuda.is_available() ? CUDA : CPU)
            : new Device(requested);
}
