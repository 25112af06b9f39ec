using CenterLossKit.Evaluation;

namespace CenterLossKit.Tests;

public class OpenSetMetricsTests
{
    // Known scores 3, 2, 0 (the one scoring 2 misclassified); outsiders 1, 2: a tie across the two groups.
    static readonly double[] Known = [3, 2, 0];
    static readonly bool[] Correct = [true, false, true];
    static readonly double[] Outsiders = [1, 2];

    [Fact]
    public void Average_precision_sums_recall_steps_times_precision_over_distinct_thresholds()
    {
        // Thresholds 3, 2, 1, 0 → (tp, fp) = (1, 0), (2, 1), (2, 2), (3, 2):
        // recall steps 1/3, 1/3, 0, 1/3 at precisions 1, 2/3, 1/2, 3/5.
        Assert.Equal(1.0 / 3 + 1.0 / 3 * 2 / 3 + 1.0 / 3 * 3 / 5, OpenSetMetrics.AveragePrecision(Known, Outsiders), 12);
        // Outsiders as positives, scores negated: thresholds 0 (neg), −1 (pos), −2 (pos and neg tied), −3 →
        // recall steps 0, 1/2, 1/2, 0 at precisions 0, 1/2, 1/2, 2/5.
        Assert.Equal(0.5, OpenSetMetrics.AveragePrecision([-1, -2], [-3, -2, 0]), 12);
        Assert.Equal(1.0, OpenSetMetrics.AveragePrecision([5, 4], [1, 2]), 12);
    }

    [Fact]
    public void The_report_gathers_the_five_measures()
    {
        var report = OpenSetMetrics.Compute(Known, Correct, Outsiders);
        Assert.Equal(3.5 / 6, report.Auroc, 12);
        Assert.Equal(34.0 / 45, report.AuprIn, 12);
        Assert.Equal(0.5, report.AuprOut, 12);
        Assert.Equal(1.0, report.FprAt95Tpr, 12); // 95 % of three known inputs needs all three: every outsider is in
        Assert.Equal(1.0 / 3, report.Oscr, 12);
    }

    [Fact]
    public void FPR_at_95_percent_TPR_is_read_where_19_of_20_known_inputs_are_accepted()
    {
        // Known 1..20, outsiders 0.5, 1.5, 19.5: accepting 19 known inputs means a threshold of 2, which lets 19.5 in.
        var known = Enumerable.Range(1, 20).Select(i => (double)i).ToArray();
        var roc = Roc.Compute(known, [0.5, 1.5, 19.5]);
        Assert.Equal(1.0 / 3, roc.FalsePositiveRateAt(0.95), 12);
        Assert.Equal(0.0, roc.FalsePositiveRateAt(0), 12);
        Assert.Equal(2.0 / 3, roc.FalsePositiveRateAt(1), 12); // all 20 need a threshold of 1: 1.5 and 19.5 are in
        Assert.Throws<ArgumentOutOfRangeException>(() => roc.FalsePositiveRateAt(1.5));
    }

    [Fact]
    public void The_OSCR_curve_counts_only_correct_known_inputs_over_all_known_inputs()
    {
        // Correct known scores 3 and 0 against outsiders 1 and 2: (0, 1/3), (1/2, 1/3), (1, 1/3), (1, 2/3).
        var oscr = OpenSetMetrics.Oscr(Known, Correct, Outsiders);
        Assert.Equal([0, 0, 0.5, 1, 1], oscr.FalsePositiveRate);
        Assert.Equal([0, 1.0 / 3, 1.0 / 3, 1.0 / 3, 2.0 / 3], oscr.CorrectClassificationRate);
        Assert.Equal(1.0 / 3, oscr.Area, 12);
        // A perfect rejector: the area is the closed-set accuracy.
        Assert.Equal(2.0 / 3, OpenSetMetrics.Oscr([5, 6, 7], [true, false, true], [1, 2]).Area, 12);
        // Nothing classified correctly: the curve stays at zero.
        Assert.Equal(0.0, OpenSetMetrics.Oscr([5, 6], [false, false], [1]).Area, 12);
    }

