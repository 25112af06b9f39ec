using System.Diagnostics;
using System.Text.Json;
using CenterLossKit.Models;
using CenterLossKit.Training;
using static TorchSharp.torch;

namespace CenterLossKit.Benchmarks;

/// <summary>
/// One training step of LeNet++ (forward, cross-entropy + λ·center loss, backward, Adam, Wen's centre
/// update), batch 128, through the library's <see cref="Trainer"/>, against the same work in PyTorch
/// (train_step.py). Rounds alternate between the two so that both see the same machine.
/// </summary>
static class StepBenchmark
{
    static readonly TrainOptions Recipe = new()
    {
        Epochs = 1, BatchSize = Options.BatchSize, LearningRate = 1e-3, CosineSchedule = false,
        Lambda = 0.1, Centers = CenterMode.Wen, Alpha = 0.5, MaxShift = 0, Seed = 1,
    };

    sealed record EpochMemory(double Seconds, double RssBeforeMb, double PeakRssMb);

    public static void Run(Options options)
    {
        using var trainer = new Trainer(() => new LeNetPlusPlus(), Recipe, CPU);
        // Peak memory of one epoch first, while this process is fresh, before the worker starts.
        var ours = MeasureEpoch(trainer, options.EpochImages);
        using var python = PythonWorker.Start(options);
        var theirs = python.Startup;

        var torchSharpRounds = new List<double[]>();
        var pyTorchRounds = new List<double[]>();
        TimeSteps(trainer, options.Steps);   // warm-up
        python.TimeSteps(options.Steps);
        for (int round = 0; round < options.Rounds; round++)
        {
            // Alternate who goes first, so neither always follows the other's cache state.
            if (round % 2 == 0)
            {
                torchSharpRounds.Add(TimeSteps(trainer, options.Steps));
                pyTorchRounds.Add(python.TimeSteps(options.Steps));
            }
            else
            {
                pyTorchRounds.Add(python.TimeSteps(options.Steps));
                torchSharpRounds.Add(TimeSteps(trainer, options.Steps));
            }
        }

        double oursMs = Machine.Median(torchSharpRounds.SelectMany(r => r));
        double theirsMs = Machine.Median(pyTorchRounds.SelectMany(r => r));
        Console.WriteLine($"## Training step: LeNet++, batch {Options.BatchSize}, {options.Rounds} rounds × {options.Steps} steps, alternating");
        Console.WriteLine();
        Console.WriteLine($"| | median step (ms) | round medians (ms) | images/s | epoch of {options.EpochImages} (s) | RSS before → peak in the epoch (MB) |");
        Console.WriteLine("|---|---|---|---|---|---|");
        Row("TorchSharp " + typeof(TorchSharp.torch).Assembly.GetName().Version!.ToString(3), oursMs, torchSharpRounds, ours);
        Row($"PyTorch {python.Version}", theirsMs, pyTorchRounds, theirs);
        Console.WriteLine();
        // Paired by round, so a slow patch of the machine weighs on both sides of a ratio.
        var ratios = torchSharpRounds.Zip(pyTorchRounds, (ts, pt) => Machine.Median(pt) / Machine.Median(ts)).ToArray();
        Console.WriteLine($"TorchSharp / PyTorch images per second: {theirsMs / oursMs:F2} overall; " +
            $"per round {Machine.Median(ratios):F2} (median), {ratios.Min():F2}–{ratios.Max():F2}");
        Console.WriteLine();
    }

    static void Row(string name, double medianMs, List<double[]> rounds, EpochMemory epoch)
    {
        var roundMedians = rounds.Select(Machine.Median).ToArray();
        Console.WriteLine($"| {name} | {medianMs:F1} | {roundMedians.Min():F0}–{roundMedians.Max():F0} | " +
            $"{Options.BatchSize * 1000 / medianMs:F0} | {epoch.Seconds:F1} | {epoch.RssBeforeMb:F0} → {epoch.PeakRssMb:F0} |");
    }

    static EpochMemory MeasureEpoch(Trainer trainer, int images)
    {
        var (x, y) = RandomBatch(images, seed: 2);
        using (x) using (y)
        {
            double before = Machine.ResidentMb("VmRSS");
            Machine.ResetPeak();
            var clock = Stopwatch.StartNew();
            trainer.Fit(x, y);
            return new EpochMemory(clock.Elapsed.TotalSeconds, before, Machine.ResidentMb("VmHWM"));
        }
    }

    // Milliseconds of each step of one pass over steps × batch random images.
    static double[] TimeSteps(Trainer trainer, int steps)
    {
        var (x, y) = RandomBatch(steps * Options.BatchSize, seed: 3);
        using (x) using (y)
        {
            var times = new List<double>(steps);
            var clock = Stopwatch.StartNew();
            trainer.Progress = p =>
            {
                if (p.Completed is not null) return;
                times.Add(clock.Elapsed.TotalMilliseconds);
                clock.Restart();
            };
            trainer.Fit(x, y);
            trainer.Progress = null;
            return [.. times];
        }
    }

    // Pixel values do not change the cost of dense convolutions, so random images stand in for digits.
    static (Tensor Images, Tensor Labels) RandomBatch(int count, int seed)
    {
        using var generator = new Generator((ulong)seed, CPU);
        return (randn([count, 1, 28, 28], generator: generator, device: CPU),
            randint(0, 10, [count], generator: generator, device: CPU));
    }

    /// <summary>train_step.py, started once and fed "steps K" commands; it answers with JSON lines.</summary>
    sealed class PythonWorker : IDisposable
    {
        readonly Process _process;

        PythonWorker(Process process, EpochMemory startup, string version) =>
            (_process, Startup, Version) = (process, startup, version);

        public EpochMemory Startup { get; }
        public string Version { get; }

        public static PythonWorker Start(Options options)
        {
            string script = Path.Combine(AppContext.BaseDirectory, "train_step.py");
            var info = new ProcessStartInfo(options.Python)
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            foreach (var arg in new[] { script, "--threads", options.Threads.ToString(), "--batch", Options.BatchSize.ToString(),
                         "--epoch-images", options.EpochImages.ToString() })
                info.ArgumentList.Add(arg);
            var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {options.Python}");
            var first = ReadReply(process);
            var epoch = new EpochMemory(first.GetProperty("epoch_seconds").GetDouble(),
                first.GetProperty("rss_before_mb").GetDouble(), first.GetProperty("peak_rss_mb").GetDouble());
            return new PythonWorker(process, epoch, first.GetProperty("torch").GetString()!);
        }

        public double[] TimeSteps(int steps)
        {
            _process.StandardInput.WriteLine($"steps {steps}");
            _process.StandardInput.Flush();
            return [.. ReadReply(_process).GetProperty("step_ms").EnumerateArray().Select(t => t.GetDouble())];
        }

        static JsonElement ReadReply(Process process)
        {
            var line = process.StandardOutput.ReadLine();
            if (line is null)
            {
                process.WaitForExit();
                throw new InvalidOperationException(
                    $"the PyTorch worker exited with code {process.ExitCode}; is python3-torch installed (apt-get install python3-torch)?");
            }
            return JsonDocument.Parse(line).RootElement.Clone();
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.StandardInput.WriteLine("quit");
                _process.StandardInput.Close();
                if (!_process.WaitForExit(10_000)) _process.Kill();
            }
            _process.Dispose();
        }
    }
}
