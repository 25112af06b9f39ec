namespace CenterLossKit.Evaluation;

/// <summary>An ROC curve (false positive rate, true positive rate) and the area under it.</summary>
public sealed record RocCurve(double[] FalsePositiveRate, double[] TruePositiveRate, double Auroc);

/// <summary>ROC analysis of a score where higher means "positive" (in-distribution).</summary>
public static class Roc
{
    /// <summary>
    /// The curve over every threshold, from (0, 0) to (1, 1), and the AUROC: the probability that a
    /// random positive scores above a random negative, ties counting one half.
    /// </summary>
    public static RocCurve Compute(IReadOnlyList<double> positives, IReadOnlyList<double> negatives)
    {
        if (positives.Count == 0 || negatives.Count == 0)
            throw new ArgumentException("need at least one positive and one negative score");
        if (positives.Concat(negatives).Any(double.IsNaN)) throw new ArgumentException("scores contain NaN");
        var all = positives.Select(s => (Score: s, Positive: true)).Concat(negatives.Select(s => (Score: s, Positive: false)))
            .OrderByDescending(p => p.Score).ToList();
        var fpr = new List<double> { 0 };
        var tpr = new List<double> { 0 };
        double tp = 0, fp = 0, area = 0;
        for (int i = 0; i < all.Count;)
        {
            double tpBefore = tp, fpBefore = fp;
            for (double s = all[i].Score; i < all.Count && all[i].Score == s; i++)
                if (all[i].Positive) tp++; else fp++;
            area += (fp - fpBefore) * (tp + tpBefore) / 2; // trapezoid: ties count one half
            fpr.Add(fp / negatives.Count);
            tpr.Add(tp / positives.Count);
        }
        return new RocCurve([.. fpr], [.. tpr], area / ((double)positives.Count * negatives.Count));
    }
}
