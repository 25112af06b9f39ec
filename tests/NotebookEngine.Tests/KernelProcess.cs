using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using NetMQ;
using NetMQ.Sockets;
using NotebookKernel.Wire;

namespace NotebookEngine.Tests;

/// <summary>One message as a test client reads it: type, parent msg_id, content.</summary>
sealed record Received(string Type, string? ParentId, JsonObject Content);

/// <summary>
/// The csnb kernel started the way Jupyter starts it (a connection file), with a raw client of
/// its five sockets: tests that send what no well-behaved client would (mutated, forged, replayed
/// messages) need one below jupyter_client.
/// </summary>
sealed class KernelProcess : IDisposable
{
    readonly Process _process;
    readonly SubscriberSocket _iopub = new();
    readonly RequestSocket _heartbeat = new();
    readonly BlockingCollection<Received> _published = [];
    readonly Thread _reader;
    volatile bool _stopping;

    public string Key { get; } = Guid.NewGuid().ToString();
    public WireFormat Wire { get; }
    public DealerSocket Shell { get; } = new();
    public DealerSocket Control { get; } = new();
    public DealerSocket Stdin { get; } = new();
    public StringBuilder Stderr { get; } = new();
    public bool HasExited => _process.HasExited;

    KernelProcess(string folder, IReadOnlyList<int> ports)
    {
        Wire = new WireFormat(Key, Guid.NewGuid().ToString());
        var names = new[] { "shell_port", "iopub_port", "stdin_port", "control_port", "hb_port" };
        var file = new JsonObject { ["transport"] = "tcp", ["ip"] = "127.0.0.1", ["key"] = Key, ["signature_scheme"] = "hmac-sha256" };
        for (var i = 0; i < names.Length; i++) file[names[i]] = ports[i];
        var path = Path.Combine(folder, "connection.json");
        File.WriteAllText(path, file.ToJsonString());
        _process = StartKernel(path);
        _process.ErrorDataReceived += (_, e) => { lock (Stderr) Stderr.AppendLine(e.Data); };
        _process.BeginErrorReadLine();

        var identity = Encoding.UTF8.GetBytes(Guid.NewGuid().ToString());
        foreach (var (socket, port) in new[] { (Shell, ports[0]), (Stdin, ports[2]), (Control, ports[3]) })
        {
            socket.Options.Identity = identity; // jupyter_client's channels share the session id as identity
            socket.Connect($"tcp://127.0.0.1:{port}");
        }
        _iopub.Options.ReceiveHighWatermark = 0;
        _iopub.Connect($"tcp://127.0.0.1:{ports[1]}");
        _iopub.SubscribeToAnyTopic();
        _heartbeat.Connect($"tcp://127.0.0.1:{ports[4]}");
        _reader = new Thread(ReadIopub) { IsBackground = true };
        _reader.Start();
    }

    /// <summary>Starts the built kernel on free ports of 127.0.0.1 and waits until it answers kernel_info.</summary>
    public static KernelProcess Start()
    {
        var kernel = new KernelProcess(TestHost.TempFolder(), FreePorts(5));
        var reply = kernel.Request(kernel.Shell, "kernel_info_request", [], TimeSpan.FromSeconds(60));
        Assert.True(reply is not null, $"the kernel did not answer kernel_info: {kernel.Stderr}");
        return kernel;
    }

    /// <summary>Starts csnb-kernel on <paramref name="connectionFile"/> as Jupyter does.</summary>
    public static Process StartKernel(string connectionFile)
    {
        var start = new ProcessStartInfo(Scripting.DotnetHost.Path) { RedirectStandardError = true, RedirectStandardOutput = true };
        start.Environment["JPY_PARENT_PID"] = Environment.ProcessId.ToString(); // as Jupyter does: the kernel ends if the tests' process dies
        foreach (var arg in new[] { Processes.BuiltProgram("NotebookKernel", "csnb-kernel"), "start", connectionFile }) start.ArgumentList.Add(arg);
        return Process.Start(start)!;
    }

