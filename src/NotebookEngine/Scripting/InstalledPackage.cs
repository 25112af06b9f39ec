using System.Net;
using System.Text;
using NotebookEngine.Display;

namespace NotebookEngine.Scripting;

/// <summary>A package a <c>#r "nuget:"</c> asked for, the version that is loaded, and why it differs, if it does.</summary>
sealed record InstalledPackage(PackageRef Asked, string Version, string? Note)
{
    /// <summary>An exact version was asked for and another one is loaded.</summary>
    public bool Substituted => Asked.Version is { } asked && IsExact(asked) && !string.Equals(asked, Version, StringComparison.OrdinalIgnoreCase);

    /// <summary>1.2.3 or 1.2.3-beta is exact; *, 1.*, [1.0,2.0) are ranges.</summary>
    static bool IsExact(string version) => version.Length > 0 && !version.Contains('*') && !"[(,)]".Any(version.Contains);

    /// <summary>The output of a <c>#r "nuget:"</c> cell, shaped as .NET Interactive shows it: the package sources added, then the "Installed Packages" list.</summary>
    public static DisplayData Report(IReadOnlyList<InstalledPackage> installed, IReadOnlyList<string> sources)
    {
        var packages = installed.OrderBy(p => p.Asked.Id, StringComparer.OrdinalIgnoreCase).ToList(); // by name, as .NET Interactive lists them
        static string List(string title, IEnumerable<string> items) =>
            $"<div><strong>{title}</strong><ul>{string.Concat(items.Select(i => $"<li><span>{WebUtility.HtmlEncode(i)}</span></li>"))}</ul></div>";
        var html = new StringBuilder("<div><div>");
        if (sources.Count > 0) html.Append(List("Restore sources", sources));
        html.Append("</div><div></div>");
        if (packages.Count > 0) html.Append(List("Installed Packages", packages.Select(p => $"{p.Asked.Id}, {p.Version}")));
        html.Append("</div>");

        var text = new StringBuilder();
        if (sources.Count > 0) text.Append("Restore sources\n").AppendJoin("", sources.Select(s => $"  {s}\n"));
        if (packages.Count > 0)
            text.Append("Installed Packages\n").AppendJoin("", packages.Select(p => $"  {p.Asked.Id}, {p.Version}{(p.Note is null || p.Substituted ? "" : $" ({p.Note})")}\n"));
        return new DisplayData(new Dictionary<string, string> { ["text/plain"] = text.ToString().TrimEnd('\n'), ["text/html"] = html.ToString() });
    }
}
