using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using NotebookEngine.Display;
using NotebookEngine.Scripting;

namespace NotebookEngine.Hosting;

/// <summary>Settings of a <see cref="CellHost"/>.</summary>
public sealed record CellHostOptions
{
    /// <summary>The cells' working directory (the notebook's folder); relative <c>#r</c> paths start here.</summary>
    public string WorkingDirectory { get; init; } = System.Environment.CurrentDirectory;

    /// <summary>How long a cancelled cell may take to stop before its process is replaced.</summary>
    public TimeSpan StopGrace { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// The host program: by default <c>host/csnb-host.dll</c> beside this application where a Release
    /// build put a ReadyToRun-compiled one (it starts faster), else <c>csnb-host.dll</c> beside it.
    /// </summary>
    public string HostProgram { get; init; } = File.Exists(Path.Combine(AppContext.BaseDirectory, "host", "csnb-host.dll"))
        ? Path.Combine(AppContext.BaseDirectory, "host", "csnb-host.dll")
        : Path.Combine(AppContext.BaseDirectory, "csnb-host.dll");

    /// <summary>Variables set for the host process (glibc reads its malloc settings only at start-up).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Where the host process's own stdout and stderr lines go (a bounded number per cell); none by default.</summary>
    public Action<string>? Log { get; init; }
}

/// <summary>
/// Runs cells in a separate cell host process (<see cref="HostServer"/>) and outlives it: when user
/// code ends that process (a native abort, <c>Environment.Exit</c>, a stack overflow, the
/// out-of-memory killer), the running cell gets an error that says how it died with the process's
/// last words, and a fresh process takes over; so does a cell that ignores an interrupt past the
/// grace period. The <c>csnb</c> runner and the Jupyter kernel both drive cells through it.
/// </summary>
public sealed class CellHost : ICellExecutor, IDisposable
{
    readonly CellHostOptions _options;
    readonly SemaphoreSlim _oneAtATime = new(1);
    HostProcess _process;

    /// <summary>Starts the host process, which warms up Roslyn at once.</summary>
    public CellHost(CellHostOptions? options = null)
    {
        _options = options ?? new CellHostOptions();
        if (!File.Exists(_options.HostProgram)) throw new FileNotFoundException($"the cell host program is missing: {_options.HostProgram}", _options.HostProgram);
        _process = StartProcess();
    }

    /// <summary>A comm message (comm_open, comm_msg, comm_close) the cells sent to the front end, on the thread that read it.</summary>
    public event Action<string, JsonObject>? CommSent;

    HostProcess StartProcess() => HostProcess.Start(_options, (type, content) => CommSent?.Invoke(type, content));

    /// <summary>A comm message from the front end; false for a comm_open to a target no cell registered (close it) or a comm that is not open.</summary>
    public async Task<bool> ReceiveCommAsync(string msgType, JsonObject content)
    {
        var reply = await AskAsync(HostMessages.Comm, new JsonObject { ["msg_type"] = msgType, ["content"] = content.DeepClone() }).ConfigureAwait(false);
        return reply?["accepted"]?.GetValue<bool>() == true;
    }

    /// <summary>The open comms (of <paramref name="targetName"/>, if given), as comm_info_reply lists them.</summary>
    public async Task<JsonObject> CommInfoAsync(string? targetName)
    {
        var reply = await AskAsync(HostMessages.CommInfo, new JsonObject { ["target_name"] = targetName }).ConfigureAwait(false);
        return reply?["comms"]?.DeepClone() as JsonObject ?? [];
    }

    /// <inheritdoc/>
    public int ExecutionCount { get; private set; }

    /// <summary>How many host processes have been started (1 until one dies or is replaced).</summary>
    public int Generation { get; private set; } = 1;

    /// <summary>
    /// Runs a cell in the host process. A cancelled <paramref name="cancellation"/> interrupts it;
    /// a <paramref name="timeout"/> cancels it. When the process dies or does not stop the cell in
    /// time, the cell gets an error saying so and a fresh process (with no variables) takes over.
    /// A front end that takes input gives an <paramref name="output"/> that is an <see cref="ICellInput"/>.
    /// </summary>
    public Task<CellStatus> ExecuteAsync(string source, ICellOutput output, TimeSpan? timeout = null, CancellationToken cancellation = default, string? language = null) =>
        ExecuteAsync(source, output, timeout, cancellation, language, newCount: true);

