using CenterLossKit.Modules;

namespace CenterLossKit.Tests;

public class CenterTests
{
    // Three classes in 2-D; the batch has class 0 twice, class 1 once and class 2 not at all.
    static readonly double[] C0 = [0, 0, 1, 1, 2, -1];
    static readonly double[] F = [1, 0, 0, 2, 3, 3];
    static readonly long[] Y = [0, 0, 1];

    static Center Make(double alpha, CenterUpdate update, Device device, double[]? centres = null) =>
        new(3, 2, alpha, update, tensor(centres ?? C0, [3, 2], ScalarType.Float64), device, ScalarType.Float64);

    static (Tensor f, Tensor y) Batch(Device device) =>
        (tensor(F, [3, 2], ScalarType.Float64, device), tensor(Y, device: device));

    public static TheoryData<double, CenterUpdate, double[]> HandComputed => new()
    {
        // c0 += −0.1·((0,0)−(1,0) + (0,0)−(0,2)) = (0.1, 0.2); c1 += −0.1·((1,1)−(3,3)) = (1.2, 1.2)
        { 0.9, CenterUpdate.MovingAverage, [0.1, 0.2, 1.2, 1.2, 2, -1] },
        // α = 0: every sample's full difference is added: c0 = (1, 2), c1 = (3, 3)
        { 0.0, CenterUpdate.MovingAverage, [1, 2, 3, 3, 2, -1] },
        { 1.0, CenterUpdate.MovingAverage, C0 },
        // n0 = 2: Δc0 = (−1, −2)/3, c0 = (1/6, 1/3); n1 = 1: Δc1 = (−2, −2)/2, c1 = (1.5, 1.5)
        { 0.5, CenterUpdate.Wen, [1.0 / 6, 1.0 / 3, 1.5, 1.5, 2, -1] },
        { 0.0, CenterUpdate.Wen, C0 },
        { 1.0, CenterUpdate.Wen, [1.0 / 3, 2.0 / 3, 2, 2, 2, -1] },
    };

    [Theory, MemberData(nameof(HandComputed))]
    public void One_update_matches_the_hand_computed_centres(double alpha, CenterUpdate update, double[] expected)
    {
        foreach (var device in Expect.Devices())
        {
            using var center = Make(alpha, update, device);
            var (f, y) = Batch(device);
            var returned = center.forward(f, y);
            Assert.Same(center.centers, returned);
            Expect.Close(expected, center.centers, 1e-15);
            Assert.Equal(device.type, center.centers.device.type);
        }
    }

    [Theory]
    [InlineData(CenterUpdate.MovingAverage, 0.9)]
    [InlineData(CenterUpdate.Wen, 0.5)]
    [InlineData(CenterUpdate.MovingAverage, 0.3)]
    public void The_update_matches_a_per_sample_loop_on_random_data(CenterUpdate update, double alpha)
    {
        const int classes = 7, dim = 5, batch = 40;
        var random = new Random(42);
        var c = Enumerable.Range(0, classes * dim).Select(_ => random.NextDouble() * 2 - 1).ToArray();
        var f = Enumerable.Range(0, batch * dim).Select(_ => random.NextDouble() * 4 - 2).ToArray();
        var y = Enumerable.Range(0, batch).Select(_ => (long)random.Next(classes - 1)).ToArray(); // class 6 absent

        var expected = (double[])c.Clone();
        var counts = new int[classes];
        foreach (var label in y) counts[label]++;
        for (int i = 0; i < batch; i++)
            for (int d = 0; d < dim; d++)
            {
                double toward = c[y[i] * dim + d] - f[i * dim + d];
                expected[y[i] * dim + d] += update == CenterUpdate.MovingAverage
                    ? (alpha - 1) * toward
                    : -alpha * toward / (1 + counts[y[i]]);
            }

        using var center = new Center(classes, dim, alpha, update, tensor(c, [classes, dim], ScalarType.Float64), dtype: ScalarType.Float64);
        center.forward(tensor(f, [batch, dim], ScalarType.Float64), tensor(y));
        Expect.Close(expected, center.centers, 1e-12);

        using var center32 = new Center(classes, dim, alpha, update, tensor(c, [classes, dim], ScalarType.Float64));
        center32.forward(tensor(f, [batch, dim], ScalarType.Float64).to(ScalarType.Float32), tensor(y));
        Expect.Close(expected, center32.centers, 1e-5);
    }

    [Fact]
    public void Eval_mode_and_predict_leave_the_centres_untouched()
    {
        using var center = Make(0.9, CenterUpdate.MovingAverage, CPU);
        center.eval();
        var (f, y) = Batch(CPU);
        Assert.Same(center.centers, center.forward(f, y));
        Expect.Close(C0, center.centers, 0);
        Expect.Close(C0, center.predict(), 0);
    }

