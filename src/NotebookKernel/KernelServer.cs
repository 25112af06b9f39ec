using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using NetMQ;
using NetMQ.Sockets;
using NotebookEngine.Display;
using NotebookEngine.Hosting;
using NotebookEngine.Running;
using NotebookEngine.Scripting;
using NotebookKernel.Wire;

namespace NotebookKernel;

/// <summary>
/// The protocol side of the kernel: binds the five sockets the connection file names, checks
/// signatures, and answers requests, running cells in a <see cref="CellHost"/> — never in this
/// process, which must outlive whatever a cell does. One poller thread owns every socket; shell
/// requests run one at a time on a worker thread, so control (interrupt, shutdown) and heartbeat
/// answer while a cell runs. A request with a bad field gets an error reply; nothing a client
/// sends ends the kernel but a shutdown request.
/// </summary>
public sealed class KernelServer : IDisposable
{
    readonly CellHost _cells;
    readonly WireFormat _wire;
    readonly RouterSocket _shell = new(), _control = new(), _stdin = new();
    readonly PublisherSocket _iopub = new();
    readonly ResponseSocket _heartbeat = new();
    // Everything a socket does happens on the poller thread; other threads queue it here, in order.
    readonly NetMQQueue<Action> _outbox = new();
    readonly NetMQPoller _poller;
    readonly BlockingCollection<JupyterMessage> _requests = [];
    readonly Dictionary<string, Action<JupyterMessage>> _shellHandlers, _controlHandlers;
    CancellationTokenSource? _running;
    TaskCompletionSource<string>? _input;

    /// <summary>Binds the sockets; a port that cannot be bound is an <see cref="InvalidDataException"/> naming it.</summary>
    public KernelServer(ConnectionFile connection, CellHost cells)
    {
        _cells = cells;
        _wire = new WireFormat(connection.Key, Guid.NewGuid().ToString());
        foreach (var socket in new NetMQSocket[] { _shell, _control, _iopub }) socket.Options.Linger = TimeSpan.FromSeconds(1);
        var sockets = new NetMQSocket[] { _shell, _iopub, _stdin, _control, _heartbeat };
        foreach (var ((name, port), socket) in connection.Ports.Zip(sockets))
        {
            try { socket.Bind(connection.Address(port)); }
            catch (NetMQException e)
            {
                Dispose();
                var why = e is AddressAlreadyInUseException ? "the port is taken" : e.Message; // NetMQ's own message names only the type
                throw new InvalidDataException($"cannot listen on {connection.Address(port)} ({name}): {why}");
            }
        }

        _shell.ReceiveReady += (_, e) => Receive(e.Socket, _requests.Add);
        _control.ReceiveReady += (_, e) => Receive(e.Socket, request => Handle(_control, request, _controlHandlers!));
        _stdin.ReceiveReady += (_, e) => Receive(e.Socket, ReceiveInput);
        _heartbeat.ReceiveReady += (_, e) => e.Socket.SendMultipartBytes(e.Socket.ReceiveMultipartBytes());
        _outbox.ReceiveReady += (_, e) =>
        {
            while (e.Queue.TryDequeue(out var send, TimeSpan.Zero)) send();
        };
        _poller = [_shell, _control, _stdin, _heartbeat, _outbox];

        _shellHandlers = new()
        {
            ["kernel_info_request"] = request => Reply(_shell, request, "kernel_info_reply", KernelInfo()),
            ["execute_request"] = Execute,
            ["is_complete_request"] = IsComplete,
            ["complete_request"] = Complete,
            ["inspect_request"] = Inspect,
            ["comm_info_request"] = request => Reply(_shell, request, "comm_info_reply", new JsonObject { ["status"] = "ok", ["comms"] = new JsonObject() }),
            ["history_request"] = request => Reply(_shell, request, "history_reply", new JsonObject { ["status"] = "ok", ["history"] = new JsonArray() }),
            ["shutdown_request"] = request => Shutdown(_shell, request),
        };
        _controlHandlers = new()
        {
            ["kernel_info_request"] = request => Reply(_control, request, "kernel_info_reply", KernelInfo()),
            ["interrupt_request"] = request =>
            {
                Interrupt();
                Reply(_control, request, "interrupt_reply", new JsonObject { ["status"] = "ok" });
            },
            ["shutdown_request"] = request => Shutdown(_control, request),
        };
    }