    /// <summary>As <see cref="ExecuteAsync(string, ICellOutput, TimeSpan?, CancellationToken, string?)"/>; with <paramref name="newCount"/> false the cell keeps the current execution count (Jupyter's store_history: false).</summary>
    public async Task<CellStatus> ExecuteAsync(string source, ICellOutput output, TimeSpan? timeout, CancellationToken cancellation, string? language, bool newCount)
    {
        await _oneAtATime.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            var count = newCount ? ++ExecutionCount : ExecutionCount;
            if (await StartedProcessAsync(output).ConfigureAwait(false) is not { } process) return CellStatus.Error;
            var call = process.Execute(source, language, count, timeout, output);
            var interrupted = new TaskCompletionSource();
            using var onCancel = cancellation.Register(() => interrupted.TrySetResult());
            // The host enforces the time limit itself; this is for a host that no longer answers.
            var unanswered = timeout is { } limit ? Task.Delay(limit + _options.StopGrace + Margin) : Task.Delay(Timeout.Infinite);
            while (!call.IsCompleted)
            {
                var first = await Task.WhenAny(call, interrupted.Task, unanswered).ConfigureAwait(false);
                if (first == interrupted.Task)
                {
                    process.Interrupt();
                    interrupted = new TaskCompletionSource(); // once
                    unanswered = Task.Delay(_options.StopGrace + Margin);
                }
                else if (first == unanswered)
                {
                    Replace();
                    var what = $"cell [{count}] did not stop within {_options.StopGrace.TotalSeconds:0.#} s after it was " +
                               (cancellation.IsCancellationRequested ? "interrupted" : "cancelled at its time limit") +
                               ", so the process running the cells was replaced: the variables of earlier cells are lost";
                    output.Error(new CellError(cancellation.IsCancellationRequested ? "Interrupted" : "TimeoutError", what, [what]));
                    return cancellation.IsCancellationRequested ? CellStatus.Interrupted : CellStatus.TimedOut;
                }
            }
            try
            {
                var done = await call.ConfigureAwait(false);
                if (done["stuck"]?.GetValue<bool>() == true) Replace(); // its error already says the variables are lost
                return Enum.TryParse<CellStatus>(HostJson.Text(done, "status"), out var status) ? status : CellStatus.Error;
            }
            catch (HostDiedException died)
            {
                Replace();
                output.Error(died.During(count));
                return CellStatus.Error;
            }
        }
        finally { _oneAtATime.Release(); }
    }

    static readonly TimeSpan Margin = TimeSpan.FromSeconds(2);

    /// <summary>Completion candidates at <paramref name="cursor"/> (UTF-16 index) and where the completed word starts.</summary>
    public async Task<(IReadOnlyList<string> Matches, int Start)> CompleteAsync(string code, int cursor)
    {
        var reply = await AskAsync(HostMessages.Complete, new JsonObject { ["code"] = code, ["cursor"] = cursor }).ConfigureAwait(false);
        if (reply?["matches"] is not JsonArray matches) return ([], cursor);
        return (matches.Select(m => (string)m!).ToList(), (int)(HostJson.Integer(reply, "start") ?? cursor));
    }

    /// <summary>What the name at <paramref name="cursor"/> is, with its documentation at <paramref name="detail"/> 0 or 1; null if nothing.</summary>
    public async Task<Inspection?> InspectAsync(string code, int cursor, int detail)
    {
        var reply = await AskAsync(HostMessages.Inspect, new JsonObject { ["code"] = code, ["cursor"] = cursor, ["detail"] = detail }).ConfigureAwait(false);
        return reply?["plain"] is null ? null : new Inspection(HostJson.Text(reply, "plain"), HostJson.Text(reply, "markdown"));
    }

    /// <summary>
    /// Each expression's value as a Jupyter user_expressions entry: <c>{status: ok, data}</c> or
    /// <c>{status: error, ename, evalue, traceback}</c>. The execution count stays.
    /// </summary>
    public async Task<JsonObject> EvaluateAsync(IReadOnlyDictionary<string, string> expressions)
    {
        var request = new JsonObject { ["expressions"] = new JsonObject(expressions.Select(e => KeyValuePair.Create(e.Key, (JsonNode?)e.Value))) };
        return (await AskAsync(HostMessages.Evaluate, request).ConfigureAwait(false))?["results"]?.DeepClone() as JsonObject ?? [];
    }

    /// <summary>"complete", "incomplete" or "invalid"; "unknown" when the host cannot tell.</summary>
    public async Task<string> IsCompleteAsync(string code)
    {
        var reply = await AskAsync(HostMessages.IsComplete, new JsonObject { ["code"] = code }).ConfigureAwait(false);
        return reply is null ? "unknown" : HostJson.Text(reply, "status");
    }

