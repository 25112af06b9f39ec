using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using NetMQ.Sockets;
using NotebookEngine.Display;
using NotebookEngine.Hosting;
using NotebookEngine.Running;
using NotebookEngine.Scripting;
using NotebookKernel.Wire;

namespace NotebookKernel;

// The answers to each request type, as the messaging spec defines them; the transport is in KernelServer.cs.
public sealed partial class KernelServer
{
    void Execute(JupyterMessage request)
    {
        var code = request.Text("code");
        var silent = request.Flag("silent", false);
        var storeHistory = !silent && request.Flag("store_history", true);
        var allowStdin = request.Flag("allow_stdin", false);
        var stopOnError = request.Flag("stop_on_error", true);
        var expressions = new Dictionary<string, string>();
        foreach (var (name, expression) in request.Object("user_expressions"))
            expressions[name] = expression is JsonValue v && v.TryGetValue<string>(out var text) ? text
                : throw new BadRequestException($"user expression '{name}' must be a string");

        var count = storeHistory ? _cells.ExecutionCount + 1 : _cells.ExecutionCount;
        if (!silent) Publish("execute_input", new JsonObject { ["code"] = code, ["execution_count"] = count }, request);
        if (Help.Match(code) is { Success: true } help && help.Groups["before"].Length + help.Groups["after"].Length > 0)
        {
            Reply(_shell, request, "execute_reply", Page(help, count));
            return;
        }
        if (storeHistory) _history.Add(count, code);
        using var running = new CancellationTokenSource();
        _running = running;
        var output = allowStdin && !silent ? new IopubInputOutput(this, request, count) : new IopubOutput(this, request, count, silent);
        var status = _cells.ExecuteAsync(code, output, timeout: null, running.Token, language: null, newCount: storeHistory).GetAwaiter().GetResult();
        _running = null;
        if (storeHistory && output.ResultText is { } result) _history.SetOutput(count, result);

        var reply = new JsonObject { ["status"] = status == CellStatus.Ok ? "ok" : "error", ["execution_count"] = count };
        if (status == CellStatus.Ok)
        {
            reply["user_expressions"] = expressions.Count == 0 ? new JsonObject() : ForJupyter(_cells.EvaluateAsync(expressions).GetAwaiter().GetResult());
            reply["payload"] = new JsonArray();
        }
        else foreach (var (key, value) in HostJson.Error(output.LastError ?? new CellError("Error", "the cell failed", [])))
            reply[key] = value?.DeepClone();
        // Taken before the reply and idle: what a client sends once it has them is not aborted.
        if (status != CellStatus.Ok && stopOnError) _arrivedBeforeError = TakeArrivedRequests();
        Reply(_shell, request, "execute_reply", reply);
    }

    /// <summary>
    /// As ipykernel does after an error (with stop_on_error): executions that had arrived by then are
    /// answered "aborted", not run; other requests are answered. Called after the failed request's idle.
    /// </summary>
    void AbortExecutions(List<JupyterMessage> arrived)
    {
        foreach (var queued in arrived)
        {
            if (queued.Type != "execute_request")
            {
                Handle(_shell, queued, _shellHandlers);
                continue;
            }
            Publish("status", Status("busy"), queued);
            // No execution_count, as ipykernel: Notebook and JupyterLab then show the cell unnumbered ("In [ ]"), not run.
            Reply(_shell, queued, "execute_reply", new JsonObject { ["status"] = "aborted" });
            Publish("status", Status("idle"), queued);
        }
    }

    /// <summary>The values of user_expressions as Jupyter carries bundles (JSON as JSON).</summary>
    static JsonObject ForJupyter(JsonObject results)
    {
        foreach (var (_, result) in results)
            if (result is JsonObject { } entry && entry["data"] is JsonObject data)
            {
                entry["data"] = JupyterBundle.Of(HostJson.Data(data), textAsLines: false);
                entry["metadata"] = new JsonObject();
            }
        return results;
    }

    /// <summary><c>Math.Sqrt?</c> (or <c>?Math.Sqrt</c>) asks for help on a name, as in IPython; <c>??</c> for every overload's documentation.</summary>
    static readonly Regex Help = new(@"^\s*(?<before>\?{0,2})\s*(?<name>[A-Za-z_@][\w.]*(?:<[\w.,\s<>]*>)?)\s*(?<after>\?{0,2})\s*$");

    JsonObject Page(Match help, int count)
    {
        var name = help.Groups["name"].Value;
        var asked = help.Groups["before"].Length + help.Groups["after"].Length;
        var content = new JsonObject { ["status"] = "ok", ["execution_count"] = count, ["user_expressions"] = new JsonObject() };
        var found = _cells.InspectAsync(name, name.Length, detail: asked > 1 ? 1 : 0).GetAwaiter().GetResult();
        var data = found is null ? new JsonObject { ["text/plain"] = $"Object `{name}` not found." }
            : new JsonObject { ["text/plain"] = found.PlainText, ["text/markdown"] = found.Markdown };
        content["payload"] = new JsonArray(new JsonObject { ["source"] = "page", ["data"] = data, ["start"] = 0 });
        return content;
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
        var detail = request.Integer("detail_level", 0);
        if (detail is not (0 or 1)) throw new BadRequestException($"'detail_level' of an inspect_request must be 0 or 1, not {detail}");
        var found = _cells.InspectAsync(code, cursor, detail).GetAwaiter().GetResult();
        Reply(_shell, request, "inspect_reply", new JsonObject
        {
            ["status"] = "ok",
            ["found"] = found is not null,
            ["data"] = found is null ? new JsonObject() : new JsonObject { ["text/plain"] = found.PlainText, ["text/markdown"] = found.Markdown },
            ["metadata"] = new JsonObject(),
        });
    }

