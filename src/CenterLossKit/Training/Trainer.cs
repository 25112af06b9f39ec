using System.Diagnostics;
using CenterLossKit.Data;
using CenterLossKit.Evaluation;
using CenterLossKit.Losses;
using CenterLossKit.Models;
using CenterLossKit.Modules;
using Microsoft.Data.Analysis;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CenterLossKit.Training;

/// <summary>
/// Trains a <see cref="FeatureNet"/> with softmax + λ·center loss (λ = 0: softmax only), keeping the
/// centres in a <see cref="Center"/> buffer or a <see cref="LearnableCenter"/> parameter. Same seed,
/// same device, same numbers.
/// </summary>
public sealed class Trainer : IDisposable
{
    readonly OptimizerHelper _optimizer;
    readonly OptimizerHelper? _centerOptimizer;
    readonly SoftmaxCenterLoss _objective;
    readonly List<EpochRecord> _history = [];
    readonly List<FeatureSnapshot> _snapshots = [];

    /// <summary>Seeds torch with <see cref="TrainOptions.Seed"/>, then builds the network and the centres on <paramref name="device"/>.</summary>
    /// <param name="createModel">Builds the network; called once, after seeding, so the weights are reproducible.</param>
    /// <param name="options">The settings; checked first.</param>
    /// <param name="device">Where everything lives. Default: <see cref="Devices.Default"/>.</param>
    public Trainer(Func<FeatureNet> createModel, TrainOptions options, Device? device = null)
    {
        options.Validate();
        Options = options;
        Device = device ?? Devices.Default();
        manual_seed(options.Seed);
        Model = createModel();
        Model.to(Device);
        Centers = options.Centers == CenterMode.Learnable
            ? new LearnableCenter(Model.num_classes, Model.feat_dim, Device)
            : new Center(Model.num_classes, Model.feat_dim, options.Alpha,
                options.Centers == CenterMode.Wen ? CenterUpdate.Wen : CenterUpdate.MovingAverage, device: Device);
        _optimizer = optim.Adam(Model.parameters(), options.LearningRate);
        if (Centers is LearnableCenter learnable) _centerOptimizer = optim.SGD([learnable.centers], options.CenterLearningRate);
        _objective = new SoftmaxCenterLoss(options.Lambda);
    }

    /// <summary>The settings.</summary>
    public TrainOptions Options { get; }
    /// <summary>The device everything lives on.</summary>
    public Device Device { get; }
    /// <summary>The network.</summary>
    public FeatureNet Model { get; }
    /// <summary>The centre module: <see cref="Center"/> or <see cref="LearnableCenter"/>.</summary>
    public CenterBase Centers { get; }
    /// <summary>The current centres (C, D).</summary>
    public Tensor CenterValues => Centers.predict();
    /// <summary>The epochs trained so far.</summary>
    public IReadOnlyList<EpochRecord> Records => _history;
    /// <summary>Feature snapshots, one per epoch when <see cref="TrainOptions.SnapshotSamples"/> &gt; 0.</summary>
    public IReadOnlyList<FeatureSnapshot> Snapshots => _snapshots;
    /// <summary>Called after every step and every epoch.</summary>
    public Action<TrainProgress>? Progress { get; set; }

    /// <summary>The history as a DataFrame, a column per field of <see cref="EpochRecord"/>.</summary>
    public DataFrame History => HistoryFrame.From(_history);

    /// <summary>Trains for <see cref="TrainOptions.Epochs"/> more epochs on <paramref name="train"/>, testing on <paramref name="test"/> after each.</summary>
    /// <exception cref="ArgumentException">A set is empty, or its images are not 28×28 or its labels not below the network's classes.</exception>
    /// <exception cref="TrainingDivergedException">A loss, network output or gradient was NaN or infinite; the epoch and step are named.</exception>
    public void Fit(ImageSet train, ImageSet? test = null)
    {
        if (train.Count == 0) throw new ArgumentException($"the training set {train.Name} is empty", nameof(train));
        if (test is { Count: 0 }) throw new ArgumentException($"the test set {test.Name} is empty; pass null to train without one", nameof(test));
        var (x, y) = train.ToTensors(Device);
        var testTensors = test?.ToTensors(Device);
        try { Fit(x, y, testTensors?.Images, testTensors?.Labels); }
        finally
        {
            x.Dispose(); y.Dispose();
            testTensors?.Images.Dispose(); testTensors?.Labels.Dispose();
        }
    }

