using System.Text;
using System.Xml.Linq;
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
/// <c>display</c> that prints is appended (<see cref="AppDisplay"/>). The app runs its cells in the
/// notebook's folder, as the notebook did, wherever it is written or run from.
/// </summary>
public static class FileBasedApp
{
    /// <summary>
    /// The app's source. <paramref name="appPath"/> is where the .cs file will be written: a
    /// <c>#r</c> of a project, or of an assembly built from one, becomes a <c>#:project</c> relative
    /// to it. An app that uses TorchSharp gets the CPU backend package when the notebook names no
    /// backend, and, given <paramref name="torchLoader"/> (the LibTorchLoader project), loads the
    /// native libraries through it first.
    /// </summary>
    public static string Export(Notebook notebook, string appPath, string? torchLoader = null)
    {
        var appFolder = Path.GetDirectoryName(Path.GetFullPath(appPath))!;
        var notebookFolder = notebook.Path is { } p ? Path.GetDirectoryName(Path.GetFullPath(p))! : Environment.CurrentDirectory;
        var name = notebook.Path is { } n ? Path.GetFileName(n) : "notebook";
        var directives = new List<Directive>();
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
            if (!cell.IsCode || string.IsNullOrWhiteSpace(cell.Source)) continue;
            var parsed = ParsedCell.Parse(cell.Source);
            directives.AddRange(parsed.Directives);
            var root = (CompilationUnitSyntax)CSharpSyntaxTree.ParseText(parsed.Code, parse).GetRoot();
            usings.AddRange(root.Usings.Select(u => u.ToString().Trim()));
            body.Append($"\n// ---- cell {index} ----\n");
            foreach (var member in root.Members)
            {
                if (member is BaseTypeDeclarationSyntax or DelegateDeclarationSyntax)
                    types.Append(member.ToFullString().Trim('\n', '\r')).Append("\n\n");
                else if (cell.Tags.Contains(Parameters.InjectedTag) && member is FieldDeclarationSyntax given)
                    // A script may declare a variable again; an app sets the one the parameters cell declared.
                    body.Append(given.GetLeadingTrivia().ToFullString().TrimStart('\n', '\r'))
                        .AppendJoin(' ', given.Declaration.Variables.Select(v => $"{v.Identifier.Text} = {v.Initializer?.Value};")).Append('\n');
                else if (member is GlobalStatementSyntax { Statement: ExpressionStatementSyntax { SemicolonToken.IsMissing: true } last })
                    body.Append($"display({last.Expression.ToFullString().Trim()});\n");
                else
                    body.Append(member.ToFullString().Trim('\n', '\r')).Append('\n');
            }
        }
        var projects = directives.OfType<AssemblyDirective>().Select(a => ProjectBuild.ProjectOf(Path.GetFullPath(Path.Combine(notebookFolder, a.Path)))).OfType<string>().ToList();
        var packages = Packages(directives.OfType<PackageDirective>(), projects);
        var lines = directives.Select(d => Directive(d, notebookFolder, appFolder)).ToList();
        var prelude = new StringBuilder();
        if (notebook.Path is not null)
            prelude.Append("// The cells ran in the notebook's folder; so do the app's, wherever it is run from.\n")
                .Append($"Directory.SetCurrentDirectory(Path.Combine(AppContext.GetData(\"EntryPointFileDirectoryPath\") as string ?? \"\", {Literal(Path.GetRelativePath(appFolder, notebookFolder))}));\n");
        if (packages.Keys.Any(id => id.Equals("TorchSharp", StringComparison.OrdinalIgnoreCase) || ScriptSession.TorchBackends.Contains(id)))
        {
            if (!packages.Keys.Any(ScriptSession.TorchBackends.Contains))
                lines.Add($"#:package TorchSharp-cpu@{packages.GetValueOrDefault("TorchSharp") ?? "*"}");
            if (torchLoader is not null)
            {
                lines.Add($"#:project {Path.GetRelativePath(appFolder, torchLoader)}");
                prelude.Append("LibTorchLoader.TorchNative.EnsureLoaded();   // TorchSharp's native libraries, loaded so that they work on older Linux systems too\n");
            }
        }
        // Inside a folder under central package management (Directory.Packages.props), a #:package with a version is an error (NU1008).
        if (lines.Any(l => l.StartsWith("#:package ", StringComparison.Ordinal)))
            lines.Add("#:property ManagePackageVersionsCentrally=false");
        // File-based apps default to native AOT's settings, which turn off what notebook code relies on (reflection-based JSON, for one).
        lines.Add("#:property PublishAot=false");

