using System.Text.RegularExpressions;

namespace NotebookEngine.Running;

/// <summary>
/// Regex replacements applied to both the stored and the new output before they are compared, so
/// that what differs on every run (ids, times, addresses) does not fail a test. The built-in ones
/// cover what the engine and its usual libraries print; a user adds their own with nbval's file
/// format (<see cref="Parse"/>). User patterns run first, on the text as printed.
/// </summary>
public sealed class Sanitizers
{
    readonly IReadOnlyList<(Regex Pattern, string Replacement)> _rules;
    readonly string _source;

    Sanitizers(IReadOnlyList<(Regex, string)> rules, string source) => (_rules, _source) = (rules, source);

    // The built-in patterns have no nested quantifiers, so they match in linear time and need no time limit;
    // compiled, they go through an output holding plotly.js (3.5 MB) in milliseconds.
    static Regex Rule(string pattern) => new(pattern, RegexOptions.CultureInvariant | RegexOptions.Compiled);

    /// <summary>How long a user's pattern may search one output: one that backtracks without end fails the test with a clear error instead of hanging it.</summary>
    public static readonly TimeSpan UserTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The built-in rules, in order.</summary>
    static readonly (Regex, string)[] BuiltIn =
    [
        // GUIDs (display ids, Plotly.NET's div ids, anything from Guid.NewGuid()).
        (Rule(@"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"), "GUID"),
        // Plotly.NET's render function, named after the chart's GUID without dashes.
        (Rule(@"renderPlotly_[0-9a-fA-F]{32}"), "renderPlotly_ID"),
        // Other random ids: 32 hex digits (Guid.ToString("N"), MD5 hashes) standing alone.
        (Rule(@"(?<![0-9A-Za-z])[0-9a-f]{32}(?![0-9A-Za-z])"), "ID"),
        // ISO 8601 timestamps, with or without a time zone; then DateTime's invariant form.
        (Rule(@"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?"), "TIMESTAMP"),
        (Rule(@"\b\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2}\b"), "TIMESTAMP"),
        // #!time's report.
        (Rule(@"Wall time: [0-9.]+ ms"), "Wall time: TIME"),
        // Memory addresses and handles.
        (Rule(@"\b0x[0-9a-fA-F]{6,16}\b"), "0xADDRESS"),
        // Roslyn's script class names count submissions, which shift when cells are added.
        (Rule(@"Submission#\d+"), "Submission#N"),
        // Anonymous types are numbered in order of use and carry their submission's number too.
        (Rule(@"<>f__AnonymousType\d+#\d+"), "<>f__AnonymousType#N"),
    ];

    /// <summary>Only the built-in rules.</summary>
    public static Sanitizers Default { get; } = new(BuiltIn, "the built-in sanitizers");

    /// <summary>
    /// The built-in rules after the pairs of nbval's sanitizer file format:
    /// <code>
    /// [regex1]
    /// regex: \d{1,2}/\d{1,2}/\d{2,4}
    /// replace: DATE-STAMP
    /// </code>
    /// (a <c>regex:</c> line directly followed by its <c>replace:</c> line; section headers are optional).
    /// Python's group references in a replacement (<c>\1</c>, <c>\g&lt;name&gt;</c>) work; a <c>$</c> is literal, as in Python.
    /// Throws a <see cref="FormatException"/> naming the line of a bad regex or of a file without any pair.
    /// </summary>
    public static Sanitizers Parse(string text, string source)
    {
        var lines = text.Replace("\r\n", "\n").Split('\n');
        var rules = new List<(Regex, string)>();
        for (var i = 0; i + 1 < lines.Length; i++)
        {
            if (!lines[i].StartsWith("regex: ", StringComparison.Ordinal) || !lines[i + 1].StartsWith("replace: ", StringComparison.Ordinal)) continue;
            Regex pattern;
            try { pattern = new Regex(lines[i]["regex: ".Length..], RegexOptions.CultureInvariant | RegexOptions.Compiled, UserTimeout); }
            catch (ArgumentException e) { throw new FormatException($"{source}, line {i + 1}: not a valid regular expression ({e.Message})"); }
            rules.Add((pattern, PythonReplacement(lines[i + 1]["replace: ".Length..])));
            i++;
        }
        if (rules.Count == 0)
            throw new FormatException($"{source}: no sanitizer found; each needs a line 'regex: <pattern>' followed by a line 'replace: <text>'");
        return new Sanitizers([.. rules, .. BuiltIn], source);
    }

    /// <summary>Applies every rule to <paramref name="text"/>.</summary>
    public string Apply(string text)
    {
        foreach (var (pattern, replacement) in _rules)
        {
            try { text = pattern.Replace(text, replacement); }
            catch (RegexMatchTimeoutException)
            {
                throw new FormatException($"{_source}: the sanitizer '{pattern}' took over {UserTimeout.TotalSeconds:0} s on an output of {text.Length} characters; " +
                                          "it backtracks too much (nested quantifiers such as (a+)+?): simplify it");
            }
        }
        return text;
    }

    static string PythonReplacement(string replacement) =>
        Regex.Replace(replacement.Replace("$", "$$"), @"\\g<(\w+)>|\\(\d+)", m => "${" + (m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value) + "}");
}
