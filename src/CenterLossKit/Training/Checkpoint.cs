using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using CenterLossKit.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CenterLossKit.Training;

/// <summary>
/// A trainer's checkpoint: one file holding the network, the centres, the optimizer states and the
/// history, each as a length-prefixed section after a header that names the settings.
/// </summary>
static class Checkpoint
{
    const string Magic = "CenterLossKit checkpoint v1";
    // The history holds NaN (no test set) and must round-trip exactly.
    static readonly JsonSerializerOptions Json = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public static void Save(Trainer trainer, string path)
    {
        var temp = path + "." + Environment.ProcessId + ".tmp";
        try
        {
            using (var writer = new BinaryWriter(File.Create(temp), Encoding.UTF8))
            {
                writer.Write(Magic);
                writer.Write(Describe(trainer));
                WriteSection(writer, w => trainer.Model.save(w));
                WriteSection(writer, w => trainer.Centers.save(w));
                WriteSection(writer, w => trainer.Optimizer.save_state_dict(w));
                WriteSection(writer, w => trainer.CenterOptimizer?.save_state_dict(w));
                writer.Write(JsonSerializer.Serialize(trainer.Records, Json));
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    public static void Load(Trainer trainer, string path, Func<FeatureNet> createModel)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"checkpoint not found: {path}", path);
        byte[] model, centers, optimizer, centerOptimizer;
        List<EpochRecord> history;
        try
        {
            using var reader = new BinaryReader(File.OpenRead(path), Encoding.UTF8);
            if (reader.ReadString() != Magic) throw new InvalidDataException($"{path} is not a CenterLossKit checkpoint");
            var expected = Describe(trainer);
            var found = reader.ReadString();
            if (found != expected)
                throw new InvalidDataException($"{path} was saved for '{found}', this trainer is '{expected}'");
            (model, centers, optimizer, centerOptimizer) = (ReadSection(reader), ReadSection(reader), ReadSection(reader), ReadSection(reader));
            history = JsonSerializer.Deserialize<List<EpochRecord>>(reader.ReadString(), Json)
                ?? throw new InvalidDataException($"{path}: the history is empty");
            if (reader.BaseStream.Position != reader.BaseStream.Length)
                throw new InvalidDataException($"{path}: unexpected bytes after the history");
        }
        catch (Exception e) when (e is EndOfStreamException or JsonException)
        {
            throw new InvalidDataException($"{path} is truncated or corrupt: {e.Message}", e);
        }

        void Restore(Trainer target)
        {
            target.Model.load(Reader(model));
            target.Centers.load(Reader(centers));
            target.Optimizer.load_state_dict(Reader(optimizer));
            target.CenterOptimizer?.load_state_dict(Reader(centerOptimizer));
        }

        // Try every part on a fresh trainer first: a failure must leave this one untouched.
        using (var probe = new Trainer(createModel, trainer.Options with { Epochs = 1 }, trainer.Device))
        {
            try { Restore(probe); }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or EndOfStreamException or InvalidDataException)
            {
                throw new InvalidDataException($"{path} does not match this trainer: {e.Message}", e);
            }
        }
        Restore(trainer);
        trainer.ReplaceHistory(history);
    }

    // What must agree between a checkpoint and the trainer loading it.
    static string Describe(Trainer t) =>
        $"{t.Model.GetType().Name} feat_dim={t.Model.feat_dim} classes={t.Model.num_classes} centers={t.Options.Centers}";

    static void WriteSection(BinaryWriter writer, Action<BinaryWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var inner = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true)) write(inner);
        writer.Write(buffer.Length);
        writer.Write(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    static BinaryReader Reader(byte[] section) => new(new MemoryStream(section));

    static byte[] ReadSection(BinaryReader reader)
    {
        long length = reader.ReadInt64();
        if (length < 0 || length > reader.BaseStream.Length - reader.BaseStream.Position)
            throw new EndOfStreamException($"a section claims {length} bytes, more than remain");
        return reader.ReadBytes((int)length);
    }
}
