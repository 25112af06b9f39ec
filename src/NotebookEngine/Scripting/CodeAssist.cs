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

    /// <summary>
    /// "complete", "incomplete" (an open brace, string or statement: more lines can finish it) or
    /// "invalid" (complete yet wrong in a way no further line can mend, such as a stray brace).
    /// </summary>
    public static string IsComplete(string code)
    {
        var tree = CSharpSyntaxTree.ParseText(Blank(code), ScriptParse);
        if (!SyntaxFactory.IsCompleteSubmission(tree)) return "incomplete";
        return tree.GetDiagnostics().Any(d => d.Severity == DiagnosticSeverity.Error) ? "invalid" : "complete";
    }

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

    /// <summary>
    /// What the name at <paramref name="cursor"/> is (or the call the cursor is in): every overload
    /// of a method, a type, namespace, property, field or variable, with its documentation; null if
    /// there is nothing there.
    /// </summary>
    public Inspection? Inspect(string code, int cursor, int detail = 0)
    {
        var (tree, model) = Analyze(code);
        var symbols = SymbolsAt(tree.GetRoot(), model, Math.Clamp(cursor, 0, code.Length));
        return symbols.Count == 0 ? null : Documentation.Describe(symbols, detail);
    }

    static IReadOnlyList<ISymbol> SymbolsAt(SyntaxNode root, SemanticModel model, int cursor)
    {
        // The name just left of the cursor or under it; otherwise the call whose parentheses hold the cursor.
        var token = root.FindToken(Math.Max(0, cursor - 1));
        if (!IsName(token) && cursor < root.FullSpan.End && IsName(root.FindToken(cursor))) token = root.FindToken(cursor);
        var node = IsName(token) ? token.Parent
            : token.Parent?.AncestorsAndSelf().OfType<InvocationExpressionSyntax>().FirstOrDefault()?.Expression;
        if (node is null) return [];
        if (model.GetDeclaredSymbol(node) is { } declared) return [declared];
        var info = model.GetSymbolInfo(node);
        var group = model.GetMemberGroup(node);
        if (info.Symbol is IMethodSymbol chosen)
            return [chosen, .. group.Where(m => !SymbolEqualityComparer.Default.Equals(m, chosen))];
        if (info.Symbol is { } symbol) return [symbol];
        return info.CandidateSymbols.Length > 0 ? info.CandidateSymbols : group;
    }

    static bool IsName(SyntaxToken token) => token.IsKind(SyntaxKind.IdentifierToken) || token.Parent is PredefinedTypeSyntax;

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
