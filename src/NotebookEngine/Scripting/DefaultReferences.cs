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
/// a trivial cell cost two to three times as much. Each reference carries its XML documentation
/// where there is one: beside the assembly, or in the SDK's reference pack for the framework.
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
        return [.. files.Select(For)];
    }

    /// <summary>A reference to the assembly file at <paramref name="path"/>, with its documentation if any is found.</summary>
    public static MetadataReference For(string path)
    {
        var name = Path.GetFileNameWithoutExtension(path);
        var candidates = new List<string> { Path.ChangeExtension(path, ".xml") };
        if (ReferencePack.Value is { } pack) candidates.Add(Path.Combine(pack, name + ".xml"));
        IReadOnlyList<string> xml = candidates.Where(File.Exists).Take(1).ToList();
        // The framework's core types live in System.Private.CoreLib, and are documented with the reference
        // assemblies that expose them (System.Runtime, System.Collections, System.Threading, …).
        if (xml.Count == 0 && name == "System.Private.CoreLib" && ReferencePack.Value is { } refs)
            xml = CoreLibDocumented.Select(n => Path.Combine(refs, n + ".xml")).Where(File.Exists).ToList();
        return MetadataReference.CreateFromFile(path, documentation: xml.Count == 0 ? null : new XmlDocumentationFiles(xml));
    }

    static readonly string[] CoreLibDocumented =
    [
        "System.Runtime", "System.Collections", "System.Threading", "System.Threading.Tasks", "System.Memory",
        "System.Runtime.InteropServices", "System.Runtime.Intrinsics", "System.Text.Encoding.Extensions",
    ];

    /// <summary>The reference assemblies and XML docs of this runtime's framework (dotnet/packs/Microsoft.NETCore.App.Ref/V/ref/netX.Y), if the SDK is there.</summary>
    static readonly Lazy<string?> ReferencePack = new(() =>
    {
        var root = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "..", "..", ".."));
        var packs = Path.Combine(root, "packs", "Microsoft.NETCore.App.Ref");
        if (!Directory.Exists(packs)) return null;
        var moniker = $"net{Environment.Version.Major}.{Environment.Version.Minor}";
        return Directory.EnumerateDirectories(packs)
            .Where(v => Version.TryParse(Path.GetFileName(v).Split('-')[0], out var version) && version.Major == Environment.Version.Major)
            .OrderByDescending(v => Version.Parse(Path.GetFileName(v).Split('-')[0]))
            .Select(v => Path.Combine(v, "ref", moniker)).FirstOrDefault(Directory.Exists);
    });

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

/// <summary>An assembly's XML documentation files, each read on first use, answering by documentation id.</summary>
sealed class XmlDocumentationFiles(IReadOnlyList<string> paths) : DocumentationProvider
{
    readonly Lazy<Dictionary<string, string>>[] _files = paths.Select(path => new Lazy<Dictionary<string, string>>(() => Read(path))).ToArray();

    static Dictionary<string, string> Read(string path)
    {
        try
        {
            return System.Xml.Linq.XDocument.Load(path).Descendants("member")
                .Where(m => m.Attribute("name") is not null)
                .GroupBy(m => (string)m.Attribute("name")!)
                .ToDictionary(g => g.Key, g => g.First().ToString());
        }
        catch (Exception e) when (e is IOException or System.Xml.XmlException or UnauthorizedAccessException) { return []; }
    }

    protected override string? GetDocumentationForSymbol(string documentationMemberID, System.Globalization.CultureInfo preferredCulture, CancellationToken cancellationToken = default) =>
        _files.Select(f => f.Value.GetValueOrDefault(documentationMemberID)).FirstOrDefault(d => d is not null);

    public override bool Equals(object? obj) => obj is XmlDocumentationFiles other && other._key == _key;

    public override int GetHashCode() => _key.GetHashCode();

    readonly string _key = string.Join('|', paths);
}
