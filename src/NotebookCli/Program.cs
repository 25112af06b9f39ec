using System.CommandLine;
using System.Reflection;
using NotebookCli;
using NotebookEngine.Documents;
using NotebookEngine.Running;
using NotebookEngine.Scripting;

var notebookPath = new Argument<string>("path") { Description = "A notebook (.ipynb or .dib) or a folder of notebooks (run in name order); executed notebooks are written as .ipynb" };
var output = new Option<string>("--output", "-o") { Description = "Folder for executed notebooks and their HTML (created if missing)", DefaultValueFactory = _ => "artifacts" };
var testOutput = new Option<string?>("--output", "-o") { Description = "Also write the executed notebooks and their HTML to this folder (created if missing)" };
var parameters = new Option<string[]>("--parameter", "-p") { Description = "name=value for the notebook's 'parameters' cell, typed from its default; repeatable", HelpName = "name=value" };
var parameterFiles = new Option<string[]>("--parameters-file", "-f") { Description = "A YAML or JSON file of name: value pairs; repeatable, a later file wins, -p and -r win over files", HelpName = "file" };
var rawParameters = new Option<string[]>("--parameter-raw", "-r")
{
    Description = "name value: a string parameter's value as given, never parsed (papermill's -r); repeatable, wins over -p",
    HelpName = "name value",
    Arity = new ArgumentArity(2, 2),
    AllowMultipleArgumentsPerToken = true,
};
var cwd = new Option<string?>("--cwd") { Description = "Working directory of the cells (default: each notebook's own folder, as under Jupyter)" };
var timeout = new Option<double?>("--timeout") { Description = "Seconds each cell may run before it is cancelled (default: no limit)" };
var keepGoing = new Option<bool>("--continue-on-error") { Description = "Run the remaining cells after a failing one" };
var prepareOnly = new Option<bool>("--prepare-only") { Description = "Inject the parameters and write the notebooks without running anything" };
var jobs = new Option<int>("--jobs", "-j") { Description = "Run N notebooks at once, each in its own cell host", DefaultValueFactory = _ => 1, HelpName = "N" };
var quiet = new Option<bool>("--quiet", "-q") { Description = "No live progress (a running cell's output and displays) on stderr" };
var reports = new Option<string[]>("--report") { Description = "Write a report: a .trx file (Visual Studio, Azure DevOps) or any other name for JUnit XML; repeatable", HelpName = "file" };
var sanitizeWith = new Option<string?>("--sanitize-with") { Description = "nbval's sanitizer file: 'regex: <pattern>' lines each followed by 'replace: <text>', applied before comparing", HelpName = "file" };
var lax = new Option<bool>("--lax") { Description = "Compare only the outputs of cells marked NBVAL_CHECK_OUTPUT (nbval's --nbval-lax); every cell must still run" };
var verbose = new Option<bool>("--verbose") { Description = "On an unexpected failure, print the whole stack trace", Recursive = true };

var run = new Command("run", "Execute notebooks headless; write executed .ipynb and .html files; exit 0 only if every notebook succeeds")
{
    notebookPath, output, parameters, parameterFiles, rawParameters, cwd, timeout, keepGoing, prepareOnly, jobs, quiet, reports,
};
run.SetAction(async (parse, cancellation) =>
{
    var (values, raw) = ParameterValues(parse);
    if (values is null) return 2;
    var job = new RunJob(Settings(parse) with
    {
        OutputFolder = OutputFolder(parse.GetValue(output)!),
        ContinueOnError = parse.GetValue(keepGoing),
        PrepareOnly = parse.GetValue(prepareOnly),
    });
    return await job.RunAllAsync(parse.GetValue(notebookPath)!, values, raw, cancellation);
});

var test = new Command("test", "Run notebooks and compare each cell's outputs with those stored in it, as nbval does; exit 0 only if every cell passes")
{
    notebookPath, testOutput, parameters, parameterFiles, rawParameters, cwd, timeout, jobs, quiet, reports, sanitizeWith, lax,
};
test.SetAction(async (parse, cancellation) =>
{
    var (values, raw) = ParameterValues(parse);
    if (values is null) return 2;
    var sanitizers = parse.GetValue(sanitizeWith) is { } file ? Sanitizers.Parse(File.ReadAllText(file), file) : Sanitizers.Default;
    var job = new RunJob(Settings(parse) with
    {
        OutputFolder = parse.GetValue(testOutput) is { } folder ? OutputFolder(folder) : null,
        Check = sanitizers,
        Lax = parse.GetValue(lax),
    });
    return await job.RunAllAsync(parse.GetValue(notebookPath)!, values, raw, cancellation);
});

// What run and test share, checked.
JobSettings Settings(ParseResult parse)
{
    var seconds = parse.GetValue(timeout);
    if (seconds is { } s && !(s > 0 && double.IsFinite(s))) throw new UsageException($"--timeout must be a positive number of seconds, not {s}");
    var n = parse.GetValue(jobs);
    if (n < 1) throw new UsageException($"--jobs must be at least 1, not {n}");
    var folder = parse.GetValue(cwd) is { } given ? Path.GetFullPath(given) : null;
    if (folder is not null && !Directory.Exists(folder)) throw new UsageException($"--cwd '{parse.GetValue(cwd)}' is not a folder");
    var files = parse.GetValue(reports) ?? [];
    foreach (var file in files) ReportFolder(file);
    return new JobSettings
    {
        CellTimeout = seconds is { } limit ? TimeSpan.FromSeconds(limit) : null,
        WorkingDirectory = folder,
        Quiet = parse.GetValue(quiet),
        Jobs = n,
        Reports = files,
    };
}

// Parameter values by source, papermill's order: files (a later one wins), then -p, and -r (kept apart: raw values are strings).
(Dictionary<string, string>? Values, Dictionary<string, string> Raw) ParameterValues(ParseResult parse)
{
    var values = new Dictionary<string, string>();
    foreach (var file in parse.GetValue(parameterFiles) ?? [])
        foreach (var (name, value) in ParameterFile.Read(file)) values[name] = value;
    if (RunJob.ParseParameters(parse.GetValue(parameters) ?? []) is not { } given) return (null, []);
    foreach (var (name, value) in given) values[name] = value;
    var rawItems = parse.GetValue(rawParameters) ?? [];
    if (rawItems.Length % 2 != 0) throw new UsageException("-r takes a name and a value");
    var raw = new Dictionary<string, string>();
    for (var i = 0; i < rawItems.Length; i += 2) raw[rawItems[i]] = rawItems[i + 1];
    return (values, raw);
}

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

var root = new RootCommand("csnb — run and test C# notebooks (.ipynb, .NET Interactive style) headless, or export them as file-based apps") { run, test, export, convert, verbose };
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
catch (Exception e) when (e is UsageException or NotebookFormatException or ParameterException or DirectiveException or FormatException or IOException or UnauthorizedAccessException)
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

/// <summary>Checks that the folder of a report file can be written to (created if missing), before anything runs.</summary>
static void ReportFolder(string path)
{
    var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
    if (Directory.Exists(path)) throw new UsageException($"--report '{path}' is a folder; name a file (.trx for Visual Studio, else JUnit XML)");
    OutputFolder(folder);
}
