using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace CenterLossKit.Modules;

/// <summary>
/// Class centres (numClasses, featDim) as a trainable <see cref="Parameter"/>, moved by the center
/// loss gradient through an optimizer of their own: the form most PyTorch implementations use,
/// kept beside <see cref="Center"/> for comparison.
/// </summary>
/// <remarks>
/// Two pitfalls of this form are guarded here. Centres left out of every optimizer never move, yet
/// training runs on: <c>forward</c> in training mode notices centres that received a gradient but did
/// not change over <see cref="max_idle_steps"/> steps and throws. And the joint objective
/// softmax + λ·center loss hands the centres λ times the center loss's gradient, so their learning
/// rate would depend on λ: <see cref="unscale_"/> divides it back out before the optimizer's step.
/// </remarks>
public sealed class LearnableCenter : CenterBase
{
    [ComponentName(Name = "centers")]
    readonly Parameter _centers;

    // The centres as the previous training forward saw them (not registered: null at registration).
    Tensor? _seen;
    int _idleSteps;

    /// <summary>Creates the module with Glorot-uniform centres.</summary>
    /// <param name="num_classes">Number of classes C.</param>
    /// <param name="feat_dim">Feature dimension D.</param>
    /// <param name="device">Device of the centres. Default: CPU.</param>
    /// <param name="dtype">Floating dtype of the centres. Default: float32.</param>
    /// <param name="max_idle_steps">
    /// How many training steps in a row the centres may receive a gradient without changing before
    /// <c>forward</c> throws (raise it when accumulating gradients over more steps); 0 turns the check off.
    /// The check keeps one copy of the centres and compares it with them once per training step.
    /// </param>
    public LearnableCenter(long num_classes, long feat_dim, Device? device = null, ScalarType dtype = ScalarType.Float32, int max_idle_steps = 10)
        : base(nameof(LearnableCenter))
    {
        if (num_classes < 1) throw new ArgumentOutOfRangeException(nameof(num_classes), num_classes, "need at least one class");
        if (feat_dim < 1) throw new ArgumentOutOfRangeException(nameof(feat_dim), feat_dim, "need at least one feature dimension");
        if (max_idle_steps < 0) throw new ArgumentOutOfRangeException(nameof(max_idle_steps), max_idle_steps, "must be ≥ 0");
        this.max_idle_steps = max_idle_steps;
        var initial = empty(num_classes, feat_dim, dtype: dtype, device: device);
        using (no_grad()) nn.init.xavier_uniform_(initial);
        _centers = new Parameter(initial);
        RegisterComponents();
    }

    /// <summary>Training steps in a row the centres may receive a gradient without changing; 0: no check.</summary>
    public int max_idle_steps { get; }

    /// <summary>The centres (C, D), a parameter.</summary>
    public Parameter centers => _centers;

    /// <summary>Checks the batch against the centres and returns the centres, for the loss to use.</summary>
    /// <param name="features">Features (B, D).</param>
    /// <param name="labels">Class labels (B) in [0, C).</param>
    /// <exception cref="ArgumentException">Bad shapes, dtypes, devices, labels or non-finite features.</exception>
    /// <exception cref="InvalidOperationException">
    /// In training mode: the centres received a gradient in each of the last <see cref="max_idle_steps"/>
    /// steps and never changed, which means no optimizer steps them.
    /// </exception>
    public override Tensor forward(Tensor features, Tensor labels)
    {
        Check.FeaturesAndLabels(features, labels, _centers);
        if (training && max_idle_steps > 0 && is_grad_enabled()) WatchForIdleCentres();
        return _centers;
    }

    /// <summary>The centres for inference.</summary>
    public override Tensor predict() => _centers;

    /// <summary>
    /// Divides the centres' gradient by <paramref name="lambda"/> in place, as PyTorch's
    /// <c>GradScaler.unscale_</c> divides out its scale. After <c>backward()</c> of
    /// softmax + λ·center loss the centres hold λ·∂L_C/∂c; after this they hold ∂L_C/∂c, so an SGD step
    /// with learning rate α moves them by α·∂L_C/∂c whatever λ is (Wen et al. set α and λ apart).
    /// Call it between <c>backward()</c> and the centre optimizer's <c>step()</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="lambda"/> is not a positive finite number.</exception>
    /// <exception cref="InvalidOperationException">The centres have no gradient yet (no <c>backward()</c> reached them).</exception>
    public void unscale_(double lambda)
    {
        if (!(lambda > 0 && double.IsFinite(lambda)))
            throw new ArgumentOutOfRangeException(nameof(lambda), lambda, "lambda must be a positive finite number (with λ = 0 the centres get no gradient to unscale)");
        var grad = _centers.grad ?? throw new InvalidOperationException("the centres have no gradient to unscale: call backward() on a loss that uses them first");
        using (no_grad()) grad.div_(lambda);
    }

    void WatchForIdleCentres()
    {
        using var scope = NewDisposeScope();
        bool comparable = _seen is not null && Check.SameDevice(_seen, _centers) && _seen.dtype == _centers.dtype;
        bool idle = comparable && _centers.grad is { } grad && grad.ne(0).any().logical_and(_centers.eq(_seen!).all()).item<bool>();
        _idleSteps = idle ? _idleSteps + 1 : 0;
        if (_idleSteps >= max_idle_steps)
            throw new InvalidOperationException(
                $"LearnableCenter: the centres received a gradient in each of the last {_idleSteps} training steps but never changed: " +
                "no optimizer steps them. Give them one, e.g. optim.SGD(center.parameters(), alpha), and call its step() after " +
                "backward() (with unscale_(lambda) before it); if you accumulate gradients over more steps, raise max_idle_steps.");
        using (no_grad())
        {
            if (comparable) _seen!.copy_(_centers);
            else
            {
                _seen?.Dispose();
                _seen = _centers.detach().clone().DetachFromDisposeScope();
            }
        }
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing) _seen?.Dispose();
        base.Dispose(disposing);
    }
}
