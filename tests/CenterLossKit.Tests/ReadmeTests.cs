using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace CenterLossKit.Tests;

/// <summary>
/// The C# snippets of README.md compile against the kit as a reader would write them (a program
/// with the SDK's implicit usings), so a README or API change that breaks one fails here.
/// </summary>
public class ReadmeTests
{
    static readonly string Readme = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "README.md"));

    /// <summary>The usings a project or file-based app gets from <c>ImplicitUsings</c>.</summary>
    const string ImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    // A reader's first helper of their own takes a tensor; the snippet's usings must let it say so.
    const string ReadersHelper = "\nstatic Tensor Twice(Tensor t) => t * 2;\n";

    static List<string> Snippets() =>
        Regex.Matches(File.ReadAllText(Readme), "```csharp\n(.*?)```", RegexOptions.Singleline).Select(m => m.Groups[1].Value).ToList();

    static readonly Lazy<List<PortableExecutableReference>> References = new(() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator).Select(path => MetadataReference.CreateFromFile(path)).ToList());

    /// <summary>The snippet compiled with this test's own references: the kit, TorchSharp, Plotly.NET and the framework.</summary>
    static CSharpCompilation Compile(string source)
    {
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        return CSharpCompilation.Create("ReadmeSnippet",
            [CSharpSyntaxTree.ParseText(ImplicitUsings, parse), CSharpSyntaxTree.ParseText(source, parse, path: "README.md")],
            References.Value, new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
    }

    static void AssertCompiles(CSharpCompilation compilation)
    {
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Fact]
    public void EverySnippetCompilesAsWrittenAndWithAHelperOfTheReaders()
    {
        var snippets = Snippets();
        Assert.Equal(2, snippets.Count); // the Center module in a batch, and a whole run
        foreach (var snippet in snippets)
        {
            AssertCompiles(Compile(snippet));
            AssertCompiles(Compile(snippet + ReadersHelper));
        }

        // The check bites: a snippet without its TorchSharp usings cannot name a Tensor (CS0246).
        var withoutUsings = Regex.Replace(snippets[1], "^using (static )?TorchSharp.*\n", "", RegexOptions.Multiline);
        Assert.Contains(Compile(withoutUsings + ReadersHelper).GetDiagnostics(), d => d.Id == "CS0246" && d.GetMessage().Contains("'Tensor'"));
    }

    [Fact]
    public void TheCenterModuleSnippetRuns()
    {
        using var image = new MemoryStream();
        var emitted = Compile(Snippets()[0]).Emit(image);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
        var entry = Assembly.Load(image.ToArray()).EntryPoint!;
        entry.Invoke(null, entry.GetParameters().Length == 0 ? [] : [Array.Empty<string>()]);
    }
}
