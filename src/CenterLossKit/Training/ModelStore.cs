using System.Security.Cryptography;
using System.Text;
using CenterLossKit.Data;
using CenterLossKit.Models;
using static TorchSharp.torch;

namespace CenterLossKit.Training;

/// <summary>
/// Trains a model once per settings and keeps the checkpoint, so notebooks of a series share what
/// an earlier one trained. The file name carries a hash of everything that shapes the result:
/// the settings, the network and its sizes, the data, and the checkpoint format.
/// </summary>
public static class ModelStore
{
    /// <summary>
    /// A trainer for <paramref name="options"/>: loaded from <paramref name="folder"/> when this exact
    /// run was trained before, otherwise trained on <paramref name="train"/> (tested on
    /// <paramref name="test"/>) and saved there.
    /// </summary>
    public static Trainer GetOrTrain(string folder, string name, Func<FeatureNet> createModel, TrainOptions options,
        ImageSet train, ImageSet? test, Device? device = null, Action<TrainProgress>? progress = null)
    {
        var trainer = new Trainer(createModel, options, device) { Progress = progress };
        var path = PathOf(folder, name, trainer, train, test);
        if (File.Exists(path))
        {
            trainer.Load(path, createModel);
            return trainer;
        }
        trainer.Fit(train, test);
        Directory.CreateDirectory(folder);
        trainer.Save(path);
        return trainer;
    }

    /// <summary>Where <see cref="GetOrTrain"/> keeps this run.</summary>
    public static string PathOf(string folder, string name, Trainer trainer, ImageSet train, ImageSet? test)
    {
        var identity = $"{trainer.Options} {trainer.Model.GetType().Name} {trainer.Model.feat_dim} {trainer.Model.num_classes} " +
                       $"{train.Name}:{train.Count} {test?.Name}:{test?.Count} {Checkpoint.Magic}";
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..12];
        return Path.Combine(folder, $"{name}-{hash}.ckpt");
    }
}
