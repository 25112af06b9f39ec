"""Kernel latency: csnb's C# kernel against Debian's python3 ipykernel, through the same jupyter_client.

Measures, for each kernel, alternating runs:
  - start -> first result: start_kernel, wait_for_ready, execute a trivial cell, receive its result;
  - round trip of a trivial cell: execute -> execute_result -> idle, median of many.
Builds the kernel in Release and registers it in a private Jupyter folder first.

Run from the repository root:  /usr/bin/python3 tests/Benchmarks/kernel_latency.py [--runs 5] [--cells 50]
"""
import argparse
import os
import platform
import statistics
import subprocess
import tempfile
import time

from jupyter_client import KernelManager

TRIVIAL = {"csnb-bench": "1 + 1", "python3": "1 + 1"}


def execute(client, code):
    msg_id = client.execute(code)
    result = None
    while True:
        msg = client.get_iopub_msg(timeout=120)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "execute_result":
            result = msg["content"]["data"]["text/plain"]
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    while client.get_shell_msg(timeout=120)["parent_header"].get("msg_id") != msg_id:
        pass
    return result


def measure(kernel, cells):
    km = KernelManager(kernel_name=kernel)
    start = time.perf_counter()
    km.start_kernel()
    client = km.client()
    client.start_channels()
    client.wait_for_ready(timeout=120)
    assert execute(client, TRIVIAL[kernel]) == "2"
    first = time.perf_counter() - start
    trips = []
    for _ in range(cells):
        t = time.perf_counter()
        execute(client, TRIVIAL[kernel])
        trips.append(time.perf_counter() - t)
    client.stop_channels()
    km.shutdown_kernel(now=False)
    return first, statistics.median(trips)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cells", type=int, default=50)
    args = parser.parse_args()

    subprocess.run(["dotnet", "build", "-c", "Release", "src/NotebookKernel", "-v", "q", "-nologo"], check=True)
    data = tempfile.mkdtemp(prefix="csnb-bench-")
    subprocess.run(["dotnet", "src/NotebookKernel/bin/Release/net10.0/csnb-kernel.dll", "install",
                    "--name", "csnb-bench", "--data-dir", data], check=True)
    os.environ["JUPYTER_PATH"] = data

    results = {kernel: ([], []) for kernel in TRIVIAL}
    for _ in range(args.runs):
        for kernel in TRIVIAL:  # alternate, so drift hits both
            first, trip = measure(kernel, args.cells)
            results[kernel][0].append(first)
            results[kernel][1].append(trip)

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, {platform.platform()}")
    print(f"{args.runs} runs per kernel, alternating; {args.cells} trivial cells per run")
    print(f"{'kernel':<22}{'start -> first result (median)':>34}{'trivial cell round trip (median)':>36}")
    for kernel, (firsts, trips) in results.items():
        label = "csnb (C#, Release)" if kernel == "csnb-bench" else "python3 ipykernel"
        print(f"{label:<22}{statistics.median(firsts) * 1000:>31.0f} ms{statistics.median(trips) * 1000:>33.1f} ms")


main()
