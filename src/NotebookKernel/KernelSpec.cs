using System.Text.Json;
using System.Text.Json.Nodes;
using LibTorchLoader;
using NotebookEngine.Documents;

namespace NotebookKernel;

/// <summary>Registers the kernel with Jupyter: a kernel.json in a kernels folder Jupyter searches.</summary>
public static class KernelSpec
{
    /// <summary>The name notebooks put in metadata.kernelspec.name.</summary>
    public const string DefaultName = "csnb";

    /// <summary>The per-user Jupyter data folder: $JUPYTER_DATA_DIR, else ~/.local/share/jupyter.</summary>
    public static string UserDataDir => Environment.GetEnvironmentVariable("JUPYTER_DATA_DIR") is { Length: > 0 } dir ? dir
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share", "jupyter");

    /// <summary>Writes <c>&lt;dataDir&gt;/kernels/&lt;name&gt;/kernel.json</c> that starts this kernel; returns its path.</summary>
    /// <exception cref="ArgumentException">The name has characters Jupyter refuses in kernel names.</exception>
    public static string Install(string dataDir, string name)
    {
        // Jupyter lowercases names and allows only ASCII letters, digits, '-', '.' and '_'.
        if (name.Length == 0 || name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_')))
            throw new ArgumentException($"'{name}' is not a kernel name Jupyter accepts (ASCII letters, digits, '-', '.' and '_')");
        name = name.ToLowerInvariant();
        // The command that started this process starts the kernel: dotnet plus this assembly, or the app host.
        var self = Environment.ProcessPath!;
        var argv = new JsonArray(self);
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") argv.Add(typeof(KernelSpec).Assembly.Location);
        argv.Add("start");
        argv.Add("{connection_file}");
        var spec = new JsonObject
        {
            ["argv"] = argv,
            ["display_name"] = "C# (csnb)",
            ["language"] = "csharp",
            // Interrupts arrive as control messages; a SIGINT would end a .NET process.
            ["interrupt_mode"] = "message",
            ["env"] = KernelEnvironment(),
            ["metadata"] = new JsonObject { ["debugger"] = false },
        };
        var path = Path.Combine(dataDir, "kernels", name, "kernel.json");
        AtomicFile.WriteAllText(path, spec.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        return path;
    }

    // Jupyter starts the kernel with these; glibc's malloc settings must be there from the start.
    static JsonObject KernelEnvironment()
    {
        var env = new JsonObject { ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1" };
        foreach (var (name, value) in NativeAllocator.Environment) env[name] = value;
        return env;
    }

    /// <summary>Removes the kernel's folder; false if it was not installed.</summary>
    public static bool Uninstall(string dataDir, string name)
    {
        var folder = Path.Combine(dataDir, "kernels", name);
        if (!Directory.Exists(folder)) return false;
        Directory.Delete(folder, recursive: true);
        return true;
    }
}
