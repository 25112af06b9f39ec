using static TorchSharp.torch;

namespace CenterLossKit.Data;

/// <summary>Mini-batches of a data set held as tensors on one device.</summary>
public static class Batches
{
    /// <summary>
    /// Yields (images, labels) batches of at most <paramref name="batchSize"/>, in a seeded random
    /// order when <paramref name="shuffleSeed"/> is given, else in order. Batches are views or
    /// index selections on the data's device; the caller's dispose scope owns them.
    /// </summary>
    public static IEnumerable<(Tensor Images, Tensor Labels)> Of(Tensor images, Tensor labels, int batchSize, int? shuffleSeed = null)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "must be at least 1");
        long n = labels.shape[0];
        if (images.shape[0] != n) throw new ArgumentException($"{images.shape[0]} images but {n} labels");
        // Lives as long as the enumeration, whatever scopes the caller opens between batches.
        using var order = shuffleSeed is int seed
            ? tensor(ImageSet.Shuffled(checked((int)n), seed).Select(i => (long)i).ToArray(), device: labels.device).DetachFromDisposeScope()
            : null;
        for (long start = 0; start < n; start += batchSize)
        {
            long length = Math.Min(batchSize, n - start);
            if (order is null)
                yield return (images.narrow(0, start, length), labels.narrow(0, start, length));
            else
            {
                var index = order.narrow(0, start, length);
                yield return (images.index_select(0, index), labels.index_select(0, index));
            }
        }
    }
}
