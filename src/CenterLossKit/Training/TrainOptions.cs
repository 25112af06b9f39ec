using CenterLossKit.Modules;

namespace CenterLossKit.Training;

/// <summary>How the class centres are kept during training.</summary>
public enum CenterMode
{
    /// <summary>A <see cref="Center"/> buffer moved by the tutorial's moving average.</summary>
    MovingAverage,
    /// <summary>A <see cref="Center"/> buffer moved by Wen et al.'s rule.</summary>
    Wen,
    /// <summary>A <see cref="LearnableCenter"/> parameter trained by its own SGD optimizer.</summary>
    Learnable,
}

/// <summary>
/// Training settings. λ = 0 trains with softmax only; the centres are still tracked (without
/// affecting the network) so the two runs can be measured the same way.
/// </summary>
public sealed record TrainOptions
{
    /// <summary>Passes over the training set.</summary>
    public int Epochs { get; init; } = 20;
    /// <summary>Mini-batch size.</summary>
    public int BatchSize { get; init; } = 128;
    /// <summary>Adam learning rate of the network.</summary>
    public double LearningRate { get; init; } = 1e-3;
    /// <summary>Anneal the learning rate to zero along a cosine over the epochs.</summary>
    public bool CosineSchedule { get; init; } = true;
    /// <summary>Weight λ of the center loss; 0 for softmax only.</summary>
    public double Lambda { get; init; } = 0.1;
    /// <summary>How the centres are kept.</summary>
    public CenterMode Centers { get; init; } = CenterMode.Wen;
    /// <summary>Update rate α of the <see cref="Center"/> module.</summary>
    public double Alpha { get; init; } = 0.5;
    /// <summary>SGD learning rate of learnable centres (their gradient is taken before λ).</summary>
    public double CenterLearningRate { get; init; } = 0.5;
    /// <summary>Augmentation: random shifts of each training image by up to this many pixels; 0 for none.</summary>
    public double MaxShift { get; init; } = 0;
    /// <summary>Seed of the weights, the shuffling and the augmentation.</summary>
    public int Seed { get; init; } = 0;
    /// <summary>Keep the test features of this many images after every epoch (for the animation); 0 for none.</summary>
    public int SnapshotSamples { get; init; } = 0;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        static void Require(bool ok, string name, object value, string rule)
        {
            if (!ok) throw new ArgumentOutOfRangeException(name, value, $"{name} {rule}");
        }
        Require(Epochs >= 1, nameof(Epochs), Epochs, "must be at least 1");
        Require(BatchSize >= 1, nameof(BatchSize), BatchSize, "must be at least 1");
        Require(LearningRate > 0 && double.IsFinite(LearningRate), nameof(LearningRate), LearningRate, "must be a positive number");
        Require(Lambda >= 0 && double.IsFinite(Lambda), nameof(Lambda), Lambda, "must be a finite number ≥ 0");
        Require(Alpha is >= 0 and <= 1, nameof(Alpha), Alpha, "must lie in [0, 1]");
        Require(CenterLearningRate > 0 && double.IsFinite(CenterLearningRate), nameof(CenterLearningRate), CenterLearningRate, "must be a positive number");
        Require(MaxShift is >= 0 and < 14, nameof(MaxShift), MaxShift, "must lie in [0, 14)");
        Require(SnapshotSamples >= 0, nameof(SnapshotSamples), SnapshotSamples, "must be ≥ 0");
    }
}

/// <summary>One row of the training history.</summary>
/// <param name="Epoch">1-based epoch number.</param>
/// <param name="Softmax">Mean cross-entropy over the epoch's batches.</param>
/// <param name="Center">Mean center loss (before λ).</param>
/// <param name="Total">Mean joint objective.</param>
/// <param name="TrainAccuracy">Accuracy on the training batches as they were seen.</param>
/// <param name="TestAccuracy">Accuracy on the test set after the epoch (NaN without a test set).</param>
/// <param name="CenterShift">Mean Euclidean distance the centres moved during the epoch.</param>
/// <param name="LearningRate">The network's learning rate during the epoch.</param>
/// <param name="Seconds">Wall time of the epoch.</param>
public sealed record EpochRecord(int Epoch, double Softmax, double Center, double Total, double TrainAccuracy,
    double TestAccuracy, double CenterShift, double LearningRate, double Seconds);

/// <summary>Where training is: reported after every step and every epoch.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Epochs">Total epochs.</param>
/// <param name="Step">1-based step within the epoch.</param>
/// <param name="Steps">Steps per epoch.</param>
/// <param name="Completed">The finished epoch's record, on the last report of an epoch; otherwise null.</param>
public sealed record TrainProgress(int Epoch, int Epochs, int Step, int Steps, EpochRecord? Completed)
{
    /// <summary>Fraction of the whole run done, in [0, 1].</summary>
    public double Fraction => ((Epoch - 1) * (double)Steps + Step) / ((double)Epochs * Steps);

    /// <summary>One line for a progress display: where training is and, after an epoch, how it went.</summary>
    public override string ToString()
    {
        var line = FormattableString.Invariant($"epoch {Epoch}/{Epochs}, step {Step}/{Steps} ({Fraction:P0})");
        return Completed is { } done
            ? line + FormattableString.Invariant($": loss {done.Total:0.000}, train accuracy {done.TrainAccuracy:0.000}, test accuracy {done.TestAccuracy:0.000}")
            : line;
    }
}

/// <summary>Features of the same test images after one epoch, for the animation.</summary>
public sealed record FeatureSnapshot(int Epoch, float[] Features, int Dim, byte[] Labels, float[] Centers);
