using CenterLossKit.Data;
using CenterLossKit.Models;
using static TorchSharp.torch;

namespace CenterLossKit.Training;

/// <summary>
/// The models a notebook trains on one data set, as the tutorial notebooks train them: each is
/// trained once per settings and kept in a folder (<see cref="ModelStore"/>), so later notebooks and
/// later runs load it instead, and each shows its progress as one line updated in place.
/// </summary>
/// <param name="folder">Where trained models are kept.</param>
/// <param name="train">The training images.</param>
/// <param name="test">The images accuracy is measured on after every epoch.</param>
/// <param name="device">Where the models train.</param>
/// <param name="show">Shows a line and returns what replaces it; in a notebook, <c>line => display(line).Update</c>.</param>
/// <param name="testName">What <paramref name="test"/> is called in a model's last line ("test", "validation").</param>
public sealed class TrainedModels(string folder, ImageSet train, ImageSet test, Device device, Func<string, Action<string>> show, string testName = "test")
{
    /// <summary>A LeNet++ with 2-D features and ten classes, trained with <paramref name="options"/>, or loaded if it was before.</summary>
    public Trainer Train(string name, TrainOptions options) => Train(name, options, () => new LeNetPlusPlus());

    /// <summary>The network <paramref name="createModel"/> makes, trained with <paramref name="options"/>, or loaded if it was before.</summary>
    public Trainer Train(string name, TrainOptions options, Func<FeatureNet> createModel)
    {
        var update = show($"{name}: starting");
        var trainer = ModelStore.GetOrTrain(folder, name, createModel, options, train, test, device, p => update($"{name}: {p}"));
        update(FormattableString.Invariant($"{name}: {trainer.Records.Count} epochs, {testName} accuracy {trainer.Records[^1].TestAccuracy:0.0000}"));
        return trainer;
    }
}
