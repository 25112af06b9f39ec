using System.Text.Json;
using NotebookEngine.Documents;

namespace Interop.Tests;

/// <summary>A corpus notebook: where it came from and its C# code cells, in order.</summary>
public sealed record CorpusNotebook(string Repository, string Commit, string RepositoryPath, string License, string File, IReadOnlyList<string> CSharpCells)
{
    public string Name => $"{Repository}/{RepositoryPath}";
}

/// <summary>The public notebooks in Corpus/, listed by Corpus/manifest.json.</summary>
public static class Corpus
{
    public static string Folder => Path.Combine(AppContext.BaseDirectory, "Corpus");

    static readonly string[] OtherLanguages =
        ["fsharp", "f#", "pwsh", "powershell", "javascript", "js", "html", "markdown", "mermaid", "sql", "kql", "value", "http"];

    public static IReadOnlyList<CorpusNotebook> Notebooks()
    {
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "manifest.json")));
        return manifest.RootElement.GetProperty("notebooks").EnumerateArray().Select(e => new CorpusNotebook(
                e.GetProperty("repository").GetString()!, e.GetProperty("commit").GetString()!, e.GetProperty("path").GetString()!,
                e.GetProperty("license").GetString()!, e.GetProperty("file").GetString()!,
                CSharpCells(Notebook.Load(Path.Combine(Folder, e.GetProperty("file").GetString()!)))))
            .ToList();
    }

    /// <summary>
    /// The code cells .NET Interactive would send to its C# kernel: the cell's kernel (newer or older
    /// metadata, else the notebook's default) is C#, and no leading magic switches to another language.
    /// </summary>
    public static IReadOnlyList<string> CSharpCells(Notebook notebook)
    {
        var polyglot = notebook.Metadata["polyglot_notebook"]?["kernelInfo"]?["defaultKernelName"]?.GetValue<string>();
        var fallback = polyglot ?? (notebook.KernelName switch { ".net-fsharp" => "fsharp", ".net-powershell" => "pwsh", _ => "csharp" });
        return notebook.Cells.Where(c => c.IsCode).Where(c =>
        {
            var language = c.Metadata["polyglot_notebook"]?["kernelName"]?.GetValue<string>()
                           ?? c.Metadata["dotnet_interactive"]?["language"]?.GetValue<string>() ?? fallback;
            var first = c.Source.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0) ?? "";
            if (first.StartsWith("#!", StringComparison.Ordinal))
            {
                var magic = first[2..].Split(' ')[0].ToLowerInvariant();
                if (magic is "csharp" or "c#") language = "csharp";
                else if (OtherLanguages.Contains(magic)) language = magic;
            }
            return language.ToLowerInvariant() is "csharp" or "c#";
        }).Select(c => c.Source).ToList();
    }
}
