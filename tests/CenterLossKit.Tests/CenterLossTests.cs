using CenterLossKit.Losses;
using CenterLossKit.Modules;

namespace CenterLossKit.Tests;

public class CenterLossTests
{
    static Tensor Centres() => tensor(new double[] { 0, 0, 1, 1, 2, -1 }, [3, 2], ScalarType.Float64);
    static Tensor Features() => tensor(new double[] { 1, 0, 0, 2, 3, 3 }, [3, 2], ScalarType.Float64, requires_grad: true);
    static Tensor Labels() => tensor(new long[] { 0, 0, 1 });

    [Fact]
    public void Loss_and_gradient_match_the_hand_computed_values()
    {
        foreach (var device in Expect.Devices())
        {
            var f = Features().to(device).detach().requires_grad_();
            var loss = new CenterLoss().forward(f, Labels().to(device), Centres().to(device));
            // ½·(1 + 4 + 8)/3
            Assert.Equal(13.0 / 6, loss.item<double>(), 15);
            loss.backward();
            // (f_i − c_{y_i}) / B
            Expect.Close([1.0 / 3, 0, 0, 2.0 / 3, 2.0 / 3, 2.0 / 3], f.grad!, 1e-15);
        }
    }

    [Fact]
    public void Sum_and_none_reductions_agree_with_mean()
    {
        var none = new CenterLoss(nn.Reduction.None).forward(Features(), Labels(), Centres());
        Expect.Close([0.5, 2, 4], none, 1e-15);
        Assert.Equal(6.5, new CenterLoss(nn.Reduction.Sum).forward(Features(), Labels(), Centres()).item<double>(), 15);
        Assert.Equal(none.mean().item<double>(), new CenterLoss().forward(Features(), Labels(), Centres()).item<double>(), 15);
    }

    [Fact]
    public void The_loss_matches_a_per_sample_loop_in_float64_and_float32()
    {
        const int classes = 10, dim = 3, batch = 64;
        var random = new Random(7);
        var c = Enumerable.Range(0, classes * dim).Select(_ => random.NextDouble()).ToArray();
        var f = Enumerable.Range(0, batch * dim).Select(_ => random.NextDouble() * 3).ToArray();
        var y = Enumerable.Range(0, batch).Select(_ => (long)random.Next(classes)).ToArray();
        double expected = 0;
        for (int i = 0; i < batch; i++)
            for (int d = 0; d < dim; d++)
                expected += 0.5 * Math.Pow(f[i * dim + d] - c[y[i] * dim + d], 2) / batch;

        foreach (var (dtype, digits) in new[] { (ScalarType.Float64, 12), (ScalarType.Float32, 5) })
        {
            var loss = new CenterLoss().forward(tensor(f, [batch, dim]).to(dtype), tensor(y), tensor(c, [classes, dim]).to(dtype));
            Assert.Equal(expected, loss.to(ScalarType.Float64).item<double>(), digits);
        }
    }

    [Fact]
    public void No_gradient_reaches_buffer_centres()
    {
        using var center = new Center(3, 2, initial: Centres(), dtype: ScalarType.Float64);
        var f = Features();
        var loss = new CenterLoss().forward(f, Labels(), center.centers);
        loss.backward();
        Assert.Null(center.centers.grad);
        Assert.False(center.centers.requires_grad);
        Assert.NotNull(f.grad);
    }

    [Fact]
    public void A_single_sample_batch_and_a_one_class_batch_give_finite_losses_that_backpropagate()
    {
        var one = tensor(new double[] { 3, 4 }, [1, 2], ScalarType.Float64, requires_grad: true);
        var loss = new CenterLoss().forward(one, tensor(new long[] { 0 }), Centres());
        Assert.Equal(12.5, loss.item<double>(), 15);
        loss.backward();
        Expect.Close([3, 4], one.grad!, 1e-15);

        var same = Features();
        var all0 = new CenterLoss().forward(same, tensor(new long[] { 2, 2, 2 }), Centres());
        Assert.True(double.IsFinite(all0.item<double>()));
        all0.backward();
        Assert.NotNull(same.grad);
    }

