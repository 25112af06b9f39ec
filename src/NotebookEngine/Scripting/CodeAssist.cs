using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using NotebookEngine.Cells;

namespace NotebookEngine.Scripting;

/// <summary>
/// What a live front end asks of a session besides running cells: completion, inspection and
/// whether a cell is complete. Offsets are UTF-16 indices; the Jupyter kernel converts from code points.
/// </summary>
public sealed class CodeAssist(ScriptSession session)
{
    static readonly CSharpParseOptions ScriptParse = new(LanguageVersion.Latest, kind: SourceCodeKind.Script);

    /// <summary>"complete" or "incomplete" (an open brace, string or statement).</summary>
    public static string IsComplete(string code) =>
        SyntaxFactory.IsCompleteSubmission(CSharpSyntaxTree.ParseText(Blank(code), ScriptParse)) ? "complete" : "incomplete";

    /// <summary>Names that can complete the identifier ending at <paramref name="cursor"/>: members after a dot, otherwise everything in scope (session variables included).</summary>
    public (IReadOnlyList<string> Matches, int Start) Complete(string code, int cursor)
    {
        var (tree, model) = Analyze(code);
        var start = cursor;
        while (start > 0 && (char.IsLetterOrDigit(code[start - 1]) || code[start - 1] == '_')) start--;
        var prefix = code[start..cursor];
        IEnumerable<ISymbol> symbols;
        if (start > 0 && code[start - 1] == '.' && tree.GetRoot().FindToken(start - 1).Parent is MemberAccessExpressionSyntax access)
        {
            var target = model.GetSymbolInfo(access.Expression).Symbol;
            symbols = target is INamespaceOrTypeSymbol container
                ? model.LookupSymbols(start, container).Where(s => s.IsStatic || s is INamespaceOrTypeSymbol)
                : model.GetTypeInfo(access.Expression).Type is { } type
                    ? model.LookupSymbols(start, type, includeReducedExtensionMethods: true).Where(s => !s.IsStatic || s is IMethodSymbol { ReducedFrom: not null })
                    : [];
        }
        else symbols = model.LookupSymbols(start);
        var matches = symbols.Select(s => s.Name)
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && SyntaxFacts.IsValidIdentifier(n))
            .Distinct().Order(StringComparer.Ordinal).ToList();
        return (matches, start);
    }

    /// <summary>A one-line description of the symbol at <paramref name="cursor"/>, or null.</summary>
    public string? Inspect(string code, int cursor)
    {
        var (tree, model) = Analyze(code);
        var token = tree.GetRoot().FindToken(Math.Max(0, Math.Min(cursor, code.Length) - 1));
        if (!token.IsKind(SyntaxKind.IdentifierToken)) token = tree.GetRoot().FindToken(Math.Min(cursor, Math.Max(0, code.Length - 1)));
        if (token.Parent is not { } node) return null;
        var symbol = model.GetSymbolInfo(node).Symbol ?? model.GetDeclaredSymbol(node);
        if (symbol is null) return null;
        var type = symbol switch
        {
            ILocalSymbol l => l.Type, IFieldSymbol f => f.Type, IPropertySymbol p => p.Type, IParameterSymbol p => p.Type, _ => null,
        };
        var shown = symbol.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat);
        return type is null ? $"{symbol.Kind}: {shown}" : $"{symbol.Kind}: {type.ToDisplayString()} {symbol.Name}";
    }

    (SyntaxTree Tree, SemanticModel Model) Analyze(string code)
    {
        var text = Blank(code);
        var script = session.LastScript?.ContinueWith(text, session.Options) ?? CSharpScript.Create(text, session.Options, typeof(ScriptGlobals));
        var compilation = script.GetCompilation();
        var tree = compilation.SyntaxTrees.Single();
        return (tree, compilation.GetSemanticModel(tree));
    }

    /// <summary>Directive lines become spaces, so offsets stay those of the front end's text.</summary>
    static string Blank(string code) =>
        string.Join('\n', code.Split('\n').Select(line => ParsedCell.IsDirective(line) ? new string(' ', line.Length) : line));
}
