using System.Text;
using System.Xml.Linq;
using Microsoft.CodeAnalysis;

namespace NotebookEngine.Scripting;

/// <summary>What inspecting a name shows, as plain text and as Markdown.</summary>
public sealed record Inspection(string PlainText, string Markdown);

/// <summary>
/// Describes symbols as a front end shows them on Shift-Tab or hover: the declaration (every
/// overload of a method), then the XML documentation where the assembly ships it. Detail 0 gives
/// the first symbol's summary and parameters; detail 1 the documentation of every overload, with
/// returns, remarks and exceptions.
/// </summary>
public static class Documentation
{
    static readonly SymbolDisplayFormat Signature = SymbolDisplayFormat.MinimallyQualifiedFormat
        .WithMemberOptions(SymbolDisplayMemberOptions.IncludeParameters | SymbolDisplayMemberOptions.IncludeType |
                           SymbolDisplayMemberOptions.IncludeContainingType | SymbolDisplayMemberOptions.IncludeModifiers | SymbolDisplayMemberOptions.IncludeRef)
        .WithParameterOptions(SymbolDisplayParameterOptions.IncludeType | SymbolDisplayParameterOptions.IncludeName |
                              SymbolDisplayParameterOptions.IncludeDefaultValue | SymbolDisplayParameterOptions.IncludeParamsRefOut)
        .WithKindOptions(SymbolDisplayKindOptions.IncludeTypeKeyword | SymbolDisplayKindOptions.IncludeNamespaceKeyword)
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    /// <summary>The description of <paramref name="symbols"/> (overloads of one name, or a single symbol).</summary>
    public static Inspection Describe(IReadOnlyList<ISymbol> symbols, int detail)
    {
        var first = symbols[0];
        var heading = $"{Kind(first)} {Name(first)}" + (symbols.Count > 1 ? $" ({symbols.Count} overloads)" : "");
        var signatures = symbols.Select(Declaration).ToList();
        var documented = detail > 0 ? symbols : symbols.Take(1);
        var docs = documented.Select(s => (Symbol: s, Doc: Parse(s))).Where(d => d.Doc is not null).ToList();

        var plain = new StringBuilder(heading).Append('\n');
        foreach (var signature in signatures) plain.Append(signature).Append('\n');
        var markdown = new StringBuilder($"**{heading}**\n\n```csharp\n");
        foreach (var signature in signatures) markdown.Append(signature).Append('\n');
        markdown.Append("```\n");
        foreach (var (symbol, doc) in docs)
        {
            if (detail > 0 && symbols.Count > 1)
            {
                plain.Append('\n').Append(Declaration(symbol)).Append('\n');
                markdown.Append($"\n`{Declaration(symbol)}`\n");
            }
            doc!.AppendTo(plain, markdown, detail);
        }
        if (docs.Count == 0 && detail > 0) plain.Append("\n(no documentation: its assembly ships no XML documentation file)\n");
        return new Inspection(plain.ToString().TrimEnd(), markdown.ToString().TrimEnd());
    }

    static string Kind(ISymbol symbol) => symbol switch
    {
        INamedTypeSymbol type => type.TypeKind switch
        {
            TypeKind.Class => type.IsRecord ? "record" : "class", TypeKind.Struct => type.IsRecord ? "record struct" : "struct",
            TypeKind.Interface => "interface", TypeKind.Enum => "enum", TypeKind.Delegate => "delegate", _ => "type",
        },
        INamespaceSymbol => "namespace",
        IMethodSymbol { MethodKind: MethodKind.Constructor } => "constructor",
        IMethodSymbol { IsExtensionMethod: true } or IMethodSymbol { ReducedFrom: not null } => "extension method",
        IMethodSymbol => "method",
        IPropertySymbol => "property",
        IFieldSymbol { ContainingType.IsScriptClass: true } => "variable",
        IFieldSymbol => "field",
        ILocalSymbol => "local variable",
        IParameterSymbol => "parameter",
        IEventSymbol => "event",
        _ => symbol.Kind.ToString().ToLowerInvariant(),
    };