    /// <summary>
    /// Trains on tensors already on the device: images (N, 1, 28, 28), labels (N), and optionally a
    /// test set the same way. If a step's loss, network output or gradient is NaN or infinite, training
    /// stops before that step is applied, with a <see cref="TrainingDivergedException"/>; the epochs
    /// finished before it keep their rows in <see cref="Records"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A set is empty, images and labels disagree in number, or only half a test set is given.</exception>
    /// <exception cref="TrainingDivergedException">A loss, network output or gradient was NaN or infinite; the epoch and step are named.</exception>
    public void Fit(Tensor images, Tensor labels, Tensor? testImages = null, Tensor? testLabels = null)
    {
        CheckSet(images, labels, "training");
        if ((testImages is null) != (testLabels is null))
            throw new ArgumentException("give both testImages and testLabels, or neither", testImages is null ? nameof(testImages) : nameof(testLabels));
        if (testImages is not null) CheckSet(testImages, testLabels!, "test");
        int steps = (int)((labels.shape[0] + Options.BatchSize - 1) / Options.BatchSize);
        for (int e = 0; e < Options.Epochs; e++)
        {
            int epoch = _history.Count + 1;
            var clock = Stopwatch.StartNew();
            double lr = SetLearningRate(e);
            using var epochScope = NewDisposeScope();
            var before = CenterValues.detach().clone();
            // Sums stay on the device; reading them once per epoch avoids a host sync per step.
            var sums = zeros(4, dtype: ScalarType.Float64, device: Device); // softmax, center, total, correct
            int step = 0;
            Model.train();
            Centers.train();
            foreach (var (batchImages, batchLabels) in Batches.Of(images, labels, Options.BatchSize, Options.Seed * 1000 + epoch))
            {
                using var stepScope = NewDisposeScope();
                Step(Augment(batchImages, epoch, step), batchLabels, sums, (epoch, step + 1, steps));
                step++;
                Progress?.Invoke(new TrainProgress(epoch, Options.Epochs, step, steps, null));
            }
            var totals = HostArrays.Doubles(sums);
            double n = labels.shape[0];
            double testAccuracy = double.NaN;
            if (testImages is not null && testLabels is not null)
            {
                var (_, logits) = Metrics.Embed(Model, testImages);
                testAccuracy = Metrics.Accuracy(logits, testLabels);
                if (Options.SnapshotSamples > 0) Snapshot(epoch, testImages, testLabels);
            }
            double shift = (CenterValues - before).pow(2).sum(1).sqrt().mean().to(ScalarType.Float64).item<double>();
            var record = new EpochRecord(epoch, totals[0] / n, totals[1] / n, totals[2] / n, totals[3] / n,
                testAccuracy, shift, lr, clock.Elapsed.TotalSeconds);
            _history.Add(record);
            Progress?.Invoke(new TrainProgress(epoch, Options.Epochs, steps, steps, record));
        }
    }

    static void CheckSet(Tensor images, Tensor labels, string which)
    {
        if (labels.dim() != 1 || labels.shape[0] == 0)
            throw new ArgumentException($"the {which} labels must have shape (N) with N ≥ 1, got {Check.Shape(labels)}", nameof(labels));
        if (images.dim() == 0 || images.shape[0] != labels.shape[0])
            throw new ArgumentException($"the {which} set has {Check.Shape(images)} images but {labels.shape[0]} labels", nameof(images));
    }

    // One step, applied only if the outputs, the loss and every gradient are finite: a diverging run
    // stops at the first bad step with the network and centres as the last good step left them.
    void Step(Tensor x, Tensor y, Tensor sums, (int Epoch, int Step, int Steps) at)
    {
        var (features, logits) = Model.call(x);
        if (!isfinite(features).all().logical_and(isfinite(logits).all()).item<bool>())
            throw Diverged(at, "the network's features or logits are NaN or infinite");
        // The loss sees the centres as they were before this batch; the buffer moves afterwards.
        var parts = _objective.forward(logits, features, y, CenterValues);
        _optimizer.zero_grad();
        _centerOptimizer?.zero_grad();
        parts.Total.backward();
        // Sums carry NaN and infinity through: one read covers the loss and every gradient.
        var gradientSums = Model.parameters().Concat(Centers.parameters()).Where(p => p.grad is not null).Select(p => p.grad!.sum());
        if (!stack([parts.Total.detach(), .. gradientSums]).sum().isfinite().item<bool>())
            throw Diverged(at, FormattableString.Invariant(
                $"the loss is {parts.Total.item<float>()} (softmax {parts.Softmax.item<float>()}, center {parts.Center.item<float>()}) or a gradient is not finite"));
        _optimizer.step();
        if (Centers is LearnableCenter learnable)
        {
            // The centres learn from the center loss itself, not from λ times it.
            if (Options.Lambda > 0)
            {
                learnable.unscale_(Options.Lambda);
                _centerOptimizer!.step();
            }
        }
        else Centers.call(features.detach(), y);

        using var _ = no_grad();
        long b = y.shape[0];
        // Summed in float64: a loss near float32's limit times the batch size would overflow to infinity.
        var losses = stack([parts.Softmax.detach(), parts.Center.detach(), parts.Total.detach()]).to(ScalarType.Float64).mul_(b);
        sums.add_(cat([losses, logits.argmax(1).eq(y).sum().to(ScalarType.Float64).unsqueeze(0)]));
    }

