using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;

namespace NotebookEngine.Scripting;

/// <summary>A package asked for by <c>#r "nuget:"</c>.</summary>
public sealed record PackageRef(string Id, string? Version);

/// <summary>A package that a restore resolved, with its runtime assemblies for this platform.</summary>
public sealed record RestoredPackage(string Id, string Version, IReadOnlyList<string> Assemblies, IReadOnlyList<string> NativeFolders);

/// <summary>
/// Resolves packages with a real <c>dotnet restore</c> of a generated project in a cache folder
/// (one folder per set of packages and sources, so a second run restores nothing), then reads the
/// assets file for the runtime assemblies and native folders.
/// </summary>
public sealed class PackageRestore(string cacheRoot)
{
    /// <summary>The default cache: $CSNB_CACHE, else ~/.cache/csnb.</summary>
    public static string DefaultCacheRoot =>
        Environment.GetEnvironmentVariable("CSNB_CACHE") is { Length: > 0 } root ? root
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "csnb");

    /// <summary>Restores <paramref name="packages"/> (and what they depend on) from the default sources plus <paramref name="sources"/>.</summary>
    public IReadOnlyList<RestoredPackage> Restore(IReadOnlyList<PackageRef> packages, IReadOnlyList<string> sources, CancellationToken cancellation)
    {
        var project = ProjectXml(packages, sources);
        var folder = Path.Combine(cacheRoot, "nuget", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(project)))[..16]);
        var assets = Path.Combine(folder, "obj", "project.assets.json");
        var done = Path.Combine(folder, "restored");
        if (!File.Exists(done))
        {
            Directory.CreateDirectory(folder);
            File.WriteAllText(Path.Combine(folder, "packages.csproj"), project);
            RunRestore(folder, cancellation);
            File.WriteAllText(done, DateTime.UtcNow.ToString("O"));
        }
        return ReadAssets(assets);
    }

    static string ProjectXml(IReadOnlyList<PackageRef> packages, IReadOnlyList<string> sources)
    {
        var properties = new XElement("PropertyGroup",
            new XElement("TargetFramework", $"net{Environment.Version.Major}.{Environment.Version.Minor}"),
            new XElement("ManagePackageVersionsCentrally", "false"),
            new XElement("NoWarn", "NU1603;NU1701"));
        if (sources.Count > 0) properties.Add(new XElement("RestoreAdditionalProjectSources", string.Join(';', sources)));
        var items = new XElement("ItemGroup", packages.Select(p =>
            new XElement("PackageReference", new XAttribute("Include", p.Id), new XAttribute("Version", p.Version ?? "*"))));
        return new XElement("Project", new XAttribute("Sdk", "Microsoft.NET.Sdk"), properties, items).ToString();
    }

    static void RunRestore(string folder, CancellationToken cancellation)
    {
        // The cache folder must not pick up build settings of whatever folder tree it sits in.
        var (code, output) = DotnetHost.Run(["restore", "packages.csproj", "-nologo", "-p:ImportDirectoryBuildProps=false", "-p:ImportDirectoryPackagesProps=false"], folder, cancellation);
        if (code != 0) throw new PackageRestoreException(DotnetHost.Errors(output, code));
    }

    static IReadOnlyList<RestoredPackage> ReadAssets(string assetsPath)
    {
        using var assets = JsonDocument.Parse(File.ReadAllText(assetsPath));
        var root = assets.RootElement;
        var packageFolder = root.GetProperty("packageFolders").EnumerateObject().First().Name;
        var libraries = root.GetProperty("libraries");
        var rid = $"{(OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux")}-{RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant()}";
        var restored = new List<RestoredPackage>();
        foreach (var target in root.GetProperty("targets").EnumerateObject().First().Value.EnumerateObject())
        {
            if (target.Value.GetProperty("type").GetString() != "package") continue;
            var folder = Path.Combine(packageFolder, libraries.GetProperty(target.Name).GetProperty("path").GetString()!);
            var assemblies = target.Value.TryGetProperty("runtime", out var runtime)
                ? runtime.EnumerateObject().Select(a => a.Name).Where(a => !a.EndsWith("/_._", StringComparison.Ordinal))
                    .Select(a => Path.Combine(folder, a)).ToList()
                : [];
            var natives = target.Value.TryGetProperty("runtimeTargets", out var targets)
                ? targets.EnumerateObject()
                    .Where(a => a.Value.GetProperty("assetType").GetString() == "native" && a.Value.GetProperty("rid").GetString() == rid)
                    .Select(a => Path.GetDirectoryName(Path.Combine(folder, a.Name))!).Distinct().ToList()
                : [];
            var idAndVersion = target.Name.Split('/');
            restored.Add(new RestoredPackage(idAndVersion[0], idAndVersion[1], assemblies, natives));
        }
        return restored;
    }
}

/// <summary>A restore failed; the message holds NuGet's error lines.</summary>
public sealed class PackageRestoreException(string message) : Exception(message);

/// <summary>The dotnet executable running this process, or the one on PATH, and a way to run it.</summary>
public static class DotnetHost
{
    /// <summary>Full path of dotnet when this process is dotnet itself; otherwise "dotnet".</summary>
    public static string Path =>
        Environment.ProcessPath is { } self && System.IO.Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";

    /// <summary>Runs dotnet with <paramref name="args"/> in <paramref name="folder"/>; returns the exit code and all output. Cancelling kills it.</summary>
    public static (int ExitCode, string Output) Run(IEnumerable<string> args, string folder, CancellationToken cancellation)
    {
        var start = new ProcessStartInfo(Path) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try { process.WaitForExitAsync(cancellation).GetAwaiter().GetResult(); }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    /// <summary>The error lines of a failed dotnet command, or its exit code if it printed none.</summary>
    public static string Errors(string output, int exitCode)
    {
        var errors = output.Split('\n').Where(l => l.Contains("error", StringComparison.OrdinalIgnoreCase)).Select(l => l.Trim()).Distinct().ToList();
        return errors.Count > 0 ? string.Join('\n', errors) : $"dotnet exited with code {exitCode}";
    }
}
