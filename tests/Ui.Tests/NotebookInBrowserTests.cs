using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Ui.Tests;

/// <summary>
/// A person opens a C# notebook in Debian's Jupyter Notebook 6, in Debian's chromium (headless), runs
/// it from the Cell menu and reads the page: the kernel is a real front end's, end to end.
/// </summary>
public class NotebookInBrowserTests(ITestOutputHelper output)
{
    const string KernelName = "csnb-ui";
    const string Chromium = "/usr/bin/chromium";

    // Generous: on a loaded 2-core machine the kernel's start and a package restore can take a minute.
    static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Saves the whole notebook as a picture under artifacts/ui/ (git-ignored); returns its path. Notebook
    /// scrolls inside the page, so the window is first made as tall as the notebook.
    /// </summary>
    static async Task<string> ScreenshotAsync(IPage page, string name)
    {
        var height = await page.EvaluateAsync<int>("() => document.getElementById('header').offsetHeight + document.getElementById('notebook').scrollHeight");
        await page.SetViewportSizeAsync(page.ViewportSize!.Width, Math.Max(height, page.ViewportSize.Height));
        var path = Path.Combine(Processes.RepositoryRoot, "artifacts", "ui", name);
        await page.ScreenshotAsync(new() { Path = path });
        return path;
    }