    static string Name(ISymbol symbol) => symbol switch
    {
        INamespaceOrTypeSymbol => symbol.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat),
        IFieldSymbol { ContainingType.IsScriptClass: true } or ILocalSymbol or IParameterSymbol => symbol.Name,
        _ => $"{symbol.ContainingType?.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat)}.{symbol.Name}",
    };

    static string Declaration(ISymbol symbol) => symbol switch
    {
        IFieldSymbol { ContainingType.IsScriptClass: true } field => $"{field.Type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat)} {field.Name}",
        ILocalSymbol local => $"{local.Type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat)} {local.Name}",
        IParameterSymbol parameter => $"{parameter.Type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat)} {parameter.Name}",
        INamedTypeSymbol type => $"{Accessibility(type)}{Kind(type)} {type.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat)}",
        INamespaceSymbol ns => $"namespace {ns.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat)}",
        _ => symbol.ToDisplayString(Signature),
    };

    static string Accessibility(INamedTypeSymbol type) =>
        (type.DeclaredAccessibility == Microsoft.CodeAnalysis.Accessibility.Public ? "public " : "") + (type.IsStatic ? "static " : type.IsAbstract && type.TypeKind == TypeKind.Class ? "abstract " : type.IsSealed && type.TypeKind == TypeKind.Class ? "sealed " : "");

    /// <summary>The symbol's XML documentation, or null when its assembly ships none.</summary>
    static DocComment? Parse(ISymbol symbol)
    {
        var source = symbol is IMethodSymbol { ReducedFrom: { } extension } ? extension : symbol.OriginalDefinition;
        var xml = source.GetDocumentationCommentXml(expandIncludes: true);
        if (string.IsNullOrWhiteSpace(xml)) return null;
        try { return new DocComment(XElement.Parse(xml)); }
        catch (System.Xml.XmlException) { return null; }
    }

    /// <summary>The parts of an XML documentation comment a reader wants.</summary>
    sealed class DocComment(XElement root)
    {
        public void AppendTo(StringBuilder plain, StringBuilder markdown, int detail)
        {
            if (Text(root.Element("summary")) is { Length: > 0 } summary)
            {
                plain.Append('\n').Append(summary).Append('\n');
                markdown.Append('\n').Append(summary).Append('\n');
            }
            Section(plain, markdown, "Parameters", root.Elements("param"), "name");
            Section(plain, markdown, "Type parameters", root.Elements("typeparam"), "name");
            if (detail == 0) return;
            if (Text(root.Element("returns")) is { Length: > 0 } returns)
            {
                plain.Append("Returns: ").Append(returns).Append('\n');
                markdown.Append("\n**Returns:** ").Append(returns).Append('\n');
            }
            Section(plain, markdown, "Exceptions", root.Elements("exception"), "cref");
            if (Text(root.Element("remarks")) is { Length: > 0 } remarks)
            {
                plain.Append("Remarks: ").Append(remarks).Append('\n');
                markdown.Append("\n**Remarks:** ").Append(remarks).Append('\n');
            }
        }

        static void Section(StringBuilder plain, StringBuilder markdown, string title, IEnumerable<XElement> items, string key)
        {
            var list = items.Select(i => (Name: ShortName((string?)i.Attribute(key) ?? ""), Text: Text(i))).ToList();
            if (list.Count == 0) return;
            plain.Append(title).Append(":\n");
            markdown.Append($"\n**{title}**\n\n");
            foreach (var (name, text) in list)
            {
                plain.Append($"  {name}: {text}\n");
                markdown.Append($"- `{name}`: {text}\n");
            }
        }

        /// <summary>The element's text, with references shown by their short names, on one line.</summary>
        static string Text(XElement? element)
        {
            if (element is null) return "";
            var text = new StringBuilder();
            foreach (var node in element.Nodes())
                text.Append(node switch
                {
                    XText t => t.Value,
                    XElement { Name.LocalName: "see" or "seealso" } e => (string?)e.Attribute("langword") ?? ShortName((string?)e.Attribute("cref") ?? (string?)e.Attribute("href") ?? e.Value),
                    XElement { Name.LocalName: "paramref" or "typeparamref" } e => (string?)e.Attribute("name") ?? "",
                    XElement e => Text(e),
                    _ => "",
                });
            return string.Join(' ', text.ToString().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        }

        /// <summary><c>M:System.Math.Sqrt(System.Double)</c> → <c>Math.Sqrt</c>.</summary>
        static string ShortName(string cref)
        {
            var name = cref.Length > 2 && cref[1] == ':' ? cref[2..] : cref;
            var paren = name.IndexOf('(');
            if (paren >= 0) name = name[..paren];
            var parts = name.Split('.');
            return parts.Length >= 2 && cref.Length > 1 && cref[0] != 'T' && cref[1] == ':' ? $"{parts[^2]}.{parts[^1]}" : parts[^1];
        }
    }
}
