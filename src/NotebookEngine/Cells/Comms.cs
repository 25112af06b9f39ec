using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace NotebookEngine.Cells;

/// <summary>
/// Jupyter comms: channels of JSON messages between a notebook's code and its front end, opened by
/// either side — the base that widgets are built on. A cell registers a target the front end may
/// open, or opens a comm itself; both sides then send and receive until one closes it. Comms exist
/// only where cells run for a front end (the Jupyter kernel's cell host).
/// </summary>
public static class Comms
{
    static readonly ConcurrentDictionary<string, Action<Comm, JsonNode?>> Targets = new();
    static readonly ConcurrentDictionary<string, Comm> Open = new();

    /// <summary>Sends a comm message (comm_open, comm_msg, comm_close) to the front end; set by the cell host.</summary>
    internal static Action<string, JsonObject>? Transport { get; set; }

    /// <summary>Lets the front end open comms to <paramref name="targetName"/>; <paramref name="opened"/> gets each new comm and the data it was opened with.</summary>
    public static void RegisterTarget(string targetName, Action<Comm, JsonNode?> opened) => Targets[targetName] = opened;

    /// <summary>Stops accepting comms to <paramref name="targetName"/>; those open stay open.</summary>
    public static void UnregisterTarget(string targetName) => Targets.TryRemove(targetName, out _);

    /// <summary>Opens a comm to the front end's <paramref name="targetName"/>.</summary>
    /// <exception cref="InvalidOperationException">No front end is connected (the cell runs headless).</exception>
    public static Comm OpenComm(string targetName, JsonNode? data = null)
    {
        var comm = new Comm(Guid.NewGuid().ToString("N"), targetName);
        Open[comm.Id] = comm;
        Send("comm_open", new JsonObject { ["comm_id"] = comm.Id, ["target_name"] = targetName, ["data"] = data ?? new JsonObject() });
        return comm;
    }

    /// <summary>The open comms, optionally only those of one target, as comm_info_reply lists them.</summary>
    public static JsonObject Info(string? targetName)
    {
        var comms = new JsonObject();
        foreach (var comm in Open.Values.Where(c => targetName is null || c.TargetName == targetName))
            comms[comm.Id] = new JsonObject { ["target_name"] = comm.TargetName };
        return comms;
    }

    /// <summary>
    /// A comm message from the front end. Returns false for a comm_open to a target nobody
    /// registered (the kernel then closes it) or a message to a comm that is not open.
    /// </summary>
    public static bool Receive(string msgType, JsonObject content)
    {
        var id = content["comm_id"] is JsonValue v && v.TryGetValue<string>(out var text) ? text : null;
        if (id is null) return false;
        var data = content["data"]?.DeepClone();
        switch (msgType)
        {
            case "comm_open":
                var target = content["target_name"] is JsonValue t && t.TryGetValue<string>(out var name) ? name : "";
                if (!Targets.TryGetValue(target, out var opened)) return false;
                var comm = new Comm(id, target);
                Open[id] = comm;
                opened(comm, data);
                return true;
            case "comm_msg" when Open.TryGetValue(id, out var receiver):
                receiver.OnReceived(data);
                return true;
            case "comm_close" when Open.TryRemove(id, out var closing):
                closing.OnClosed(data);
                return true;
            default:
                return false;
        }
    }

    internal static void Send(string msgType, JsonObject content) =>
        (Transport ?? throw new InvalidOperationException("comms need a front end: they work in the Jupyter kernel, not in a headless run"))(msgType, content);

    internal static void Forget(string id) => Open.TryRemove(id, out _);
}

/// <summary>One comm: messages to and from the front end under one id.</summary>
public sealed class Comm
{
    internal Comm(string id, string targetName)
    {
        Id = id;
        TargetName = targetName;
    }

    /// <summary>The comm's id, shared with the front end.</summary>
    public string Id { get; }

    /// <summary>The target it was opened to.</summary>
    public string TargetName { get; }

    /// <summary>Data the front end sent on this comm.</summary>
    public event Action<JsonNode?>? Received;

    /// <summary>The front end closed the comm, with this data.</summary>
    public event Action<JsonNode?>? Closed;

    /// <summary>Sends <paramref name="data"/> to the front end.</summary>
    public void Send(JsonNode? data) => Comms.Send("comm_msg", new JsonObject { ["comm_id"] = Id, ["data"] = data?.DeepClone() ?? new JsonObject() });

    /// <summary>Closes the comm from this side.</summary>
    public void Close(JsonNode? data = null)
    {
        Comms.Forget(Id);
        Comms.Send("comm_close", new JsonObject { ["comm_id"] = Id, ["data"] = data?.DeepClone() ?? new JsonObject() });
    }

    internal void OnReceived(JsonNode? data) => Received?.Invoke(data);

    internal void OnClosed(JsonNode? data) => Closed?.Invoke(data);
}
