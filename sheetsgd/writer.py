"""Write workbooks whose formula cells carry their computed values.

Why XlsxWriter and not openpyxl: openpyxl writes a formula with an empty cached value, so a
viewer that does not recalculate (a file preview, pandas.read_excel, openpyxl data_only=True)
shows nothing. XlsxWriter stores the value we pass (`write_formula(..., value=v)`, written
with Python's shortest round-trip repr), and still leaves Excel and LibreOffice to recalculate
live when a student edits an input.

Three rules the builders rely on:
- Inputs go through `stored()`: XlsxWriter writes plain numbers with 16 significant digits
  (and LibreOffice re-saves with 15), which can drop the last bits. We round every input to
  15 significant digits *before* computing anything, so the numbers in the file are exactly
  the numbers the models used.
- Every formula is written with the value its NumPy twin computed; `sheetsgd check` on the
  built file then compares the evaluator (formula text) with the models (cached values).
- Writing is atomic and reproducible: a temporary file renamed over the target, fixed
  document timestamps, so the same inputs give byte-identical files. Nothing is left behind
  by a failed, interrupted or killed build (atomic.py).
"""
import datetime
import io
import math
import os

import numpy as np
import xlsxwriter

from .atomic import atomic_path
from .formula import refs
from .formula.refs import quote_sheet  # noqa: F401  (the builders' writer.quote_sheet)
from .formula.values import ExcelError

# Document timestamps are fixed so two builds are byte-identical.
FIXED_TIME = datetime.datetime(2019, 10, 1, 0, 0, 0)

# The palette: inputs (what the student may edit) look different from formulas.
STYLES = {
    "title": {"bold": True, "font_size": 14},
    "header": {"bold": True, "bg_color": "#DDEBF7", "bottom": 1, "align": "center"},
    "rowhead": {"bold": True, "bg_color": "#DDEBF7", "align": "center"},
    "note": {"italic": True, "font_color": "#595959"},
    "text": {},
    "input": {"bg_color": "#FFF2CC", "font_color": "#3F3F76", "border": 1, "border_color": "#BFBFBF"},
    "formula": {},
    "result": {"bold": True, "bg_color": "#C6EFCE", "font_color": "#006100", "border": 2},
    "label": {"bold": True, "align": "right"},
}


def stored(x):
    """The number as it will be stored in (and read back from) the file: 15 significant digits."""
    if isinstance(x, np.ndarray):
        return np.vectorize(stored, otypes=[float])(x) if x.size else x.astype(float)
    x = float(x)
    if not math.isfinite(x):
        return x
    return float(f"{x:.15g}")


def cell_value(v):
    """A Python/NumPy value as XlsxWriter's cached formula value (errors as their codes)."""
    if isinstance(v, ExcelError):
        return v.code
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, str):
        return v
    if v is None:
        return 0  # Excel's value of a formula that points at a blank
    v = float(v)
    if math.isnan(v):
        return "#NUM!"
    if math.isinf(v):
        return "#NUM!"
    return v


# The builders count rows and columns from 0, as XlsxWriter does; refs.py (1-based) is the one
# home of A1 notation, these only shift by one.

def a1(row, col, row_abs=False, col_abs=False):
    """0-based (row, col) -> "A1" (the lecture's notation; XlsxWriter is 0-based)."""
    return refs.a1(row + 1, col + 1, row_abs, col_abs)


def rc(ref):
    """"A1" -> 0-based (row, col)."""
    row, col = refs.parse_cell(ref)
    return row - 1, col - 1


def col_name(col):
    return refs.COL_LETTERS[col + 1]


def abs_range(r0, c0, r1, c1):
    return f"{a1(r0, c0, True, True)}:{a1(r1, c1, True, True)}"


