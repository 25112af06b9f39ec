using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Events;
using Microsoft.DotNet.Interactive.Formatting;
using Microsoft.DotNet.Interactive.PackageManagement;

namespace Interop.Tests;

/// <summary>
/// The oracle: the real .NET Interactive C# kernel from NuGet, composed as dotnet-interactive composes
/// it for notebook front ends (C# with #r nuget, kernel helpers, #!who and value sharing; html and
/// value kernels), with the front end's formatting defaults. Its events become outputs the way its
/// Jupyter front end turns them into messages.
/// </summary>
public sealed class RealEngine : IDisposable
{
    static RealEngine()
    {
        // What dotnet-interactive sets for browser-based front ends (Jupyter, VS Code): HTML by default, strings as text.
        Formatter.DefaultMimeType = HtmlFormatter.MimeType;
        Formatter.SetPreferredMimeTypesFor(typeof(string), PlainTextFormatter.MimeType);
    }

    readonly CompositeKernel _kernel;

    public RealEngine()
    {
        _kernel = new CompositeKernel
        {
            new CSharpKernel()
                .UseNugetDirective<CSharpKernel>((kernel, packages) =>
                {
                    kernel.AddAssemblyReferences(packages.SelectMany(p => p.AssemblyPaths));
                    return Task.CompletedTask;
                })
                .UseKernelHelpers()
                .UseWho()
                .UseValueSharing(),
            new HtmlKernel(),
            new KeyValueStoreKernel(),
        };
        _kernel.DefaultKernelName = "csharp";
    }

    /// <summary>Runs one cell; a cell still running after <paramref name="timeout"/> is cancelled and reported as an error.</summary>
    public async Task<CellRun> RunAsync(string code, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        KernelCommandResult result;
        try { result = await _kernel.SendAsync(new SubmitCode(code), cancel.Token); }
        catch (OperationCanceledException) { return new CellRun([CellOutput.Failure($"timeout: not finished within {timeout.TotalSeconds:0} s")]); }
        return CellRun.Of(Outputs(result.Events));
    }

    static List<CellOutput> Outputs(IReadOnlyList<KernelEvent> events)
    {
        var outputs = new List<CellOutput>();
        var displays = new Dictionary<string, int>();
        var compileErrors = new List<string>();
        foreach (var e in events)
        {
            switch (e)
            {
                case StandardOutputValueProduced stdout:
                    outputs.Add(CellOutput.Stream("stdout", PlainText(stdout)));
                    break;
                case StandardErrorValueProduced stderr:
                    outputs.Add(CellOutput.Stream("stderr", PlainText(stderr)));
                    break;
                case DisplayedValueProduced shown:
                    if (shown.ValueId is { } id) displays[id] = outputs.Count;
                    outputs.Add(new CellOutput("display", Bundle(shown)));
                    break;
                case DisplayedValueUpdated updated:
                    // Jupyter replaces the output that carries the id; an id no output carries changes nothing.
                    if (updated.ValueId is { } target && displays.TryGetValue(target, out var at))
                        outputs[at] = new CellOutput("display", Bundle(updated));
                    break;
                case ReturnValueProduced { Value: not DisplayedValue } returned: // the front end skips a display call's handle
                    outputs.Add(new CellOutput("result", Bundle(returned)));
                    break;
                case DiagnosticsProduced diagnostics:
                    compileErrors.AddRange(diagnostics.Diagnostics.Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error)
                        .Select(d => $"({d.LinePositionSpan.Start.Line + 1},{d.LinePositionSpan.Start.Character + 1}): error {d.Code}: {d.Message}"));
                    break;
                case CommandFailed failed:
                    outputs.Add(CellOutput.Failure(failed.Exception switch
                    {
                        CodeSubmissionCompilationErrorException when compileErrors.Count > 0 => "compile: " + string.Join("\n", compileErrors),
                        null or CodeSubmissionCompilationErrorException => "failed: " + failed.Message,
                        var exception => $"exception: {exception.GetType().FullName}: {exception.Message.Split('\n')[0]}",
                    }));
                    break;
            }
        }
        return outputs;
    }

    static string PlainText(DisplayEvent e) =>
        e.FormattedValues.FirstOrDefault(v => v.MimeType == PlainTextFormatter.MimeType)?.Value ?? e.Value?.ToString() ?? "";

    static Dictionary<string, string> Bundle(DisplayEvent e) => e.FormattedValues.ToDictionary(v => v.MimeType, v => v.Value);

    public void Dispose() => _kernel.Dispose();
}
