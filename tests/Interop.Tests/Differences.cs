using System.Text.RegularExpressions;

namespace Interop.Tests;

/// <summary>
/// Compares a cell's outputs in the two engines and, when they differ, says why. The reasons are
/// checked in order: what this machine cannot do (native libraries, packages, the internet, files)
/// before what the kit does differently.
/// </summary>
public static partial class Differences
{
    public const string Equal = "equal";

    /// <summary>null if the outputs are equal; otherwise the reason they differ.</summary>
    public static string Classify(string code, CellRun real, CellRun kit, bool earlierCellEndedDifferently)
    {
        var realOutputs = real.Outputs.Select(Normal.Output).ToList();
        var kitOutputs = kit.Outputs.Select(Normal.Output).ToList();
        if (Same(realOutputs, kitOutputs, exact: true)) return Equal;

        var errors = $"{real.ErrorText}\n{kit.ErrorText}";
        if (TorchNative().IsMatch(errors) || (code.Contains("torch", StringComparison.Ordinal) && real.Failed && !kit.Failed))
            return "TorchSharp: the real engine cannot load its native library on Debian 12 (GLIBCXX_3.4.32); the kit can";
        if (UnknownMagic().Match(real.ErrorText ?? "") is { Success: true } realMagic)
            return $"magic {realMagic.Groups[1].Value}: absent from the served real engine (its Jupyter package is not on NuGet here)";
        if (KitUnknownMagic().Match(kit.ErrorText ?? "") is { Success: true } kitMagic)
            return $"magic {kitMagic.Groups[1].Value}: not in the kit";
        if (NotServed().IsMatch(errors))
            return "package not served by NuGet here";
        if (Network().IsMatch(errors))
            return "needs the internet";
        if (MissingFile().IsMatch(errors))
            return "needs a data file the notebook downloads or ships beside it";
        if (code.Contains("GetInputAsync", StringComparison.Ordinal) || code.Contains("GetPasswordAsync", StringComparison.Ordinal) || code.Contains("@input", StringComparison.Ordinal) || code.Contains("@password", StringComparison.Ordinal))
            return "needs stdin (@input, GetInputAsync)";
        if (KernelApi().IsMatch(code))
            return "uses .NET Interactive's kernel API (Commands, Events, Kernel.Root, extensions), which the kit does not have";
        if (code.Contains("Chart", StringComparison.Ordinal) && real.Outputs.Any(o => o.Data.Values.Any(v => v.Contains("Plotly.NET.Trace", StringComparison.Ordinal))))
            return "Plotly.NET 6 chart: the real engine here shows the object tree (its Plotly.NET.Interactive needs FSharp.Core 10.1), the kit draws the chart";
        if (earlierCellEndedDifferently)
            return "follows an earlier cell that ended differently in the two engines";
        if (real.Failed && kit.Failed)
            return "both fail; the error text differs";
        if (real.Failed != kit.Failed)
            return real.Failed ? "only the real engine fails" : "only the kit fails";
        if (code.Contains(".Update(", StringComparison.Ordinal) && realOutputs.Count == kitOutputs.Count)
            return "display handle updates: the real engine's Update targets an id no output carries, so its first value stays (a quirk the kit does not copy)";
        if (NugetReference().IsMatch(code))
            return "#r nuget report: the package list differs (the kit names the versions its host carries)";
        if (Same(realOutputs, kitOutputs, exact: false))
            return "equal on the real engine's MIME types; the kit adds " + string.Join(", ", Extra(realOutputs, kitOutputs));
        if (realOutputs.Select(o => o.Kind).SequenceEqual(kitOutputs.Select(o => o.Kind)))
        {
            var pairs = realOutputs.Zip(kitOutputs).Where(p => !Covers(p.First, p.Second)).ToList();
            var mimes = pairs.Select(p => $"real {Mimes(p.First)}, kit {Mimes(p.Second)}").Distinct().ToList();
            return pairs.All(p => p.First.Data.Keys.Order().SequenceEqual(p.Second.Data.Keys.Order()))
                ? $"{pairs[0].First.Kind} text differs ({Mimes(pairs[0].First)})"
                : $"{pairs[0].First.Kind} MIME types differ: {string.Join("; ", mimes)}";
        }
        return $"outputs differ: real [{string.Join(", ", realOutputs.Select(o => o.Kind))}], kit [{string.Join(", ", kitOutputs.Select(o => o.Kind))}]";
    }

    static bool Same(List<CellOutput> real, List<CellOutput> kit, bool exact) =>
        real.Count == kit.Count && real.Zip(kit).All(p => exact ? p.First.Kind == p.Second.Kind && p.First.Data.Count == p.Second.Data.Count && Covers(p.First, p.Second) : Covers(p.First, p.Second));

    /// <summary>Same kind, and the kit has every MIME type the real engine gave, with the same text.</summary>
    static bool Covers(CellOutput real, CellOutput kit) =>
        real.Kind == kit.Kind && real.Data.All(d => kit.Data.TryGetValue(d.Key, out var text) && text == d.Value);

    static IEnumerable<string> Extra(List<CellOutput> real, List<CellOutput> kit) =>
        real.Zip(kit).SelectMany(p => p.Second.Data.Keys.Except(p.First.Data.Keys)).Distinct().Order();

    static string Mimes(CellOutput output) => string.Join("+", output.Data.Keys.Order());

    [GeneratedRegex(@"libtorch|LibTorchSharp|GLIBCXX|TorchSharp\.torch|TypeInitializationException.*torch", RegexOptions.IgnoreCase)]
    private static partial Regex TorchNative();

    [GeneratedRegex(@"Unknown magic command '(#!\S+)'")]
    private static partial Regex UnknownMagic();

    [GeneratedRegex(@"unknown magic command '(#!\S+)'")]
    private static partial Regex KitUnknownMagic();

    [GeneratedRegex(@"NU1101|NU1102|NU1103|Unable to find package|Unable to resolve|not served|could not be found on any source", RegexOptions.IgnoreCase)]
    private static partial Regex NotServed();

    [GeneratedRegex(@"HttpRequestException|Name or service not known|No such host|Resource temporarily unavailable|SocketException|WebException|Network is unreachable|Connection refused", RegexOptions.IgnoreCase)]
    private static partial Regex Network();

    [GeneratedRegex(@"FileNotFoundException|DirectoryNotFoundException|Could not find (a part of the path|file)", RegexOptions.IgnoreCase)]
    private static partial Regex MissingFile();

    [GeneratedRegex(@"Microsoft\.DotNet\.Interactive\.(Commands|Events|CSharp|Journey)|Kernel\.Root|KernelInvocationContext|IKernelExtension")]
    private static partial Regex KernelApi();

    [GeneratedRegex(@"^\s*#r\s+""nuget:", RegexOptions.Multiline)]
    private static partial Regex NugetReference();
}
