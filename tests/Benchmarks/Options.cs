namespace CenterLossKit.Benchmarks;

/// <summary>Settings shared by the benchmarks, from <c>--name value</c> pairs.</summary>
sealed record Options
{
    public const string Usage =
        "usage: clbench [step|eval|centers|all|quick|cells] [--threads 2] [--rounds 7] [--steps 10] [--epoch-images 8000] [--python /usr/bin/python3] [--allocator kit|glibc]\n" +
        "       quick only: [--model SmallNet|LeNet++] [--epochs 8] [--batch 64] [--lr 0.003] [--lambda 0.1]";

    /// <summary>Intra-op threads for TorchSharp and PyTorch alike.</summary>
    public int Threads { get; init; } = 2;
    /// <summary>Timed rounds per framework, alternating, after one warm-up round each.</summary>
    public int Rounds { get; init; } = 7;
    /// <summary>Training steps per round.</summary>
    public int Steps { get; init; } = 10;
    /// <summary>Images of the epoch whose peak memory is measured (the tutorial's training split).</summary>
    public int EpochImages { get; init; } = 8000;
    /// <summary>The Python with PyTorch: Debian's, which may not be the first python3 on PATH.</summary>
    public string Python { get; init; } = "/usr/bin/python3";

    /// <summary>glibc malloc: "kit", the settings the kit's hosts start with (NativeAllocator), or "glibc", its defaults.</summary>
    public string Allocator { get; init; } = "kit";

    public const int BatchSize = 128;

    /// <summary>quick: the network, SmallNet or LeNet++.</summary>
    public string Model { get; init; } = "SmallNet";
    /// <summary>quick: passes over the 8,000 training digits.</summary>
    public int Epochs { get; init; } = 8;
    /// <summary>quick: mini-batch size.</summary>
    public int Batch { get; init; } = 64;
    /// <summary>quick: Adam's learning rate, annealed along a cosine.</summary>
    public double LearningRate { get; init; } = 3e-3;
    /// <summary>quick: λ of the center-loss run (the other has λ = 0).</summary>
    public double Lambda { get; init; } = 0.1;

    public static Options Parse(IEnumerable<string> args)
    {
        var options = new Options();
        using var e = args.GetEnumerator();
        while (e.MoveNext())
        {
            string name = e.Current;
            if (!e.MoveNext()) throw new ArgumentException($"option {name} needs a value");
            string value = e.Current;
            options = name switch
            {
                "--threads" => options with { Threads = Positive(name, value) },
                "--rounds" => options with { Rounds = Positive(name, value) },
                "--steps" => options with { Steps = Positive(name, value) },
                "--epoch-images" => options with { EpochImages = Positive(name, value) },
                "--python" => options with { Python = value },
                "--allocator" when value is "kit" or "glibc" => options with { Allocator = value },
                "--allocator" => throw new ArgumentException($"--allocator must be kit or glibc, got '{value}'"),
                "--model" when value is "SmallNet" or "LeNet++" => options with { Model = value },
                "--model" => throw new ArgumentException($"--model must be SmallNet or LeNet++, got '{value}'"),
                "--epochs" => options with { Epochs = Positive(name, value) },
                "--batch" => options with { Batch = Positive(name, value) },
                "--lr" => options with { LearningRate = PositiveNumber(name, value) },
                "--lambda" => options with { Lambda = PositiveNumber(name, value) },
                _ => throw new ArgumentException($"unknown option {name}"),
            };
        }
        return options;
    }

    static double PositiveNumber(string name, string value) =>
        double.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out double x) && x > 0 && double.IsFinite(x)
            ? x : throw new ArgumentException($"{name} must be a positive number, got '{value}'");

    // set_num_threads(0) aborts the process, so every count is checked here.
    static int Positive(string name, string value) =>
        int.TryParse(value, out int n) && n > 0 ? n : throw new ArgumentException($"{name} must be a positive integer, got '{value}'");
}
