using System.Collections.Concurrent;

namespace NotebookEngine.Scripting;

/// <summary>
/// Values on their way into a session from outside its cells (<see cref="ScriptSession.DefineAsync"/>):
/// the session runs a one-line submission that takes the value back by its key.
/// </summary>
public static class Handoff
{
    static readonly ConcurrentDictionary<string, object?> Values = new();

    internal static string Put(object? value)
    {
        var key = Guid.NewGuid().ToString("N");
        Values[key] = value;
        return key;
    }

    /// <summary>The value left under <paramref name="key"/>, once.</summary>
    public static object? Take(string key) => Values.TryRemove(key, out var value) ? value : null;
}

/// <summary>C# names of runtime types, for code the engine writes.</summary>
static class TypeNames
{
    /// <summary>The C# name of <paramref name="type"/>, or "object" for a type cells cannot name (a cell's own type, a non-public one).</summary>
    public static string Of(Type type)
    {
        if (type.IsArray)
        {
            var element = Of(type.GetElementType()!);
            return element == "object" && type.GetElementType() != typeof(object) ? "object" : $"{element}[{new string(',', type.GetArrayRank() - 1)}]";
        }
        if (!type.IsVisible || type.Assembly.IsDynamic || type.IsPointer || type.IsByRef) return "object";
        var name = "global::" + (type.FullName ?? type.Name).Split('`')[0].Replace('+', '.');
        if (!type.IsGenericType) return name;
        var arguments = type.GetGenericArguments().Select(Of).ToList();
        return arguments.Contains("object") && type.GetGenericArguments().Any(a => a != typeof(object)) ? "object" : $"{name}<{string.Join(", ", arguments)}>";
    }
}
