using static TorchSharp.torch;

namespace CenterLossKit.Evaluation;

/// <summary>What a set of thresholds does on test data.</summary>
/// <param name="KnownAccepted">Share of the known inputs accepted.</param>
/// <param name="AccuracyAmongAccepted">Share of the accepted known inputs classified correctly (NaN if none is accepted).</param>
/// <param name="CorrectAndAccepted">Share of all known inputs accepted and classified correctly: a point of the OSCR curve.</param>
/// <param name="OutsidersRejected">Share of the outsiders rejected.</param>
public sealed record OperatingPoint(double KnownAccepted, double AccuracyAmongAccepted, double CorrectAndAccepted, double OutsidersRejected);

/// <summary>
/// Per-class thresholds T_k on any <see cref="OutsiderScore"/>: an input predicted as class k is accepted
/// when its score is at least T_k, where T_k lets through <see cref="AcceptRate"/> of the validation
/// inputs predicted as k. Keyed by the predicted class, the only class known when deciding, so
/// fitting and deciding treat an input alike. A class no validation input is predicted as gets the
/// threshold of all validation inputs together.
/// </summary>
public sealed class ClassThresholds : IDisposable
{
    readonly Tensor _thresholds;

    ClassThresholds(Tensor thresholds, double acceptRate) => (_thresholds, AcceptRate) = (thresholds, acceptRate);

    /// <summary>The share of each class's validation inputs accepted.</summary>
    public double AcceptRate { get; }

    /// <summary>T_k for each class.</summary>
    public double[] Values => HostArrays.Doubles(_thresholds);

    /// <summary>Fits T_k as the (1 − <paramref name="acceptRate"/>) quantile of the scores (N) of validation inputs predicted (N) as k.</summary>
    /// <exception cref="ArgumentException">Bad shapes, no input, a NaN score, or a prediction outside [0, <paramref name="numClasses"/>).</exception>
    public static ClassThresholds Fit(Tensor scores, Tensor predicted, long numClasses, double acceptRate)
    {
        if (!(acceptRate is > 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(acceptRate), acceptRate, "must lie in (0, 1]");
        if (numClasses < 1) throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "must be at least 1");
        using var scope = NewDisposeScope();
        var (s, k) = Checked(scores, predicted, numClasses);
        if (s.shape[0] == 0) throw new ArgumentException("no validation score to fit thresholds on", nameof(scores));
        var all = s.quantile(1 - acceptRate);
        var thresholds = new Tensor[numClasses];
        for (long c = 0; c < numClasses; c++)
        {
            var mine = s.masked_select(k.eq(c));
            thresholds[c] = mine.shape[0] > 0 ? mine.quantile(1 - acceptRate) : all;
        }
        return new ClassThresholds(stack(thresholds).DetachFromDisposeScope(), acceptRate);
    }

    /// <summary>Whether each input (scores (N), predicted classes (N)) is accepted (N, bool).</summary>
    public Tensor Accept(Tensor scores, Tensor predicted)
    {
        using var scope = NewDisposeScope();
        var (s, k) = Checked(scores, predicted, _thresholds.shape[0]);
        return s.ge(_thresholds.to(s.device).index_select(0, k)).MoveToOuterDisposeScope();
    }

    /// <summary>The operating point on known inputs (scores, predictions, labels) and outsiders (scores, predictions).</summary>
    public OperatingPoint Measure(Tensor knownScores, Tensor knownPredicted, Tensor knownLabels, Tensor outsiderScores, Tensor outsiderPredicted)
    {
        using var scope = NewDisposeScope();
        if (knownLabels.shape.Length != 1 || knownLabels.shape[0] != knownPredicted.shape[0])
            throw new ArgumentException($"labels {Check.Shape(knownLabels)} do not match the {knownPredicted.shape[0]} predictions", nameof(knownLabels));
        var accepted = Accept(knownScores, knownPredicted);
        var correct = knownPredicted.eq(knownLabels.to(knownPredicted.device));
        double Share(Tensor mask) => mask.to(ScalarType.Float64).mean().item<double>();
        double knownAccepted = Share(accepted), correctAccepted = Share(accepted.logical_and(correct));
        return new OperatingPoint(knownAccepted, knownAccepted > 0 ? correctAccepted / knownAccepted : double.NaN, correctAccepted,
            1 - Share(Accept(outsiderScores, outsiderPredicted)));
    }

    // Scores as float64 (quantile needs its q and input of one dtype) and predictions as int64, checked.
    static (Tensor Scores, Tensor Predicted) Checked(Tensor scores, Tensor predicted, long numClasses)
    {
        if (scores.dim() != 1 || predicted.dim() != 1 || scores.shape[0] != predicted.shape[0])
            throw new ArgumentException($"need scores (N) and predicted classes (N), got {Check.Shape(scores)} and {Check.Shape(predicted)}");
        if (scores.shape[0] == 0) return (scores.to(ScalarType.Float64), predicted.to(ScalarType.Int64));
        if (isnan(scores).any().item<bool>()) throw new ArgumentException("scores contain NaN", nameof(scores));
        var k = predicted.to(ScalarType.Int64).to(scores.device);
        long low = k.min().item<long>(), high = k.max().item<long>();
        if (low < 0 || high >= numClasses)
            throw new ArgumentException($"predicted class {(low < 0 ? low : high)} is outside [0, {numClasses})", nameof(predicted));
        return (scores.to(ScalarType.Float64), k);
    }

    /// <inheritdoc/>
    public void Dispose() => _thresholds.Dispose();
}
