using static TorchSharp.torch;

namespace CenterLossKit.Evaluation;

/// <summary>
/// An open-set classification rate curve (Dhamija et al. 2018): for each threshold on the score, the
/// share of known inputs that are accepted and correctly classified against the share of outsiders
/// accepted, and the area under it. A perfect rejector's area is the closed-set accuracy.
/// </summary>
public sealed record OscrCurve(double[] FalsePositiveRate, double[] CorrectClassificationRate, double Area);

/// <summary>The measures the open-set literature reports for one score (known inputs positive, outsiders negative).</summary>
/// <param name="Auroc">Area under the ROC curve.</param>
/// <param name="AuprIn">Average precision with the known inputs as positives.</param>
/// <param name="AuprOut">Average precision with the outsiders as positives and the score negated.</param>
/// <param name="FprAt95Tpr">Share of outsiders accepted where 95 % of the known inputs are.</param>
/// <param name="Oscr">Area under the OSCR curve.</param>
public sealed record OpenSetReport(double Auroc, double AuprIn, double AuprOut, double FprAt95Tpr, double Oscr);

/// <summary>Open-set measures of a score where higher means "known". Ties between scores count one half wherever that matters.</summary>
public static class OpenSetMetrics
{
    /// <summary>
    /// Average precision, Σ_n (R_n − R_(n−1))·P_n over the distinct thresholds from the highest down (the
    /// step-wise area under the precision-recall curve, as scikit-learn and torchmetrics compute it).
    /// </summary>
    public static double AveragePrecision(IReadOnlyList<double> positives, IReadOnlyList<double> negatives)
    {
        double area = 0, recallBefore = 0;
        foreach (var (tp, fp) in Roc.Sweep(positives, negatives))
        {
            double recall = tp / positives.Count;
            area += (recall - recallBefore) * tp / (tp + fp);
            recallBefore = recall;
        }
        return area;
    }

    /// <summary>The OSCR curve, from (0, 0) to (1, closed-set accuracy), and its area by trapezoids.</summary>
    /// <param name="knownScores">Scores of the known test inputs.</param>
    /// <param name="knownCorrect">Whether each known input is classified correctly.</param>
    /// <param name="outsiderScores">Scores of the outsiders.</param>
    public static OscrCurve Oscr(IReadOnlyList<double> knownScores, IReadOnlyList<bool> knownCorrect, IReadOnlyList<double> outsiderScores)
    {
        if (knownCorrect.Count != knownScores.Count)
            throw new ArgumentException($"{knownScores.Count} known scores but {knownCorrect.Count} correctness flags", nameof(knownCorrect));
        if (knownScores.Count == 0) throw new ArgumentException("need at least one known score", nameof(knownScores));
        if (knownScores.Any(double.IsNaN)) throw new ArgumentException("scores contain NaN", nameof(knownScores));
        var correct = knownScores.Where((_, i) => knownCorrect[i]).ToList();
        var fpr = new List<double> { 0 };
        var ccr = new List<double> { 0 };
        double area = 0;
        // Incorrectly classified known inputs never count, so they can stay out of the sweep.
        foreach (var (tp, fp) in Roc.Sweep(correct, outsiderScores, allowNoPositive: true))
        {
            double x = fp / outsiderScores.Count, y = tp / knownScores.Count;
            area += (x - fpr[^1]) * (y + ccr[^1]) / 2;
            fpr.Add(x);
            ccr.Add(y);
        }
        return new OscrCurve([.. fpr], [.. ccr], area);
    }

    /// <summary>AUROC, AUPR-in, AUPR-out, FPR at 95 % TPR and the OSCR area of one score.</summary>
    public static OpenSetReport Compute(IReadOnlyList<double> knownScores, IReadOnlyList<bool> knownCorrect, IReadOnlyList<double> outsiderScores)
    {
        var roc = Roc.Compute(knownScores, outsiderScores);
        return new OpenSetReport(roc.Auroc, AveragePrecision(knownScores, outsiderScores),
            AveragePrecision([.. outsiderScores.Select(s => -s)], [.. knownScores.Select(s => -s)]),
            roc.FalsePositiveRateAt(0.95), Oscr(knownScores, knownCorrect, outsiderScores).Area);
    }

    /// <summary>The same, from tensors on any device: known scores (N), known correct (N, bool), outsider scores (M).</summary>
    public static OpenSetReport Evaluate(Tensor knownScores, Tensor knownCorrect, Tensor outsiderScores) =>
        Compute(HostArrays.Doubles(knownScores), [.. HostArrays.Bytes(knownCorrect).Select(b => b != 0)], HostArrays.Doubles(outsiderScores));
}
