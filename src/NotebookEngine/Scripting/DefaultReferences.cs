using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using Microsoft.CodeAnalysis;
using NotebookEngine.Cells;

namespace NotebookEngine.Scripting;

/// <summary>
/// The references every session starts with, resolved to files once per process: the whole shared
/// framework (what a project targeting it sees) and the display libraries the engine carries, with
/// the assemblies they use. Roslyn reuses its symbols for resolved references from one cell to the
/// next; references by name (Roslyn's script defaults) are resolved again for every cell, which made
/// a trivial cell cost two to three times as much.
/// </summary>
static class DefaultReferences
{
    static readonly Lazy<ImmutableArray<MetadataReference>> Resolved = new(Resolve);

    /// <summary>The references, in no particular order.</summary>
    public static ImmutableArray<MetadataReference> All => Resolved.Value;

    static ImmutableArray<MetadataReference> Resolve()
    {
        var framework = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var files = Directory.EnumerateFiles(framework, "*.dll").Where(IsAssembly).ToList();

        // The engine's display libraries and what they reference beyond the framework (FSharp.Core for Plotly.NET, say).
        var appAssemblies = ((AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string) ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(p => !p.StartsWith(framework, StringComparison.Ordinal))
            .GroupBy(Path.GetFileNameWithoutExtension, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key!, g => g.First(), StringComparer.OrdinalIgnoreCase);
        var pending = new Queue<string>(new[]
        {
            typeof(ScriptGlobals).Assembly, typeof(Microsoft.DotNet.Interactive.Formatting.Formatter).Assembly,
            typeof(Plotly.NET.GenericChart).Assembly, typeof(Microsoft.Data.Analysis.DataFrame).Assembly,
        }.Select(a => a.Location));
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        while (pending.TryDequeue(out var path))
        {
            if (!seen.Add(path)) continue;
            files.Add(path);
            foreach (var name in ReferencedNames(path))
                if (appAssemblies.TryGetValue(name, out var dependency)) pending.Enqueue(dependency);
        }
        return [.. files.Select(f => (MetadataReference)MetadataReference.CreateFromFile(f))];
    }

    static bool IsAssembly(string path)
    {
        using var reader = new PEReader(File.OpenRead(path));
        return reader.HasMetadata && reader.GetMetadataReader().IsAssembly;
    }

    static IEnumerable<string> ReferencedNames(string path)
    {
        using var reader = new PEReader(File.OpenRead(path));
        var metadata = reader.GetMetadataReader();
        return metadata.AssemblyReferences.Select(h => metadata.GetString(metadata.GetAssemblyReference(h).Name)).ToList();
    }
}
