"""Drives the csnb kernel through every way a cell can end its process or refuse to stop, with
Debian's jupyter_client, and prints what the client saw as JSON.

Usage: /usr/bin/python3 kernel_deaths.py KERNEL_NAME   (with JUPYTER_PATH naming the kernelspec)
"""
import json
import os
import sys
import time

from jupyter_client import KernelManager


def collect(client, msg_id, timeout=120):
    """The reply to msg_id and the iopub messages it caused, up to its idle."""
    reply = client.get_shell_msg(timeout=timeout)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = client.get_shell_msg(timeout=timeout)
    outputs = []
    while True:
        msg = client.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return reply["content"], outputs
        outputs.append({"type": msg["msg_type"], "content": msg["content"]})


def summary(reply, outputs):
    errors = [o["content"] for o in outputs if o["type"] == "error"]
    results = [o["content"]["data"]["text/plain"] for o in outputs if o["type"] == "execute_result"]
    return {
        "status": reply["status"],
        "ename": reply.get("ename"),
        "evalue": reply.get("evalue"),
        "iopub_errors": [e["ename"] for e in errors],
        "traceback": errors[0]["traceback"] if errors else [],
        "results": results,
    }


def run(client, code):
    return summary(*collect(client, client.execute(code)))


def main():
    found = {}
    km = KernelManager(kernel_name=sys.argv[1])
    km.start_kernel()
    client = km.client()
    client.start_channels()
    client.wait_for_ready(timeout=60)
    kernel = km.provisioner.process

    run(client, "var kept = 41;")
    waits = {
        "sleep": "Thread.Sleep(60000);",
        "delay": "await Task.Delay(60000);",
        "wait": "Task.Delay(60000).Wait();",
        "semaphore": "new SemaphoreSlim(0).Wait();",
    }
    for name, code in waits.items():
        msg_id = client.execute(code + "\nkept = 0;")
        time.sleep(1.5)  # compiled and waiting
        km.interrupt_kernel()
        found["wait_" + name] = summary(*collect(client, msg_id))
    found["kept_after_waits"] = run(client, "kept")

    deaths = {
        "abort": '#r "nuget: TorchSharp-cpu"\nusing TorchSharp;\ntorch.matmul(torch.ones(2, 3), torch.ones(2, 3))',
        "exit": "Environment.Exit(3);",
        "overflow": "int Deeper(int n) => Deeper(n + 1) + 1;\nDeeper(0)",
    }
    for name, code in deaths.items():
        run(client, "var kept = 41;")
        # Without stop_on_error, so that the request queued behind it runs (in the fresh process) instead of being aborted.
        dying = client.execute(code, stop_on_error=False)
        queued = client.execute("kept")  # sent before the first one dies: answered by the fresh process
        found["death_" + name] = summary(*collect(client, dying))
        found["queued_" + name] = summary(*collect(client, queued))
        found["after_" + name] = run(client, "1 + 1")

    # A query of expression lambdas can neither be checked nor woken: after the grace period its
    # process is replaced.
    run(client, "var kept = 41;")
    msg_id = client.execute("Enumerable.Range(0, int.MaxValue).SelectMany(i => Enumerable.Range(0, int.MaxValue)).LongCount()")
    time.sleep(1.5)
    km.interrupt_kernel()
    found["unstoppable"] = summary(*collect(client, msg_id))
    found["after_unstoppable"] = run(client, "kept")
    found["then"] = run(client, "1 + 1")

    found["kernel_alive"] = km.is_alive() and os.path.exists(f"/proc/{kernel.pid}")
    client.stop_channels()
    km.shutdown_kernel(now=False)
    print(json.dumps(found))


main()
