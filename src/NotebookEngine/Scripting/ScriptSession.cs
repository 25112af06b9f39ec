using System.Collections.Immutable;
using System.Diagnostics;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Scripting;
using NotebookEngine.Cells;
using NotebookEngine.Display;

namespace NotebookEngine.Scripting;

/// <summary>How a cell ended.</summary>
public enum CellStatus
{
    /// <summary>Ran to the end.</summary>
    Ok,
    /// <summary>A directive, compile or runtime error.</summary>
    Error,
    /// <summary>Cancelled after the cell's time limit.</summary>
    TimedOut,
    /// <summary>Cancelled on request (a kernel interrupt).</summary>
    Interrupted,
}

/// <summary>Settings of a scripting session.</summary>
public sealed record SessionOptions
{
    /// <summary>Folder that relative <c>#r</c> paths start from (the notebook's folder).</summary>
    public string WorkingDirectory { get; init; } = Environment.CurrentDirectory;

    /// <summary>Where package restores are cached.</summary>
    public string CacheRoot { get; init; } = PackageRestore.DefaultCacheRoot;

    /// <summary>How long a cancelled cell may take to stop before the session is declared stuck.</summary>
    public TimeSpan StopGrace { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>What the error of a cell that could not be stopped says happens next.</summary>
    public string WhenStuck { get; init; } = "so this session can run no more cells (restart it)";
}

/// <summary>
/// One C# scripting session: cells run in order and share variables, types and usings. The
/// interpreter of the engine — the notebook runner and the Jupyter kernel both drive it, and
/// it talks to them only through <see cref="ICellOutput"/>.
/// </summary>
public sealed class ScriptSession
{
    static readonly string[] DefaultImports =
    [
        "System", "System.IO", "System.Linq", "System.Text", "System.Threading", "System.Threading.Tasks",
        "System.Collections.Generic", "Microsoft.DotNet.Interactive.Formatting", "NotebookEngine.Cells",
        "Microsoft.DotNet.Interactive.Jupyter.Formatting", // MathString, as .NET Interactive's Jupyter front end has it
    ];

    /// <summary>TorchSharp's native backend packages; a process loads one of them.</summary>
    internal static readonly HashSet<string> TorchBackends = new(StringComparer.OrdinalIgnoreCase)
    {
        "TorchSharp-cpu", "TorchSharp-cuda-linux", "TorchSharp-cuda-windows",
    };

    static readonly CSharpParseOptions ScriptParse = new(LanguageVersion.Latest, kind: SourceCodeKind.Script);

    readonly SessionOptions _settings;
    readonly ScriptGlobals _globals = new();
    readonly PackageRestore _restore;
    readonly List<PackageRef> _packages = [];   // every package asked for, to refuse a second version
    readonly List<PackageRef> _restored = [];   // those a restore provides; each restore includes them all
    readonly List<string> _sources = [];
    ScriptOptions _options;
    ScriptState<object>? _state;
    bool _plotlyShown;

    /// <summary>Starts an empty session.</summary>
    public ScriptSession(SessionOptions? settings = null)
    {
        _settings = settings ?? new SessionOptions();
        _restore = new PackageRestore(_settings.CacheRoot);
        _options = ScriptOptions.Default
            .WithImports(DefaultImports)
            // The framework, and the display libraries the engine carries, are there without a #r, as in .NET Interactive.
            .WithReferences(DefaultReferences.All)
            .WithEmitDebugInformation(true)
            .WithFileEncoding(System.Text.Encoding.UTF8)
            .WithLanguageVersion(LanguageVersion.Latest)
            .WithAllowUnsafe(true);
    }

    /// <summary>The execution count of the last cell.</summary>
    public int ExecutionCount { get; private set; }

    /// <summary>True once a cancelled cell failed to stop: its thread still runs, so no further cell may.</summary>
    public bool IsStuck { get; private set; }

    /// <summary>The folder relative paths of cells start from (the notebook's folder).</summary>
    public string WorkingDirectory => _settings.WorkingDirectory;

