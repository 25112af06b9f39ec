using System.Runtime.CompilerServices;

namespace NotebookEngine.Tests;

static class TestHost
{
#pragma warning disable CA2255 // the test host must hook native loading before any test touches TorchSharp
    [ModuleInitializer]
    internal static void LoadTorchNatively() => LibTorchLoader.TorchNative.LoadWhenTorchSharpLoads();
#pragma warning restore CA2255

    /// <summary>A fresh folder under the system temp folder.</summary>
    public static string TempFolder()
    {
        var folder = Path.Combine(Path.GetTempPath(), "csnb-tests", Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(folder);
        return folder;
    }

    /// <summary>A fixture notebook copied into the test output folder.</summary>
    public static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Notebooks", name);
}