    [Fact]
    public void The_centres_are_a_buffer_not_a_parameter()
    {
        using var center = new Center(10, 2);
        Assert.Empty(center.parameters());
        var (name, buffer) = Assert.Single(center.named_buffers());
        Assert.Equal("centers", name);
        Assert.Equal([10L, 2L], buffer.shape);
        Assert.False(buffer.requires_grad);
    }

    [Fact]
    public void Default_centres_are_Glorot_uniform()
    {
        manual_seed(0);
        using var center = new Center(100, 50);
        double bound = Math.Sqrt(6.0 / (100 + 50));
        var values = Expect.Values(center.centers);
        Assert.All(values, v => Assert.InRange(v, -bound, bound));
        Assert.InRange(values.Max(), 0.9 * bound, bound);
        Assert.InRange(values.Average(), -0.05 * bound, 0.05 * bound);
    }

    [Fact]
    public void The_centres_round_trip_through_the_saved_state()
    {
        var path = Path.Combine(Path.GetTempPath(), $"center-{Guid.NewGuid():N}.bin");
        try
        {
            using var trained = Make(0.9, CenterUpdate.MovingAverage, CPU);
            var (f, y) = Batch(CPU);
            trained.forward(f, y);
            trained.save(path);

            using var fresh = new Center(3, 2, dtype: ScalarType.Float64);
            fresh.load(path);
            Assert.Equal(Expect.Bytes(trained.centers), Expect.Bytes(fresh.centers));
            Expect.Close([0.1, 0.2, 1.2, 1.2, 2, -1], fresh.centers, 1e-15);
        }
        finally { File.Delete(path); }
    }

    public static TheoryData<string, Func<Tensor>, Func<Tensor>, string> BadInputs => new()
    {
        { "rank", () => zeros(3, 2, 1, dtype: ScalarType.Float64), () => tensor(Y), "rank 3" },
        { "label too big", () => tensor(F, [3, 2], ScalarType.Float64), () => tensor(new long[] { 0, 3, 1 }), "label 3" },
        { "negative label", () => tensor(F, [3, 2], ScalarType.Float64), () => tensor(new long[] { 0, -1, 1 }), "label -1" },
        { "feature dim", () => zeros(3, 4, dtype: ScalarType.Float64), () => tensor(Y), "dimension 4" },
        { "batch size", () => tensor(F, [3, 2], ScalarType.Float64), () => tensor(new long[] { 0, 1 }), "hold 3 samples but labels hold 2" },
        { "integer features", () => zeros(3, 2, dtype: ScalarType.Int64), () => tensor(Y), "floating point" },
        { "float labels", () => tensor(F, [3, 2], ScalarType.Float64), () => tensor(new[] { 0.0, 0, 1 }), "integers" },
        { "label rank", () => tensor(F, [3, 2], ScalarType.Float64), () => tensor(Y).reshape(3, 1), "labels must have shape (B)" },
        { "NaN", () => tensor(new[] { 1, double.NaN, 0, 2, 3, 3 }, [3, 2]), () => tensor(Y), "NaN" },
        { "infinity", () => tensor(new[] { 1, 0, 0, double.PositiveInfinity, 3, 3 }, [3, 2]), () => tensor(Y), "infinity" },
        { "dtype", () => tensor(F, [3, 2], ScalarType.Float64).to(ScalarType.Float32), () => tensor(Y), "Float32" },
        { "empty", () => zeros(0, 2, dtype: ScalarType.Float64), () => zeros(0, dtype: ScalarType.Int64), "empty" },
    };

    [Theory, MemberData(nameof(BadInputs))]
    public void Bad_input_throws_and_leaves_the_centres_bit_identical(string _, Func<Tensor> features, Func<Tensor> labels, string message)
    {
        foreach (var update in new[] { CenterUpdate.MovingAverage, CenterUpdate.Wen })
        {
            using var center = Make(0.5, update, CPU);
            var before = Expect.Bytes(center.centers);
            var e = Assert.ThrowsAny<ArgumentException>(() => center.forward(features(), labels()));
            Assert.Contains(message, e.Message);
            Assert.Equal(before, Expect.Bytes(center.centers));
        }
    }

