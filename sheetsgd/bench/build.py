"""`sheetsgd build` timed: each workbook alone and all three together, wall and CPU, in fresh processes.

    python3 -m sheetsgd.bench.build                       # this checkout
    python3 -m sheetsgd.bench.build --against ../other    # and another checkout of sheetsgd, interleaved

Each measurement is a new Python process (imports included, as the README's `sheetsgd build`
pays them), run --repeat times; the table shows the median wall time and CPU time (user + system
of the process and its children). With --against, the two checkouts run alternately in the same
run and the last column is their ratio (other / this), and the workbooks each wrote are compared
byte for byte. The machine is shared: compare within one run, not with figures from another day.
"""
import argparse
import filecmp
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORKBOOKS = {"collab": "collab_filter.xlsx", "graddesc": "graddesc.xlsx", "neuralnet": "neuralnet.xlsx"}


def run_once(checkout, args, out):
    """Wall and CPU seconds of `sheetsgd build ARGS --out OUT` run from `checkout` in a fresh process."""
    env = dict(os.environ, PYTHONPATH=str(checkout), PYTHONDONTWRITEBYTECODE="1")
    code = "import sys; from sheetsgd.cli import main; main(sys.argv[1:])"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, "build", *args, "--out", str(out)], env=env, check=True,
                   cwd=out.parent, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)   # cwd: no sheetsgd/ there
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--against", type=Path, help="another checkout of sheetsgd (its top directory)")
    p.add_argument("--repeat", type=int, default=3, help="runs of each measurement (the median is shown)")
    a = p.parse_args(argv)
    here = Path(__file__).resolve().parents[2]
    checkouts = {"this": here}
    if a.against:
        checkouts["other"] = a.against.resolve()
    cases = [(name, ["--only", name]) for name in WORKBOOKS] + [("all three", [])]
    times = {(who, case): [] for who in checkouts for case, _ in cases}
    with tempfile.TemporaryDirectory(prefix="sheetsgd-bench-") as tmp:
        outs = {who: Path(tmp) / who for who in checkouts}
        for _ in range(a.repeat):
            for case, args in cases:
                for who, checkout in checkouts.items():      # alternately: both see the same load
                    times[(who, case)].append(run_once(checkout, args, outs[who]))
        same = None
        if a.against:
            same = {f: filecmp.cmp(outs["this"] / f, outs["other"] / f, shallow=False) for f in WORKBOOKS.values()}
    head = f"{'build':<12}" + "".join(f"{who + ' wall':>12}{who + ' CPU':>11}" for who in checkouts)
    print(head + (f"{'other/this':>12}" if a.against else ""))
    for case, _ in cases:
        line = f"{case:<12}"
        med = {}
        for who in checkouts:
            wall = statistics.median(t[0] for t in times[(who, case)])
            cpu = statistics.median(t[1] for t in times[(who, case)])
            med[who] = wall
            line += f"{wall:>11.2f}s{cpu:>10.2f}s"
        if a.against:
            line += f"{med['other'] / med['this']:>11.2f}x"
        print(line)
    print(f"median of {a.repeat} runs each, wall and CPU (user + system) seconds, {os.cpu_count()} CPUs")
    if same is not None:
        print("workbooks byte-identical: " + ", ".join(f"{f} {'yes' if ok else 'NO'}" for f, ok in same.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
