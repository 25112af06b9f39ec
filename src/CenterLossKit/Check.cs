using static TorchSharp.torch;

namespace CenterLossKit;

/// <summary>
/// Input checks shared by the modules and losses. Each throws an <see cref="ArgumentException"/>
/// naming the problem and the offending value, before anything is modified.
/// </summary>
public static class Check
{
    /// <summary>
    /// Checks a batch of features (B, D) against its labels (B) and a table of class rows
    /// (numClasses, D): ranks, sizes, dtypes, devices, label range and finiteness.
    /// </summary>
    public static void FeaturesAndLabels(Tensor features, Tensor labels, Tensor classRows, string featuresName = "features")
    {
        if (features.dim() != 2)
            throw new ArgumentException($"{featuresName} must have shape (B, D), got rank {features.dim()} {Shape(features)}", featuresName);
        if (!features.is_floating_point())
            throw new ArgumentException($"{featuresName} must be floating point, got {features.dtype}", featuresName);
        if (features.dtype != classRows.dtype)
            throw new ArgumentException($"{featuresName} are {features.dtype} but the centres are {classRows.dtype}", featuresName);
        if (!SameDevice(features, classRows))
            throw new ArgumentException($"{featuresName} are on {features.device} but the centres are on {classRows.device}", featuresName);
        long numClasses = classRows.shape[0], dim = classRows.shape[1];
        if (features.shape[1] != dim)
            throw new ArgumentException($"{featuresName} have dimension {features.shape[1]}, expected {dim}", featuresName);
        if (labels.dim() != 1)
            throw new ArgumentException($"labels must have shape (B), got rank {labels.dim()} {Shape(labels)}", nameof(labels));
        if (labels.dtype is not (ScalarType.Int64 or ScalarType.Int32 or ScalarType.Int16 or ScalarType.Int8 or ScalarType.Byte))
            throw new ArgumentException($"labels must be integers, got {labels.dtype}", nameof(labels));
        if (!SameDevice(labels, classRows))
            throw new ArgumentException($"labels are on {labels.device} but the centres are on {classRows.device}", nameof(labels));
        if (labels.shape[0] != features.shape[0])
            throw new ArgumentException($"{featuresName} hold {features.shape[0]} samples but labels hold {labels.shape[0]}", nameof(labels));
        if (labels.shape[0] == 0)
            throw new ArgumentException("the batch is empty", nameof(labels));

        using var scope = NewDisposeScope();
        long low = labels.min().to(ScalarType.Int64).item<long>(), high = labels.max().to(ScalarType.Int64).item<long>();
        if (low < 0 || high >= numClasses)
            throw new ArgumentException($"label {(low < 0 ? low : high)} is outside [0, {numClasses})", nameof(labels));
        if (!isfinite(features).all().item<bool>())
            throw new ArgumentException($"{featuresName} contain NaN or infinity", featuresName);
    }

    static bool SameDevice(Tensor a, Tensor b) => a.device_type == b.device_type && a.device_index == b.device_index;

    /// <summary>A tensor's shape as "(a, b, c)", for messages.</summary>
    internal static string Shape(Tensor t) => "(" + string.Join(", ", t.shape) + ")";
}