    /// <summary>Serves until a shutdown request (or <see cref="Stop"/>).</summary>
    public void Run()
    {
        var worker = new Thread(ServeShell) { IsBackground = true, Name = "shell" };
        worker.Start();
        Publish("status", Status("starting"), null);
        _poller.Run();
        _requests.CompleteAdding();
    }

    /// <summary>Interrupts the running cell, if any (and a wait for input).</summary>
    public void Interrupt()
    {
        _running?.Cancel();
        _input?.TrySetCanceled();
    }

    /// <summary>Stops serving (the process is ending).</summary>
    public void Stop() => _poller.StopAsync();

    void Receive(NetMQSocket socket, Action<JupyterMessage> handle)
    {
        var frames = socket.ReceiveMultipartBytes();
        if (_wire.Parse(frames, out var problem) is { } message) handle(message);
        else Log($"dropped a message: {problem}");
    }

    void ServeShell()
    {
        foreach (var request in _requests.GetConsumingEnumerable()) Handle(_shell, request, _shellHandlers);
    }

    /// <summary>Answers one request between busy and idle; a bad request gets an error reply, an unknown one none.</summary>
    void Handle(RouterSocket socket, JupyterMessage request, Dictionary<string, Action<JupyterMessage>> handlers)
    {
        Publish("status", Status("busy"), request);
        try
        {
            if (handlers.TryGetValue(request.Type, out var handle)) handle(request);
            else Log($"no answer to a {request.Type} on the {(socket == _shell ? "shell" : "control")} channel");
        }
        catch (Exception e)
        {
            if (e is not BadRequestException) Log($"failed on a {request.Type}: {e}");
            var what = e is BadRequestException ? e.Message : $"the kernel failed on this {request.Type}: {e.Message}";
            if (request.Type.EndsWith("_request", StringComparison.Ordinal))
                Reply(socket, request, request.Type[..^"_request".Length] + "_reply", new JsonObject
                {
                    ["status"] = "error", ["ename"] = e is BadRequestException ? "BadRequest" : e.GetType().Name, ["evalue"] = what,
                    ["traceback"] = new JsonArray((JsonNode)what), ["execution_count"] = _cells.ExecutionCount,
                });
            else Log($"dropped a {request.Type}: {what}");
        }
        if (request.Type != "shutdown_request") Publish("status", Status("idle"), request);
    }

    void Execute(JupyterMessage request)
    {
        var code = request.Text("code");
        var allowStdin = request.Flag("allow_stdin", false);
        var count = _cells.ExecutionCount + 1;
        Publish("execute_input", new JsonObject { ["code"] = code, ["execution_count"] = count }, request);
        using var running = new CancellationTokenSource();
        _running = running;
        var output = allowStdin ? new IopubInputOutput(this, request, count) : new IopubOutput(this, request, count);
        var status = _cells.ExecuteAsync(code, output, timeout: null, running.Token).GetAwaiter().GetResult();
        _running = null;
        var reply = new JsonObject { ["status"] = status == CellStatus.Ok ? "ok" : "error", ["execution_count"] = count };
        if (status == CellStatus.Ok)
        {
            reply["user_expressions"] = new JsonObject();
            reply["payload"] = new JsonArray();
        }
        else foreach (var (key, value) in HostJson.Error(output.LastError ?? new CellError("Error", "the cell failed", [])))
            reply[key] = value?.DeepClone();
        Reply(_shell, request, "execute_reply", reply);
    }

    void IsComplete(JupyterMessage request)
    {
        var verdict = _cells.IsCompleteAsync(request.Text("code")).GetAwaiter().GetResult();
        var reply = new JsonObject { ["status"] = verdict };
        if (verdict == "incomplete") reply["indent"] = "    ";
        Reply(_shell, request, "is_complete_reply", reply);
    }

