using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace NotebookEngine.Scripting;

/// <summary>
/// Rewrites a cell so it checks for cancellation at the top of each loop body and each
/// block body, and so each awaited task ends early when the cell is cancelled (see
/// <see cref="CellControl"/>). Nothing is inserted across lines, so line numbers (and the line
/// numbers of runtime errors) stay the cell's own.
/// </summary>
public sealed class Instrumenter : CSharpSyntaxRewriter
{
    static readonly StatementSyntax CheckCall = SyntaxFactory.ParseStatement("global::NotebookEngine.Scripting.CellControl.Check(); ");
    static readonly ExpressionSyntax CancellableCall = SyntaxFactory.ParseExpression("global::NotebookEngine.Scripting.CellControl.Cancellable");

    /// <summary>The cell's code with cancellation checks, or the code itself if it has nothing to instrument.</summary>
    public static string Instrument(string code, CSharpParseOptions options)
    {
        var root = CSharpSyntaxTree.ParseText(code, options).GetRoot();
        var rewritten = new Instrumenter().Visit(root);
        return rewritten == root ? code : rewritten!.ToFullString();
    }

    /// <inheritdoc/>
    public override SyntaxNode? Visit(SyntaxNode? node) => base.Visit(node) switch
    {
        WhileStatementSyntax loop => loop.WithStatement(WithCheck(loop.Statement)),
        DoStatementSyntax loop => loop.WithStatement(WithCheck(loop.Statement)),
        ForStatementSyntax loop => loop.WithStatement(WithCheck(loop.Statement)),
        CommonForEachStatementSyntax loop => loop.WithStatement(WithCheck(loop.Statement)),
        var other => other,
    };

    /// <inheritdoc/>
    public override SyntaxNode? VisitAwaitExpression(AwaitExpressionSyntax node)
    {
        var visited = (AwaitExpressionSyntax)base.VisitAwaitExpression(node)!;
        var operand = visited.Expression;
        var wrapped = SyntaxFactory.InvocationExpression(CancellableCall,
            SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Argument(operand.WithoutTrivia()))));
        return visited.WithExpression(wrapped.WithTriviaFrom(operand));
    }

    /// <inheritdoc/>
    public override SyntaxNode? VisitBlock(BlockSyntax node)
    {
        var visited = (BlockSyntax)base.VisitBlock(node)!;
        // Bodies of methods, local functions, accessors and lambdas; loop bodies are handled above.
        return node.Parent is BaseMethodDeclarationSyntax or LocalFunctionStatementSyntax or AccessorDeclarationSyntax or AnonymousFunctionExpressionSyntax
            ? visited.WithStatements(visited.Statements.Insert(0, CheckCall))
            : visited;
    }

    static StatementSyntax WithCheck(StatementSyntax body)
    {
        if (body is BlockSyntax block) return block.WithStatements(block.Statements.Insert(0, CheckCall));
        // A single-statement body becomes a block on the same line(s).
        return SyntaxFactory.Block(CheckCall, body.WithoutTrivia())
            .WithLeadingTrivia(body.GetLeadingTrivia()).WithTrailingTrivia(body.GetTrailingTrivia());
    }
}
