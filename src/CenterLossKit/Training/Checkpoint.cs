using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using CenterLossKit.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CenterLossKit.Training;

/// <summary>
/// A trainer's checkpoint: one file holding the network, the centres, the optimizer states and the
/// history, each as a length-prefixed section after a header that names the settings, and ending
/// in the SHA-256 of everything before it, checked before anything is read.
/// </summary>
static class Checkpoint
{
    /// <summary>The first string of the file; part of the model store's file names, so a new format never meets an old file.</summary>
    internal const string Magic = "CenterLossKit checkpoint v2";
    const string OlderMagic = "CenterLossKit checkpoint v1";
    // The history holds NaN (no test set) and must round-trip exactly.
    static readonly JsonSerializerOptions Json = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public static void Save(Trainer trainer, string path)
    {
        using var content = new MemoryStream();
        using (var writer = new BinaryWriter(content, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic);
            writer.Write(Describe(trainer));
            WriteSection(writer, w => trainer.Model.save(w));
            WriteSection(writer, w => trainer.Centers.save(w));
            WriteSection(writer, w => trainer.Optimizer.save_state_dict(w));
            WriteSection(writer, w => trainer.CenterOptimizer?.save_state_dict(w));
            writer.Write(JsonSerializer.Serialize(trainer.Records, Json));
            writer.Flush();
            writer.Write(SHA256.HashData(content.GetBuffer().AsSpan(0, (int)content.Length)));
        }
        AtomicFile.WriteAllBytes(path, content.GetBuffer().AsSpan(0, (int)content.Length));
    }

    public static void Load(Trainer trainer, string path, Func<FeatureNet> createModel)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"checkpoint not found: {path}", path);
        var bytes = File.ReadAllBytes(path);
        Verify(bytes, path);
        byte[] model, centers, optimizer, centerOptimizer;
        List<EpochRecord> history;
        try
        {
            using var reader = new BinaryReader(new MemoryStream(bytes, 0, bytes.Length - SHA256.HashSizeInBytes), Encoding.UTF8);
            reader.ReadString(); // the magic, checked above
            var expected = Describe(trainer);
            var found = reader.ReadString();
            if (found != expected)
                throw new InvalidDataException($"{path} was saved for '{Printable(found)}', this trainer is '{expected}'");
            (model, centers, optimizer, centerOptimizer) = (ReadSection(reader), ReadSection(reader), ReadSection(reader), ReadSection(reader));
            history = JsonSerializer.Deserialize<List<EpochRecord>>(reader.ReadString(), Json) ?? [];
            if (history.Contains(null!)) throw new JsonException("a history row is null");
            if (reader.BaseStream.Position != reader.BaseStream.Length)
                throw new InvalidDataException($"{path}: unexpected bytes after the history");
        }
        // The reader is over memory: an IOException here is a damaged length (past the end, or negative).
        catch (Exception e) when (e is IOException or JsonException or FormatException or OverflowException)
        {
            throw new InvalidDataException($"{path} is corrupt: {e.Message}", e);
        }

        void Restore(Trainer target)
        {
            target.Model.load(Reader(model));
            target.Centers.load(Reader(centers));
            target.Optimizer.load_state_dict(Reader(optimizer));
            target.CenterOptimizer?.load_state_dict(Reader(centerOptimizer));
        }

        // Try every part on a fresh trainer first: a failure must leave this one untouched. Building
        // it reseeds torch's generator, which is put back so that a load leaves no trace there either.
        using (var generator = get_rng_state())
        {
            try
            {
                using var probe = new Trainer(createModel, trainer.Options with { Epochs = 1 }, trainer.Device);
                Restore(probe);
                if (probe.Model.state_dict().FirstOrDefault(p => !Check.Finite(p.Value)).Key is { } bad)
                    throw new InvalidDataException($"the network's {bad} holds NaN or infinity");
            }
            // What TorchSharp's loaders throw for state that does not fit; a damaged length can ask for a huge array.
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or InvalidDataException
                                          or FormatException or OverflowException or OutOfMemoryException)
            {
                throw new InvalidDataException($"{path} does not match this trainer: {e.Message}", e);
            }
            finally { set_rng_state(generator); }
        }
        Restore(trainer);
        trainer.ReplaceHistory(history);
    }

    // The file must start with this format's magic and end in the SHA-256 of the rest.
    static void Verify(byte[] bytes, string path)
    {
        if (StartsWith(bytes, OlderMagic))
            throw new InvalidDataException($"{path} is a checkpoint of an older format (v1, without a checksum); delete it and train again");
        if (!StartsWith(bytes, Magic))
            throw new InvalidDataException($"{path} is not a CenterLossKit checkpoint (it does not start with '{Magic}')");
        int length = bytes.Length - SHA256.HashSizeInBytes;
        if (length < Encoding.UTF8.GetByteCount(Magic) + 1
            || !SHA256.HashData(bytes.AsSpan(0, length)).AsSpan().SequenceEqual(bytes.AsSpan(length)))
            throw new InvalidDataException($"{path} is corrupt: its SHA-256 checksum does not match its content (the file was changed or truncated)");
    }

    // Whether the file begins with `magic` as BinaryWriter.Write(string) writes it: a one-byte length, then UTF-8.
    static bool StartsWith(byte[] bytes, string magic)
    {
        var text = Encoding.UTF8.GetBytes(magic);
        return bytes.Length > text.Length && bytes[0] == text.Length && bytes.AsSpan(1, text.Length).SequenceEqual(text);
    }

    // What must agree between a checkpoint and the trainer loading it.
    static string Describe(Trainer t) =>
        $"{t.Model.GetType().Name} feat_dim={t.Model.feat_dim} classes={t.Model.num_classes} centers={t.Options.Centers}";

    // A string read from a file, fit for a message: control characters shown as '?', at most 100 characters.
    static string Printable(string text)
    {
        var shown = new string(text.Select(c => char.IsControl(c) ? '?' : c).ToArray());
        return shown.Length <= 100 ? shown : shown[..100] + "…";
    }

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
