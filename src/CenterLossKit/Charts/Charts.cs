using CenterLossKit.Data;
using CenterLossKit.Evaluation;
using CenterLossKit.Training;
using Microsoft.FSharp.Core;
using Plotly.NET;
using static TorchSharp.torch;
using Plotly.NET.CSharp;
using Chart = Plotly.NET.CSharp.Chart;

namespace CenterLossKit.Charts;

/// <summary>The kit's figures, as Plotly.NET charts.</summary>
public static class FeatureCharts
{
    /// <summary>
    /// 2-D features coloured by class, with the class centres as black crosses labelled by class
    /// (the tutorial's figures). Features of more dimensions show their first two.
    /// </summary>
    /// <param name="features">Row-major (N, dim) features.</param>
    /// <param name="dim">Feature dimension (≥ 2).</param>
    /// <param name="labels">Class of each row.</param>
    /// <param name="classNames">Names by label.</param>
    /// <param name="centers">Row-major (C, dim) centres, or null.</param>
    /// <param name="title">Chart title.</param>
    public static GenericChart Scatter(float[] features, int dim, byte[] labels, IReadOnlyList<string> classNames,
        float[]? centers = null, string title = "features")
    {
        var traces = ClassTraces(features, dim, labels, classNames).ToList();
        if (centers is not null) traces.Add(CenterTrace(centers, dim, classNames));
        return WithAxes(Chart.Combine(traces).WithSize(620, 560), title, "feature 1", "feature 2");
    }

    /// <summary>
    /// Images of <paramref name="set"/> in a grid, <paramref name="columns"/> per row, as one
    /// grayscale heatmap (white strokes on black, as the datasets store them).
    /// </summary>
    public static GenericChart Images(ImageSet set, IReadOnlyList<int> indices, int columns = 10, string title = "images")
    {
        if (indices.Count == 0) throw new ArgumentException("no images to show", nameof(indices));
        if (columns < 1) throw new ArgumentOutOfRangeException(nameof(columns), columns, "must be at least 1");
        foreach (var index in indices)
            if (index < 0 || index >= set.Count) throw new ArgumentOutOfRangeException(nameof(indices), index, $"{set.Name} has {set.Count} images");
        const int gap = 2;
        int rows = (indices.Count + columns - 1) / columns, height = rows * (set.Rows + gap), width = columns * (set.Cols + gap);
        var mosaic = new double[height][];
        for (int y = 0; y < height; y++) mosaic[y] = new double[width];
        for (int k = 0; k < indices.Count; k++)
        {
            var pixels = set.Pixels(indices[k]);
            int top = k / columns * (set.Rows + gap), left = k % columns * (set.Cols + gap);
            for (int y = 0; y < set.Rows; y++)
                for (int x = 0; x < set.Cols; x++)
                    mosaic[top + y][left + x] = pixels[y * set.Cols + x];
        }
        // Each image pixel takes `scale` screen pixels (at most 3, fewer for wide grids), and the margins
        // are set here: plotly's defaults (180 px of height) would squeeze a single row to a strip.
        double scale = Math.Min(3, (MaxWidth - ImageMargin.Left - ImageMargin.Right) / (double)width);
        var chart = Chart.Heatmap<double, int, int, string>(mosaic, ColorScale: StyleParam.Colorscale.Greys, ShowScale: false)
            .WithSize((int)Math.Round(width * scale) + ImageMargin.Left + ImageMargin.Right, (int)Math.Round(height * scale) + ImageMargin.Top + ImageMargin.Bottom);
        var hidden = new Dictionary<string, object> { ["visible"] = false };
        return WithLayout(chart, ("title", Title(title)), ("xaxis", hidden),
            ("yaxis", new Dictionary<string, object> { ["visible"] = false, ["autorange"] = "reversed", ["scaleanchor"] = "x" }),
            ("margin", new Dictionary<string, object> { ["l"] = ImageMargin.Left, ["r"] = ImageMargin.Right, ["t"] = ImageMargin.Top, ["b"] = ImageMargin.Bottom }));
    }