class Sheet:
    """One worksheet: inputs, formulas with their values, notes. Cells are "A1" strings or (row, col) 0-based."""

    def __init__(self, book, ws):
        self.book = book
        self.ws = ws
        self.name = ws.get_name()

    def _fmt(self, style, num_format=None):
        return self.book.fmt(style, num_format)

    @staticmethod
    def _rc(cell):
        return rc(cell) if isinstance(cell, str) else cell

    def input(self, cell, value, num_format=None, style="input"):
        """An input the student may edit. Returns the value as stored (use it in the models)."""
        r, c = self._rc(cell)
        if isinstance(value, str):
            self.ws.write_string(r, c, value, self._fmt(style, num_format))
            return value
        value = stored(value)
        self.ws.write_number(r, c, value, self._fmt(style, num_format))
        return value

    def number(self, cell, value, num_format=None, style="text"):
        """A fixed number that is data, not meant to be edited (still stored exactly)."""
        return self.input(cell, value, num_format, style)

    def formula(self, cell, text, value, num_format=None, style="formula"):
        """A live formula and the value its NumPy twin computed."""
        r, c = self._rc(cell)
        self.ws.write_formula(r, c, text, self._fmt(style, num_format), cell_value(value))

    def array_formula(self, first, last, text, values, num_format=None, style="formula"):
        """A {=...} array formula over first:last, caching every cell's value (not only the first's)."""
        r0, c0 = self._rc(first)
        r1, c1 = self._rc(last)
        values = np.asarray(values, dtype=object).reshape(r1 - r0 + 1, c1 - c0 + 1)
        fmt = self._fmt(style, num_format)
        self.ws.write_array_formula(r0, c0, r1, c1, text, fmt, cell_value(values[0, 0]))
        for i in range(values.shape[0]):
            for j in range(values.shape[1]):
                if i or j:
                    v = cell_value(values[i, j])
                    if isinstance(v, str):   # an error code: XlsxWriter has no plain error cell
                        self.ws.write_string(r0 + i, c0 + j, v, fmt)
                    else:
                        self.ws.write_number(r0 + i, c0 + j, v, fmt)

    def text(self, cell, s, style="text", num_format=None):
        r, c = self._rc(cell)
        self.ws.write_string(r, c, s, self._fmt(style, num_format))

    def note(self, cell, s):
        self.text(cell, s, "note")

    def title(self, cell, s):
        self.text(cell, s, "title")

    def header(self, cell, s):
        self.text(cell, s, "header")

    def widths(self, first_col, last_col, width):
        self.ws.set_column(first_col, last_col, width)

    def color_scale(self, first, last):
        """The lecture's red-white-green scale on a block of factors or predictions."""
        r0, c0 = self._rc(first)
        r1, c1 = self._rc(last)
        self.ws.conditional_format(r0, c0, r1, c1, {
            "type": "3_color_scale", "min_color": "#F8696B", "mid_color": "#FFFFFF", "max_color": "#63BE7B"})

    def freeze(self, cell):
        r, c = self._rc(cell)
        self.ws.freeze_panes(r, c)

    def define_name(self, name, ref, scoped=True):
        """A defined name; sheet-scoped ("dotprod!solver_opt") unless scoped=False."""
        full = f"'{self.name}'!{name}" if scoped else name
        self.book.wb.define_name(full, ref if ref.startswith("=") else "=" + ref)

    def ref(self, cell, absolute=True):
        """A reference to a cell of this sheet from another sheet: 'dotprod'!$B$25."""
        r, c = self._rc(cell)
        return f"{quote_sheet(self.name)}!{a1(r, c, absolute, absolute)}"


class _ZipBuffer(io.BytesIO):
    """Where XlsxWriter zips the workbook. After a failed save its ZipFile is left open, and its
    __del__ writes the zip's directory whenever it is collected, possibly after this buffer's own
    finalizer ran (a reference cycle through the traceback): a close that does nothing keeps that
    late write from failing into an "Exception ignored" traceback. Freed with its last reference."""

    def close(self):
        pass


class Workbook:
    """with Workbook(path) as wb: ... -> an atomic, reproducible .xlsx with cached formula values."""

    def __init__(self, path, title="", subject=""):
        self.path = path
        self._atomic = atomic_path(path)
        self._tmp = None
        self._formats = {}
        self._props = {"title": title, "subject": subject, "author": "sheetsgd",
                       "created": FIXED_TIME, "comments": "Built by sheetsgd: https://github.com/fastai/course-v3 lesson 5 as software"}

    def __enter__(self):
        self._tmp = self._atomic.__enter__()
        # XlsxWriter zips into memory and keeps its own temporary files (constant_memory rows, the
        # XML parts) in our private directory, which atomic_path removes however the build ends.
        # Zipped into a file, a failed save (a full disk) left a ZipFile whose __del__ printed a
        # traceback; into memory, the only write to disk is ours, below.
        self._zip = _ZipBuffer()
        self.wb = xlsxwriter.Workbook(self._zip, {"strings_to_numbers": False, "strings_to_formulas": False,
                                                  "nan_inf_to_errors": True, "tmpdir": os.path.dirname(self._tmp)})
        self.wb.set_properties(self._props)
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            try:
                self.wb.close()
                with open(self._tmp, "xb") as f:
                    f.write(self._zip.getbuffer())
            except BaseException as e:      # a save that fails (disk full): nothing left, the old file kept
                self._discard()
                self._atomic.__exit__(type(e), e, e.__traceback__)
                raise
        else:
            self._discard()
        self._zip = None
        return self._atomic.__exit__(exc_type, exc, tb)

    def _discard(self):
        """Close what XlsxWriter still holds open (constant_memory's row files) without flushing it
        into a full disk from a destructor later; the files go with atomic_path's directory."""
        for ws in self.wb.worksheets():
            fh = getattr(ws, "row_data_fh", None)
            if fh is not None and not getattr(ws, "row_data_fh_closed", True):
                ws.row_data_fh_closed = True
                try:
                    fh.close()
                except (OSError, ValueError):
                    pass
        self._zip = None

    def sheet(self, name):
        return Sheet(self, self.wb.add_worksheet(name))

    def fmt(self, style, num_format=None):
        key = (style, num_format)
        if key not in self._formats:
            spec = dict(STYLES[style])
            if num_format:
                spec["num_format"] = num_format
            self._formats[key] = self.wb.add_format(spec)
        return self._formats[key]

    def chart(self, kind, subtype=None):
        spec = {"type": kind}
        if subtype:
            spec["subtype"] = subtype
        return self.wb.add_chart(spec)
