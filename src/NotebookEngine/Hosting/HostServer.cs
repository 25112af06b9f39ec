using System.Globalization;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using NotebookEngine.Display;
using NotebookEngine.Polyglot;
using NotebookEngine.Scripting;

namespace NotebookEngine.Hosting;

/// <summary>
/// The cell host: the process that runs a notebook's cells, one at a time, for a supervisor (the
/// <c>csnb</c> runner or the Jupyter kernel, through <see cref="CellHost"/>) connected over a Unix
/// socket. User code can end this process in ways no exception handler sees (a native abort, an
/// exit, a stack overflow); the supervisor outlives it and reports that. When the supervisor goes
/// away, so does the host.
/// </summary>
public sealed class HostServer
{
    FrameStream _frames = null!; // set once connected, before any message is read
    readonly NotebookSession _session;
    readonly CodeAssist _assist;
    readonly Task _warm;
    readonly Lock _gate = new();
    CancellationTokenSource? _running;
    HostOutput? _output;

    HostServer(TimeSpan stopGrace)
    {
        _session = new NotebookSession(new SessionOptions
        {
            StopGrace = stopGrace,
            WhenStuck = "so the process running the cells is replaced: the variables of earlier cells are lost",
        });
        _assist = new CodeAssist(_session.CSharp);
        // Roslyn's first compilation is the slow part of a first cell: do it while this process connects and the front end does.
        _warm = Task.Run(_session.CSharp.WarmUp);
    }

