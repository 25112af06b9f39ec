using System.Text.RegularExpressions;
using CenterLossKit.Charts;
using CenterLossKit.Data;
using CenterLossKit.Evaluation;
using CenterLossKit.Training;

namespace CenterLossKit.Tests;

public class ChartTests
{
    [Fact]
    public void A_feature_chart_page_holds_its_data_and_no_external_script()
    {
        float[] features = [1.25f, -2.5f, 3.75f, 4.5f];
        var chart = FeatureCharts.Scatter(features, 2, [0, 1], ["zero", "one"], [0.125f, 0.25f, 7.5f, 8.5f], "my features");
        var html = ChartHtml.Page(chart);
        Assert.Contains("\"x\":[1.25]", html);
        Assert.Contains("\"y\":[4.5]", html);
        Assert.Contains("\"name\":\"centres (labelled by class)\"", html);
        Assert.Contains("my features", html);
        Assert.Contains("Plotly.newPlot", html);
        Assert.DoesNotMatch(new Regex("<script[^>]+src=", RegexOptions.IgnoreCase), html);
        Assert.Contains(ChartHtml.PlotlyJs, html);
        Assert.DoesNotContain("http", html.Replace(ChartHtml.PlotlyJs, ""));
    }

    [Fact]
    public void Save_writes_the_page_atomically()
    {
        var path = Path.Combine(Path.GetTempPath(), $"roc-{Guid.NewGuid():N}.html");
        try
        {
            var chart = FeatureCharts.RocCurves([("centre distance", Roc.Compute([2, 3], [1, 2.5]))]);
            ChartHtml.Save(chart, path);
            var html = File.ReadAllText(path);
            Assert.Contains("AUROC 0.750", html);
            Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, Path.GetFileName(path) + ".*.tmp"));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void The_animation_has_one_slider_step_per_epoch_and_shows_the_last()
    {
        var snapshots = Enumerable.Range(1, 3).Select(e => new FeatureSnapshot(e, [e, 0, 0, e], 2, [0, 1], [0, 0, 1, 1])).ToList();
        var html = ChartHtml.Page(FeatureCharts.Animation(snapshots, ["a", "b"]));
        Assert.Equal(3, Regex.Matches(html, "\"method\":\"restyle\"").Count);
        Assert.Contains("\"active\":2", html);
        Assert.Contains("\"x\":[3.0]", html);
    }

    [Fact]
    public void An_image_grid_places_each_image_in_its_cell_with_a_gap()
    {
        // Three 2×2 images; two per row; 2-pixel gaps, so the mosaic is 8 wide and 8 high.
        var set = new ImageSet("tiny", [1, 2, 3, 4, 10, 20, 30, 40, 100, 101, 102, 103], [0, 1, 2], 2, 2, ["a", "b", "c"]);
        var json = Plotly.NET.GenericChart.toJson(FeatureCharts.Images(set, [2, 0, 1], columns: 2));
        var z = System.Text.Json.JsonDocument.Parse(json).RootElement.GetProperty("data")[0].GetProperty("z");
        double At(int y, int x) => z[y][x].GetDouble();
        Assert.Equal(8, z.GetArrayLength());
        Assert.Equal([100, 101, 0, 0, 1, 2, 0, 0], Enumerable.Range(0, 8).Select(x => At(0, x)));
        Assert.Equal([102, 103, 0, 0, 3, 4, 0, 0], Enumerable.Range(0, 8).Select(x => At(1, x)));
        Assert.Equal([10, 20, 0, 0, 0, 0, 0, 0], Enumerable.Range(0, 8).Select(x => At(4, x)));
        Assert.Throws<ArgumentOutOfRangeException>(() => FeatureCharts.Images(set, [3]));
    }

