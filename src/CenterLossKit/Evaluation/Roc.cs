namespace CenterLossKit.Evaluation;

/// <summary>An ROC curve (false positive rate, true positive rate) and the area under it.</summary>
public sealed record RocCurve(double[] FalsePositiveRate, double[] TruePositiveRate, double Auroc)
{
    /// <summary>
    /// The false positive rate at the first threshold, from the highest down, that accepts at least
    /// <paramref name="truePositiveRate"/> of the positives (FPR at 95 % TPR for 0.95), as pytorch-ood reads it off the curve.
    /// </summary>
    public double FalsePositiveRateAt(double truePositiveRate)
    {
        if (!(truePositiveRate is >= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(truePositiveRate), truePositiveRate, "must lie in [0, 1]");
        // A rate like 19/20 must count as reaching 0.95 despite rounding.
        int i = Array.FindIndex(TruePositiveRate, t => t >= truePositiveRate - 1e-12);
        return FalsePositiveRate[i];
    }
}

/// <summary>ROC analysis of a score where higher means "positive" (in-distribution).</summary>
public static class Roc
{
    /// <summary>
    /// The curve over every threshold, from (0, 0) to (1, 1), and the AUROC: the probability that a
    /// random positive scores above a random negative, ties counting one half.
    /// </summary>
    public static RocCurve Compute(IReadOnlyList<double> positives, IReadOnlyList<double> negatives)
    {
        var fpr = new List<double> { 0 };
        var tpr = new List<double> { 0 };
        double area = 0, tpBefore = 0, fpBefore = 0;
        foreach (var (tp, fp) in Sweep(positives, negatives))
        {
            area += (fp - fpBefore) * (tp + tpBefore) / 2; // trapezoid: ties count one half
            (tpBefore, fpBefore) = (tp, fp);
            fpr.Add(fp / negatives.Count);
            tpr.Add(tp / positives.Count);
        }
        return new RocCurve([.. fpr], [.. tpr], area / ((double)positives.Count * negatives.Count));
    }

    /// <summary>
    /// For each distinct score from the highest down, how many positives and negatives score at least
    /// that much: the thresholds every curve here is drawn through, ties falling together.
    /// </summary>
    /// <exception cref="ArgumentException">No positive (unless allowed), no negative, or a NaN score.</exception>
    internal static IEnumerable<(double Positives, double Negatives)> Sweep(IReadOnlyList<double> positives, IReadOnlyList<double> negatives,
        bool allowNoPositive = false)
    {
        if ((positives.Count == 0 && !allowNoPositive) || negatives.Count == 0)
            throw new ArgumentException($"need at least one positive and one negative score, got {positives.Count} and {negatives.Count}");
        if (positives.Concat(negatives).Any(double.IsNaN)) throw new ArgumentException("scores contain NaN");
        return Walk(positives.Select(s => (Score: s, Positive: true)).Concat(negatives.Select(s => (Score: s, Positive: false)))
            .OrderByDescending(p => p.Score).ToList());

        static IEnumerable<(double, double)> Walk(List<(double Score, bool Positive)> all)
        {
            double tp = 0, fp = 0;
            for (int i = 0; i < all.Count;)
            {
                for (double s = all[i].Score; i < all.Count && all[i].Score == s; i++)
                    if (all[i].Positive) tp++; else fp++;
                yield return (tp, fp);
            }
        }
    }
}
