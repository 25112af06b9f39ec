using System.Runtime.CompilerServices;
using LibTorchLoader;

namespace CenterLossKit.Tests;

static class TorchSetup
{
    // The test host is a TorchSharp host like any other: load the natives before the first torch call.
#pragma warning disable CA2255 // a module initializer is the one hook that runs before any test
    [ModuleInitializer]
    internal static void Init() => TorchNative.EnsureLoaded();
#pragma warning restore CA2255
}

/// <summary>Helpers to compare tensors with float64 references.</summary>
static class Expect
{
    public static double[] Values(Tensor t) => t.detach().cpu().to(ScalarType.Float64).data<double>().ToArray();

    public static void Close(double[] expected, Tensor actual, double tolerance = 1e-12)
    {
        var got = Values(actual);
        Assert.Equal(expected.Length, got.Length);
        for (int i = 0; i < got.Length; i++)
            Assert.True(Math.Abs(expected[i] - got[i]) <= tolerance,
                $"element {i}: expected {expected[i]:R}, got {got[i]:R} (tolerance {tolerance})");
    }

    public static byte[] Bytes(Tensor t) => t.detach().cpu().bytes.ToArray();

    /// <summary>Devices to run on: CPU, and CUDA when present.</summary>
    public static IEnumerable<Device> Devices() =>
        cuda.is_available() ? [CPU, CUDA] : [CPU];
}