    [Fact]
    public void Side_by_side_charts_keep_both_data_sets_and_titles()
    {
        var left = FeatureCharts.Scatter([0.5f, 1.5f], 2, [0], ["only"]);
        var right = FeatureCharts.Scatter([2.25f, 3.75f], 2, [0], ["only"]);
        var html = ChartHtml.Page(FeatureCharts.SideBySide(left, right, "softmax only", "with center loss"));
        Assert.Contains("softmax only", html);
        Assert.Contains("with center loss", html);
        Assert.Contains("\"x\":[0.5]", html);
        Assert.Contains("\"x\":[2.25]", html);
        Assert.Contains("\"xaxis\":\"x2\"", html);
        Assert.Equal(2, Regex.Matches(html, "\"color\":\"rgba\\(31, 119, 180, 1.0\\)\"|\"color\":\"#1f77b4\"").Count); // class 0 has one colour in both
    }

    [Fact]
    public void Curves_and_histograms_carry_their_values()
    {
        var history = new[] { new EpochRecord(1, 2.5, 0.75, 2.575, 0.5, 0.625, 0.1, 1e-3, 1), new EpochRecord(2, 1.5, 0.25, 1.525, 0.875, 0.9375, 0.05, 5e-4, 1) };
        var curves = ChartHtml.Page(FeatureCharts.Curves(history));
        Assert.Contains("[0.625,0.9375]", curves);
        var histogram = ChartHtml.Page(FeatureCharts.DistanceHistogram([0.5, 1.5], [7.25], [1.75]));
        Assert.Contains("7.25", histogram);
        Assert.Contains("\"barmode\":\"overlay\"", histogram);
    }

    [Fact]
    public void An_OSCR_chart_names_each_curve_with_its_area_and_titles_its_axes()
    {
        var oscr = OpenSetMetrics.Oscr([3, 2, 0], [true, false, true], [1, 2]);
        var html = ChartHtml.Page(FeatureCharts.OscrCurves([("energy", oscr)], "near outsiders"));
        Assert.Contains("energy (OSCR 0.333)", html);
        Assert.Contains("false positive rate (outsiders accepted)", html);
        Assert.Contains("correct classification rate", html);
        Assert.Contains("near outsiders", html);
    }

    [Fact]
    public void A_projected_chart_draws_the_first_two_principal_components_with_one_legend_entry_per_class()
    {
        // ±2 along (0.6, 0.8, 0) for class a, ±1 along (−0.8, 0.6, 0) for class b, around (1, 2, 3); class c has no sample.
        var features = tensor(new float[] { 2.2f, 3.6f, 3, -0.2f, 0.4f, 3, 0.2f, 2.6f, 3, 1.8f, 1.4f, 3 }, [4, 3]);
        var json = Plotly.NET.GenericChart.toJson(FeatureCharts.Projected(features, tensor(new long[] { 0, 0, 1, 1 }), ["a", "b", "c"],
            centers: tensor(new float[] { 1, 2, 3 }, [1, 3]), outsiders: [("fashion", tensor(new float[] { 1.6f, 2.8f, 3 }, [1, 3]))]));
        var root = System.Text.Json.JsonDocument.Parse(json).RootElement;
        var traces = root.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(["fashion", "a", "b", "c", "centres (labelled by class)"], traces.Select(t => t.GetProperty("name").GetString()));
        double[] Values(int trace, string axis) => [.. traces[trace].GetProperty(axis).EnumerateArray().Select(v => Math.Round(v.GetDouble(), 5))];
        Assert.Equal([1.0], Values(0, "x"));   // one step along the first component
        Assert.Equal([2.0, -2.0], Values(1, "x"));
        Assert.Equal([0.0, 0.0], Values(1, "y"));
        Assert.Equal([-1.0, 1.0], Values(2, "y")); // the second component's sign makes its largest entry positive: (0.8, −0.6, 0)
        Assert.Empty(Values(3, "x"));
        Assert.Equal([0.0], Values(4, "x"));
        var layout = root.GetProperty("layout");
        Assert.StartsWith("principal component 1 (80", layout.GetProperty("xaxis").GetProperty("title").GetProperty("text").GetString());
        Assert.StartsWith("principal component 2 (20", layout.GetProperty("yaxis").GetProperty("title").GetProperty("text").GetString());
    }

