"""`sheetsgd check`: recompute a workbook's formulas, compare with the file (`sheetsgd eval`: whatif.py).

A workbook file keeps, next to each formula, the value the program that saved it computed
(the cached value). check_workbook reads the file (formula/reader.py), computes every
formula with the NumPy evaluator (sheetsgd.formula.evaluate_book) and compares, cell by cell:

    numbers   match when |a - b| <= tolerance * max(|a|, |b|), or |a - b| <= 1e-15
              (the absolute floor, so that 1e-17 and 0 still match at 0);
    text, TRUE/FALSE and errors (#N/A, #DIV/0!, ...) match only when equal.

A formula cell saved without a value (an empty <v/>, as openpyxl writes) is counted apart as
"no cached value"; a volatile cell (RAND, RANDBETWEEN, NOW...) or one using a function the
evaluator lacks is "not checkable", with the reason. Exit codes: 0 every checkable cell
matches, 1 any mismatch, 2 a file cannot be read.

Volatile cells: a RAND cell keeps the value the file stores (its draw cannot be repeated) and
only it is reported not checkable; every cell computed from it is computed from that stored
value and checked like any other. (A cell computed from an unsupported function is not
checkable too: its input is unknown.)
"""
import gc
import math
import numbers
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import List, Optional

from .display import clean
from .errors import SheetsgdError
from .formula.lazy_numpy import np
from .formula.reader import read_book
from .formula.refs import COL_LETTERS, sheet_ref
from .formula.values import ExcelError

ABS_FLOOR = 1e-15            # numbers this close match whatever their size
NOTHING_CHECKED = 1          # exit status: formula cells, none of which could be compared (as a
                             # mismatch: nothing was confirmed; the report's last line says which)
PROGRESS_CELLS = 100_000     # above this many formula cells, say what is happening on stderr


# ------------------------------------------------------------------------- compare

def plain(v):
    """An evaluator's value as a values.py value: NumPy scalars to bool/float, ints to float."""
    if v is None or type(v) is float or isinstance(v, (str, ExcelError)):
        return v
    if isinstance(v, bool) or isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, numbers.Number):
        return float(v)
    return v


def compare(cached, computed, tolerance):
    """(match, relative difference or None when not numbers) of a cached and a computed value."""
    computed = plain(computed)
    if computed is None:
        computed = 0.0          # a formula never shows a blank: =A1 of an empty A1 is 0
    if isinstance(cached, bool) or isinstance(computed, bool):
        return type(cached) is type(computed) and cached == computed, None
    if isinstance(cached, float) and isinstance(computed, float):
        if not (math.isfinite(cached) and math.isfinite(computed)):
            return cached == computed, None
        diff = abs(cached - computed)
        scale = max(abs(cached), abs(computed))
        rel = diff / scale if scale else 0.0
        return diff <= tolerance * scale or diff <= ABS_FLOOR, rel
    return type(cached) is type(computed) and cached == computed, None


# -------------------------------------------------------------------------- report

@dataclass
class Mismatch:
    cell: str                 # "A1"
    cached: object
    computed: object
    rel: Optional[float]


@dataclass
class SheetReport:
    name: str
    formulas: int = 0
    matched: int = 0
    max_rel: float = 0.0
    no_cached: int = 0
    uncheckable: Counter = field(default_factory=Counter)   # reason -> cells
    mismatched: int = 0
    mismatches: List[Mismatch] = field(default_factory=list)


@dataclass
class Report:
    path: str
    tolerance: float
    sheets: List[SheetReport] = field(default_factory=list)
    lint: Optional[list] = None        # [(sheet, "A1", why)], None when lint.py is absent
    read_s: float = 0.0
    eval_s: float = 0.0

    def total(self, attr):
        return sum(getattr(s, attr) for s in self.sheets)

    @property
    def ok(self):
        return self.total("mismatched") == 0

    @property
    def checked(self):
        """Formula cells compared with a cached value (matched or not)."""
        return self.total("matched") + self.total("mismatched")

    @property
    def status(self):
        """The exit status this report asks for: 1 a mismatch, or nothing could be compared
        (formula cells, but none with a cached value that could be checked), else 0."""
        if not self.ok:
            return 1
        if self.checked == 0 and self.total("formulas") > 0:
            return NOTHING_CHECKED
        return 0


