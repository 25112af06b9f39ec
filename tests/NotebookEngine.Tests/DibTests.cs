using System.Text.Json.Nodes;
using NotebookEngine.Documents;

namespace NotebookEngine.Tests;

/// <summary>.NET Interactive's .dib notebooks: read, written, loaded by extension, converted by csnb.</summary>
public class DibTests
{
    /// <summary>The real .dib files of the interop corpus (copied unchanged from public repositories).</summary>
    public static TheoryData<string> CorpusDibs() => [.. Directory.EnumerateFiles(
        Path.Combine(Processes.RepositoryRoot, "tests", "Interop.Tests", "Corpus"), "*.dib", SearchOption.AllDirectories)
        .Select(f => Path.GetRelativePath(Processes.RepositoryRoot, f)).Order(StringComparer.Ordinal)];

    static (string Type, string? Kernel, string Source)[] Shape(Notebook notebook) =>
        [.. notebook.Cells.Select(c => (c.CellType, c.IsCode ? c.KernelName : null, c.Source))];

    [Fact]
    public void CellsSplitOnKernelLinesAndOtherMagicsStayInTheirCell()
    {
        var dib = "#!meta\r\n\r\n{\"kernelInfo\":{\"defaultKernelName\":\"csharp\",\"items\":[{\"aliases\":[\"sharp\"],\"name\":\"csharp\"},{\"name\":\"tele\"}]}}\r\n\r\n" +
                  "#!markdown\n\n# Title\n\ntext\n\n#!sharp\n\n#!time\nvar x = 1;\n\n\nx\n\n#!tele\n\nquery\n#!html\n\n\n#!fsharp\nlet y = 2\n";
        var notebook = Dib.Parse(dib, "x.dib");
        Assert.Equal([
            ("markdown", null, "# Title\n\ntext"),
            ("code", "csharp", "#!time\nvar x = 1;\n\n\nx"), // an alias from #!meta; #!time is a magic, not a kernel
            ("code", "tele", "query"),                        // a kernel #!meta declares
            ("code", "fsharp", "let y = 2"),                  // the empty html cell is dropped
        ], Shape(notebook));
        Assert.Equal("csharp", notebook.Metadata["polyglot_notebook"]!["kernelInfo"]!["defaultKernelName"]!.GetValue<string>());
        Assert.Equal(".net-csharp", notebook.KernelName);
        Assert.Equal("x.dib", notebook.Path);
        Assert.Equal(5, notebook.MinorVersion);
        Assert.All(notebook.Cells, c => Assert.NotNull(c.Node["id"])); // nbformat 4.5 cells carry ids
    }

    [Fact]
    public void TextBeforeTheFirstKernelLineIsACellOfTheDefaultKernel()
    {
        Assert.Equal([("code", "csharp", "Console.WriteLine(1);")], Shape(Dib.Parse("\nConsole.WriteLine(1);\n")));
        var fsharpDefault = Dib.Parse("#!meta\n{\"kernelInfo\":{\"defaultKernelName\":\"fsharp\",\"items\":[]}}\n#!fsharp\nlet x = 1\n#!csharp\nvar y = 2;");
        Assert.Equal([("code", "fsharp", "let x = 1"), ("code", "csharp", "var y = 2;")], Shape(fsharpDefault));
        Assert.Equal(".net-fsharp", fsharpDefault.KernelName);
        Assert.Empty(Dib.Parse("").Cells);
    }

    [Fact]
    public void WritingPutsEachCellUnderItsKernelAndKeepsTheKernelInfo()
    {
        var notebook = Notebook.Create();
        notebook.Metadata["polyglot_notebook"] = JsonNode.Parse("""{"kernelInfo":{"defaultKernelName":"csharp","items":[{"aliases":["C#"],"name":"csharp"}]}}""");
        notebook.InsertCell(0, Cell.Markdown("# Sums é\n"));
        notebook.InsertCell(1, Cell.Code("\n1 + 1\n\n"));                       // no kernel: the notebook's default
        notebook.InsertCell(2, Cell.Code("#!html\n<b>hi</b>").InKernel("csharp")); // a leading kernel line wins, as when run
        notebook.InsertCell(3, Cell.Code("   ").InKernel("fsharp"));              // spaces are kept, as .NET Interactive keeps them
        notebook.Cells[1].Outputs.Add(new JsonObject { ["output_type"] = "stream", ["name"] = "stdout", ["text"] = "2" });
        Assert.Equal(
            "#!meta\n\n{\"kernelInfo\":{\"defaultKernelName\":\"csharp\",\"items\":[{\"aliases\":[\"C#\"],\"name\":\"csharp\"}]}}\n\n" +
            "#!markdown\n\n# Sums é\n\n#!csharp\n\n1 + 1\n\n#!html\n\n<b>hi</b>\n\n#!fsharp\n\n   \n",
            Dib.Write(notebook));
        Assert.Equal("#!csharp\n\nx\n", Dib.Write(Dib.Parse("x"))); // no kernel info, no #!meta
    }

