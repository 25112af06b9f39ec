using System.CommandLine;
using System.Runtime.InteropServices;
using NotebookEngine.Hosting;
using NotebookKernel;
using NotebookKernel.Wire;

var connection = new Argument<string>("connection-file") { Description = "The connection file Jupyter wrote" };
var start = new Command("start", "Serve one Jupyter client (Jupyter starts the kernel this way)") { connection };
start.SetAction(parse =>
{
    // The cell host starts first: it warms Roslyn up while Jupyter connects.
    using var cells = new CellHost(new CellHostOptions { Log = line => Console.Error.WriteLine($"[csnb-host] {line}") });
    KernelServer server;
    History history;
    try
    {
        var file = ConnectionFile.Load(parse.GetValue(connection)!);
        if (file.ListensEverywhere) Console.Error.WriteLine($"csnb-kernel: warning: ip {file.Ip} listens on every network interface; anyone who can reach this machine and has the key can run code");
        history = new History(KernelSpec.UserDataDir);
        server = new KernelServer(file, cells, history);
    }
    catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
    {
        // Exit at once: Jupyter then reports a dead kernel instead of waiting for a reply.
        Console.Error.WriteLine($"csnb-kernel: {e.Message}");
        return 1;
    }
    using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => { context.Cancel = true; server.Interrupt(); });
    using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; server.Stop(); });
    using var orphan = ParentWatch.Start(server.Stop);
    using (history)
    using (server) server.Run();
    return 0;
});

var name = new Option<string>("--name") { Description = "Kernel name (.net-csharp: the name .NET Interactive notebooks carry, so they open with this kernel unchanged)", DefaultValueFactory = _ => KernelSpec.DefaultName };
var dataDir = new Option<string>("--data-dir") { Description = "Jupyter data folder (default: $JUPYTER_DATA_DIR or ~/.local/share/jupyter)", DefaultValueFactory = _ => KernelSpec.UserDataDir };
var install = new Command("install", "Register this kernel with Jupyter for the current user") { name, dataDir };
install.SetAction(parse =>
{
    string path;
    try { path = KernelSpec.Install(parse.GetValue(dataDir)!, parse.GetValue(name)!); }
    catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException)
    {
        Console.Error.WriteLine($"csnb-kernel: {e.Message}");
        return 2;
    }
    Console.WriteLine($"installed kernel '{parse.GetValue(name)}': {path}");
    return 0;
});
var uninstall = new Command("uninstall", "Remove the kernel registration") { name, dataDir };
uninstall.SetAction(parse =>
{
    if (KernelSpec.Uninstall(parse.GetValue(dataDir)!, parse.GetValue(name)!))
    {
        Console.WriteLine($"removed kernel '{parse.GetValue(name)}'");
        return 0;
    }
    Console.Error.WriteLine($"csnb-kernel: no kernel '{parse.GetValue(name)}' in {parse.GetValue(dataDir)}");
    return 1;
});

var root = new RootCommand("csnb-kernel — a Jupyter kernel for C# notebooks, on the csnb notebook engine") { start, install, uninstall };
var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    foreach (var error in parsed.Errors) Console.Error.WriteLine($"csnb-kernel: {error.Message}");
    return 2;
}
return parsed.Invoke();

/// <summary>Ends the kernel when the Jupyter process that started it is gone (it runs in its own session, so nothing else would).</summary>
static class ParentWatch
{
    public static IDisposable Start(Action stop)
    {
        if (!int.TryParse(Environment.GetEnvironmentVariable("JPY_PARENT_PID"), out var parent)) return new Timer(_ => { });
        return new Timer(_ => { if (!Directory.Exists($"/proc/{parent}")) stop(); }, null, 1000, 1000);
    }
}
