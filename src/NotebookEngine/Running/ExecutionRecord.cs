using System.Globalization;
using System.Text.Json.Nodes;
using NotebookEngine.Documents;

namespace NotebookEngine.Running;

/// <summary>
/// Timing and status written into the executed notebook as papermill records them, so tools that
/// read papermill's output (scrapbook, dashboards, a reviewer's eye) read the kit's too: per cell
/// <c>metadata.papermill</c> {start_time, end_time, duration, status, exception} and, for the whole
/// notebook, the same times and whether a cell failed. Code cells also get nbclient's
/// <c>metadata.execution</c>, which JupyterLab's execute-time display reads.
/// </summary>
public static class ExecutionRecord
{
    /// <summary>papermill's cell statuses.</summary>
    public const string Pending = "pending", Running = "running", Completed = "completed", Failed = "failed";

    /// <summary>Every cell pending, no times yet, as papermill leaves a notebook before it runs.</summary>
    public static void Reset(Notebook notebook, IReadOnlyDictionary<string, string> parameters)
    {
        var record = new JsonObject();
        foreach (var (name, value) in parameters) record[name] = value;
        notebook.Metadata["papermill"] = new JsonObject
        {
            ["parameters"] = record,
            ["start_time"] = null,
            ["end_time"] = null,
            ["duration"] = null,
            ["exception"] = null,
        };
        foreach (var cell in notebook.Cells)
        {
            cell.Metadata["papermill"] = new JsonObject
            {
                ["exception"] = null,
                ["start_time"] = null,
                ["end_time"] = null,
                ["duration"] = null,
                ["status"] = Pending,
            };
            cell.Metadata.Remove("execution");
        }
    }

    /// <summary>The notebook starts running at <paramref name="time"/>.</summary>
    public static void NotebookStarted(Notebook notebook, DateTimeOffset time) => Papermill(notebook.Metadata)["start_time"] = Iso(time);

    /// <summary>A cell starts running at <paramref name="time"/>.</summary>
    public static void CellStarted(Cell cell, DateTimeOffset time)
    {
        var record = Papermill(cell.Metadata);
        record["start_time"] = Iso(time);
        record["status"] = Running;
        record["exception"] = false;
    }

    /// <summary>
    /// A cell has run from <paramref name="start"/> to <paramref name="end"/>: <paramref name="raised"/>
    /// says whether it ended in an error, <paramref name="failed"/> whether that (or its absence) fails it.
    /// </summary>
    public static void CellFinished(Notebook notebook, Cell cell, DateTimeOffset start, DateTimeOffset end, bool raised, bool failed)
    {
        var record = Papermill(cell.Metadata);
        record["end_time"] = Iso(end);
        record["duration"] = Seconds(start, end);
        record["status"] = failed ? Failed : Completed;
        record["exception"] = raised && failed;
        if (failed) Papermill(notebook.Metadata)["exception"] = true;
        // nbclient's keys; the runner sees one start and one end, so busy/input and reply/idle share them.
        cell.Metadata["execution"] = new JsonObject
        {
            ["iopub.status.busy"] = Iso(start),
            ["iopub.execute_input"] = Iso(start),
            ["shell.execute_reply"] = Iso(end),
            ["iopub.status.idle"] = Iso(end),
        };
    }

    /// <summary>The notebook has finished at <paramref name="time"/>.</summary>
    public static void NotebookFinished(Notebook notebook, DateTimeOffset start, DateTimeOffset time)
    {
        var record = Papermill(notebook.Metadata);
        record["end_time"] = Iso(time);
        record["duration"] = Seconds(start, time);
        record["exception"] ??= false;
    }

    static JsonObject Papermill(JsonObject metadata) => metadata["papermill"] as JsonObject ?? (JsonObject)(metadata["papermill"] = new JsonObject());

    /// <summary>
    /// The seconds between two times as written (to the microsecond), so that a duration is the
    /// difference of the start and end times the record shows.
    /// </summary>
    static double Seconds(DateTimeOffset start, DateTimeOffset end) => (Micro(end) - Micro(start)).TotalSeconds;

    static DateTimeOffset Micro(DateTimeOffset time) => new(time.Ticks - time.Ticks % 10, time.Offset);

    /// <summary>ISO 8601 in UTC with microseconds, as papermill's <c>isoformat()</c> writes it.</summary>
    static string Iso(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'+00:00'", CultureInfo.InvariantCulture);
}
