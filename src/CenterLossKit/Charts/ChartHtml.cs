using Plotly.NET;

namespace CenterLossKit.Charts;

/// <summary>Self-contained HTML for Plotly.NET charts: plotly.js embedded, no CDN, renders offline.</summary>
public static class ChartHtml
{
    static readonly Lazy<string> Script = new(() =>
    {
        var assembly = typeof(GenericChart).Assembly;
        var name = assembly.GetManifestResourceNames().Single(n => n.StartsWith("Plotly.NET.plotly-", StringComparison.Ordinal) && n.EndsWith(".min.js", StringComparison.Ordinal));
        using var reader = new StreamReader(assembly.GetManifestResourceStream(name)!);
        return reader.ReadToEnd();
    });

    /// <summary>The plotly.js bundled with Plotly.NET.</summary>
    public static string PlotlyJs => Script.Value;

    /// <summary>A whole HTML page showing <paramref name="chart"/>, with plotly.js inlined.</summary>
    public static string Page(GenericChart chart, string title = "chart") =>
        $"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{System.Net.WebUtility.HtmlEncode(title)}</title>\n" +
        $"<script type=\"text/javascript\">{PlotlyJs}</script></head>\n<body>{GenericChart.toChartHTML(chart)}</body></html>\n";

    /// <summary>Writes <see cref="Page"/> to <paramref name="path"/> (temp file, then rename).</summary>
    public static void Save(GenericChart chart, string path, string? title = null)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(folder);
        var temp = path + "." + Environment.ProcessId + ".tmp";
        File.WriteAllText(temp, Page(chart, title ?? Path.GetFileNameWithoutExtension(path)));
        File.Move(temp, path, overwrite: true);
    }
}
