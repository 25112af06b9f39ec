using CenterLossKit.Evaluation;

namespace CenterLossKit.Tests;

public class PcaTests
{
    // Around (1, 2, 3): ±2 along u = (0.6, 0.8, 0) and ±1 along v = (−0.8, 0.6, 0); nothing along z.
    static Tensor Points(Device device, ScalarType dtype = ScalarType.Float64) => tensor(new double[]
    {
        1 + 1.2, 2 + 1.6, 3,
        1 - 1.2, 2 - 1.6, 3,
        1 - 0.8, 2 + 0.6, 3,
        1 + 0.8, 2 - 0.6, 3,
    }, [4, 3], ScalarType.Float64, device).to(dtype);

    [Fact]
    public void The_components_are_the_directions_of_largest_variance_with_a_fixed_sign()
    {
        foreach (var device in Expect.Devices())
        {
            using var pca = Pca.Fit(Points(device));
            // Variance with N − 1 = 3: 2·2²/3 along u, 2·1²/3 along v, 0 along z.
            Assert.Equal(8.0 / 3, pca.ExplainedVariance[0], 12);
            Assert.Equal(2.0 / 3, pca.ExplainedVariance[1], 12);
            Assert.Equal(10.0 / 3, pca.TotalVariance, 12);
            Assert.Equal([0.8, 0.2], pca.ExplainedVarianceRatio.Select(r => Math.Round(r, 12)));
            // u as is (its largest entry 0.8 is positive); v flipped to (0.8, −0.6, 0).
            Expect.Close([0.6, 0.8, 0, 0.8, -0.6, 0], pca.Components, 1e-12);
            // The first point is +2 along u and 0 along v; (1, 2, 3) + v is −1 along the flipped v.
            Expect.Close([2, 0, 0, -1], pca.Transform(cat([Points(device).narrow(0, 0, 1), tensor(new double[] { 0.2, 2.6, 3 }, [1, 3], ScalarType.Float64, device)], 0)), 1e-12);
        }
    }

    [Fact]
    public void Float32_features_give_the_same_projection_and_bad_input_is_refused()
    {
        using var pca = Pca.Fit(Points(CPU, ScalarType.Float32), components: 1);
        Expect.Close([2, -2, 0, 0], pca.Transform(Points(CPU, ScalarType.Float32)), 1e-5);
        Assert.Throws<ArgumentOutOfRangeException>(() => Pca.Fit(Points(CPU), components: 4));
        Assert.Contains("at least two rows", Assert.Throws<ArgumentException>(() => Pca.Fit(zeros(1, 3))).Message);
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => Pca.Fit(tensor(new[] { 1, float.NaN, 2, 3 }, [2, 2]))).Message);
        Assert.Contains("(N, 3)", Assert.Throws<ArgumentException>(() => pca.Transform(zeros(2, 2))).Message);
    }
}
