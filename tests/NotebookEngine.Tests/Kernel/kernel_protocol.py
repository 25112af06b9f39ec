"""Drives the csnb kernel with Debian's jupyter_client through the parts of the protocol that
front ends use beyond executing cells, and prints what the client saw as JSON.

Usage: /usr/bin/python3 kernel_protocol.py KERNEL_NAME   (with JUPYTER_PATH naming the kernelspec)
"""
import json
import sys
import threading
import time

from jupyter_client import KernelManager


def collect(client, msg_id, timeout=60):
    """The reply to msg_id and the iopub messages it caused (type, content), up to its idle."""
    reply = client.get_shell_msg(timeout=timeout)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = client.get_shell_msg(timeout=timeout)
    published = []
    while True:
        msg = client.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return reply["content"], published
        if msg["msg_type"] != "status":
            published.append([msg["msg_type"], msg["content"]])


def execute(client, code, **options):
    options.setdefault("allow_stdin", False)  # as nbclient sends it (jupyter_client's own default is True)
    return collect(client, client.execute(code, **options))


def with_input(client, code, answers, interrupt_after=None, km=None):
    """Executes code with allow_stdin, answering each input_request from answers (or interrupting)."""
    msg_id = client.execute(code, allow_stdin=True)
    prompts = []
    for answer in answers:
        request = client.get_stdin_msg(timeout=60)
        prompts.append([request["content"]["prompt"], request["content"]["password"]])
        if answer is None:
            time.sleep(interrupt_after)
            km.interrupt_kernel()
        else:
            client.input(answer)
    reply, published = collect(client, msg_id)
    return prompts, reply, published


