using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Ui.Tests;

/// <summary>
/// Debian's Jupyter Notebook server on 127.0.0.1, with a token and a Jupyter folder of its own (config,
/// data, runtime and kernelspec path): it sees the kernels the test registered there (and system-wide
/// ones), never the user's, and keeps its own files (secrets, signatures, kernel history) there.
/// Stopping it ends every process it started, the kernels and their cell hosts included.
/// </summary>
sealed class NotebookServer : IAsyncDisposable
{
    /// <summary>Debian's jupyter-notebook (package jupyter-notebook).</summary>
    public const string Program = "/usr/bin/jupyter-notebook";

    readonly Process _process;
    readonly string _token;
    readonly StringBuilder _log = new();
    readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    bool _stopped;

    NotebookServer(Process process, string token)
    {
        (_process, _token) = (process, token);
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    void Append(string? line)
    {
        if (line is not null) lock (_log) _log.AppendLine(line);
    }

    /// <summary>Where the server listens, e.g. http://127.0.0.1:41234/; null until it serves.</summary>
    public Uri? Root { get; private set; }

    /// <summary>What the server (and the kernels it started) wrote to its console.</summary>
    public string Log { get { lock (_log) return _log.ToString(); } }

    /// <summary>The address of <paramref name="path"/> with the token, as a person would paste it from the console.</summary>
    public string Url(string path) => new Uri(Root!, $"{path}?token={_token}").ToString();

    /// <summary>
    /// Starts jupyter-notebook serving <paramref name="notebooks"/>, with its Jupyter folder in
    /// <paramref name="jupyterFolder"/> (kernels registered under data/), and waits until it answers.
    /// </summary>
    public static async Task<NotebookServer> StartAsync(string jupyterFolder, string notebooks, TimeSpan patience)
    {
        var token = Guid.NewGuid().ToString("N");
        var start = new ProcessStartInfo(Program)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = notebooks,
        };
        var data = Path.Combine(jupyterFolder, "data");
        start.Environment["JUPYTER_CONFIG_DIR"] = Path.Combine(jupyterFolder, "config");
        start.Environment["JUPYTER_DATA_DIR"] = data;
        start.Environment["JUPYTER_PATH"] = data;
        start.Environment["JUPYTER_RUNTIME_DIR"] = Path.Combine(jupyterFolder, "runtime");
        // CI runs as root, which Notebook refuses without --allow-root.
        foreach (var arg in new[] { "--no-browser", "--allow-root", "--ip=127.0.0.1", $"--port={FreePort()}",
                                    $"--notebook-dir={notebooks}", $"--NotebookApp.token={token}" })
            start.ArgumentList.Add(arg);
        var server = new NotebookServer(Process.Start(start)!, token);
        try
        {
            server.Root = await server.WaitUntilServingAsync(Path.Combine(jupyterFolder, "runtime"), patience);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// The server writes nbserver-PID.json into its runtime folder once it listens (on the port asked
    /// for, or the next free one if that was taken meanwhile); then /api/status must answer.
    /// </summary>
    async Task<Uri> WaitUntilServingAsync(string runtime, TimeSpan patience)
    {
        var info = Path.Combine(runtime, $"nbserver-{_process.Id}.json");
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < patience)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"jupyter-notebook exited with code {_process.ExitCode}:\n{Log}");
            if (File.Exists(info))
            {
                try
                {
                    var root = new Uri((string)JsonNode.Parse(await File.ReadAllTextAsync(info))!["url"]!);
                    using var status = await _http.GetAsync(new Uri(root, $"api/status?token={_token}"));
                    if (status.IsSuccessStatusCode) return root;
                }
                catch (Exception e) when (e is IOException or System.Text.Json.JsonException or HttpRequestException) { } // still being written, or not serving yet
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"jupyter-notebook did not serve within {patience.TotalSeconds:0} s:\n{Log}");
    }

    static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>The processes the server started, and theirs (kernels, cell hosts), from /proc.</summary>
    public IReadOnlyList<(int Pid, string CommandLine)> Descendants()
    {
        var parents = new Dictionary<int, int>();
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(folder), out var pid)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(folder, "stat"));
                // "pid (command) state ppid …": the command may hold spaces and parentheses.
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                parents[pid] = int.Parse(fields[1]);
            }
            catch (IOException) { } // gone meanwhile
        }
        var found = new List<(int, string)>();
        var frontier = new Queue<int>([_process.Id]);
        while (frontier.TryDequeue(out var parent))
            foreach (var (child, _) in parents.Where(p => p.Value == parent))
            {
                found.Add((child, CommandLine(child)));
                frontier.Enqueue(child);
            }
        return found;
    }

    static string CommandLine(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim(); }
        catch (IOException) { return ""; }
    }

    /// <summary>
    /// Shuts the server down as `jupyter notebook stop` does (POST /api/shutdown, after which it shuts
    /// its kernels down), waits for it and everything it started to end, and kills what did not.
    /// Returns the processes that had to be killed: none when the shutdown works.
    /// </summary>
    public async Task<IReadOnlyList<string>> StopAsync(TimeSpan patience)
    {
        if (_stopped) return [];
        _stopped = true;
        var started = Descendants();
        if (Root is not null)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(Root, "api/shutdown"));
            request.Headers.Add("Authorization", $"token {_token}");
            try { (await _http.SendAsync(request)).Dispose(); }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { } // already gone, or hung: killed below
        }
        using (var wait = new CancellationTokenSource(patience))
        {
            try { await _process.WaitForExitAsync(wait.Token); }
            catch (OperationCanceledException) { }
        }
        var killed = new List<string>();
        if (!_process.HasExited)
        {
            killed.Add($"{_process.Id} jupyter-notebook");
            _process.Kill(entireProcessTree: true);
        }
        foreach (var (pid, commandLine) in started)
        {
            if (Processes.Ended(pid, patience)) continue;
            killed.Add($"{pid} {commandLine}");
            try { Process.GetProcessById(pid).Kill(); }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException) { } // ended just now
        }
        return killed;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(20));
        _process.Dispose();
        _http.Dispose();
    }
}
