using System.IO.Compression;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using NotebookEngine.Scripting;

namespace NotebookEngine.Tests;

public class DirectiveTests
{
    static async Task<RecordingOutput> Run(ScriptSession session, string code, CellStatus expected = CellStatus.Ok)
    {
        var output = new RecordingOutput();
        var status = await session.ExecuteAsync(code, output);
        Assert.True(expected == status, $"expected {expected}, got {status}: {string.Join("\n", output.Errors.Select(e => e.Value))}");
        return output;
    }

    /// <summary>Writes folder/name/name.csproj, a class library with one source file; returns the project folder.</summary>
    static string WriteProject(string folder, string name, string fileName, string source)
    {
        var project = Directory.CreateDirectory(Path.Combine(folder, name)).FullName;
        File.WriteAllText(Path.Combine(project, name + ".csproj"),
            "<Project Sdk=\"Microsoft.NET.Sdk\"><PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup></Project>");
        File.WriteAllText(Path.Combine(project, fileName), source);
        return project;
    }

    /// <summary>Compiles a one-class library, so tests reference an assembly the host does not carry.</summary>
    static void CompileLibrary(string path, string assemblyName, string source)
    {
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p) is "System.Runtime.dll" or "System.Private.CoreLib.dll")
            .Select(p => MetadataReference.CreateFromFile(p));
        var compilation = CSharpCompilation.Create(assemblyName, [CSharpSyntaxTree.ParseText(source)], references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var result = compilation.Emit(path);
        Assert.True(result.Success, string.Join("\n", result.Diagnostics));
    }

    [Fact]
    public void DirectiveLinesAreParsedAndBlankedSoLineNumbersStay()
    {
        var cell = ParsedCell.Parse("#r \"nuget: Humanizer.Core, 2.14.1\"\n#r \"nuget:Newtonsoft.Json\"\n#i \"nuget: /tmp/feed\"\n#r \"lib/x.dll\"\nvar a = 1;");
        Assert.Equal(
            [new PackageDirective(1, "Humanizer.Core", "2.14.1"), new PackageDirective(2, "Newtonsoft.Json", null), new SourceDirective(3, "/tmp/feed"), new AssemblyDirective(4, "lib/x.dll")],
            cell.Directives);
        Assert.Equal("\n\n\n\nvar a = 1;", cell.Code);
        var bad = Assert.Throws<DirectiveException>(() => ParsedCell.Parse("var a = 1;\n#r nuget:Foo"));
        Assert.Equal(2, bad.Line);
        var csharp = "#region setup\n#if DEBUG\nvar b = 2;\n#endif\n#endregion";
        Assert.Equal(csharp, ParsedCell.Parse(csharp).Code); // C#'s own directives are not the engine's
        Assert.Empty(ParsedCell.Parse(csharp).Directives);
    }

    [Fact]
    public async Task AnAssemblyPathIsRelativeToTheNotebookFolder()
    {
        var folder = TestHost.TempFolder();
        CompileLibrary(Path.Combine(folder, "lib", "Greeting.dll"), "Greeting", "public static class Greeter { public static string Hello(string n) => \"hello \" + n; }");
        var session = new ScriptSession(new SessionOptions { WorkingDirectory = folder });
        Assert.Equal("hello notebook", (await Run(session, "#r \"lib/Greeting.dll\"\nGreeter.Hello(\"notebook\")")).Results.Single().PlainText);

        var missing = await Run(session, "#r \"lib/Nope.dll\"", CellStatus.Error);
        Assert.Equal("AssemblyReferenceError", missing.Errors.Single().Name);
        Assert.Contains("Nope.dll", missing.Errors.Single().Value);
    }

    [Fact]
    public async Task AProjectReferenceIsBuiltAndItsAssemblyLoaded()
    {
        var folder = TestHost.TempFolder();
        var project = WriteProject(folder, "Shapes", "Square.cs", "namespace Shapes; public static class Square { public static int Area(int side) => side * side; }");
        var session = new ScriptSession(new SessionOptions { WorkingDirectory = folder });
        Assert.Equal("49", (await Run(session, "#r \"Shapes/Shapes.csproj\"\nShapes.Square.Area(7)")).Results.Single().PlainText);

        File.WriteAllText(Path.Combine(project, "Square.cs"), "namespace Shapes; public static class Square { public static int Area(int side) => side * ; }");
        var broken = await Run(new ScriptSession(new SessionOptions { WorkingDirectory = folder }), "#r \"Shapes/Shapes.csproj\"", CellStatus.Error);
        Assert.Equal("ProjectBuildError", broken.Errors.Single().Name);
        Assert.True(string.Join("\n", broken.Errors.Single().Traceback).Contains("Square.cs(1,91): error CS1525"), string.Join("\n", broken.Errors.Single().Traceback));
    }

    [Fact]
    public async Task AProjectThatBuildsWithWarningsIsLoaded()
    {
        // dotnet build prints warnings on stderr, after the built path on stdout.
        var folder = TestHost.TempFolder();
        WriteProject(folder, "Coins", "Coin.cs", "namespace Coins; public static class Coin { public static int Sides() { int unused = 0; return 2; } }");
        var session = new ScriptSession(new SessionOptions { WorkingDirectory = folder });
        Assert.Equal("2", (await Run(session, "#r \"Coins/bin/Release/net10.0/Coins.dll\"\nCoins.Coin.Sides()")).Results.Single().PlainText);
    }

    [Fact]
    public async Task AProjectBuildWaitsWhileAnotherBuildHoldsTheLockAndCanBeInterrupted()
    {
        // Two processes building one project at once fail on each other's obj/ files, so builds take turns.
        var (folder, cache) = (TestHost.TempFolder(), TestHost.TempFolder());
        var project = WriteProject(folder, "Dice", "Die.cs", "namespace Dice; public static class Die { public static int Faces => 6; }");
        var session = new ScriptSession(new SessionOptions { WorkingDirectory = folder, CacheRoot = cache });
        using (new FileStream(ProjectBuild.LockPath(cache), FileMode.Create, FileAccess.ReadWrite, FileShare.None))
        {
            using var interrupt = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            Assert.Equal(CellStatus.Interrupted, await session.ExecuteAsync("#r \"Dice/Dice.csproj\"", new RecordingOutput(), cancellation: interrupt.Token));
            Assert.False(Directory.Exists(Path.Combine(project, "obj"))); // not even restored
        }
        Assert.Equal("6", (await Run(session, "#r \"Dice/Dice.csproj\"\nDice.Die.Faces")).Results.Single().PlainText);
    }

    [Fact]
    public async Task TheAssemblyAProjectBuildsIsBuiltFirstInTheConfigurationItsPathNames()
    {
        // The form .NET Interactive also reads: the project's output path. Nothing is built yet; the engine builds it.
        var folder = TestHost.TempFolder();
        var project = WriteProject(folder, "Circles", "Circle.cs", "namespace Circles; public static class Circle { public static int Diameter(int radius) => 2 * radius; }");
        var session = new ScriptSession(new SessionOptions { WorkingDirectory = folder });
        Assert.Equal("14", (await Run(session, "#r \"Circles/bin/Release/net10.0/Circles.dll\"\nCircles.Circle.Diameter(7)")).Results.Single().PlainText);
        Assert.True(File.Exists(Path.Combine(project, "bin", "Release", "net10.0", "Circles.dll")));
        Assert.False(Directory.Exists(Path.Combine(project, "bin", "Debug")));

        // A path the project does not build into is named, with the one it does.
        var wrong = await Run(new ScriptSession(new SessionOptions { WorkingDirectory = folder }), "#r \"Circles/bin/Release/net9.0/Circles.dll\"", CellStatus.Error);
        Assert.Equal("ProjectBuildError", wrong.Errors.Single().Name);
        Assert.Contains("Circles.csproj builds " + Path.Combine(project, "bin", "Release", "net10.0", "Circles.dll") + ", not ", wrong.Errors.Single().Value);
    }

    [Fact]
    public async Task APackageFromALocalSourceIsRestoredLoadedAndCached()
    {
        // A real package in a folder feed named by #i: restored by dotnet restore, loaded, usable.
        var folder = TestHost.TempFolder();
        var id = "Csnb.TestGreeting" + Guid.NewGuid().ToString("N")[..8];
        var dll = Path.Combine(folder, "build", id + ".dll");
        CompileLibrary(dll, id, "namespace Local { public static class Packaged { public static int Answer => 42; } }");
        var feed = Path.Combine(folder, "feed");
        Directory.CreateDirectory(feed);
        using (var package = ZipFile.Open(Path.Combine(feed, $"{id}.1.0.0.nupkg"), ZipArchiveMode.Create))
        {
            package.CreateEntryFromFile(dll, $"lib/net8.0/{id}.dll");
            using var nuspec = new StreamWriter(package.CreateEntry($"{id}.nuspec").Open());
            nuspec.Write($"<?xml version=\"1.0\"?><package><metadata><id>{id}</id><version>1.0.0</version><authors>tests</authors><description>test</description></metadata></package>");
        }
        var cache = Path.Combine(folder, "cache");
        var session = new ScriptSession(new SessionOptions { CacheRoot = cache });
        var output = await Run(session, $"#i \"nuget: {feed}\"\n#r \"nuget: {id}, 1.0.0\"\nLocal.Packaged.Answer");
        Assert.Equal($"Restore sources\n  {feed}\nInstalled Packages\n  {id}, 1.0.0", output.Events[0].Text);
        Assert.Equal("42", output.Results.Single().PlainText);
        Assert.Single(Directory.GetDirectories(Path.Combine(cache, "nuget")));
        Assert.True(File.Exists(Path.Combine(Directory.GetDirectories(Path.Combine(cache, "nuget"))[0], "restored")));

        var conflict = await Run(session, $"#r \"nuget: {id}, 2.0.0\"", CellStatus.Error);
        Assert.Contains("already loaded", conflict.Errors.Single().Value);
    }

    [Fact]
    public async Task APackageFromNuGetThatTheHostDoesNotCarry()
    {
        var session = new ScriptSession(new SessionOptions { CacheRoot = TestHost.TempFolder() });
        var output = await Run(session, "#r \"nuget: Humanizer.Core, 2.14.1\"\nusing Humanizer;\n\"CenterLossModule\".Humanize()");
        Assert.Equal("Installed Packages\n  Humanizer.Core, 2.14.1", output.Events[0].Text);
        Assert.Equal("Center loss module", output.Results.Single().PlainText);
        // Loaded once, from the restored package itself.
        var humanizer = Assert.Single(AppDomain.CurrentDomain.GetAssemblies(), a => a.GetName().Name == "Humanizer");
        Assert.Contains(Path.Combine("humanizer.core", "2.14.1", "lib"), humanizer.Location);
    }

    [Fact]
    public async Task TorchSharpBackendPackagesAreSatisfiedByTheHost()
    {
        var session = new ScriptSession(new SessionOptions { CacheRoot = TestHost.TempFolder() });
        var output = await Run(session, "#r \"nuget: TorchSharp-cuda-linux, 0.107.0\"\n#r \"nuget: Plotly.NET, 4.2.0\"\nusing TorchSharp;\ntorch.arange(4).sum().item<long>()");
        // Listed by name, as .NET Interactive lists them.
        Assert.Equal("Installed Packages\n  Plotly.NET, 6.0.0\n  TorchSharp-cuda-linux, 0.107.0 (the host carries TorchSharp 0.107.0 (cpu backend), and a process can load only one)", output.Events[0].Text);
        // 4.2.0 was asked for and 6.0.0 is what the notebook gets: the reader is warned.
        Assert.Equal("warning: Plotly.NET 4.2.0 was asked for, but 6.0.0 is loaded: the host carries Plotly.NET 6.0.0, and a process can load only one\n", output.Events.Single(e => e.Kind == "stderr").Text);
        Assert.Equal("6", output.Results.Single().PlainText);
        Assert.Single(AppDomain.CurrentDomain.GetAssemblies(), a => a.GetName().Name == "TorchSharp");
    }

    [Fact]
    public async Task AnUnrestorablePackageIsAClearErrorOnItsCell()
    {
        var session = new ScriptSession(new SessionOptions { CacheRoot = TestHost.TempFolder() });
        var output = await Run(session, "#r \"nuget: Csnb.No.Such.Package.Anywhere, 1.0.0\"", CellStatus.Error);
        Assert.Equal("PackageRestoreError", output.Errors.Single().Name);
        Assert.Contains("Csnb.No.Such.Package.Anywhere", output.Errors.Single().Value);
        Assert.Equal("1", (await Run(session, "1")).Results.Single().PlainText);
    }
}
