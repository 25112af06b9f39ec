using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using NotebookEngine.Documents;

namespace NotebookEngine.Running;

/// <summary>A parameter declared in the cell tagged <c>parameters</c>: its name, C# type and default text.</summary>
public sealed record DeclaredParameter(string Name, string Type, string Default);

/// <summary>
/// papermill-style parameters: the cell tagged <c>parameters</c> keeps its defaults, and given
/// values go into a cell tagged <c>injected-parameters</c> right after it, typed from the defaults.
/// </summary>
public static class Parameters
{
    /// <summary>Tag of the cell holding the defaults.</summary>
    public const string Tag = "parameters";

    /// <summary>Tag of the cell the runner writes.</summary>
    public const string InjectedTag = "injected-parameters";

    static readonly HashSet<string> Settable = ["int", "long", "float", "double", "decimal", "bool", "string"];

    /// <summary>The parameters a notebook declares with a literal default (those that can be set).</summary>
    public static IReadOnlyList<DeclaredParameter> Declared(Notebook notebook)
    {
        var cell = notebook.Cells.FirstOrDefault(c => c.IsCode && c.Tags.Contains(Tag));
        if (cell is null) return [];
        var root = CSharpSyntaxTree.ParseText(cell.Source, new CSharpParseOptions(kind: SourceCodeKind.Script)).GetRoot();
        var declarations = root.DescendantNodes().OfType<VariableDeclarationSyntax>()
            .Where(d => d.Parent is FieldDeclarationSyntax or LocalDeclarationStatementSyntax { Parent: GlobalStatementSyntax });
        var found = new List<DeclaredParameter>();
        foreach (var declaration in declarations)
            foreach (var variable in declaration.Variables)
                if (variable.Initializer?.Value is { } value && TypeOf(declaration.Type, value) is { } type)
                    found.Add(new DeclaredParameter(variable.Identifier.Text, type, value.ToString()));
        return found;
    }

    /// <summary>
    /// Writes <paramref name="values"/> into a new injected cell after the parameters cell (an earlier
    /// injected cell is removed, even when there are no values) and records them in the notebook metadata. Nothing changes if a
    /// name is undeclared or a value does not fit its type.
    /// </summary>
    /// <remarks>
    /// A <paramref name="raw"/> value (papermill's <c>-r</c>) is taken as a string, never parsed, and wins
    /// over a value of the same name in <paramref name="values"/>; it fits only a string parameter.
    /// </remarks>
    public static void Inject(Notebook notebook, IReadOnlyDictionary<string, string> values, IReadOnlyDictionary<string, string>? raw = null)
    {
        var declared = Declared(notebook).ToDictionary(p => p.Name);
        var inputs = Inputs(notebook);
        var source = new StringBuilder("// Parameters (injected)\n");
        var all = Merge(values, raw);
        var injectedAny = false;
        foreach (var (name, text) in all)
        {
            if (!declared.ContainsKey(name) && inputs.Contains(name)) continue; // answers an @input: token as the cell runs
            injectedAny = true;
            if (!declared.TryGetValue(name, out var parameter))
                throw new ParameterException(declared.Count == 0
                    ? $"parameter '{name}': the notebook has no cell tagged '{Tag}' with literal defaults"
                    : $"parameter '{name}' is not declared; the '{Tag}' cell declares: {string.Join(", ", declared.Keys)}");
            var isRaw = raw?.ContainsKey(name) == true;
            if (isRaw && parameter.Type != "string")
                throw new ParameterException($"parameter '{name}' is {parameter.Type}, like its default {parameter.Default}; a raw value is a string and fits only a string parameter");
            source.Append($"var {name} = {(isRaw ? SymbolDisplay.FormatLiteral(text, quote: true) : Literal(parameter, text))};\n");
        }
        // A re-run replaces the earlier injected cell instead of stacking another.
        var injected = notebook.Cells.Select((c, i) => (c, i)).Where(x => x.c.Tags.Contains(InjectedTag)).Select(x => x.i).ToList();
        foreach (var index in Enumerable.Reverse(injected)) notebook.RemoveCell(index);
        if (!injectedAny) return;
        var at = notebook.Cells.Select((c, i) => (c, i)).First(x => x.c.IsCode && x.c.Tags.Contains(Tag)).i;
        notebook.InsertCell(at + 1, Cell.Code(source.ToString().TrimEnd('\n'), InjectedTag));
        var record = new JsonObject();
        foreach (var (name, text) in all) record[name] = text;
        notebook.Metadata["parameters"] = record;
    }

    /// <summary>All values by name, a raw one winning over a typed one, as papermill orders its sources.</summary>
    public static Dictionary<string, string> Merge(IReadOnlyDictionary<string, string> values, IReadOnlyDictionary<string, string>? raw)
    {
        var all = values.ToDictionary();
        foreach (var (name, text) in raw ?? new Dictionary<string, string>()) all[name] = text;
        return all;
    }

    /// <summary>
    /// The names of values the notebook asks for as input: <c>#!set --name x --value @input:…</c> (or
    /// <c>@password:</c>). A headless run answers them from its parameters.
    /// </summary>
    public static IReadOnlySet<string> Inputs(Notebook notebook)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in notebook.Cells.Where(c => c.IsCode).SelectMany(c => c.Source.Split('\n')).Where(Polyglot.MagicLine.Is))
        {
            Polyglot.MagicLine magic;
            try { magic = Polyglot.MagicLine.Parse(0, line); }
            catch (FormatException) { continue; } // the cell reports it when it runs
            if (magic is { Name: "set" } && magic.Option("name") is { } name && magic.Option("value") is { } value && Polyglot.MagicLine.AsksForInput(value))
                names.Add(name);
        }
        return names;
    }

    static string? TypeOf(TypeSyntax type, ExpressionSyntax value)
    {
        if (!type.IsVar) return type is PredefinedTypeSyntax p && Settable.Contains(p.Keyword.Text) ? p.Keyword.Text : null;
        var literal = value is PrefixUnaryExpressionSyntax { OperatorToken.Text: "-", Operand: LiteralExpressionSyntax negated } ? negated : value as LiteralExpressionSyntax;
        return literal?.Token.Value switch
        {
            int => "int", long => "long", float => "float", double => "double", decimal => "decimal",
            bool => "bool", string => "string", _ => null,
        };
    }

    static string Literal(DeclaredParameter parameter, string text)
    {
        var c = CultureInfo.InvariantCulture;
        var styles = NumberStyles.Float;
        string? literal = parameter.Type switch
        {
            "int" => int.TryParse(text, NumberStyles.Integer, c, out var i) ? i.ToString(c) : null,
            "long" => long.TryParse(text, NumberStyles.Integer, c, out var l) ? l.ToString(c) + "L" : null,
            "float" => float.TryParse(text, styles, c, out var f) && float.IsFinite(f) ? f.ToString("R", c) + "f" : null,
            "double" => double.TryParse(text, styles, c, out var d) && double.IsFinite(d) ? d.ToString("R", c) + "d" : null,
            "decimal" => decimal.TryParse(text, styles, c, out var m) ? m.ToString(c) + "m" : null,
            "bool" => bool.TryParse(text, out var b) ? (b ? "true" : "false") : null,
            _ => SymbolDisplay.FormatLiteral(text, quote: true),
        };
        return literal ?? throw new ParameterException($"parameter '{parameter.Name}' must be {parameter.Type}, like its default {parameter.Default}; got '{text}'");
    }
}

/// <summary>A parameter value that cannot be injected.</summary>
public sealed class ParameterException(string message) : Exception(message);
