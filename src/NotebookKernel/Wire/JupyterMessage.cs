using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace NotebookKernel.Wire;

/// <summary>
/// One received message of the Jupyter wire protocol. The header is also kept as the exact bytes
/// the client sent, to go back unchanged as the parent header of what it causes.
/// </summary>
public sealed record JupyterMessage(IReadOnlyList<byte[]> Identities, JsonObject Header, byte[] RawHeader, JsonObject Metadata, JsonObject Content)
{
    /// <summary>The msg_type from the header.</summary>
    public string Type => (string?)Header["msg_type"] ?? "";
}

/// <summary>Frames messages and signs them with HMAC-SHA256, as the connection file's key says.</summary>
public sealed class WireFormat(string key, string session)
{
    /// <summary>Frame that separates routing identities from the message.</summary>
    public static readonly byte[] Delimiter = "<IDS|MSG>"u8.ToArray();

    static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };
    readonly byte[] _key = Encoding.UTF8.GetBytes(key);

    /// <summary>The kernel's session id, in every header it sends.</summary>
    public string Session { get; } = session;

    /// <summary>Parses and checks received frames; null (the message is dropped) when malformed or wrongly signed.</summary>
    public JupyterMessage? Parse(IReadOnlyList<byte[]> frames, out string? problem)
    {
        problem = null;
        var at = -1;
        for (var i = 0; i < frames.Count; i++)
            if (frames[i].AsSpan().SequenceEqual(Delimiter)) { at = i; break; }
        if (at < 0 || frames.Count < at + 6)
        {
            problem = "malformed message (no delimiter or too few frames)";
            return null;
        }
        var signature = frames[at + 1];
        var expected = Encoding.ASCII.GetBytes(Sign(frames[at + 2], frames[at + 3], frames[at + 4], frames[at + 5]));
        if (_key.Length > 0 && !CryptographicOperations.FixedTimeEquals(signature, expected))
        {
            problem = "invalid signature";
            return null;
        }
        try
        {
            return new JupyterMessage(frames.Take(at).ToList(),
                JsonNode.Parse(frames[at + 2]) as JsonObject ?? [], frames[at + 2],
                JsonNode.Parse(frames[at + 4]) as JsonObject ?? [], JsonNode.Parse(frames[at + 5]) as JsonObject ?? []);
        }
        catch (JsonException e)
        {
            problem = $"malformed JSON ({e.Message})";
            return null;
        }
    }

    /// <summary>The frames of a new message of <paramref name="type"/> answering (or caused by) <paramref name="parent"/>.</summary>
    public List<byte[]> Frames(string type, JsonObject content, JupyterMessage? parent, IReadOnlyList<byte[]>? identities = null, JsonObject? metadata = null)
    {
        var header = new JsonObject
        {
            ["msg_id"] = Guid.NewGuid().ToString(),
            ["session"] = Session,
            ["username"] = "csnb",
            // At most six fractional digits: clients parse dates with a pattern that allows no more.
            ["date"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ"),
            ["msg_type"] = type,
            ["version"] = "5.3",
        };
        var parts = new[]
        {
            Encoding.UTF8.GetBytes(header.ToJsonString(Json)),
            parent?.RawHeader ?? "{}"u8.ToArray(),
            Encoding.UTF8.GetBytes((metadata ?? []).ToJsonString(Json)),
            Encoding.UTF8.GetBytes(content.ToJsonString(Json)),
        };
        var frames = new List<byte[]>(identities ?? [Encoding.UTF8.GetBytes(type)]) { Delimiter, Encoding.ASCII.GetBytes(Sign(parts)) };
        frames.AddRange(parts);
        return frames;
    }

    string Sign(params byte[][] parts)
    {
        if (_key.Length == 0) return "";
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key);
        foreach (var part in parts) hmac.AppendData(part);
        return Convert.ToHexStringLower(hmac.GetHashAndReset());
    }
}
