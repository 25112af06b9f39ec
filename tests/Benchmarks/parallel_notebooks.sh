#!/usr/bin/env bash
# How much `csnb run -j N` gains on a folder of small notebooks: writes N_NOTEBOOKS small notebooks
# (a parameter cell, console output, a LINQ sum, a display update, an HTML display), then runs the
# folder with each -j in JOBS, ROUNDS times, in alternating order, and prints a Markdown table of
# wall times (median and range), the speed-up of each -j over -j 1, and the CPU time csnb and its
# cell hosts used (user + system), which says how many cores a run kept busy.
# Usage: tests/Benchmarks/parallel_notebooks.sh [csnb.dll]   (default: the Release build, built if missing)
set -euo pipefail
cd "$(dirname "$0")/../.."

N_NOTEBOOKS=${N_NOTEBOOKS:-8}
ROUNDS=${ROUNDS:-3}
JOBS=${JOBS:-"1 2 4"}
csnb=${1:-src/NotebookCli/bin/Release/net10.0/csnb.dll}
[ -f "$csnb" ] || dotnet build -c Release src/NotebookCli -v q >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/notebooks"
for i in $(seq -w 1 "$N_NOTEBOOKS"); do
    /usr/bin/python3 - "$work/notebooks/small-$i.ipynb" "$i" <<'EOF'
import sys, nbformat
n = int(sys.argv[2])
cells = [
    nbformat.v4.new_code_cell("var count = 100_000;", metadata={"tags": ["parameters"]}),
    nbformat.v4.new_code_cell(f'Console.WriteLine("notebook {n}");\nEnumerable.Range(0, count).Select(i => (long)i * i % 7).Sum()'),
    nbformat.v4.new_code_cell('var progress = display("step 0");\nfor (var s = 1; s <= 3; s++) progress.Update($"step {s}");'),
    nbformat.v4.new_code_cell('record Point(int X, int Y);\ndisplay(HTML($"<b>{new Point(1, 2)}</b>"));'),
]
nb = nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": {"name": "csnb", "display_name": "C# (csnb)", "language": "csharp"}})
nbformat.write(nb, sys.argv[1])
EOF
done

load=$(cut -d' ' -f1-3 /proc/loadavg)
declare -A times cpu
TIMEFORMAT='%R %U %S'
for round in $(seq 1 "$ROUNDS"); do
    order=$JOBS
    (( round % 2 == 0 )) && order=$(echo "$JOBS" | tr ' ' '\n' | tac | tr '\n' ' ')
    for j in $order; do
        { time dotnet "$csnb" run "$work/notebooks" -o "$work/out-$j" -j "$j" -q >"$work/log-$j" 2>&1 || { cat "$work/log-$j"; exit 1; }; } 2>"$work/time-$j"
        read -r real user sys <"$work/time-$j"
        times[$j]+="$real "
        cpu[$j]+="$(echo "$user + $sys" | bc) "
    done
done

echo "$N_NOTEBOOKS notebooks, $ROUNDS rounds, $(nproc) cores, load average before: $load"
echo
echo "| -j | median wall time (s) | range (s) | speed-up over -j 1 | median CPU time (s) | CPU / wall |"
echo "|---|---|---|---|---|---|"
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
base=$(echo "${times[1]}" | median)
for j in $JOBS; do
    m=$(echo "${times[$j]}" | median)
    range=$(echo "${times[$j]}" | tr ' ' '\n' | grep -v '^$' | sort -g | sed -n '1p;$p' | xargs printf '%.1f–%.1f' )
    c=$(echo "${cpu[$j]}" | median)
    printf '| %s | %.1f | %s | %.2f× | %.1f | %.2f |\n' "$j" "$m" "$range" "$(echo "$base / $m" | bc -l)" "$c" "$(echo "$c / $m" | bc -l)"
done
