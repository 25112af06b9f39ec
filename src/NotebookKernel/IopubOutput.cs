using System.Text.Json.Nodes;
using NotebookEngine.Display;

namespace NotebookKernel;

/// <summary>
/// A cell's outputs as iopub messages. Console writes are buffered and sent as one stream message
/// every 100 ms, and always before any other output, so front ends get few, ordered messages.
/// </summary>
sealed class IopubOutput : ICellOutput, IDisposable
{
    readonly Action<string, JsonObject> _publish;
    readonly int _executionCount;
    readonly Lock _lock = new();
    readonly List<(string Name, string Text)> _pending = [];
    readonly Timer _timer;

    public IopubOutput(Action<string, JsonObject> publish, int executionCount)
    {
        _publish = publish;
        _executionCount = executionCount;
        _timer = new Timer(_ => { lock (_lock) Flush(); }, null, 100, 100);
    }

    /// <summary>The error the cell reported, for the execute_reply.</summary>
    public CellError? LastError { get; private set; }

    public void Stream(string name, string text)
    {
        lock (_lock)
        {
            if (_pending.Count > 0 && _pending[^1].Name == name) _pending[^1] = (name, _pending[^1].Text + text);
            else _pending.Add((name, text));
        }
    }

    public void Display(DisplayData data, string displayId) => Send("display_data", Bundle(data, displayId));

    public void UpdateDisplay(DisplayData data, string displayId) => Send("update_display_data", Bundle(data, displayId));

    public void Result(DisplayData data) => Send("execute_result", new JsonObject
    {
        ["execution_count"] = _executionCount, ["data"] = Data(data), ["metadata"] = new JsonObject(),
    });

    public void Error(CellError error)
    {
        LastError = error;
        Send("error", ErrorContent(error));
    }

    /// <summary>ename, evalue and traceback, as both the iopub error and the error reply carry them.</summary>
    public static JsonObject ErrorContent(CellError error) => new()
    {
        ["ename"] = error.Name,
        ["evalue"] = error.Value,
        ["traceback"] = new JsonArray(error.Traceback.Select(l => (JsonNode)l!).ToArray()),
    };

    /// <summary>Sends what is buffered and stops the timer; nothing may be published after the reply.</summary>
    public void Dispose()
    {
        _timer.Dispose();
        lock (_lock) Flush();
    }

    void Send(string type, JsonObject content)
    {
        lock (_lock)
        {
            Flush();
            _publish(type, content);
        }
    }

    void Flush()
    {
        foreach (var (name, text) in _pending) _publish("stream", new JsonObject { ["name"] = name, ["text"] = text });
        _pending.Clear();
    }

    static JsonObject Bundle(DisplayData data, string displayId) => new()
    {
        ["data"] = Data(data), ["metadata"] = new JsonObject(), ["transient"] = new JsonObject { ["display_id"] = displayId },
    };

    static JsonObject Data(DisplayData data)
    {
        var bundle = new JsonObject();
        foreach (var (mime, value) in data.Data) bundle[mime] = value;
        return bundle;
    }
}
