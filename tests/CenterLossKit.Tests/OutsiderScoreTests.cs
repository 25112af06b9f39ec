using CenterLossKit.Evaluation;

namespace CenterLossKit.Tests;

public class OutsiderScoreTests
{
    static Tensor Rows(double[] values, long columns, Device device) => tensor(values, [values.Length / columns, columns], ScalarType.Float64, device);

    static Tensor NoFeatures(long n, Device device) => zeros(n, 1, ScalarType.Float64, device);

    [Fact]
    public void Logit_scores_match_their_formulas()
    {
        foreach (var device in Expect.Devices())
        {
            var logits = Rows([0, 0, Math.Log(2), 0, 1, -1], 2, device);
            var features = NoFeatures(3, device);
            using var softmax = new MaxSoftmax();
            Expect.Close([0.5, 2.0 / 3, Math.E / (Math.E + 1 / Math.E)], softmax.Score(features, logits), 1e-12);
            using var maxLogit = new MaxLogit();
            Expect.Close([0, Math.Log(2), 1], maxLogit.Score(features, logits), 1e-12);
            // −E = T·log Σ exp(z/T): at T = 1, log(1 + 1), log(2 + 1), log(e + 1/e); at T = 2, 2·log(e^(z1/2) + e^(z2/2)).
            using var energy = new Energy();
            Expect.Close([Math.Log(2), Math.Log(3), Math.Log(Math.E + 1 / Math.E)], energy.Score(features, logits), 1e-12);
            using var warm = new Energy(2);
            Expect.Close([2 * Math.Log(2), 2 * Math.Log(Math.Sqrt(2) + 1), 2 * Math.Log(Math.Exp(0.5) + Math.Exp(-0.5))], warm.Score(features, logits), 1e-12);
            Assert.Equal("energy (T = 2)", warm.Name);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => new Energy(0));
    }

    [Fact]
    public void Centre_distance_is_minus_the_distance_to_the_nearest_centre()
    {
        foreach (var device in Expect.Devices())
        {
            using var score = new CenterDistance(Rows([0, 0, 3, 4], 2, device));
            // (3, 0) is 3 from (0, 0) and 4 from (3, 4); (6, 8) is 5 from (3, 4).
            Expect.Close([-3, -5], score.Score(Rows([3, 0, 6, 8], 2, device), NoFeatures(2, device)), 1e-12);
            Assert.Contains("dimension 3", Assert.Throws<ArgumentException>(() => score.Score(Rows([1, 2, 3], 3, device), NoFeatures(1, device))).Message);
        }
    }

    [Fact]
    public void Scores_stay_on_the_inputs_device()
    {
        // The meta device has shapes and no data: a tensor made on the CPU by mistake would show.
        var features = zeros(4, 2, device: META);
        var logits = zeros(4, 3, device: META);
        // Energy and the distance scores are left out: libtorch has no meta kernels for logsumexp and cdist.
        OutsiderScore[] scores = [new MaxSoftmax(), new MaxLogit()];
        foreach (var score in scores)
        {
            var s = score.Score(features, logits);
            Assert.Equal(DeviceType.META, s.device_type);
            Assert.Equal([4L], s.shape);
        }
    }

    [Fact]
    public void Inputs_of_the_wrong_shape_are_refused_before_scoring()
    {
        using var score = new MaxLogit();
        Assert.Contains("(N, D)", Assert.Throws<ArgumentException>(() => score.Score(zeros(3), zeros(3, 2))).Message);
        Assert.Contains("3 feature rows but 2 logit rows", Assert.Throws<ArgumentException>(() => score.Score(zeros(3, 1), zeros(2, 2))).Message);
        Assert.Contains("floating point", Assert.Throws<ArgumentException>(() => score.Score(zeros(2, 1), zeros(2, 2, ScalarType.Int64))).Message);
    }

    [Fact]
    public void Mahalanobis_uses_the_class_means_and_the_shared_covariance()
    {
        foreach (var device in Expect.Devices())
        {
            // Class 0: (−1, 0), (1, 0), mean (0, 0); class 1: (10, −2), (10, 2), mean (10, 0).
            // Deviations (±1, 0) and (0, ±2): Σ = diag(2/4, 8/4) = diag(0.5, 2).
            var features = Rows([-1, 0, 1, 0, 10, -2, 10, 2], 2, device);
            using var score = Mahalanobis.Fit(features, tensor(new long[] { 0, 0, 1, 1 }, device: device), 2);
            Assert.Equal(2, score.Rank);
            // (1, 2): 1²/0.5 + 2²/2 = 4 from class 0 (164 from class 1); (9, 0): 1²/0.5 = 2 from class 1.
            Expect.Close([-4, -2], score.Score(Rows([1, 2, 9, 0], 2, device), NoFeatures(2, device)), 1e-10);
        }
    }

