using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace NotebookEngine.Scripting;

/// <summary>
/// Loads the assemblies that cells reference into the default load context, so one copy of each
/// type exists: an assembly the host already carries (its trusted platform assemblies) is always
/// the host's copy, never a second one from a package or a folder. Process-wide, because the
/// load context is.
/// </summary>
public static class AssemblyHost
{
    static readonly Lazy<HashSet<string>> HostNames = new(() =>
        ((AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string) ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(Path.GetFileNameWithoutExtension).ToHashSet(StringComparer.OrdinalIgnoreCase)!);

    static readonly ConcurrentDictionary<string, string> Probe = new(StringComparer.OrdinalIgnoreCase);
    static readonly ConcurrentDictionary<string, byte> NativeFolders = new();
    static readonly Lazy<bool> Hooked = new(() =>
    {
        AssemblyLoadContext.Default.Resolving += (context, name) =>
            name.Name is { } simple && Probe.TryGetValue(simple, out var path) ? context.LoadFromAssemblyPath(path) : null;
        AssemblyLoadContext.Default.ResolvingUnmanagedDll += (_, name) => LoadNative(name);
        return true;
    });

    /// <summary>True if the host process carries an assembly with this simple name.</summary>
    public static bool HostCarries(string simpleName) => HostNames.Value.Contains(simpleName);

    /// <summary>The host's own copy of the assembly named <paramref name="simpleName"/>.</summary>
    public static Assembly FromHost(string simpleName) => AssemblyLoadContext.Default.LoadFromAssemblyName(new AssemblyName(simpleName));

    /// <summary>Makes the assemblies at <paramref name="paths"/> loadable by name, and loads them with what they reference.</summary>
    public static IReadOnlyList<Assembly> Load(IEnumerable<string> paths, IEnumerable<string> nativeFolders)
    {
        _ = Hooked.Value;
        foreach (var folder in nativeFolders) NativeFolders.TryAdd(folder, 0);
        var list = paths.ToList();
        foreach (var path in list) Probe.TryAdd(Path.GetFileNameWithoutExtension(path), path);
        var loaded = new Dictionary<string, Assembly>(StringComparer.OrdinalIgnoreCase);
        foreach (var path in list) LoadWithReferences(AssemblyName.GetAssemblyName(path), loaded);
        return loaded.Values.ToList();
    }

    /// <summary>Loads the assembly file at <paramref name="path"/> (and its references, found beside it).</summary>
    public static IReadOnlyList<Assembly> LoadFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"assembly not found: {path}", path);
        var folder = Path.GetDirectoryName(path)!;
        foreach (var sibling in Directory.EnumerateFiles(folder, "*.dll"))
            Probe.TryAdd(Path.GetFileNameWithoutExtension(sibling), sibling);
        Probe[Path.GetFileNameWithoutExtension(path)] = path;
        return Load([path], []);
    }

    static void LoadWithReferences(AssemblyName name, Dictionary<string, Assembly> loaded)
    {
        if (name.Name is not { } simple || loaded.ContainsKey(simple)) return;
        var fromHost = HostCarries(simple);
        Assembly assembly;
        if (AppDomain.CurrentDomain.GetAssemblies().FirstOrDefault(a => a.GetName().Name == simple) is { } already)
            assembly = already;
        else if (fromHost)
            assembly = FromHost(simple);
        else if (Probe.TryGetValue(simple, out var path))
            assembly = AssemblyLoadContext.Default.LoadFromAssemblyPath(path);
        else return; // framework facades and optional references: resolved when (if ever) used
        loaded[simple] = assembly;
        if (fromHost) return; // the host's own references are the host's business
        foreach (var reference in assembly.GetReferencedAssemblies()) LoadWithReferences(reference, loaded);
    }

    static IntPtr LoadNative(string name)
    {
        foreach (var folder in NativeFolders.Keys)
            foreach (var file in new[] { name, $"lib{name}.so", $"{name}.so", $"lib{name}.dylib", $"{name}.dll" })
                if (File.Exists(Path.Combine(folder, file)) && NativeLibrary.TryLoad(Path.Combine(folder, file), out var handle))
                    return handle;
        return IntPtr.Zero;
    }
}