    /// <summary>
    /// The script options the next cell compiles with (after <see cref="LastScript"/>): the imports, and
    /// only the references the earlier cells lack, since a submission inherits theirs. Listing every
    /// reference again made Roslyn bind the whole framework anew for each cell, which took a third of a
    /// trivial cell's compile time and kept more memory per cell.
    /// </summary>
    public ScriptOptions Options
    {
        get
        {
            var inherited = new HashSet<MetadataReference>();
            for (var script = _state?.Script; script is not null; script = script.Previous) inherited.UnionWith(script.Options.MetadataReferences);
            return _options.WithReferences(_options.MetadataReferences.Where(r => !inherited.Contains(r)));
        }
    }

    /// <summary>The compiled script of the last cell, to continue compilation from (completion).</summary>
    public Script? LastScript => _state?.Script;

    /// <summary>The session's variables, each name once (its latest declaration), in the order they were first declared.</summary>
    public IReadOnlyList<ScriptVariable> Variables =>
        _state is null ? [] : _state.Variables.GroupBy(v => v.Name).Select(g => g.Last()).ToList();

    /// <summary>
    /// Declares <paramref name="name"/> in the session holding <paramref name="value"/>, typed as the
    /// value's type where C# can name it (object otherwise), as .NET Interactive's #!set and #!share do.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="name"/> is not a C# identifier.</exception>
    public async Task DefineAsync(string name, object? value)
    {
        if (!SyntaxFacts.IsValidIdentifier(name) || SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None)
            throw new ArgumentException($"'{name}' is not a C# variable name");
        _state ??= await CSharpScript.RunAsync("", _options, _globals, typeof(ScriptGlobals)).ConfigureAwait(false);
        foreach (var type in new[] { value is null ? "object" : TypeNames.Of(value.GetType()), "object" })
        {
            try
            {
                var key = Handoff.Put(value);
                _state = await _state.ContinueWithAsync($"var {name} = ({type})global::NotebookEngine.Scripting.Handoff.Take(\"{key}\");", Options).ConfigureAwait(false);
                return;
            }
            catch (CompilationErrorException) when (type != "object") { } // a name the engine got wrong: the value still arrives, as object
        }
    }

