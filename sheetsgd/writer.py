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

import re
from typing import NamedTuple

import numpy as np
import xlsxwriter
from xlsxwriter.worksheet import (FUTURE_FUNCTIONS, CellArrayFormulaTuple, CellBlankTuple, CellFormulaTuple,
                                  CellNumberTuple, CellStringTuple, Worksheet)

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
    "header_up": {"bold": True, "bg_color": "#DDEBF7", "bottom": 1, "align": "center", "rotation": 90,
                  "font_size": 8},    # a header turned upright, over a narrow column
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
    if type(v) is float or type(v) is np.float64:          # the common case first
        return float(v) if v - v == 0 else "#NUM!"         # v - v is nan for nan and +-inf
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

# -- speed: the same bytes as XlsxWriter, less work per cell -------------------------------------------
#
# A build writes ~500k formula cells. XlsxWriter's write_formula checks each formula for Excel 365's
# functions (a regular expression per call) and its _write_cell builds attribute lists per cell;
# together most of a build's time. FastWorksheet stores the plain cases straight into the same
# table and writes them back with the same XML, byte for byte; anything else (array formulas, future
# functions, strings, non-finite numbers) goes through XlsxWriter's own code.

# A function XlsxWriter would prefix with _xlfn. (or hand to write_dynamic_array_formula).
_FUTURE = re.compile(r"(?:\b|_xlfn\.)(?:" + "|".join(sorted(map(re.escape, FUTURE_FUNCTIONS), key=len, reverse=True))
                     + r")\(")
_XML_SPECIAL = re.compile("[&<>]")
_ERROR_CODES = frozenset(("#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!"))
_MAX_ROW, _MAX_COL = 1_048_576, 16_384
_FAST_KINDS = frozenset((CellFormulaTuple, CellNumberTuple, CellStringTuple, CellBlankTuple))


def _escape(text):
    """XlsxWriter's _escape_data: &, <, > (not quotes)."""
    if _XML_SPECIAL.search(text):
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