    [Fact]
    public void Mahalanobis_drops_directions_without_variance_and_takes_a_single_class()
    {
        // One class along x only: mean (1, 0), Σ = diag(1, 0); the y direction carries no information.
        var features = tensor(new double[] { 0, 0, 2, 0 }, [2, 2], ScalarType.Float64);
        using var score = Mahalanobis.Fit(features, zeros(2, ScalarType.Int64), 1);
        Assert.Equal(1, score.Rank);
        Expect.Close([-4, -0.25], score.Score(tensor(new double[] { 3, 5, 1.5, -7 }, [2, 2], ScalarType.Float64), zeros(2, 1)), 1e-10);

        // Identical features: nothing varies, every input scores 0.
        using var flat = Mahalanobis.Fit(ones(3, 2), zeros(3, ScalarType.Int64), 1);
        Assert.Equal(0, flat.Rank);
        Expect.Close([0, 0], flat.Score(tensor(new float[] { 5, 6, 7, 8 }, [2, 2]), zeros(2, 1)), 0);

        Assert.Contains("class 1 has no sample", Assert.Throws<ArgumentException>(() => Mahalanobis.Fit(features, zeros(2, ScalarType.Int64), 2)).Message);
    }

    [Fact]
    public void OpenMax_moves_logit_mass_to_the_unknown_class_by_each_class_Weibull()
    {
        // Class means (2, 0) and (0, 1); Weibulls with shape 1 and scale 1 (CDF 1 − e^(−d)); α = 2.
        // z = (2, 1): distances 1 and 2; class 0 ranks first (weight 1), class 1 second (weight 1/2).
        var weibull = new Weibull(1, 1);
        using var score = new OpenMax(tensor(new double[] { 2, 0, 0, 1 }, [2, 2], ScalarType.Float64), [weibull, weibull], alphaRank: 2);
        double w0 = 1 - (1 - Math.Exp(-1)), w1 = 1 - 0.5 * (1 - Math.Exp(-2));
        double v0 = 2 * w0, v1 = 1 * w1, unknown = 2 * (1 - w0) + 1 * (1 - w1);
        double expected = (Math.Exp(v0) + Math.Exp(v1)) / (Math.Exp(unknown) + Math.Exp(v0) + Math.Exp(v1));
        Expect.Close([expected], score.Score(zeros(1, 1), tensor(new double[] { 2, 1 }, [1, 2], ScalarType.Float64)), 1e-12);
        // At its class mean an input is not revised at all: nothing moves to the unknown class.
        Expect.Close([1 - 1 / (1 + Math.Exp(2) + 1)], score.Score(zeros(1, 1), tensor(new double[] { 2, 0 }, [1, 2], ScalarType.Float64)), 1e-12);
    }