    /// <summary>
    /// Serves the supervisor listening at the Unix socket given as the first argument
    /// (<c>--stop-grace-ms N</c> sets how long a cancelled cell may take to stop). Returns the exit code.
    /// </summary>
    public static int Run(string[] args)
    {
        if (args.Length is not (1 or 3) || (args.Length == 3 && (args[1] != "--stop-grace-ms" || !int.TryParse(args[2], CultureInfo.InvariantCulture, out _))))
        {
            Console.Error.WriteLine("usage: csnb-host <unix-socket-path> [--stop-grace-ms N]  (started by csnb and csnb-kernel, not by hand)");
            return 2;
        }
        var grace = TimeSpan.FromMilliseconds(args.Length == 3 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3000);
        // The supervisor interrupts cells by message; a Ctrl-C typed at a terminal reaches it as well, and it decides.
        using var ignoreInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => context.Cancel = true);
        var server = new HostServer(grace);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try { socket.Connect(new UnixDomainSocketEndPoint(args[0])); }
        catch (SocketException e)
        {
            Console.Error.WriteLine($"csnb-host: cannot connect to {args[0]}: {e.Message}");
            return 2;
        }
        return server.Serve(new FrameStream(new NetworkStream(socket, ownsSocket: true)));
    }

    int Serve(FrameStream frames)
    {
        _frames = frames;
        // Comm messages from cells go out at once, to be published by the kernel.
        Cells.Comms.Transport = (msgType, content) => _frames.Write(new JsonObject { ["type"] = HostMessages.Comm, ["msg_type"] = msgType, ["content"] = content });
        _frames.Write(new JsonObject { ["type"] = HostMessages.Ready });
        while (_frames.ReadAsync().GetAwaiter().GetResult() is { } message)
        {
            switch (HostJson.Text(message, "type"))
            {
                case HostMessages.Execute: _ = Task.Run(() => ExecuteAsync(message)); break;
                case HostMessages.Interrupt: lock (_gate) _running?.Cancel(); break;
                case HostMessages.InputReply: lock (_gate) _output?.Answer(HostJson.Text(message, "value"), message["error"] is null ? null : HostJson.Text(message, "error")); break;
                case HostMessages.Complete or HostMessages.Inspect or HostMessages.IsComplete or HostMessages.Evaluate or HostMessages.Comm or HostMessages.CommInfo:
                    _ = Task.Run(() => Assist(message));
                    break;
                case HostMessages.Shutdown: return 0;
            }
        }
        return 0; // the supervisor is gone
    }

    async Task ExecuteAsync(JsonObject request)
    {
        await _warm.ConfigureAwait(false);
        var output = new HostOutput(_frames, request["allow_stdin"]?.GetValue<bool>() == true);
        using var running = new CancellationTokenSource();
        lock (_gate) (_running, _output) = (running, output);
        var timeout = HostJson.Integer(request, "timeout_ms") is { } ms ? TimeSpan.FromMilliseconds(ms) : (TimeSpan?)null;
        var count = (int?)HostJson.Integer(request, "count");
        var language = request["language"] is null ? null : HostJson.Text(request, "language");
        var status = await _session.ExecuteAsync(HostJson.Text(request, "code"), output, timeout, running.Token, language, count).ConfigureAwait(false);
        lock (_gate) (_running, _output) = (null, null);
        output.Dispose();
        _frames.Write(new JsonObject
        {
            ["type"] = HostMessages.Done, ["status"] = status.ToString(), ["count"] = _session.ExecutionCount, ["stuck"] = _session.CSharp.IsStuck,
        });
    }

    async Task Assist(JsonObject request)
    {
        await _warm.ConfigureAwait(false);
        var code = HostJson.Text(request, "code");
        var cursor = (int)Math.Clamp(HostJson.Integer(request, "cursor") ?? code.Length, 0, code.Length);
        var reply = new JsonObject { ["type"] = HostMessages.Reply, ["id"] = HostJson.Text(request, "id") };
        switch (HostJson.Text(request, "type"))
        {
            case HostMessages.Complete:
                var (matches, start) = _assist.Complete(code, cursor);
                reply["matches"] = new JsonArray(matches.Select(m => (JsonNode)m!).ToArray());
                reply["start"] = start;
                break;
            case HostMessages.Inspect:
                if (_assist.Inspect(code, cursor, (int)(HostJson.Integer(request, "detail") ?? 0)) is { } found)
                    (reply["plain"], reply["markdown"]) = (found.PlainText, found.Markdown);
                break;
            case HostMessages.Evaluate:
                var results = new JsonObject();
                foreach (var (name, expression) in request["expressions"] as JsonObject ?? [])
                {
                    var (value, error) = await _session.CSharp.EvaluateAsync(expression is JsonValue v && v.TryGetValue<string>(out var text) ? text : "").ConfigureAwait(false);
                    var result = error is null ? new JsonObject { ["data"] = HostJson.Bundle(value!) } : HostJson.Error(error);
                    result["status"] = error is null ? "ok" : "error";
                    results[name] = result;
                }
                reply["results"] = results;
                break;
            case HostMessages.Comm:
                try { reply["accepted"] = Cells.Comms.Receive(HostJson.Text(request, "msg_type"), request["content"] as JsonObject ?? []); }
                catch (Exception e) // a handler of the cell's: the kernel must still get its answer
                {
                    Console.Error.WriteLine($"a comm handler failed: {e}");
                    reply["accepted"] = true;
                }
                break;
            case HostMessages.CommInfo:
                reply["comms"] = Cells.Comms.Info(request["target_name"] is JsonValue target && target.TryGetValue<string>(out var targetName) ? targetName : null);
                break;
            case HostMessages.IsComplete:
                reply["status"] = CodeAssist.IsComplete(code);
                break;
        }
        _frames.Write(reply);
    }

    /// <summary>
    /// A cell's outputs as messages to the supervisor. Console writes are gathered and sent every
    /// 50 ms, and always before any other output, so a chatty loop costs few messages.
    /// </summary>
    sealed class HostOutput : ICellOutput, ICellInput, IDisposable
    {
        readonly FrameStream _frames;
        readonly bool _allowStdin;
        readonly Lock _lock = new();
        readonly List<(string Name, string Text)> _pending = [];
        readonly Timer _timer;
        readonly SemaphoreSlim _answered = new(0);
        string _answer = "";
        string? _refusal;

        public HostOutput(FrameStream frames, bool allowStdin)
        {
            _frames = frames;
            _allowStdin = allowStdin;
            _timer = new Timer(_ => Flush(), null, 50, 50);
        }

        public void Stream(string name, string text)
        {
            lock (_lock)
            {
                if (_pending.Count > 0 && _pending[^1].Name == name) _pending[^1] = (name, _pending[^1].Text + text);
                else _pending.Add((name, text));
            }
        }

        public void Display(DisplayData data, string displayId) =>
            Send(new JsonObject { ["type"] = HostMessages.Display, ["data"] = HostJson.Bundle(data), ["display_id"] = displayId });

        public void UpdateDisplay(DisplayData data, string displayId) =>
            Send(new JsonObject { ["type"] = HostMessages.UpdateDisplay, ["data"] = HostJson.Bundle(data), ["display_id"] = displayId });

        public void Result(DisplayData data) => Send(new JsonObject { ["type"] = HostMessages.Result, ["data"] = HostJson.Bundle(data) });

        public void Error(CellError error)
        {
            var message = HostJson.Error(error);
            message["type"] = HostMessages.Error;
            Send(message);
        }

        public void ClearOutput(bool wait) => Send(new JsonObject { ["type"] = HostMessages.ClearOutput, ["wait"] = wait });

        public string ReadLine(string prompt, bool password, CancellationToken cancellation) => ReadLine(prompt, password, null, cancellation);

        public string ReadLine(string prompt, bool password, string? name, CancellationToken cancellation)
        {
            if (!_allowStdin)
                throw new NoInputException("this front end takes no input (its request did not allow stdin), so the cell cannot read from the console; " +
                                           "give the value as a parameter or in the code instead");
            Send(new JsonObject { ["type"] = HostMessages.InputRequest, ["prompt"] = prompt, ["password"] = password, ["name"] = name });
            _answered.Wait(cancellation); // an interrupt ends the wait
            return _refusal is { } refusal ? throw new NoInputException(refusal) : _answer;
        }

        /// <summary>The supervisor's answer to an input request: the line, or why its front end could not give one.</summary>
        public void Answer(string value, string? refusal)
        {
            (_answer, _refusal) = (value, refusal);
            _answered.Release();
        }

        void Send(JsonObject message)
        {
            lock (_lock)
            {
                FlushLocked();
                _frames.Write(message);
            }
        }

        void Flush()
        {
            try { lock (_lock) FlushLocked(); }
            catch (IOException) { } // the supervisor is gone; this process ends with it
        }

        void FlushLocked()
        {
            foreach (var (name, text) in _pending) _frames.Write(new JsonObject { ["type"] = HostMessages.Stream, ["name"] = name, ["text"] = text });
            _pending.Clear();
        }

        public void Dispose()
        {
            _timer.Dispose();
            Flush();
        }
    }
}

/// <summary>The message types of the cell host protocol.</summary>
internal static class HostMessages
{
    // Supervisor to host.
    internal const string Execute = "execute", Interrupt = "interrupt", InputReply = "input_reply",
        Complete = "complete", Inspect = "inspect", IsComplete = "is_complete", Evaluate = "evaluate", CommInfo = "comm_info", Shutdown = "shutdown";

    // Both ways: a comm message of the cells' (comm_open, comm_msg, comm_close).
    internal const string Comm = "comm";

    // Host to supervisor.
    internal const string Ready = "ready", Stream = "stream", Display = "display", UpdateDisplay = "update_display",
        Result = "result", Error = "error", ClearOutput = "clear_output", InputRequest = "input_request", Done = "done", Reply = "reply";
}
