using CenterLossKit.Data;
using CenterLossKit.Evaluation;
using CenterLossKit.Training;
using Plotly.NET;
using static TorchSharp.torch;
using Plotly.NET.CSharp;
using Chart = Plotly.NET.CSharp.Chart;

namespace CenterLossKit.Charts;

/// <summary>The kit's figures, as Plotly.NET charts.</summary>
public static class FeatureCharts
{
    /// <summary>
    /// 2-D features coloured by class, with the class centres as black crosses (the tutorial's
    /// figures). Features of more dimensions show their first two.
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
        if (centers is not null) traces.Add(CenterTrace(centers, dim));
        return WithLayout(Chart.Combine(traces).WithSize(620, 560), ("title", Title(title)));
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
        var chart = Chart.Heatmap<double, int, int, string>(mosaic, ColorScale: StyleParam.Colorscale.Greys, ShowScale: false)
            .WithSize(Math.Min(1100, width * 3 + 80), Math.Min(900, height * 3 + 100));
        var hidden = new Dictionary<string, object> { ["visible"] = false };
        return WithLayout(chart, ("title", Title(title)), ("xaxis", hidden),
            ("yaxis", new Dictionary<string, object> { ["visible"] = false, ["autorange"] = "reversed", ["scaleanchor"] = "x" }));
    }

    /// <summary>The features (N, D) of a network on the device, coloured by labels (N), with centres (C, D) if given.</summary>
    public static GenericChart Scatter(Tensor features, Tensor labels, IReadOnlyList<string> classNames, Tensor? centers = null, string title = "features") =>
        Scatter(HostArrays.Floats(features), (int)features.shape[1], HostArrays.Bytes(labels), classNames,
            centers is null ? null : HostArrays.Floats(centers), title);

    /// <summary>Two charts next to each other (e.g. softmax only vs with center loss).</summary>
    public static GenericChart SideBySide(GenericChart left, GenericChart right, string leftTitle, string rightTitle) =>
        Grid([left, right], 2, [leftTitle, rightTitle]);

    /// <summary>Charts in rows of <paramref name="columns"/>, each under its title.</summary>
    public static GenericChart Grid(IReadOnlyList<GenericChart> charts, int columns, IReadOnlyList<string> titles)
    {
        if (charts.Count == 0 || titles.Count != charts.Count) throw new ArgumentException($"need one title per chart: {charts.Count} charts, {titles.Count} titles", nameof(titles));
        if (columns < 1) throw new ArgumentOutOfRangeException(nameof(columns), columns, "must be at least 1");
        var rows = (charts.Count + columns - 1) / columns;
        // The subplot titles name each chart; the grid itself has none (it would take the last chart's).
        return WithLayout(Chart.Grid(charts, rows, columns, SubPlotTitles: titles.ToArray()).WithSize(600 * columns, 560 * rows), ("title", Title("")));
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
            var group = ClassTraces(snap.Features, snap.Dim, snap.Labels, classNames).Append(CenterTrace(snap.Centers, snap.Dim)).ToList();
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
        return WithLayout(chart, ("title", Title(title)), ("sliders", new object[]
        {
            new Dictionary<string, object> { ["active"] = snapshots.Count - 1, ["currentvalue"] = new Dictionary<string, object> { ["prefix"] = "epoch " }, ["steps"] = steps },
        }));
    }

    /// <summary>Loss parts and accuracies per epoch, from the training history.</summary>
    public static GenericChart Curves(IReadOnlyList<EpochRecord> history, string title = "training")
    {
        var epochs = history.Select(r => (double)r.Epoch).ToArray();
        GenericChart Line(string name, Func<EpochRecord, double> value) =>
            Chart.Line<double, double, string>(epochs, history.Select(value).ToArray(), Name: name, ShowMarkers: true);
        var losses = Chart.Combine([Line("softmax", r => r.Softmax), Line("center", r => r.Center), Line("total", r => r.Total)]);
        var accuracy = Chart.Combine([Line("train accuracy", r => r.TrainAccuracy), Line("test accuracy", r => r.TestAccuracy)]);
        return WithLayout(Chart.Grid([losses, accuracy], 1, 2, SubPlotTitles: new[] { "loss", "accuracy" }).WithSize(1100, 450), ("title", Title(title)));
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
        return WithLayout(Chart.Combine([known, others, .. lines]).WithSize(800, 450), ("title", Title(title)), ("barmode", "overlay"));
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
        if (centers is not null) traces.Add(CenterTrace(HostArrays.Floats(pca.Transform(centers)), 2));
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

    static GenericChart WithAxes(GenericChart chart, string title, string xTitle, string yTitle) =>
        WithLayout(chart, ("title", Title(title)),
            ("xaxis", new Dictionary<string, object> { ["title"] = Title(xTitle) }),
            ("yaxis", new Dictionary<string, object> { ["title"] = Title(yTitle) }));

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

    static GenericChart CenterTrace(float[] centers, int dim)
    {
        int count = centers.Length / dim;
        return Chart.Point<double, double, string>(
            Enumerable.Range(0, count).Select(i => (double)centers[i * dim]).ToArray(),
            Enumerable.Range(0, count).Select(i => (double)centers[i * dim + 1]).ToArray(),
            Name: "centres", MarkerSymbol: StyleParam.MarkerSymbol.X, MarkerColor: Color.fromString("black"));
    }
}
