using System.Text.Json;
using CenterLossKit.Data;

namespace CenterLossKit.Tests;

public class OpenSetSplitTests
{
    static readonly (ImageSet Train, ImageSet Test) Mnist = Datasets.Mnist();

    [Fact]
    public void Known_and_held_out_classes_partition_the_digits_and_the_sets_are_relabelled()
    {
        var split = OpenSetSplit.Create(Mnist.Train, Mnist.Test, knownClasses: 6, validationShare: 0.1, seed: 7);
        Assert.Equal(6, split.Known.Count);
        Assert.Equal(Enumerable.Range(0, 10), split.Known.Concat(split.Unknown).Order());
        Assert.Equal(split.Known.Select(k => Datasets.Digits[k]), split.Fit.ClassNames);
        Assert.Equal(split.Unknown.Select(k => Datasets.Digits[k]), split.UnknownTest.ClassNames);

        int knownTrain = split.Known.Sum(k => Mnist.Train.ClassCounts()[k]);
        Assert.Equal((int)Math.Round(knownTrain * 0.1), split.Validation.Count);
        Assert.Equal(knownTrain, split.Fit.Count + split.Validation.Count);
        Assert.Equal(split.Known.Sum(k => Mnist.Test.ClassCounts()[k]), split.KnownTest.Count);
        Assert.Equal(split.Unknown.Sum(k => Mnist.Test.ClassCounts()[k]), split.UnknownTest.Count);

        // Training and validation images are disjoint and come from the training set; labels map back to the known digits.
        var fit = split.Fit.Source!.Indices.ToHashSet();
        Assert.DoesNotContain(split.Validation.Source!.Indices, fit.Contains);
        Assert.DoesNotContain(split.KnownTest.Source!.Indices, fit.Contains);
        var original = Idx.Read(split.Fit.Source.LabelsPath).Data;
        for (int i = 0; i < split.Fit.Count; i++) Assert.Equal(split.Known[split.Fit.Labels[i]], original[split.Fit.Source.Indices[i]]);
        for (int i = 0; i < split.UnknownTest.Count; i++) Assert.Equal(split.Unknown[split.UnknownTest.Labels[i]], original[split.UnknownTest.Source!.Indices[i]]);
    }

    [Fact]
    public void The_same_seed_gives_the_same_split_and_another_seed_another()
    {
        var a = OpenSetSplit.Create(Mnist.Train, Mnist.Test, 6, 0.1, seed: 3);
        var b = OpenSetSplit.Create(Mnist.Train, Mnist.Test, 6, 0.1, seed: 3);
        var c = OpenSetSplit.Create(Mnist.Train, Mnist.Test, 6, 0.1, seed: 4);
        Assert.Equal(a.Known, b.Known);
        Assert.Equal(a.Validation.Source!.Indices, b.Validation.Source!.Indices);
        Assert.NotEqual(a.Validation.Source!.Indices, c.Validation.Source!.Indices);
        Assert.Equal(a.Fit.Name, b.Fit.Name);
        Assert.NotEqual(a.Fit.Name, c.Fit.Name); // models trained on different splits are kept apart
    }

    [Fact]
    public void The_saved_split_names_each_set_files_and_indices()
    {
        var split = OpenSetSplit.Create(Mnist.Train, Mnist.Test, 4, 0.25, seed: 1, perClass: 20);
        Assert.Equal(60, split.Fit.Count);
        var fashion = Datasets.FashionMnist().Test.Subset([5, 3, 1]);
        var path = Path.Combine(Path.GetTempPath(), $"split-{Guid.NewGuid():N}.json");
        try
        {
            split.Save(path, new Dictionary<string, ImageSet> { ["fashion"] = fashion }, new { epochs = 3 });
            using var json = JsonDocument.Parse(File.ReadAllText(path));
            var root = json.RootElement;
            Assert.Equal(split.Known, root.GetProperty("known").EnumerateArray().Select(e => e.GetInt32()));
            Assert.Equal(3, root.GetProperty("settings").GetProperty("epochs").GetInt32());
            var sets = root.GetProperty("sets");
            Assert.Equal("mnist/mnist-10k-images-idx3-ubyte.gz", sets.GetProperty("validation").GetProperty("images").GetString());
            Assert.Equal(split.Validation.Source!.Indices, sets.GetProperty("validation").GetProperty("indices").EnumerateArray().Select(e => e.GetInt32()));
            Assert.Equal("fashion-mnist/fashion-10k-labels-idx1-ubyte.gz", sets.GetProperty("fashion").GetProperty("labels").GetString());
            Assert.Equal(fashion.Source!.Indices, sets.GetProperty("fashion").GetProperty("indices").EnumerateArray().Select(e => e.GetInt32()));
            Assert.Equal(["fit", "validation", "knownTest", "unknownTest", "fashion"], sets.EnumerateObject().Select(p => p.Name));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Bad_settings_and_sets_built_in_memory_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => OpenSetSplit.Create(Mnist.Train, Mnist.Test, 10, 0.1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => OpenSetSplit.Create(Mnist.Train, Mnist.Test, 1, 0.1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => OpenSetSplit.Create(Mnist.Train, Mnist.Test, 6, 1, 1));
        Assert.Throws<ArgumentException>(() => OpenSetSplit.Create(Mnist.Train, Datasets.FashionMnist().Test, 6, 0.1, 1));

        var inMemory = new ImageSet("tiny", new byte[3 * 4], [0, 1, 2], 2, 2, ["a", "b", "c"]);
        var split = OpenSetSplit.Create(inMemory, inMemory, 2, 0.5, 1);
        Assert.Null(split.Fit.Source);
        var path = Path.Combine(Path.GetTempPath(), $"split-{Guid.NewGuid():N}.json");
        Assert.Contains("built in memory", Assert.Throws<InvalidOperationException>(() => split.Save(path)).Message);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Of_classes_keeps_the_order_relabels_and_traces_the_images_to_their_file()
    {
        var set = Mnist.Test.Subset([.. Enumerable.Range(0, 40)]);
        var labels = set.Labels.ToArray();
        int first = labels[0], second = labels.First(l => l != first);
        var picked = set.OfClasses([second, first]);
        Assert.Equal([Datasets.Digits[second], Datasets.Digits[first]], picked.ClassNames);
        var expected = Enumerable.Range(0, set.Count).Where(i => labels[i] == first || labels[i] == second).ToList();
        Assert.True(expected.Count >= 2);
        Assert.Equal(expected.Select(i => set.Source!.Indices[i]), picked.Source!.Indices);
        Assert.Equal(expected.Select(i => labels[i] == second ? (byte)0 : (byte)1), picked.Labels.ToArray());
        Assert.True(picked.Pixels(0).SequenceEqual(set.Pixels(expected[0])));
        Assert.Contains("given twice", Assert.Throws<ArgumentException>(() => set.OfClasses([1, 1])).Message);
        Assert.Contains("outside [0, 10)", Assert.Throws<ArgumentException>(() => set.OfClasses([10])).Message);
    }
}