    async Task<JsonObject?> AskAsync(string type, JsonObject request)
    {
        await _oneAtATime.WaitAsync().ConfigureAwait(false);
        try
        {
            if (await StartedProcessAsync(null).ConfigureAwait(false) is not { } process) return null;
            try { return await process.Ask(type, request).ConfigureAwait(false); }
            catch (HostDiedException) { Replace(); return null; }
        }
        finally { _oneAtATime.Release(); }
    }

    /// <summary>The running host process; a dead one is replaced first (and the cell told, if there is one). Null if none can start.</summary>
    async Task<HostProcess?> StartedProcessAsync(ICellOutput? output)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await _process.Ready.ConfigureAwait(false);
                return _process;
            }
            catch (HostDiedException died) when (attempt == 0 && died.WasReady)
            {
                output?.Stream("stderr", $"{died.Summary} after the last cell ran; a fresh process has started, without the variables of earlier cells.\n");
                Replace();
            }
            catch (HostDiedException died)
            {
                output?.Error(new CellError("HostStartError", $"the process that runs the cells could not start: {died.Summary}", died.Lines));
                Replace();
                return null;
            }
        }
    }

    void Replace()
    {
        _process.Dispose();
        _process = StartProcess();
        Generation++;
    }

    /// <summary>Ends the host process (it is told to exit, then killed).</summary>
    public void Dispose() => _process.Dispose();
}

/// <summary>The host process ended; <see cref="Summary"/> says how, <see cref="Lines"/> with its last output.</summary>
sealed class HostDiedException(string summary, IReadOnlyList<string> lines, bool wasReady) : Exception(summary)
{
    public string Summary { get; } = summary;
    public IReadOnlyList<string> Lines { get; } = lines;
    public bool WasReady { get; } = wasReady;

    /// <summary>The error of cell <paramref name="count"/>, during which the process died.</summary>
    public CellError During(int count)
    {
        var value = $"{Summary} while cell [{count}] ran";
        return new CellError("ProcessDied", value,
            [$"ProcessDied: {value}", .. Lines, "A fresh process has started: the variables of earlier cells are lost; run those cells again."]);
    }
}

/// <summary>One host process: started, connected, and read until it ends.</summary>
sealed class HostProcess : IDisposable
{
    readonly Process _process;
    readonly Socket _listener;
    readonly string _socketPath;
    readonly HostLog _log;
    readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    readonly TaskCompletionSource<HostDiedException> _died = new(TaskCreationOptions.RunContinuationsAsynchronously);
    readonly ConcurrentDictionary<string, TaskCompletionSource<JsonObject>> _replies = new();
    FrameStream? _frames;
    Call? _call;
    bool _disposed;

    readonly Action<string, JsonObject> _comm;

    HostProcess(Process process, Socket listener, string socketPath, HostLog log, Action<string, JsonObject> comm)
    {
        _comm = comm;
        _process = process;
        _listener = listener;
        _socketPath = socketPath;
        _log = log;
    }

    /// <summary>Completes when the host said it is ready; faults with <see cref="HostDiedException"/> if it died first.</summary>
    public Task Ready => _ready.Task;

