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
        if (classRows.dim() != 2 || classRows.shape[0] < 1)
            throw new ArgumentException($"the centres must have shape (C, D) with C ≥ 1, got rank {classRows.dim()} {Shape(classRows)}", "centers");
        if (features.dim() != 2)
            throw new ArgumentException($"{featuresName} must have shape (B, D), got rank {features.dim()} {Shape(features)}", featuresName);
        if (!features.is_floating_point())
            throw new ArgumentException($"{featuresName} must be floating point, got {features.dtype}", featuresName);
        if (features.dtype != classRows.dtype)
            throw new ArgumentException($"{featuresName} are {features.dtype} but the centres are {classRows.dtype}", featuresName);
        if (!SameDevice(features, classRows))
            throw new ArgumentException($"{featuresName} are on {features.device} but the centres are on {classRows.device}", featuresName);
        long dim = classRows.shape[1];
        if (features.shape[1] != dim)
            throw new ArgumentException($"{featuresName} have dimension {features.shape[1]}, expected {dim}", featuresName);
        Labels(labels, features, featuresName, classRows.shape[0], "centres");
        if (!Finite(features))
            throw new ArgumentException($"{featuresName} contain NaN or infinity", featuresName);
    }

    /// <summary>
    /// Checks class scores (B, C) against labels (B): rank, dtype, device, label range in [0, C)
    /// and finiteness, so a bad batch never reaches libtorch's cross-entropy.
    /// </summary>
    public static void LogitsAndLabels(Tensor logits, Tensor labels)
    {
        if (logits.dim() != 2 || logits.shape[1] < 1)
            throw new ArgumentException($"logits must have shape (B, C) with C ≥ 1, got rank {logits.dim()} {Shape(logits)}", nameof(logits));
        if (!logits.is_floating_point())
            throw new ArgumentException($"logits must be floating point, got {logits.dtype}", nameof(logits));
        Labels(labels, logits, "logits", logits.shape[1], "classes scored by the logits");
        if (!Finite(logits))
            throw new ArgumentException("logits contain NaN or infinity", nameof(logits));
    }

    /// <summary>True when every element of <paramref name="t"/> is finite (one read from the device).</summary>
    public static bool Finite(Tensor t)
    {
        using var scope = NewDisposeScope();
        return isfinite(t).all().item<bool>();
    }

    // Labels (B) for the rows of `rows`, on their device, integers in [0, classes).
    static void Labels(Tensor labels, Tensor rows, string rowsName, long classes, string classesName)
    {
        if (labels.dim() != 1)
            throw new ArgumentException($"labels must have shape (B), got rank {labels.dim()} {Shape(labels)}", nameof(labels));
        if (labels.dtype is not (ScalarType.Int64 or ScalarType.Int32 or ScalarType.Int16 or ScalarType.Int8 or ScalarType.Byte))
            throw new ArgumentException($"labels must be integers, got {labels.dtype}", nameof(labels));
        if (!SameDevice(labels, rows))
            throw new ArgumentException($"labels are on {labels.device} but the {rowsName} are on {rows.device}", nameof(labels));
        if (labels.shape[0] != rows.shape[0])
            throw new ArgumentException($"{rowsName} hold {rows.shape[0]} samples but labels hold {labels.shape[0]}", nameof(labels));
        if (labels.shape[0] == 0)
            throw new ArgumentException("the batch is empty", nameof(labels));
        using var scope = NewDisposeScope();
        long low = labels.min().to(ScalarType.Int64).item<long>(), high = labels.max().to(ScalarType.Int64).item<long>();
        if (low < 0 || high >= classes)
            throw new ArgumentException($"label {(low < 0 ? low : high)} is outside [0, {classes}): there are {classes} {classesName}", nameof(labels));
    }

    internal static bool SameDevice(Tensor a, Tensor b) => a.device_type == b.device_type && a.device_index == b.device_index;

    /// <summary>A tensor's shape as "(a, b, c)", for messages.</summary>
    internal static string Shape(Tensor t) => "(" + string.Join(", ", t.shape) + ")";
}
