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
public sealed partial class KernelServer : IDisposable
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
    readonly History _history;
    CancellationTokenSource? _running;
    TaskCompletionSource<string>? _input;
    List<JupyterMessage>? _arrivedBeforeError; // taken by a failed execution with stop_on_error, for the shell thread
    volatile JupyterMessage? _current; // the shell request being answered: what cells' comm messages are parented to

    /// <summary>Binds the sockets; a port that cannot be bound is an <see cref="InvalidDataException"/> naming it.</summary>
    public KernelServer(ConnectionFile connection, CellHost cells, History history)
    {
        _cells = cells;
        _history = history;
        _cells.CommSent += (type, content) => Publish(type, content, _current);
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
            ["comm_info_request"] = CommInfo,
            ["comm_open"] = ReceiveComm,
            ["comm_msg"] = ReceiveComm,
            ["comm_close"] = ReceiveComm,
            ["history_request"] = HistoryRequest,
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

    /// <summary>
    /// Takes every shell request that has arrived: those queued and those that reached the socket but
    /// not yet the queue (the poller may not have run since), as ipykernel flushes its shell stream.
    /// </summary>
    List<JupyterMessage> TakeArrivedRequests()
    {
        var flushed = new TaskCompletionSource();
        _outbox.Enqueue(() =>
        {
            while (_shell.HasIn) Receive(_shell, _requests.Add);
            flushed.SetResult();
        });
        flushed.Task.Wait(TimeSpan.FromSeconds(1)); // the poller may be stopping
        var arrived = new List<JupyterMessage>();
        while (_requests.TryTake(out var request)) arrived.Add(request);
        return arrived;
    }

    void ServeShell()
    {
        foreach (var request in _requests.GetConsumingEnumerable())
        {
            _current = request;
            Handle(_shell, request, _shellHandlers);
            _current = null;
            if (_arrivedBeforeError is { } arrived) AbortExecutions(arrived);
            _arrivedBeforeError = null;
        }
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

    /// <summary>An input_reply on the stdin channel answers the cell waiting for input.</summary>
    void ReceiveInput(JupyterMessage reply)
    {
        if (reply.Type != "input_reply") return;
        try { _input?.TrySetResult(reply.Text("value")); }
        catch (BadRequestException e) { Log($"dropped an input_reply: {e.Message}"); }
    }

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
