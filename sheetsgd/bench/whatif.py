"""Benchmark: what-if evaluation against recomputing the whole workbook, measured in one run.

    python3 -m sheetsgd.bench.whatif [--file workbooks/graddesc.xlsx] [--set adam!lr=0.1]
                                     [--cell compare!E104] [--rounds 3] [--steps 20] [--watch compare!B104:F104]

1. `sheetsgd eval FILE --set REF=VALUE CELL` against `sheetsgd check FILE`, each a fresh process,
   run in turns (check, eval, check, eval, ...) so both see the same machine load: wall and CPU
   seconds of each, the median of --rounds, and their ratio (check / eval: how many times faster
   eval is). eval's output is compared with the value a full evaluation gives. The children keep
   their compiled modules (.pyc) as an installed package does; --no-bytecode compiles them at
   every start (PYTHONDONTWRITEBYTECODE: ~0.15 s more for each command).
2. A sweep of --steps values of the input (log scale, from a tenth to ten times its value in the
   file), watching --watch, in this process: the simulator (sheetsgd.open + sweep: reads the
   sheets it needs, each step computes what the input reaches) against a full recompute of
   every formula for each value (the book read once beforehand, not counted), and whether both
   give the same numbers. The ratio is incremental / full (below 1: the simulator is faster).

Prints, asserts nothing: timings on a shared machine are noisy, so compare within one run.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# A child: run the CLI with argv, report its wall time and CPU (this process and its children).
_CHILD = """
import json, resource, sys, time
t = time.perf_counter()
import io, contextlib
out = io.StringIO()
from sheetsgd.cli import main
code = 0
with contextlib.redirect_stdout(out):
    try:
        main(sys.argv[1:])
    except SystemExit as e:
        code = e.code
wall = time.perf_counter() - t
me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall": wall, "cpu": me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime,
                  "code": code, "out": out.getvalue()}))
"""


def child_env(bytecode):
    """The children's environment: sheetsgd from this checkout; with bytecode, Python's compiled
    modules cached (in a directory of their own, as an installed package has them: pip compiles on
    install), else every module compiled from source at each start (PYTHONDONTWRITEBYTECODE)."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    if bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = bytecode
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


ENV = None


def run_cli(argv):
    """One fresh process; its wall time is measured from outside too (interpreter start included)."""
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _CHILD, *argv], capture_output=True, text=True,
                          cwd=tempfile.gettempdir(), env=ENV)
    wall = time.perf_counter() - t
    if proc.returncode != 0 or not proc.stdout.strip():
        raise SystemExit(f"whatif bench: sheetsgd {' '.join(argv)} failed: {proc.stderr.strip()[-300:]}")
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    got["wall"] = wall
    return got


def eval_vs_check(path, set_item, cell, rounds):
    run_cli(["check", str(path)])                 # once, not counted: modules compiled, files cached
    run_cli(["eval", str(path), "--set", set_item, cell])
    checks, evals = [], []
    for _ in range(rounds):
        checks.append(run_cli(["check", str(path)]))
        evals.append(run_cli(["eval", str(path), "--set", set_item, cell]))
    return checks, evals


def full_value(path, set_item, cell):
    """The cell by a full evaluation of the book with the input changed (the old way)."""
    from sheetsgd.formula.engine import Engine
    from sheetsgd.formula.reader import read_book
    from sheetsgd.simulate import Workbook, parse_value
    from sheetsgd.whatif import parse_set
    ref, text = parse_set(set_item)
    with Workbook(path) as wb:
        key, target = wb.input_cell(ref), wb.cell(cell)
    book = read_book(path)
    eng = Engine(book)
    eng.set_input(*key, parse_value(text))
    eng.run()
    return eng.grids[target[0]].store.get((target[1], target[2]))


