using static TorchSharp.torch;

namespace CenterLossKit.Data;

/// <summary>Where the images of a set came from: an IDX image file, its label file, and each image's index in them.</summary>
public sealed record ImageSource(string ImagesPath, string LabelsPath, IReadOnlyList<int> Indices);

/// <summary>
/// Labelled grey images held as bytes on the host: what an IDX image/label pair holds. Immutable;
/// a set is only ever constructed whole and checked.
/// </summary>
public sealed class ImageSet
{
    // MNIST's usual normalisation; Fashion-MNIST outsiders go through the same one, as a deployed model would.
    const double Mean = 0.1307, Std = 0.3081;

    readonly byte[] _pixels;
    readonly byte[] _labels;

    /// <summary>Creates a set from raw pixels (count × rows × cols) and labels (count).</summary>
    /// <exception cref="ArgumentException">
    /// The image size is empty or larger than an array holds, the pixels are not exactly one image per
    /// label, or a label is not below <paramref name="classNames"/>.Length.
    /// </exception>
    public ImageSet(string name, byte[] pixels, byte[] labels, int rows, int cols, IReadOnlyList<string> classNames)
    {
        if (rows < 1 || cols < 1) throw new ArgumentException($"{name}: image size {rows}×{cols} is empty");
        long size = (long)rows * cols; // at most 2⁶², so this cannot overflow; count × size could
        if (size > Array.MaxLength)
            throw new ArgumentException($"{name}: images of {rows}×{cols} have more pixels than an array holds ({Array.MaxLength})");
        if (pixels.Length % size != 0 || pixels.Length / size != labels.Length)
            throw new ArgumentException($"{name}: {labels.Length} labels but {pixels.Length} pixel bytes, which is not {labels.Length} images of {rows}×{cols}");
        int bad = Array.FindIndex(labels, l => l >= classNames.Count);
        if (bad >= 0) throw new ArgumentException($"{name}: label {labels[bad]} at position {bad} is outside [0, {classNames.Count})");
        (Name, _pixels, _labels, Rows, Cols, ClassNames) = (name, pixels, labels, rows, cols, classNames);
    }

