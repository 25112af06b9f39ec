using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using NetMQ;
using NetMQ.Sockets;
using NotebookEngine.Display;
using NotebookEngine.Running;
using NotebookEngine.Scripting;
using NotebookKernel.Wire;

namespace NotebookKernel;

/// <summary>
/// The protocol side of the kernel: binds the five sockets the connection file names, checks
/// signatures, and translates requests into calls on the <see cref="CSharpInterpreter"/>. One
/// poller thread owns every socket; shell requests run one at a time on a worker thread, so
/// control (interrupt, shutdown) and heartbeat answer while a cell runs.
/// </summary>
public sealed class KernelServer : IDisposable
{
    readonly CSharpInterpreter _interpreter;
    readonly WireFormat _wire;
    readonly RouterSocket _shell = new(), _control = new(), _stdin = new();
    readonly PublisherSocket _iopub = new();
    readonly ResponseSocket _heartbeat = new();
    // Everything a socket does happens on the poller thread; other threads queue it here, in order.
    readonly NetMQQueue<Action> _outbox = new();
    readonly NetMQPoller _poller;
    readonly BlockingCollection<JupyterMessage> _requests = [];
    CancellationTokenSource? _running;

    /// <summary>Binds the sockets; throws if an address is taken (Jupyter then sees the kernel die at once).</summary>
    public KernelServer(ConnectionFile connection, CSharpInterpreter interpreter)
    {
        _interpreter = interpreter;
        _wire = new WireFormat(connection.Key, Guid.NewGuid().ToString());
        foreach (var socket in new NetMQSocket[] { _shell, _control, _iopub }) socket.Options.Linger = TimeSpan.FromSeconds(1);
        _shell.Bind(connection.Address(connection.ShellPort));
        _control.Bind(connection.Address(connection.ControlPort));
        _stdin.Bind(connection.Address(connection.StdinPort));
        _iopub.Bind(connection.Address(connection.IopubPort));
        _heartbeat.Bind(connection.Address(connection.HbPort));

        _shell.ReceiveReady += (_, e) => Receive(e.Socket, _requests.Add);
        _control.ReceiveReady += (_, e) => Receive(e.Socket, HandleControl);
        _stdin.ReceiveReady += (_, e) => e.Socket.ReceiveMultipartBytes(); // input is never requested: allow_stdin is not honoured
        _heartbeat.ReceiveReady += (_, e) => e.Socket.SendMultipartBytes(e.Socket.ReceiveMultipartBytes());
        _outbox.ReceiveReady += (_, e) =>
        {
            while (e.Queue.TryDequeue(out var send, TimeSpan.Zero)) send();
        };
        _poller = [_shell, _control, _stdin, _heartbeat, _outbox];
    }

    /// <summary>Serves until a shutdown request (or <see cref="Stop"/>); returns the exit code.</summary>
    public int Run()
    {
        var worker = new Thread(ServeShell) { IsBackground = true, Name = "shell" };
        worker.Start();
        Publish("status", new JsonObject { ["execution_state"] = "starting" }, null);
        _poller.Run();
        _requests.CompleteAdding();
        return 0;
    }

    /// <summary>Interrupts the running cell, if any.</summary>
    public void Interrupt() => _running?.Cancel();

    /// <summary>Stops serving (the process is ending).</summary>
    public void Stop() => _poller.StopAsync();

    void Receive(NetMQSocket socket, Action<JupyterMessage> handle)
    {
        var frames = socket.ReceiveMultipartBytes();
        if (_wire.Parse(frames, out var problem) is { } message) handle(message);
        else Log($"dropped a message: {problem}");
    }

    void HandleControl(JupyterMessage request)
    {
        Publish("status", Status("busy"), request);
        switch (request.Type)
        {
            case "interrupt_request":
                Interrupt();
                Reply(_control, request, "interrupt_reply", new JsonObject { ["status"] = "ok" });
                break;
            case "shutdown_request":
                Shutdown(_control, request);
                return;
            case "kernel_info_request":
                Reply(_control, request, "kernel_info_reply", KernelInfo());
                break;
        }
        Publish("status", Status("idle"), request);
    }

    void ServeShell()
    {
        foreach (var request in _requests.GetConsumingEnumerable())
        {
            Publish("status", Status("busy"), request);
            var content = request.Content;
            switch (request.Type)
            {
                case "kernel_info_request":
                    Reply(_shell, request, "kernel_info_reply", KernelInfo());
                    break;
                case "execute_request":
                    Execute(request, (string?)content["code"] ?? "");
                    break;
                case "is_complete_request":
                    var verdict = CSharpInterpreter.IsComplete((string?)content["code"] ?? "");
                    var reply = new JsonObject { ["status"] = verdict };
                    if (verdict == "incomplete") reply["indent"] = "    ";
                    Reply(_shell, request, "is_complete_reply", reply);
                    break;
                case "complete_request":
                    Complete(request, (string?)content["code"] ?? "", (int?)content["cursor_pos"] ?? 0);
                    break;
                case "inspect_request":
                    Inspect(request, (string?)content["code"] ?? "", (int?)content["cursor_pos"] ?? 0);
                    break;
                case "comm_info_request":
                    Reply(_shell, request, "comm_info_reply", new JsonObject { ["status"] = "ok", ["comms"] = new JsonObject() });
                    break;
                case "history_request":
                    Reply(_shell, request, "history_reply", new JsonObject { ["status"] = "ok", ["history"] = new JsonArray() });
                    break;
                case "shutdown_request":
                    Shutdown(_shell, request);
                    return;
            }
            Publish("status", Status("idle"), request);
        }
    }

