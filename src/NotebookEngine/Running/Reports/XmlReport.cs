using System.Text;
using System.Xml;
using System.Xml.Linq;
using NotebookEngine.Documents;

namespace NotebookEngine.Running.Reports;

/// <summary>What the JUnit and TRX writers share: text made safe for XML, and an atomic write.</summary>
static class XmlReport
{
    /// <summary>
    /// <paramref name="text"/> without terminal colours, and with the characters XML 1.0 cannot hold
    /// (control characters a cell may print) written as <c>\u001B</c>, so the report still parses.
    /// </summary>
    public static string Clean(string text)
    {
        text = Ansi.Strip(text);
        if (text.All(XmlConvert.IsXmlChar)) return text;
        var clean = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (XmlConvert.IsXmlChar(text[i])) clean.Append(text[i]);
            else if (i + 1 < text.Length && XmlConvert.IsXmlSurrogatePair(text[i + 1], text[i])) clean.Append(text[i]).Append(text[++i]);
            else clean.Append($"\\u{(int)text[i]:X4}");
        }
        return clean.ToString();
    }

    /// <summary>Writes <paramref name="document"/> with its UTF-8 declaration to <paramref name="path"/>: a temp file, then a rename.</summary>
    public static void Save(XDocument document, string path)
    {
        using var text = new Utf8StringWriter();
        using (var writer = XmlWriter.Create(text, new XmlWriterSettings { Indent = true, Encoding = Encoding.UTF8 })) document.Save(writer);
        AtomicFile.WriteAllText(path, text + "\n");
    }

    sealed class Utf8StringWriter : StringWriter
    {
        public override Encoding Encoding => Encoding.UTF8;
    }
}
