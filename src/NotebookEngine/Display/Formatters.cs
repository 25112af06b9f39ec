using System.Net;
using System.Text;
using Microsoft.Data.Analysis;
using Microsoft.DotNet.Interactive.Formatting;
using Plotly.NET;

namespace NotebookEngine.Display;

/// <summary>
/// Turns values into MIME bundles through Microsoft.DotNet.Interactive.Formatting, with the
/// engine's own formatters for Plotly.NET charts and DataFrames registered once per process.
/// </summary>
public static class Formatters
{
    /// <summary>Rows of a DataFrame shown in its HTML table.</summary>
    public const int DataFrameRows = 20;

    static readonly Lazy<bool> Registered = new(() =>
    {
        Formatter.Register<GenericChart>(chart => GenericChart.toChartHTML(chart), "text/html");
        Formatter.Register<GenericChart>(_ => "Plotly.NET chart", "text/plain");
        // The figure itself, for front ends that draw Plotly natively (JupyterLab, VS Code); the HTML stays for the others.
        Formatter.Register<GenericChart>(chart => GenericChart.toFigureJson(chart), PlotlyMimeType);
        Formatter.SetPreferredMimeTypesFor(typeof(GenericChart), "text/html", PlotlyMimeType);
        Formatter.Register<DataFrame>(DataFrameHtml, "text/html");
        Formatter.Register<DataFrame>(DataFramePlain, "text/plain");
        Formatter.SetPreferredMimeTypesFor(typeof(DataFrame), "text/html");
        // As .NET Interactive's notebook front ends set it, so display(text, mimeTypes…) formats the same.
        Formatter.SetPreferredMimeTypesFor(typeof(string), PlainTextFormatter.MimeType);
        return true;
    });

    /// <summary>The MIME type of a Plotly figure's JSON, which JupyterLab and VS Code render with their own Plotly.</summary>
    public const string PlotlyMimeType = "application/vnd.plotly.v1+json";

    /// <summary>
    /// text/plain always, and every MIME type the value prefers, as the Formatting package gives them
    /// to .NET Interactive (numbers as <c>dni-plaintext</c> HTML, objects as tables, strings as text
    /// only, a chart as HTML and its Plotly figure, …).
    /// </summary>
    public static DisplayData Format(object? value)
    {
        _ = Registered.Value;
        if (value is null) return DisplayData.Plain("<null>");
        var data = new Dictionary<string, string> { ["text/plain"] = value.ToDisplayString("text/plain") };
        foreach (var mimeType in Formatter.GetPreferredMimeTypesFor(value.GetType()))
            data[mimeType] = value.ToDisplayString(mimeType);
        return new DisplayData(data);
    }

    /// <summary>Makes the engine's formatters known; the Formatting package's own display calls need them too.</summary>
    public static void Register() => _ = Registered.Value;

    /// <summary>True for values whose HTML needs plotly.js in the page.</summary>
    public static bool NeedsPlotly(object? value) => value is GenericChart;

    /// <summary>
    /// plotly.js as an output of its own, shown once before a session's first chart, so charts work
    /// offline and a later update of a chart output cannot remove the library.
    /// </summary>
    public static DisplayData PlotlyLibrary() => new(new Dictionary<string, string>
    {
        ["text/plain"] = $"(plotly.js {Plotly.Version} for the charts below)",
        // Hiding `define` makes plotly's UMD wrapper set window.Plotly even where require.js is loaded.
        ["text/html"] = $"<script type=\"text/javascript\">(function(define){{{Plotly.Source}\n}})(undefined);</script>",
    });

    static string DataFrameHtml(DataFrame frame)
    {
        var (names, rows) = Cells(frame);
        var html = new StringBuilder("<table><thead><tr>");
        foreach (var name in names) html.Append("<th>").Append(WebUtility.HtmlEncode(name)).Append("</th>");
        html.Append("</tr></thead><tbody>");
        foreach (var row in rows)
        {
            html.Append("<tr>");
            foreach (var cell in row) html.Append("<td>").Append(WebUtility.HtmlEncode(cell)).Append("</td>");
            html.Append("</tr>");
        }
        html.Append("</tbody></table>");
        return html.Append($"<p>{Shape(frame, rows.Count)}</p>").ToString();
    }

    static string DataFramePlain(DataFrame frame)
    {
        var (names, rows) = Cells(frame);
        var widths = names.Select((n, c) => rows.Select(r => r[c].Length).Append(n.Length).Max()).ToList();
        string Line(IEnumerable<string> cells) => string.Join("  ", cells.Select((v, c) => v.PadLeft(widths[c]))).TrimEnd();
        return string.Join('\n', rows.Select(Line).Prepend(Line(names)).Append(Shape(frame, rows.Count)));
    }

    /// <summary>Column names and the first rows' values as text; numbers to six significant digits.</summary>
    static (List<string> Names, List<string[]> Rows) Cells(DataFrame frame)
    {
        var culture = System.Globalization.CultureInfo.InvariantCulture;
        string Text(object? value) => value switch
        {
            null => "",
            double d => d.ToString("G6", culture),
            float f => f.ToString("G6", culture),
            _ => Convert.ToString(value, culture) ?? "",
        };
        var shown = (int)Math.Min(frame.Rows.Count, DataFrameRows);
        var rows = Enumerable.Range(0, shown).Select(r => frame.Columns.Select(c => Text(c[r])).ToArray()).ToList();
        return (frame.Columns.Select(c => c.Name).ToList(), rows);
    }

    static string Shape(DataFrame frame, int shown) =>
        $"{frame.Rows.Count} rows × {frame.Columns.Count} columns" + (frame.Rows.Count > shown ? $", first {shown} shown" : "");

    /// <summary>The plotly.js that Plotly.NET embeds as a resource.</summary>
    static class Plotly
    {
        static readonly string ResourceName = typeof(GenericChart).Assembly.GetManifestResourceNames()
            .Single(n => n.StartsWith("Plotly.NET.plotly-", StringComparison.Ordinal) && n.EndsWith(".min.js", StringComparison.Ordinal));

        public static readonly string Version = ResourceName["Plotly.NET.plotly-".Length..^".min.js".Length];

        static readonly Lazy<string> Script = new(() =>
        {
            using var reader = new StreamReader(typeof(GenericChart).Assembly.GetManifestResourceStream(ResourceName)!);
            return reader.ReadToEnd();
        });

        public static string Source => Script.Value;
    }
}
