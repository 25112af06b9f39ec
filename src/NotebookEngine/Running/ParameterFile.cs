using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace NotebookEngine.Running;

/// <summary>
/// Parameter values from a file, as papermill's <c>-f</c> reads them: a YAML mapping of names to
/// scalar values (JSON is YAML, so a .json file reads the same). Values are kept as their text and
/// typed later from each parameter's default.
/// </summary>
public static class ParameterFile
{
    /// <summary>
    /// The name → text pairs of the file at <paramref name="path"/>. Throws a <see cref="ParameterException"/>
    /// naming the file (and the key) when it is not a mapping of names to scalars.
    /// </summary>
    public static Dictionary<string, string> Read(string path)
    {
        var text = File.ReadAllText(path);
        var stream = new YamlStream();
        try { stream.Load(new StringReader(text)); }
        catch (YamlException e) { throw new ParameterException($"{path}: not YAML or JSON ({e.Message})"); }
        var values = new Dictionary<string, string>();
        if (stream.Documents.Count == 0) return values; // an empty file sets nothing, as in papermill
        if (stream.Documents[0].RootNode is not YamlMappingNode mapping)
            throw new ParameterException($"{path}: expected a mapping of parameter names to values, got {Kind(stream.Documents[0].RootNode)}");
        foreach (var (key, value) in mapping.Children)
        {
            if (key is not YamlScalarNode { Value: { Length: > 0 } name })
                throw new ParameterException($"{path}: a parameter name must be a plain name, got {Kind(key)}");
            if (value is not YamlScalarNode scalar || IsNull(scalar))
                throw new ParameterException($"{path}: parameter '{name}' must be a single value (number, text or true/false), got {Kind(value)}");
            values[name] = scalar.Value ?? "";
        }
        return values;
    }

    /// <summary>YAML's plain null spellings (a C# parameter has no null to take).</summary>
    static bool IsNull(YamlScalarNode scalar) => scalar.Style == ScalarStyle.Plain && scalar.Value is "" or "~" or "null" or "Null" or "NULL";

    static string Kind(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        YamlScalarNode s when IsNull(s) => "null",
        YamlScalarNode s => $"the value '{s.Value}'",
        _ => "something else",
    };
}