    TrainingDivergedException Diverged((int Epoch, int Step, int Steps) at, string problem) => new(at.Epoch, at.Step, at.Steps, problem,
        FormattableString.Invariant($"Lower the learning rate ({Options.LearningRate}) or λ ({Options.Lambda}).")
        + (Options.Centers == CenterMode.MovingAverage
            ? FormattableString.Invariant($" With the moving average, also raise α ({Options.Alpha}) toward 1 or lower the batch size ({Options.BatchSize}): a class seen n times in a batch moves its centre n·(1 − α) of the way to their mean, which overshoots and grows once n·(1 − α) passes 2.")
            : ""));

    // Random translation of each image by up to MaxShift pixels, on the device, seeded per step.
    Tensor Augment(Tensor x, int epoch, int step)
    {
        if (Options.MaxShift <= 0) return x;
        long b = x.shape[0];
        // Offsets from a seeded System.Random: reproducible whatever else used torch's global generator.
        var random = new Random(unchecked(Options.Seed * 1_000_003 + epoch * 10_007 + step));
        var shifts = new float[b * 2];
        for (int i = 0; i < shifts.Length; i++) shifts[i] = (float)((random.NextDouble() * 2 - 1) * Options.MaxShift * 2 / 28.0);
        var offsets = tensor(shifts, [b, 2], device: x.device);
        var theta = zeros(b, 2, 3, dtype: x.dtype, device: x.device);
        theta[.., 0, 0] = tensor(1f, device: x.device);
        theta[.., 1, 1] = tensor(1f, device: x.device);
        theta[.., .., 2] = offsets;
        var grid = nn.functional.affine_grid(theta, [b, 1, 28, 28], align_corners: false);
        // Padding value: the normalised background (0 before normalisation) is the minimum of the batch.
        var background = x.amin([1, 2, 3], keepdim: true);
        return nn.functional.grid_sample(x - background, grid, align_corners: false) + background;
    }

    double SetLearningRate(int epochIndex)
    {
        double lr = Options.CosineSchedule
            ? Options.LearningRate * 0.5 * (1 + Math.Cos(Math.PI * epochIndex / Options.Epochs))
            : Options.LearningRate;
        foreach (var group in _optimizer.ParamGroups) group.LearningRate = lr;
        return lr;
    }

    void Snapshot(int epoch, Tensor testImages, Tensor testLabels)
    {
        long count = Math.Min(Options.SnapshotSamples, testLabels.shape[0]);
        var (features, logits) = Metrics.Embed(Model, testImages.narrow(0, 0, count));
        using (features) using (logits)
            _snapshots.Add(new FeatureSnapshot(epoch, HostArrays.Floats(features), (int)Model.feat_dim,
                HostArrays.Bytes(testLabels.narrow(0, 0, count)),
                HostArrays.Floats(CenterValues)));
    }

    /// <summary>
    /// Writes the network, centres, optimizer states and history to <paramref name="path"/>, with a
    /// SHA-256 checksum, atomically (a temp file <c>path.&lt;pid&gt;.tmp</c>, then a rename); temp files
    /// left there by a writer that died are removed first.
    /// </summary>
    public void Save(string path) => Checkpoint.Save(this, path);

    /// <summary>
    /// Restores a checkpoint written by <see cref="Save"/> for the same network, centres and settings.
    /// On any problem it throws and leaves this trainer exactly as it was.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">
    /// The file is not a checkpoint of this format, its checksum does not match (changed or truncated),
    /// it was saved for another network, centre mode or size, or it holds NaN or infinite weights; the
    /// message names the file.
    /// </exception>
    public void Load(string path, Func<FeatureNet> createModel) => Checkpoint.Load(this, path, createModel);

    internal OptimizerHelper Optimizer => _optimizer;
    internal OptimizerHelper? CenterOptimizer => _centerOptimizer;
    internal void ReplaceHistory(IEnumerable<EpochRecord> records)
    {
        _history.Clear();
        _history.AddRange(records);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Model.Dispose();
        Centers.Dispose();
        _objective.Dispose();
        _optimizer.Dispose();
        _centerOptimizer?.Dispose();
    }
}
