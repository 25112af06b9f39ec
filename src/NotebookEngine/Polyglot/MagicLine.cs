using System.Text;

namespace NotebookEngine.Polyglot;

/// <summary>
/// A magic command line as .NET Interactive writes them: <c>#!name</c>, then words and
/// <c>--option value</c> pairs; values may be quoted, and a value may be an <c>@input:</c> or
/// <c>@password:</c> token (answered by the user) or <c>@kernel:name</c> (another kernel's value).
/// </summary>
public sealed record MagicLine(int Line, string Name, IReadOnlyList<string> Words, IReadOnlyDictionary<string, string> Options)
{
    /// <summary>True for a line that is a magic command (<c>#!</c> first).</summary>
    public static bool Is(string line) => line.TrimStart().StartsWith("#!", StringComparison.Ordinal);

    /// <summary>Parses the magic on line <paramref name="line"/> (from 1).</summary>
    /// <exception cref="FormatException">A quote is not closed, or an option has no value.</exception>
    public static MagicLine Parse(int line, string text)
    {
        var tokens = Tokens(text.Trim()[2..]);
        if (tokens.Count == 0) throw new FormatException("'#!' names no magic command");
        var words = new List<string>();
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 1; i < tokens.Count; i++)
        {
            if (!tokens[i].StartsWith("--", StringComparison.Ordinal)) { words.Add(tokens[i]); continue; }
            if (i + 1 >= tokens.Count || tokens[i + 1].StartsWith("--", StringComparison.Ordinal))
                options[tokens[i][2..]] = "true"; // a flag such as --byref
            else options[tokens[i][2..]] = tokens[++i];
        }
        return new MagicLine(line, tokens[0], words, options);
    }

    /// <summary>The tokens of a value the user is asked for, and whether each hides what is typed.</summary>
    public static readonly IReadOnlyList<(string Token, bool Password)> InputTokens = [("@input:", false), ("@password:", true)];

    /// <summary>True for a value the user is asked for (<c>@input:…</c> or <c>@password:…</c>).</summary>
    public static bool AsksForInput(string value) => InputTokens.Any(t => value.StartsWith(t.Token, StringComparison.Ordinal));

    /// <summary>The value of option <paramref name="name"/>, or null.</summary>
    public string? Option(string name) => Options.GetValueOrDefault(name);

    /// <summary>The value of option <paramref name="name"/>.</summary>
    /// <exception cref="MagicException">The option is missing.</exception>
    public string Required(string name) => Option(name) ?? throw new MagicException(Line, $"#!{Name} needs --{name}");

    static List<string> Tokens(string text)
    {
        var tokens = new List<string>();
        var current = new StringBuilder();
        var quoted = false;
        var inToken = false;
        foreach (var c in text)
        {
            if (c == '"') { quoted = !quoted; inToken = true; current.Append(c); continue; }
            if (char.IsWhiteSpace(c) && !quoted)
            {
                if (inToken) tokens.Add(Unquote(current.ToString()));
                current.Clear();
                inToken = false;
                continue;
            }
            current.Append(c);
            inToken = true;
        }
        if (quoted) throw new FormatException("a quote is not closed");
        if (inToken) tokens.Add(Unquote(current.ToString()));
        return tokens;
    }

    // "a b" -> a b; @input:"Your name" keeps its quotes out too.
    static string Unquote(string token) => token.Replace("\"", "");
}
