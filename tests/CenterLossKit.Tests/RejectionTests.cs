using CenterLossKit.Evaluation;

namespace CenterLossKit.Tests;

public class RejectionTests
{
    [Fact]
    public void AUROC_counts_correctly_ordered_pairs_and_half_ties()
    {
        // pairs (p, n): 3 > 1, 3 > 2, 2 = 2 (½), 2 > 1, 0 < 1, 0 < 2 → 3.5 / 6
        var roc = Roc.Compute([3, 2, 0], [1, 2]);
        Assert.Equal(3.5 / 6, roc.Auroc, 12);
        Assert.Equal((0.0, 0.0), (roc.FalsePositiveRate[0], roc.TruePositiveRate[0]));
        Assert.Equal((1.0, 1.0), (roc.FalsePositiveRate[^1], roc.TruePositiveRate[^1]));
        Assert.Equal(1.0, Roc.Compute([5, 6], [1, 2]).Auroc);
        Assert.Equal(0.0, Roc.Compute([1], [2]).Auroc);
        Assert.Equal(0.5, Roc.Compute([1, 1], [1]).Auroc);
        Assert.Throws<ArgumentException>(() => Roc.Compute([], [1]));
    }

    [Fact]
    public void Thresholds_keep_the_requested_share_of_each_class_and_reject_far_samples()
    {
        // Class 0 around (0, 0) at distances 1..10; class 1 around (100, 0) at distances 2, 4, .., 20.
        var rows = new List<double>();
        var labels = new List<long>();
        for (int k = 1; k <= 10; k++)
        {
            rows.AddRange([0, k]); labels.Add(0);
            rows.AddRange([100 + 2 * k, 0]); labels.Add(1);
        }
        var features = tensor(rows.ToArray(), [20, 2], ScalarType.Float64);
        var centers = tensor(new double[] { 0, 0, 100, 0 }, [2, 2], ScalarType.Float64);
        using var rejector = OutsiderRejector.Fit(features, tensor(labels.ToArray()), centers, acceptRate: 0.9);
        // 0.9 quantile of 1..10 with linear interpolation: 1 + 0.9·9 = 9.1; of 2..20: 18.2
        Expect.Close([9.1, 18.2], tensor(rejector.Thresholds), 1e-12);

        var probes = tensor(new double[] { 0, 9, 0, 9.5, 115, 0, 130, 0, 50, 0 }, [5, 2], ScalarType.Float64);
        var decisions = rejector.Explain(probes);
        Assert.Equal([0, 0, 1, 1, 0], decisions.Select(d => d.Class));
        Assert.Equal([true, false, true, false, false], decisions.Select(d => d.Accepted));
        Assert.Equal(9.5, decisions[1].Distance, 12);
        Assert.Equal(18.2, decisions[3].Threshold, 12);
        // Scores: the smallest distance in threshold units, negated; (50, 0) is 50 from both centres → 50/18.2
        Expect.Close([-9 / 9.1, -9.5 / 9.1, -15 / 18.2, -30 / 18.2, -50 / 18.2], rejector.Score(probes), 1e-12);
    }

    [Fact]
    public void A_NaN_centre_is_refused_rather_than_giving_a_NaN_threshold()
    {
        var features = tensor(new double[] { 0, 1, 0, 2, 5, 5 }, [3, 2]);
        var centers = tensor(new double[] { 0, 0, double.NaN, 5 }, [2, 2]);
        var e = Assert.Throws<ArgumentException>(() => OutsiderRejector.Fit(features, tensor(new long[] { 0, 0, 1 }), centers));
        Assert.Contains("centers contain NaN or infinity", e.Message);
        Assert.Equal("centers", e.ParamName);
    }

    [Fact]
    public void Float32_features_give_the_same_thresholds()
    {
        // The trained networks give float32 features; the quantile must not depend on that.
        var features = tensor(new float[] { 0, 1, 0, 2, 0, 3, 0, 4 }, [4, 2]);
        var centers = zeros(1, 2);
        using var rejector = OutsiderRejector.Fit(features, zeros(4, ScalarType.Int64), centers, acceptRate: 0.5);
        Expect.Close([2.5], tensor(rejector.Thresholds), 1e-6); // median of 1..4
    }

    [Fact]
    public void Compactness_is_intra_class_distance_over_distance_between_centres()
    {
        // Two classes: points at distance 1 from centres (0,0) and (4,0) → intra 1, inter 4.
        var f = tensor(new double[] { 0, 1, 0, -1, 4, 1, 4, -1 }, [4, 2], ScalarType.Float64);
        var y = tensor(new long[] { 0, 0, 1, 1 });
        var c = Metrics.Compactness(f, y, 2);
        Assert.Equal(1.0, c.Intra, 12);
        Assert.Equal(4.0, c.Inter, 12);
        Assert.Equal(0.25, c.Ratio, 12);
        Expect.Close([0, 0, 4, 0], Metrics.ClassMeans(f, y, 2), 1e-12);
    }
}
