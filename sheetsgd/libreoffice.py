"""LibreOffice as the real client: an outside recalculation of any workbook, and PNG previews.

Our evaluator is checked against numbers from outside the code under test. LibreOffice Calc
(headless) is one such outside view: it loads the workbook, recomputes every formula, and we
read its results back with our own reader.

    recalculate(path)          -> an .xlsx whose cached values are LibreOffice's
    libreoffice_values(path)   -> {(sheet, "A1"): value} of every formula cell, as LibreOffice computed it
    compare(path)              -> our evaluator vs LibreOffice, cell by cell (a Comparison)

PNG previews (sheetsgd/preview.py) print through _convert too.

Each run uses a throwaway profile, so it never meets a running LibreOffice nor a user's settings.
LibreOffice writes numbers with 15 significant digits: a relative difference up to ~5e-15 is
its rounding, not a disagreement.
"""
import contextlib
import math
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .errors import SheetsgdError
from .formula.values import ExcelError

INSTALL_HINT = "apt-get install libreoffice-calc-nogui poppler-utils"
DEFAULT_TIMEOUT = 300  # seconds; collab_filter.xlsx takes ~1.5 s, a 100k-row workbook ~13 s

# A profile in which Calc recalculates OOXML files on load (OOXMLRecalcMode 0 = "always", a hard
# recalculation of every formula). The default, "never", keeps the values the file has cached,
# which would make LibreOffice an echo of the file instead of a second opinion.
_PROFILE_SETTINGS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""



def soffice_executable():
    """Path of LibreOffice's soffice, or a SheetsgdError that says how to install it."""
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None:
        raise SheetsgdError(f"LibreOffice (soffice) not found on PATH; install it: {INSTALL_HINT}")
    return exe


def _pdftoppm_executable():
    exe = shutil.which("pdftoppm")
    if exe is None:
        raise SheetsgdError(f"pdftoppm (poppler) not found on PATH; install it: {INSTALL_HINT}")
    return exe


def _one_line(text, limit=500):
    line = " ".join((text or "").split())
    return line if len(line) <= limit else line[:limit] + "..."


def _without_noise(stderr):
    """soffice's stderr less the Java warning it prints on every run without a JRE."""
    return "\n".join(line for line in (stderr or "").splitlines() if "javaldx" not in line)


def _run(argv, timeout, what):
    """Run a command in its own process group; on timeout kill the whole group (soffice forks)."""
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):  # the group has already exited
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise SheetsgdError(f"{what} took longer than {timeout:g} s and was stopped") from None
    except BaseException:  # KeyboardInterrupt: leave no LibreOffice behind
        with contextlib.suppress(ProcessLookupError):  # the group has already exited
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise
    return proc.returncode, out, err


def _convert(path, target, out_dir, timeout, label=None, recalc=True):
    """`soffice --convert-to target` of `path` into `out_dir`, with a fresh profile; returns the output path.
    recalc: the profile recalculates every formula on load (the outside view); False leaves
    LibreOffice's default (previews: their copies hold no formulas).

    soffice exits 0 even when it could not load the file, so success is the output existing.
    """
    path = Path(path)
    label = label or path
    if not path.is_file():
        raise SheetsgdError(f"{label}: no such file")
    exe = soffice_executable()
    with tempfile.TemporaryDirectory(prefix="sheetsgd-lo-profile-") as profile:
        user = Path(profile) / "user"
        user.mkdir()
        if recalc:
            (user / "registrymodifications.xcu").write_text(_PROFILE_SETTINGS, encoding="utf-8")
        argv = [exe, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless", "--invisible",
                "--nologo", "--norestore", "--nodefault", "--nolockcheck",
                "--convert-to", target, "--outdir", str(out_dir), str(path.resolve())]
        code, out, err = _run(argv, timeout, f"LibreOffice on {label}")
    extension = target.split(":", 1)[0]
    result = Path(out_dir) / f"{path.stem}.{extension}"
    if not result.is_file() or result.stat().st_size == 0:
        why = _one_line(_without_noise(err)) or _one_line(out) or f"exit code {code}"
        raise SheetsgdError(f"LibreOffice could not convert {label} to {extension}: {why}")
    return result


# A worksheet's link to a pivot table, in xl/worksheets/_rels/sheetN.xml.rels.
_PIVOT_LINK = re.compile(rb'<Relationship\b[^>]*\bType="[^"]*/pivotTable"[^>]*/>')