        var app = new StringBuilder()
            .Append($"// Exported from {name} by csnb. Run: dotnet run {Path.GetFileName(appPath)}\n");
        foreach (var line in lines.Distinct()) app.Append(line).Append('\n');
        app.Append('\n');
        foreach (var line in usings.Distinct()) app.Append(line).Append('\n');
        if (prelude.Length > 0) app.Append('\n').Append(prelude);
        var charts = packages.Keys.Any(id => id.StartsWith("Plotly.NET", StringComparison.OrdinalIgnoreCase))
            ? Path.GetFileNameWithoutExtension(appPath) + "-charts" : null;
        app.Append(body).Append('\n').Append(AppDisplay.Source(packages.ContainsKey("Microsoft.Data.Analysis"), charts)).Append('\n');
        if (types.Length > 0) app.Append('\n').Append(types);
        return app.ToString();
    }

    static string Literal(string text) => SymbolDisplay.FormatLiteral(text, quote: true);

    static string Directive(Directive directive, string notebookFolder, string appFolder) => directive switch
    {
        PackageDirective package => $"#:package {package.Id}@{package.Version ?? "*"}",
        SourceDirective source => $"#:property RestoreAdditionalProjectSources={source.Source}",
        AssemblyDirective assembly => ProjectBuild.ProjectOf(Path.GetFullPath(Path.Combine(notebookFolder, assembly.Path))) is { } project
            ? $"#:project {Path.GetRelativePath(appFolder, project)}"
            : $"// #r \"{assembly.Path}\": a file-based app cannot reference an assembly file; reference its project with #:project",
        _ => "// #!time: cells are not timed in the app",
    };

    /// <summary>
    /// The packages the app gets, by id, with the version named where one is: its own, and those
    /// its projects reference, their project references included (read from the project files;
    /// a version left to central package management is read from the nearest Directory.Packages.props).
    /// </summary>
    static Dictionary<string, string?> Packages(IEnumerable<PackageDirective> own, IEnumerable<string> projects)
    {
        var found = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var package in own) found.TryAdd(package.Id, package.Version);
        var seen = new HashSet<string>();
        void Walk(string project)
        {
            if (!File.Exists(project) || !seen.Add(project)) return;
            var folder = Path.GetDirectoryName(project)!;
            var items = XDocument.Load(project).Descendants().ToList();
            foreach (var item in items.Where(e => e.Name.LocalName == "PackageReference"))
                if (item.Attribute("Include")?.Value is { } id)
                    found.TryAdd(id, item.Attribute("Version")?.Value ?? CentralVersion(folder, id));
            foreach (var item in items.Where(e => e.Name.LocalName == "ProjectReference"))
                if (item.Attribute("Include")?.Value is { } reference)
                    Walk(Path.GetFullPath(Path.Combine(folder, reference.Replace('\\', '/'))));
        }
        foreach (var project in projects) Walk(project);
        return found;
    }

    static string? CentralVersion(string folder, string id)
    {
        for (var dir = folder; dir is not null; dir = Path.GetDirectoryName(dir))
            if (Path.Combine(dir, "Directory.Packages.props") is var props && File.Exists(props))
                return XDocument.Load(props).Descendants().FirstOrDefault(e => e.Name.LocalName == "PackageVersion" && string.Equals((string?)e.Attribute("Include"), id, StringComparison.OrdinalIgnoreCase))?.Attribute("Version")?.Value;
        return null;
    }
}
