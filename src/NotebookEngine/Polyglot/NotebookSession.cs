using System.Diagnostics;
using System.Net;
using Microsoft.DotNet.Interactive.Formatting;
using NotebookEngine.Display;
using NotebookEngine.Scripting;

namespace NotebookEngine.Polyglot;

/// <summary>
/// A notebook's session as .NET Interactive runs one: C# in a scripting session, and html,
/// javascript, markdown, mermaid and value cells, each chosen by a <c>#!name</c> line (the runner
/// writes a cell's language from its metadata as that line, as .NET Interactive's front ends do); a
/// cell may switch language part-way. Magics work in every language: <c>#!who</c>, <c>#!whos</c>,
/// <c>#!set</c>, <c>#!share</c>, <c>#!time</c>, <c>#!lsmagic</c>, <c>#!about</c>, with
/// <c>@input:</c> and <c>@password:</c> tokens answered by the front end (or the runner's parameters).
/// </summary>
public sealed class NotebookSession : ICellExecutor
{
    readonly IReadOnlyDictionary<string, ICellLanguage> _languages;

    /// <summary>Starts an empty session.</summary>
    public NotebookSession(SessionOptions? options = null)
    {
        CSharp = new ScriptSession(options);
        _languages = CellLanguages.All(this).SelectMany(l => l.Names.Select(n => (n, l))).ToDictionary(x => x.n, x => x.l, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>The C# scripting session.</summary>
    public ScriptSession CSharp { get; }

    /// <summary>The value store (<c>#!value</c> cells, <c>#!set</c> and <c>#!share</c> with <c>value</c>).</summary>
    public Dictionary<string, StoredValue> Values { get; } = new(StringComparer.Ordinal);

    /// <inheritdoc/>
    public int ExecutionCount { get; private set; }

    /// <summary>The languages a cell can be in, by every name that selects them.</summary>
    public IEnumerable<string> LanguageNames => _languages.Keys;

    /// <summary>True if <paramref name="name"/> (csharp, C#, html, js, …) selects a language of this session.</summary>
    public bool Knows(string name) => _languages.ContainsKey(name);

    /// <inheritdoc/>
    public Task<CellStatus> ExecuteAsync(string source, ICellOutput output, TimeSpan? timeout = null, CancellationToken cancellation = default, string? language = null) =>
        ExecuteAsync(source, output, timeout, cancellation, language, executionCount: null);

    /// <summary>Runs a cell; with <paramref name="executionCount"/> the caller keeps the count (the Jupyter kernel).</summary>
    public async Task<CellStatus> ExecuteAsync(string source, ICellOutput output, TimeSpan? timeout, CancellationToken cancellation, string? language, int? executionCount)
    {
        var count = ExecutionCount = executionCount ?? ExecutionCount + 1;
        var clock = Stopwatch.StartNew();
        IReadOnlyList<Segment> segments;
        try { segments = Segment.Split(source, this, language ?? "csharp"); }
        catch (MagicException e) { return Failed(output, count, e); }
        foreach (var segment in segments)
        {
            foreach (var magic in segment.Magics)
            {
                try { await Magics.RunAsync(this, magic, segment.Language, output, cancellation).ConfigureAwait(false); }
                catch (MagicException e) { return Failed(output, count, e); }
                catch (NoInputException e) { return Failed(output, count, new MagicException(magic.Line, e.Message)); }
                catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
                {
                    output.Error(new CellError("Interrupted", $"cell [{count}] was interrupted", [$"cell [{count}] was interrupted"]));
                    return CellStatus.Interrupted;
                }
            }
            CellStatus status;
            try { status = await segment.Language.RunAsync(segment, output, count, timeout, cancellation).ConfigureAwait(false); }
            catch (MagicException e) { return Failed(output, count, e); }
            if (status != CellStatus.Ok) return status;
        }
        if (segments.Any(s => s.Magics.Any(m => m.Name == "time")))
            output.Stream("stdout", $"Wall time: {clock.Elapsed.TotalMilliseconds:0.###} ms\n");
        return CellStatus.Ok;
    }

    internal ICellLanguage Language(string name) => _languages[name];

    static CellStatus Failed(ICellOutput output, int count, MagicException e)
    {
        var text = $"cell [{count}], line {e.Line}: {e.Message}";
        output.Error(new CellError(e.ErrorName, text, [text]));
        return CellStatus.Error;
    }
}

/// <summary>A value in the value store, with the MIME type it was given.</summary>
public sealed record StoredValue(string Value, string MimeType);

/// <summary>A magic line that cannot be honoured: its line in the cell and why.</summary>
public class MagicException(int line, string message) : Exception(message)
{
    /// <summary>The line inside the cell, from 1.</summary>
    public int Line { get; } = line;

    /// <summary>The error's name in the cell's output.</summary>
    public virtual string ErrorName => "DirectiveError";
}

/// <summary>A cell in a language this engine does not run (F#, PowerShell, SQL, …).</summary>
public sealed class LanguageException(int line, string message) : MagicException(line, message)
{
    /// <inheritdoc/>
    public override string ErrorName => "LanguageError";
}

/// <summary>A run of a cell's lines in one language, with the magic lines that came before its code.</summary>
public sealed class Segment
{
    /// <summary>The segment's language.</summary>
    public ICellLanguage Language { get; private init; } = null!;

    /// <summary>The magic line that switched to the language (e.g. <c>#!value --name x</c>), if any.</summary>
    public MagicLine? Switch { get; private init; }

    /// <summary>Magic commands to run before the code, in order.</summary>
    public List<MagicLine> Magics { get; } = [];

    /// <summary>The segment's own lines; the cell's other lines are blank, so line numbers stay the cell's.</summary>
    public string[] Lines { get; private init; } = [];

    /// <summary>The segment's text (other lines blank).</summary>
    public string Text => string.Join('\n', Lines);

    /// <summary>The segment's own lines only, from its first to its last.</summary>
    public string Content
    {
        get
        {
            var own = Lines.Select((l, i) => (l, i)).Where(x => Owned[x.i]).Select(x => x.l).ToList();
            return string.Join('\n', own).Trim('\n');
        }
    }

    bool[] Owned { get; init; } = [];

    /// <summary>True when the segment has code or directives of its own.</summary>
    public bool HasCode => Lines.Where((_, i) => Owned[i]).Any(l => !string.IsNullOrWhiteSpace(l));

    static readonly HashSet<string> Shared = ["who", "whos", "set", "share", "time", "lsmagic", "about"];

    /// <summary>.NET Interactive's other languages, which this engine does not run.</summary>
    static readonly HashSet<string> OtherLanguages = new(StringComparer.OrdinalIgnoreCase) { "fsharp", "f#", "pwsh", "powershell", "sql", "kql", "http", "python", "r" };

    static string Unsupported(string language, NotebookSession session) =>
        $"'{language}' is a language this engine does not run; it runs {string.Join(", ", session.LanguageNames.Where(n => n is "csharp" or "html" or "javascript" or "markdown" or "mermaid" or "value"))} cells";

    /// <summary>Splits <paramref name="source"/> at its language lines; the first segment is C# unless the cell says otherwise.</summary>
    /// <exception cref="MagicException">An unknown magic command, or one that cannot be parsed.</exception>
    public static IReadOnlyList<Segment> Split(string source, NotebookSession session, string language)
    {
        if (!session.Knows(language)) throw new LanguageException(1, Unsupported(language, session));
        var lines = source.Split('\n');
        var segments = new List<(ICellLanguage Language, MagicLine? Switch, List<MagicLine> Magics, bool[] Owned)>();
        (ICellLanguage Language, MagicLine? Switch, List<MagicLine> Magics, bool[] Owned) current = (session.Language(language), null, [], new bool[lines.Length]);
        segments.Add(current);
        for (var i = 0; i < lines.Length; i++)
        {
            if (!MagicLine.Is(lines[i])) { current.Owned[i] = true; continue; }
            MagicLine magic;
            try { magic = MagicLine.Parse(i + 1, lines[i]); }
            catch (FormatException e) { throw new MagicException(i + 1, e.Message); }
            if (session.Knows(magic.Name))
            {
                // A cell whose first code is a language line is wholly in that language.
                var empty = !current.Owned.Any(o => o) && current.Magics.Count == 0 && segments.Count == 1;
                current = (session.Language(magic.Name), magic, [], new bool[lines.Length]);
                if (empty) segments[0] = current; else segments.Add(current);
            }
            else if (Shared.Contains(magic.Name)) current.Magics.Add(magic);
            else if (OtherLanguages.Contains(magic.Name)) throw new LanguageException(i + 1, Unsupported(magic.Name, session));
            else throw new MagicException(i + 1, $"unknown magic command '#!{magic.Name}' (known: {string.Join(", ", Known(session))})");
        }
        return segments.Select(s => new Segment
        {
            Language = s.Language, Switch = s.Switch, Owned = s.Owned,
            Lines = lines.Select((l, i) => s.Owned[i] ? l : (l.EndsWith('\r') ? "\r" : "")).ToArray(),
        }.WithMagics(s.Magics)).ToList();
    }

    /// <summary>Every magic this session knows, as #!lsmagic lists them.</summary>
    public static IEnumerable<string> Known(NotebookSession session) =>
        session.LanguageNames.Concat(Shared).Order(StringComparer.Ordinal).Select(n => "#!" + n);

    Segment WithMagics(List<MagicLine> magics)
    {
        Magics.AddRange(magics);
        return this;
    }
}

/// <summary>One language a cell can be in.</summary>
public interface ICellLanguage
{
    /// <summary>The names that select it (<c>#!name</c>, cell metadata).</summary>
    IReadOnlyList<string> Names { get; }

    /// <summary>Runs the segment; <paramref name="count"/> is the cell's execution count.</summary>
    Task<CellStatus> RunAsync(Segment segment, ICellOutput output, int count, TimeSpan? timeout, CancellationToken cancellation);
}