def without_pivot_tables(path, out_path):
    """Copy `path` to `out_path` with its sheets' pivot-table links removed; False (no copy) if it has none.

    LibreOffice refreshes pivot tables on load and lays them out its own way (other headers, one
    more column), overwriting the cells beside them: in the lecture's collab_filter.xlsx that wipes
    the factor formulas at movielens_emb!C4:G18. Excel shows a pivot table's stored cells until a
    refresh, so unlinked, its cells stay the constants Excel shows, and the formulas stay formulas.
    """
    def is_sheet_rels(name):
        return name.startswith("xl/worksheets/_rels/") and name.endswith(".rels")

    with zipfile.ZipFile(path) as src:
        links = [i for i in src.infolist() if is_sheet_rels(i.filename) and i.file_size < 10_000_000
                 and _PIVOT_LINK.search(src.read(i))]
        if not links:
            return False
        with zipfile.ZipFile(out_path, "w", zipfile.ZIP_DEFLATED) as dst:
            for info in src.infolist():
                if info in links:
                    dst.writestr(info, _PIVOT_LINK.sub(b"", src.read(info)))
                else:   # streamed: a large sheet is never held in memory whole
                    with src.open(info) as fin, dst.open(info, "w") as fout:
                        shutil.copyfileobj(fin, fout, 1 << 20)
    return True


def _pivots_unlinked(path, work):
    """`path`, or a copy in `work` without pivot-table links when it has any."""
    if zipfile.is_zipfile(path):
        unlinked = Path(work) / "in" / Path(path).name
        unlinked.parent.mkdir(exist_ok=True)
        if without_pivot_tables(path, unlinked):
            return unlinked
    return Path(path)