    /// <summary>Ports nothing listens on now (bound to port 0, then released, as Jupyter picks them).</summary>
    public static List<int> FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        listeners.ForEach(l => l.Start());
        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToList();
        listeners.ForEach(l => l.Stop());
        return ports;
    }

    /// <summary>The signed frames of a well-formed request, and its msg_id.</summary>
    public (List<byte[]> Frames, string Id) Message(string type, JsonObject content)
    {
        var frames = Wire.Frames(type, content, parent: null, identities: []);
        return (frames, (string)JsonNode.Parse(frames[2])!["msg_id"]!);
    }

    /// <summary>Sends a request and returns the content of its reply, or null if none came in time.</summary>
    public JsonObject? Request(DealerSocket socket, string type, JsonObject content, TimeSpan timeout)
    {
        var (frames, id) = Message(type, content);
        socket.SendMultipartBytes(frames);
        return ReplyTo(socket, id, timeout)?.Content;
    }

    /// <summary>The reply on <paramref name="socket"/> to the request <paramref name="id"/>, skipping others.</summary>
    public Received? ReplyTo(DealerSocket socket, string id, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            var frames = new List<byte[]>();
            if (!socket.TryReceiveMultipartBytes(TimeSpan.FromMilliseconds(100), ref frames)) continue;
            if (Parse(frames) is { } message && message.ParentId == id) return message;
        }
        return null;
    }

    /// <summary>Runs code: its execute_reply content and the iopub messages up to its idle.</summary>
    public (JsonObject Reply, List<Received> Published) Execute(string code, TimeSpan timeout)
    {
        var (frames, id) = Message("execute_request", new JsonObject
        {
            ["code"] = code, ["silent"] = false, ["store_history"] = true, ["user_expressions"] = new JsonObject(), ["allow_stdin"] = false, ["stop_on_error"] = true,
        });
        Shell.SendMultipartBytes(frames);
        var reply = ReplyTo(Shell, id, timeout) ?? throw new TimeoutException($"no execute_reply to {code}: {Stderr}");
        return (reply.Content, PublishedFor(id, timeout));
    }

    /// <summary>The iopub messages caused by request <paramref name="id"/>, up to its idle.</summary>
    public List<Received> PublishedFor(string id, TimeSpan timeout)
    {
        var found = new List<Received>();
        var clock = Stopwatch.StartNew();
        while (_published.TryTake(out var message, timeout - clock.Elapsed))
        {
            if (message.ParentId != id) continue;
            if (message.Type == "status" && (string?)message.Content["execution_state"] == "idle") return found;
            found.Add(message);
        }
        throw new TimeoutException($"no idle for {id}");
    }

    /// <summary>True if the heart channel echoes within a second.</summary>
    public bool HeartBeats()
    {
        _heartbeat.SendFrame("ping");
        return _heartbeat.TryReceiveFrameString(TimeSpan.FromSeconds(1), out var echo) && echo == "ping";
    }

    void ReadIopub()
    {
        while (!_stopping)
        {
            var frames = new List<byte[]>();
            if (_iopub.TryReceiveMultipartBytes(TimeSpan.FromMilliseconds(100), ref frames) && Parse(frames) is { } message) _published.Add(message);
        }
    }

    Received? Parse(List<byte[]> frames)
    {
        var at = frames.FindIndex(f => f.AsSpan().SequenceEqual(WireFormat.Delimiter));
        if (at < 0 || frames.Count < at + 6) return null;
        var header = JsonNode.Parse(frames[at + 2])!;
        // The parent is whatever header the request had, however mutated.
        var parentId = JsonNode.Parse(frames[at + 3]) is JsonObject parent && parent["msg_id"] is JsonValue id && id.TryGetValue<string>(out var text) ? text : null;
        return new Received((string)header["msg_type"]!, parentId, (JsonObject)JsonNode.Parse(frames[at + 5])!);
    }

    /// <summary>Kills the kernel process (only it: its cell host must notice by itself).</summary>
    public void Kill() => _process.Kill(entireProcessTree: false);

    /// <summary>Waits for the kernel to exit; true if it did.</summary>
    public bool WaitForExit(TimeSpan timeout) => _process.WaitForExit(timeout);

    public void Dispose()
    {
        _stopping = true;
        _reader.Join();
        if (!_process.HasExited)
        {
            Request(Control, "shutdown_request", new JsonObject { ["restart"] = false }, TimeSpan.FromSeconds(5));
            if (!_process.WaitForExit(TimeSpan.FromSeconds(10))) _process.Kill(entireProcessTree: true);
        }
        foreach (var socket in new NetMQSocket[] { Shell, Control, Stdin, _iopub, _heartbeat }) socket.Dispose();
        _process.Dispose();
    }
}