    /// <summary>Widest figure the kit draws: fits the notebook page (1100 px, less padding) and a 1200 px window.</summary>
    public const int MaxWidth = 1040;

    // Room for the title above an image grid and a little around it.
    static readonly (int Left, int Right, int Top, int Bottom) ImageMargin = (10, 10, 50, 10);

    /// <summary>The features (N, D) of a network on the device, coloured by labels (N), with centres (C, D) if given.</summary>
    public static GenericChart Scatter(Tensor features, Tensor labels, IReadOnlyList<string> classNames, Tensor? centers = null, string title = "features") =>
        Scatter(HostArrays.Floats(features), (int)features.shape[1], HostArrays.Bytes(labels), classNames,
            centers is null ? null : HostArrays.Floats(centers), title);

    /// <summary>Two charts next to each other (e.g. softmax only vs with center loss).</summary>
    public static GenericChart SideBySide(GenericChart left, GenericChart right, string leftTitle, string rightTitle) =>
        Grid([left, right], 2, [leftTitle, rightTitle]);

    /// <summary>
    /// Charts in rows of <paramref name="columns"/>, each under its title and with its own axis titles.
    /// A legend entry (a class) appears once, and clicking it shows or hides that class in every chart.
    /// The grid is at most <see cref="MaxWidth"/> wide, the legend below it.
    /// </summary>
    public static GenericChart Grid(IReadOnlyList<GenericChart> charts, int columns, IReadOnlyList<string> titles)
    {
        if (charts.Count == 0 || titles.Count != charts.Count) throw new ArgumentException($"need one title per chart: {charts.Count} charts, {titles.Count} titles", nameof(titles));
        if (columns < 1) throw new ArgumentOutOfRangeException(nameof(columns), columns, "must be at least 1");
        var rows = (charts.Count + columns - 1) / columns;
        var seen = new HashSet<string>();
        // Chart.Grid rewrites the layouts and traces it is given: it gets copies, so the caller's charts stay as they were.
        var grouped = charts.Select(chart =>
        {
            var layout = new Layout();
            GenericChart.getLayout(chart).ShallowCopyDynamicPropertiesTo(layout, FSharpOption<bool>.None);
            return GenericChart.setLayout(layout, GenericChart.mapTrace(FuncConvert.FromFunc<Trace, Trace>(trace => InLegendGroup(trace, seen)), chart));
        }).ToList();
        int shown = Math.Min(columns, charts.Count), cell = Math.Min(560, MaxWidth / shown);
        // The subplot titles name each chart; the grid itself has none (it would take the last chart's).
        return Below(Chart.Grid(grouped, rows, columns, SubPlotTitles: titles.ToArray()), cell * shown, cell * rows + 60, ("title", Title("")));
    }

    // The legend in rows under the plots, clear of the x-axis titles: the plots keep the full width.
    static GenericChart Below(GenericChart chart, int width, int plotsHeight, params (string Name, object Value)[] properties)
    {
        const int top = 80, axisTitles = 60, legend = 50;
        var legendBox = new Dictionary<string, object> { ["orientation"] = "h", ["x"] = 0, ["y"] = -axisTitles / (double)plotsHeight, ["yanchor"] = "top" };
        var margin = new Dictionary<string, object> { ["t"] = top, ["b"] = axisTitles + legend, ["l"] = 70, ["r"] = 20 };
        return WithLayout(chart.WithSize(width, top + plotsHeight + axisTitles + legend), [.. properties, ("legend", legendBox), ("margin", margin)]);
    }

    // A copy of the trace in the legend group of its name, listed in the legend only the first time the name is seen.
    static Trace InLegendGroup(Trace trace, HashSet<string> seen)
    {
        // Of the trace's own class (Trace2D, …): Chart.Grid places traces by their class.
        var copy = (Trace)Activator.CreateInstance(trace.GetType(), trace.GetPropertyValue("type"))!;
        trace.ShallowCopyDynamicPropertiesTo(copy, FSharpOption<bool>.None);
        if (copy.TryGetPropertyValue("name") is { } some && some.Value is string name)
        {
            copy.SetProperty("legendgroup", name);
            if (!seen.Add(name)) copy.SetProperty("showlegend", false);
        }
        return copy;
    }