    /// <summary>Where the set came from, for messages and titles.</summary>
    public string Name { get; }
    /// <summary>Number of images.</summary>
    public int Count => _labels.Length;
    /// <summary>Image height.</summary>
    public int Rows { get; }
    /// <summary>Image width.</summary>
    public int Cols { get; }
    /// <summary>Names of the classes, indexed by label.</summary>
    public IReadOnlyList<string> ClassNames { get; }
    /// <summary>The labels.</summary>
    public ReadOnlySpan<byte> Labels => _labels;
    /// <summary>The IDX files the images were read from and where each one is in them; null for a set built in memory.</summary>
    public ImageSource? Source { get; private init; }
    /// <summary>The grey levels of image <paramref name="index"/>, row by row.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not in [0, <see cref="Count"/>).</exception>
    public ReadOnlySpan<byte> Pixels(int index)
    {
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"{Name} holds {Count} images");
        int size = Rows * Cols; // checked in the constructor: the pixels of one image fit an array
        return _pixels.AsSpan(index * size, size);
    }

    /// <summary>Reads an IDX image file and its label file.</summary>
    /// <exception cref="FileNotFoundException">Either file does not exist.</exception>
    /// <exception cref="InvalidDataException">
    /// Either file is malformed (see <see cref="Idx.Read"/>), the images are not (count, rows, cols) or
    /// the labels not (count), the counts differ, an image is empty or too large, or a label is not
    /// below <paramref name="classNames"/>.Count; the message names the file.
    /// </exception>
    public static ImageSet Load(string imagesPath, string labelsPath, IReadOnlyList<string> classNames)
    {
        var images = Idx.Read(imagesPath);
        var labels = Idx.Read(labelsPath);
        if (images.Dimensions.Length != 3)
            throw new InvalidDataException($"{imagesPath}: expected 3 dimensions (count, rows, cols), found {images.Dimensions.Length}");
        if (labels.Dimensions.Length != 1)
            throw new InvalidDataException($"{labelsPath}: expected 1 dimension (count), found {labels.Dimensions.Length}");
        if (images.Dimensions[0] != labels.Dimensions[0])
            throw new InvalidDataException($"{imagesPath} holds {images.Dimensions[0]} images but {labelsPath} holds {labels.Dimensions[0]} labels");
        var (rows, cols) = (images.Dimensions[1], images.Dimensions[2]);
        if (rows < 1 || cols < 1 || (long)rows * cols > Array.MaxLength)
            throw new InvalidDataException($"{imagesPath}: image size {rows}×{cols} is not between 1×1 and {Array.MaxLength} pixels");
        try
        {
            return new ImageSet(Path.GetFileName(imagesPath), images.Data, labels.Data, rows, cols, classNames)
            {
                Source = new ImageSource(Path.GetFullPath(imagesPath), Path.GetFullPath(labelsPath), [.. Enumerable.Range(0, labels.Data.Length)]),
            };
        }
        catch (ArgumentException e) { throw new InvalidDataException($"{labelsPath}: {e.Message}", e); }
    }

    /// <summary>The images at <paramref name="indices"/>, in that order, as a new set.</summary>
    public ImageSet Subset(IReadOnlyList<int> indices, string? name = null) => Select(indices, name, label => label, ClassNames);

    /// <summary>
    /// The images of <paramref name="classes"/> only, in this set's order, relabelled by their position in
    /// <paramref name="classes"/> (so a network sees classes 0, 1, …) and named after them.
    /// </summary>
    /// <exception cref="ArgumentException">A class is out of range or given twice, or none is given.</exception>
    public ImageSet OfClasses(IReadOnlyList<int> classes, string? name = null)
    {
        if (classes.Count == 0) throw new ArgumentException("no class given", nameof(classes));
        var position = Enumerable.Repeat(-1, ClassNames.Count).ToArray();
        for (int k = 0; k < classes.Count; k++)
        {
            if (classes[k] < 0 || classes[k] >= ClassNames.Count)
                throw new ArgumentException($"{Name}: class {classes[k]} is outside [0, {ClassNames.Count})", nameof(classes));
            if (position[classes[k]] >= 0) throw new ArgumentException($"{Name}: class {classes[k]} is given twice", nameof(classes));
            position[classes[k]] = k;
        }
        var keep = Enumerable.Range(0, Count).Where(i => position[_labels[i]] >= 0).ToList();
        return Select(keep, name, label => (byte)position[label], [.. classes.Select(c => ClassNames[c])]);
    }

    ImageSet Select(IReadOnlyList<int> indices, string? name, Func<byte, byte> relabel, IReadOnlyList<string> classNames)
    {
        int size = Rows * Cols;
        var pixels = new byte[indices.Count * size];
        var labels = new byte[indices.Count];
        for (int i = 0; i < indices.Count; i++)
        {
            Pixels(indices[i]).CopyTo(pixels.AsSpan(i * size));
            labels[i] = relabel(_labels[indices[i]]);
        }
        return new ImageSet(name ?? Name, pixels, labels, Rows, Cols, classNames)
        {
            Source = Source is null ? null : Source with { Indices = [.. indices.Select(i => Source.Indices[i])] },
        };
    }

    /// <summary>
    /// Splits into a training and a test set: a seeded shuffle, then the first <paramref name="trainCount"/>
    /// images for training. Same seed, same split.
    /// </summary>
    public (ImageSet Train, ImageSet Test) Split(int trainCount, int seed)
    {
        if (trainCount < 1 || trainCount >= Count)
            throw new ArgumentOutOfRangeException(nameof(trainCount), trainCount, $"must lie in [1, {Count})");
        var order = Shuffled(Count, seed);
        return (Subset(order[..trainCount], Name + " (train)"), Subset(order[trainCount..], Name + " (test)"));
    }

    /// <summary>The first <paramref name="perClass"/> images of each class, for quick runs.</summary>
    public ImageSet Take(int perClass)
    {
        var taken = new int[ClassNames.Count];
        var keep = Enumerable.Range(0, Count).Where(i => taken[_labels[i]]++ < perClass).ToList();
        return Subset(keep);
    }

    /// <summary>A permutation of 0..n−1 from a seeded Fisher–Yates shuffle.</summary>
    public static int[] Shuffled(int n, int seed)
    {
        var order = Enumerable.Range(0, n).ToArray();
        new Random(seed).Shuffle(order);
        return order;
    }

    /// <summary>Number of images of each class.</summary>
    public int[] ClassCounts()
    {
        var counts = new int[ClassNames.Count];
        foreach (var l in _labels) counts[l]++;
        return counts;
    }

    /// <summary>
    /// The whole set as tensors on <paramref name="device"/>: images (N, 1, rows, cols) float32,
    /// normalised; labels (N) int64. Built on the host and copied once.
    /// </summary>
    public (Tensor Images, Tensor Labels) ToTensors(Device device)
    {
        using var scope = NewDisposeScope();
        var images = tensor(_pixels, [Count, 1, Rows, Cols], device: device).to(ScalarType.Float32).div_(255).sub_(Mean).div_(Std);
        var labels = tensor(_labels, [Count], device: device).to(ScalarType.Int64);
        return (images.MoveToOuterDisposeScope(), labels.MoveToOuterDisposeScope());
    }
}
