using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CenterLossKit.Data;

/// <summary>
/// The usual open-set split of a labelled data set: a seeded choice of known classes; the network
/// trains on their training images less a seeded validation share, where thresholds are chosen
/// (never on the test set); their test images are to be accepted and the test images of the
/// held-out classes rejected, as outsiders near the known ones.
/// </summary>
public sealed class OpenSetSplit
{
    OpenSetSplit(IReadOnlyList<int> known, IReadOnlyList<int> unknown, int seed, double validationShare,
        ImageSet fit, ImageSet validation, ImageSet knownTest, ImageSet unknownTest) =>
        (Known, Unknown, Seed, ValidationShare, Fit, Validation, KnownTest, UnknownTest) =
        (known, unknown, seed, validationShare, fit, validation, knownTest, unknownTest);

    /// <summary>The known classes, as labels of the original set, ascending; class k of the split sets is Known[k].</summary>
    public IReadOnlyList<int> Known { get; }
    /// <summary>The held-out classes, as labels of the original set, ascending.</summary>
    public IReadOnlyList<int> Unknown { get; }
    /// <summary>Seed of the class choice and of the validation carve.</summary>
    public int Seed { get; }
    /// <summary>Share of the known training images kept for validation.</summary>
    public double ValidationShare { get; }
    /// <summary>Training images of the known classes, relabelled 0..K−1, less the validation images.</summary>
    public ImageSet Fit { get; }
    /// <summary>The validation images, relabelled like <see cref="Fit"/>.</summary>
    public ImageSet Validation { get; }
    /// <summary>Test images of the known classes, relabelled like <see cref="Fit"/>.</summary>
    public ImageSet KnownTest { get; }
    /// <summary>Test images of the held-out classes, relabelled 0..U−1 in the order of <see cref="Unknown"/>.</summary>
    public ImageSet UnknownTest { get; }

    /// <summary>Splits <paramref name="train"/> and <paramref name="test"/> (same classes).</summary>
    /// <param name="train">Training images; the known classes' images become <see cref="Fit"/> and <see cref="Validation"/>.</param>
    /// <param name="test">Test images; they become <see cref="KnownTest"/> and <see cref="UnknownTest"/>.</param>
    /// <param name="knownClasses">How many classes are known, from 2 to one less than the number of classes.</param>
    /// <param name="validationShare">Share of the known training images kept for validation, in (0, 1).</param>
    /// <param name="seed">Seed of the class choice and the carve: same seed, same split.</param>
    /// <param name="perClass">For quick runs: at most this many training images per known class before the carve; 0 for all.</param>
    public static OpenSetSplit Create(ImageSet train, ImageSet test, int knownClasses, double validationShare, int seed, int perClass = 0)
    {
        int classes = train.ClassNames.Count;
        if (!test.ClassNames.SequenceEqual(train.ClassNames))
            throw new ArgumentException($"{train.Name} and {test.Name} name different classes", nameof(test));
        if (knownClasses < 2 || knownClasses >= classes)
            throw new ArgumentOutOfRangeException(nameof(knownClasses), knownClasses, $"must lie in [2, {classes - 1}] for {classes} classes");
        if (!(validationShare is > 0 and < 1))
            throw new ArgumentOutOfRangeException(nameof(validationShare), validationShare, "must lie in (0, 1)");
        if (perClass < 0) throw new ArgumentOutOfRangeException(nameof(perClass), perClass, "must be 0 (all) or positive");

        int[] known = [.. ImageSet.Shuffled(classes, seed)[..knownClasses].Order()];
        int[] unknown = [.. Enumerable.Range(0, classes).Except(known)];
        var tag = $"classes {string.Join(",", known)} (seed {seed})";
        var knownTrain = train.OfClasses(known);
        if (perClass > 0) knownTrain = knownTrain.Take(perClass);
        int validationCount = (int)Math.Round(knownTrain.Count * validationShare);
        if (validationCount < 1 || validationCount >= knownTrain.Count)
            throw new ArgumentException($"a validation share of {validationShare} leaves no validation or no training image of {knownTrain.Count}", nameof(validationShare));
        var order = ImageSet.Shuffled(knownTrain.Count, seed);
        return new OpenSetSplit(known, unknown, seed, validationShare,
            knownTrain.Subset(order[validationCount..], $"{train.Name}: {tag}, {knownTrain.Count - validationCount} for training ({validationShare:0.###} kept)"),
            knownTrain.Subset(order[..validationCount], $"{train.Name}: {tag}, {validationCount} for validation"),
            test.OfClasses(known, $"{test.Name}: {tag}"),
            test.OfClasses(unknown, $"{test.Name}: held out from {tag}"));
    }

    /// <summary>
    /// Writes the split as JSON (temp file, then rename) so another tool can rebuild it from the same
    /// IDX files: the known and held-out classes and, for each set, its image and label files (relative
    /// to <paramref name="dataFolder"/>) and the indices of its images in them. Images in the label
    /// files carry their original labels; class k of the known sets is <c>known[k]</c>.
    /// </summary>
    /// <param name="path">The JSON file to write.</param>
    /// <param name="outsiders">Further sets to record by name (e.g. far outsiders from another data set).</param>
    /// <param name="settings">Anything else the other tool should use (e.g. the training recipe), serialised as JSON.</param>
    /// <param name="dataFolder">Folder the file paths are made relative to. Default: <see cref="Datasets.FindDataFolder"/>.</param>
    /// <exception cref="InvalidOperationException">A set was built in memory, so its files are unknown.</exception>
    public void Save(string path, IReadOnlyDictionary<string, ImageSet>? outsiders = null, object? settings = null, string? dataFolder = null)
    {
        var folder = Path.GetFullPath(dataFolder ?? Datasets.FindDataFolder());
        var sets = new JsonObject();
        foreach (var (name, set) in new[] { ("fit", Fit), ("validation", Validation), ("knownTest", KnownTest), ("unknownTest", UnknownTest) }
                     .Concat((outsiders ?? new Dictionary<string, ImageSet>()).Select(p => (p.Key, p.Value))))
        {
            var source = set.Source ?? throw new InvalidOperationException($"{set.Name} was built in memory: there are no files to record for '{name}'");
            sets[name] = new JsonObject
            {
                ["name"] = set.Name,
                ["images"] = Path.GetRelativePath(folder, source.ImagesPath),
                ["labels"] = Path.GetRelativePath(folder, source.LabelsPath),
                ["indices"] = new JsonArray([.. source.Indices.Select(i => (JsonNode)i)]),
            };
        }
        var root = new JsonObject
        {
            ["known"] = new JsonArray([.. Known.Select(k => (JsonNode)k)]),
            ["unknown"] = new JsonArray([.. Unknown.Select(k => (JsonNode)k)]),
            ["seed"] = Seed,
            ["validationShare"] = ValidationShare,
            ["sets"] = sets,
            ["settings"] = settings is null ? null : JsonSerializer.SerializeToNode(settings),
        };
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        AtomicFile.WriteAllBytes(path, Encoding.UTF8.GetBytes(root.ToJsonString()));
    }
}