    /// <summary>
    /// Features over the epochs: one group of traces per snapshot and a slider that shows one epoch
    /// at a time (the last one first).
    /// </summary>
    public static GenericChart Animation(IReadOnlyList<FeatureSnapshot> snapshots, IReadOnlyList<string> classNames, string title = "features by epoch")
    {
        if (snapshots.Count == 0) throw new ArgumentException("no snapshots: train with SnapshotSamples > 0", nameof(snapshots));
        var traces = new List<GenericChart>();
        var owner = new List<int>();
        for (int s = 0; s < snapshots.Count; s++)
        {
            var snap = snapshots[s];
            var group = ClassTraces(snap.Features, snap.Dim, snap.Labels, classNames).Append(CenterTrace(snap.Centers, snap.Dim, classNames)).ToList();
            traces.AddRange(group.Select(t => t.WithTraceInfo(Visible: s == snapshots.Count - 1 ? StyleParam.Visible.True : StyleParam.Visible.False, ShowLegend: s == snapshots.Count - 1)));
            owner.AddRange(Enumerable.Repeat(s, group.Count));
        }
        var chart = Chart.Combine(traces).WithSize(680, 640);
        var steps = snapshots.Select((snap, s) => new Dictionary<string, object>
        {
            ["label"] = snap.Epoch.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["method"] = "restyle",
            ["args"] = new object[] { "visible", owner.Select(o => o == s).ToArray() },
        }).ToArray();
        return WithLayout(WithAxes(chart, title, "feature 1", "feature 2"), ("sliders", new object[]
        {
            new Dictionary<string, object> { ["active"] = snapshots.Count - 1, ["currentvalue"] = new Dictionary<string, object> { ["prefix"] = "epoch " }, ["steps"] = steps },
        }));
    }

    /// <summary>
    /// The loss parts and accuracies per epoch, from the training history, each on its own axis: the
    /// center loss (before λ) is on another scale than the cross-entropy, and with λ = 0 it is only
    /// tracked, free to grow to thousands.
    /// </summary>
    public static GenericChart Curves(IReadOnlyList<EpochRecord> history, string title = "training")
    {
        var epochs = history.Select(r => (double)r.Epoch).ToArray();
        GenericChart Line(string name, Func<EpochRecord, double> value, int colour) =>
            Chart.Line<double, double, string>(epochs, history.Select(value).ToArray(), Name: name, ShowMarkers: true, LineColor: CurveColor(colour));
        GenericChart Panel(GenericChart[] lines, string yTitle) => WithAxes(Chart.Combine(lines), "", "epoch", yTitle);
        var panels = new[]
        {
            Panel([Line("cross-entropy", r => r.Softmax, 0), Line("total (cross-entropy + λ·center)", r => r.Total, 1)], "mean loss per sample"),
            Panel([Line("center loss (before λ)", r => r.Center, 2)], "½·mean ‖f − c‖²"),
            Panel([Line("train accuracy", r => r.TrainAccuracy, 3), Line("test accuracy", r => r.TestAccuracy, 4)], "accuracy"),
        };
        // A wide gap between the panels: each has its own y-axis title and tick labels.
        return Below(Chart.Grid(panels, 1, 3, SubPlotTitles: new[] { "cross-entropy and total", "center loss", "accuracy" }, XGap: 0.16), MaxWidth, 300, ("title", Title(title)));
    }

    /// <summary>
    /// Histograms of a distance for in-distribution samples and outsiders, with the per-class
    /// thresholds as dotted vertical lines.
    /// </summary>
    public static GenericChart DistanceHistogram(IReadOnlyList<double> inDistribution, IReadOnlyList<double> outsiders,
        IReadOnlyList<double> thresholds, string title = "distance to the nearest centre")
    {
        var known = Chart.Histogram<double, double, string>(inDistribution.ToArray(), Name: "known classes", Opacity: 0.6, HistNorm: StyleParam.HistNorm.Probability);
        var others = Chart.Histogram<double, double, string>(outsiders.ToArray(), Name: "outsiders", Opacity: 0.6, HistNorm: StyleParam.HistNorm.Probability);
        var lines = thresholds.Select((t, i) => Chart.Line<double, double, string>(new[] { t, t }, new[] { 0.0, 0.25 },
            Name: i == 0 ? "thresholds T_i" : $"T_{i}", ShowLegend: i == 0, LineDash: StyleParam.DrawingStyle.Dot, LineColor: Color.fromString("black")));
        return WithLayout(WithAxes(Chart.Combine([known, others, .. lines]).WithSize(800, 450), title, "distance", "share of the images"), ("barmode", "overlay"));
    }

