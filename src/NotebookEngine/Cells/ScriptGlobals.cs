using Microsoft.AspNetCore.Html;
using NotebookEngine.Display;

namespace NotebookEngine.Cells;

/// <summary>
/// What every cell sees as globals, named as in .NET Interactive: <c>display(x)</c> and
/// <c>HTML("…")</c>. The namespace is imported into every session, so <c>x.Display()</c> works too.
/// </summary>
public sealed class ScriptGlobals
{
    /// <summary>Shows <paramref name="value"/> as a new output of the running cell; the handle can replace it later.</summary>
    public DisplayedValue display(object? value) => Displays.Show(value);

    /// <summary>
    /// Clears the running cell's output, as IPython's <c>clear_output</c>; with <paramref name="wait"/>,
    /// only when the next output arrives, so a display redrawn in a loop does not flicker.
    /// </summary>
    public void clear_output(bool wait = false) => Displays.Clear(wait);

    /// <summary>Raw HTML that displays as itself.</summary>
    public IHtmlContent HTML(string html) => new HtmlString(html);
}

/// <summary><c>value.Display()</c>, as in .NET Interactive.</summary>
public static class DisplayExtensions
{
    /// <summary>Shows <paramref name="value"/> as a new output of the running cell.</summary>
    public static DisplayedValue Display(this object? value) => Displays.Show(value);
}

/// <summary>A shown output that can be replaced in place, e.g. a progress line during training.</summary>
public sealed class DisplayedValue
{
    readonly Displays.Target _target;

    internal DisplayedValue(Displays.Target target, string displayId)
    {
        _target = target;
        DisplayId = displayId;
    }

    /// <summary>The id front ends use to find this output (Jupyter's transient display_id).</summary>
    public string DisplayId { get; }

    /// <summary>Replaces the shown value with <paramref name="value"/>; a saved notebook keeps the last one.</summary>
    public void Update(object? value) => Displays.Update(_target, DisplayId, value);
}

/// <summary>Routes display calls to the output of the cell running on the current logical flow.</summary>
public static class Displays
{
    /// <summary>A cell's output plus the session state that display needs (whether plotly.js was shown).</summary>
    public sealed class Target(ICellOutput output, Func<bool> firstChart)
    {
        internal ICellOutput Output { get; } = output;
        internal Func<bool> FirstChart { get; } = firstChart;
    }

    static readonly AsyncLocal<Target?> Current = new();

    /// <summary>Sends this flow's display calls to <paramref name="target"/>.</summary>
    public static void Enter(Target target) => Current.Value = target;

    internal static DisplayedValue Show(object? value)
    {
        var target = Current.Value ?? throw new InvalidOperationException("display() works only while a cell runs");
        ShowLibraryIfFirstChart(target, value);
        var id = Guid.NewGuid().ToString("N");
        target.Output.Display(Formatters.Format(value), id);
        return new DisplayedValue(target, id);
    }

    internal static void Update(Target origin, string displayId, object? value)
    {
        // An update from a later cell belongs to that cell's request; front ends find the output by id.
        var target = Current.Value ?? origin;
        ShowLibraryIfFirstChart(target, value);
        target.Output.UpdateDisplay(Formatters.Format(value), displayId);
    }

    internal static void Clear(bool wait)
    {
        var target = Current.Value ?? throw new InvalidOperationException("clear_output() works only while a cell runs");
        target.Output.ClearOutput(wait);
    }

    internal static void Result(Target target, object? value)
    {
        ShowLibraryIfFirstChart(target, value);
        target.Output.Result(Formatters.Format(value));
    }

    static void ShowLibraryIfFirstChart(Target target, object? value)
    {
        if (Formatters.NeedsPlotly(value) && target.FirstChart())
            target.Output.Display(Formatters.PlotlyLibrary(), Guid.NewGuid().ToString("N"));
    }
}
