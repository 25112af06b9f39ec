using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Markdig;
using NotebookEngine.Documents;

namespace NotebookEngine.Running;

/// <summary>
/// A standalone HTML rendering of an executed notebook: markdown through Markdig, code with its
/// prompt, and outputs as the richest type each has. Charts carry their own plotly.js output, so
/// the page needs no network.
/// </summary>
public static class HtmlPage
{
    // Markdig's advanced set without generic attributes, which would take the braces of a formula
    // such as c_{y_i} for HTML attributes; Jupyter's markdown keeps them as text.
    static readonly MarkdownPipeline Markdown = new MarkdownPipelineBuilder()
        .UseAbbreviations().UseAutoIdentifiers().UseCitations().UseCustomContainers().UseDefinitionLists()
        .UseEmphasisExtras().UseFigures().UseFooters().UseFootnotes().UseGridTables().UseMathematics()
        .UseMediaLinks().UsePipeTables().UseListExtras().UseTaskLists().UseDiagrams().UseAutoLinks().Build();

    const string Style = """
        body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #1f2328; }
        .cell { margin: 1em 0; }
        .prompt { color: #57606a; font: 12px monospace; }
        pre { background: #f6f8fa; padding: .6em; overflow-x: auto; font-size: 13px; }
        pre.stderr { background: #fff5e6; }
        pre.error { background: #ffebe9; color: #82071e; }
        table { border-collapse: collapse; font-size: 13px; }
        th, td { border: 1px solid #d0d7de; padding: 2px 8px; text-align: right; }
        """;

    /// <summary>The page for <paramref name="notebook"/>, titled <paramref name="title"/>.</summary>
    public static string Render(Notebook notebook, string title)
    {
        var html = new StringBuilder()
            .Append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>").Append(Encode(title)).Append("</title>\n")
            .Append("<style>").Append(Style).Append("</style></head>\n<body>\n");
        foreach (var cell in notebook.Cells)
        {
            html.Append("<div class=\"cell\">\n");
            if (cell.CellType == "markdown") html.Append(Markdig.Markdown.ToHtml(cell.Source, Markdown));
            else if (cell.IsCode)
            {
                html.Append($"<div class=\"prompt\">In [{cell.ExecutionCount?.ToString() ?? " "}]:</div>\n")
                    .Append("<pre class=\"source\">").Append(Encode(cell.Source)).Append("</pre>\n");
                foreach (var output in cell.Outputs.OfType<JsonObject>()) html.Append(Output(output)).Append('\n');
            }
            html.Append("</div>\n");
        }
        return html.Append("</body></html>\n").ToString();
    }

    /// <summary>Writes <see cref="Render"/> to <paramref name="path"/> atomically.</summary>
    public static void Save(Notebook notebook, string path) =>
        AtomicFile.WriteAllText(path, Render(notebook, Path.GetFileNameWithoutExtension(path)));

    static string Output(JsonObject output)
    {
        switch ((string?)output["output_type"])
        {
            case "stream":
                var stream = (string?)output["name"] == "stderr" ? " stderr" : "";
                return $"<pre class=\"stream{stream}\">{Encode(Text.Join(output["text"]))}</pre>";
            case "error":
                var lines = ((JsonArray?)output["traceback"] ?? []).Select(l => (string?)l ?? "").ToList();
                var body = lines.Count > 0 ? string.Join('\n', lines) : $"{output["ename"]}: {output["evalue"]}";
                return $"<pre class=\"error\">{Encode(Reports.Ansi.Strip(body))}</pre>";
            default:
                if (output["data"] is not JsonObject data) return "";
                if (data["text/html"] is { } htmlText) return $"<div class=\"output\">{Text.Join(htmlText)}</div>";
                if (data["image/png"] is { } png) return $"<img src=\"data:image/png;base64,{Text.Join(png).Trim()}\">";
                if (data["image/svg+xml"] is { } svg) return Text.Join(svg);
                return $"<pre>{Encode(Text.Join(data["text/plain"]))}</pre>";
        }
    }

    static string Encode(string text) => WebUtility.HtmlEncode(text);
}
