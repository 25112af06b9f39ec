using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using NotebookEngine.Documents;
using NotebookEngine.Scripting;

namespace NotebookEngine.Running;

/// <summary>
/// Exports a notebook as a .NET 10 file-based app (<c>dotnet run file.cs</c>), the migration path
/// Microsoft recommends for Polyglot Notebooks: <c>#r "nuget:"</c> becomes <c>#:package</c>, cells
/// follow in order, markdown becomes comments. Script-only forms are translated: usings move to
/// the top, type declarations to the end, a trailing expression becomes <c>display(…);</c>, and a
/// small <c>display</c> that prints is appended.
/// </summary>
public static class FileBasedApp
{
    const string DisplayShim = """
        // display() as in the notebook, printing instead of rendering.
        static DisplayedValue display(object? value) => new DisplayedValue(value);

        sealed class DisplayedValue
        {
            public DisplayedValue(object? value) => Update(value);
            public void Update(object? value) => Console.WriteLine(value);
        }

        static class DisplayExtensions
        {
            public static DisplayedValue Display(this object? value) => new(value);
        }
        """;

    /// <summary>
    /// The app's source. <paramref name="outputFolder"/> is where the .cs file will live: a
    /// <c>#r</c> of an assembly built from a project becomes a <c>#:project</c> relative to it.
    /// </summary>
    public static string Export(Notebook notebook, string outputFolder)
    {
        var notebookFolder = notebook.Path is { } p ? Path.GetDirectoryName(Path.GetFullPath(p))! : Environment.CurrentDirectory;
        var name = notebook.Path is { } n ? Path.GetFileName(n) : "notebook";
        var directives = new List<string>();
        var usings = new List<string>();
        var body = new StringBuilder();
        var types = new StringBuilder();
        var parse = new CSharpParseOptions(LanguageVersion.Latest, kind: SourceCodeKind.Script);
        foreach (var (cell, index) in notebook.Cells.Select((c, i) => (c, i)))
        {
            if (cell.CellType == "markdown")
            {
                body.Append('\n').AppendJoin('\n', cell.Source.Split('\n').Select(l => ("// " + l).TrimEnd())).Append('\n');
                continue;
            }
            if (!cell.IsCode || string.IsNullOrWhiteSpace(cell.Source) || cell.Tags.Contains(Parameters.InjectedTag)) continue;
            var parsed = ParsedCell.Parse(cell.Source);
            foreach (var directive in parsed.Directives)
                directives.Add(Directive(directive, notebookFolder, outputFolder));
            var root = (CompilationUnitSyntax)CSharpSyntaxTree.ParseText(parsed.Code, parse).GetRoot();
            usings.AddRange(root.Usings.Select(u => u.ToString().Trim()));
            body.Append($"\n// ---- cell {index} ----\n");
            foreach (var member in root.Members)
            {
                if (member is BaseTypeDeclarationSyntax or DelegateDeclarationSyntax)
                    types.Append(member.ToFullString().Trim('\n', '\r')).Append("\n\n");
                else if (member is GlobalStatementSyntax { Statement: ExpressionStatementSyntax { SemicolonToken.IsMissing: true } last })
                    body.Append($"display({last.Expression.ToFullString().Trim()});\n");
                else
                    body.Append(member.ToFullString().Trim('\n', '\r')).Append('\n');
            }
        }
        var app = new StringBuilder()
            .Append($"// Exported from {name}. Run: dotnet run {Path.GetFileNameWithoutExtension(name)}.cs\n");
        foreach (var line in directives.Distinct()) app.Append(line).Append('\n');
        app.Append('\n');
        foreach (var line in usings.Distinct()) app.Append(line).Append('\n');
        app.Append(body).Append('\n').Append(DisplayShim).Append('\n');
        if (types.Length > 0) app.Append('\n').Append(types);
        return app.ToString();
    }

    static string Directive(Directive directive, string notebookFolder, string outputFolder) => directive switch
    {
        PackageDirective package => $"#:package {package.Id}@{package.Version ?? "*"}",
        SourceDirective source => $"#:property RestoreAdditionalProjectSources={source.Source}",
        AssemblyDirective { Path: var path } when ProjectBuild.IsProject(path) =>
            $"#:project {Path.GetRelativePath(outputFolder, Path.GetFullPath(Path.Combine(notebookFolder, path)))}",
        AssemblyDirective assembly => ProjectOf(Path.GetFullPath(Path.Combine(notebookFolder, assembly.Path))) is { } project
            ? $"#:project {Path.GetRelativePath(outputFolder, project)}"
            : $"// #r \"{assembly.Path}\": a file-based app cannot reference an assembly file; reference its project with #:project",
        _ => "// #!time: cells are not timed in the app",
    };

    /// <summary>The project that builds an assembly at <c>…/Name/bin/…/Name.dll</c>, if it exists.</summary>
    static string? ProjectOf(string assemblyPath)
    {
        var name = Path.GetFileNameWithoutExtension(assemblyPath);
        for (var folder = Path.GetDirectoryName(assemblyPath); folder is not null; folder = Path.GetDirectoryName(folder))
            if (Path.GetFileName(folder) == "bin")
                return Path.Combine(Path.GetDirectoryName(folder)!, name + ".csproj") is var project && File.Exists(project) ? project : null;
        return null;
    }
}
