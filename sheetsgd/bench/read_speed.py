"""Benchmark: read_book (and, with --check, `sheetsgd check`) on this tree against a baseline
revision of sheetsgd, in one run.

    python3 -m sheetsgd.bench.read_speed [FILE...] [--baseline REV] [--repeat 3] [--check] [--openpyxl]

FILE defaults to the committed workbooks and, when check_speed has built it, movielens.xlsx.
--baseline REV (a git revision of this repository, e.g. ce0c150, the last forking reader) is
unpacked with `git archive` into a temporary directory; each measurement is a fresh Python
process importing one tree or the other, run in turns (baseline, this tree, baseline, ...), so
both see the same machine load. Each prints wall seconds, CPU seconds (the process and any
children it forked) and peak memory; the best of --repeat runs is compared, as a ratio
baseline / this tree (above 1: this tree is faster). Without --baseline, openpyxl's read_only
iteration of the same file is the yardstick (--openpyxl adds it anyway). Prints, asserts nothing.
"""
import argparse
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# The child: read the file once with the sheetsgd of sys.argv[1], print its figures as JSON.
_READ = """
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from sheetsgd.formula.reader import read_book
t, c = time.perf_counter(), time.process_time()
book = read_book(sys.argv[2])
wall, cpu = time.perf_counter() - t, time.process_time() - c
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall": wall, "cpu": cpu + kids.ru_utime + kids.ru_stime,
                  "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
"""
_OPENPYXL = """
import json, resource, sys, time
import openpyxl
t, c = time.perf_counter(), time.process_time()
wb = openpyxl.load_workbook(sys.argv[1], read_only=True, data_only=False)
n = sum(len(row) for ws in wb.worksheets for row in ws.iter_rows(values_only=True))
wb.close()
print(json.dumps({"wall": time.perf_counter() - t, "cpu": time.process_time() - c,
                  "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
"""


def baseline_tree(rev, into):
    """The sheetsgd package of git revision rev, unpacked under `into`; returns that directory."""
    proc = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", rev, "sheetsgd"],
                          capture_output=True)
    if proc.returncode != 0:
        raise SystemExit(f"read_speed: git archive {rev}: {proc.stderr.decode().strip()[:200]}")
    with tarfile.open(fileobj=io.BytesIO(proc.stdout)) as tar:
        tar.extractall(into, filter="data")
    return Path(into)


def read_once(root, path):
    proc = subprocess.run([sys.executable, "-c", _READ, str(root), str(path)], capture_output=True, text=True,
                          cwd=tempfile.gettempdir())
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["?"])[-1][:120]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def openpyxl_once(path):
    proc = subprocess.run([sys.executable, "-c", _OPENPYXL, str(path)], capture_output=True, text=True)
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["?"])[-1][:120]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def check_once(root, path):
    """`python -m sheetsgd check path` with the sheetsgd of root: wall, CPU of it and its children, peak."""
    env = dict(os.environ, PYTHONPATH=str(root))
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen([sys.executable, "-m", "sheetsgd", "check", "--show", "0", str(path)],
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                cwd=tempfile.gettempdir())
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        out.seek(0)
        tail = (out.read().decode(errors="replace").strip().splitlines() or [""])[-1]
    code = os.waitstatus_to_exitcode(status)
    got = {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "peak": usage.ru_maxrss * 1024, "code": code}
    if code not in (0, 1):
        got["error"] = tail[:120]
    return got


def best(runs):
    ok = [r for r in runs if "error" not in r]
    if not ok:
        return runs[-1]
    return {"wall": min(r["wall"] for r in ok), "cpu": min(r["cpu"] for r in ok), "peak": max(r["peak"] for r in ok)}


def show(r):
    if "error" in r:
        return f"{'failed: ' + r['error']:>26}"
    return f"{r['wall']:6.2f} / {r['cpu']:5.2f} / {r['peak'] / 2**20:5.0f} MB"


def ratio(a, b):
    if "error" in a or "error" in b:
        return ""
    return f"{a['wall'] / b['wall']:5.2f}x wall, {a['cpu'] / b['cpu']:5.2f}x CPU"


def default_files():
    files = sorted((REPO / "workbooks").glob("*.xlsx"))
    built = sorted((Path(tempfile.gettempdir()) / "sheetsgd-check-speed").glob("movielens-*.xlsx"),
                   key=lambda p: p.stat().st_mtime)
    return files + built[-1:]


def compare(label, files, trees, once, repeat):
    names = list(trees)
    print(f"\n{label}, best of {repeat} fresh processes each, run in turns: wall s / CPU s / peak memory")
    print(f"{'file':28} " + " ".join(f"{n:>26}" for n in names) + ("   ratio " + f"{names[0]} / {names[-1]}"
                                                                    if len(names) > 1 else ""))
    for path in files:
        runs = {n: [] for n in names}
        for _ in range(repeat):
            for n in names:
                runs[n].append(once(trees[n], path))
        got = {n: best(runs[n]) for n in names}
        line = f"{Path(path).name[:28]:28} " + " ".join(f"{show(got[n]):>26}" for n in names)
        if len(names) > 1:
            line += "   " + ratio(got[names[0]], got[names[-1]])
        print(line, flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m sheetsgd.bench.read_speed", description=__doc__.split("\n")[0])
    ap.add_argument("files", nargs="*", type=Path)
    ap.add_argument("--baseline", metavar="REV", help="git revision to compare with (e.g. ce0c150)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--check", action="store_true", help="also time `sheetsgd check` on each file")
    ap.add_argument("--openpyxl", action="store_true", help="also time openpyxl's read_only iteration")
    args = ap.parse_args(argv)
    files = [Path(f).resolve() for f in args.files] or default_files()
    missing = [str(f) for f in files if not Path(f).is_file()]
    if missing:
        print(f"read_speed: not found: {', '.join(missing)}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="sheetsgd-read-speed-") as tmp:
        trees = {}
        if args.baseline:
            trees[f"baseline {args.baseline}"] = baseline_tree(args.baseline, tmp)
        trees["this tree"] = REPO
        if len(trees) == 1 or args.openpyxl:
            print("openpyxl read_only (load_workbook + iterate every cell):")
            for path in files:
                print(f"  {Path(path).name[:28]:28} {show(best([openpyxl_once(path) for _ in range(args.repeat)]))}",
                      flush=True)
        compare("read_book", files, trees, read_once, args.repeat)
        if args.check:
            compare("sheetsgd check (the engine too: it may differ between the trees)", files, trees, check_once,
                    args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
