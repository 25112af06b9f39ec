using Microsoft.AspNetCore.Html;
using Microsoft.DotNet.Interactive.Formatting;
using NotebookEngine.Display;

namespace NotebookEngine.Cells;

/// <summary>
/// What every cell sees as globals, named as in .NET Interactive's <c>Kernel</c>: <c>display(x)</c>,
/// <c>display(x, "text/html")</c>, <c>HTML("…")</c>, <c>Javascript("…")</c>, <c>CSS("…")</c>. The
/// namespace is imported into every session, so <c>x.Display()</c> works too.
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

    /// <summary>Shows <paramref name="value"/> formatted as exactly <paramref name="mimeTypes"/>, as .NET Interactive does.</summary>
    public Microsoft.DotNet.Interactive.Formatting.DisplayedValue display(object? value, params string[] mimeTypes) =>
        Microsoft.DotNet.Interactive.Kernel.display(value, mimeTypes);

    /// <summary>A password the user types after <paramref name="prompt"/>, hidden as they type it (Python's <c>getpass</c>).</summary>
    /// <exception cref="NoInputException">The front end takes no input (nbconvert, a headless run).</exception>
    public string getpass(string prompt = "Password: ") => ConsoleCapture.ReadLine(prompt, password: true);

    /// <summary>Raw HTML that displays as itself.</summary>
    public IHtmlContent HTML(string html) => Microsoft.DotNet.Interactive.Kernel.HTML(html);

    /// <summary>Runs <paramref name="script"/> in the page that shows the output.</summary>
    public void Javascript(string script) => Microsoft.DotNet.Interactive.Kernel.Javascript(script);

    /// <summary>Adds the style sheet <paramref name="css"/> to the page that shows the output.</summary>
    public void CSS(string css) => Microsoft.DotNet.Interactive.Kernel.CSS(css);
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

    // Display calls of the Formatting package (x.Display("text/html"), DisplayTable(), a handle's Update)
    // raise its event; this sends them to the running cell, as .NET Interactive's kernel does.
    static readonly Lazy<IDisposable> PackageDisplays = new(() => Formatter.SubscribeToDisplayedValues(ShowFormatted));

    // The package's own Display() shows one DisplayedValue and returns another, so the returned handle's
    // updates reach no output (as in .NET Interactive itself). Handles made here remember their output's id.
    static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Microsoft.DotNet.Interactive.Formatting.DisplayedValue, string> PackageIds = new();

    /// <summary>Sends this flow's display calls to <paramref name="target"/>.</summary>
    public static void Enter(Target target)
    {
        Formatters.Register();
        _ = PackageDisplays.Value;
        Current.Value = target;
    }

    static void ShowFormatted(Microsoft.DotNet.Interactive.Formatting.DisplayedValue shown)
    {
        if (Current.Value is not { } target)
        {
            Formatter.WriteToConsole(shown); // what the package does when no kernel listens
            return;
        }
        var data = new DisplayData(shown.FormattedValues.ToDictionary(v => v.MimeType, v => v.Value));
        if (!shown.IsUpdated) target.Output.Display(data, PackageIds.GetValue(shown, _ => Guid.NewGuid().ToString("N")));
        else if (PackageIds.TryGetValue(shown, out var id)) target.Output.UpdateDisplay(data, id);
    }

    /// <summary>Shows <paramref name="value"/> formatted as <paramref name="mimeTypes"/> (none: its preferred ones); the handle's updates replace this output.</summary>
    internal static Microsoft.DotNet.Interactive.Formatting.DisplayedValue ShowAs(object? value, string[] mimeTypes)
    {
        Formatters.Register();
        var shown = new Microsoft.DotNet.Interactive.Formatting.DisplayedValue(value, FormattedValue.CreateManyFromObject(value, mimeTypes));
        ShowFormatted(shown);
        return shown;
    }

    /// <summary>Shows an already formatted bundle as a new output of the running cell.</summary>
    internal static void ShowData(DisplayData data)
    {
        var target = Current.Value ?? throw new InvalidOperationException("display works only while a cell runs");
        target.Output.Display(data, Guid.NewGuid().ToString("N"));
    }

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
