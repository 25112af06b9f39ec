using System.Text.Json.Nodes;
using NotebookEngine.Display;
using NotebookEngine.Documents;

namespace NotebookEngine.Running;

/// <summary>
/// Turns a cell's outputs into nbformat outputs as they happen. Display ids are notebook-wide, as in
/// Jupyter: an update from a later cell replaces the output of the cell that first showed it.
/// </summary>
public sealed class NotebookOutputs(IReadOnlyDictionary<string, string>? answers = null)
{
    readonly Dictionary<string, JsonObject> _displays = [];
    readonly Lock _lock = new();

    /// <summary>The output sink for <paramref name="cell"/>, whose trailing value gets <paramref name="executionCount"/>.</summary>
    public ICellOutput For(Cell cell, int executionCount) => new Sink(this, cell.Outputs, executionCount);

    /// <summary>
    /// A headless run has no user: a named input (an <c>@input:</c> token of <c>#!set --name x</c>) is
    /// answered from the run's parameters; anything else that asks for input is an error.
    /// </summary>
    string Answer(string? name) =>
        name is not null && answers?.TryGetValue(name, out var value) == true ? value
        : throw new NoInputException(name is null
            ? "a headless run takes no input, so the cell cannot read from the console; give the value as a parameter or in the code instead"
            : $"'{name}' is asked for as input, and a headless run has no user: give it as a parameter (-p {name}=…)");

    /// <summary>An nbformat data bundle (text values stored as lists of lines, as Jupyter does).</summary>
    public static JsonObject Bundle(DisplayData data) => JupyterBundle.Of(data, textAsLines: true);

    sealed class Sink(NotebookOutputs owner, JsonArray outputs, int executionCount) : ICellOutput, ICellInput
    {
        public string ReadLine(string prompt, bool password, CancellationToken cancellation) => owner.Answer(null);

        public string ReadLine(string prompt, bool password, string? name, CancellationToken cancellation) => owner.Answer(name);

        bool _clearOnNext;

        public void ClearOutput(bool wait)
        {
            lock (owner._lock)
            {
                if (wait) _clearOnNext = true;
                else outputs.Clear();
            }
        }

        /// <summary>A clear_output(wait: true) takes effect when the next output comes; call with the lock held.</summary>
        void ClearIfAsked()
        {
            if (!_clearOnNext) return;
            _clearOnNext = false;
            outputs.Clear();
        }

        public void Stream(string name, string text)
        {
            lock (owner._lock)
            {
                ClearIfAsked();
                // Consecutive writes to one stream make one output, as Jupyter front ends show them.
                if (outputs.LastOrDefault() is JsonObject last && (string?)last["output_type"] == "stream" && (string?)last["name"] == name)
                    last["text"] = Text.Lines(Text.Join(last["text"]) + text);
                else
                    outputs.Add(new JsonObject { ["output_type"] = "stream", ["name"] = name, ["text"] = Text.Lines(text) });
            }
        }

        public void Display(DisplayData data, string displayId)
        {
            var output = new JsonObject { ["output_type"] = "display_data", ["data"] = Bundle(data), ["metadata"] = new JsonObject() };
            lock (owner._lock)
            {
                ClearIfAsked();
                outputs.Add(output);
                owner._displays[displayId] = output;
            }
        }

        public void UpdateDisplay(DisplayData data, string displayId)
        {
            lock (owner._lock)
                if (owner._displays.TryGetValue(displayId, out var output)) output["data"] = Bundle(data);
        }

        public void Result(DisplayData data)
        {
            lock (owner._lock)
            {
                ClearIfAsked();
                outputs.Add(new JsonObject
                {
                    ["output_type"] = "execute_result",
                    ["execution_count"] = executionCount,
                    ["data"] = Bundle(data),
                    ["metadata"] = new JsonObject(),
                });
            }
        }

        public void Error(CellError error)
        {
            lock (owner._lock)
            {
                ClearIfAsked();
                outputs.Add(new JsonObject
                {
                    ["output_type"] = "error",
                    ["ename"] = error.Name,
                    ["evalue"] = error.Value,
                    ["traceback"] = new JsonArray(error.Traceback.Select(l => (JsonNode)l!).ToArray()),
                });
            }
        }
    }
}