    /// <summary>
    /// Runs one cell. Outputs go to <paramref name="output"/> as they happen; the cell gets the next
    /// execution count, or <paramref name="executionCount"/> when the caller keeps the count. A
    /// <paramref name="timeout"/> or a cancelled <paramref name="cancellation"/> stops the cell at its
    /// next loop iteration, block entry or await, and wakes it from a blocking wait.
    /// </summary>
    public async Task<CellStatus> ExecuteAsync(string source, ICellOutput output, TimeSpan? timeout = null, CancellationToken cancellation = default, int? executionCount = null)
    {
        var count = ExecutionCount = executionCount ?? ExecutionCount + 1;
        if (IsStuck)
        {
            output.Error(new CellError("SessionStuck", "an earlier cell could not be stopped and is still running; restart the session", []));
            return CellStatus.Error;
        }
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        if (timeout is { } limit) stop.CancelAfter(limit);
        var scope = new CellControl.Scope(stop.Token);
        var clock = Stopwatch.StartNew();
        var run = Task.Factory.StartNew(() => RunAsync(source, count, output, scope), CancellationToken.None,
            TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
        await Task.WhenAny(run, Task.Delay(Timeout.Infinite, stop.Token)).ConfigureAwait(false);
        if (run.IsCompleted && !(stop.IsCancellationRequested && run.Result == CellStatus.Interrupted))
            return run.Result;

        // Cancelled: wake the cell from any blocking wait, and give it its grace period to stop.
        var grace = Stopwatch.StartNew();
        while (!run.IsCompleted && grace.Elapsed < _settings.StopGrace)
        {
            scope.InterruptWaits();
            await Task.WhenAny(run, Task.Delay(20)).ConfigureAwait(false);
        }
        var timedOut = !cancellation.IsCancellationRequested;
        var what = timedOut ? $"cell [{count}] did not finish within {timeout!.Value.TotalSeconds:0.###} s and was cancelled" : $"cell [{count}] was interrupted";
        if (!run.IsCompleted)
        {
            IsStuck = true;
            what += $"; it did not stop within {_settings.StopGrace.TotalSeconds:0.#} s, {_settings.WhenStuck}";
        }
        output.Error(new CellError(timedOut ? "TimeoutError" : "Interrupted", what, [$"{what} (after {clock.Elapsed.TotalSeconds:0.0} s)"]));
        return timedOut ? CellStatus.TimedOut : CellStatus.Interrupted;
    }

    /// <summary>
    /// The value of <paramref name="expression"/> in this session, formatted, or the error it gave;
    /// its console output is dropped and the execution count stays (Jupyter's user_expressions).
    /// </summary>
    public async Task<(DisplayData? Value, CellError? Error)> EvaluateAsync(string expression, CancellationToken cancellation = default)
    {
        var sink = new ValueSink();
        await ExecuteAsync(expression, sink, timeout: null, cancellation, executionCount: ExecutionCount).ConfigureAwait(false);
        return sink.Failure is { } error ? (null, error) : (sink.Value ?? DisplayData.Plain(""), null);
    }

    /// <summary>Keeps a cell's value and first error, nothing else.</summary>
    sealed class ValueSink : ICellOutput
    {
        public DisplayData? Value { get; private set; }
        public CellError? Failure { get; private set; }
        public void Stream(string name, string text) { }
        public void Display(DisplayData data, string displayId) { }
        public void UpdateDisplay(DisplayData data, string displayId) { }
        public void Result(DisplayData data) => Value = data;
        public void Error(CellError error) => Failure ??= error;
        public void ClearOutput(bool wait) { }
    }

    /// <summary>
    /// Compiles and runs a throwaway cell and formats its value, so that the first real cell does not
    /// pay for loading and JIT-compiling Roslyn and the formatters. The session is left as it was.
    /// </summary>
    public void WarmUp()
    {
        // Formatting needs no Roslyn: it warms up on another core meanwhile.
        var formatting = Task.Run(() => Formatters.Format(1));
        _state ??= CSharpScript.RunAsync("", _options, _globals, typeof(ScriptGlobals)).GetAwaiter().GetResult();
        var script = _state.Script.ContinueWith(Instrumenter.Instrument("1", ScriptParse), Options.WithFilePath(Traceback.CellFile(0)));
        script.Compile();
        script.RunFromAsync(_state, _ => true).GetAwaiter().GetResult();
        HasTrailingValue(script.GetCompilation()); // the semantic-model look-up every cell makes, warmed up too
        formatting.GetAwaiter().GetResult();
    }

    async Task<CellStatus> RunAsync(string source, int count, ICellOutput output, CellControl.Scope scope)
    {
        var stop = scope.Token;
        using var capture = ConsoleCapture.Into(output);
        var display = new Displays.Target(output, FirstChart);
        Displays.Enter(display);
        var clock = Stopwatch.StartNew();
        ParsedCell cell;
        try
        {
            cell = ParsedCell.Parse(source);
            ApplyDirectives(cell.Directives, output, stop);
        }
        catch (DirectiveException e)
        {
            output.Error(new CellError("DirectiveError", $"cell [{count}], line {e.Line}: {e.Message}", [$"cell [{count}], line {e.Line}: {e.Message}"]));
            return CellStatus.Error;
        }
        catch (Exception e) when (e is PackageRestoreException or ProjectBuildException or FileNotFoundException or BadImageFormatException or FileLoadException)
        {
            var name = e switch { PackageRestoreException => "PackageRestoreError", ProjectBuildException => "ProjectBuildError", _ => "AssemblyReferenceError" };
            output.Error(new CellError(name, $"cell [{count}]: {e.Message.Split('\n')[0]}", e.Message.Split('\n')));
            return CellStatus.Error;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return CellStatus.Interrupted;
        }

        if (!string.IsNullOrWhiteSpace(cell.Code))
        {
            var status = await CompileAndRunAsync(cell.Code, count, display, scope).ConfigureAwait(false);
            if (status != CellStatus.Ok) return status;
        }
        if (cell.Directives.OfType<TimeDirective>().Any())
            output.Stream("stdout", $"Wall time: {clock.Elapsed.TotalMilliseconds:0.###} ms\n");
        return CellStatus.Ok;
    }

    async Task<CellStatus> CompileAndRunAsync(string code, int count, Displays.Target display, CellControl.Scope scope)
    {
        var output = display.Output;
        // An empty first submission gives every cell the same continue-after-exception path.
        _state ??= await CSharpScript.RunAsync("", _options, _globals, typeof(ScriptGlobals)).ConfigureAwait(false);
        var options = Options.WithFilePath(Traceback.CellFile(count));
        var instrumented = Instrumenter.Instrument(code, ScriptParse);
        var script = _state.Script.ContinueWith(instrumented, options);
        ImmutableArray<Diagnostic> diagnostics;
        try { diagnostics = script.Compile(scope.Token); }
        catch (OperationCanceledException) when (scope.Token.IsCancellationRequested) { return CellStatus.Interrupted; }
        if (diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error))
        {
            // Report positions in the cell as written, not as instrumented.
            var written = instrumented == code ? diagnostics : _state.Script.ContinueWith(code, options).Compile();
            output.Error(Traceback.Compilation(count, written.Any(d => d.Severity == DiagnosticSeverity.Error) ? written : diagnostics));
            return CellStatus.Error;
        }
        // Only the cell's own code runs in its scope: a wait woken by an interrupt is always the cell's.
        var state = await CellControl.RunAsCell(scope, () => script.RunFromAsync(_state, _ => true, CancellationToken.None)).ConfigureAwait(false);
        _state = state;
        if (state.Exception is { } exception) return Failed(exception, count, output, scope.Token);
        if (HasTrailingValue(script.GetCompilation())) Displays.Result(display, state.ReturnValue);
        return CellStatus.Ok;
    }

