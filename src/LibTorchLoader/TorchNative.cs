using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace LibTorchLoader;

/// <summary>
/// Loads TorchSharp's native libraries before TorchSharp itself looks for them. Where the system
/// libstdc++ lacks a symbol version that <c>libLibTorchSharp.so</c> asks for but never uses (TorchSharp
/// 0.107 on Debian 12), it loads a copy with that version marked weak, kept in a user cache folder;
/// the NuGet packages and the application folder are never modified.
/// </summary>
public static partial class TorchNative
{
    const string BridgeLibrary = "libLibTorchSharp.so";
    // In load order: each one's dependencies come before it.
    static readonly string[] LibTorchLibraries = ["libc10.so", "libtorch_cpu.so", "libc10_cuda.so", "libtorch_cuda.so", "libtorch.so"];

    static readonly Lock Gate = new();
    static bool _loaded;

    /// <summary>The patched copy of the bridge library that was loaded, or null if the original loaded as is.</summary>
    public static string? PatchedCopy { get; private set; }

    /// <summary>
    /// Calls <see cref="EnsureLoaded"/> as soon as the TorchSharp assembly is loaded (or now, if it
    /// already is), so hosts that may never use TorchSharp pay nothing.
    /// </summary>
    public static void LoadWhenTorchSharpLoads()
    {
        AppDomain.CurrentDomain.AssemblyLoad += (_, e) =>
        {
            if (e.LoadedAssembly.GetName().Name == "TorchSharp") TryEnsureLoaded();
        };
        if (AppDomain.CurrentDomain.GetAssemblies().Any(a => a.GetName().Name == "TorchSharp")) TryEnsureLoaded();
    }

    static void TryEnsureLoaded()
    {
        try { EnsureLoaded(); }
        catch (Exception e) { Console.Error.WriteLine(e.Message); }
    }

    /// <summary>
    /// Loads libtorch and the TorchSharp bridge library from the application's native folders.
    /// Idempotent; does nothing on other operating systems than Linux.
    /// </summary>
    /// <exception cref="TorchNativeException">The libraries cannot be found or loaded; the message says why.</exception>
    public static void EnsureLoaded()
    {
        if (!OperatingSystem.IsLinux()) return;
        lock (Gate)
        {
            if (_loaded) return;
            var folders = NativeFolders();
            var bridge = Find(folders, BridgeLibrary) ?? throw new TorchNativeException(
                $"{BridgeLibrary} was not found in {string.Join(", ", folders)}; does the host reference TorchSharp-cpu or TorchSharp-cuda-linux?");
            var libtorch = Find(folders, "libtorch.so") ?? throw new TorchNativeException(
                $"libtorch.so was not found in {string.Join(", ", folders)}; does the host reference TorchSharp-cpu or TorchSharp-cuda-linux?");

            // By full path, so that a system-wide libtorch (e.g. Debian's python3-torch) is never picked instead.
            foreach (var name in LibTorchLibraries)
            {
                var path = Path.Combine(Path.GetDirectoryName(libtorch)!, name);
                if (File.Exists(path)) Load(path);
            }
            LoadBridge(bridge);
            _loaded = true;
        }
    }

    static void LoadBridge(string original)
    {
        var missing = new List<string>();
        string candidate = original;
        while (true)
        {
            string error;
            try
            {
                NativeLibrary.Load(candidate);
                PatchedCopy = candidate == original ? null : candidate;
                return;
            }
            catch (DllNotFoundException e) { error = e.Message; }

            var version = MissingVersion().Match(error);
            if (!version.Success || missing.Contains(version.Groups[1].Value))
                throw new TorchNativeException($"cannot load {candidate}: {error}");
            missing.Add(version.Groups[1].Value);
            candidate = PatchedCopyOf(original, missing);
        }
    }

    static string PatchedCopyOf(string original, List<string> versions)
    {
        var bytes = File.ReadAllBytes(original);
        byte[] patched;
        try { patched = ElfVersionNeeds.WithWeakVersions(bytes, versions); }
        catch (Exception e) when (e is InvalidOperationException or InvalidDataException)
        {
            throw new TorchNativeException(
                $"{original} needs {string.Join(", ", versions)}, which this system's libstdc++ lacks, and cannot be patched: {e.Message}");
        }
        var key = Convert.ToHexStringLower(SHA256.HashData(patched))[..16];
        var folder = Path.Combine(CacheRoot(), key);
        var target = Path.Combine(folder, BridgeLibrary);
        if (File.Exists(target) && SHA256.HashData(File.ReadAllBytes(target)).AsSpan().SequenceEqual(SHA256.HashData(patched)))
            return target;
        Directory.CreateDirectory(folder);
        var temp = target + "." + Environment.ProcessId + ".tmp";
        File.WriteAllBytes(temp, patched);
        File.Move(temp, target, overwrite: true);
        return target;
    }

    static string CacheRoot()
    {
        var configured = Environment.GetEnvironmentVariable("CENTERLOSS_NATIVE_CACHE");
        if (!string.IsNullOrEmpty(configured)) return configured;
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var root = string.IsNullOrEmpty(xdg)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache")
            : xdg;
        return Path.Combine(root, "centerloss-notebooks", "libtorchsharp");
    }

    static void Load(string path)
    {
        try { NativeLibrary.Load(path); }
        catch (DllNotFoundException e) { throw new TorchNativeException($"cannot load {path}: {e.Message}"); }
    }

    // The folders the .NET host probes for native assets (from the app's deps.json), then the
    // usual runtimes folder beside the app and beside TorchSharp.dll.
    static List<string> NativeFolders()
    {
        var folders = new List<string>();
        if (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") is string probed)
            folders.AddRange(probed.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        folders.Add(Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native"));
        var torchSharp = AppDomain.CurrentDomain.GetAssemblies().FirstOrDefault(a => a.GetName().Name == "TorchSharp");
        if (torchSharp is { Location: { Length: > 0 } location })
            folders.Add(Path.Combine(Path.GetDirectoryName(location)!, "runtimes", "linux-x64", "native"));
        return folders.Distinct().ToList();
    }

    static string? Find(List<string> folders, string file) =>
        folders.Select(f => Path.Combine(f, file)).FirstOrDefault(File.Exists);

    [GeneratedRegex(@"version [`'](\S+?)' not found")]
    private static partial Regex MissingVersion();
}

/// <summary>TorchSharp's native libraries could not be loaded; the message names the file and the reason.</summary>
public sealed class TorchNativeException(string message) : Exception(message);
