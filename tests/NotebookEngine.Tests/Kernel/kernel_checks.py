"""Drives the csnb kernel with Debian's jupyter_client and prints what happened as JSON.

Usage: /usr/bin/python3 kernel_checks.py KERNEL_NAME   (with JUPYTER_PATH naming the kernelspec)
"""
import json
import os
import queue
import sys
import time

from jupyter_client import KernelManager
from jupyter_client.session import Session


def run(client, code, timeout=60):
    """Executes code; returns (reply content, iopub messages of that request)."""
    msg_id = client.execute(code)
    reply = client.get_shell_msg(timeout=timeout)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = client.get_shell_msg(timeout=timeout)
    outputs = []
    while True:
        msg = client.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
        outputs.append({"type": msg["msg_type"], "content": msg["content"]})
    return reply["content"], outputs


def result_text(outputs):
    return [o["content"]["data"]["text/plain"] for o in outputs if o["type"] == "execute_result"]


def main():
    found = {}
    km = KernelManager(kernel_name=sys.argv[1])
    started = time.monotonic()
    km.start_kernel()
    client = km.client()
    client.start_channels()
    client.wait_for_ready(timeout=60)
    found["ready_seconds"] = round(time.monotonic() - started, 2)
    time.sleep(1.5)  # longer than the heart channel's time_to_dead
    found["heartbeat"] = client.hb_channel.is_beating()
    process = km.provisioner.process

    reply, outputs = run(client, "1 + 1")
    found["first"] = [reply["status"], reply["execution_count"], result_text(outputs)]

    reply, outputs = run(client, 'throw new InvalidOperationException("boom");')
    found["error_reply"] = [reply["status"], reply["ename"], reply["evalue"]]
    found["error_iopub"] = [o["content"]["ename"] for o in outputs if o["type"] == "error"]
    reply, outputs = run(client, "var numbers = new List<int> { 4, 5 };\nnumbers.Count")
    found["after_error"] = [reply["status"], result_text(outputs)]

    msg_id = client.execute("var spins = 0L;\nwhile (true) spins++;")
    time.sleep(1.5)
    km.interrupt_kernel()
    reply = client.get_shell_msg(timeout=30)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = client.get_shell_msg(timeout=30)
    found["interrupted"] = [reply["content"]["status"], reply["content"]["ename"]]
    reply, outputs = run(client, "spins > 0")
    found["after_interrupt"] = [reply["status"], result_text(outputs)]

    # A message signed with the wrong key is dropped; the kernel answers the next good one.
    forged = Session(key=b"not-the-key", username="intruder")
    bad = forged.send(client.shell_channel.socket, "execute_request",
                      {"code": "numbers.Add(99);", "silent": False, "store_history": True,
                       "user_expressions": {}, "allow_stdin": False, "stop_on_error": True})
    reply, outputs = run(client, "numbers.Count")
    try:
        stray = client.get_shell_msg(timeout=1)["parent_header"].get("msg_id")
    except queue.Empty:
        stray = None
    found["after_forged"] = [reply["status"], result_text(outputs), stray == bad["header"]["msg_id"]]

    client.complete("numbers.Ad", 10)
    found["complete_member"] = client.get_shell_msg(timeout=30)["content"]
    client.complete("var total = numb", 16)
    found["complete_variable"] = client.get_shell_msg(timeout=30)["content"]
    client.is_complete("for (var i = 0; i < 3; i++) {")
    found["is_complete_open"] = client.get_shell_msg(timeout=30)["content"]["status"]
    client.is_complete("numbers.Count")
    found["is_complete_done"] = client.get_shell_msg(timeout=30)["content"]["status"]
    client.inspect("numbers", 3)
    inspected = client.get_shell_msg(timeout=30)["content"]
    found["inspect"] = [inspected["found"], inspected["data"].get("text/plain")]

    client.stop_channels()
    stopping = time.monotonic()
    km.shutdown_kernel(now=False)
    found["shutdown_seconds"] = round(time.monotonic() - stopping, 2)
    found["exit_code"] = process.poll()
    found["process_left"] = os.path.exists(f"/proc/{process.pid}")
    print(json.dumps(found))


main()
