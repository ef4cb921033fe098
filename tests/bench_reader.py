"""How fast is the workbook reader? A command anyone can run (not a pytest test):

    python3 tests/bench_reader.py [--rows 100000] [--openpyxl] [--check] [--repeat 3]
                                  [--keep DIR | --reuse FILE]

Writes a synthetic workbook with XlsxWriter (2 input columns, 15 formula columns per row,
like a long graddesc sheet) into a temporary directory, then times sheetsgd's streaming
reader on it and on the lecture's reference workbooks (when ../shared is there), and,
with --openpyxl, openpyxl's read_only iteration on the same files, in the same run.
Nothing big is left behind unless --keep is given.
"""
import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sheetsgd.formula.reader import read_book  # noqa: E402

# 15 formula columns, C..Q; each row refers to its own inputs and to the anchored row 1.
FORMULAS = [
    "=A{r}*$S$1+B{r}", "=C{r}^2", "=IF(A{r}>50,C{r},D{r})", "=D{r}-E{r}", "=ABS(F{r})",
    "=SQRT(G{r})", "=H{r}*$T$1", "=I{r}+$S$1", "=J{r}/2", "=K{r}-$T$1",
    "=MAX(A{r},B{r},L{r})", "=MIN(C{r}:E{r})", "=SUM(A{r}:N{r})", "=O{r}*0.5", "=P{r}>100",
]


def make_workbook(path, rows):
    """A rows x (2 inputs + 15 formulas) workbook with cached values (XlsxWriter, constant memory)."""
    import xlsxwriter
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("data")
    ws.write_row(0, 0, ["x", "y"] + [f"f{i}" for i in range(len(FORMULAS))])
    ws.write_number(0, 18, 2.0)   # S1
    ws.write_number(0, 19, 30.0)  # T1
    for i in range(rows):
        r = i + 2
        a, b = float(i % 100 + 1), float(i % 7) * 1.5
        ws.write_number(r - 1, 0, a)
        ws.write_number(r - 1, 1, b)
        for j, (f, v) in enumerate(zip(FORMULAS, row_values(a, b))):
            ws.write_formula(r - 1, 2 + j, f.format(r=r), None, v)
    wb.close()


def row_values(a, b, s1=2.0, t1=30.0):
    """The 15 formulas' values for one row, computed in Python: the file's cached values."""
    c = a * s1 + b
    d = c ** 2
    e = c if a > 50 else d
    f = d - e
    g = abs(f)
    h = g ** 0.5
    i = h * t1
    j = i + s1
    k = j / 2
    l_ = k - t1
    m = max(a, b, l_)
    n = min(c, d, e)
    o = sum([a, b, c, d, e, f, g, h, i, j, k, l_, m, n])
    p = o * 0.5
    return [c, d, e, f, g, h, i, j, k, l_, m, n, o, p, p > 100]


def timed(fn, *args, repeat=1):
    """(best wall-clock seconds, best CPU seconds of `repeat` runs, result). The best run is the
    least disturbed by other processes; CPU time is the fairer figure on a busy shared machine."""
    wall = cpu = float("inf")
    for _ in range(repeat):
        out = None
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn(*args)
        wall, cpu = min(wall, time.perf_counter() - t0), min(cpu, time.process_time() - c0)
    return wall, cpu, out


def openpyxl_read_only(path):
    """openpyxl's fastest path: read_only=True, iterate every cell's value."""
    import openpyxl
    wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
    n = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            n += len(row)
    wb.close()
    return n


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--openpyxl", action="store_true", help="also time openpyxl read_only (slow)")
    ap.add_argument("--check", action="store_true", help="also time `sheetsgd check` on the synthetic workbook")
    ap.add_argument("--repeat", type=int, default=3, help="time each read this many times, keep the best")
    ap.add_argument("--reuse", type=Path, help="time this synthetic workbook instead of writing a new one")
    ap.add_argument("--keep", type=Path, help="write the synthetic workbook here and keep it")
    args = ap.parse_args()

    files = []
    shared = Path(os.environ.get("SHEETSGD_SHARED", REPO.parent / "shared")) / "reference"
    if shared.is_dir():
        files += sorted(shared.glob("*.xls[xm]"))
    with tempfile.TemporaryDirectory() as tmp:
        big = args.reuse or (args.keep or Path(tmp)) / f"synthetic_{args.rows}rows.xlsx"
        if not args.reuse:
            t, _, _ = timed(make_workbook, big, args.rows)
            print(f"wrote {big.name}: {big.stat().st_size / 1e6:.1f} MB in {t:.1f} s (XlsxWriter)")
        files.append(big)
        print(f"best of {args.repeat} runs, seconds: wall-clock / CPU of this process")
        print(f"{'file':32} {'cells':>9} {'formulas':>9} {'sheetsgd':>13}"
              + (f" {'openpyxl read_only':>19} {'ratio (CPU)':>11}" if args.openpyxl else ""))
        for f in files:
            t, c, book = timed(read_book, f, repeat=args.repeat)
            cells = sum(len(s.cells) for s in book.sheets.values())
            formulas = sum(c.formula is not None for s in book.sheets.values() for c in s.cells.values())
            line = f"{f.name:32} {cells:9d} {formulas:9d} {t:6.2f} /{c:6.2f}"
            if args.openpyxl:
                try:
                    t2, c2, _ = timed(openpyxl_read_only, f, repeat=args.repeat)
                    line += f" {t2:12.2f} /{c2:6.2f} {c2 / c:11.1f}"
                except Exception as e:  # collab_filter.xlsx: openpyxl's pivot reader raises
                    line += f" {type(e).__name__:>19}"
            print(line)
        if args.check:
            from sheetsgd.check import check_workbook
            t, _, report = timed(check_workbook, big)
            print(f"sheetsgd check {big.name}: read {report.read_s:.2f} s, evaluated {report.eval_s:.2f} s, "
                  f"total {t:.2f} s, {report.total('matched'):,} matched, {report.total('mismatched'):,} mismatched")


if __name__ == "__main__":
    main()