def recalculate(path, out_dir=None, timeout=DEFAULT_TIMEOUT):
    """Recalculate `path` in headless LibreOffice Calc and save it as .xlsx; return the new file.

    The saved file's cached values are LibreOffice's (every formula recomputed on load).
    It is written atomically as `<out_dir>/<stem>.libreoffice.xlsx` (never over the input);
    without out_dir, into a new temporary directory that the caller may delete. Pivot tables are
    unlinked first (see without_pivot_tables): only formulas are recalculated.
    """
    path = Path(path)
    if not path.is_file():
        raise SheetsgdError(f"{path}: no such file")
    out_dir = Path(out_dir) if out_dir is not None else Path(tempfile.mkdtemp(prefix="sheetsgd-lo-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{path.stem}.libreoffice.xlsx"
    with tempfile.TemporaryDirectory(prefix=".sheetsgd-lo-", dir=out_dir) as work:
        converted = _convert(_pivots_unlinked(path, work), "xlsx", Path(work), timeout, label=path)
        os.replace(converted, target)
    return target


def _formula_values(book):
    """{(sheet, "A1"): value} of the cells that hold a formula or belong to an array formula's range."""
    from openpyxl.utils import get_column_letter
    values = {}
    for name, sheet in book.sheets.items():
        for (row, col), cell in sheet.cells.items():
            if cell.formula is not None or cell.array_master is not None:
                values[(name, f"{get_column_letter(col)}{row}")] = cell.value
    return values


def libreoffice_values(path, timeout=DEFAULT_TIMEOUT):
    """LibreOffice's value of every formula cell of `path`: {(sheet, "A1"): value}."""
    from .formula.reader import read_book
    with tempfile.TemporaryDirectory(prefix="sheetsgd-lo-") as tmp:
        return _formula_values(read_book(recalculate(path, tmp, timeout=timeout)))


# ---------------------------------------------------------------- our evaluator vs LibreOffice

# Values agree when |a - b| <= RELATIVE * max(|a|, |b|) or |a - b| <= ABSOLUTE. LibreOffice's 15 significant
# digits alone make ~5e-15 relative; the absolute floor covers results that cancel to ~0
# (a gradient at the optimum), where relative differences mean nothing.
RELATIVE = 1e-12
ABSOLUTE = 1e-13


def _as_number(v):
    """bool and float as a number (LibreOffice has no boolean type: TRUE is 1), else None."""
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, (int, float)):
        return float(v)
    return None


def difference(ours, theirs):
    """Relative difference of two cell values: 0 when equal, math.inf when of different kinds."""
    a, b = _as_number(ours), _as_number(theirs)
    if a is not None and b is not None:
        if a == b or (math.isnan(a) and math.isnan(b)):
            return 0.0
        if not (math.isfinite(a) and math.isfinite(b)):
            return math.inf
        return abs(a - b) / max(abs(a), abs(b))
    if isinstance(ours, ExcelError) or isinstance(theirs, ExcelError):
        return 0.0 if ours is theirs else math.inf
    # A formula never yields a blank; an empty text result may read back as either.
    if ours in (None, "") and theirs in (None, ""):
        return 0.0
    return 0.0 if ours == theirs else math.inf


def agree(ours, theirs, relative=RELATIVE, absolute=ABSOLUTE):
    a, b = _as_number(ours), _as_number(theirs)
    if a is not None and b is not None and abs(a - b) <= absolute:
        return True
    return difference(ours, theirs) <= relative


@dataclass
class Comparison:
    """Our evaluator vs LibreOffice on one workbook's formula cells."""
    path: str
    cells: int = 0                  # formula cells both computed (uncheckable ones left out)
    matched: int = 0
    max_relative: float = 0.0       # largest relative difference among the numeric cells
    max_cell: tuple = None          # (sheet, "A1") where it is
    mismatches: list = field(default_factory=list)   # [(sheet, "A1", ours, libreoffice)]
    uncheckable: int = 0            # cells our evaluator declines (volatile, unsupported)
    predicted: list = field(default_factory=list)    # [(sheet, "A1", why)] the lint expects to differ
    seconds: float = 0.0            # LibreOffice's recalculation, wall time
    relative: dict = field(default_factory=dict, repr=False)   # {(sheet, "A1"): relative difference} where != 0

    @property
    def ok(self):
        return self.matched == self.cells

    def max_relative_except(self, cells):
        """Largest relative difference outside `cells` (e.g. where the lint predicts a difference)."""
        cells = set(cells)
        return max((d for key, d in self.relative.items() if key not in cells and d != math.inf), default=0.0)

    def summary(self):
        where = f" at {self.max_cell[0]}!{self.max_cell[1]}" if self.max_cell else ""
        return (f"{Path(self.path).name}: {self.matched}/{self.cells} formula cells agree with LibreOffice, "
                f"max relative difference {self.max_relative:.3g}{where}, {self.uncheckable} uncheckable, "
                f"LibreOffice {self.seconds:.2f} s")


def compare(path, relative=RELATIVE, absolute=ABSOLUTE, timeout=DEFAULT_TIMEOUT, theirs=None):
    """Compare our evaluator's value of every formula cell of `path` with LibreOffice's.

    `theirs` may pass LibreOffice's values already computed (libreoffice_values) to skip a run.
    """
    from .formula import evaluate_book
    from .formula.reader import read_book
    report = Comparison(path=str(path))
    if theirs is None:
        start = time.perf_counter()
        theirs = libreoffice_values(path, timeout=timeout)
        report.seconds = time.perf_counter() - start
    book = read_book(path)
    evaluation = evaluate_book(book)
    try:
        from .lint import lint_book
        report.predicted = lint_book(book)
    except ImportError:
        pass
    uncheckable = set(evaluation.uncheckable)
    order = {name: i for i, name in enumerate(book.sheets)}
    for key in sorted(set(theirs) | set(evaluation.values), key=lambda k: (order.get(k[0], -1), k[1])):
        if key in uncheckable:
            report.uncheckable += 1
            continue
        # A formula cell only one side has (LibreOffice dropped it, or our reader missed it) is a mismatch.
        ours, lo = evaluation.values.get(key, MISSING), theirs.get(key, MISSING)
        report.cells += 1
        d = math.inf if MISSING in (ours, lo) else difference(ours, lo)
        if d:
            report.relative[key] = d
        if d != math.inf and d > report.max_relative and _as_number(ours) is not None:
            report.max_relative, report.max_cell = d, key
        if d != math.inf and agree(ours, lo, relative, absolute):
            report.matched += 1
        else:
            report.mismatches.append((key[0], key[1], ours, lo))
    return report


class _Missing:
    def __repr__(self):
        return "(no formula)"


MISSING = _Missing()


# ---------------------------------------------------------------- previews

def _file_safe(name):
    """A sheet name as part of a file name (Excel already forbids \\ / ? * [ ] : in sheet names)."""
    safe = "".join("_" if ch in '/\\\0' or ord(ch) < 32 else ch for ch in name).strip()
    return safe.lstrip(".") or "sheet"