    /// <summary>ROC curves, each named with its AUROC in the legend.</summary>
    public static GenericChart RocCurves(IEnumerable<(string Name, RocCurve Curve)> curves, string title = "ROC: known classes vs outsiders")
    {
        var traces = curves.Select((c, i) => Chart.Line<double, double, string>(c.Curve.FalsePositiveRate, c.Curve.TruePositiveRate,
            Name: $"{c.Name} (AUROC {c.Curve.Auroc:F3})", LineColor: CurveColor(i))).ToList();
        traces.Add(Chart.Line<double, double, string>(new[] { 0.0, 1 }, new[] { 0.0, 1 }, Name: "chance", LineDash: StyleParam.DrawingStyle.Dash, LineColor: Color.fromString("grey")));
        return CurveLayout(Chart.Combine(traces), title, "true positive rate (known accepted)");
    }

    /// <summary>
    /// OSCR curves (known inputs accepted and correctly classified against outsiders accepted), each
    /// named with its area in the legend; a perfect rejector's curve runs flat at the closed-set accuracy.
    /// </summary>
    public static GenericChart OscrCurves(IEnumerable<(string Name, OscrCurve Curve)> curves, string title = "OSCR: known classes vs outsiders")
    {
        var traces = curves.Select((c, i) => Chart.Line<double, double, string>(c.Curve.FalsePositiveRate, c.Curve.CorrectClassificationRate,
            Name: $"{c.Name} (OSCR {c.Curve.Area:F3})", LineColor: CurveColor(i))).ToList();
        return CurveLayout(Chart.Combine(traces), title, "correct classification rate (known, accepted and right)");
    }

    /// <summary>
    /// Features of any dimension in their first two principal components (fitted on
    /// <paramref name="features"/>), coloured by class, with centres and outsiders projected the same
    /// way; the axis titles give each component's share of the variance.
    /// </summary>
    /// <param name="features">Features (N, D), D ≥ 2.</param>
    /// <param name="labels">Class of each row (N).</param>
    /// <param name="classNames">Names by label: one legend entry each.</param>
    /// <param name="centers">Centres (C, D), drawn as black crosses, or null.</param>
    /// <param name="outsiders">Groups of outsiders (name, features (M, D)), each drawn in a muted colour as one legend entry, or null.</param>
    /// <param name="title">Chart title.</param>
    public static GenericChart Projected(Tensor features, Tensor labels, IReadOnlyList<string> classNames, Tensor? centers = null,
        IReadOnlyList<(string Name, Tensor Features)>? outsiders = null, string title = "features: first two principal components")
    {
        using var pca = Pca.Fit(features, 2);
        using var scope = NewDisposeScope();
        var traces = new List<GenericChart>();
        foreach (var (group, (name, rows)) in (outsiders ?? []).Index())
        {
            var o = HostArrays.Floats(pca.Transform(rows));
            traces.Add(Chart.Point<double, double, string>(
                Enumerable.Range(0, o.Length / 2).Select(i => (double)o[2 * i]).ToArray(), Enumerable.Range(0, o.Length / 2).Select(i => (double)o[2 * i + 1]).ToArray(),
                Name: name, Opacity: 0.35, MarkerColor: Color.fromString(OutsiderPalette[group % OutsiderPalette.Length])));
        }
        traces.AddRange(ClassTraces(HostArrays.Floats(pca.Transform(features)), 2, HostArrays.Bytes(labels), classNames));
        if (centers is not null) traces.Add(CenterTrace(HostArrays.Floats(pca.Transform(centers)), 2, classNames));
        var share = pca.ExplainedVarianceRatio;
        return WithAxes(Chart.Combine(traces).WithSize(680, 580), title,
            $"principal component 1 ({share[0]:P0} of the variance)", $"principal component 2 ({share[1]:P0} of the variance)");
    }

