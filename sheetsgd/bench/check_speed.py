"""Benchmark: `sheetsgd check` on the MovieLens 100k workbook, against LibreOffice, in one run.

    python3 -m sheetsgd.bench.check_speed [--data /work/shared/data/ml-100k] [--repeat 3] [--profile]

1. builds movielens.xlsx (the lesson's model trained in NumPy, 100k ratings each with five live
   formulas), or reuses the build cached in the temp directory for the same data and options;
2. times `sheetsgd check movielens.xlsx` (our streaming reader + NumPy evaluator) in a child process,
   with its peak memory (os.wait4's rusage of that child: ru_maxrss);
3. times `sheetsgd eval movielens.xlsx ratings!D3` the same way and compares the valid MSE cell,
   as our evaluator computes it, with the trainer's valid MSE (they must agree to 1e-9);
4. times LibreOffice's headless recalculation of the same file (always-recalc profile, save as
   .xlsx) and reads its valid MSE back;
5. prints both times, the ratio (target: ours >= 3x faster) and the peak memory (target < 1 GB).
Steps 2 and 4 run --repeat times (default 3) and the median run of each is compared: on a shared
machine one run swings by 20% or more with the load.
It prints, it does not assert. --profile adds a cProfile of the check, split into reader and
engine, with the functions where the time goes.
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ..errors import SheetsgdError
from .train import default_data, ratings_file

TARGET_RATIO = 3.0
TARGET_MEMORY = 2**30           # 1 GiB
CACHE_VERSION = 1               # bump when the workbook's layout changes


def _cache_dir():
    d = Path(tempfile.gettempdir()) / "sheetsgd-check-speed"
    d.mkdir(exist_ok=True)
    return d


def _cache_key(ratings, titles, options):
    h = hashlib.sha256()
    for p in (ratings, titles):
        if p is not None:
            st = Path(p).stat()
            h.update(f"{Path(p).resolve()}:{st.st_size}:{st.st_mtime_ns}".encode())
    from ..sheets import movielens as ml
    source = Path(ml.__file__).read_bytes()          # a changed builder is a new workbook
    h.update(source)
    h.update(json.dumps(options, sort_keys=True).encode())
    h.update(str(CACHE_VERSION).encode())
    return h.hexdigest()[:16]


def build(data, options, rebuild=False):
    """(workbook path, facts) — facts: trainer's valid MSE, train/write seconds (from when it was built)."""
    from ..sheets import movielens as ml
    ratings = ratings_file(data)
    titles = Path(data) / "u.item" if Path(data).is_dir() and (Path(data) / "u.item").is_file() else None
    key = _cache_key(ratings, titles, options)
    path = _cache_dir() / f"movielens-{key}.xlsx"
    facts_path = path.with_suffix(".json")
    if path.is_file() and facts_path.is_file() and not rebuild:
        facts = json.loads(facts_path.read_text())
        facts["cached"] = True
        return path, facts
    tables, result, seconds = ml.make(ratings, path, titles, **options)
    facts = {"valid_mse": result.valid_mse[-1], "valid_mse_per_epoch": result.valid_mse,
             "workbook_valid_mse": tables.valid_mse, "ratings": len(tables.rating),
             "train_seconds": seconds["train"], "write_seconds": seconds["write"], "cached": False}
    facts_path.write_text(json.dumps(facts))
    return path, facts


class Timing(float):
    """Wall seconds (the float itself) with .cpu: user + system seconds of the child and its reaped descendants.

    On a shared machine wall time swings with the load; CPU time much less, so both are printed."""
    cpu = 0.0


