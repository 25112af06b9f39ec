using static TorchSharp.torch;

namespace CenterLossKit.Distances;

/// <summary>Squared Euclidean distance, in a paired form and a matrix form.</summary>
public static class SquaredEuclidean
{
    /// <summary>‖a_i − b_i‖² for each row: (B, D) × (B, D) → (B). O(B·D).</summary>
    public static Tensor Paired(Tensor a, Tensor b) => (a - b).pow(2).sum(1);

    /// <summary>
    /// ‖x_i − c_j‖² for every row and every centre: (B, D) × (C, D) → (B, C). Only for prediction
    /// and rejection, which need all centres; losses use <see cref="Paired"/>.
    /// </summary>
    public static Tensor ToAll(Tensor x, Tensor centers)
    {
        if (x.dim() != 2 || centers.dim() != 2 || x.shape[1] != centers.shape[1])
            throw new ArgumentException(
                $"need (B, D) and (C, D) with equal D, got {Check.Shape(x)} and {Check.Shape(centers)}");
        return cdist(x, centers).pow(2);
    }
}