    /// <summary>True if the submission ends in an expression with no semicolon whose type is not void.</summary>
    static bool HasTrailingValue(Compilation compilation)
    {
        var tree = compilation.SyntaxTrees.Single();
        if (tree.GetRoot() is not CompilationUnitSyntax { Members: [.., GlobalStatementSyntax { Statement: ExpressionStatementSyntax { SemicolonToken.IsMissing: true } last }] })
            return false;
        return compilation.GetSemanticModel(tree).GetTypeInfo(last.Expression).Type is { SpecialType: not SpecialType.System_Void };
    }

    bool FirstChart() => !_plotlyShown && (_plotlyShown = true);

    static CellStatus Failed(Exception exception, int count, ICellOutput output, CancellationToken stop)
    {
        if (exception is TargetInvocationException { InnerException: { } inner }) exception = inner;
        if (stop.IsCancellationRequested && IsStop(exception)) return CellStatus.Interrupted;
        output.Error(Traceback.Exception(exception));
        return CellStatus.Error;
    }

    /// <summary>What an interrupt throws in a cell: a cancellation or a woken wait, also inside a task's AggregateException.</summary>
    static bool IsStop(Exception exception) => exception is OperationCanceledException or ThreadInterruptedException
        || exception is AggregateException aggregate && aggregate.Flatten().InnerExceptions.All(IsStop);

