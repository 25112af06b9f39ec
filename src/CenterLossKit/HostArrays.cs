using static TorchSharp.torch;

namespace CenterLossKit;

/// <summary>Tensors read back to the host as arrays, whatever their device, dtype or layout.</summary>
internal static class HostArrays
{
    public static float[] Floats(Tensor tensor) => tensor.detach().cpu().to(ScalarType.Float32).contiguous().data<float>().ToArray();

    public static double[] Doubles(Tensor tensor) => tensor.detach().cpu().to(ScalarType.Float64).contiguous().data<double>().ToArray();

    public static byte[] Bytes(Tensor tensor) => tensor.detach().cpu().to(ScalarType.Byte).contiguous().data<byte>().ToArray();
}
