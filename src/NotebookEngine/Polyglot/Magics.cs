using System.Net;
using System.Text;
using Microsoft.DotNet.Interactive.Formatting;
using NotebookEngine.Display;

namespace NotebookEngine.Polyglot;

/// <summary>The magic commands every cell language shares, with the outputs .NET Interactive gives them.</summary>
static class Magics
{
    public static async Task RunAsync(NotebookSession session, MagicLine magic, ICellLanguage language, ICellOutput output, CancellationToken cancellation)
    {
        switch (magic.Name)
        {
            case "time": break; // the session reports the cell's wall time at its end
            case "who": Who(session, output); break;
            case "whos": Whos(session, output); break;
            case "lsmagic": Show(output, LsMagic(session)); break;
            case "about": Show(output, About()); break;
            case "set":
                var name = magic.Required("name");
                var value = await ResolveAsync(session, magic, magic.Required("value"), name, output, cancellation).ConfigureAwait(false);
                await StoreAsync(session, magic, language, name, value, magic.Option("mime-type")).ConfigureAwait(false);
                break;
            case "share":
                var from = magic.Required("from");
                var shared = magic.Words.Count == 1 ? magic.Words[0] : throw new MagicException(magic.Line, "#!share names one value: #!share --from csharp x [--as y]");
                await StoreAsync(session, magic, language, magic.Option("as") ?? shared, Read(session, magic, from, shared), magic.Option("mime-type")).ConfigureAwait(false);
                break;
        }
    }

    /// <summary>
    /// A #!set value: itself, or an @input: / @password: token answered by the front end (the runner
    /// answers it from the parameter named by --name), or @kernel:name, another kernel's value.
    /// </summary>
    static async Task<object?> ResolveAsync(NotebookSession session, MagicLine magic, string value, string name, ICellOutput output, CancellationToken cancellation)
    {
        foreach (var (token, password) in MagicLine.InputTokens)
        {
            if (!value.StartsWith(token, StringComparison.Ordinal)) continue;
            var prompt = value[token.Length..];
            if (output is not ICellInput input)
                throw new MagicException(magic.Line, $"{token}{prompt} needs input, and this front end takes none");
            return await Task.Run(() => input.ReadLine(prompt.Length > 0 ? prompt : name, password, name, cancellation), cancellation).ConfigureAwait(false);
        }
        if (value.StartsWith('@') && value.IndexOf(':') is > 1 and var colon)
            return Read(session, magic, value[1..colon], value[(colon + 1)..]);
        return value;
    }

    static object? Read(NotebookSession session, MagicLine magic, string kernel, string name)
    {
        if (kernel is "value")
            return session.Values.TryGetValue(name, out var stored) ? stored.Value : throw new MagicException(magic.Line, $"the value store has no '{name}'");
        if (session.Knows(kernel) && session.Language(kernel) == session.Language("csharp"))
            return session.CSharp.Variables.FirstOrDefault(v => v.Name == name) is { } variable ? variable.Value
                : throw new MagicException(magic.Line, $"C# has no variable '{name}'");
        throw new MagicException(magic.Line, $"'{kernel}' is not a kernel of this engine (values come from csharp or value)");
    }

    static async Task StoreAsync(NotebookSession session, MagicLine magic, ICellLanguage language, string name, object? value, string? mimeType)
    {
        if (language == session.Language("value"))
        {
            session.Values[name] = new StoredValue(value?.ToString() ?? "", mimeType ?? "text/plain");
            return;
        }
        if (language != session.Language("csharp"))
            throw new MagicException(magic.Line, $"#!{magic.Name} sets values in C# or the value store, not in {language.Names[0]}");
        try { await session.CSharp.DefineAsync(name, value).ConfigureAwait(false); }
        catch (ArgumentException e) { throw new MagicException(magic.Line, e.Message); }
    }

    /// <summary>The names of the session's variables, as .NET Interactive's #!who shows them.</summary>
    static void Who(NotebookSession session, ICellOutput output)
    {
        var names = session.CSharp.Variables.Select(v => v.Name).ToArray();
        Show(output, new()
        {
            ["text/plain"] = string.Join('\t', names),
            ["text/html"] = $"<div>{names.Select(n => n + "\t ").ToArray().ToDisplayString("text/html")}</div>",
        });
    }

    /// <summary>The session's variables with their types and values, as .NET Interactive's #!whos shows them.</summary>
    static void Whos(NotebookSession session, ICellOutput output)
    {
        var variables = session.CSharp.Variables;
        var html = new StringBuilder("<table><thead><tr><th>Variable</th><th>Type</th><th>Value</th></tr></thead><tbody>");
        foreach (var v in variables)
            html.Append($"<tr><td>{WebUtility.HtmlEncode(v.Name)}</td><td>{v.Type.ToDisplayString("text/html")}</td><td>{v.Value.ToDisplayString("text/html")}</td></tr>");
        html.Append("</tbody></table>");
        var rows = variables.Select(v => (v.Name, Type: v.Type.ToString(), Value: OneLine(v.Value.ToDisplayString("text/plain")))).ToList();
        var (w1, w2) = (rows.Select(r => r.Name.Length).Append(8).Max(), rows.Select(r => r.Type.Length).Append(4).Max());
        var text = string.Join('\n', rows.Select(r => $"{r.Name.PadRight(w1)}  {r.Type.PadRight(w2)}  {r.Value}").Prepend($"{"Variable".PadRight(w1)}  {"Type".PadRight(w2)}  Value"));
        Show(output, new() { ["text/plain"] = text, ["text/html"] = html.ToString() });
    }

    static string OneLine(string text)
    {
        if (text.Length <= 80 && !text.Contains('\n')) return text;
        var first = text.Split('\n')[0].TrimEnd();
        return first[..Math.Min(77, first.Length)] + "…";
    }

    static Dictionary<string, string> LsMagic(NotebookSession session)
    {
        var known = Segment.Known(session).ToList();
        return new()
        {
            ["text/plain"] = "Magic commands: " + string.Join(" ", known),
            ["text/html"] = $"<div><strong>Magic commands</strong><ul>{string.Concat(known.Select(m => $"<li><code>{m}</code></li>"))}</ul></div>",
        };
    }

    static Dictionary<string, string> About()
    {
        var version = typeof(NotebookSession).Assembly.GetName().Version?.ToString(3) ?? "1.0.0";
        var text = $"csnb {version}: a C# notebook engine on Roslyn scripting, .NET {Environment.Version}; runs notebooks written for .NET Interactive (C#, html, javascript, markdown, mermaid and value cells).";
        return new() { ["text/plain"] = text, ["text/html"] = $"<p><strong>csnb {version}</strong>: a C# notebook engine on Roslyn scripting, .NET {Environment.Version}.</p><p>Runs notebooks written for .NET Interactive: C#, html, javascript, markdown, mermaid and value cells.</p>" };
    }

    static void Show(ICellOutput output, Dictionary<string, string> bundle) => output.Display(new DisplayData(bundle), Guid.NewGuid().ToString("N"));
}