    [Fact]
    public void The_joint_objective_reports_both_parts()
    {
        var logits = tensor(new double[] { 2, 0, 0, 0, 1, 0, 0, 0, 0 }, [3, 3], ScalarType.Float64);
        var parts = new SoftmaxCenterLoss(0.1).forward(logits, Features(), Labels(), Centres());
        // cross-entropy by hand: −log softmax of the true class (0, 0, 1) per row, averaged
        double ce = (-Math.Log(Math.Exp(2) / (Math.Exp(2) + 2)) - Math.Log(1 / (Math.E + 2)) - Math.Log(1.0 / 3)) / 3;
        Assert.Equal(ce, parts.Softmax.item<double>(), 12);
        Assert.Equal(13.0 / 6, parts.Center.item<double>(), 15);
        Assert.Equal(ce + 0.1 * 13.0 / 6, parts.Total.item<double>(), 12);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SoftmaxCenterLoss(-1));
    }

    [Fact]
    public void The_loss_checks_its_inputs()
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => new CenterLoss().forward(Features(), tensor(new long[] { 0, 5, 1 }), Centres()));
        Assert.Contains("label 5", e.Message);
        // Rank-1 centres: a clear message, not an IndexOutOfRangeException.
        e = Assert.ThrowsAny<ArgumentException>(() => new CenterLoss().forward(Features(), Labels(), zeros(6, ScalarType.Float64)));
        Assert.Contains("centres must have shape (C, D)", e.Message);
        Assert.Contains("rank 1 (6)", e.Message);
        e = Assert.ThrowsAny<ArgumentException>(() => new CenterLoss().forward(Features(), Labels(), zeros(0, 2, ScalarType.Float64)));
        Assert.Contains("C ≥ 1", e.Message);
    }

    static Tensor Logits(int classes, double fill = 0) => full(3, classes, fill, ScalarType.Float64);

    public static TheoryData<string, Func<Tensor>, Func<Tensor>, string> BadLogits => new()
    {
        { "NaN", () => tensor(new[] { 1, double.NaN, 0, 0, 0, 0, 0, 0, 0 }, [3, 3]), Labels, "logits contain NaN or infinity" },
        { "infinity", () => Logits(3, double.NegativeInfinity), Labels, "logits contain NaN or infinity" },
        // 5 classes scored, label 7: refused here, not by libtorch's "Target 7 is out of bounds" with a native stack.
        { "label beyond the logits", () => Logits(5), () => tensor(new long[] { 0, 7, 1 }), "label 7 is outside [0, 5): there are 5 classes scored by the logits" },
        { "negative label", () => Logits(3), () => tensor(new long[] { 0, -2, 1 }), "label -2" },
        { "rank", () => zeros(3, dtype: ScalarType.Float64), Labels, "logits must have shape (B, C)" },
        { "batch", () => zeros(2, 3, dtype: ScalarType.Float64), Labels, "logits hold 2 samples but labels hold 3" },
        { "integer logits", () => zeros(3, 3, dtype: ScalarType.Int64), Labels, "floating point" },
    };

    [Theory, MemberData(nameof(BadLogits))]
    public void The_joint_objective_refuses_bad_logits_before_libtorch_sees_them(string _, Func<Tensor> logits, Func<Tensor> labels, string message)
    {
        // Centres of 10 classes: the label is in range for them, so only the logits' check can catch it.
        var centres = zeros(10, 2, dtype: ScalarType.Float64);
        var e = Assert.ThrowsAny<ArgumentException>(() => new SoftmaxCenterLoss(0.1).forward(logits(), Features(), labels(), centres));
        Assert.Contains(message, e.Message);
    }
}
