using System.Diagnostics;
using System.Globalization;
using CenterLossKit.Benchmarks;
using LibTorchLoader;
using static TorchSharp.torch;

// clbench: the library's speed and memory, printed as Markdown tables for BENCHMARKS.md.
//   step     LeNet++ training step and epoch memory, alternating with PyTorch (train_step.py)
//   centers  centre update + center loss from 10 to 100,000 classes, against the distance-matrix form
//   eval     Metrics.Embed of 2,000 images at several batch sizes
//   all      all three
//   quick    softmax only and center loss trained briefly: the README's quick try
//   cells    a trivial notebook cell in one process, and Roslyn's share of it
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

var command = args.FirstOrDefault() ?? "all";
Action<Options>[] step = [StepBenchmark.Run], eval = [EvalBenchmark.Run], centers = [CenterScaleBenchmark.Run];
var benchmarks = new Dictionary<string, Action<Options>[]>
{
    ["step"] = step, ["eval"] = eval, ["centers"] = centers, ["all"] = [.. step, .. eval, .. centers], ["quick"] = [QuickTry.Run], ["cells"] = [CellCompileBenchmark.Run],
};
Options options;
try
{
    if (!benchmarks.ContainsKey(command)) throw new ArgumentException($"unknown command '{command}'");
    options = Options.Parse(args.Skip(1));
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(Options.Usage);
    return 2;
}
// glibc reads its malloc settings only at start-up: for the kit's, this program starts again with
// them; the PyTorch worker inherits the same environment.
bool kitAllocator = NativeAllocator.Environment.All(v => Environment.GetEnvironmentVariable(v.Key) == v.Value);
if (options.Allocator == "kit" && !kitAllocator) return Relaunch(args);
if (options.Allocator == "glibc" && NativeAllocator.Environment.Keys.Any(k => Environment.GetEnvironmentVariable(k) is not null))
{
    Console.Error.WriteLine($"--allocator glibc measures glibc's defaults: unset {string.Join(", ", NativeAllocator.Environment.Keys)} first");
    return 2;
}
TorchNative.EnsureLoaded();
set_num_threads(options.Threads);
Console.WriteLine(Machine.Describe(options));
try
{
    foreach (var run in benchmarks[command]) run(options);
}
catch (InvalidOperationException e) // the PyTorch worker could not start or died
{
    Console.Error.WriteLine(e.Message);
    return 1;
}
return 0;

static int Relaunch(string[] args)
{
    var start = new ProcessStartInfo(Environment.ProcessPath!);
    if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet") start.ArgumentList.Add(typeof(Options).Assembly.Location);
    foreach (var arg in args) start.ArgumentList.Add(arg);
    // Set, not added: a differing value of the caller's would make the child relaunch in turn.
    foreach (var (name, value) in NativeAllocator.Environment) start.Environment[name] = value;
    using var process = Process.Start(start)!;
    process.WaitForExit();
    return process.ExitCode;
}