    void Execute(JupyterMessage request, string code)
    {
        var count = _interpreter.ExecutionCount + 1;
        Publish("execute_input", new JsonObject { ["code"] = code, ["execution_count"] = count }, request);
        using var running = new CancellationTokenSource();
        _running = running;
        CellStatus status;
        CellError? error;
        using (var output = new IopubOutput((type, content) => Publish(type, content, request), count))
        {
            status = _interpreter.ExecuteAsync(code, output, running.Token).GetAwaiter().GetResult();
            error = output.LastError;
        }
        _running = null;
        var reply = new JsonObject { ["status"] = status == CellStatus.Ok ? "ok" : "error", ["execution_count"] = count };
        if (status == CellStatus.Ok)
        {
            reply["user_expressions"] = new JsonObject();
            reply["payload"] = new JsonArray();
        }
        else foreach (var (key, value) in IopubOutput.ErrorContent(error ?? new CellError("Error", "the cell failed", [])))
            reply[key] = value?.DeepClone();
        Reply(_shell, request, "execute_reply", reply);
    }

    void Complete(JupyterMessage request, string code, int cursorPoints)
    {
        var cursor = CodePoints.ToUtf16(code, cursorPoints);
        var (matches, start) = _interpreter.Complete(code, cursor);
        Reply(_shell, request, "complete_reply", new JsonObject
        {
            ["status"] = "ok",
            ["matches"] = new JsonArray(matches.Select(m => (JsonNode)m!).ToArray()),
            ["cursor_start"] = CodePoints.FromUtf16(code, start),
            ["cursor_end"] = cursorPoints,
            ["metadata"] = new JsonObject(),
        });
    }

    void Inspect(JupyterMessage request, string code, int cursorPoints)
    {
        var text = _interpreter.Inspect(code, CodePoints.ToUtf16(code, cursorPoints));
        Reply(_shell, request, "inspect_reply", new JsonObject
        {
            ["status"] = "ok",
            ["found"] = text is not null,
            ["data"] = text is null ? new JsonObject() : new JsonObject { ["text/plain"] = text },
            ["metadata"] = new JsonObject(),
        });
    }

    void Shutdown(RouterSocket socket, JupyterMessage request)
    {
        Interrupt();
        Reply(socket, request, "shutdown_reply", new JsonObject { ["status"] = "ok", ["restart"] = (bool?)request.Content["restart"] ?? false });
        Publish("status", Status("idle"), request);
        _outbox.Enqueue(_poller.StopAsync); // after everything queued before it has been sent
    }

    JsonObject KernelInfo() => new()
    {
        ["status"] = "ok",
        ["protocol_version"] = "5.3",
        ["implementation"] = "csnb",
        ["implementation_version"] = typeof(KernelServer).Assembly.GetName().Version?.ToString(3) ?? "1.0.0",
        ["banner"] = $"C# (Roslyn scripting) on .NET {Environment.Version} — the csnb notebook engine",
        ["language_info"] = NotebookRunner.LanguageInfo(),
        ["help_links"] = new JsonArray(),
    };

    static JsonObject Status(string state) => new() { ["execution_state"] = state };

    void Reply(NetMQSocket socket, JupyterMessage request, string type, JsonObject content)
    {
        var frames = _wire.Frames(type, content, request, request.Identities);
        _outbox.Enqueue(() => socket.SendMultipartBytes(frames));
    }

    void Publish(string type, JsonObject content, JupyterMessage? parent)
    {
        var frames = _wire.Frames(type, content, parent);
        _outbox.Enqueue(() => _iopub.SendMultipartBytes(frames));
    }

    static void Log(string text) => Console.Error.WriteLine($"[csnb-kernel] {text}");

    /// <summary>Closes the sockets; NetMQ's cleanup would wait forever for an open one.</summary>
    public void Dispose()
    {
        _poller.Dispose();
        foreach (var socket in new NetMQSocket[] { _shell, _control, _stdin, _iopub, _heartbeat }) socket.Dispose();
        _outbox.Dispose();
        NetMQConfig.Cleanup(block: false);
    }
}

/// <summary>Jupyter counts cursor positions in Unicode code points; C# strings index UTF-16 units.</summary>
public static class CodePoints
{
    /// <summary>The UTF-16 index of code point <paramref name="points"/> in <paramref name="text"/>.</summary>
    public static int ToUtf16(string text, int points)
    {
        var index = 0;
        for (var seen = 0; seen < points && index < text.Length; seen++) index += char.IsSurrogatePair(text, index) ? 2 : 1;
        return index;
    }

    /// <summary>The code point position of UTF-16 index <paramref name="index"/>.</summary>
    public static int FromUtf16(string text, int index) => text[..index].EnumerateRunes().Count();
}