    public static HostProcess Start(CellHostOptions options, Action<string, JsonObject> comm)
    {
        var folder = Path.GetTempPath();
        RemoveStaleSockets(folder);
        // A Unix socket rather than the process's stdio: native code writing to stdout cannot corrupt it.
        var socketPath = Path.Combine(folder, $"csnb-{System.Environment.ProcessId}-{Guid.NewGuid():N}.sock");
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        listener.Listen(1);
        var start = new ProcessStartInfo(DotnetHost.Path)
        {
            WorkingDirectory = options.WorkingDirectory,
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        foreach (var arg in new[] { options.HostProgram, socketPath, "--stop-grace-ms", ((int)options.StopGrace.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) })
            start.ArgumentList.Add(arg);
        foreach (var (name, value) in options.Environment) start.Environment[name] = value;
        var host = new HostProcess(Process.Start(start)!, listener, socketPath, new HostLog(options.Log), comm);
        host._process.StandardInput.Close(); // cells read input through the supervisor, never the terminal
        _ = host.ServeAsync();
        return host;
    }

    /// <summary>
    /// Deletes the socket paths of supervisors that no longer run: one killed before its host
    /// connected could not delete its own. A path is named after its supervisor's process id.
    /// </summary>
    static void RemoveStaleSockets(string folder)
    {
        foreach (var path in Directory.EnumerateFiles(folder, "csnb-*-*.sock"))
        {
            if (!int.TryParse(Path.GetFileName(path).Split('-')[1], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || IsRunning(pid)) continue;
            try { File.Delete(path); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // another user's, or just deleted by another
        }
    }

    static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return true;
        }
        catch (ArgumentException) { return false; }
    }

    async Task ServeAsync()
    {
        var output = Task.WhenAll(_log.Drain(_process.StandardOutput), _log.Drain(_process.StandardError));
        var exited = _process.WaitForExitAsync();
        try
        {
            var accept = _listener.AcceptAsync();
            if (await Task.WhenAny(accept, exited).ConfigureAwait(false) == accept)
            {
                _frames = new FrameStream(new NetworkStream(await accept.ConfigureAwait(false), ownsSocket: true));
                // Connected, the path has served: gone now, it is not left in /tmp if this process is killed.
                File.Delete(_socketPath);
                while (await _frames.ReadAsync().ConfigureAwait(false) is { } message) Dispatch(message);
            }
        }
        catch (SocketException) { } // disposed while waiting for the host
        finally
        {
            _listener.Dispose();
            File.Delete(_socketPath);
        }
        // The connection ended: the process is exiting, or will be made to.
        if (await Task.WhenAny(exited, Task.Delay(TimeSpan.FromSeconds(5))).ConfigureAwait(false) != exited) Kill();
        await Task.WhenAny(output, Task.Delay(TimeSpan.FromSeconds(2))).ConfigureAwait(false);
        var died = _disposed ? new HostDiedException("the process running the cells was stopped", [], _ready.Task.IsCompletedSuccessfully)
            : _log.DeathOf(_process.ExitCode, _ready.Task.IsCompletedSuccessfully);
        _died.TrySetResult(died);
        _ready.TrySetException(died);
        Interlocked.Exchange(ref _call, null)?.Fail(died);
        foreach (var reply in _replies.Values) reply.TrySetException(died);
    }

    void Dispatch(JsonObject message)
    {
        var call = _call;
        switch (HostJson.Text(message, "type"))
        {
            case HostMessages.Ready: _ready.TrySetResult(); break;
            case HostMessages.Reply:
                if (_replies.TryRemove(HostJson.Text(message, "id"), out var reply)) reply.TrySetResult(message);
                break;
            case HostMessages.Done:
                Interlocked.Exchange(ref _call, null)?.Finish(message);
                break;
            case HostMessages.Comm:
                _comm(HostJson.Text(message, "msg_type"), message["content"] as JsonObject ?? []);
                break;
            default: call?.Receive(message, this); break;
        }
    }

    public Task<JsonObject> Execute(string code, string? language, int count, TimeSpan? timeout, ICellOutput output)
    {
        var call = new Call(output);
        _call = call;
        _log.CellStarts();
        var request = new JsonObject { ["type"] = HostMessages.Execute, ["code"] = code, ["language"] = language, ["count"] = count, ["allow_stdin"] = output is ICellInput };
        if (timeout is { } limit) request["timeout_ms"] = (long)limit.TotalMilliseconds;
        Send(request);
        return call.Task;
    }

    public Task<JsonObject> Ask(string type, JsonObject request)
    {
        var id = Guid.NewGuid().ToString("N");
        var reply = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        _replies[id] = reply;
        request["type"] = type;
        request["id"] = id;
        Send(request);
        if (_died.Task.IsCompleted) reply.TrySetException(_died.Task.Result);
        return reply.Task;
    }

    public void Interrupt() => Send(new JsonObject { ["type"] = HostMessages.Interrupt });

    public void Answer(string value, string? refusal = null) => Send(new JsonObject { ["type"] = HostMessages.InputReply, ["value"] = value, ["error"] = refusal });

    void Send(JsonObject message)
    {
        try { _frames?.Write(message); }
        catch (IOException) { } // it died; ServeAsync reports how
    }

    void Kill()
    {
        try { _process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { } // already gone
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Send(new JsonObject { ["type"] = HostMessages.Shutdown });
        if (!_process.WaitForExit(TimeSpan.FromSeconds(1))) Kill();
        _listener.Dispose(); // ends an accept that never came
    }

    /// <summary>One running cell: where its outputs go, and its outcome.</summary>
    sealed class Call(ICellOutput output)
    {
        readonly TaskCompletionSource<JsonObject> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<JsonObject> Task => _done.Task;

        public void Finish(JsonObject done) => _done.TrySetResult(done);

        public void Fail(HostDiedException died) => _done.TrySetException(died);

        public void Receive(JsonObject message, HostProcess host)
        {
            switch (HostJson.Text(message, "type"))
            {
                case HostMessages.Stream: output.Stream(HostJson.Text(message, "name"), HostJson.Text(message, "text")); break;
                case HostMessages.Display: output.Display(HostJson.Data(message["data"]), HostJson.Text(message, "display_id")); break;
                case HostMessages.UpdateDisplay: output.UpdateDisplay(HostJson.Data(message["data"]), HostJson.Text(message, "display_id")); break;
                case HostMessages.Result: output.Result(HostJson.Data(message["data"])); break;
                case HostMessages.Error: output.Error(HostJson.Error(message)); break;
                case HostMessages.ClearOutput: output.ClearOutput(message["wait"]?.GetValue<bool>() == true); break;
                case HostMessages.InputRequest when output is ICellInput input:
                    // Off the reading thread: the answer may take as long as the user does, and an interrupt must get through meanwhile.
                    _ = System.Threading.Tasks.Task.Run(() =>
                    {
                        var name = message["name"] is null ? null : HostJson.Text(message, "name");
                        try { host.Answer(input.ReadLine(HostJson.Text(message, "prompt"), message["password"]?.GetValue<bool>() == true, name, CancellationToken.None)); }
                        catch (NoInputException refused) { host.Answer("", refused.Message); }
                        catch (OperationCanceledException) { } // interrupted: the host's own wait ends with the interrupt
                    });
                    break;
            }
        }
    }
}

/// <summary>
/// The host process's own stdout and stderr (native libraries, the runtime's last words): passed on
/// to the supervisor's log up to a limit per cell, and kept in part to explain a death.
/// </summary>
sealed class HostLog(Action<string>? log)
{
    const int PassedOnPerCell = 50, Head = 15, Tail = 15, MaxLine = 1000;

    readonly Lock _lock = new();
    readonly List<string> _head = [];
    readonly Queue<string> _tail = new();
    int _lines;

    public void CellStarts()
    {
        lock (_lock)
        {
            _head.Clear();
            _tail.Clear();
            _lines = 0;
        }
    }

    public async Task Drain(StreamReader reader)
    {
        while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line) Add(line.Length > MaxLine ? line[..MaxLine] + " …" : line);
    }

    void Add(string line)
    {
        lock (_lock)
        {
            _lines++;
            if (_head.Count < Head) _head.Add(line);
            else
            {
                _tail.Enqueue(line);
                if (_tail.Count > Tail) _tail.Dequeue();
            }
            if (_lines <= PassedOnPerCell) log?.Invoke(line);
            else if (_lines == PassedOnPerCell + 1) log?.Invoke($"(more output of the cell host is not shown; the cell's error keeps its last {Tail} lines)");
        }
    }

    /// <summary>How the process ended (exit code 0 to 127, a signal, a stack overflow), with its last output.</summary>
    public HostDiedException DeathOf(int exitCode, bool wasReady)
    {
        lock (_lock)
        {
            var all = _head.Concat(_tail).ToList();
            var overflow = all.FindIndex(l => l.StartsWith("Stack overflow", StringComparison.Ordinal));
            string summary;
            List<string> lines;
            if (overflow >= 0)
            {
                summary = "the process running the cells died of a stack overflow (a recursion with no end?)";
                lines = ["", "The runtime's report (the start of it):", .. Readable(_head.Skip(overflow)).Take(8)];
            }
            else
            {
                summary = $"the process running the cells {ExitText(exitCode)}";
                var omitted = _lines - all.Count;
                lines = all.Count == 0 ? [] : ["", "Its last output:", .. Readable(_head), .. omitted > 0 ? new[] { $"… ({omitted} lines not shown)" } : [], .. Readable(_tail)];
            }
            return new HostDiedException(summary, lines, wasReady);
        }
    }

    /// <summary>The lines a reader needs: no frames of the engine, Roslyn or the async machinery, none too long.</summary>
    static IEnumerable<string> Readable(IEnumerable<string> lines) =>
        lines.Where(l => !(l.TrimStart().StartsWith("at ", StringComparison.Ordinal) && Machinery.Any(l.Contains)))
            .Select(l => l.Length > 240 ? l[..240] + " …" : l);

    static readonly string[] Machinery = ["System.Runtime.CompilerServices.", "System.Threading.", "Microsoft.CodeAnalysis.Scripting.", "NotebookEngine."];

    static string ExitText(int code) => code switch
    {
        134 => "was killed by SIGABRT: native code aborted it (libtorch does on some invalid shapes or arguments)",
        137 => "was killed by SIGKILL (by the system's out-of-memory killer, or from outside)",
        139 => "was killed by SIGSEGV: native code crashed",
        143 => "was killed by SIGTERM (from outside)",
        > 128 and < 160 => $"was killed by signal {code - 128}",
        _ => $"exited with code {code} (a cell called Environment.Exit, or something ended the process)",
    };
}
