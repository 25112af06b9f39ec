using System.Text;
using System.Text.Json.Nodes;
using NetMQ;
using NotebookKernel.Wire;

namespace NotebookEngine.Tests;

/// <summary>Nothing a client sends ends the kernel: bad fields get error replies, forgeries and replays are refused.</summary>
public class KernelRobustnessTests
{
    static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public void MessagesWithFieldsOfTheWrongTypeGetErrorRepliesAndTheKernelServesOn()
    {
        using var kernel = KernelProcess.Start();
        var code = kernel.Request(kernel.Shell, "execute_request", new JsonObject { ["code"] = 12345, ["silent"] = false }, Patience)!;
        Assert.Equal("error", (string?)code["status"]);
        Assert.Equal("BadRequest", (string?)code["ename"]);
        Assert.Equal("'code' of a execute_request must be a string, not 12345", (string?)code["evalue"]);

        var cursor = kernel.Request(kernel.Shell, "complete_request", new JsonObject { ["code"] = "Math.", ["cursor_pos"] = "5" }, Patience)!;
        Assert.Equal("'cursor_pos' of a complete_request must be an integer, not \"5\"", (string?)cursor["evalue"]);

        var restart = kernel.Request(kernel.Control, "shutdown_request", new JsonObject { ["restart"] = "yes" }, Patience)!;
        Assert.Equal("'restart' of a shutdown_request must be true or false, not \"yes\"", (string?)restart["evalue"]);

        // A header whose msg_type is a number cannot be answered: it is logged and dropped.
        var header = Encoding.UTF8.GetBytes("""{"msg_id":"m1","session":"s","username":"u","msg_type":7,"version":"5.3"}""");
        var parts = new[] { header, "{}"u8.ToArray(), "{}"u8.ToArray(), """{"code":"1"}"""u8.ToArray() };
        kernel.Shell.SendMultipartBytes([WireFormat.Delimiter, Encoding.ASCII.GetBytes(kernel.Wire.Sign(parts)), .. parts]);

        var (reply, published) = kernel.Execute("1 + 1", Patience);
        Assert.Equal("ok", (string?)reply["status"]);
        Assert.Equal("2", (string?)published.Single(m => m.Type == "execute_result").Content["data"]!["text/plain"]);
        Assert.False(kernel.HasExited);
        Assert.Contains("dropped a message: malformed message (the header is not a JSON object with a string msg_type)", kernel.Stderr.ToString());
    }

    [Fact]
    public void AReplayedMessageIsNotExecutedAgain()
    {
        using var kernel = KernelProcess.Start();
        kernel.Execute("var runs = 0;", Patience);
        var (frames, id) = kernel.Message("execute_request", new JsonObject { ["code"] = "runs++;" });
        kernel.Shell.SendMultipartBytes(frames);
        Assert.NotNull(kernel.ReplyTo(kernel.Shell, id, Patience));
        kernel.Shell.SendMultipartBytes(frames); // byte for byte, signature included
        Assert.Null(kernel.ReplyTo(kernel.Shell, id, TimeSpan.FromSeconds(3)));
        var (_, published) = kernel.Execute("runs", Patience);
        Assert.Equal("1", (string?)published.Single(m => m.Type == "execute_result").Content["data"]!["text/plain"]);
        Assert.Contains("dropped a message: replayed message (its signature was seen before)", kernel.Stderr.ToString());
    }