    [Fact]
    public async Task APersonRunsANotebookInJupyterAndSeesItsTableChartInputAndInterrupt()
    {
        foreach (var (program, package) in new[] { (NotebookServer.Program, "jupyter-notebook"), (Chromium, "chromium") })
            if (!File.Exists(program)) throw new InvalidOperationException($"{program} is missing: install Debian's {package} package (.ci/run does)");
        var clock = Stopwatch.StartNew();
        void Step(string what) => output.WriteLine($"{clock.Elapsed.TotalSeconds,6:F1} s  {what}");

        var folder = Path.Combine(Path.GetTempPath(), "csnb-tests", "ui-" + Guid.NewGuid().ToString("N")[..12]);
        var notebooks = Directory.CreateDirectory(Path.Combine(folder, "notebooks")).FullName;
        Processes.InstallKernel(Path.Combine(folder, "jupyter", "data"), KernelName);
        await File.WriteAllTextAsync(Path.Combine(notebooks, "tour.ipynb"), Fixture());

        await using var jupyter = await NotebookServer.StartAsync(Path.Combine(folder, "jupyter"), notebooks, Patience);
        Step($"jupyter-notebook serves at {jupyter.Root}");
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            // Debian's chromium, never a browser of Playwright's own; Playwright gives it a fresh profile and
            // its usual switches (no sandbox, no first-run page, no background networking).
            ExecutablePath = Chromium, Headless = true,
        });
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1280, Height = 1000 } });
        var pageErrors = new List<string>();
        page.PageError += (_, error) => pageErrors.Add(error);
        page.SetDefaultTimeout((float)Patience.TotalMilliseconds);
        SetDefaultExpectTimeout((float)Patience.TotalMilliseconds);
        try
        {
            await page.GotoAsync(jupyter.Url("notebooks/tour.ipynb"));
            var kernelIdle = page.Locator("#kernel_indicator_icon.kernel_idle_icon");
            await Expect(page.Locator(".kernel_indicator_name")).ToHaveTextAsync("C# (csnb)");
            await Expect(kernelIdle).ToBeVisibleAsync();
            Step("notebook open, kernel idle");

            await page.Locator("#celllink").ClickAsync();                 // Cell
            await page.Locator("#run_all_cells > a").ClickAsync();        // > Run All
            var cells = page.Locator("#notebook-container .cell.code_cell");
            await Expect(cells).ToHaveCountAsync(5);
            var (table, chart, input, loop, after) = (cells.Nth(0), cells.Nth(1), cells.Nth(2), cells.Nth(3), cells.Nth(4));

            // The DataFrame as an HTML table, with its shape below.
            var frame = table.Locator(".output_html table");
            await Expect(frame).ToBeVisibleAsync();
            Assert.Equal(new[] { "name", "born", "score" }, await frame.Locator("thead th").AllInnerTextsAsync());
            var rows = new List<string[]>();
            foreach (var row in await frame.Locator("tbody tr").AllAsync()) rows.Add([.. await row.Locator("td").AllInnerTextsAsync()]);
            Assert.Equal(new[] { new[] { "Ada", "1815", "0.5" }, ["Grace", "1906", "1.25"], ["Alan", "1912", "2"] }, rows);
            await Expect(table.Locator(".output_html")).ToContainTextAsync("3 rows × 3 columns");
            await Expect(table.Locator(".input_prompt")).ToHaveTextAsync(new Regex(@"^In\s*\[1\]:$"));
            Step("table shown");

            // The chart, drawn by plotly.js (which the kernel sent once, before it): three markers in an SVG.
            await Expect(chart.Locator("svg.main-svg").First).ToBeVisibleAsync();
            await Expect(chart.Locator(".scatterlayer .point")).ToHaveCountAsync(3);
            await Expect(chart.Locator(".output")).Not.ToContainTextAsync("plotly.js"); // the HTML is shown, not the plain-text stand-ins
            await Expect(chart.Locator(".output")).Not.ToContainTextAsync("Plotly.NET chart");
            Step("chart drawn");

            // Console.ReadLine: an input box; what is typed there reaches the cell.
            var box = input.Locator("input.raw_input");
            await Expect(box).ToBeVisibleAsync();
            await box.PressSequentiallyAsync("Ada Lovelace");
            await box.PressAsync("Enter");
            var answered = input.Locator(".output_stdout");
            await Expect(answered).ToContainTextAsync("Hello, Ada Lovelace!");
            Assert.Equal("Ada Lovelace\nHello, Ada Lovelace!", (await answered.InnerTextAsync()).Trim()); // Notebook echoes the answer
            Step("input answered");

            // The long loop runs until the toolbar's interrupt button stops it; the kernel stays, with the variables.
            await Expect(loop.Locator(".output_stdout")).ToHaveTextAsync("Spinning until interrupted…");
            await Expect(loop.Locator(".input_prompt")).ToHaveTextAsync(new Regex(@"^In\s*\[\*\]:$"));
            await page.Locator("button[data-jupyter-action='jupyter-notebook:interrupt-kernel']").ClickAsync();
            await Expect(loop.Locator(".output_error")).ToHaveTextAsync(new Regex(@"^cell \[4\] was interrupted \(after \d+\.\d s\)\s*$"));
            await Expect(loop.Locator(".input_prompt")).ToHaveTextAsync(new Regex(@"^In\s*\[4\]:$"));
            // As with ipykernel, the error stops Run All: the last cell is left unrun and unnumbered.
            await Expect(kernelIdle).ToBeVisibleAsync();
            await Expect(after.Locator(".input_prompt")).ToHaveTextAsync(new Regex(@"^In\s*\[\s*\]:$"));
            await Expect(after.Locator(".output_area")).ToHaveCountAsync(0);
            Step("loop interrupted");

            await after.Locator(".input_area").ClickAsync();
            await page.Keyboard.PressAsync("Shift+Enter");
            await Expect(after.Locator(".output_stdout")).ToHaveTextAsync("Ada Lovelace is still here");
            await Expect(after.Locator(".input_prompt")).ToHaveTextAsync(new Regex(@"^In\s*\[5\]:$"));
            await Expect(kernelIdle).ToBeVisibleAsync();
            Step("next cell ran");

            await Expect(page.Locator("#notification_kernel")).ToBeHiddenAsync(); // "Interrupting kernel" fades after 2 s
            var shot = await ScreenshotAsync(page, "notebook.png");
            output.WriteLine($"screenshot of the rendered notebook: {shot}");
            Assert.Empty(pageErrors);

            var started = jupyter.Descendants();
            Assert.Contains(started, p => p.CommandLine.Contains("csnb-kernel.dll"));
            Assert.Contains(started, p => p.CommandLine.Contains("csnb-host.dll"));
        }
        catch
        {
            string shot;
            try { shot = await ScreenshotAsync(page, "notebook-failed.png"); }
            catch (PlaywrightException e) { shot = $"none ({e.Message})"; }
            output.WriteLine($"screenshot at the failure: {shot}\npage errors: {string.Join("\n", pageErrors)}\njupyter-notebook's log:\n{jupyter.Log}");
            throw;
        }
        // Closing Jupyter ends the kernel and its cell host by themselves; none has to be killed.
        Assert.Empty(await jupyter.StopAsync(TimeSpan.FromSeconds(30)));
        Step("jupyter-notebook stopped, with its kernel");
        Directory.Delete(folder, recursive: true); // kept when the test fails, with the notebook as Jupyter saved it
    }

    /// <summary>The notebook the person opens: a table, a chart, an input, a long loop, and a cell after it.</summary>
    static string Fixture()
    {
        string[][] cells =
        [
            ["using Microsoft.Data.Analysis;",
             "var people = new DataFrame(",
             "    new StringDataFrameColumn(\"name\", new[] { \"Ada\", \"Grace\", \"Alan\" }),",
             "    new PrimitiveDataFrameColumn<int>(\"born\", new[] { 1815, 1906, 1912 }),",
             "    new PrimitiveDataFrameColumn<double>(\"score\", new[] { 0.5, 1.25, 2.0 }));",
             "people"],
            ["#r \"nuget: Plotly.NET.CSharp, 0.14.0\"",
             "Plotly.NET.CSharp.Chart.Point<int, int, string>(x: new[] { 1, 2, 3 }, y: new[] { 4, 1, 9 })"],
            ["var name = Console.ReadLine();",
             "Console.WriteLine($\"Hello, {name}!\");"],
            ["long spins = 0;",
             "Console.WriteLine(\"Spinning until interrupted…\");",
             "while (true) spins++;"],
            ["Console.WriteLine($\"{name} is still here\");"],
        ];
        var notebook = new JsonObject
        {
            ["cells"] = new JsonArray(cells.Select((lines, i) => (JsonNode)new JsonObject
            {
                ["cell_type"] = "code", ["id"] = $"cell-{i + 1}", ["metadata"] = new JsonObject(), ["execution_count"] = null,
                ["outputs"] = new JsonArray(),
                ["source"] = new JsonArray(lines.Select((line, l) => (JsonNode)(l < lines.Length - 1 ? line + "\n" : line)).ToArray()),
            }).ToArray()),
            ["metadata"] = new JsonObject
            {
                ["kernelspec"] = new JsonObject { ["name"] = KernelName, ["display_name"] = "C# (csnb)", ["language"] = "csharp" },
                ["language_info"] = new JsonObject { ["name"] = "csharp" },
            },
            ["nbformat"] = 4,
            ["nbformat_minor"] = 5,
        };
        return notebook.ToJsonString();
    }
}