def main(found):
    km = KernelManager(kernel_name=sys.argv[1])
    km.start_kernel()
    client = km.client()
    client.start_channels()
    client.wait_for_ready(timeout=60)

    # kernel_info, on shell and on control
    msg_id = client.kernel_info()
    info = client.get_shell_msg(timeout=30)["content"]
    found["kernel_info"] = info
    control = km.client()
    control.start_channels()
    found["kernel_info_control"] = control.control_channel is not None

    # stdin: Console.ReadLine, Console.Read, a password, no stdin allowed, an interrupt while waiting
    prompts, reply, published = with_input(client, 'Console.Write("Name: ");\nvar name = Console.ReadLine();\nvar first = (char)Console.Read();\n$"{name}/{first}"', ["Ada", "Zed"])
    found["readline"] = [prompts, reply["status"], [c["data"]["text/plain"] for t, c in published if t == "execute_result"]]
    prompts, reply, published = with_input(client, 'var secret = getpass("Key: ");\nsecret.Length', ["hunter2"])
    found["password"] = [prompts, [c["data"]["text/plain"] for t, c in published if t == "execute_result"]]
    prompts, reply, published = with_input(client, '#!set --name city --value @input:"Your city"\n#!set --name pin --value @password:PIN\n$"{city} {pin.Length}"', ["Oslo", "1234"])
    found["input_tokens"] = [prompts, [c["data"]["text/plain"] for t, c in published if t == "execute_result"]]
    reply, published = execute(client, "Console.ReadLine()", allow_stdin=False)
    found["no_stdin"] = [reply["status"], reply.get("ename"), reply.get("evalue")]
    prompts, reply, published = with_input(client, "var never = Console.ReadLine();", [None], interrupt_after=0.5, km=km)
    found["input_interrupted"] = [prompts, reply["status"], reply.get("ename")]
    reply, published = execute(client, "name")
    found["after_input"] = [c["data"]["text/plain"] for t, c in published if t == "execute_result"]

    # execute_request options
    execute(client, '#r "nuget: Plotly.NET.CSharp, 0.14.0"')
    count = execute(client, "1")[0]["execution_count"]
    reply, published = execute(client, "var quiet = 5;\nConsole.WriteLine(\"unseen\");\nquiet", silent=True)
    found["silent"] = [reply["status"], reply["execution_count"], published]
    reply, published = execute(client, "quiet + 1", store_history=False)
    found["no_history"] = [reply["execution_count"], [c["execution_count"] for t, c in published if t == "execute_result"]]
    reply, published = execute(client, "var w = 3;", user_expressions={"double": "w * 2", "chart": "Plotly.NET.CSharp.Chart.Point<int, int, string>(new[] { 1 }, new[] { 2 })", "broken": "w.Nope"})
    found["user_expressions"] = reply.get("user_expressions", reply)
    found["count_before"] = count
    # The pause lets the next two requests reach the kernel before the error, on however busy a machine.
    first = client.execute('Thread.Sleep(300);\nthrow new Exception("first");', stop_on_error=True, allow_stdin=False)
    second = client.execute("var ran = true;", allow_stdin=False)
    third = client.execute("1 + 1", allow_stdin=False)
    replies = [collect(client, first)[0], collect(client, second)[0], collect(client, third)[0]]
    found["stop_on_error"] = [r["status"] for r in replies]
    found["aborted_counts"] = [r.get("execution_count") for r in replies[1:]]  # none, as ipykernel: shown "In [ ]"
    reply, _ = execute(client, "ran")
    found["aborted_did_not_run"] = reply.get("ename")

    # clear_output and display updates
    reply, published = execute(client, 'var h = display("one");\nclear_output(wait: true);\nh.Update("two");\nConsole.WriteLine("after");')
    found["clear_output"] = [[t, c.get("wait")] for t, c in published]

    # Plotly charts carry their figure as JSON
    reply, published = execute(client, "Plotly.NET.CSharp.Chart.Point<int, int, string>(new[] { 1, 2 }, new[] { 3, 4 })")
    bundles = [c["data"] for t, c in published if t in ("execute_result", "display_data")]
    found["plotly"] = [sorted(bundles[-1].keys()), bundles[-1].get("application/vnd.plotly.v1+json", {}).get("data")]

    # comms: an unknown target is closed; a target registered by a cell answers
    comm_msgs = []
    client.comm_info()
    found["comm_info_empty"] = client.get_shell_msg(timeout=30)["content"]
    open_id = client.session.msg("comm_open", {"comm_id": "c-unknown", "target_name": "nobody", "data": {}})
    client.shell_channel.send(open_id)
    while True:
        msg = client.get_iopub_msg(timeout=30)
        if msg["parent_header"].get("msg_id") == open_id["header"]["msg_id"] and msg["msg_type"] == "comm_close":
            found["unknown_target"] = msg["content"]
            break
    execute(client, 'Comms.RegisterTarget("echo", (comm, data) => { comm.Received += d => comm.Send(new System.Text.Json.Nodes.JsonObject { ["echo"] = d?["text"]?.DeepClone() }); comm.Send(new System.Text.Json.Nodes.JsonObject { ["opened"] = data?["hello"]?.DeepClone() }); });')
    for msg_type, content in [("comm_open", {"comm_id": "c-echo", "target_name": "echo", "data": {"hello": "there"}}),
                              ("comm_msg", {"comm_id": "c-echo", "data": {"text": "ping"}})]:
        message = client.session.msg(msg_type, content)
        client.shell_channel.send(message)
        while True:
            msg = client.get_iopub_msg(timeout=30)
            if msg["parent_header"].get("msg_id") == message["header"]["msg_id"]:
                if msg["msg_type"] == "comm_msg":
                    comm_msgs.append(msg["content"]["data"])
                if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                    break
    found["echo"] = comm_msgs
    client.comm_info(target_name="echo")
    found["comm_info_echo"] = client.get_shell_msg(timeout=30)["content"]
    reply, published = execute(client, 'var mine = Comms.OpenComm("front.end", new System.Text.Json.Nodes.JsonObject { ["n"] = 1 });\nmine.Send(new System.Text.Json.Nodes.JsonObject { ["n"] = 2 });\nmine.Close();')
    found["opened_by_cell"] = [[t, c.get("target_name"), c.get("data")] for t, c in published]

    # inspect and is_complete
    for name, (code, detail) in {"inspect_overloads": ("Console.WriteLine", 0), "inspect_sqrt": ("Math.Sqrt", 1),
                                 "inspect_type": ("Console", 0), "inspect_namespace": ("System.Linq", 0),
                                 "inspect_property": ("new List<int>().Count", 0), "inspect_variable": ("w", 0)}.items():
        client.inspect(code, len(code), detail)
        content = client.get_shell_msg(timeout=30)["content"]
        found[name] = [content["found"], content["data"].get("text/plain"), content["data"].get("text/markdown")]
    client.is_complete("var x = 1; }")
    found["is_complete_invalid"] = client.get_shell_msg(timeout=30)["content"]

    control.stop_channels()
    client.stop_channels()
    km.shutdown_kernel(now=False)
    print(json.dumps(found))


results = {}
try:
    main(results)
except Exception:
    print(json.dumps(results), file=sys.stderr)  # what was seen up to the failure
    raise