    [Fact]
    public void AFewThousandMutatedSignedMessagesOnEveryChannelLeaveTheKernelServing()
    {
        using var kernel = KernelProcess.Start();
        var random = new Random(20261202);
        var requests = new (string Type, NetMQ.Sockets.DealerSocket Channel, string Content)[]
        {
            ("execute_request", kernel.Shell, """{"code":"1 + 1","silent":false,"store_history":true,"user_expressions":{},"allow_stdin":false,"stop_on_error":true}"""),
            ("complete_request", kernel.Shell, """{"code":"Console.Wr","cursor_pos":10}"""),
            ("inspect_request", kernel.Shell, """{"code":"Math.Sqrt","cursor_pos":6,"detail_level":0}"""),
            ("is_complete_request", kernel.Shell, """{"code":"for (;;) {"}"""),
            ("kernel_info_request", kernel.Shell, "{}"),
            ("comm_info_request", kernel.Shell, """{"target_name":"x"}"""),
            ("history_request", kernel.Shell, """{"output":false,"raw":true,"hist_access_type":"tail","n":10}"""),
            ("kernel_info_request", kernel.Control, "{}"),
            ("interrupt_request", kernel.Control, "{}"),
            ("input_reply", kernel.Stdin, """{"value":"typed"}"""),
        };
        var channels = new[] { kernel.Shell, kernel.Control, kernel.Stdin };
        for (var i = 0; i < 3000; i++)
        {
            var (type, channel, content) = requests[random.Next(requests.Length)];
            var header = $$"""{"msg_id":"fuzz-{{i}}","session":"fuzz","username":"fuzz","date":"2026-12-02T00:00:00.000000Z","msg_type":"{{type}}","version":"5.3"}""";
            var parts = new[] { header, "{}", "{}", content }.Select(p => Encoding.UTF8.GetBytes(p)).ToArray();
            for (var mutations = random.Next(1, 4); mutations > 0; mutations--)
            {
                var at = random.Next(parts.Length);
                parts[at] = Mutation.Of(parts[at], random);
            }
            List<byte[]> frames = [WireFormat.Delimiter, Encoding.ASCII.GetBytes(kernel.Wire.Sign(parts)), .. parts];
            switch (random.Next(20))
            {
                case 0: frames.RemoveAt(random.Next(frames.Count)); break;           // a frame missing
                case 1: frames.Add(new byte[random.Next(64)]); break;                  // an extra buffer
                case 2: frames[1] = Encoding.ASCII.GetBytes(new string('0', 64)); break; // a wrong signature
            }
            (random.Next(10) == 0 ? channels[random.Next(channels.Length)] : channel).SendMultipartBytes(frames);
        }

        var (reply, published) = kernel.Execute("1 + 1", TimeSpan.FromSeconds(120));
        Assert.Equal("ok", (string?)reply["status"]);
        Assert.Equal("2", (string?)published.Single(m => m.Type == "execute_result").Content["data"]!["text/plain"]);
        Assert.True(kernel.HeartBeats());

        // A message signed with another key is still refused.
        var forged = new WireFormat("not-the-key", "intruder").Frames("execute_request", new JsonObject { ["code"] = "1" }, null, identities: []);
        kernel.Shell.SendMultipartBytes(forged);
        Assert.Null(kernel.ReplyTo(kernel.Shell, (string)JsonNode.Parse(forged[2])!["msg_id"]!, TimeSpan.FromSeconds(3)));
        Assert.False(kernel.HasExited);
    }

    /// <summary>Random damage to one JSON part of a message: a field deleted, retyped or huge, the part not an object, truncated, or not text.</summary>
    static class Mutation
    {
        public static byte[] Of(byte[] part, Random random)
        {
            var node = TryParse(part);
            switch (random.Next(7))
            {
                case 0 when node is JsonObject { Count: > 0 } fields:
                    fields.Remove(fields.ElementAt(random.Next(fields.Count)).Key);
                    return Bytes(fields);
                case 1 or 2 when node is JsonObject fields:
                    var key = fields.Count > 0 && random.Next(4) > 0 ? fields.ElementAt(random.Next(fields.Count)).Key : "extra";
                    fields[key] = Value(random, depth: 0);
                    return Bytes(fields);
                case 3:
                    return Bytes(Value(random, depth: 0));
                case 4:
                    return part[..random.Next(part.Length + 1)];
                case 5:
                    var noise = new byte[random.Next(1, 200)];
                    random.NextBytes(noise);
                    return noise;
                default:
                    return Bytes(new JsonObject { ["deep"] = Nested(random.Next(60, 200)) });
            }
        }

