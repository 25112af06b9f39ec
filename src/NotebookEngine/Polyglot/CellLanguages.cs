using System.Net;
using Markdig;
using NotebookEngine.Display;
using NotebookEngine.Scripting;

namespace NotebookEngine.Polyglot;

/// <summary>The languages of a <see cref="NotebookSession"/>: C# and the display languages .NET Interactive notebooks use.</summary>
static class CellLanguages
{
    public static IEnumerable<ICellLanguage> All(NotebookSession session) =>
        [new CSharp(session), new Html(), new Javascript(), new Markdown(), new Mermaid(), new Value(session)];

    static Task<CellStatus> Show(ICellOutput output, Dictionary<string, string> bundle)
    {
        output.Display(new DisplayData(bundle), Guid.NewGuid().ToString("N"));
        return Task.FromResult(CellStatus.Ok);
    }

    /// <summary>C#, in the session's scripting session.</summary>
    sealed class CSharp(NotebookSession session) : ICellLanguage
    {
        public IReadOnlyList<string> Names { get; } = ["csharp", "c#", ".net-csharp"];

        public Task<CellStatus> RunAsync(Segment segment, ICellOutput output, int count, TimeSpan? timeout, CancellationToken cancellation) =>
            segment.HasCode ? session.CSharp.ExecuteAsync(segment.Text, output, timeout, cancellation, count) : Task.FromResult(CellStatus.Ok);
    }

    /// <summary>HTML shown as itself, as .NET Interactive's html kernel shows it.</summary>
    sealed class Html : ICellLanguage
    {
        public IReadOnlyList<string> Names { get; } = ["html"];

        public Task<CellStatus> RunAsync(Segment segment, ICellOutput output, int count, TimeSpan? timeout, CancellationToken cancellation) =>
            Show(output, new() { ["text/html"] = segment.Content });
    }

    /// <summary>JavaScript run by the page, as a script element (what Javascript() shows).</summary>
    sealed class Javascript : ICellLanguage
    {
        public IReadOnlyList<string> Names { get; } = ["javascript", "js"];

        public Task<CellStatus> RunAsync(Segment segment, ICellOutput output, int count, TimeSpan? timeout, CancellationToken cancellation) =>
            Show(output, new() { ["text/html"] = $"<script type=\"text/javascript\">{segment.Content}</script>" });
    }

    /// <summary>Markdown: as Markdown for front ends that render it, as HTML for pages, as text.</summary>
    sealed class Markdown : ICellLanguage
    {
        static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().UseAdvancedExtensions().Build();

        public IReadOnlyList<string> Names { get; } = ["markdown", "md"];

        public Task<CellStatus> RunAsync(Segment segment, ICellOutput output, int count, TimeSpan? timeout, CancellationToken cancellation) =>
            Show(output, new()
            {
                ["text/plain"] = segment.Content, ["text/markdown"] = segment.Content, ["text/html"] = Markdig.Markdown.ToHtml(segment.Content, Pipeline),
            });
    }

    /// <summary>
    /// A mermaid diagram, drawn offline: mermaid's script (from its npm package, embedded at build
    /// time) goes out once per session, as plotly.js does; JupyterLab draws text/vnd.mermaid itself.
    /// </summary>
    sealed class Mermaid : ICellLanguage
    {
        static readonly Lazy<string?> Script = new(() =>
        {
            using var stream = typeof(Mermaid).Assembly.GetManifestResourceStream("mermaid.min.js");
            return stream is null ? null : new StreamReader(stream).ReadToEnd();
        });
        bool _libraryShown;

        public IReadOnlyList<string> Names { get; } = ["mermaid"];

        public Task<CellStatus> RunAsync(Segment segment, ICellOutput output, int count, TimeSpan? timeout, CancellationToken cancellation)
        {
            if (Script.Value is not { } script)
            {
                var text = $"cell [{count}]: mermaid's script was not built into this engine (npm was missing when it was built), so diagrams cannot be drawn";
                output.Error(new CellError("MermaidMissing", text, [text]));
                return Task.FromResult(CellStatus.Error);
            }
            if (!_libraryShown)
            {
                _libraryShown = true;
                // A script element ends at "</script", so the library must not contain one.
                Show(output, new()
                {
                    ["text/plain"] = "(mermaid.js for the diagrams below)",
                    ["text/html"] = $"<script type=\"text/javascript\">{script.Replace("</script", "<\\/script")}\nmermaid.initialize({{ startOnLoad: false }});</script>",
                });
            }
            var id = "mermaid-" + Guid.NewGuid().ToString("N");
            return Show(output, new()
            {
                ["text/plain"] = segment.Content,
                ["text/vnd.mermaid"] = segment.Content,
                ["text/html"] = $"<pre class=\"mermaid\" id=\"{id}\">{WebUtility.HtmlEncode(segment.Content)}</pre>" +
                                $"<script type=\"text/javascript\">if (window.mermaid) mermaid.run({{ nodes: [document.getElementById(\"{id}\")] }});</script>",
            });
        }
    }

    /// <summary>
    /// .NET Interactive's value kernel: <c>#!value --name x</c> stores the cell's text (or, with
    /// <c>--from-file</c>, a file's) under x, shown with <c>--mime-type</c> (text/plain by default).
    /// </summary>
    sealed class Value(NotebookSession session) : ICellLanguage
    {
        public IReadOnlyList<string> Names { get; } = ["value"];

        public Task<CellStatus> RunAsync(Segment segment, ICellOutput output, int count, TimeSpan? timeout, CancellationToken cancellation)
        {
            if (segment.Switch?.Option("name") is not { } name)
            {
                if (segment.HasCode) throw new MagicException(segment.Switch?.Line ?? 1, "#!value needs --name to store the cell's text under");
                return Task.FromResult(CellStatus.Ok); // a value cell that only runs magics
            }
            var mime = segment.Switch.Option("mime-type") ?? "text/plain";
            if (segment.Switch.Option("from-file") is { } file)
            {
                var path = Path.GetFullPath(Path.Combine(session.CSharp.WorkingDirectory, file));
                if (!File.Exists(path)) throw new MagicException(segment.Switch.Line, $"#!value --from-file: no file at {path}");
                session.Values[name] = new StoredValue(File.ReadAllText(path), mime);
                return Task.FromResult(CellStatus.Ok);
            }
            session.Values[name] = new StoredValue(segment.Content, mime);
            return Show(output, new() { [mime] = segment.Content });
        }
    }
}
