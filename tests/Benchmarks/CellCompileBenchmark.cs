using System.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Scripting;
using NotebookEngine.Scripting;

namespace CenterLossKit.Benchmarks;

/// <summary>
/// How long a trivial cell (<c>1 + 1</c>) takes inside the cell host, and how much of that is Roslyn
/// compiling it as a script submission: the engine's whole cell path beside bare Roslyn submissions
/// with the engine's references and imports, without debug information, and with only the core
/// library's references. No protocol, no second process: the floor under the kernel's round trip (section 5).
/// </summary>
static class CellCompileBenchmark
{
    const int Cells = 100;
    const string Code = "1 + 1";

    public static void Run(Options options)
    {
        var session = new ScriptSession();
        session.WarmUp();
        var engine = session.LastScript!.Options; // the first submission's: every default reference and import
        string framework = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        string[] coreLibrary = ["System.Private.CoreLib", "System.Runtime", "netstandard", "System.Linq", "System.Collections", "System.Console"];
        var core = engine.WithImports(engine.Imports.Where(name => name.StartsWith("System")))
            .WithReferences(coreLibrary.Select(name => MetadataReference.CreateFromFile(Path.Combine(framework, name + ".dll"))));
        var variants = new (string Name, Func<Task<double>> Cell)[]
        {
            ("the engine's cell (ScriptSession.ExecuteAsync)", EngineCell(session)),
            ($"Roslyn alone: the engine's {engine.MetadataReferences.Length} references, {engine.Imports.Length} imports, debug information", RoslynCell(engine)),
            ("Roslyn alone: the same without debug information", RoslynCell(engine.WithEmitDebugInformation(false))),
            ($"Roslyn alone: {coreLibrary.Length} core references, {core.Imports.Length} imports, no debug information", RoslynCell(core.WithEmitDebugInformation(false))),
        };
        var medians = variants.Select(_ => new List<double>()).ToArray();
        for (int round = 0; round <= options.Rounds; round++)
        {
            // Alternating, the first round a warm-up; each variant's submissions continue its own chain.
            foreach (int v in round % 2 == 0 ? Enumerable.Range(0, variants.Length) : Enumerable.Range(0, variants.Length).Reverse())
            {
                var times = new List<double>();
                for (int i = 0; i < Cells; i++) times.Add(variants[v].Cell().GetAwaiter().GetResult());
                if (round > 0) medians[v].Add(Machine.Median(times));
            }
        }

        Console.WriteLine($"## A trivial cell inside one process: median of {Cells} `{Code}` cells per round, {options.Rounds} rounds; load average after: "
                          + string.Join(", ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)));
        Console.WriteLine();
        Console.WriteLine("| path | median ms | rounds, ms |");
        Console.WriteLine("|---|---|---|");
        for (int v = 0; v < variants.Length; v++)
            Console.WriteLine($"| {variants[v].Name} | {Machine.Median(medians[v]):F1} | {string.Join(", ", medians[v].Select(m => m.ToString("F1")))} |");
        Console.WriteLine();
    }

    // Through EvaluateAsync: the same ExecuteAsync path as any cell, with the session's own sink for the value.
    static Func<Task<double>> EngineCell(ScriptSession session) => async () =>
    {
        var clock = Stopwatch.StartNew();
        var (value, error) = await session.EvaluateAsync(Code);
        double ms = clock.Elapsed.TotalMilliseconds;
        if (value?.PlainText != "2") throw new InvalidOperationException($"the engine's cell gave '{value?.PlainText}' {error?.Value}");
        return ms;
    };

    static Func<Task<double>> RoslynCell(ScriptOptions options)
    {
        ScriptState<object>? state = null;
        return async () =>
        {
            state ??= await CSharpScript.RunAsync("", options);
            var clock = Stopwatch.StartNew();
            // A submission inherits its predecessors' references, as the engine's do.
            var script = state.Script.ContinueWith(Code, options.WithReferences(Array.Empty<MetadataReference>()));
            state = await script.RunFromAsync(state);
            double ms = clock.Elapsed.TotalMilliseconds;
            if (state.ReturnValue is not 2) throw new InvalidOperationException($"Roslyn gave '{state.ReturnValue}'");
            return ms;
        };
    }
}
