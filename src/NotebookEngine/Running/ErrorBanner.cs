using System.Net;
using NotebookEngine.Documents;

namespace NotebookEngine.Running;

/// <summary>
/// papermill's way of showing where a run failed: a markdown cell at the top of the executed notebook
/// that links to an anchor cell right before the failing cell. Both carry papermill's tag, by which a
/// later run (of csnb or papermill) removes them before it starts.
/// </summary>
public static class ErrorBanner
{
    /// <summary>papermill's tag for its error cells.</summary>
    public const string Tag = "papermill-error-cell-tag";

    /// <summary>papermill's anchor id, so links written by either tool land on the cell.</summary>
    public const string Anchor = "papermill-error-cell";

    const string Style = "color:red; font-size:1.5em;";

    /// <summary>Removes the banner and anchor of an earlier run.</summary>
    public static void Remove(Notebook notebook)
    {
        for (var i = notebook.Cells.Count - 1; i >= 0; i--)
            if (notebook.Cells[i].Tags.Contains(Tag)) notebook.RemoveCell(i);
    }

    /// <summary>
    /// Adds the banner for the failing cell at <paramref name="index"/> (shown as <c>In [count]</c>),
    /// saying <paramref name="problem"/> (an error's "Name: value", or why the cell failed without one).
    /// </summary>
    public static void Add(Notebook notebook, int index, string problem)
    {
        var count = notebook.Cells[index].ExecutionCount?.ToString() ?? " ";
        notebook.InsertCell(index, Marked($"<span id=\"{Anchor}\" style=\"{Style}\">This cell failed and the run stopped here (unless told to continue):</span>"));
        notebook.InsertCell(0, Marked(
            $"<span style=\"{Style}\">The run failed at <a href=\"#{Anchor}\">In [{count}]</a>: {WebUtility.HtmlEncode(problem)}</span>"));
    }

    static Cell Marked(string source)
    {
        var cell = Cell.Markdown(source);
        cell.Metadata["tags"] = new System.Text.Json.Nodes.JsonArray(Tag);
        return cell;
    }
}
