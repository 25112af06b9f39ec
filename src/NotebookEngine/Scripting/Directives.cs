using System.Text.RegularExpressions;

namespace NotebookEngine.Scripting;

/// <summary>A directive line of a cell, as .NET Interactive wrote them.</summary>
public abstract record Directive(int Line);

/// <summary><c>#r "nuget: Name, Version"</c>; no version means the newest stable one.</summary>
public sealed record PackageDirective(int Line, string Id, string? Version) : Directive(Line);

/// <summary><c>#r "path/to/assembly.dll"</c> or <c>#r "path/to/Project.csproj"</c>, relative to the notebook's folder.</summary>
public sealed record AssemblyDirective(int Line, string Path) : Directive(Line);

/// <summary><c>#i "nuget: source"</c>: a package source for later restores.</summary>
public sealed record SourceDirective(int Line, string Source) : Directive(Line);

/// <summary><c>#!time</c>: report the cell's wall time.</summary>
public sealed record TimeDirective(int Line) : Directive(Line);

/// <summary>A cell split into its directives and the C# left when their lines are blanked.</summary>
/// <param name="Code">The cell with every directive line emptied, so line numbers stay the cell's own.</param>
/// <param name="Directives">The directives in order.</param>
public sealed record ParsedCell(string Code, IReadOnlyList<Directive> Directives)
{
    /// <summary>Magic commands that switch a .NET Interactive cell to C#.</summary>
    static readonly HashSet<string> CSharpMagics = ["csharp", "c#", "C#"];

    /// <summary>Magic commands that name another of .NET Interactive's languages.</summary>
    static readonly HashSet<string> OtherLanguages = ["fsharp", "f#", "F#", "pwsh", "powershell", "javascript", "js", "html", "markdown", "md", "sql", "kql", "mermaid", "http", "python", "r"];

    static readonly Regex Quoted = new("^#(?<kind>[ri])\\s+\"(?<value>[^\"]*)\"\\s*$");

    /// <summary>Splits <paramref name="source"/>; an unknown or malformed directive gives a <see cref="DirectiveException"/>.</summary>
    public static ParsedCell Parse(string source)
    {
        var lines = source.Split('\n');
        var directives = new List<Directive>();
        for (var i = 0; i < lines.Length; i++)
        {
            if (!IsDirective(lines[i])) continue;
            var line = lines[i].Trim();
            if (line.StartsWith("#!", StringComparison.Ordinal))
            {
                var magic = line[2..].Split(' ', 2)[0].Trim();
                if (magic == "time") directives.Add(new TimeDirective(i + 1));
                else if (OtherLanguages.Contains(magic))
                    throw new DirectiveException(i + 1, $"'#!{magic}' switches to another language; this engine runs C# cells only");
                else if (!CSharpMagics.Contains(magic))
                    throw new DirectiveException(i + 1, $"unknown magic command '#!{magic}' (known: #!csharp, #!time)");
            }
            else
            {
                var match = Quoted.Match(line);
                if (!match.Success)
                    throw new DirectiveException(i + 1, $"'{line}' is not a directive this engine knows; expected #r \"nuget: Name, Version\", #r \"path.dll\" or #i \"nuget: source\"");
                directives.Add(Directive(i + 1, match.Groups["kind"].Value, match.Groups["value"].Value.Trim()));
            }
            lines[i] = lines[i].EndsWith('\r') ? "\r" : "";
        }
        return new ParsedCell(string.Join('\n', lines), directives);
    }

    /// <summary>
    /// True for a line the engine treats as a directive (<c>#r</c>, <c>#i</c>, <c>#!</c>) rather than C#;
    /// C#'s own <c>#region</c>, <c>#if</c> and the like stay C#.
    /// </summary>
    public static bool IsDirective(string line)
    {
        var text = line.TrimStart();
        if (text.StartsWith("#!", StringComparison.Ordinal)) return true;
        var word = text.Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        return word is "#r" or "#i";
    }

    static Directive Directive(int line, string kind, string value)
    {
        var isNuget = value.StartsWith("nuget:", StringComparison.OrdinalIgnoreCase);
        var rest = isNuget ? value["nuget:".Length..].Trim() : value;
        if (kind == "i")
            return isNuget && rest.Length > 0 ? new SourceDirective(line, rest)
                : throw new DirectiveException(line, $"#i \"{value}\": expected #i \"nuget: <package source>\"");
        if (!isNuget)
            return rest.Length > 0 ? new AssemblyDirective(line, rest) : throw new DirectiveException(line, "#r \"\": the path is empty");
        var parts = rest.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length > 2 || parts[0].Length == 0 || parts[0].Contains(' '))
            throw new DirectiveException(line, $"#r \"{value}\": expected #r \"nuget: Name\" or #r \"nuget: Name, Version\"");
        return new PackageDirective(line, parts[0], parts.Length == 2 && parts[1].Length > 0 ? parts[1] : null);
    }
}

/// <summary>A directive line the engine cannot honour.</summary>
public sealed class DirectiveException(int line, string message) : Exception(message)
{
    /// <summary>The line inside the cell, from 1.</summary>
    public int Line { get; } = line;
}