class FastWorksheet(Worksheet):
    """An XlsxWriter Worksheet whose plain formula and number cells cost less; the file is the same.
    (With constant_memory, where rows go to disk as they are written, everything is XlsxWriter's.)"""

    def write_formula(self, row, col, formula=None, cell_format=None, value=0):
        if (not self.constant_memory and type(row) is int and type(col) is int
                and 0 <= row < _MAX_ROW and 0 <= col < _MAX_COL and formula and formula[0] == "=" and not _FUTURE.search(formula)):
            self._grow(row, col)
            self.table[row][col] = CellFormulaTuple(formula[1:], cell_format, value)
            return 0
        return super().write_formula(row, col, formula, cell_format, value)

    def write_number(self, row, col, number=None, cell_format=None):
        if (not self.constant_memory and type(row) is int and type(col) is int
                and 0 <= row < _MAX_ROW and 0 <= col < _MAX_COL and type(number) is float and number - number == 0):
            self._grow(row, col)
            self.table[row][col] = CellNumberTuple(number, cell_format)
            return 0
        return super().write_number(row, col, number, cell_format)

    def put_row(self, row, cells):
        """Cells of one row at once: [(col, CellFormulaTuple or CellNumberTuple)], the formulas already
        without their "=" and checked (plain(): no Excel 365 function), the numbers finite."""
        for col, cell in cells:
            self.table[row][col] = cell
        cols = [col for col, _ in cells]
        self._grow(row, min(cols))
        self._grow(row, max(cols))

    def put_array(self, r0, c0, r1, c1, formula, cell_format, values):
        """write_array_formula's table entries (the formula in the first cell, a number in every
        other one) with each cell's value, not XlsxWriter's zeros: formula checked by plain(),
        values finite floats in row order."""
        self._grow(r0, c0)
        self._grow(r1, c1)
        ref = a1(r0, c0) if (r0, c0) == (r1, c1) else f"{a1(r0, c0)}:{a1(r1, c1)}"
        width = c1 - c0 + 1
        for k, v in enumerate(values):
            i, j = divmod(k, width)
            self.table[r0 + i][c0 + j] = CellNumberTuple(v, cell_format)
        self.table[r0][c0] = CellArrayFormulaTuple(formula, cell_format, values[0], ref, "static")

    def put_run(self, row, run):
        """A run of cells of one row written as one piece of XML (see RowShape)."""
        self.table[row][run.first] = run
        self._grow(row, run.first)
        self._grow(row, run.last)

    def _get_range_data(self, row_start, col_start, row_end, col_end):
        """XlsxWriter's: a chart's cached data from the table, the cells of Runs too."""
        data = []
        for row_num in range(row_start, row_end + 1):
            if row_num not in self.table:
                data.append(None)
                continue
            cells = self.table[row_num]
            runs = [cell for cell in cells.values() if type(cell) is Run]
            for col_num in range(col_start, col_end + 1):
                cell = cells.get(col_num)
                run = next((run for run in runs if run.first <= col_num <= run.last), None)
                if run is not None:
                    data.append(run.chart_value(col_num))
                elif cell is None:
                    data.append(None)
                elif type(cell) is CellNumberTuple or type(cell).__name__ == "Datetime":
                    data.append(f"{cell.number:.16g}")
                elif type(cell) is CellStringTuple:
                    data.append(self.str_table._get_shared_string(cell.string))
                elif type(cell).__name__ in ("Formula", "ArrayFormula"):
                    data.append(0 if cell.value is None else cell.value)
                elif type(cell) is CellBlankTuple:
                    data.append("")
        return data

    def _grow(self, row, col):
        """_check_dimensions for a cell already known to be inside the grid."""
        if self.dim_rowmin is None:
            self.dim_rowmin = self.dim_rowmax = row
            self.dim_colmin = self.dim_colmax = col
            return
        if row < self.dim_rowmin:
            self.dim_rowmin = row
        elif row > self.dim_rowmax:
            self.dim_rowmax = row
        if col < self.dim_colmin:
            self.dim_colmin = col
        elif col > self.dim_colmax:
            self.dim_colmax = col

    def _calculate_spans(self):
        """XlsxWriter's: the <row spans="first:last"> of each block of 16 rows (1-based columns)."""
        spans = {}
        table = self.table
        for block in range(self.dim_rowmin // 16, self.dim_rowmax // 16 + 1):
            lo = hi = None
            for row_num in range(max(block * 16, self.dim_rowmin), min(block * 16 + 16, self.dim_rowmax + 1)):
                cols = table.get(row_num)
                if cols:
                    a, b = min(cols), max(cols)
                    if type(cols[b]) is Run:
                        b = cols[b].last
                    lo = a if lo is None or a < lo else lo
                    hi = b if hi is None or b > hi else hi
                notes = self.comments.get(row_num)
                if notes:
                    a, b = min(notes), max(notes)
                    lo = a if lo is None or a < lo else lo
                    hi = b if hi is None or b > hi else hi
            if lo is not None:
                spans[block] = f"{lo + 1}:{hi + 1}"
        self.row_spans = spans

    def _write_rows(self):
        """XlsxWriter's _write_rows, the cells of the common kinds written as XlsxWriter's _write_cell
        writes them, a row at a time."""
        self._calculate_spans()
        table, row_info, comments, col_info = self.table, self.row_info, self.comments, self.col_info
        write = self.fh.write
        styles = {None: ""}

        def style(fmt):
            s = styles.get(fmt)
            if s is None:                    # first met here: its index is given now, as XlsxWriter does
                s = styles[fmt] = f' s="{fmt._get_xf_index()}"'
            return s

        for row_num in range(self.dim_rowmin, self.dim_rowmax + 1):
            cells = table.get(row_num)
            if not cells and row_num not in row_info and row_num not in comments:
                continue
            span = self.row_spans.get(row_num // 16)
            info = row_info.get(row_num)
            if not cells:
                self._write_empty_row(row_num, span, info)
                continue
            self._write_row(row_num, span, info)
            r = str(row_num + 1)
            row_format = info.row_format if info is not None else None
            parts = []
            for col_num in sorted(cells):
                cell = cells[col_num]
                kind = type(cell)
                if kind is Run:
                    xml = cell.xml
                    for k, fmt in enumerate(cell.formats):   # in the order the cells first use them
                        xml = xml.replace(_STYLE_SLOTS[k], style(fmt))
                    parts.append(xml)
                    continue
                if kind not in _FAST_KINDS:                # a kind we leave to XlsxWriter
                    write("".join(parts))
                    parts = []
                    self._write_cell(row_num, col_num, cell)
                    continue
                fmt = cell.format
                if fmt:
                    st = style(fmt)
                elif row_format:
                    st = style(row_format)
                elif col_num in col_info and col_info[col_num].column_format is not None:
                    st = style(col_info[col_num].column_format)
                else:
                    st = ""
                if kind is CellFormulaTuple:
                    f, value = cell.formula, cell.value
                    if "&" in f or "<" in f or ">" in f:
                        f = _escape(f)
                    if type(value) is float:
                        parts.append(f'<c r="{COL_LETTERS[col_num]}{r}"{st}><f>{f}</f><v>{value}</v></c>')
                        continue
                    t = ""
                    if isinstance(value, bool):
                        t, value = ' t="b"', int(value)
                    elif isinstance(value, str):
                        t = "" if value == "" else ' t="e"' if value in _ERROR_CODES else ' t="str"'
                        value = _escape(value)
                    parts.append(f'<c r="{COL_LETTERS[col_num]}{r}"{st}{t}><f>{f}</f><v>{value}</v></c>')
                elif kind is CellNumberTuple:
                    parts.append(f'<c r="{COL_LETTERS[col_num]}{r}"{st}><v>{cell.number:.16G}</v></c>')
                elif kind is CellStringTuple:
                    parts.append(f'<c r="{COL_LETTERS[col_num]}{r}"{st} t="s"><v>{cell.string}</v></c>')
                else:
                    parts.append(f'<c r="{COL_LETTERS[col_num]}{r}"{st}/>')
            parts.append("</row>")
            write("".join(parts))


COL_LETTERS = refs.COL_LETTERS[1:]       # 0-based: 0 -> "A"


def plain(template):
    """True when a formula (or a template of formulas) is what FastWorksheet.put_row may store as it
    is: it starts with "=" (a "{=...}" is an array formula), and names none of Excel 365's functions."""
    return template.startswith("=") and not _FUTURE.search(template)


Formula, Number = CellFormulaTuple, CellNumberTuple    # the cells put_row takes


class Run(NamedTuple):
    """Cells first..last of one row as their XML, the style attributes left as slots (_STYLE_SLOTS[k]
    for formats[k]) until the file is written, when XlsxWriter numbers the formats. shape and
    values: what the cells hold, for the charts' cached data."""
    first: int
    last: int
    xml: str
    formats: tuple
    shape: "RowShape"
    values: list

    def chart_value(self, col):
        """XlsxWriter's _get_range_data value of cell col: a number as text, a formula's value."""
        j = self.shape.index.get(col)
        if j is None:
            return None
        v = self.values[j]
        return f"{v:.16g}" if j in self.shape.numbers else v


_STYLE_SLOTS = [chr(1 + k) for k in range(31)]    # control characters: never in a cell's XML


class RowShape:
    """Rows of one shape written fast: cells [(col, format, formula template or None for a number)],
    each formula a str.format template over the row's arguments. shape.run(args, values) is one
    row's Run, the cells' values (finite floats) in column order; its XML is what FastWorksheet
    writes for the same cells one by one."""

    def __init__(self, cells):
        cells = sorted(cells, key=lambda cell: cell[0])
        self.first, self.last = cells[0][0], cells[-1][0]
        self.formats = tuple(dict.fromkeys(fmt for _, fmt, _ in cells))
        slot = {fmt: _STYLE_SLOTS[k] for k, fmt in enumerate(self.formats)}
        self.index = {col: j for j, (col, _, _) in enumerate(cells)}
        self.numbers = frozenset(j for j, (_, _, formula) in enumerate(cells) if formula is None)
        parts = []
        for j, (col, fmt, formula) in enumerate(cells):
            value = f"{{v[{j}]}}"
            if formula is None:
                parts.append(f'<c r="{COL_LETTERS[col]}{{r}}"{slot[fmt]}><v>{{v[{j}]:.16G}}</v></c>')
                continue
            assert plain(formula), formula
            parts.append(f'<c r="{COL_LETTERS[col]}{{r}}"{slot[fmt]}><f>{_escape(formula[1:])}</f><v>{value}</v></c>')
        self.template = "".join(parts)

    def run(self, row, args, values, **slots):
        """Row `row` (0-based): its formulas' arguments (and named slots) and its values, in column order."""
        return Run(self.first, self.last, self.template.format(*args, r=row + 1, v=values, **slots), self.formats,
                   self, values)


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
        flat = [cell_value(v) for v in values.ravel().tolist()]
        formula = text[1:-1] if text.startswith("{") and text.endswith("}") else text
        if isinstance(self.ws, FastWorksheet) and plain(formula) and all(type(v) is float for v in flat):
            self.ws.put_array(r0, c0, r1, c1, formula[1:], fmt, flat)
            return
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

    def color_scale(self, first, last, span=None):
        """The lecture's red-white-green scale on a block of factors or predictions: from the block's
        lowest to its highest value, or (span) from -span (red) through 0 (white) to +span (green)."""
        r0, c0 = self._rc(first)
        r1, c1 = self._rc(last)
        fixed = {} if span is None else {"min_type": "num", "min_value": -span, "mid_type": "num", "mid_value": 0,
                                         "max_type": "num", "max_value": span}
        self.ws.conditional_format(r0, c0, r1, c1, {
            "type": "3_color_scale", "min_color": "#F8696B", "mid_color": "#FFFFFF", "max_color": "#63BE7B",
            **fixed})

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
        return Sheet(self, self.wb.add_worksheet(name, worksheet_class=FastWorksheet))

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
