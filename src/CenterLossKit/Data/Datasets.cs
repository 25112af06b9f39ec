namespace CenterLossKit.Data;

/// <summary>
/// MNIST and Fashion-MNIST from the kit's <c>data/</c> folder: the official full files when present,
/// otherwise the bundled 10,000-image subsets.
/// </summary>
public static class Datasets
{
    /// <summary>Digit names.</summary>
    public static readonly IReadOnlyList<string> Digits = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

    /// <summary>Fashion-MNIST class names.</summary>
    public static readonly IReadOnlyList<string> Clothes =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>Seed of the bundled subset's train/test split.</summary>
    public const int SplitSeed = 20160908;

    /// <summary>
    /// The kit's data folder: <c>CENTERLOSS_DATA</c> if set, else the first <c>data</c> folder holding
    /// <c>mnist/</c> found from the current directory or the application folder upward.
    /// </summary>
    public static string FindDataFolder()
    {
        var configured = Environment.GetEnvironmentVariable("CENTERLOSS_DATA");
        if (!string.IsNullOrEmpty(configured)) return configured;
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "data");
                if (Directory.Exists(Path.Combine(candidate, "mnist"))) return candidate;
            }
        throw new DirectoryNotFoundException(
            "no data/mnist folder found above the current directory or the application; set CENTERLOSS_DATA to the kit's data folder");
    }

    /// <summary>
    /// MNIST: the official 60,000/10,000 split when <c>train-*</c> and <c>t10k-*</c> files are in
    /// <c>mnist/</c>, else the bundled 10,000 digits split 8,000/2,000 with <see cref="SplitSeed"/>.
    /// </summary>
    public static (ImageSet Train, ImageSet Test) Mnist(string? dataFolder = null) =>
        Load(Path.Combine(dataFolder ?? FindDataFolder(), "mnist"), "mnist-10k", Digits);

    /// <summary>Fashion-MNIST, the same way (bundled: 10,000 images, 1,000 per class, split 8,000/2,000).</summary>
    public static (ImageSet Train, ImageSet Test) FashionMnist(string? dataFolder = null) =>
        Load(Path.Combine(dataFolder ?? FindDataFolder(), "fashion-mnist"), "fashion-10k", Clothes);

    static (ImageSet, ImageSet) Load(string folder, string bundled, IReadOnlyList<string> classes)
    {
        if (Find(folder, "train-images-idx3-ubyte") is { } trainImages && Find(folder, "train-labels-idx1-ubyte") is { } trainLabels
            && Find(folder, "t10k-images-idx3-ubyte") is { } testImages && Find(folder, "t10k-labels-idx1-ubyte") is { } testLabels)
            return (ImageSet.Load(trainImages, trainLabels, classes), ImageSet.Load(testImages, testLabels, classes));
        var all = ImageSet.Load(Path.Combine(folder, bundled + "-images-idx3-ubyte.gz"), Path.Combine(folder, bundled + "-labels-idx1-ubyte.gz"), classes);
        return all.Split(all.Count * 4 / 5, SplitSeed);
    }

    static string? Find(string folder, string name) =>
        new[] { name + ".gz", name }.Select(n => Path.Combine(folder, n)).FirstOrDefault(File.Exists);
}