        static JsonNode? Value(Random random, int depth) => random.Next(10) switch
        {
            0 => null,
            1 => random.Next(2) == 0,
            2 => random.Next(int.MinValue, int.MaxValue),
            3 => random.Next(2) == 0 ? long.MaxValue : 1e300,
            4 => new string('x', random.Next(2) == 0 ? random.Next(20) : 200_000),
            5 => "\u0000\uFFFD€𝄞",
            6 when depth < 3 => new JsonArray(Enumerable.Range(0, random.Next(4)).Select(_ => Value(random, depth + 1)).ToArray()),
            7 when depth < 3 => new JsonObject { ["k"] = Value(random, depth + 1) },
            _ => -0.5,
        };

        static JsonNode Nested(int depth) => depth == 0 ? new JsonArray() : new JsonArray(Nested(depth - 1));

        static JsonNode? TryParse(byte[] bytes)
        {
            try { return JsonNode.Parse(bytes); }
            catch (System.Text.Json.JsonException) { return null; }
        }

        static byte[] Bytes(JsonNode? node) =>
            node is null ? "null"u8.ToArray() : Encoding.UTF8.GetBytes(node.ToJsonString(new System.Text.Json.JsonSerializerOptions { MaxDepth = 512 }));
    }
}

/// <summary>How the kernel starts, and what becomes of its cell host when it ends.</summary>
public class KernelLifeTests
{
    static (int Code, string Err) StartWith(JsonObject connection)
    {
        var path = Path.Combine(TestHost.TempFolder(), "connection.json");
        File.WriteAllText(path, connection.ToJsonString());
        using var kernel = KernelProcess.StartKernel(path);
        var stderr = kernel.StandardError.ReadToEndAsync();
        if (!kernel.WaitForExit(TimeSpan.FromSeconds(60))) kernel.Kill(entireProcessTree: true);
        return (kernel.ExitCode, stderr.Result);
    }

    static JsonObject Connection(IReadOnlyList<int> ports) => new()
    {
        ["transport"] = "tcp", ["ip"] = "127.0.0.1", ["key"] = "k", ["signature_scheme"] = "hmac-sha256",
        ["shell_port"] = ports[0], ["iopub_port"] = ports[1], ["stdin_port"] = ports[2], ["control_port"] = ports[3], ["hb_port"] = ports[4],
    };

    [Fact]
    public void APortThatIsTakenOrNotAPortEndsTheKernelWithOneLineNamingIt()
    {
        var ports = KernelProcess.FreePorts(5);
        using (var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, ports[3]))
        {
            taken.Start();
            var (code, stderr) = StartWith(Connection(ports));
            Assert.NotEqual(0, code);
            Assert.Equal($"csnb-kernel: cannot listen on tcp://127.0.0.1:{ports[3]} (control_port): the port is taken", stderr.Trim());
        }
        var bad = Connection(ports);
        bad["hb_port"] = "5555";
        var (badCode, badStderr) = StartWith(bad);
        Assert.NotEqual(0, badCode);
        Assert.EndsWith("connection.json: 'hb_port' must be a port number from 1 to 65535, not \"5555\"", badStderr.Trim());
        Assert.Single(badStderr.Trim().Split('\n'));
    }

    [Fact]
    public async Task ListeningOnEveryInterfaceIsWarnedAbout()
    {
        var connection = Connection(KernelProcess.FreePorts(5));
        connection["ip"] = "0.0.0.0";
        var path = Path.Combine(TestHost.TempFolder(), "connection.json");
        File.WriteAllText(path, connection.ToJsonString());
        using var kernel = KernelProcess.StartKernel(path);
        var line = await kernel.StandardError.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal("csnb-kernel: warning: ip 0.0.0.0 listens on every network interface; anyone who can reach this machine and has the key can run code", line);
        kernel.Kill(entireProcessTree: true);
    }

    [Fact]
    public void WhenTheKernelIsKilledItsCellHostEndsToo()
    {
        using var kernel = KernelProcess.Start();
        var (_, published) = kernel.Execute("Environment.ProcessId", TimeSpan.FromSeconds(60));
        var host = int.Parse((string)published.Single(m => m.Type == "execute_result").Content["data"]!["text/plain"]!);
        Assert.True(Directory.Exists($"/proc/{host}"));
        kernel.Kill();
        Assert.True(Processes.Ended(host, TimeSpan.FromSeconds(10)), $"cell host {host} outlived its kernel");
    }
}
