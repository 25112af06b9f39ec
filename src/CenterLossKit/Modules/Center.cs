using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace CenterLossKit.Modules;

/// <summary>How <see cref="Center"/> moves its centres in training mode.</summary>
public enum CenterUpdate
{
    /// <summary>
    /// The tutorial's moving average: for each sample, <c>c[y] += (α − 1)·(c[y] − f)</c>. Increments of
    /// a label repeated in one batch add up (Theano's <c>inc_subtensor</c>), so a class seen n times moves
    /// its centre n·(1 − α) of the way to its batch mean: past 2 it overshoots further each step and
    /// diverges. Keep α near 1 (the tutorial's 0.9) when batches hold many samples of a class.
    /// </summary>
    MovingAverage,

    /// <summary>
    /// Wen et al.'s rule: <c>Δc_j = Σ_{i: y_i = j}(c_j − x_i) / (1 + n_j)</c>, <c>c_j −= α·Δc_j</c>;
    /// classes absent from the batch stay where they are.
    /// </summary>
    Wen,
}

/// <summary>
/// The Center module: class centres (numClasses, featDim) kept as a self-updating buffer, like
/// BatchNorm's running statistics, not as an optimizer parameter. <c>forward</c> in training mode
/// moves the centres toward the batch's features and returns them; in eval mode, and through
/// <see cref="predict"/>, it returns them unchanged. The centres are saved with the module's state.
/// </summary>
public sealed class Center : CenterBase
{
    [ComponentName(Name = "centers")]
    readonly Tensor _centers;

    /// <summary>Creates the module.</summary>
    /// <param name="num_classes">Number of classes C.</param>
    /// <param name="feat_dim">Feature dimension D.</param>
    /// <param name="alpha">Update rate α in [0, 1]. Default 0.9 (the tutorial's moving average).</param>
    /// <param name="update">The update rule. Default <see cref="CenterUpdate.MovingAverage"/>.</param>
    /// <param name="initial">Initial centres (C, D), finite; copied. Default: Glorot-uniform, as the tutorial.</param>
    /// <param name="device">Device of the centres. Default: CPU.</param>
    /// <param name="dtype">Floating dtype of the centres. Default: float32.</param>
    public Center(long num_classes, long feat_dim, double alpha = 0.9, CenterUpdate update = CenterUpdate.MovingAverage,
        Tensor? initial = null, Device? device = null, ScalarType dtype = ScalarType.Float32) : base(nameof(Center))
    {
        if (num_classes < 1) throw new ArgumentOutOfRangeException(nameof(num_classes), num_classes, "need at least one class");
        if (feat_dim < 1) throw new ArgumentOutOfRangeException(nameof(feat_dim), feat_dim, "need at least one feature dimension");
        if (!(alpha is >= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha must lie in [0, 1]");
        if (dtype is not (ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float32 or ScalarType.Float64))
            throw new ArgumentException($"centres must be floating point, got {dtype}", nameof(dtype));
        this.num_classes = num_classes;
        this.feat_dim = feat_dim;
        this.alpha = alpha;
        this.update = update;

        if (initial is null)
        {
            _centers = empty(num_classes, feat_dim, dtype: dtype, device: device);
            using (no_grad()) nn.init.xavier_uniform_(_centers);
        }
        else
        {
            if (initial.dim() != 2 || initial.shape[0] != num_classes || initial.shape[1] != feat_dim)
                throw new ArgumentException(
                    $"initial centres must have shape ({num_classes}, {feat_dim}), got {Check.Shape(initial)}", nameof(initial));
            if (!Check.Finite(initial)) throw new ArgumentException("initial centres contain NaN or infinity", nameof(initial));
            _centers = initial.detach().to(dtype, device ?? initial.device, copy: true);
        }
        _centers.DetachFromDisposeScope();
        RegisterComponents();
    }

    /// <summary>Number of classes C.</summary>
    public long num_classes { get; }

    /// <summary>Feature dimension D.</summary>
    public long feat_dim { get; }

    /// <summary>Update rate α.</summary>
    public double alpha { get; }

    /// <summary>The update rule used in training mode.</summary>
    public CenterUpdate update { get; }

    /// <summary>The centres (C, D): the registered buffer itself, updated in place.</summary>
    public Tensor centers => _centers;

    /// <summary>
    /// In training mode, moves the centres of the classes in <paramref name="labels"/> toward
    /// <paramref name="features"/>; in eval mode leaves them alone. Returns the centres.
    /// </summary>
    /// <param name="features">Features (B, D), same dtype and device as the centres.</param>
    /// <param name="labels">Class labels (B), integers in [0, C).</param>
    /// <exception cref="ArgumentException">Bad shapes, dtypes, devices, labels or non-finite features; the centres are unchanged.</exception>
    public override Tensor forward(Tensor features, Tensor labels)
    {
        Check.FeaturesAndLabels(features, labels, _centers);
        if (training) Step(features, labels);
        return _centers;
    }

    /// <summary>The tutorial's inference path: the stored centres, never updated.</summary>
    public override Tensor predict() => _centers;

    void Step(Tensor features, Tensor labels)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var index = labels.to(ScalarType.Int64);
        var toward = _centers.index_select(0, index).sub_(features.detach()); // c[y_i] − f_i, (B, D)
        if (update == CenterUpdate.MovingAverage)
        {
            _centers.index_add_(0, index, toward, alpha - 1);
            return;
        }
        // Wen: divide each sample's share by 1 + n_{y_i}. Counts come from the batch alone,
        // so the cost grows with B·D and not with the number of classes.
        var (_, inverse, counts) = unique(index, return_inverse: true, return_counts: true);
        var share = counts!.index_select(0, inverse!).to(toward.dtype).add_(1).unsqueeze(1);
        _centers.index_add_(0, index, toward.div_(share), -alpha);
    }
}
