"""Benchmark: `sheetsgd check FILE` against LibreOffice's recalculation of FILE, in one run.

    python3 -m sheetsgd.bench.check_workbooks [FILE ...] [--repeat 3]

For each workbook (default: the committed workbooks/*.xlsx) both programs run as child
processes --repeat times, alternating, so the machine's load falls on both alike:
    sheetsgd check FILE                    read, compute every formula, compare with the file
    soffice --convert-to xlsx FILE         headless LibreOffice, always recalculating on load
Printed: every run (wall seconds, CPU seconds), the best of each, and the ratio of the bests
LibreOffice / sheetsgd (issue 12's target on graddesc.xlsx: >= 5x). Nothing is asserted.
"""
import argparse
import sys
import tempfile
from pathlib import Path

from .check_speed import timed_child

REPO = Path(__file__).resolve().parents[2]
TARGETS = {"graddesc.xlsx": 5.0}


def _libreoffice(path):
    with tempfile.TemporaryDirectory(prefix="sheetsgd-bench-lo-") as tmp:
        code = ("import sys; from sheetsgd.libreoffice import recalculate; "
                "recalculate(sys.argv[1], sys.argv[2])")
        seconds, peak, rc, out, err = timed_child([sys.executable, "-c", code, str(path), tmp])
        if rc != 0:
            raise RuntimeError(f"LibreOffice failed on {path}: {(err.strip().splitlines() or [''])[-1]}")
        return seconds, peak


def _check(path):
    seconds, peak, rc, out, err = timed_child([sys.executable, "-m", "sheetsgd", "check", str(path)])
    if rc not in (0, 1):
        raise RuntimeError(f"sheetsgd check failed on {path}: {(err.strip().splitlines() or [''])[-1]}")
    return seconds, peak


def _runs(runs):
    return ", ".join(f"{s:.2f} s ({s.cpu:.2f} CPU)" for s, _ in runs)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m sheetsgd.bench.check_workbooks",
                                 description=__doc__.split("\n")[0])
    ap.add_argument("files", nargs="*", help="workbooks (default: workbooks/*.xlsx)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each program per workbook")
    args = ap.parse_args(argv)
    files = [Path(f) for f in args.files] or sorted((REPO / "workbooks").glob("*.xlsx"))
    for path in files:
        ours, theirs = [], []
        for _ in range(args.repeat):               # alternate: the load falls on both alike
            ours.append(_check(path))
            theirs.append(_libreoffice(path))
        best_ours = min(ours, key=lambda r: float(r[0]))
        best_lo = min(theirs, key=lambda r: float(r[0]))
        ratio = float(best_lo[0]) / float(best_ours[0])
        cpu_ratio = best_lo[0].cpu / max(best_ours[0].cpu, 1e-9)
        target = TARGETS.get(path.name)
        verdict = "" if target is None else f" (target >= {target:g}x: {'met' if ratio >= target else 'NOT met'})"
        print(f"{path.name}: sheetsgd check best {float(best_ours[0]):.2f} s, peak {best_ours[1] / 2**20:.0f} MB "
              f"[{_runs(ours)}]")
        print(f"{path.name}: LibreOffice best {float(best_lo[0]):.2f} s, peak {best_lo[1] / 2**20:.0f} MB "
              f"[{_runs(theirs)}]")
        print(f"{path.name}: ratio LibreOffice / sheetsgd check, best of {args.repeat} each: {ratio:.2f}x wall, "
              f"{cpu_ratio:.2f}x CPU{verdict}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