    [Fact]
    public void OpenMax_fits_on_correctly_classified_training_logits_only()
    {
        // Class 0: (3, 0), (6, 0), (4, 1), mean (13/3, 1/3), distances √17/3, √26/3, √5/3; (0, 9) is labelled 0
        // but predicted 1, so it stays out. Class 1: (0, 2), (0, 4), (1, 7), mean (1/3, 13/3), distances √50/3, √2/3, √68/3.
        var logits = tensor(new double[] { 3, 0, 6, 0, 4, 1, 0, 9, 0, 2, 0, 4, 1, 7 }, [7, 2], ScalarType.Float64);
        using var score = OpenMax.Fit(logits, tensor(new long[] { 0, 0, 0, 0, 1, 1, 1 }), tailSize: 2);
        Assert.Equal(2, score.AlphaRank);
        // Each Weibull is fitted to the class's two largest distances.
        var expected = new[] { Weibull.Fit([Math.Sqrt(26) / 3, Math.Sqrt(17) / 3]), Weibull.Fit([Math.Sqrt(68) / 3, Math.Sqrt(50) / 3]) };
        for (int k = 0; k < 2; k++)
        {
            Assert.Equal(expected[k].Shape, score.Weibulls[k].Shape, 9);
            Assert.Equal(expected[k].Scale, score.Weibulls[k].Scale, 9);
        }
        // With fewer than two correct inputs a class falls back on all of them: class 0 of (0, 9), (1, 8), (6, 0) has one.
        using var early = OpenMax.Fit(tensor(new double[] { 0, 9, 1, 8, 6, 0, 0, 2, 0, 4, 1, 7 }, [6, 2], ScalarType.Float64),
            tensor(new long[] { 0, 0, 0, 1, 1, 1 }), tailSize: 2);
        // Mean (7/3, 17/3); distances √(49 + 100)/3, √(16 + 49)/3 and √(121 + 289)/3: the tail is √410/3 and √149/3.
        var fallback = Weibull.Fit([Math.Sqrt(410) / 3, Math.Sqrt(149) / 3]);
        Assert.Equal(fallback.Shape, early.Weibulls[0].Shape, 9);
        // Two correct inputs are too few as well (both lie at the same distance from their mean): class 0 of (3, 0), (6, 0)
        // and (0, 9) is fitted on all three, mean (3, 3), distances 3, √18 and √45.
        using var two = OpenMax.Fit(tensor(new double[] { 3, 0, 6, 0, 0, 9, 0, 2, 0, 4, 1, 7 }, [6, 2], ScalarType.Float64),
            tensor(new long[] { 0, 0, 0, 1, 1, 1 }), tailSize: 2);
        var allThree = Weibull.Fit([Math.Sqrt(45), Math.Sqrt(18)]);
        Assert.Equal(allThree.Shape, two.Weibulls[0].Shape, 9);
        Assert.Equal(allThree.Scale, two.Weibulls[0].Scale, 9);
        Assert.Contains("class 1 has 2 training inputs; OpenMax needs at least three", Assert.Throws<ArgumentException>(() =>
            OpenMax.Fit(logits.narrow(0, 0, 6), tensor(new long[] { 0, 0, 0, 0, 1, 1 }))).Message);
        // One class leaves nothing to revise: refused.
        Assert.Contains("C ≥ 2", Assert.Throws<ArgumentException>(() => OpenMax.Fit(tensor(new double[] { 1, 2, 3 }, [3, 1], ScalarType.Float64), zeros(3, ScalarType.Int64))).Message);
        // Equal tail distances leave no Weibull to fit: refused, naming the class.
        // Class 0 of (3, 0), (5, 0), (4, 0): mean (4, 0), its two largest distances both 1.
        Assert.Contains("class 0: all 2 samples equal", Assert.Throws<ArgumentException>(() =>
            OpenMax.Fit(tensor(new double[] { 3, 0, 5, 0, 4, 0, 0, 2, 0, 4, 1, 7 }, [6, 2], ScalarType.Float64), tensor(new long[] { 0, 0, 0, 1, 1, 1 }), tailSize: 2)).Message);
    }

    [Fact]
    public void The_Weibull_fit_solves_the_likelihood_equations()
    {
        double[] samples = [1.5, 2, 2.5, 4, 7];
        var fit = Weibull.Fit(samples);
        // Stationarity of the log-likelihood: Σx^κ ln x / Σx^κ − 1/κ = mean ln x, and λ^κ = mean x^κ.
        double k = fit.Shape;
        double sum = samples.Sum(x => Math.Pow(x, k)), sumLog = samples.Sum(x => Math.Pow(x, k) * Math.Log(x));
        Assert.Equal(samples.Average(Math.Log), sumLog / sum - 1 / k, 12);
        Assert.Equal(sum / samples.Length, Math.Pow(fit.Scale, k), 9);
        Assert.Equal(1 - Math.Exp(-Math.Pow(3 / fit.Scale, k)), fit.Cdf(3), 15);
        Assert.Equal(0, fit.Cdf(-1));
        // Scaling the data scales λ and leaves κ.
        var scaled = Weibull.Fit([.. samples.Select(x => x * 1000)]);
        Assert.Equal(k, scaled.Shape, 9);
        Assert.Equal(fit.Scale * 1000, scaled.Scale, 6);
    }

    [Fact]
    public void The_Weibull_fit_finds_the_parameters_of_its_own_quantiles_and_refuses_degenerate_samples()
    {
        // 2,000 evenly spaced quantiles of Weibull(κ = 2, λ = 3): the fit lands close to both.
        var quantiles = Enumerable.Range(0, 2000).Select(i => 3 * Math.Sqrt(-Math.Log(1 - (i + 0.5) / 2000))).ToArray();
        var fit = Weibull.Fit(quantiles);
        Assert.InRange(fit.Shape, 1.97, 2.03);
        Assert.InRange(fit.Scale, 2.97, 3.03);
        Assert.Contains("all 3 samples equal", Assert.Throws<ArgumentException>(() => Weibull.Fit([2, 2, 2])).Message);
        Assert.Contains("at least two", Assert.Throws<ArgumentException>(() => Weibull.Fit([2])).Message);
        Assert.Contains("positive", Assert.Throws<ArgumentException>(() => Weibull.Fit([2, 0])).Message);
    }
}
