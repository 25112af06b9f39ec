using System.Buffers.Binary;
using System.IO.Compression;
using CenterLossKit.Data;

namespace CenterLossKit.Tests;

public sealed class DataTests : IDisposable
{
    readonly string _folder = Directory.CreateTempSubdirectory("idx-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    static readonly string Mnist = Path.Combine(Datasets.FindDataFolder(), "mnist");

    [Fact]
    public void The_bundled_MNIST_digits_read_with_known_counts_pixels_and_labels()
    {
        var all = ImageSet.Load(Path.Combine(Mnist, "mnist-10k-images-idx3-ubyte.gz"), Path.Combine(Mnist, "mnist-10k-labels-idx1-ubyte.gz"), Datasets.Digits);
        Assert.Equal(10_000, all.Count);
        Assert.Equal((28, 28), (all.Rows, all.Cols));
        Assert.Equal([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978], all.ClassCounts());
        Assert.Equal(0, all.Labels[0]);
        var first = all.Pixels(0);
        Assert.Equal(127, first.IndexOfAnyExcept((byte)0)); // row 4, column 15
        Assert.Equal(51, first[127]);
        Assert.Equal(4, all.Labels[5000]);
        Assert.Equal(27509, Sum(all.Pixels(5000)));
    }

    [Fact]
    public void The_bundled_Fashion_MNIST_subset_has_1000_of_each_class()
    {
        var (train, test) = Datasets.FashionMnist();
        Assert.Equal((8000, 2000), (train.Count, test.Count));
        var counts = train.ClassCounts().Zip(test.ClassCounts(), (a, b) => a + b);
        Assert.All(counts, c => Assert.Equal(1000, c));
        Assert.Equal("Ankle boot", train.ClassNames[9]);
    }

    [Fact]
    public void The_split_is_deterministic_disjoint_and_complete()
    {
        var (train1, test1) = Datasets.Mnist();
        var (train2, test2) = Datasets.Mnist();
        Assert.Equal((8000, 2000), (train1.Count, test1.Count));
        Assert.Equal(train1.Labels.ToArray(), train2.Labels.ToArray());
        Assert.Equal(test1.Pixels(17).ToArray(), test2.Pixels(17).ToArray());

        var order = ImageSet.Shuffled(10_000, Datasets.SplitSeed);
        Assert.Equal(Enumerable.Range(0, 10_000), order.Order());
        Assert.NotEqual(order, ImageSet.Shuffled(10_000, Datasets.SplitSeed + 1));
        Assert.NotEqual(Enumerable.Range(0, 10_000), order);
    }

    [Fact]
    public void The_official_files_are_used_when_present()
    {
        var folder = Path.Combine(_folder, "mnist");
        Directory.CreateDirectory(folder);
        WriteIdx(Path.Combine(folder, "train-images-idx3-ubyte.gz"), [3, 28, 28], new byte[3 * 784], gzip: true);
        WriteIdx(Path.Combine(folder, "train-labels-idx1-ubyte.gz"), [3], [7, 8, 9], gzip: true);
        WriteIdx(Path.Combine(folder, "t10k-images-idx3-ubyte"), [2, 28, 28], new byte[2 * 784], gzip: false);
        WriteIdx(Path.Combine(folder, "t10k-labels-idx1-ubyte"), [2], [1, 2], gzip: false);
        var (train, test) = Datasets.Mnist(_folder);
        Assert.Equal([7, 8, 9], train.Labels.ToArray());
        Assert.Equal([1, 2], test.Labels.ToArray());
    }

    public static TheoryData<string, Action<string, string>, string> BadFiles => new()
    {
        { "magic", (img, lbl) => { Write(img, [0, 0, 9, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0]); WriteIdx(lbl, [1], [0]); }, "element type 0x09" },
        { "not idx", (img, lbl) => { Write(img, "PK\u0003\u0004 hello"u8.ToArray()); WriteIdx(lbl, [1], [0]); }, "wrong magic number" },
        { "truncated", (img, lbl) => { WriteIdx(img, [2, 28, 28], new byte[784], gzip: true); WriteIdx(lbl, [2], [0, 1]); }, "truncated" },
        { "mismatch", (img, lbl) => { WriteIdx(img, [2, 28, 28], new byte[2 * 784]); WriteIdx(lbl, [3], [0, 1, 2]); }, "holds 2 images but" },
        { "label range", (img, lbl) => { WriteIdx(img, [2, 28, 28], new byte[2 * 784]); WriteIdx(lbl, [2], [0, 10]); }, "label 10 at position 1" },
        { "bad gzip", (img, lbl) => { Write(img, [0x1f, 0x8b, 1, 2, 3]); WriteIdx(lbl, [1], [0]); }, "gzip" },
        { "no dimensions", (img, lbl) => { Write(img, [0, 0, 8, 0]); WriteIdx(lbl, [1], [0]); }, "the header declares no dimensions" },
        { "cut header", (img, lbl) => { Write(img, [0, 0, 8, 3, 0, 0, 0, 1, 0, 0]); WriteIdx(lbl, [1], [0]); }, "truncated header: 3 dimensions need 16 bytes, the file holds 10" },
        { "extra bytes", (img, lbl) => { WriteIdx(img, [1, 28, 28], new byte[784 + 5]); WriteIdx(lbl, [1], [0]); }, "5 bytes beyond the 784 the header promises" },
        { "images rank 2", (img, lbl) => { WriteIdx(img, [1, 784], new byte[784]); WriteIdx(lbl, [1], [0]); }, "expected 3 dimensions (count, rows, cols), found 2" },
        { "labels rank 2", (img, lbl) => { WriteIdx(img, [1, 28, 28], new byte[784]); WriteIdx(lbl, [1, 1], [0]); }, "expected 1 dimension (count), found 2" },
    };

    [Theory, MemberData(nameof(BadFiles))]
    public void A_bad_file_fails_with_its_name_and_the_problem(string _, Action<string, string> make, string problem)
    {
        string images = Path.Combine(_folder, "images.idx"), labels = Path.Combine(_folder, "labels.idx");
        make(images, labels);
        var e = Assert.Throws<InvalidDataException>(() => ImageSet.Load(images, labels, Datasets.Digits));
        Assert.Contains(problem, e.Message);
        Assert.Contains(_folder, e.Message);
    }

    [Fact]
    public void Dimensions_that_multiply_past_any_integer_are_refused_not_read_as_zero_items()
    {
        // 65536⁴ = 2⁶⁴ wraps to 0 in 64-bit arithmetic: the header must not pass for an empty array.
        var path = Path.Combine(_folder, "huge.idx");
        WriteIdx(path, [65536, 65536, 65536, 65536], []);
        var e = Assert.Throws<InvalidDataException>(() => Idx.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("65536 × 65536 × 65536 × 65536", e.Message);
        Assert.Contains("need 18446744073709551616 bytes of data, the file holds 0", e.Message);

        WriteIdx(path, [3, 2], [1, 2, 3, 4, 5]);
        e = Assert.Throws<InvalidDataException>(() => Idx.Read(path));
        Assert.Contains("3 × 2 need 6 bytes of data, the file holds 5", e.Message);
    }

    [Fact]
    public void A_dimension_above_int_max_is_refused_with_the_file_name()
    {
        var path = Path.Combine(_folder, "big-dim.idx.gz");
        WriteIdx(path, [1, unchecked((int)0x80000000), 28], [], gzip: true);
        var e = Assert.Throws<InvalidDataException>(() => Idx.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("dimension 1 is 2147483648", e.Message);
    }

    [Fact]
    public void Huge_images_with_no_pixels_are_refused()
    {
        // 2²¹ images of 2²¹ × 2²²: 2⁶⁴ pixel bytes, which wraps to the 0 given in 64-bit arithmetic.
        var e = Assert.Throws<ArgumentException>(() => new ImageSet("huge", [], new byte[1 << 21], 1 << 21, 1 << 22, Datasets.Digits));
        Assert.Contains("huge: images of 2097152×4194304 have more pixels than an array holds", e.Message);
        e = Assert.Throws<ArgumentException>(() => new ImageSet("odd", new byte[7], [0, 1], 2, 2, Datasets.Digits));
        Assert.Contains("2 labels but 7 pixel bytes", e.Message);

        // The same through the file reader: zero images of 2²¹ × 2²² is no image size at all.
        string images = Path.Combine(_folder, "images.idx"), labels = Path.Combine(_folder, "labels.idx");
        WriteIdx(images, [0, 1 << 21, 1 << 22], []);
        WriteIdx(labels, [0], []);
        var bad = Assert.Throws<InvalidDataException>(() => ImageSet.Load(images, labels, Datasets.Digits));
        Assert.Contains(images, bad.Message);
        Assert.Contains("2097152×4194304", bad.Message);
    }

    [Fact]
    public void Pixels_of_an_image_that_is_not_there_is_an_error_not_zero_bytes()
    {
        var empty = new ImageSet("empty", [], [], 28, 28, Datasets.Digits);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => empty.Pixels(0));
        Assert.Contains("empty holds 0 images", e.Message);
        var two = new ImageSet("two", Enumerable.Range(0, 8).Select(i => (byte)i).ToArray(), [3, 4], 2, 2, Datasets.Digits);
        Assert.Equal([4, 5, 6, 7], two.Pixels(1).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => two.Pixels(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => two.Pixels(-1));
    }

    [Fact]
    public void A_missing_file_fails_with_its_name()
    {
        var missing = Path.Combine(_folder, "nothing-here.gz");
        var e = Assert.Throws<FileNotFoundException>(() => Idx.Read(missing));
        Assert.Contains(missing, e.Message);
    }

    [Fact]
    public void Tensors_are_normalised_on_the_requested_device_and_batches_cover_the_set_once()
    {
        var (_, test) = Datasets.Mnist();
        var (images, labels) = test.ToTensors(CPU);
        Assert.Equal([2000L, 1, 28, 28], images.shape);
        Assert.Equal(ScalarType.Float32, images.dtype);
        Assert.Equal((0 / 255.0 - 0.1307) / 0.3081, images[0, 0, 0, 0].item<float>(), 5);
        Assert.Equal(test.Labels[3], labels[3].item<long>());

        var seen = Batches.Of(images, labels, 128, shuffleSeed: 5).SelectMany(b => b.Labels.data<long>().ToArray()).ToArray();
        Assert.Equal(2000, seen.Length);
        Assert.Equal(labels.data<long>().ToArray().Order(), seen.Order());
        var again = Batches.Of(images, labels, 128, shuffleSeed: 5).First().Labels.data<long>().ToArray();
        Assert.Equal(seen[..128], again);
    }

    static int Sum(ReadOnlySpan<byte> pixels)
    {
        int sum = 0;
        foreach (var p in pixels) sum += p;
        return sum;
    }

    static void Write(string path, byte[] bytes) => File.WriteAllBytes(path, bytes);

    static void WriteIdx(string path, int[] dims, byte[] data, bool gzip = false)
    {
        var header = new byte[4 + 4 * dims.Length];
        header[2] = 0x08;
        header[3] = (byte)dims.Length;
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 + 4 * i), dims[i]);
        byte[] bytes = [.. header, .. data];
        if (gzip)
        {
            using var output = new MemoryStream();
            using (var zip = new GZipStream(output, CompressionLevel.Fastest)) zip.Write(bytes);
            bytes = output.ToArray();
        }
        File.WriteAllBytes(path, bytes);
    }
}