    [Fact]
    public void Bad_construction_arguments_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Center(0, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Center(3, 2, alpha: 1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Center(3, 2, alpha: double.NaN));
        Assert.Throws<ArgumentException>(() => new Center(3, 2, dtype: ScalarType.Int32));
        var e = Assert.Throws<ArgumentException>(() => new Center(3, 2, initial: zeros(2, 2)));
        Assert.Contains("(3, 2)", e.Message);
        foreach (var bad in new[] { double.NaN, double.PositiveInfinity, double.NegativeInfinity })
        {
            e = Assert.Throws<ArgumentException>(() => new Center(3, 2, initial: tensor(new[] { 0, 0, bad, 1, 2, -1 }, [3, 2])));
            Assert.Contains("initial centres contain NaN or infinity", e.Message);
        }
    }

    // Ten centres of two values: the file holds 20, and a cut one stops after 17 of them.
    static (Center Saved, string Path) SavedTen(string folder)
    {
        var saved = new Center(10, 2, initial: arange(20, dtype: ScalarType.Float32).reshape(10, 2));
        var path = System.IO.Path.Combine(folder, "centres.bin");
        saved.save(path);
        return (saved, path);
    }

    public static TheoryData<string> CentreModules => ["Center", "LearnableCenter"];

    static CenterBase Fresh(string kind) => kind == "Center" ? new Center(10, 2) : new LearnableCenter(10, 2);

    [Theory, MemberData(nameof(CentreModules))]
    public void A_truncated_or_damaged_centres_file_leaves_the_centres_bit_identical(string kind)
    {
        var folder = Directory.CreateTempSubdirectory("centres-").FullName;
        try
        {
            var (saved, path) = SavedTen(folder);
            var bytes = File.ReadAllBytes(path);
            using var target = Fresh(kind);
            var before = Expect.Bytes(target.predict());

            // 17½ of the 20 float32 values: TorchSharp alone would have overwritten 17 of them before failing.
            var cut = System.IO.Path.Combine(folder, "cut.bin");
            File.WriteAllBytes(cut, bytes[..^10]);
            var e = Assert.Throws<InvalidDataException>(() => target.load(cut));
            Assert.StartsWith(cut + ":", e.Message);
            Assert.Equal(before, Expect.Bytes(target.predict()));

            var nan = System.IO.Path.Combine(folder, "nan.bin");
            using (var poisoned = new Center(10, 2, initial: zeros(10, 2)))
            {
                poisoned.centers[4, 1] = tensor(float.NaN);
                poisoned.save(nan);
            }
            e = Assert.Throws<InvalidDataException>(() => target.load(nan));
            Assert.Contains("NaN or infinity", e.Message);
            Assert.Contains(nan, e.Message);
            Assert.Equal(before, Expect.Bytes(target.predict()));

            using var wide = new Center(10, 3);
            var other = System.IO.Path.Combine(folder, "wide.bin");
            wide.save(other);
            e = Assert.Throws<InvalidDataException>(() => target.load(other));
            Assert.Contains("shape (10, 2)", e.Message);
            Assert.Equal(before, Expect.Bytes(target.predict()));

            File.WriteAllBytes(other, [.. bytes, 0]);
            e = Assert.Throws<InvalidDataException>(() => target.load(other));
            Assert.Contains("1 bytes after the saved centres", e.Message);
            Assert.Equal(before, Expect.Bytes(target.predict()));

            File.WriteAllBytes(other, Enumerable.Repeat((byte)0xFF, 64).ToArray());
            e = Assert.Throws<InvalidDataException>(() => target.load(other));
            Assert.Contains(other, e.Message);
            Assert.Equal(before, Expect.Bytes(target.predict()));
            Assert.Throws<FileNotFoundException>(() => target.load(System.IO.Path.Combine(folder, "none.bin")));

            // The whole file loads, into the registered tensor itself.
            var registered = target.predict();
            target.load(path);
            Assert.Same(registered, target.predict());
            Assert.Equal(Expect.Bytes(saved.centers), Expect.Bytes(target.predict()));
            saved.Dispose();
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    [Fact]
    public void Learnable_centres_are_a_parameter_that_the_center_loss_moves()
    {
        using var center = new LearnableCenter(3, 2, dtype: ScalarType.Float64);
        using (no_grad()) center.centers.copy_(tensor(C0, [3, 2], ScalarType.Float64));
        var (name, parameter) = Assert.Single(center.named_parameters());
        Assert.Equal("centers", name);
        Assert.Empty(center.named_buffers());

        var (f, y) = Batch(CPU);
        var loss = new Losses.CenterLoss().forward(f, y, center.forward(f, y));
        loss.backward();
        // d/dc_j of ½·(1/B)·Σ‖f_i − c_{y_i}‖² = Σ_{i: y_i = j} (c_j − f_i) / B
        Expect.Close([-1.0 / 3, -2.0 / 3, -2.0 / 3, -2.0 / 3, 0, 0], parameter.grad!, 1e-15);
    }
}
