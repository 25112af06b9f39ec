using System.CommandLine;
using LibTorchLoader;
using NotebookCli;
using NotebookEngine.Documents;
using NotebookEngine.Running;

// Notebooks that use TorchSharp get its native libraries loaded the Debian-12-safe way.
TorchNative.LoadWhenTorchSharpLoads();

var notebookPath = new Argument<string>("path") { Description = "A notebook (.ipynb) or a folder of notebooks (run in name order)" };
var output = new Option<string>("--output", "-o") { Description = "Folder for executed notebooks and their HTML", DefaultValueFactory = _ => "artifacts" };
var parameters = new Option<string[]>("--parameter", "-p") { Description = "name=value for the notebook's 'parameters' cell; repeatable", HelpName = "name=value" };
var timeout = new Option<double?>("--timeout") { Description = "Seconds each cell may run before it is cancelled (default: no limit)" };
var keepGoing = new Option<bool>("--continue-on-error") { Description = "Run the remaining cells after a failing one" };
var inProcess = new Option<bool>("--in-process") { Description = "Run one notebook in this process (what each notebook's worker does)", Hidden = true };
var run = new Command("run", "Execute notebooks headless; write executed .ipynb and .html files; exit 0 only if every notebook succeeds")
{
    notebookPath, output, parameters, timeout, keepGoing, inProcess,
};
run.SetAction(async (parse, cancellation) =>
{
    var job = new RunJob(parse.GetValue(output)!, parse.GetValue(timeout), parse.GetValue(keepGoing));
    var values = RunJob.ParseParameters(parse.GetValue(parameters) ?? []);
    if (values is null) return 2;
    return parse.GetValue(inProcess)
        ? await job.RunHereAsync(parse.GetValue(notebookPath)!, values, cancellation)
        : await job.RunAllAsync(parse.GetValue(notebookPath)!, values, args, cancellation);
});

var exportPath = new Argument<string>("notebook") { Description = "The notebook to export" };
var exportOutput = new Option<string?>("--output", "-o") { Description = "The .cs file to write (default: the notebook's name with .cs, beside it)" };
var export = new Command("export", "Write the notebook as a .NET 10 file-based app that runs with 'dotnet run file.cs'") { exportPath, exportOutput };
export.SetAction(parse =>
{
    var source = parse.GetValue(exportPath)!;
    var target = Path.GetFullPath(parse.GetValue(exportOutput) ?? Path.ChangeExtension(source, ".cs"));
    try
    {
        var notebook = Notebook.Load(source);
        AtomicFile.WriteAllText(target, FileBasedApp.Export(notebook, Path.GetDirectoryName(target)!));
    }
    catch (Exception e) when (e is IOException or NotebookFormatException or UnauthorizedAccessException or NotebookEngine.Scripting.DirectiveException)
    {
        Console.Error.WriteLine($"csnb export: {e.Message}");
        return 1;
    }
    Console.WriteLine($"wrote {target}; run it with: dotnet run {Path.GetFileName(target)}");
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
    if (target == Path.GetFullPath(source))
    {
        Console.Error.WriteLine($"csnb convert: the output would overwrite {source}; name another with -o");
        return 2;
    }
    try { Notebook.Load(source).Save(target); }
    catch (Exception e) when (e is IOException or NotebookFormatException or UnauthorizedAccessException)
    {
        Console.Error.WriteLine($"csnb convert: {e.Message}");
        return 1;
    }
    Console.WriteLine($"wrote {target}");
    return 0;
});

var root = new RootCommand("csnb — run C# notebooks (.ipynb, .NET Interactive style) headless, or export them as file-based apps") { run, export, convert };
var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    foreach (var error in parsed.Errors) Console.Error.WriteLine($"csnb: {error.Message}");
    Console.Error.WriteLine("Try 'csnb --help'.");
    return 2;
}
return await parsed.InvokeAsync();