def sweep_vs_full(path, ref, values, watch):
    import sheetsgd
    from sheetsgd.formula.engine import Engine
    from sheetsgd.formula.reader import read_book
    t = time.perf_counter()
    stamps = []
    with sheetsgd.open(path) as wb:
        key = wb.input_cell(ref)
        result = wb.sweep(ref, values, watch, progress=lambda i, n: stamps.append(time.perf_counter()))
        keys = [wb.cell(w) for w in result.watch]
    incremental = time.perf_counter() - t
    first, later = stamps[0] - t, (stamps[-1] - stamps[0]) / max(1, len(stamps) - 1)
    book = read_book(path)
    t = time.perf_counter()
    rows = []
    for v in values:
        eng = Engine(book)
        eng.set_input(*key, v)
        eng.run()
        rows.append([eng.grids[s].store.get((r, c)) for s, r, c in keys])
    full = time.perf_counter() - t
    same = all(repr(a) == repr(b) for x, y in zip(result.rows, rows) for a, b in zip(x, y))
    return incremental, full, same, result, first, later


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m sheetsgd.bench.whatif", description=__doc__.split("\n\n")[0])
    ap.add_argument("--file", type=Path, default=REPO / "workbooks" / "graddesc.xlsx")
    ap.add_argument("--set", dest="set_item", default="adam!lr=0.1")
    ap.add_argument("--cell", default="compare!E104", help="the summary cell eval prints")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--watch", action="append", default=None, help="cells the sweep watches (repeatable)")
    ap.add_argument("--no-bytecode", action="store_true",
                    help="children compile every module from source at each start (no .pyc cache)")
    args = ap.parse_args(argv)
    global ENV
    cache = None if args.no_bytecode else tempfile.mkdtemp(prefix="sheetsgd-bench-pyc-")
    ENV = child_env(cache)
    watch = args.watch or ["compare!B104:F104"]
    path = args.file.resolve()

    print(f"1. sheetsgd eval {path.name} --set {args.set_item} {args.cell}  vs  sheetsgd check {path.name}"
          f"  ({args.rounds} rounds, in turns; {'no bytecode cache' if cache is None else 'modules compiled once'})")
    checks, evals = eval_vs_check(path, args.set_item, args.cell, args.rounds)
    for i, (c, e) in enumerate(zip(checks, evals)):
        print(f"   round {i + 1}: check {c['wall']:.2f} s wall {c['cpu']:.2f} s CPU (exit {c['code']}),  "
              f"eval {e['wall']:.2f} s wall {e['cpu']:.2f} s CPU")
    med = {k: (statistics.median(c[k] for c in checks), statistics.median(e[k] for e in evals))
           for k in ("wall", "cpu")}
    print(f"   median: check {med['wall'][0]:.2f} s / eval {med['wall'][1]:.2f} s wall = "
          f"{med['wall'][0] / med['wall'][1]:.1f}x;  CPU {med['cpu'][0]:.2f} s / {med['cpu'][1]:.2f} s = "
          f"{med['cpu'][0] / med['cpu'][1]:.1f}x")
    want = full_value(path, args.set_item, args.cell)
    from sheetsgd.check import show_value
    shown = evals[0]["out"].strip()
    print(f"   eval printed {shown!r}; a full evaluation gives {show_value(want)}: "
          f"{'the same' if shown.endswith('= ' + show_value(want)) else 'DIFFERENT'}")

    ref = args.set_item.partition("=")[0]
    import sheetsgd
    with sheetsgd.open(path) as wb:
        base = wb[ref]
    if not isinstance(base, float) or base <= 0:
        base = 1.0
    from sheetsgd.sweep import values as sweep_values
    values = sweep_values(base / 10, base * 10, args.steps, log=True)
    print(f"2. sweep of {ref} over {args.steps} values ({values[0]:.3g}..{values[-1]:.3g}, log scale), "
          f"watching {', '.join(watch)}")
    incremental, full, same, result, first, later = sweep_vs_full(path, ref, values, watch)
    print(f"   incremental (sheetsgd.open + sweep, reading included) {incremental:.2f} s, "
          f"full recompute of every formula per value {full:.2f} s:  incremental / full = "
          f"{incremental / full:.3f} ({full / incremental:.1f}x faster); same numbers: {'yes' if same else 'NO'}")
    print(f"   per value: the first {first:.2f} s (reading the sheets it needs, computing all of it), each "
          f"later one {later:.3f} s (what the input reaches), a full recompute {full / len(values):.2f} s: "
          f"later / full = {later / (full / len(values)):.3f}")
    if cache is not None:
        shutil.rmtree(cache, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