def check_workbook(path, tolerance=1e-12, show=None, progress=None, keep=None):
    """Read, evaluate and compare one workbook; a Report per sheet (see the module docstring).

    show: keep at most this many mismatching cells per sheet (None: all).
    progress: optional callable(str) for long work (more than ~100k cells).
    keep: optional list, set to [book, results] (the caller decides when they are freed).

    The comparison reads the results column by column (formula/results.py): a column of numbers
    is compared at once with NumPy, anything else cell by cell; it counts and reports exactly
    what comparing results.values cell by cell does.
    """
    from .formula.engine import evaluate

    with _no_cyclic_gc():
        t0 = time.perf_counter()
        book = read_book(path, progress=progress)
        read_s = time.perf_counter() - t0
        lint = _lint(book)
        t0 = time.perf_counter()
        try:
            results = evaluate(book, announce=_announce(progress), own_constants=True).results()
        except SheetsgdError as e:              # the work budget: the file is refused
            raise SheetsgdError(f"{path}: {e}") from None
        eval_s = time.perf_counter() - t0

        report = Report(path=str(path), tolerance=tolerance, read_s=read_s, eval_s=eval_s)
        for name in book.sheets:
            report.sheets.append(_compare_columns(name, results, tolerance, show))
        report.lint = lint
        if keep is not None:
            keep[:] = [book, results]
        return report


class _no_cyclic_gc:
    """The cyclic GC off while a book is checked: with a million Cells alive, every collection
    the engine's allocations trigger walks them all (~0.4 s of 4 s on the MovieLens book). A Book
    has no reference cycles; the few the engine makes are collected once it is back on."""

    def __enter__(self):
        self.was_enabled = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc):
        if self.was_enabled:
            gc.enable()


def _announce(progress):
    """Told the number of formula cells once the engine has found them (before computing)."""
    if progress is None:
        return None

    def announce(n_formulas):
        if n_formulas > PROGRESS_CELLS:
            progress(f"evaluating {n_formulas:,} formula cells...")
    return announce


def _compare_columns(name, results, tolerance, show):
    """One sheet's SheetReport from the results' columns: a column whose cached and computed
    values are all finite numbers is compared at once with NumPy (the same arithmetic as
    compare()); other cells one by one."""
    rep = SheetReport(name)
    unchecked = results.reasons(name)
    bad = []                                   # (row, col, rel, computed) of every mismatch
    state = [0, 0.0]                           # matched, max rel
    reasons = []
    sheet = results.book.sheets[name]
    cell_at = sheet.cell

    def one(r, c, cell, computed):
        if (r, c) in unchecked:
            reasons.append((r, c, unchecked[(r, c)]))
            return
        cached = cell.value
        if cached is None:
            rep.no_cached += 1
            return
        match, rel = compare(cached, computed, tolerance)
        if rel is not None and rel > state[1]:
            state[1] = rel
        if match:
            state[0] += 1
        else:
            bad.append((r, c, rel, computed))

    unchecked_cols = {c for _, c in unchecked}
    for c, rows, cells, values in results.columns(name):
        rep.formulas += len(rows)
        cells = [cell if cell is not None else cell_at(r, c) for r, cell in zip(rows, cells)]
        if c in unchecked_cols or not _compare_block(cells, values, tolerance, rows, c, state, bad):
            for r, cell, v in zip(rows, cells, values):
                one(r, c, cell, v)
    for r, c, why in sorted(reasons):
        rep.uncheckable[why] += 1
    rep.matched, rep.max_rel, rep.mismatched = state[0], state[1], len(bad)
    bad.sort(key=lambda b: (b[0], b[1]))
    for r, c, rel, computed in bad if show is None else bad[:show]:
        rep.mismatches.append(Mismatch(COL_LETTERS[c] + str(r), cell_at(r, c).value, plain(computed), rel))
    return rep


def _compare_block(cells, block, tolerance, rows, c, state, bad):
    """Compare a column of finite numbers with its cells' cached numbers in NumPy; False (nothing
    counted) when either side holds anything else, left to the cell-by-cell comparison."""
    if not block or set(map(type, block)) != {float}:
        return False
    cached = [cell.value for cell in cells]
    if set(map(type, cached)) != {float}:
        return False
    a = np.array(cached)
    b = np.array(block)
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        return False
    diff = np.abs(a - b)
    scale = np.maximum(np.abs(a), np.abs(b))
    ok = (diff <= tolerance * scale) | (diff <= ABS_FLOOR)
    rel = np.divide(diff, scale, out=np.zeros_like(diff), where=scale != 0)
    state[0] += int(ok.sum())
    top = float(rel.max())
    if top > state[1]:
        state[1] = top
    for k in np.flatnonzero(~ok).tolist():
        bad.append((rows[k], c, float(rel[k]), block[k]))
    return True


def _lint(book):
    """The portability lint's warnings, when sheetsgd/lint.py is there (it is optional here)."""
    try:
        from .lint import lint_book
    except ImportError:
        return None
    return lint_book(book)


# ---------------------------------------------------------------------- formatting

def show_value(v):
    """A value as a person reads it, numbers at full precision (repr: round-trips exactly)."""
    v = plain(v)
    if v is None:
        return "(blank)"
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace('"', '""') + '"'
    return str(v)


