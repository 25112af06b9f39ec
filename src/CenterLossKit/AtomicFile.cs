using System.Diagnostics;
using System.Globalization;

namespace CenterLossKit;

/// <summary>
/// Whole files or nothing: the bytes go to <c>path.&lt;pid&gt;.tmp</c> beside the target, which is then
/// renamed over it, so a reader never sees half a file.
/// </summary>
internal static class AtomicFile
{
    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> atomically, first removing temp files of writers that died.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        RemoveStaleTemps(path);
        var temp = path + "." + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + ".tmp";
        try
        {
            using (var file = File.Create(temp)) file.Write(bytes);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    // A writer killed mid-save (kill -9, power loss) leaves its temp file behind. Temps of processes
    // still running are left alone: they may be saving this very file.
    static void RemoveStaleTemps(string path)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(folder)) return;
        var prefix = Path.GetFileName(path) + ".";
        foreach (var file in Directory.EnumerateFiles(folder, prefix + "*.tmp"))
        {
            var name = Path.GetFileName(file);
            if (!name.StartsWith(prefix, StringComparison.Ordinal)) continue;
            if (!int.TryParse(name.AsSpan(prefix.Length, name.Length - prefix.Length - ".tmp".Length), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                || pid == Environment.ProcessId || IsRunning(pid)) continue;
            try { File.Delete(file); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // gone already, or not ours to delete
        }
    }

    static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException) { return false; }
    }
}
