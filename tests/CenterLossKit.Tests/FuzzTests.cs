using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using CenterLossKit.Data;
using CenterLossKit.Models;
using CenterLossKit.Training;
using Xunit.Abstractions;

namespace CenterLossKit.Tests;

/// <summary>
/// Thousands of seeded random corruptions of an IDX pair, a checkpoint and a centres file: each read either succeeds
/// or fails with the kit's documented exception naming the file, and a failed load changes nothing.
/// Each test stops at its case count or its time budget, whichever comes first.
/// </summary>
[Collection(nameof(TorchGenerator))] // checks torch's generator, which other tests reseed
public sealed class FuzzTests(ITestOutputHelper output) : IDisposable
{
    const int Cases = 3000;
    static readonly TimeSpan Budget = TimeSpan.FromSeconds(10);

    readonly string _folder = Directory.CreateTempSubdirectory("fuzz-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    static byte[] Idx(int[] dims, byte[] data)
    {
        var header = new byte[4 + 4 * dims.Length];
        header[2] = 0x08;
        header[3] = (byte)dims.Length;
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 + 4 * i), dims[i]);
        return [.. header, .. data];
    }

    static byte[] Gzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var zip = new GZipStream(output, CompressionLevel.Fastest)) zip.Write(bytes);
        return output.ToArray();
    }

    void Report(string what, int cases, Stopwatch clock, IEnumerable<KeyValuePair<string, int>> outcomes)
    {
        output.WriteLine($"{what}: {cases} cases in {clock.Elapsed.TotalSeconds:0.0} s");
        foreach (var (outcome, count) in outcomes.OrderByDescending(o => o.Value)) output.WriteLine($"  {count,5}  {outcome}");
        Assert.True(cases >= 300, $"only {cases} cases ran in {Budget.TotalSeconds} s");
    }

    // What kind of refusal a message is: without quoted text and numbers, cut short.
    static string Kind(string message)
    {
        var kind = Regex.Replace(Regex.Replace(message, "'[^']*'", "'…'"), "-?[0-9]+", "#");
        return kind.Length > 80 ? kind[..80] : kind;
    }

    [Fact]
    public void Damaged_IDX_pairs_load_or_fail_with_InvalidDataException_naming_the_file()
    {
        var random = new Random(16);
        var images = Idx([6, 4, 3], Enumerable.Range(0, 72).Select(i => (byte)(i * 7)).ToArray());
        var labels = Idx([6], [0, 9, 3, 3, 1, 7]);
        string imagesPath = Path.Combine(_folder, "images.idx"), labelsPath = Path.Combine(_folder, "labels.idx");
        var outcomes = new Dictionary<string, int>();
        var clock = Stopwatch.StartNew();
        int cases = 0;
        for (; cases < Cases && clock.Elapsed < Budget; cases++)
        {
            // Damage one file or the other, raw or compressed, before or after compressing.
            bool damageImages = random.Next(2) == 0, gzip = random.Next(2) == 0, afterZip = gzip && random.Next(3) == 0;
            var (target, other) = damageImages ? (images, labels) : (labels, images);
            var damaged = afterZip ? Corruptions.Damage(Gzip(target), random, 20) : Corruptions.Damage(target, random, 16);
            if (gzip && !afterZip) damaged = Gzip(damaged);
            File.WriteAllBytes(damageImages ? imagesPath : labelsPath, damaged);
            File.WriteAllBytes(damageImages ? labelsPath : imagesPath, gzip ? Gzip(other) : other);
            try
            {
                var set = ImageSet.Load(imagesPath, labelsPath, Datasets.Digits);
                // What loads is whole: every image there, every label a class.
                for (int i = 0; i < set.Count; i++) Assert.Equal(set.Rows * set.Cols, set.Pixels(i).Length);
                Assert.All(set.Labels.ToArray(), l => Assert.InRange(l, 0, 9));
                outcomes["loaded"] = outcomes.GetValueOrDefault("loaded") + 1;
            }
            catch (InvalidDataException e)
            {
                Assert.True(e.Message.Contains(imagesPath) || e.Message.Contains(labelsPath), e.Message);
                var kind = Kind(e.Message.Replace(imagesPath, "images").Replace(labelsPath, "labels"));
                outcomes[kind] = outcomes.GetValueOrDefault(kind) + 1;
            }
        }
        Report("IDX pairs", cases, clock, outcomes);
    }

    [Fact]
    public void Damaged_checkpoints_load_or_fail_with_InvalidDataException_and_leave_the_trainer_as_it_was()
    {
        var random = new Random(16);
        var options = new TrainOptions { Epochs = 1, BatchSize = 16, LearningRate = 1e-2, Seed = 4 };
        var path = Path.Combine(_folder, "run.ckpt");
        using (var source = new Trainer(() => new TinyNet(), options, CPU))
        {
            source.Fit(Datasets.Mnist().Train.Take(2));
            source.Save(path);
        }
        var original = File.ReadAllBytes(path);
        using var trainer = new Trainer(() => new TinyNet(), options with { Seed = 5 }, CPU);
        var state = Snapshot(trainer);
        var outcomes = new Dictionary<string, int>();
        var clock = Stopwatch.StartNew();
        int cases = 0;
        for (; cases < Cases && clock.Elapsed < Budget; cases++)
        {
            // A third of the cases get a fresh checksum, as a deliberate edit would: they reach the parser.
            bool resealed = random.Next(3) == 0;
            var damaged = resealed ? Reseal(Corruptions.Damage(original[..^32], random, 120)) : Corruptions.Damage(original, random, 120);
            File.WriteAllBytes(path, damaged);
            try
            {
                trainer.Load(path, () => new TinyNet());
                outcomes[resealed ? "loaded (resealed)" : "loaded"] = outcomes.GetValueOrDefault(resealed ? "loaded (resealed)" : "loaded") + 1;
                // A legitimate change (a weight's byte, say): start the next case from the original again.
                File.WriteAllBytes(path, original);
                trainer.Load(path, () => new TinyNet());
                state = Snapshot(trainer);
            }
            catch (InvalidDataException e)
            {
                Assert.Contains(path, e.Message);
                var kind = (resealed ? "resealed: " : "") + Kind(e.Message.Replace(path, "file"));
                outcomes[kind] = outcomes.GetValueOrDefault(kind) + 1;
                AssertUnchanged(state, trainer, full: cases % 50 == 0);
            }
        }
        AssertUnchanged(state, trainer, full: true);
        Report("checkpoints", cases, clock, outcomes);
    }

    [Fact]
    public void Damaged_centre_files_load_whole_or_fail_with_InvalidDataException_and_leave_the_centres_bit_identical()
    {
        var random = new Random(16);
        var path = Path.Combine(_folder, "centres.bin");
        using (var saved = new Modules.Center(10, 2, initial: arange(20, dtype: ScalarType.Float32).reshape(10, 2))) saved.save(path);
        var original = File.ReadAllBytes(path);
        using var center = new Modules.Center(10, 2);
        var before = Expect.Bytes(center.centers);
        var outcomes = new Dictionary<string, int>();
        var clock = Stopwatch.StartNew();
        int cases = 0;
        for (; cases < Cases && clock.Elapsed < Budget; cases++)
        {
            File.WriteAllBytes(path, Corruptions.Damage(original, random, 24));
            try
            {
                center.load(path);
                outcomes["loaded"] = outcomes.GetValueOrDefault("loaded") + 1;
                Assert.True(Check.Finite(center.centers));
                before = Expect.Bytes(center.centers);
            }
            catch (InvalidDataException e)
            {
                Assert.StartsWith(path + ": ", e.Message);
                Assert.Equal(before, Expect.Bytes(center.centers));
                var kind = Kind(e.Message.Replace(path, "file"));
                outcomes[kind] = outcomes.GetValueOrDefault(kind) + 1;
            }
        }
        Report("centre files", cases, clock, outcomes);
    }

    /// <summary>A network of two linear layers: small checkpoints, so that most damage lands in their structure.</summary>
    sealed class TinyNet() : FeatureNet(nameof(TinyNet), nn.Sequential(("flatten", nn.Flatten())), 28 * 28, 2, 10);

    static byte[] Reseal(byte[] content) => [.. content, .. SHA256.HashData(content)];

    sealed record State(byte[] Weights, byte[] Centres, List<EpochRecord> History, byte[] Generator, byte[] File);

    // Cheap parts every case; the whole trainer as its own checkpoint now and then (it includes the optimizer).
    State Snapshot(Trainer trainer, bool full = true)
    {
        byte[] file = [];
        if (full)
        {
            var copy = Path.Combine(_folder, "state.ckpt");
            trainer.Save(copy);
            file = File.ReadAllBytes(copy);
        }
        using var generator = get_rng_state();
        return new State(trainer.Model.state_dict().Values.SelectMany(Expect.Bytes).ToArray(), Expect.Bytes(trainer.CenterValues),
            trainer.Records.ToList(), Expect.Bytes(generator), file);
    }

    void AssertUnchanged(State before, Trainer trainer, bool full)
    {
        var now = Snapshot(trainer, full);
        Assert.Equal(before.Weights, now.Weights);
        Assert.Equal(before.Centres, now.Centres);
        Assert.Equal(before.History, now.History);
        Assert.Equal(before.Generator, now.Generator);
        if (full) Assert.Equal(before.File, now.File);
    }
}
