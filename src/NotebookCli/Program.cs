using System.CommandLine;
using System.Reflection;
using NotebookCli;
using NotebookEngine.Documents;
using NotebookEngine.Running;
using NotebookEngine.Scripting;

var notebookPath = new Argument<string>("path") { Description = "A notebook (.ipynb or .dib) or a folder of notebooks (run in name order); executed notebooks are written as .ipynb" };
var output = new Option<string>("--output", "-o") { Description = "Folder for executed notebooks and their HTML (created if missing)", DefaultValueFactory = _ => "artifacts" };
var parameters = new Option<string[]>("--parameter", "-p") { Description = "name=value for the notebook's 'parameters' cell; repeatable", HelpName = "name=value" };
var timeout = new Option<double?>("--timeout") { Description = "Seconds each cell may run before it is cancelled (default: no limit)" };
var keepGoing = new Option<bool>("--continue-on-error") { Description = "Run the remaining cells after a failing one" };
var verbose = new Option<bool>("--verbose") { Description = "On an unexpected failure, print the whole stack trace", Recursive = true };
var run = new Command("run", "Execute notebooks headless; write executed .ipynb and .html files; exit 0 only if every notebook succeeds")
{
    notebookPath, output, parameters, timeout, keepGoing,
};
run.SetAction(async (parse, cancellation) =>
{
    var seconds = parse.GetValue(timeout);
    if (seconds is { } s && !(s > 0 && double.IsFinite(s))) throw new UsageException($"--timeout must be a positive number of seconds, not {s}");
    var values = RunJob.ParseParameters(parse.GetValue(parameters) ?? []);
    if (values is null) return 2;
    var job = new RunJob(OutputFolder(parse.GetValue(output)!), seconds is { } limit ? TimeSpan.FromSeconds(limit) : null, parse.GetValue(keepGoing));
    return await job.RunAllAsync(parse.GetValue(notebookPath)!, values, cancellation);
});

var exportPath = new Argument<string>("notebook") { Description = "The notebook to export" };
var exportOutput = new Option<string?>("--output", "-o") { Description = "The .cs file to write (default: the notebook's name with .cs, beside it)" };
var exportParameters = new Option<string[]>("--parameter", "-p") { Description = "name=value for the notebook's 'parameters' cell, written into the app; repeatable", HelpName = "name=value" };
var export = new Command("export", "Write the notebook as a .NET 10 file-based app that runs with 'dotnet run file.cs'") { exportPath, exportOutput, exportParameters };
export.SetAction(parse =>
{
    var source = parse.GetValue(exportPath)!;
    var values = RunJob.ParseParameters(parse.GetValue(exportParameters) ?? []);
    if (values is null) return 2;
    var target = Path.GetFullPath(parse.GetValue(exportOutput) ?? Path.ChangeExtension(source, ".cs"));
    var notebook = Notebook.Load(source);
    Parameters.Inject(notebook, values);
    AtomicFile.WriteAllText(target, FileBasedApp.Export(notebook, target, TorchLoaderProject()));
    Console.WriteLine($"wrote {target}; run it with: dotnet run {Path.GetRelativePath(Environment.CurrentDirectory, target)}");
    return 0;
});

// csnb convert: .ipynb to .dib and back (.NET Interactive's two notebook formats).
var convertPath = new Argument<string>("notebook") { Description = "The notebook to convert (.ipynb or .dib)" };
var convertOutput = new Option<string?>("--output", "-o") { Description = "The file to write (default: beside the notebook, with the other extension)" };
var convert = new Command("convert", "Turn a .ipynb into a .dib (outputs are not kept) or a .dib into a .ipynb") { convertPath, convertOutput };
convert.SetAction(parse =>
{
    var source = parse.GetValue(convertPath)!;
    var target = Path.GetFullPath(parse.GetValue(convertOutput) ?? Path.ChangeExtension(source, Notebook.IsDib(source) ? ".ipynb" : ".dib"));
    if (target == Path.GetFullPath(source)) throw new UsageException($"the output would overwrite {source}; name another with -o");
    Notebook.Load(source).Save(target);
    Console.WriteLine($"wrote {target}");
    return 0;
});

var root = new RootCommand("csnb — run C# notebooks (.ipynb, .NET Interactive style) headless, or export them as file-based apps") { run, export, convert, verbose };
var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    foreach (var error in parsed.Errors) Console.Error.WriteLine($"csnb: {error.Message}");
    Console.Error.WriteLine("Try 'csnb --help'.");
    return 2;
}
try
{
    // A Ctrl-C or SIGTERM interrupts the running cell; the notebook is then written, which takes a moment.
    return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = TimeSpan.FromSeconds(15) });
}
catch (Exception e) when (e is UsageException or NotebookFormatException or ParameterException or DirectiveException or IOException or UnauthorizedAccessException)
{
    // Bad usage or input: one line, no stack trace (unless asked for).
    Console.Error.WriteLine($"csnb: {e.Message}");
    if (parsed.GetValue(verbose)) Console.Error.WriteLine(e);
    return 2;
}

/// <summary>The -o folder, made sure to be a folder this process can write to.</summary>
static string OutputFolder(string path)
{
    var folder = Path.GetFullPath(path);
    if (File.Exists(folder)) throw new UsageException($"-o '{path}' is a file; it must be a folder (created if missing)");
    try
    {
        Directory.CreateDirectory(folder);
        var probe = Path.Combine(folder, $".csnb-write-test.{Environment.ProcessId}");
        File.WriteAllText(probe, "");
        File.Delete(probe);
    }
    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
    {
        throw new UsageException($"cannot write to the output folder '{path}': {e.Message}");
    }
    return folder;
}

/// <summary>The LibTorchLoader project this csnb was built with, which exported apps that use TorchSharp reference; null if it is gone.</summary>
static string? TorchLoaderProject() =>
    typeof(RunJob).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .FirstOrDefault(a => a.Key == "LibTorchLoaderProject")?.Value is { } path && File.Exists(path) ? path : null;