    [Theory]
    [MemberData(nameof(CorpusDibs))]
    public void RealDibFilesSurviveAReadWriteRoundTripUnchanged(string file)
    {
        var text = File.ReadAllText(Path.Combine(Processes.RepositoryRoot, file));
        var notebook = Dib.Parse(text, file);
        Assert.NotEmpty(notebook.Cells);
        Assert.Equal(text, Dib.Write(notebook));
        // And through .ipynb JSON: the cells and kernels .NET Interactive would see are the same.
        var viaIpynb = Notebook.Parse(notebook.ToJson());
        Assert.Equal(Shape(notebook), Shape(viaIpynb));
        Assert.Equal(text, Dib.Write(viaIpynb));
    }

    [Fact]
    public void LoadAndSaveChooseTheFormatByExtension()
    {
        var folder = TestHost.TempFolder();
        var dib = Path.Combine(folder, "n.dib");
        File.WriteAllText(dib, "#!csharp\n\nvar a = 1;\n\n#!markdown\n\nnotes\n");
        var notebook = Notebook.Load(dib);
        Assert.Equal([("code", "csharp", "var a = 1;"), ("markdown", null, "notes")], Shape(notebook));
        notebook.Save(Path.Combine(folder, "n.ipynb"));
        Assert.Equal("valid", CliTests.Validate(Path.Combine(folder, "n.ipynb")));
        Notebook.Load(Path.Combine(folder, "n.ipynb")).Save(Path.Combine(folder, "again.DIB"));
        Assert.Equal(File.ReadAllText(dib), File.ReadAllText(Path.Combine(folder, "again.DIB")));
    }

    [Fact]
    public void AMetaBlockThatIsNotJsonNamesTheFileAndLine()
    {
        var folder = TestHost.TempFolder();
        var path = Path.Combine(folder, "bad.dib");
        File.WriteAllText(path, "#!markdown\nintro\n#!meta\n\n{\"kernelInfo\": \n#!csharp\n1");
        var error = Assert.Throws<NotebookFormatException>(() => Notebook.Load(path));
        Assert.StartsWith($"{path}: the #!meta block at line 4 is not JSON", error.Message);
    }

    [Fact]
    public void CsnbConvertTurnsIpynbIntoDibAndBack()
    {
        var folder = TestHost.TempFolder();
        var source = Path.Combine(folder, "tour.ipynb");
        File.Copy(TestHost.Fixture("dotnet-interactive.ipynb"), source);
        var csnb = Processes.BuiltProgram("NotebookCli", "csnb");
        var toDib = Processes.Run(Scripting.DotnetHost.Path, [csnb, "convert", source]);
        Assert.True(toDib.Code == 0, toDib.Err);
        var dib = File.ReadAllText(Path.Combine(folder, "tour.dib"));
        Assert.StartsWith("#!meta\n\n{\"kernelInfo\":{\"defaultKernelName\":\"csharp\",\"items\":[{\"aliases\":[],\"name\":\"csharp\"}]}}\n\n#!markdown\n\nWritten the way", dib);
        Assert.Contains("#!csharp\n\n#r \"nuget: TorchSharp-cpu, 0.107.0\"\nusing TorchSharp;\n\n#!csharp\n\n", dib);
        Assert.EndsWith("#!csharp\n\n#!time\n\"done\".Display();\n", dib);

        var back = Processes.Run(Scripting.DotnetHost.Path, [csnb, "convert", Path.Combine(folder, "tour.dib"), "-o", Path.Combine(folder, "back.ipynb")]);
        Assert.True(back.Code == 0, back.Err);
        Assert.Equal("valid", CliTests.Validate(Path.Combine(folder, "back.ipynb")));
        var original = Notebook.Load(source);
        var returned = Notebook.Load(Path.Combine(folder, "back.ipynb"));
        Assert.Equal(original.Cells.Select(c => c.Source.Replace("#!csharp\n", "")), returned.Cells.Select(c => c.Source));
        Assert.Equal(original.Metadata["polyglot_notebook"]!.ToJsonString(), returned.Metadata["polyglot_notebook"]!.ToJsonString());

        var self = Processes.Run(Scripting.DotnetHost.Path, [csnb, "convert", source, "-o", source]);
        Assert.Equal(2, self.Code);
        Assert.Contains("would overwrite", self.Err);
        var missing = Processes.Run(Scripting.DotnetHost.Path, [csnb, "convert", Path.Combine(folder, "none.dib")]);
        Assert.Equal(2, missing.Code);
        Assert.Contains("none.dib", missing.Err);
    }
}
