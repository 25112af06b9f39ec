using Microsoft.AspNetCore.Html;
using Microsoft.DotNet.Interactive.Formatting;
using NotebookEngine.Display;

// .NET Interactive's names, so notebooks written for it compile unchanged: `using Microsoft.DotNet.Interactive;`,
// `Kernel.display(…)`, `using static Microsoft.DotNet.Interactive.Kernel;`.
namespace Microsoft.DotNet.Interactive
{
    /// <summary>The display helpers of .NET Interactive's <c>Kernel</c> class, for the running cell.</summary>
    public static class Kernel
    {
        /// <summary>
        /// Shows <paramref name="value"/> formatted as <paramref name="mimeTypes"/> (none: the value's
        /// preferred ones), through the Formatting package as .NET Interactive does.
        /// </summary>
        public static DisplayedValue display(object? value, params string[] mimeTypes) => NotebookEngine.Cells.Displays.ShowAs(value, mimeTypes);

        /// <summary>Raw HTML that displays as itself.</summary>
        public static IHtmlContent HTML(string content) => new HtmlString(content);

        /// <summary>Shows <paramref name="scriptContent"/> as a script element, HTML only, so the page runs it.</summary>
        public static void Javascript(string scriptContent) =>
            NotebookEngine.Cells.Displays.ShowData(new DisplayData(new Dictionary<string, string> { ["text/html"] = $"<script type=\"text/javascript\">{scriptContent}</script>" }));

        /// <summary>Adds the style sheet <paramref name="content"/> to the page's head, through a script.</summary>
        public static void CSS(string content) =>
            Javascript($"document.head.appendChild(Object.assign(document.createElement('style'), {{ textContent: {System.Text.Json.JsonSerializer.Serialize(content)} }}));");

        /// <summary>A line the user types after <paramref name="prompt"/>, asked of the front end (Jupyter's input_request).</summary>
        /// <exception cref="NoInputException">The front end takes no input.</exception>
        public static Task<string> GetInputAsync(string prompt = "", string? typeHint = null) =>
            Task.Run(() => ConsoleCapture.ReadLine(prompt, password: false));

        /// <summary>A password the user types after <paramref name="prompt"/>, hidden as they type it.</summary>
        /// <exception cref="NoInputException">The front end takes no input.</exception>
        public static Task<PasswordString> GetPasswordAsync(string prompt = "") =>
            Task.Run(() => new PasswordString(ConsoleCapture.ReadLine(prompt, password: true)));
    }

    /// <summary>A password that does not show itself when displayed.</summary>
    public sealed class PasswordString(string password)
    {
        /// <summary>The password as typed.</summary>
        public string GetClearTextPassword() => password;

        /// <summary>Asterisks, never the password.</summary>
        public override string ToString() => "************";
    }
}

namespace Microsoft.DotNet.Interactive.Jupyter.Formatting
{
    /// <summary>
    /// LaTeX math shown between <c>$$</c> delimiters (added if missing), as text/latex; .NET Interactive's
    /// older name for what <see cref="LaTeXString"/> now does.
    /// </summary>
    [TypeFormatterSource(typeof(MathStringFormatters))]
    public sealed class MathString
    {
        readonly string _math;

        /// <summary>Math in LaTeX, with or without the <c>$$</c> delimiters.</summary>
        public MathString(string latex)
        {
            ArgumentNullException.ThrowIfNull(latex);
            _math = (latex.StartsWith("$$", StringComparison.Ordinal) ? "" : "$$") + latex + (latex.EndsWith("$$", StringComparison.Ordinal) ? "" : "$$");
        }

        /// <summary>Lets a string be written where a MathString is expected: <c>(MathString)@"\frac{1}{2}"</c>.</summary>
        public static implicit operator MathString(string latex) => new(latex);

        /// <summary>The math with its delimiters.</summary>
        public override string ToString() => _math;
    }

    sealed class MathStringFormatters : ITypeFormatterSource
    {
        public IEnumerable<ITypeFormatter> CreateTypeFormatters()
        {
            Formatter.SetPreferredMimeTypesFor(typeof(MathString), "text/latex");
            yield return new FormatterAsLatex();
        }

        sealed class FormatterAsLatex : TypeFormatter<MathString>
        {
            public override string MimeType => "text/latex";

            public override bool Format(MathString value, FormatContext context)
            {
                context.Writer.Write(value.ToString());
                return true;
            }
        }
    }
}
