using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace NotebookKernel.Wire;

/// <summary>
/// One received message of the Jupyter wire protocol. The header is also kept as the exact bytes
/// the client sent, to go back unchanged as the parent header of what it causes. Content and
/// metadata are checked only when read, so a message with a bad field can still be answered.
/// </summary>
public sealed class JupyterMessage(IReadOnlyList<byte[]> identities, JsonObject header, byte[] rawHeader, JsonNode? metadata, JsonNode? content)
{
    /// <summary>The routing identities to send a reply back to.</summary>
    public IReadOnlyList<byte[]> Identities { get; } = identities;

    /// <summary>The header, as sent.</summary>
    public JsonObject Header { get; } = header;

    /// <summary>The header's bytes, as sent.</summary>
    public byte[] RawHeader { get; } = rawHeader;

    /// <summary>The msg_type from the header (always a string: messages without one are dropped).</summary>
    public string Type => (string)Header["msg_type"]!;

    /// <summary>The content object.</summary>
    /// <exception cref="BadRequestException">The content is not a JSON object.</exception>
    public JsonObject Content => content as JsonObject ?? throw new BadRequestException($"the content of a {Type} must be a JSON object");

    /// <summary>The metadata object.</summary>
    /// <exception cref="BadRequestException">The metadata is not a JSON object.</exception>
    public JsonObject Metadata => metadata as JsonObject ?? throw new BadRequestException($"the metadata of a {Type} must be a JSON object");

    /// <summary>A string field of the content; <paramref name="fallback"/> when absent (null: required).</summary>
    public string Text(string field, string? fallback = null) => Content[field] switch
    {
        null when fallback is not null => fallback,
        JsonValue value when value.TryGetValue<string>(out var text) => text,
        var other => throw Bad(field, "a string", other),
    };

    /// <summary>An integer field of the content; <paramref name="fallback"/> when absent (null: required).</summary>
    public int Integer(string field, int? fallback = null) => Content[field] switch
    {
        null when fallback is not null => fallback.Value,
        JsonValue value when value.TryGetValue<int>(out var number) => number,
        var other => throw Bad(field, "an integer", other),
    };

    /// <summary>A boolean field of the content; <paramref name="fallback"/> when absent.</summary>
    public bool Flag(string field, bool fallback) => Content[field] switch
    {
        null => fallback,
        JsonValue value when value.TryGetValue<bool>(out var flag) => flag,
        var other => throw Bad(field, "true or false", other),
    };

    /// <summary>An object field of the content; empty when absent.</summary>
    public JsonObject Object(string field) => Content[field] switch
    {
        null => [],
        JsonObject value => value,
        var other => throw Bad(field, "an object", other),
    };

    BadRequestException Bad(string field, string expected, JsonNode? found) =>
        new($"'{field}' of a {Type} must be {expected}, not {(found is null ? "missing" : found.ToJsonString())}");
}

/// <summary>A request whose content does not have the fields or types its type requires.</summary>
public sealed class BadRequestException(string message) : Exception(message);

/// <summary>
/// Frames messages and signs them with HMAC-SHA256, as the connection file's key says; checks the
/// signature of what arrives and refuses a replay of a message already seen, as Jupyter's own
/// Session does.
/// </summary>
public sealed class WireFormat(string key, string session)
{
    /// <summary>Frame that separates routing identities from the message.</summary>
    public static readonly byte[] Delimiter = "<IDS|MSG>"u8.ToArray();

    /// <summary>The version of the messaging protocol this kernel speaks, in every header it sends.</summary>
    public const string ProtocolVersion = "5.5";

    /// <summary>How many signatures are remembered to refuse replays (jupyter_client keeps 2¹⁶).</summary>
    const int RememberedSignatures = 1 << 16;

    static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };
    readonly byte[] _key = Encoding.UTF8.GetBytes(key);
    readonly HashSet<string> _seen = [];
    readonly Queue<string> _seenOrder = new();

    /// <summary>The kernel's session id, in every header it sends.</summary>
    public string Session { get; } = session;

    /// <summary>Parses and checks received frames; null (the message is dropped) when malformed, wrongly signed or replayed.</summary>
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
        if (_key.Length > 0)
        {
            var expected = Encoding.ASCII.GetBytes(Sign(frames[at + 2], frames[at + 3], frames[at + 4], frames[at + 5]));
            if (!CryptographicOperations.FixedTimeEquals(signature, expected))
            {
                problem = "invalid signature";
                return null;
            }
            if (!Remember(Encoding.ASCII.GetString(signature)))
            {
                problem = "replayed message (its signature was seen before)";
                return null;
            }
        }
        JsonNode? Node(byte[] bytes)
        {
            try { return JsonNode.Parse(bytes); }
            catch (JsonException) { return null; }
        }
        if (Node(frames[at + 2]) is not JsonObject header || header["msg_type"] is not JsonValue type || !type.TryGetValue<string>(out _))
        {
            problem = "malformed message (the header is not a JSON object with a string msg_type)";
            return null;
        }
        return new JupyterMessage(frames.Take(at).ToList(), header, frames[at + 2], Node(frames[at + 4]), Node(frames[at + 5]));
    }

    bool Remember(string signature)
    {
        if (!_seen.Add(signature)) return false;
        _seenOrder.Enqueue(signature);
        if (_seenOrder.Count > RememberedSignatures) _seen.Remove(_seenOrder.Dequeue());
        return true;
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
            ["version"] = ProtocolVersion,
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

    /// <summary>The signature of a message's header, parent header, metadata and content, as hex (empty with no key).</summary>
    public string Sign(params byte[][] parts)
    {
        if (_key.Length == 0) return "";
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key);
        foreach (var part in parts) hmac.AppendData(part);
        return Convert.ToHexStringLower(hmac.GetHashAndReset());
    }
}