    void HistoryRequest(JupyterMessage request)
    {
        var output = request.Flag("output", false);
        var history = request.Text("hist_access_type") switch
        {
            "tail" => _history.Tail(request.Integer("n", 10), output),
            "range" => _history.Range(request.Integer("session", 0), request.Integer("start", 1),
                request.Content["stop"] is null ? null : request.Integer("stop"), output),
            "search" => _history.Search(request.Text("pattern", "*"), request.Content["n"] is null ? null : request.Integer("n"), request.Flag("unique", false), output),
            var other => throw new BadRequestException($"'hist_access_type' of a history_request must be tail, range or search, not {other}"),
        };
        Reply(_shell, request, "history_reply", new JsonObject { ["status"] = "ok", ["history"] = history });
    }

    void CommInfo(JupyterMessage request)
    {
        var target = request.Content["target_name"] is null ? null : request.Text("target_name");
        Reply(_shell, request, "comm_info_reply", new JsonObject { ["status"] = "ok", ["comms"] = _cells.CommInfoAsync(target).GetAwaiter().GetResult() });
    }

    /// <summary>A comm message from the front end goes to the cells; a comm_open to a target none registered is closed at once, as ipykernel does.</summary>
    void ReceiveComm(JupyterMessage message)
    {
        var id = message.Text("comm_id");
        if (!_cells.ReceiveCommAsync(message.Type, message.Content).GetAwaiter().GetResult() && message.Type == "comm_open")
            Publish("comm_close", new JsonObject { ["comm_id"] = id, ["data"] = new JsonObject() }, message);
    }

    void Shutdown(RouterSocket socket, JupyterMessage request)
    {
        var restart = request.Flag("restart", false);
        Interrupt();
        Reply(socket, request, "shutdown_reply", new JsonObject { ["status"] = "ok", ["restart"] = restart });
        Publish("status", Status("idle"), request);
        _outbox.Enqueue(_poller.StopAsync); // after everything queued before it has been sent
    }

    JsonObject KernelInfo() => new()
    {
        ["status"] = "ok",
        ["protocol_version"] = WireFormat.ProtocolVersion,
        ["implementation"] = "csnb",
        ["implementation_version"] = typeof(KernelServer).Assembly.GetName().Version?.ToString(3) ?? "1.0.0",
        ["banner"] = $"C# {NotebookRunner.LanguageInfo()["version"]} (Roslyn scripting) on .NET {Environment.Version}: the csnb notebook engine. " +
                     "Name? shows help on a name; cells run in a process of their own, which the kernel replaces if a cell ends it.",
        ["language_info"] = NotebookRunner.LanguageInfo(),
        ["help_links"] = HelpLinks(),
        // Optional protocol features this kernel has (JEP 92): no debugger, no subshells.
        ["supported_features"] = new JsonArray(),
        ["debugger"] = false,
    };

    static JsonArray HelpLinks()
    {
        var links = new JsonArray
        {
            new JsonObject { ["text"] = "C# language", ["url"] = "https://learn.microsoft.com/dotnet/csharp/" },
            new JsonObject { ["text"] = ".NET API browser", ["url"] = "https://learn.microsoft.com/dotnet/api/" },
            new JsonObject { ["text"] = "TorchSharp", ["url"] = "https://github.com/dotnet/TorchSharp" },
        };
        // The kit's own documents, when the kernel runs from a checkout of it.
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (!File.Exists(Path.Combine(folder.FullName, "CenterLoss.Notebooks.sln"))) continue;
            links.Add(new JsonObject { ["text"] = "CenterLoss.Notebooks README", ["url"] = new Uri(Path.Combine(folder.FullName, "README.md")).AbsoluteUri });
            links.Add(new JsonObject { ["text"] = "CenterLoss.Notebooks tutorial notebooks", ["url"] = new Uri(Path.Combine(folder.FullName, "notebooks", "README.md")).AbsoluteUri });
            break;
        }
        return links;
    }

    /// <summary>A cell's outputs as iopub messages parented to its execute_request (none if silent).</summary>
    class IopubOutput(KernelServer kernel, JupyterMessage request, int executionCount, bool silent = false) : ICellOutput
    {
        protected KernelServer Kernel { get; } = kernel;
        protected JupyterMessage Request { get; } = request;

        /// <summary>The error the cell reported, for the execute_reply.</summary>
        public CellError? LastError { get; private set; }

        /// <summary>The text of the cell's value, for the history.</summary>
        public string? ResultText { get; private set; }

        public void Stream(string name, string text) => Publish("stream", new JsonObject { ["name"] = name, ["text"] = text });

        public void Display(DisplayData data, string displayId) => Publish("display_data", Bundle(data, displayId));

        public void UpdateDisplay(DisplayData data, string displayId) => Publish("update_display_data", Bundle(data, displayId));

        public void Result(DisplayData data)
        {
            ResultText = data.PlainText;
            Publish("execute_result", new JsonObject
            {
                ["execution_count"] = executionCount, ["data"] = JupyterBundle.Of(data, textAsLines: false), ["metadata"] = new JsonObject(),
            });
        }

        public void Error(CellError error)
        {
            LastError = error;
            Publish("error", HostJson.Error(error));
        }

        public void ClearOutput(bool wait) => Publish("clear_output", new JsonObject { ["wait"] = wait });

        void Publish(string type, JsonObject content)
        {
            if (!silent) Kernel.Publish(type, content, Request);
        }

        static JsonObject Bundle(DisplayData data, string displayId) => new()
        {
            ["data"] = JupyterBundle.Of(data, textAsLines: false), ["metadata"] = new JsonObject(), ["transient"] = new JsonObject { ["display_id"] = displayId },
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
