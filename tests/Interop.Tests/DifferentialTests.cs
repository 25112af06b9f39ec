using System.Diagnostics;
using System.Text;
using Xunit.Abstractions;

namespace Interop.Tests;

/// <summary>
/// Every C# cell of the public corpus through the real .NET Interactive and through the kit; outputs
/// compared MIME type by MIME type; every difference given a reason.
/// </summary>
[Collection(nameof(WorkingDirectory))]
public class DifferentialTests(ITestOutputHelper log)
{
    static readonly TimeSpan CellTimeout = TimeSpan.FromSeconds(90); // a package restore in the real engine can take a minute on a busy machine

    [Fact]
    public async Task EveryCorpusCellIsComparedAndEveryDifferenceHasAReason()
    {
        var clock = Stopwatch.StartNew();
        var notebooks = Corpus.Notebooks().Where(n => n.CSharpCells.Count > 0).ToList();
        var toRun = notebooks.Where(n => NotRunnableHere(n) is null).ToList();

        // The kit runs out of process (two csnb runs side by side) while the oracle runs here.
        var folders = Enumerable.Range(0, 2).Select(_ => Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "csnb-interop", Guid.NewGuid().ToString("N")[..12])).FullName).ToList();
        var files = toRun.Select((n, i) => Path.Combine(folders[i % 2], $"nb{i:D2}.ipynb")).ToList();
        foreach (var (notebook, file) in toRun.Zip(files)) KitEngine.NotebookOf(notebook.CSharpCells).Save(file);
        var kitRuns = folders.Select(f => Task.Run(() => KitEngine.RunFolder(f, CellTimeout, timeoutSeconds: 900))).ToList();

        var realRuns = new List<IReadOnlyList<CellRun>>();
        var home = Environment.CurrentDirectory;
        try
        {
            foreach (var (notebook, file) in toRun.Zip(files))
            {
                Environment.CurrentDirectory = Path.GetDirectoryName(file)!; // where csnb runs it too
                using var engine = new RealEngine();
                var runs = new List<CellRun>();
                foreach (var cell in notebook.CSharpCells) runs.Add(await engine.RunAsync(cell, CellTimeout));
                realRuns.Add(runs);
            }
        }
        finally { Environment.CurrentDirectory = home; }
        var oracleTime = clock.Elapsed;
        var kit = (await Task.WhenAll(kitRuns)).SelectMany(r => r).ToDictionary();

        var results = new List<(CorpusNotebook Notebook, int Cell, string Reason, CellRun Real, CellRun Kit)>();
        foreach (var notebook in notebooks.Where(n => NotRunnableHere(n) is not null))
            results.AddRange(notebook.CSharpCells.Select((_, c) => (notebook, c, NotRunnableHere(notebook)!, new CellRun([]), new CellRun([]))));
        foreach (var (notebook, index) in toRun.Select((n, i) => (n, i)))
        {
            var mine = kit[files[index]];
            var diverged = false;
            for (var c = 0; c < notebook.CSharpCells.Count; c++)
            {
                var real = realRuns[index][c];
                var own = c < mine.Count ? mine[c] : new CellRun([CellOutput.Failure("not run: the kit's notebook stopped before this cell")]);
                results.Add((notebook, c, Differences.Classify(notebook.CSharpCells[c], real, own, diverged), real, own));
                diverged |= real.Failed != own.Failed;
            }
        }

        var report = Report(results, notebooks.Count, clock.Elapsed, oracleTime);
        log.WriteLine(report);
        var path = Path.Combine(Processes.RepositoryRoot, "artifacts", "interop", "differential.md");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, report);

        // Stable on any machine of this kind: the corpus, what cannot run here, and a floor under the equal cells
        // (the measured count is in environment/DOTNET-INTERACTIVE.md); the kit never fails alone on plain C#.
        Assert.Equal((67, 613), (notebooks.Count, results.Count));
        Assert.Equal(311, results.Count(r => r.Reason.StartsWith("not run:", StringComparison.Ordinal)));
        Assert.InRange(results.Count(r => r.Reason == Differences.Equal), 180, results.Count);
        Assert.Empty(results.Where(r => r.Reason == "only the kit fails").Select(r => $"{r.Notebook.Name} C# cell {r.Cell + 1}"));
    }

    /// <summary>
    /// Why a notebook cannot run in either engine on this machine, decided before running it: a
    /// package source on the internet (only NuGet itself is reachable), or TorchSharp, whose native
    /// library the real engine cannot load on Debian 12.
    /// </summary>
    static string? NotRunnableHere(CorpusNotebook notebook)
    {
        if (notebook.CSharpCells.Any(c => c.Contains("#i \"nuget:http", StringComparison.OrdinalIgnoreCase) && !c.Contains("api.nuget.org", StringComparison.OrdinalIgnoreCase)))
            return "not run: the notebook adds a package source on the internet (#i), which this machine cannot reach";
        if (notebook.CSharpCells.Any(c => c.Contains("nuget: TorchSharp", StringComparison.OrdinalIgnoreCase) || c.Contains("nuget:TorchSharp", StringComparison.OrdinalIgnoreCase)))
            return "not run: TorchSharp, whose native library the real engine cannot load on Debian 12 (GLIBCXX_3.4.32)";
        return null;
    }

    static string Report(List<(CorpusNotebook Notebook, int Cell, string Reason, CellRun Real, CellRun Kit)> results, int notebooks, TimeSpan total, TimeSpan oracle)
    {
        var text = new StringBuilder();
        text.AppendLine($"{results.Count} C# cells of {notebooks} notebooks compared in {total.TotalSeconds:0} s (oracle {oracle.TotalSeconds:0} s)");
        text.AppendLine($"equal: {results.Count(r => r.Reason == Differences.Equal)}");
        foreach (var group in results.Where(r => r.Reason != Differences.Equal).GroupBy(r => r.Reason).OrderByDescending(g => g.Count()))
        {
            text.AppendLine($"{group.Count(),4}  {group.Key}");
            foreach (var (notebook, cell, _, real, kit) in group.Take(3))
            {
                text.AppendLine($"        {notebook.Name} C# cell {cell + 1}");
                text.AppendLine($"          real: {string.Join(" | ", real.Outputs.Select(Normal.Output))}");
                text.AppendLine($"          kit:  {string.Join(" | ", kit.Outputs.Select(Normal.Output))}");
            }
        }
        return text.ToString();
    }
}
