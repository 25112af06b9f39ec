using System.Net;
using System.Text.Json;

namespace NotebookKernel.Wire;

/// <summary>The connection file Jupyter writes for a kernel: where to bind and how to sign.</summary>
public sealed record ConnectionFile(string Transport, string Ip, int ShellPort, int IopubPort, int StdinPort, int ControlPort, int HbPort, string Key, string SignatureScheme)
{
    /// <summary>Reads and checks a connection file; a missing or bad field is an <see cref="InvalidDataException"/> naming it.</summary>
    public static ConnectionFile Load(string path)
    {
        JsonElement root;
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllText(path));
            root = json.RootElement.Clone();
        }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not JSON ({e.Message})"); }
        if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{path}: not a JSON object");

        string Text(string name, string fallback) => !root.TryGetProperty(name, out var v) ? fallback
            : v.ValueKind == JsonValueKind.String ? v.GetString()! : throw new InvalidDataException($"{path}: '{name}' must be a string, not {v.GetRawText()}");
        int Port(string name) => !root.TryGetProperty(name, out var v) ? throw new InvalidDataException($"{path}: '{name}' is missing")
            : v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var port) && port is > 0 and <= 65535 ? port
            : throw new InvalidDataException($"{path}: '{name}' must be a port number from 1 to 65535, not {v.GetRawText()}");

        var file = new ConnectionFile(Text("transport", "tcp"), Text("ip", "127.0.0.1"), Port("shell_port"), Port("iopub_port"),
            Port("stdin_port"), Port("control_port"), Port("hb_port"), Text("key", ""), Text("signature_scheme", "hmac-sha256"));
        if (file.Transport != "tcp") throw new InvalidDataException($"{path}: transport '{file.Transport}' is not supported (tcp is)");
        if (file.SignatureScheme != "hmac-sha256") throw new InvalidDataException($"{path}: signature scheme '{file.SignatureScheme}' is not supported (hmac-sha256 is)");
        return file;
    }

    /// <summary>The channels and their ports, as the file names them.</summary>
    public IEnumerable<(string Name, int Port)> Ports =>
        [("shell_port", ShellPort), ("iopub_port", IopubPort), ("stdin_port", StdinPort), ("control_port", ControlPort), ("hb_port", HbPort)];

    /// <summary>True when the kernel would listen on every network interface.</summary>
    public bool ListensEverywhere => Ip == "*" || IPAddress.TryParse(Ip, out var address) && (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any));

    /// <summary>The address to bind for <paramref name="port"/>.</summary>
    public string Address(int port) => $"tcp://{Ip}:{port}";
}