    void Complete(JupyterMessage request)
    {
        var code = request.Text("code");
        var cursorPoints = request.Integer("cursor_pos", CodePoints.FromUtf16(code, code.Length));
        var (matches, start) = _cells.CompleteAsync(code, CodePoints.ToUtf16(code, cursorPoints)).GetAwaiter().GetResult();
        Reply(_shell, request, "complete_reply", new JsonObject
        {
            ["status"] = "ok",
            ["matches"] = new JsonArray(matches.Select(m => (JsonNode)m!).ToArray()),
            ["cursor_start"] = CodePoints.FromUtf16(code, Math.Min(start, code.Length)),
            ["cursor_end"] = Math.Min(cursorPoints, CodePoints.FromUtf16(code, code.Length)),
            ["metadata"] = new JsonObject(),
        });
    }

    void Inspect(JupyterMessage request)
    {
        var code = request.Text("code");
        var cursor = CodePoints.ToUtf16(code, request.Integer("cursor_pos", CodePoints.FromUtf16(code, code.Length)));
        var text = _cells.InspectAsync(code, cursor).GetAwaiter().GetResult();
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
        var restart = request.Flag("restart", false);
        Interrupt();
        Reply(socket, request, "shutdown_reply", new JsonObject { ["status"] = "ok", ["restart"] = restart });
        Publish("status", Status("idle"), request);
        _outbox.Enqueue(_poller.StopAsync); // after everything queued before it has been sent
    }

    /// <summary>An input_reply on the stdin channel answers the cell waiting for input.</summary>
    void ReceiveInput(JupyterMessage reply)
    {
        if (reply.Type != "input_reply") return;
        try { _input?.TrySetResult(reply.Text("value")); }
        catch (BadRequestException e) { Log($"dropped an input_reply: {e.Message}"); }
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
        _poller?.Dispose();
        foreach (var socket in new NetMQSocket[] { _shell, _control, _stdin, _iopub, _heartbeat }) socket.Dispose();
        _outbox.Dispose();
        NetMQConfig.Cleanup(block: false);
    }

    /// <summary>A cell's outputs as iopub messages parented to its execute_request.</summary>
    class IopubOutput(KernelServer kernel, JupyterMessage request, int executionCount) : ICellOutput
    {
        protected KernelServer Kernel { get; } = kernel;
        protected JupyterMessage Request { get; } = request;

        /// <summary>The error the cell reported, for the execute_reply.</summary>
        public CellError? LastError { get; private set; }

        public void Stream(string name, string text) => Publish("stream", new JsonObject { ["name"] = name, ["text"] = text });

        public void Display(DisplayData data, string displayId) => Publish("display_data", Bundle(data, displayId));

        public void UpdateDisplay(DisplayData data, string displayId) => Publish("update_display_data", Bundle(data, displayId));

        public void Result(DisplayData data) => Publish("execute_result", new JsonObject
        {
            ["execution_count"] = executionCount, ["data"] = HostJson.Bundle(data), ["metadata"] = new JsonObject(),
        });

        public void Error(CellError error)
        {
            LastError = error;
            Publish("error", HostJson.Error(error));
        }

        void Publish(string type, JsonObject content) => Kernel.Publish(type, content, Request);

        static JsonObject Bundle(DisplayData data, string displayId) => new()
        {
            ["data"] = HostJson.Bundle(data), ["metadata"] = new JsonObject(), ["transient"] = new JsonObject { ["display_id"] = displayId },
        };
    }

    /// <summary>The outputs of a cell whose front end takes input: Console.ReadLine asks it on the stdin channel.</summary>
    sealed class IopubInputOutput(KernelServer kernel, JupyterMessage request, int executionCount) : IopubOutput(kernel, request, executionCount), ICellInput
    {
        public string ReadLine(string prompt, bool password, CancellationToken cancellation)
        {
            var answer = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            Kernel._input = answer;
            // To the client that sent the request, through its identity on the stdin socket.
            Kernel.Reply(Kernel._stdin, Request, "input_request", new JsonObject { ["prompt"] = prompt, ["password"] = password });
            try { return answer.Task.WaitAsync(cancellation).GetAwaiter().GetResult(); }
            finally { Interlocked.CompareExchange(ref Kernel._input, null, answer); }
        }
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
