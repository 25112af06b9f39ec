using System.Diagnostics;
using CenterLossKit.Data;
using CenterLossKit.Models;
using CenterLossKit.Training;

namespace CenterLossKit.Tests;

/// <summary>Tests that check torch's global generator, which any other test may reseed: run alone.</summary>
[CollectionDefinition(nameof(TorchGenerator), DisableParallelization = true)]
public sealed class TorchGenerator;

/// <summary>Checkpoints that are damaged, foreign or left behind: refused by name, nothing changed.</summary>
[Collection(nameof(TorchGenerator))]
public sealed class CheckpointTests : IDisposable
{
    static readonly ImageSet Train = Datasets.Mnist().Train.Take(3);
    static TrainOptions Options => new() { Epochs = 1, BatchSize = 16, LearningRate = 1e-2, Seed = 3 };

    readonly string _folder = Directory.CreateTempSubdirectory("ckpt-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    string Saved(string name, Action<Trainer>? change = null)
    {
        using var trainer = new Trainer(() => new SmallNet(), Options, CPU);
        trainer.Fit(Train);
        change?.Invoke(trainer);
        var path = Path.Combine(_folder, name);
        trainer.Save(path);
        return path;
    }

    /// <summary>
    /// Everything a load could change: the trainer as its own checkpoint holds it (weights, centres,
    /// optimizer states, history), and torch's generator.
    /// </summary>
    (byte[] Trainer, byte[] Generator) State(Trainer t)
    {
        var path = Path.Combine(_folder, "state.snapshot");
        t.Save(path);
        var bytes = File.ReadAllBytes(path);
        File.Delete(path);
        using var generator = get_rng_state();
        return (bytes, Expect.Bytes(generator));
    }

    InvalidDataException Refused(string path)
    {
        using var trainer = new Trainer(() => new SmallNet(), Options with { Seed = 9 }, CPU);
        var before = State(trainer);
        var e = Assert.Throws<InvalidDataException>(() => trainer.Load(path, () => new SmallNet()));
        Assert.Contains(path, e.Message);
        var after = State(trainer);
        Assert.Equal(before.Trainer, after.Trainer);
        Assert.Equal(before.Generator, after.Generator);
        return e;
    }

    [Fact]
    public void One_flipped_byte_in_the_weights_is_caught_by_the_checksum()
    {
        var path = Saved("run.ckpt");
        var bytes = File.ReadAllBytes(path);
        // Past the two header strings and the first section's length: inside the network's tensors.
        bytes[200] ^= 0x01;
        File.WriteAllBytes(path, bytes);
        var e = Refused(path);
        Assert.Contains("checksum does not match", e.Message);

        File.WriteAllBytes(path, bytes[..^1]);
        Assert.Contains("changed or truncated", Refused(path).Message);
    }

    [Fact]
    public void A_file_of_0xFF_bytes_and_other_foreign_files_are_refused_with_their_path()
    {
        var path = Path.Combine(_folder, "ff.ckpt");
        File.WriteAllBytes(path, Enumerable.Repeat((byte)0xFF, 4096).ToArray());
        Assert.Contains("is not a CenterLossKit checkpoint", Refused(path).Message);
        File.WriteAllBytes(path, []);
        Assert.Contains("is not a CenterLossKit checkpoint", Refused(path).Message);

        // The previous format: the same layout without the checksum.
        using (var writer = new BinaryWriter(File.Create(path))) { writer.Write("CenterLossKit checkpoint v1"); writer.Write("SmallNet"); }
        Assert.Contains("older format (v1, without a checksum)", Refused(path).Message);
    }

    [Fact]
    public void Weights_that_are_NaN_are_refused_though_the_checksum_matches()
    {
        var path = Saved("nan.ckpt", t =>
        {
            using (no_grad()) t.Model.parameters().First()[0].fill_(float.NaN);
        });
        var e = Refused(path);
        Assert.Contains("holds NaN or infinity", e.Message);
    }

    [Fact]
    public void A_good_load_restores_everything_and_leaves_the_generator_alone()
    {
        var path = Saved("good.ckpt");
        using var trainer = new Trainer(() => new SmallNet(), Options with { Seed = 9 }, CPU);
        manual_seed(123);
        using var generator = get_rng_state();
        trainer.Load(path, () => new SmallNet());
        Assert.Equal(Expect.Bytes(generator), Expect.Bytes(get_rng_state()));
        // Saved again, the loaded trainer writes the very same bytes: nothing was left out.
        Assert.Equal(File.ReadAllBytes(path), State(trainer).Trainer);
        Assert.Single(trainer.Records);
    }

    [Fact]
    public void A_temp_file_of_a_writer_killed_mid_save_is_removed_by_the_next_save()
    {
        var path = Path.Combine(_folder, "model.ckpt");
        // A real writer: a shell that starts its temp file, then is killed with SIGKILL, as kill -9 does.
        using (var writer = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", $"printf partial > '{path}'.$$.tmp; kill -9 $$"]))!)
        {
            writer.WaitForExit();
            Assert.Equal(137, writer.ExitCode); // 128 + SIGKILL
        }
        var left = Assert.Single(Directory.GetFiles(_folder, "model.ckpt.*.tmp"));
        // A temp of a process that still runs is someone saving right now: left alone.
        var live = path + ".1.tmp";
        File.WriteAllText(live, "in progress");

        using var trainer = new Trainer(() => new SmallNet(), Options, CPU);
        trainer.Save(path);
        Assert.False(File.Exists(left), $"{left} is still there");
        Assert.True(File.Exists(live));
        Assert.Equal([path, live], Directory.GetFiles(_folder).Order(StringComparer.Ordinal));
        trainer.Load(path, () => new SmallNet());
    }
}
