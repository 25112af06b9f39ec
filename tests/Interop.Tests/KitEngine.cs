using System.Text.Json.Nodes;
using NotebookEngine.Documents;

namespace Interop.Tests;

/// <summary>
/// The kit's engine, run as a user runs it: csnb executes notebooks (each in a worker process of its
/// own, in its own folder) and writes them executed; their outputs are read back here.
/// </summary>
public static class KitEngine
{
    /// <summary>Runs every notebook in <paramref name="folder"/>; returns each one's cells' outputs, by path.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<CellRun>> RunFolder(string folder, TimeSpan cellTimeout, int timeoutSeconds)
    {
        var output = Path.Combine(folder, "executed");
        var (code, stdout, stderr) = Processes.Run(NotebookEngine.Scripting.DotnetHost.Path,
            [Processes.BuiltProgram("NotebookCli", "csnb"), "run", folder, "-o", output, "--continue-on-error",
             "--timeout", cellTimeout.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            folder, timeoutSeconds);
        if (code is not (0 or 1)) throw new InvalidOperationException($"csnb run exited {code}: {stdout}{stderr}");
        return Directory.EnumerateFiles(folder, "*.ipynb").ToDictionary(file => file, IReadOnlyList<CellRun> (file) =>
        {
            var executed = Path.Combine(output, Path.GetFileName(file));
            return File.Exists(executed)
                ? NotebookEngine.Documents.Notebook.Load(executed).Cells.Where(c => c.IsCode).Select(c => CellRun.Of(c.Outputs.Select(o => Read((JsonObject)o!)))).ToList()
                : [];
        });
    }

    /// <summary>Runs <paramref name="cells"/> as one notebook in a fresh folder; returns each cell's outputs.</summary>
    public static IReadOnlyList<CellRun> RunCells(IEnumerable<string> cells)
    {
        var folder = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "csnb-interop", Guid.NewGuid().ToString("N")[..12])).FullName;
        var file = Path.Combine(folder, "cells.ipynb");
        NotebookOf(cells).Save(file);
        return RunFolder(folder, TimeSpan.FromSeconds(60), timeoutSeconds: 300)[file];
    }

    /// <summary>A notebook of <paramref name="cells"/> as code cells, as csnb reads it.</summary>
    public static Notebook NotebookOf(IEnumerable<string> cells)
    {
        var notebook = NotebookEngine.Documents.Notebook.Create();
        notebook.Metadata["kernelspec"] = new JsonObject { ["name"] = ".net-csharp", ["language"] = "C#", ["display_name"] = ".NET (C#)" };
        foreach (var cell in cells) notebook.InsertCell(notebook.Cells.Count, Cell.Code(cell));
        return notebook;
    }

    static CellOutput Read(JsonObject output) => (string?)output["output_type"] switch
    {
        "stream" => CellOutput.Stream((string)output["name"]!, Text.Join(output["text"])),
        "display_data" => new CellOutput("display", Bundle(output["data"]!.AsObject())),
        "execute_result" => new CellOutput("result", Bundle(output["data"]!.AsObject())),
        "error" => CellOutput.Failure(ErrorText(output)),
        var other => throw new InvalidOperationException($"unexpected output type {other}"),
    };

    static Dictionary<string, string> Bundle(JsonObject data) =>
        data.ToDictionary(d => d.Key, d => d.Value is JsonArray or JsonValue { } && d.Key.StartsWith("text/", StringComparison.Ordinal) ? Text.Join(d.Value) : d.Value!.ToJsonString());

    /// <summary>The kit's error in the oracle's terms: compile diagnostics, an exception's type and message, or another failure.</summary>
    static string ErrorText(JsonObject output)
    {
        var name = (string)output["ename"]!;
        var traceback = output["traceback"]!.AsArray().Select(l => (string)l!).ToList();
        if (name == "CompilationError")
            return "compile: " + string.Join("\n", traceback.Select(l => l.StartsWith("cell [", StringComparison.Ordinal) ? l[(l.IndexOf("] ", StringComparison.Ordinal) + 2)..] : l));
        if (name.Contains('.') && traceback.Count > 0) return "exception: " + traceback[0];
        return $"failed: {name}: {(string)output["evalue"]!}";
    }
}
