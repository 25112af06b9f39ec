"""Kernel latency through the same jupyter_client: csnb's C# kernel, Debian's python3 ipykernel and
Microsoft's last .NET Interactive C# kernel, in alternating rounds.

Measures, per kernel and round:
  - start -> first result: start_kernel, wait_for_ready, execute a trivial cell, receive its result;
  - the median round trip of N trivial cells (execute -> execute_result -> idle and the reply), sent back
    to back, or each after a pause (--pause, as when a person runs cells one by one);
  - the first package cell with a warm cache: #r "nuget: Humanizer.Core, 2.14.1" and a call into it
    for the C# kernels (the package restored once before the rounds), `import numpy` for Python.
Builds the kit's kernel in Release and registers it, and .NET Interactive's if its tool is installed
(`dotnet tool install -g Microsoft.dotnet-interactive --version 1.0.712001`), in a private Jupyter folder.

Run from the repository root:  /usr/bin/python3 tests/Benchmarks/kernel_latency.py [--runs 5] [--cells 50]
[--pause MS] [--also path/to/csnb-kernel.dll ...] (other builds of the kit's kernel, measured in the same rounds)
"""
import argparse
import html
import os
import platform
import re
import shutil
import statistics
import subprocess
import tempfile
import time

from jupyter_client import KernelManager

CSHARP_PACKAGE = '#r "nuget: Humanizer.Core, 2.14.1"\nusing Humanizer;\n"three words here".Humanize(LetterCasing.Title)'
KERNELS = {
    "csnb-bench": ("csnb (the kit)", "1 + 1", CSHARP_PACKAGE, "Three Words Here"),
    "python3": ("python3 ipykernel", "1 + 1", "import numpy\nnumpy.add(1, 1)", "2"),
    ".net-csharp": (".NET Interactive 1.0.712001", "1 + 1", CSHARP_PACKAGE, "Three Words Here"),
}


def text(bundle):
    """The text of a bundle: text/plain, else what .NET Interactive puts in its HTML-only <pre>."""
    if "text/plain" in bundle:
        return bundle["text/plain"]
    found = re.search(r"<pre>(.*?)</pre>", bundle.get("text/html", ""), re.S)
    return html.unescape(found.group(1)) if found else None


def execute(client, code):
    """Runs code; returns the text/plain of its result (its execute_result, else its last display), after its idle and reply."""
    msg_id = client.execute(code)
    result = shown = None
    while True:
        msg = client.get_iopub_msg(timeout=300)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "execute_result":
            result = text(msg["content"]["data"])
        if msg["msg_type"] == "display_data":
            shown = text(msg["content"]["data"])
        if msg["msg_type"] == "error":
            raise RuntimeError(f"{code!r}: {msg['content']['ename']}: {msg['content']['evalue']}")
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    while client.get_shell_msg(timeout=300)["parent_header"].get("msg_id") != msg_id:
        pass
    result = result or shown
    return result.strip('"') if result else result


def measure(kernel, cells, pause=0.0):
    _, trivial, package, answer = KERNELS[kernel]
    km = KernelManager(kernel_name=kernel)
    start = time.perf_counter()
    km.start_kernel()
    client = km.client()
    client.start_channels()
    client.wait_for_ready(timeout=300)
    assert execute(client, trivial) == "2"
    first = time.perf_counter() - start
    trips = []
    for _ in range(cells):
        time.sleep(pause)
        t = time.perf_counter()
        execute(client, trivial)
        trips.append(time.perf_counter() - t)
    t = time.perf_counter()
    got = execute(client, package)
    assert got == answer, (kernel, got)
    package_seconds = time.perf_counter() - t
    client.stop_channels()
    km.shutdown_kernel(now=False)
    return first, statistics.median(trips), package_seconds


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cells", type=int, default=50)
    parser.add_argument("--pause", type=float, default=0, metavar="MS", help="a pause before each trivial cell")
    parser.add_argument("--also", action="append", default=[], metavar="DLL",
                        help="another build of the kit's kernel (its csnb-kernel.dll) to measure beside the Release build")
    args = parser.parse_args()

    subprocess.run(["dotnet", "build", "-c", "Release", "src/NotebookKernel", "-v", "q", "-nologo"], check=True)
    data = tempfile.mkdtemp(prefix="csnb-bench-")
    subprocess.run(["dotnet", "src/NotebookKernel/bin/Release/net10.0/csnb-kernel.dll", "install",
                    "--name", "csnb-bench", "--data-dir", data], check=True)
    kernels = ["csnb-bench", "python3"]
    for i, dll in enumerate(args.also, start=1):
        name = f"csnb-also-{i}"
        subprocess.run(["dotnet", dll, "install", "--name", name, "--data-dir", data], check=True)
        KERNELS[name] = (f"csnb ({dll})",) + KERNELS["csnb-bench"][1:]
        kernels.append(name)
    tools = os.path.expanduser("~/.dotnet/tools")
    if shutil.which("dotnet-interactive", path=tools):
        os.environ["PATH"] = tools + os.pathsep + os.environ["PATH"]  # its kernelspec runs `dotnet interactive`
        os.environ["DOTNET_INTERACTIVE_CLI_TELEMETRY_OPTOUT"] = "1"
        os.makedirs(os.path.join(data, "kernels"), exist_ok=True)
        subprocess.run(["dotnet-interactive", "jupyter", "install", "--path", os.path.join(data, "kernels")],
                       check=True, stdout=subprocess.DEVNULL)
        kernels.append(".net-csharp")
    os.environ["JUPYTER_PATH"] = data

    for kernel in kernels:  # restore the packages once: the rounds measure a warm cache
        measure(kernel, 1)
    results = {kernel: [] for kernel in kernels}
    for round_ in range(args.runs):
        for kernel in kernels:  # alternate, so drift hits every kernel alike
            results[kernel].append(measure(kernel, args.cells, args.pause / 1000))
        kit = results["csnb-bench"][-1]
        ratios = [f"{KERNELS[k][0]}: start {kit[0] / results[k][-1][0]:.2f}x, cell {kit[1] / results[k][-1][1]:.2f}x"
                  for k in kernels[1:]]
        print(f"round {round_ + 1}: kit against " + "; ".join(ratios), flush=True)

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, {platform.platform()}")
    paced = f", each after a {args.pause:g} ms pause" if args.pause else ", back to back"
    print(f"{args.runs} rounds, kernels alternating; {args.cells} trivial cells per run{paced}; medians over the rounds")
    print(f"| kernel | start -> first result | trivial cell round trip | first package cell, warm cache |")
    print(f"|---|---|---|---|")
    for kernel in kernels:
        firsts, trips, packages = zip(*results[kernel])
        print(f"| {KERNELS[kernel][0]} | {statistics.median(firsts) * 1000:.0f} ms | {statistics.median(trips) * 1000:.1f} ms "
              f"| {statistics.median(packages) * 1000:.0f} ms |")


if __name__ == "__main__":
    main()