    static System.Text.Json.JsonElement Json(Plotly.NET.GenericChart chart) =>
        System.Text.Json.JsonDocument.Parse(Plotly.NET.GenericChart.toJson(chart)).RootElement;

    // Every x and y axis of the layout (xaxis, xaxis2, …) with its title, "" when it has none.
    static Dictionary<string, string> AxisTitles(System.Text.Json.JsonElement root) =>
        root.GetProperty("layout").EnumerateObject().Where(p => Regex.IsMatch(p.Name, "^[xy]axis[0-9]*$"))
            .ToDictionary(p => p.Name, p => p.Value.TryGetProperty("title", out var t) && t.TryGetProperty("text", out var text) ? text.GetString() ?? "" : "");

    static readonly string[] Classes = ["a", "b"];
    static Plotly.NET.GenericChart TwoClasses(float shift) =>
        FeatureCharts.Scatter([0 + shift, 1, 2 + shift, 3, 4 + shift, 5], 2, [0, 1, 1], Classes, [0.5f, 1, 3, 4]);

    [Fact]
    public void Every_chart_with_axes_titles_both_of_them()
    {
        var history = new[] { new EpochRecord(1, 2.5, 900, 2.5, 0.5, 0.625, 0.1, 1e-3, 1), new EpochRecord(2, 1.5, 2400, 1.5, 0.875, 0.9375, 0.05, 5e-4, 1) };
        var snapshots = new[] { new FeatureSnapshot(1, [1, 0, 0, 1], 2, [0, 1], [0, 0, 1, 1]) };
        var charts = new Dictionary<string, (Plotly.NET.GenericChart Chart, int Axes)>
        {
            ["scatter"] = (TwoClasses(0), 2),
            ["side by side"] = (FeatureCharts.SideBySide(TwoClasses(0), TwoClasses(1), "left", "right"), 4),
            ["grid"] = (FeatureCharts.Grid([TwoClasses(0), TwoClasses(1), TwoClasses(2)], 2, ["1", "2", "3"]), 6),
            ["animation"] = (FeatureCharts.Animation(snapshots, Classes), 2),
            ["curves"] = (FeatureCharts.Curves(history), 6),
            ["histogram"] = (FeatureCharts.DistanceHistogram([0.5, 1.5], [7.25], [1.75]), 2),
            ["roc"] = (FeatureCharts.RocCurves([("distance", Roc.Compute([2, 3], [1, 2.5]))]), 2),
        };
        foreach (var (name, (chart, axes)) in charts)
        {
            var titles = AxisTitles(Json(chart));
            Assert.True(titles.Count == axes, $"{name}: {titles.Count} axes, expected {axes}");
            Assert.True(titles.Values.All(t => t.Length > 0), $"{name}: untitled axis among {string.Join(", ", titles.Select(t => $"{t.Key} '{t.Value}'"))}");
        }
        Assert.Equal("feature 1", AxisTitles(Json(TwoClasses(0)))["xaxis"]);
        Assert.Equal("epoch", AxisTitles(Json(FeatureCharts.Curves(history)))["xaxis3"]);
    }

    [Fact]
    public void The_centre_loss_is_drawn_on_its_own_axis_beside_the_cross_entropy()
    {
        // λ = 0: the tracked centre term grows to thousands while the cross-entropy is near 1.
        var history = new[] { new EpochRecord(1, 2.5, 900, 2.5, 0.5, 0.625, 0.1, 1e-3, 1), new EpochRecord(2, 1.5, 2400, 1.5, 0.875, 0.9375, 0.05, 5e-4, 1) };
        var traces = Json(FeatureCharts.Curves(history)).GetProperty("data").EnumerateArray()
            .ToDictionary(t => t.GetProperty("name").GetString()!, t => t.TryGetProperty("yaxis", out var axis) ? axis.GetString() : "y");
        Assert.Equal(traces["cross-entropy"], traces["total (cross-entropy + λ·center)"]);
        Assert.NotEqual(traces["cross-entropy"], traces["center loss (before λ)"]);
        Assert.NotEqual(traces["cross-entropy"], traces["test accuracy"]);
    }