def format_report(report, show=10):
    """The report as lines of text: a table per sheet, then what could not be checked."""
    lines = [f"{report.path}  (read {report.read_s:.2f} s, evaluated {report.eval_s:.2f} s)"]
    head = ("sheet", "formulas", "matched", "max rel diff", "no cached value", "not checkable", "mismatched")
    rows = []
    for s in report.sheets:
        rows.append((clean(s.name), s.formulas, s.matched, s.max_rel if s.matched + s.mismatched else None,
                     s.no_cached, sum(s.uncheckable.values()), s.mismatched))
    checked = [s for s in report.sheets if s.matched + s.mismatched]
    rows.append(("total", report.total("formulas"), report.total("matched"),
                 max((s.max_rel for s in checked), default=None), report.total("no_cached"),
                 sum(sum(s.uncheckable.values()) for s in report.sheets), report.total("mismatched")))
    cells = [[str(x) if not isinstance(x, float) and x is not None else
              ("-" if x is None else f"{x:.1e}") for x in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(head)]
    fmt = lambda row: "  " + "  ".join(x.ljust(w) if i == 0 else x.rjust(w)  # noqa: E731
                                       for i, (x, w) in enumerate(zip(row, widths)))
    lines.append(fmt(head))
    for row in cells[:-1]:
        lines.append(fmt(row))
    if len(report.sheets) > 1:
        lines.append(fmt(cells[-1]))

    for s in report.sheets:
        if s.uncheckable:
            why = ", ".join(f"{reason} x {n}" for reason, n in s.uncheckable.most_common())
            lines.append(f"  not checkable on {s.name}: {why}")
    n_bad = report.total("mismatched")
    if n_bad:
        listed = [(s.name, m) for s in report.sheets for m in s.mismatches][:show]
        lines.append(f"  MISMATCH: {n_bad:,} {'cell differs' if n_bad == 1 else 'cells differ'} from the file"
                     + (f" (first {len(listed)}):" if listed and len(listed) < n_bad else ":" if listed else "."))
        for sheet, m in listed:
            rel = f"  rel diff {m.rel:.1e}" if m.rel is not None else ""
            lines.append(f"    {sheet_ref(sheet, m.cell)}: file {show_value(m.cached)}, "
                         f"computed {show_value(m.computed)}{rel}")
    elif report.status == NOTHING_CHECKED:
        lines.append("  NOTHING CHECKED: " + _unchecked_why(report) + "; no formula cell was compared "
                     f"with the file (exit status {NOTHING_CHECKED})")
    else:
        n_ok = report.total("matched")
        lines.append(f"  OK: all {n_ok:,} checked formula cells match the file "
                     f"(relative tolerance {report.tolerance:g}, absolute floor {ABS_FLOOR:g})")
    if report.status != NOTHING_CHECKED and report.total("no_cached"):
        lines.append("  WARNING: " + _unchecked_why(report, cached_only=True) + " (not compared)")
    if any(s.max_rel > report.tolerance for s in report.sheets if s.matched and not s.mismatched):
        lines.append(f"  (a max rel diff above {report.tolerance:g} on a matching sheet is on values "
                     f"near 0, within the {ABS_FLOOR:g} absolute floor)")
    for sheet, cell, why in report.lint or []:
        lines.append(f"{report.path}: {sheet_ref(sheet, cell)}: {why}")
    return lines


def _unchecked_why(report, cached_only=False):
    """'12 formula cells have no cached value (the program that saved the file did not store
    it: openpyxl saves none), 3 are not checkable'."""
    parts = []
    n = report.total("no_cached")
    if n:
        parts.append(f"{n:,} formula cell{'s have' if n != 1 else ' has'} no cached value (the program that "
                     f"saved the file did not store {'them' if n != 1 else 'it'}: openpyxl, for one, stores none)")
    u = sum(sum(s.uncheckable.values()) for s in report.sheets)
    if u and not cached_only:
        parts.append(f"{u:,} {'are' if u != 1 else 'is'} not checkable (reasons above)")
    return ", ".join(parts) or "no formula cell holds a value to compare"


def _stderr(echo):
    def say(message):
        try:
            echo(message, err=True)
        except TypeError:               # an echo without err=: print to stderr ourselves
            print(message, file=sys.stderr)
    return say


def run(files, tolerance=1e-12, show=10, echo=print, keep=None):
    """`sheetsgd check FILES...`: 0 all match, 1 any mismatch or a file whose formula cells could
    none be compared (no cached values, or none checkable), 2 any file unreadable.

    An unreadable file is one line on stderr; the other files are still checked.
    """
    say = _stderr(echo)
    worst = 0
    for path in files:
        try:
            report = check_workbook(path, tolerance=tolerance, show=show,
                                    progress=lambda m, p=path: say(f"{p}: {m}"), keep=keep)
        except SheetsgdError as e:
            if len(files) == 1:
                raise
            say(f"sheetsgd: error: {e}")
            worst = max(worst, 2, key=_SEVERITY.get)
            continue
        for line in format_report(report, show=show):
            echo(line)
        worst = max(worst, report.status, key=_SEVERITY.get)
    return worst


_SEVERITY = {0: 0, 1: 1, 2: 2}      # several files: the worst one's status
