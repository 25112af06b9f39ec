using System.Text.Json;

namespace NotebookKernel.Wire;

/// <summary>The connection file Jupyter writes for a kernel: where to bind and how to sign.</summary>
public sealed record ConnectionFile(string Transport, string Ip, int ShellPort, int IopubPort, int StdinPort, int ControlPort, int HbPort, string Key, string SignatureScheme)
{
    /// <summary>Reads and checks a connection file; an unsupported transport or scheme is an error.</summary>
    public static ConnectionFile Load(string path)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(path));
        var root = json.RootElement;
        string Text(string name, string fallback) => root.TryGetProperty(name, out var v) ? v.GetString() ?? fallback : fallback;
        int Port(string name) => root.TryGetProperty(name, out var v) ? v.GetInt32() : throw new InvalidDataException($"{path}: '{name}' is missing");
        var file = new ConnectionFile(Text("transport", "tcp"), Text("ip", "127.0.0.1"), Port("shell_port"), Port("iopub_port"),
            Port("stdin_port"), Port("control_port"), Port("hb_port"), Text("key", ""), Text("signature_scheme", "hmac-sha256"));
        if (file.Transport != "tcp") throw new InvalidDataException($"{path}: transport '{file.Transport}' is not supported (tcp is)");
        if (file.SignatureScheme != "hmac-sha256") throw new InvalidDataException($"{path}: signature scheme '{file.SignatureScheme}' is not supported (hmac-sha256 is)");
        return file;
    }

    /// <summary>The address to bind for <paramref name="port"/>.</summary>
    public string Address(int port) => $"tcp://{Ip}:{port}";
}
