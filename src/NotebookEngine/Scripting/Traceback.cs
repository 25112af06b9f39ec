using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using NotebookEngine.Display;

namespace NotebookEngine.Scripting;

/// <summary>Error outputs as a reader wants them: positions inside the cell, no engine frames.</summary>
public static partial class Traceback
{
    /// <summary>The script file name given to cell <paramref name="count"/>, which stack frames report.</summary>
    public static string CellFile(int count) => $"cell-{count}.csx";

    /// <summary>Compile errors, each with its line and column inside the cell.</summary>
    public static CellError Compilation(int count, IEnumerable<Diagnostic> diagnostics)
    {
        var lines = diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Select(d =>
        {
            var at = d.Location.GetLineSpan().StartLinePosition;
            return $"cell [{count}] ({at.Line + 1},{at.Character + 1}): error {d.Id}: {d.GetMessage()}";
        }).ToList();
        return new CellError("CompilationError", lines[0], lines);
    }

    /// <summary>A runtime exception: type, message, and the frames of user and library code.</summary>
    public static CellError Exception(Exception exception)
    {
        var lines = new List<string>();
        for (var e = exception; e is not null; e = e.InnerException)
        {
            lines.Add((e == exception ? "" : "---> ") + $"{e.GetType().FullName}: {e.Message}");
            lines.AddRange(new StackTrace(e, fNeedFileInfo: true).GetFrames().Select(Frame).OfType<string>());
        }
        var where = new StackTrace(exception, true).GetFrames().Select(CellPosition).FirstOrDefault(p => p is not null);
        var value = where is null ? exception.Message : $"{exception.Message} ({where})";
        return new CellError(exception.GetType().FullName ?? exception.GetType().Name, value, lines);
    }

    static string? Frame(StackFrame frame)
    {
        var method = frame.GetMethod();
        var type = method?.DeclaringType;
        if (method is null || type is null) return null;
        if (CellPosition(frame) is { } position)
        {
            // Compiler-generated names (the cell's top level, lambdas, async state machines) mean nothing to a reader.
            return method.Name.Contains('<') || type.Name.Contains('<') ? $"   at {position}" : $"   at {method.Name}() in {position}";
        }
        var ns = type.Namespace ?? "";
        if (ns.StartsWith("Microsoft.CodeAnalysis", StringComparison.Ordinal) || ns.StartsWith("NotebookEngine", StringComparison.Ordinal)
            || ns.StartsWith("System.Runtime.CompilerServices", StringComparison.Ordinal) || ns.StartsWith("System.Threading", StringComparison.Ordinal)
            || ns.StartsWith("System.Runtime.ExceptionServices", StringComparison.Ordinal))
            return null;
        return $"   at {type.FullName}.{method.Name}";
    }

    static string? CellPosition(StackFrame frame)
    {
        var match = frame.GetFileName() is { } file ? CellFileName().Match(Path.GetFileName(file)) : Match.Empty;
        if (!match.Success) return null;
        var line = frame.GetFileLineNumber();
        return line > 0 ? $"cell [{match.Groups[1].Value}], line {line}" : $"cell [{match.Groups[1].Value}]";
    }

    [GeneratedRegex(@"^cell-(\d+)\.csx$")]
    private static partial Regex CellFileName();
}