def timed_child(argv):
    """Run argv as a child; (Timing, peak RSS bytes of that child, exit code, stdout, stderr)."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = Timing(time.perf_counter() - start)
        seconds.cpu = usage.ru_utime + usage.ru_stime
        out.seek(0)
        err.seek(0)
        return seconds, usage.ru_maxrss * 1024, proc.returncode, out.read().decode(), err.read().decode()


def libreoffice_recalc(path):
    """LibreOffice's headless recalculation: (seconds, peak RSS, its valid MSE, agreement).

    Run from a child Python so that os.wait4 reports the largest process of that tree (soffice.bin
    is waited for by its launcher, which is waited for by the child: each reaps its own).
    agreement = (cells, agreeing, worst relative difference): every formula cell LibreOffice computed
    against the value the file caches (the NumPy model's), at LibreOffice's 15 significant digits."""
    from .. import libreoffice
    from ..formula.reader import read_book
    with tempfile.TemporaryDirectory(prefix="sheetsgd-bench-lo-") as tmp:
        code = ("import sys; from sheetsgd.libreoffice import recalculate; "
                "recalculate(sys.argv[1], sys.argv[2])")
        seconds, peak, rc, out, err = timed_child([sys.executable, "-c", code, str(path), tmp])
        if rc != 0:
            raise SheetsgdError(f"LibreOffice recalculation failed: {(err.strip().splitlines() or [''])[-1]}")
        theirs = read_book(Path(tmp) / f"{Path(path).stem}.libreoffice.xlsx")
    ours = read_book(path)
    cells = agreeing = 0
    worst = 0.0
    for name, sheet in ours.sheets.items():
        lo_cells = theirs.sheets[name].cells
        for key, cell in sheet.cells.items():
            if cell.formula is None:
                continue
            lo = lo_cells.get(key)
            lo_value = lo.value if lo is not None else None
            cells += 1
            agreeing += libreoffice.agree(lo_value, cell.value)
            d = libreoffice.difference(lo_value, cell.value)
            if isinstance(cell.value, float) and abs(cell.value) > 1e-13 and d > worst:
                worst = d
    mse = theirs.sheets["ratings"].cells.get((3, 4))
    return seconds, peak, (mse.value if mse is not None else None), (cells, agreeing, worst)


def profile_check(path, top=25):
    """cProfile of reading and evaluating `path` in this process; prints the split and the hot functions."""
    import cProfile
    import io
    import pstats
    from ..formula import evaluate_book
    from ..formula.reader import read_book
    prof = cProfile.Profile()
    start = time.perf_counter()
    prof.enable()
    book = read_book(path)
    prof.disable()
    read = time.perf_counter() - start
    start = time.perf_counter()
    prof.enable()
    evaluate_book(book)
    prof.disable()
    evaluate = time.perf_counter() - start
    print(f"\nprofile (cProfile inflates Python-heavy code): read_book {read:.1f} s, evaluate_book {evaluate:.1f} s")
    s = io.StringIO()
    pstats.Stats(prof, stream=s).sort_stats("tottime").print_stats(top)
    print("\n".join(line for line in s.getvalue().splitlines() if line.strip())[:12000])


def _mb(n):
    return "n/a" if n is None else f"{n / 2**20:,.0f} MB"


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m sheetsgd.bench.check_speed", description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=str(default_data()), help="MovieLens directory (u.data, u.item) or ratings file")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--factors", type=int, default=40)
    ap.add_argument("--rebuild", action="store_true", help="train and write again even if a cached build exists")
    ap.add_argument("--no-libreoffice", action="store_true", help="time our check only")
    ap.add_argument("--profile", action="store_true", help="also profile the check in this process")
    ap.add_argument("--repeat", type=int, default=3,
                    help="time each program this many times and compare the medians (wall; CPU of that run)")
    args = ap.parse_args(argv)
    if not Path(args.data).exists():
        print(f"check_speed: {args.data}: not found; pass --data with a MovieLens directory", file=sys.stderr)
        return 2
    options = {"factors": args.factors, "epochs": args.epochs}

    path, facts = build(args.data, options, args.rebuild)
    how = "cached build" if facts["cached"] else "built now"
    print(f"workbook: {path} ({path.stat().st_size / 2**20:.1f} MB, {facts['ratings']:,} ratings; {how}: "
          f"train {facts['train_seconds']:.1f} s, write {facts['write_seconds']:.1f} s)")
    print(f"trainer's valid MSE per epoch: {', '.join(f'{v:.4f}' for v in facts['valid_mse_per_epoch'])}")

    exe = [sys.executable, "-m", "sheetsgd"]
    runs = [timed_child(exe + ["check", str(path)]) for _ in range(args.repeat)]
    ours, peak, code, out, err = _median(runs)
    tail = (out.strip().splitlines() or [""])[-1]
    print(f"sheetsgd check: {ours:.1f} s ({ours.cpu:.1f} s CPU), peak memory {_mb(peak)}, exit code {code}  [{tail}]"
          + _each(runs))
    if code not in (0, 1):
        print(f"  stderr: {err.strip()[:500]}")

    secs, eval_peak, code, out, err = timed_child(exe + ["eval", str(path), "ratings!D3"])
    ours_mse = _first_number(out)
    diff = abs(ours_mse - facts["valid_mse"]) if ours_mse is not None else None
    print(f"sheetsgd eval ratings!D3: {secs:.1f} s ({secs.cpu:.1f} s CPU), peak {_mb(eval_peak)}: valid MSE {ours_mse!r} vs trainer's "
          f"{facts['valid_mse']!r}: |difference| {diff if diff is None else f'{diff:.2e}'} "
          f"({'within' if diff is not None and diff <= 1e-9 else 'NOT within'} 1e-9)")

    if not args.no_libreoffice:
        try:
            lo_runs = [libreoffice_recalc(path) for _ in range(args.repeat)]
        except SheetsgdError as e:
            print(f"LibreOffice: {e}")
        else:
            lo, lo_peak, lo_mse, (cells, agreeing, worst) = _median(lo_runs)
            lo_diff = abs(lo_mse - facts["valid_mse"]) if isinstance(lo_mse, float) else None
            print(f"LibreOffice recalc: {lo:.1f} s ({lo.cpu:.1f} s CPU), peak memory {_mb(lo_peak)}: valid MSE {lo_mse!r} "
                  f"(|difference| from the trainer's {lo_diff if lo_diff is None else f'{lo_diff:.2e}'})"
                  + _each(lo_runs))
            print(f"LibreOffice vs the cached (NumPy) values: {agreeing:,}/{cells:,} formula cells agree, "
                  f"worst relative difference {worst:.1e} (LibreOffice saves 15 digits; a squared error near 0 "
                  f"magnifies them)")
            ratio = lo / ours
            print(f"ratio LibreOffice / sheetsgd check: {ratio:.2f}x wall, {lo.cpu / max(ours.cpu, 1e-9):.2f}x CPU "
                  f"(target >= {TARGET_RATIO:g}x: "
                  f"{'met' if ratio >= TARGET_RATIO else 'NOT met'}); peak memory of check {_mb(peak)} "
                  f"(target < {_mb(TARGET_MEMORY)}: {'met' if peak < TARGET_MEMORY else 'NOT met'})")
    if args.profile:
        profile_check(path)
    return 0


def _median(runs):
    """The run with the median wall time (the first element of each is a Timing)."""
    return sorted(runs, key=lambda run: float(run[0]))[(len(runs) - 1) // 2]


def _each(runs):
    if len(runs) < 2:
        return ""
    return " [median of " + ", ".join(f"{r[0]:.2f} s ({r[0].cpu:.2f} CPU)" for r in runs) + "]"


def _first_number(text):
    for token in text.replace("=", " ").split():
        try:
            return float(token)
        except ValueError:
            continue
    return None


if __name__ == "__main__":
    sys.exit(main())
