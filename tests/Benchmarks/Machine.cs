using System.Runtime.InteropServices;
using LibTorchLoader;
using static TorchSharp.torch;

namespace CenterLossKit.Benchmarks;

/// <summary>What the numbers were measured on, and the process's own memory readings.</summary>
static class Machine
{
    public static string Describe(Options options)
    {
        string cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        return $"""
            Machine: {cpu}, {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}
            .NET {Environment.Version}, TorchSharp {typeof(TorchSharp.torch).Assembly.GetName().Version}, intra-op threads {get_num_threads()} (asked {options.Threads})
            glibc malloc: {(options.Allocator == "kit" ? "the kit's settings, " + string.Join(" ", NativeAllocator.Environment.Select(v => $"{v.Key}={v.Value}")) : "defaults")} (both frameworks)

            """;
    }

    /// <summary>A field of /proc/self/status in MB (VmRSS: resident now, VmHWM: peak since the last reset).</summary>
    public static double ResidentMb(string field)
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith(field + ":"));
        return long.Parse(line.Split(':', 2)[1].Trim().Split(' ')[0]) / 1024.0;
    }

    /// <summary>Starts a new peak (VmHWM) at the current resident size.</summary>
    public static void ResetPeak() => File.WriteAllText("/proc/self/clear_refs", "5");

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) throw new ArgumentException("no values");
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
