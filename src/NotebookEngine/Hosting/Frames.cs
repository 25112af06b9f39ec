using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using NotebookEngine.Display;

namespace NotebookEngine.Hosting;

/// <summary>
/// The cell host protocol's framing: each message is a JSON object preceded by its length in bytes
/// (four bytes, little-endian). Writes may come from any thread; one is sent whole before the next.
/// </summary>
public sealed class FrameStream(Stream stream)
{
    /// <summary>Larger frames mean a corrupt stream, not a message.</summary>
    const int MaxFrame = 1 << 30;

    readonly Lock _writing = new();

    /// <summary>Sends <paramref name="message"/>; throws <see cref="IOException"/> once the other side is gone.</summary>
    public void Write(JsonObject message)
    {
        var body = Encoding.UTF8.GetBytes(message.ToJsonString());
        var frame = new byte[4 + body.Length];
        BinaryPrimitives.WriteInt32LittleEndian(frame, body.Length);
        body.CopyTo(frame, 4);
        lock (_writing)
        {
            stream.Write(frame);
            stream.Flush();
        }
    }

    /// <summary>The next message, or null when the other side closed the stream (or it broke).</summary>
    public async Task<JsonObject?> ReadAsync(CancellationToken cancellation = default)
    {
        var header = new byte[4];
        try
        {
            await stream.ReadExactlyAsync(header, cancellation).ConfigureAwait(false);
            var length = BinaryPrimitives.ReadInt32LittleEndian(header);
            if (length is < 0 or > MaxFrame) return null;
            var body = new byte[length];
            await stream.ReadExactlyAsync(body, cancellation).ConfigureAwait(false);
            return JsonNode.Parse(body) as JsonObject;
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or ObjectDisposedException or JsonException) { return null; }
    }
}

/// <summary>How the engine's values travel in cell host messages.</summary>
public static class HostJson
{
    /// <summary>A MIME bundle as a JSON object of strings.</summary>
    public static JsonObject Bundle(DisplayData data)
    {
        var bundle = new JsonObject();
        foreach (var (mime, value) in data.Data) bundle[mime] = value;
        return bundle;
    }

    /// <summary>The bundle back.</summary>
    public static DisplayData Data(JsonNode? bundle)
    {
        var data = new Dictionary<string, string>();
        if (bundle is JsonObject items)
            foreach (var (mime, value) in items) data[mime] = value is JsonValue v && v.TryGetValue<string>(out var text) ? text : value?.ToJsonString() ?? "";
        return new DisplayData(data);
    }

    /// <summary>A cell error as Jupyter carries it: ename, evalue, traceback.</summary>
    public static JsonObject Error(CellError error) => new()
    {
        ["ename"] = error.Name,
        ["evalue"] = error.Value,
        ["traceback"] = new JsonArray(error.Traceback.Select(l => (JsonNode)l!).ToArray()),
    };

    /// <summary>The error back.</summary>
    public static CellError Error(JsonObject message) => new(
        Text(message, "ename"), Text(message, "evalue"),
        message["traceback"] is JsonArray lines ? lines.Select(l => l is JsonValue v && v.TryGetValue<string>(out var t) ? t : "").ToList() : []);

    /// <summary>A string field, or "" when it is missing or not a string.</summary>
    public static string Text(JsonObject message, string name) =>
        message[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : "";

    /// <summary>An integer field, or null when it is missing or not an integer.</summary>
    public static long? Integer(JsonObject message, string name) =>
        message[name] is JsonValue value && value.TryGetValue<long>(out var number) ? number : null;
}