    [Fact]
    public void Each_centre_is_labelled_with_its_class()
    {
        var centres = Json(TwoClasses(0)).GetProperty("data").EnumerateArray().Single(t => t.GetProperty("name").GetString()!.StartsWith("centres", StringComparison.Ordinal));
        Assert.Equal(Classes, centres.GetProperty("text").EnumerateArray().Select(t => t.GetString()));
        Assert.Contains("text", centres.GetProperty("mode").GetString());
        Assert.Equal([0.5, 3.0], centres.GetProperty("x").EnumerateArray().Select(v => v.GetDouble()));
    }

    [Fact]
    public void Side_by_side_charts_list_each_class_once_and_fit_the_page()
    {
        var left = TwoClasses(0);
        var right = TwoClasses(1);
        var (leftBefore, rightBefore) = (Plotly.NET.GenericChart.toJson(left), Plotly.NET.GenericChart.toJson(right));
        var root = Json(FeatureCharts.SideBySide(left, right, "softmax only", "with center loss"));
        var traces = root.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(6, traces.Count);
        var listed = traces.Where(t => !t.TryGetProperty("showlegend", out var show) || show.GetBoolean()).Select(t => t.GetProperty("name").GetString()).ToList();
        Assert.Equal(["a", "b", "centres (labelled by class)"], listed);
        // One legend group per name: clicking a class hides it in both charts.
        Assert.All(traces, t => Assert.Equal(t.GetProperty("name").GetString(), t.GetProperty("legendgroup").GetString()));
        Assert.InRange(root.GetProperty("layout").GetProperty("width").GetInt32(), 400, FeatureCharts.MaxWidth);
        // The charts passed in are left as they were (Plotly.NET's grid rewrites what it is given), so they can be drawn again.
        Assert.Equal(leftBefore, Plotly.NET.GenericChart.toJson(left));
        Assert.Equal(rightBefore, Plotly.NET.GenericChart.toJson(right));
        var again = AxisTitles(Json(FeatureCharts.Grid([left, right, left], 2, ["1", "2", "3"])));
        Assert.Equal(6, again.Count(t => t.Value.Length > 0));
    }

    [Fact]
    public void An_image_grid_grows_with_its_rows_and_keeps_its_pixels_square()
    {
        var set = new ImageSet("blank", new byte[30 * 28 * 28], new byte[30], 28, 28, ["x"]);
        (double Width, double Height, double Scale) PlotArea(int count)
        {
            var layout = Json(FeatureCharts.Images(set, [.. Enumerable.Range(0, count)], columns: 10)).GetProperty("layout");
            var margin = layout.GetProperty("margin");
            double width = layout.GetProperty("width").GetInt32() - margin.GetProperty("l").GetInt32() - margin.GetProperty("r").GetInt32();
            double height = layout.GetProperty("height").GetInt32() - margin.GetProperty("t").GetInt32() - margin.GetProperty("b").GetInt32();
            int rows = (count + 9) / 10;
            return (width, height, height / (rows * 30));
        }
        var one = PlotArea(10);
        var three = PlotArea(30);
        Assert.InRange(one.Scale, 2.5, 3);                  // a single row is about 84 px high, not a strip
        Assert.Equal(one.Scale, three.Scale, 2);
        Assert.Equal(3 * one.Height, three.Height, 0);
        Assert.Equal(one.Width / 300, one.Scale, 2);        // the same scale across, so scaleanchor does not shrink it
        var wide = Json(FeatureCharts.Images(set, [.. Enumerable.Range(0, 30)], columns: 30)).GetProperty("layout");
        Assert.InRange(wide.GetProperty("width").GetInt32(), 800, FeatureCharts.MaxWidth);
    }
}
