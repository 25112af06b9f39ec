using System.Runtime.CompilerServices;

namespace CenterLossKit;

/// <summary>
/// Loads TorchSharp's native library the kit's way (<see cref="LibTorchLoader.TorchNative"/>) when the
/// library is first used. The kit's hosts do it themselves; a host that is not the kit's (.NET
/// Interactive, a user's program) otherwise fails on Debian 12, whose libstdc++ lacks a symbol version
/// TorchSharp 0.107's bridge asks for. It helps only if the library is used before the first tensor.
/// </summary>
static class NativeTorch
{
#pragma warning disable CA2255 // a library's module initializer: the only code of the kit that runs in a host that is not the kit's
    [ModuleInitializer]
    internal static void LoadOnFirstUse() => LibTorchLoader.TorchNative.LoadWhenTorchSharpLoads();
#pragma warning restore CA2255
}
