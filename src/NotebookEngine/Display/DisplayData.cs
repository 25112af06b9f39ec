namespace NotebookEngine.Display;

/// <summary>
/// A MIME bundle: one rendering of a value per MIME type. Values the engine formats always have
/// text/plain; a bundle shown as given (a script from <c>Javascript()</c>) may have HTML only.
/// </summary>
public sealed record DisplayData(IReadOnlyDictionary<string, string> Data)
{
    /// <summary>The text/plain rendering, or "" if the bundle has none.</summary>
    public string PlainText => Data.GetValueOrDefault("text/plain") ?? "";

    /// <summary>The text/html rendering, if there is one.</summary>
    public string? Html => Data.GetValueOrDefault("text/html");

    /// <summary>A bundle with only text/plain.</summary>
    public static DisplayData Plain(string text) => new(new Dictionary<string, string> { ["text/plain"] = text });
}

/// <summary>
/// Where a running cell's outputs go. The notebook runner turns them into nbformat outputs; the
/// Jupyter kernel publishes them on iopub. Calls may come from any thread the cell started.
/// </summary>
public interface ICellOutput
{
    /// <summary>Text written to stdout or stderr (<paramref name="name"/> is "stdout" or "stderr").</summary>
    void Stream(string name, string text);

    /// <summary>A new displayed value, addressable later by <paramref name="displayId"/>.</summary>
    void Display(DisplayData data, string displayId);

    /// <summary>Replaces the value shown by an earlier <see cref="Display"/> with the same id.</summary>
    void UpdateDisplay(DisplayData data, string displayId);

    /// <summary>The value of the cell's trailing expression.</summary>
    void Result(DisplayData data);

    /// <summary>The cell failed: compile errors, an exception, a timeout or an interrupt.</summary>
    void Error(CellError error);

    /// <summary>Clears what the cell has shown so far; with <paramref name="wait"/>, only when its next output arrives (so a progress display does not flicker).</summary>
    void ClearOutput(bool wait);
}

/// <summary>A cell failure as Jupyter shows it: name, value and traceback lines.</summary>
public sealed record CellError(string Name, string Value, IReadOnlyList<string> Traceback);

/// <summary>
/// A cell output that can also answer the cell's requests for input (<c>Console.ReadLine</c>):
/// a front end that takes input. Outputs that do not implement it make such a read an error.
/// </summary>
public interface ICellInput
{
    /// <summary>A line typed by the user after <paramref name="prompt"/>; <paramref name="password"/> hides it. Blocks until it comes or <paramref name="cancellation"/> fires.</summary>
    /// <exception cref="NoInputException">This front end cannot answer.</exception>
    string ReadLine(string prompt, bool password, CancellationToken cancellation);

    /// <summary>
    /// As <see cref="ReadLine(string, bool, CancellationToken)"/>, for a value that has a
    /// <paramref name="name"/> (an <c>@input:</c> token of <c>#!set --name</c>), which a front end
    /// with no user (the headless runner) may answer from its parameters.
    /// </summary>
    string ReadLine(string prompt, bool password, string? name, CancellationToken cancellation) => ReadLine(prompt, password, cancellation);
}

/// <summary>A cell asked for input where nothing can answer it.</summary>
public sealed class NoInputException(string message) : InvalidOperationException(message);
