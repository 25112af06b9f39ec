namespace CenterLossKit.Training;

/// <summary>
/// <see cref="Trainer.Fit(CenterLossKit.Data.ImageSet, CenterLossKit.Data.ImageSet?)"/> met a NaN or
/// infinite loss, network output or gradient and stopped before applying that step: the network and
/// centres hold the values after the last finite step, and the history keeps the finished epochs.
/// </summary>
public sealed class TrainingDivergedException(int epoch, int step, int steps, string problem, string advice)
    : ArithmeticException($"training diverged at epoch {epoch}, step {step} of {steps}: {problem}. The step was not applied; " +
        $"the network and centres hold the values after the last finite step, and " +
        (epoch == 1 ? "no epoch had finished" : $"the history keeps the {epoch - 1} finished epoch{(epoch == 2 ? "" : "s")}") + $". {advice}")
{
    /// <summary>The 1-based epoch (counted over the trainer's whole history) in which training diverged.</summary>
    public int Epoch { get; } = epoch;
    /// <summary>The 1-based step within that epoch whose loss, output or gradient was not finite.</summary>
    public int Step { get; } = step;
}