    void ApplyDirectives(IReadOnlyList<Directive> directives, ICellOutput output, CancellationToken stop)
    {
        _sources.AddRange(directives.OfType<SourceDirective>().Select(d => d.Source));
        foreach (var reference in directives.OfType<AssemblyDirective>())
        {
            var path = ProjectBuild.Resolve(Path.GetFullPath(Path.Combine(_settings.WorkingDirectory, reference.Path)), _settings.CacheRoot, stop);
            _options = _options.AddReferences(Documented(AssemblyHost.LoadFile(path)));
        }
        var asked = directives.OfType<PackageDirective>().Select(d => new PackageRef(d.Id, d.Version)).ToList();
        if (asked.Count == 0) return;

        var installed = new List<InstalledPackage>();
        var toRestore = new List<PackageRef>();
        foreach (var package in asked)
        {
            if (_packages.FirstOrDefault(p => p.Id.Equals(package.Id, StringComparison.OrdinalIgnoreCase)) is { } earlier)
            {
                if (package.Version is not null && earlier.Version is not null && package.Version != earlier.Version)
                    throw new PackageRestoreException($"{package.Id} {earlier.Version} is already loaded in this session; restart it to use {package.Version}");
                continue;
            }
            if (HostProvided(package) is var (assembly, version, note))
            {
                _options = _options.AddReferences(Documented([AssemblyHost.FromHost(assembly)]));
                installed.Add(new InstalledPackage(package, version, note));
            }
            else toRestore.Add(package);
        }
        if (toRestore.Count > 0)
        {
            var restored = _restore.Restore([.. _restored, .. toRestore], _sources, stop);
            _options = _options.AddReferences(Documented(AssemblyHost.Load(restored.SelectMany(p => p.Assemblies), restored.SelectMany(p => p.NativeFolders))));
            foreach (var package in toRestore)
            {
                var version = restored.FirstOrDefault(r => r.Id.Equals(package.Id, StringComparison.OrdinalIgnoreCase))?.Version ?? package.Version ?? "";
                installed.Add(new InstalledPackage(package, version, version == package.Version ? null
                    : "NuGet resolved the nearest version its sources have (the one asked for is not there)"));
            }
            _restored.AddRange(toRestore);
        }
        _packages.AddRange(asked);
        output.Display(InstalledPackage.Report(installed, directives.OfType<SourceDirective>().Select(d => d.Source).ToList()), Guid.NewGuid().ToString("N"));
        // A version other than the one asked for is a warning the reader must see: results may differ from the notebook author's.
        foreach (var package in installed.Where(p => p.Substituted))
            output.Stream("stderr", $"warning: {package.Asked.Id} {package.Asked.Version} was asked for, but {package.Version} is loaded: {package.Note}\n");
    }

    /// <summary>
    /// References to assemblies already loaded into the default context (so cells use those very
    /// copies), by file, with their XML documentation for inspection where it is beside them.
    /// </summary>
    static IEnumerable<MetadataReference> Documented(IEnumerable<Assembly> assemblies) =>
        assemblies.Where(a => a.Location.Length > 0).Select(a => DefaultReferences.For(a.Location));

    /// <summary>
    /// The host assembly that satisfies a package without a restore, and why; null if the package
    /// must be restored.
    /// </summary>
    static (string Assembly, string Version, string Note)? HostProvided(PackageRef package)
    {
        if (TorchBackends.Contains(package.Id) && AssemblyHost.HostCarries("TorchSharp"))
            return ("TorchSharp", HostVersion("TorchSharp"), $"the host carries TorchSharp {HostVersion("TorchSharp")} ({HostBackend()} backend), and a process can load only one");
        if (package.Id.Equals("Plotly.NET.Interactive", StringComparison.OrdinalIgnoreCase))
            return ("Plotly.NET", HostVersion("Plotly.NET"), "not needed: the engine displays Plotly.NET charts itself");
        if (!AssemblyHost.HostCarries(package.Id)) return null;
        return (package.Id, HostVersion(package.Id), $"the host carries {package.Id} {HostVersion(package.Id)}, and a process can load only one");
    }

    static string HostVersion(string assembly) =>
        AssemblyHost.FromHost(assembly).GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "";

    static string HostBackend()
    {
        var folders = ((AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") as string) ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        return folders.Any(f => File.Exists(Path.Combine(f, "libtorch_cuda.so")) || File.Exists(Path.Combine(f, "torch_cuda.dll"))) ? "cuda" : "cpu";
    }
}