    [Fact]
    public void All_equal_scores_carry_no_information()
    {
        var report = OpenSetMetrics.Compute([1, 1, 1], [true, true, false], [1, 1]);
        Assert.Equal(0.5, report.Auroc, 12);
        Assert.Equal(3.0 / 5, report.AuprIn, 12);  // the share of known inputs
        Assert.Equal(2.0 / 5, report.AuprOut, 12); // the share of outsiders
        Assert.Equal(1.0, report.FprAt95Tpr, 12);
        Assert.Equal(1.0 / 3, report.Oscr, 12);    // one straight segment from (0, 0) to (1, 2/3)
    }

    [Fact]
    public void Missing_or_malformed_inputs_are_refused_with_the_reason()
    {
        Assert.Contains("0 and 2", Assert.Throws<ArgumentException>(() => OpenSetMetrics.Compute([], [], [1, 2])).Message);
        Assert.Contains("2 and 0", Assert.Throws<ArgumentException>(() => OpenSetMetrics.Compute([1, 2], [true, true], [])).Message);
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => OpenSetMetrics.Compute([1, double.NaN], [true, true], [0])).Message);
        Assert.Contains("correctness", Assert.Throws<ArgumentException>(() => OpenSetMetrics.Oscr([1, 2], [true], [0])).Message);
        Assert.Throws<ArgumentException>(() => OpenSetMetrics.AveragePrecision([1], []));
    }

    [Fact]
    public void Tensors_on_any_device_give_the_same_report()
    {
        foreach (var device in Expect.Devices())
        {
            var report = OpenSetMetrics.Evaluate(tensor(Known, device: device), tensor(Correct, device: device), tensor(Outsiders, device: device));
            Assert.Equal(OpenSetMetrics.Compute(Known, Correct, Outsiders), report);
        }
    }
}

public class ClassThresholdsTests
{
    [Fact]
    public void Each_predicted_class_gets_the_quantile_of_its_validation_scores()
    {
        foreach (var device in Expect.Devices())
        {
            // Class 0 predicted for scores 1..4, class 2 for 10 and 20, class 1 never.
            var scores = tensor(new double[] { 1, 2, 3, 4, 10, 20 }, device: device);
            var predicted = tensor(new long[] { 0, 0, 0, 0, 2, 2 }, device: device);
            using var thresholds = ClassThresholds.Fit(scores, predicted, 3, acceptRate: 0.75);
            // 0.25 quantiles, linear: 1 + 0.25·3; for class 1 all six scores: 2 + 0.25·1 (position 1.25); 10 + 0.25·10.
            Assert.Equal([1.75, 2.25, 12.5], thresholds.Values);
            Assert.Equal(0.75, thresholds.AcceptRate);

            var knownScores = tensor(new double[] { 2, 1, 13, 11, 3 }, device: device);
            var knownPredicted = tensor(new long[] { 0, 0, 2, 2, 1 }, device: device);
            Assert.Equal([true, false, true, false, true], thresholds.Accept(knownScores, knownPredicted).cpu().data<bool>().ToArray());
            var point = thresholds.Measure(knownScores, knownPredicted, tensor(new long[] { 0, 1, 2, 2, 1 }, device: device),
                tensor(new double[] { 0, 100 }, device: device), tensor(new long[] { 0, 1 }, device: device));
            Assert.Equal(new OperatingPoint(0.6, 1.0, 0.6, 0.5), point);
        }
    }

    [Fact]
    public void Float32_scores_fit_the_same_thresholds_and_bad_input_is_refused()
    {
        using var thresholds = ClassThresholds.Fit(tensor(new float[] { 1, 2, 3, 4 }), zeros(4, ScalarType.Int64), 1, acceptRate: 0.5);
        Assert.Equal([2.5], thresholds.Values);
        Assert.Contains("outside [0, 1)", Assert.Throws<ArgumentException>(() => thresholds.Accept(tensor(new float[] { 1 }), tensor(new long[] { 1 }))).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => ClassThresholds.Fit(tensor(new float[] { 1 }), zeros(1, ScalarType.Int64), 1, 0));
        Assert.Contains("no validation score", Assert.Throws<ArgumentException>(() => ClassThresholds.Fit(zeros(0), zeros(0, ScalarType.Int64), 1, 0.5)).Message);
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => ClassThresholds.Fit(tensor(new[] { float.NaN }), zeros(1, ScalarType.Int64), 1, 0.5)).Message);
        Assert.Throws<ArgumentException>(() => ClassThresholds.Fit(zeros(2), zeros(3, ScalarType.Int64), 1, 0.5));
    }
}