    // Distinct colours: plotly's default sequence puts near-identical blues, purples and reds side by side.
    static Color CurveColor(int i) => Color.fromString(Palette[i % Palette.Length]);

    // ROC and OSCR curves climb from the left, so the bottom-right corner is empty: the legend goes there
    // and the plot keeps the chart's full width instead of sharing it with a long legend.
    static GenericChart CurveLayout(GenericChart chart, string title, string yTitle) =>
        WithLayout(WithAxes(chart.WithSize(720, 600), title, "false positive rate (outsiders accepted)", yTitle), ("legend", new Dictionary<string, object>
        {
            ["x"] = 0.99, ["y"] = 0.02, ["xanchor"] = "right", ["yanchor"] = "bottom", ["bgcolor"] = "rgba(255,255,255,0.8)",
        }));

    // Axis objects of Plotly.NET's own (not plain dictionaries), so Chart.Grid carries the titles over to each subplot.
    static GenericChart WithAxes(GenericChart chart, string title, string xTitle, string yTitle) =>
        WithLayout(chart.WithXAxisStyle<double, double, string>(TitleText: xTitle).WithYAxisStyle<double, double, string>(TitleText: yTitle), ("title", Title(title)));

    static Dictionary<string, object> Title(string text) => new() { ["text"] = text };

    // Layout properties Plotly.NET.CSharp has no wrapper for, set as plotly.js names them.
    static GenericChart WithLayout(GenericChart chart, params (string Name, object Value)[] properties)
    {
        var layout = GenericChart.getLayout(chart);
        foreach (var (name, value) in properties) layout.SetProperty(name, value);
        return GenericChart.setLayout(layout, chart);
    }

    static IEnumerable<GenericChart> ClassTraces(float[] features, int dim, byte[] labels, IReadOnlyList<string> classNames)
    {
        if (dim < 2) throw new ArgumentException($"need at least 2 feature dimensions to draw, got {dim}", nameof(dim));
        if (features.Length != labels.Length * dim)
            throw new ArgumentException($"{features.Length} feature values do not make {labels.Length} rows of {dim}", nameof(features));
        for (int c = 0; c < classNames.Count; c++)
        {
            var rows = Enumerable.Range(0, labels.Length).Where(i => labels[i] == c).ToArray();
            yield return Chart.Point<double, double, string>(
                rows.Select(i => (double)features[i * dim]).ToArray(), rows.Select(i => (double)features[i * dim + 1]).ToArray(),
                Name: classNames[c], MarkerSymbol: StyleParam.MarkerSymbol.Circle, Opacity: 0.6,
                MarkerColor: Color.fromString(Palette[c % Palette.Length]));
        }
    }

    // One colour per class, so a class looks the same in every chart, side by side included.
    static readonly string[] Palette =
        ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

    // Outsiders stay in the background: muted colours no class uses.
    static readonly string[] OutsiderPalette = ["#b0b0b0", "#d2b48c", "#8fbc8f"];

    // Black crosses, each labelled with its class's name: one legend entry for all, and any cross can be matched to its class.
    static GenericChart CenterTrace(float[] centers, int dim, IReadOnlyList<string> classNames)
    {
        int count = centers.Length / dim;
        if (count > classNames.Count) throw new ArgumentException($"{count} centres but {classNames.Count} class names", nameof(classNames));
        return Chart.Point<double, double, string>(
            Enumerable.Range(0, count).Select(i => (double)centers[i * dim]).ToArray(),
            Enumerable.Range(0, count).Select(i => (double)centers[i * dim + 1]).ToArray(),
            Name: "centres (labelled by class)", MarkerSymbol: StyleParam.MarkerSymbol.X, MarkerColor: Color.fromString("black"),
            MultiText: classNames.Take(count).ToArray(), TextPosition: StyleParam.TextPosition.TopRight);
    }
}
