"""Compute every formula of a Book in dependency order, the way Excel would.

1. Shapes. A formula filled down a column has one relative (R1C1) shape: =(G5-C5)^2 in
   row 5 and =(G6-C6)^2 in row 6 are both "(column G, same row) minus (column C, same
   row), squared". Each shape is parsed once. A cell is matched to the shape of the cell
   above it by one str.format of the shape's text in its row and one comparison (1,024
   cells at a time down a long run); any other cell by its text with the digits masked
   and its row numbers made relative.
2. Units. Consecutive cells of one column with one shape and no reference into their own
   run form a block (a unit computed at once, with NumPy); every other formula cell is a
   unit of its own. An array formula is one unit covering its whole range.
3. Order. Each unit's references (names resolved; the address-only arguments of ROW,
   COLUMN, ROWS, COLUMNS and OFFSET's base excluded) give its precedents; units are sorted
   precedents-first by an iterative depth-first search, so chains of thousands of cells
   (29 rows x 100 epochs of SGD) need no recursion. Blocks caught in a cycle (columns that
   feed each other row by row, like graddesc's) are split into single cells and the order
   recomputed; a cycle of cells is reported by name ("circular reference: basic!A1 ->
   basic!B1 -> basic!A1") and its cells keep their cached values, so the rest can still be
   computed.
4. Computing. A block is computed by the vector interpreter (vec_eval) only where it can
   prove the result is what the cell-by-cell interpreter gives: numbers and blanks as
   inputs, no error on the way (inside IF, only in the branch IF chooses), supported
   functions, sums added in the same order. Otherwise, and for every single cell, the
   scalar interpreter (eval) computes cell by cell. Targets only known while computing
   (OFFSET, INDEX) are computed on demand, tracked by an in-progress set (a dynamic cycle
   is reported the same way); beyond ON_DEMAND_DEPTH nested computations the work moves
   to an explicit stack instead of Python recursion.
5. Volatile cells (RAND, RANDBETWEEN, NOW, TODAY) keep their cached values and are listed
   as uncheckable, so what depends on them is computed from the numbers the file shows.
   A cell using a function we do not have is #NAME? and uncheckable, and so is everything
   computed from it.

Semantics of a non-array formula: operators and scalar functions work element by element
on arrays (as in Excel's array evaluation); a final multi-cell reference is reduced by
Excel's implicit intersection with the formula's row or column, a final multi-cell
computed array is #VALUE! (no spilling), and a final blank is 0. An array formula
({=MMULT(...)} over AE3:AI208) is computed once and spread over its range (#N/A where the
result is smaller). References larger than MAX_CLIPPED_AREA cells (A:A, 1:1048576) are
clipped to the sheet's used area.

Speed measured on the shared 2-core machine (CPU seconds, under load): the lecture's
collab_filter.xlsx (12,937 formula cells) 0.06-0.12 s, graddesc.xlsm 0.02-0.03 s; our
built graddesc.xlsx (194k cells, chains computed cell by cell) ~3 s; 100k rows x 15
columns of filled-down INDEX/SUMPRODUCT (1.5M cells, all vectorised) 2.8 s, of which
~0.5 s reads the Book, ~0.9 s matches cells to shapes and ~0.8 s builds the
{(sheet, "A1"): value} dict the API returns. The MovieLens 100k workbook (500k formula
cells, 700k constants, sheetsgd.bench.check_speed): Engine() 0.1 s (the reader's constants
are the store's start), run() 0.5 s; `sheetsgd check` reads the engine's columns directly
(check._compare_columns) instead of that dict.
"""
import bisect
import gc
import math
import inspect
import re
from functools import partial
from itertools import repeat
from operator import attrgetter, gt, itemgetter

import numpy as np

from .book import Book, Sheet
from .functions import (FUNCTIONS, MISSING, VOLATILE, Array, Range, arith, binary, broadcast,
                        to_number)
from .parser import (ArrayConst, Binary, Const, FormulaError, Func, Missing, Name, Node, Percent,
                     RangeOp, Ref, Unary, parse, tokenize, walk, _CELL_PARTS)
from .refs import MAX_COL, MAX_ROW, a1, parse_range
from .values import NA, NAME, NUM, REF, VALUE, ExcelError

ON_DEMAND_DEPTH = 20           # nested on-demand computations before switching to the explicit stack
MAX_CLIPPED_AREA = 1_000_000   # references larger than this (A:A) are clipped to the used area
MIN_BLOCK = 4                  # shorter runs of one shape are computed cell by cell
CHUNK = 1024                   # cells of a filled-down run matched to their shape at once
MAX_BLOCK_VALUES = 4_000_000   # values a block may read through per-row ranges (memory bound)
_FORMULA = attrgetter("formula")

# arguments whose cells are not read, only located: ROW(A4) in A4 is not circular
ADDRESS_ONLY = {"ROW": None, "COLUMN": None, "ROWS": None, "COLUMNS": None, "OFFSET": 0}


class _NeedFirst(Exception):
    """Raised deep inside an on-demand computation: compute `key` first, then retry."""

    def __init__(self, key):
        self.key = key


_NOT = object()     # "no value here" (None is a blank)


class _Fallback(Exception):
    """The vector interpreter cannot prove its answer equals the scalar one: go cell by cell."""


# ---------------------------------------------------------------- relative references
class RelRef(Node):
    """A reference in a shape: each bound is base + m * (the formula's row or column),
    m = 1 for a relative bound (written without '$'), 0 for an absolute one."""
    __slots__ = ("sheet", "r1", "c1", "r2", "c2", "m", "cell")

    def __init__(self, sheet, r1, c1, r2, c2, m):
        self.sheet, self.r1, self.c1, self.r2, self.c2, self.m = sheet, r1, c1, r2, c2, m
        self.cell = r1 == r2 and c1 == c2 and m[0] == m[2] and m[1] == m[3]   # one cell wherever used

    def at(self, row, col):
        m = self.m
        r1, c1 = self.r1 + m[0] * row, self.c1 + m[1] * col
        r2, c2 = self.r2 + m[2] * row, self.c2 + m[3] * col
        if r1 > r2:
            r1, r2 = r2, r1
        if c1 > c2:
            c1, c2 = c2, c1
        return r1, c1, r2, c2


def _relative(node, row, col):
    """Copy of a tree with each Ref made relative to (row, col)."""
    t = type(node)
    if t is Ref:
        ra1, ca1, ra2, ca2 = node.abs
        m = (0 if ra1 else 1, 0 if ca1 else 1, 0 if ra2 else 1, 0 if ca2 else 1)
        return RelRef(node.sheet, node.r1 - m[0] * row, node.c1 - m[1] * col,
                      node.r2 - m[2] * row, node.c2 - m[3] * col, m)
    if t is Func:
        return Func(node.name, [_relative(a, row, col) for a in node.args])
    if t is Binary:
        return Binary(node.prec, list(node.ops), [_relative(a, row, col) for a in node.operands])
    if t is Unary:
        return Unary(node.minus, _relative(node.operand, row, col))
    if t is Percent:
        return Percent(_relative(node.operand, row, col))
    if t is RangeOp:
        return RangeOp(_relative(node.left, row, col), _relative(node.right, row, col))
    return node


def _value_nodes(tree):
    """walk(tree) without the references that only give an address (see ADDRESS_ONLY)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        t = type(node)
        if t is Func:
            if node.name in ADDRESS_ONLY:
                pos = ADDRESS_ONLY[node.name]
                stack.extend(a for i, a in enumerate(node.args)
                             if not (type(a) in (Ref, RelRef) and (pos is None or pos == i)))
            else:
                stack.extend(node.args)
        elif t is Binary:
            stack.extend(node.operands)
        elif t is Unary or t is Percent:
            stack.append(node.operand)
        elif t is RangeOp:
            stack.append(node.left)
            stack.append(node.right)


class Shape:
    """What every cell filled from one formula shares: its relative tree and facts about it.

    fmt and offs give the shape's text in any row (fmt.format(*[row + o for o in offs])), so a
    cell whose text equals its upper neighbour's shape's text in its row needs no parsing
    (Engine.build_units)."""
    __slots__ = ("tree", "reason", "volatile", "refs", "vector", "fmt", "offs")

    def __init__(self, tree, reason, volatile, refs, vector, fmt=None, offs=()):
        self.tree, self.reason, self.volatile, self.refs, self.vector = tree, reason, volatile, refs, vector
        self.fmt, self.offs = fmt, offs


_DIGITS = re.compile(r"[0-9]+")
_REL_ROW, _CONST = 1, 0
# what the vector interpreter knows; anything else in a shape sends its cells down the scalar path
VECTOR_FUNCS = frozenset({"IF", "SUM", "SUMPRODUCT", "MMULT", "INDEX", "MATCH", "SQRT", "EXP", "LN",
                          "ABS", "LOG10", "ROW", "COLUMN", "MAX", "MIN"})


def _template(text):
    """For formula text: the role of each digit run (a relative row number or a constant) and
    whether any column is relative; None if the text does not tokenize."""
    body_at = 1 if text.startswith("=") else 0
    try:
        toks = tokenize(text[body_at:])
    except FormulaError:
        return None
    rel_rows, rel_col = set(), False
    for tok in toks:
        if tok.kind != "ref":
            continue
        m = tok.m
        for g in ("cell1", "cell2"):
            if m.group(g):
                parts = _CELL_PARTS.fullmatch(m.group(g))
                if not parts.group(3):
                    rel_rows.add(body_at + m.start(g) + parts.start(4))
                if not parts.group(1):
                    rel_col = True
        if m.group("rows"):
            start = m.start("rows")
            for part in m.group("rows").split(":"):
                if not part.startswith("$"):
                    rel_rows.add(body_at + start)
                start += len(part) + 1
        if m.group("cols"):
            rel_col = rel_col or any(not p.startswith("$") for p in m.group("cols").split(":"))
    roles = tuple(_REL_ROW if d.start() in rel_rows else _CONST for d in _DIGITS.finditer(text))
    return roles, rel_col


# ---------------------------------------------------------------- vector values
class _V:
    """A value per cell of a block: data is a float/bool array of n, or one Python scalar for
    all; blank marks cells read from blank cells (their data is 0); kind 'num', 'bool', 'str'."""
    __slots__ = ("kind", "data", "blank")

    def __init__(self, kind, data, blank=None):
        self.kind, self.data, self.blank = kind, data, blank


class _VR:
    """A range per cell: data of shape (n or 1, h, w), blank mask alike or None."""
    __slots__ = ("data", "blank")

    def __init__(self, data, blank=None):
        self.data, self.blank = data, blank


# The C library's pow, exp and log (what math calls, and what the cell-by-cell path uses)
# and NumPy's own vectorised versions differ in the last bit for a few inputs in a thousand;
# the vector path calls the same functions as the scalar path, element by element, so the
# two paths agree exactly. (sqrt and abs are exact in both.)
def _pow(x, y):
    try:
        return math.pow(x, y)
    except (OverflowError, ValueError, ZeroDivisionError):
        return math.nan


def _exp(x):
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def _ln(x):
    return math.log(x) if x > 0 else math.nan


def _log10(x):
    return math.log10(x) if x > 0 else math.nan


def _elementwise(f, *args):
    if not any(isinstance(a, np.ndarray) for a in args):
        return f(*[float(a) for a in args])
    arrays = np.broadcast_arrays(*[np.asarray(a, dtype=float) for a in args])
    flat = [a.ravel().tolist() for a in arrays]
    return np.fromiter(map(f, *flat), dtype=float, count=arrays[0].size).reshape(arrays[0].shape)


def _finite(x):
    if isinstance(x, np.ndarray):
        if not np.isfinite(x).all():
            raise _Fallback
    elif x - x != 0.0:
        raise _Fallback
    return x


def _num(v):
    if type(v) is _V:
        if v.kind == "num":
            return v.data
        if v.kind == "bool":
            return v.data.astype(float) if isinstance(v.data, np.ndarray) else float(v.data)
    raise _Fallback


class _FormulaCells:
    """The book's formula cells by (sheet, row, col), read from the book itself (no copy of
    a million keys): formulas[key] -> Cell, key in formulas, formulas.get(key)."""
    __slots__ = ("sheets",)

    def __init__(self, book):
        self.sheets = {name: sheet.cells if sheet.split() is None else sheet.split()[1]
                       for name, sheet in book.sheets.items()}

    def get(self, key, default=None):
        cells = self.sheets.get(key[0])
        cell = cells.get((key[1], key[2])) if cells is not None else None
        return cell if cell is not None and cell.formula is not None else default

    def __getitem__(self, key):
        cell = self.get(key)
        if cell is None:
            raise KeyError(key)
        return cell

    def __contains__(self, key):
        return self.get(key) is not None


class Engine:
    def __init__(self, book, vectorize=True, own_constants=False):
        self.book = book
        self.vectorize = vectorize
        self.store = {}          # sheet -> {(row, col): value}: constants, then computed values
        self.blocks = {}         # (sheet, col) -> ([first rows], [(first, last, values list)]): what
                                 # the vector path computed, kept as columns (no per-cell dict entry)
        self.formulas = _FormulaCells(book)   # (sheet, row, col) -> Cell with a formula
        self.members = {}        # (sheet, row, col) of an array range -> its master's key
        self.fcols = {}          # sheet -> {col: sorted rows of formula cells (members included)}
        self.dims = {}           # sheet -> (max_row, max_col) actually used
        self.uncheckable = {}    # key -> reason
        self.cached_ranges = {}  # (sheet, r1, c1, r2, c2) -> Array, once every formula in it is computed
        self.np_ranges = {}      # the same as NumPy (values, blank mask), for the vector interpreter
        self.np_columns = {}     # (sheet, col, first row, last row) -> NumPy column, once final
        self.lenient = 0         # > 0 inside IF branches (see _fin)
        self.dyn_cyclic = {}     # key -> reason, for cycles found while computing
        self.pending = {}        # (sheet, col) -> units of that column not computed yet (None: not run)
        self.on_demand_cols = set()   # (sheet, col) where a cell was computed out of order
        self.computing = {}      # key -> None, in order: the on-demand chain
        self.depth = 0
        self.name_stack = set()
        self.sheet, self.row, self.col, self.array_mode = None, 1, 1, False
        self.templates, self.shapes, self.cell_shape = {}, {}, {}
        self.blocks_vectorized = self.cells_vectorized = 0
        self.fcells = {}         # sheet -> {col: cells aligned with fcols (None for array members)}
        self.array_rows = {}     # (sheet, col) -> sorted rows of array masters
        self.runs = {}           # sheet -> the reader's constants as columns (Sheet.const_runs)
        for name, sheet in book.sheets.items():
            split = sheet.split()
            if split is None:
                store = self.store[name] = {}
                items = sheet.cells.items()
            else:                     # as read: the constants are the store's start, as they are
                store = self.store[name] = split[0] if own_constants else dict(split[0])
                items = split[1].items()
                self.runs[name] = sheet.const_runs()
            cols = {}
            max_r, max_c = sheet.max_row, sheet.max_col
            for (r, c), cell in items:
                if r > max_r:
                    max_r = r
                if c > max_c:
                    max_c = c
                if cell.formula is not None:
                    lst = cols.get(c)
                    if lst is None:
                        lst = cols[c] = ([], [])
                    lst[0].append(r)
                    lst[1].append(cell)
                    if cell.array_ref:
                        self.array_rows.setdefault((name, c), []).append(r)
                elif cell.array_master is not None:
                    self.members[(name, r, c)] = (name,) + tuple(cell.array_master)
                    lst = cols.setdefault(c, ([], []))
                    lst[0].append(r)
                    lst[1].append(None)
                elif cell.value is not None:
                    v = cell.value
                    store[(r, c)] = float(v) if type(v) is int else v
            fcols, fcells = self.fcols[name], self.fcells[name] = {}, {}
            for c, (rows, cells) in cols.items():
                if any(map(gt, rows, rows[1:])):      # not in row order: sort both alike
                    pairs = sorted(zip(rows, cells), key=itemgetter(0))
                    rows, cells = [p[0] for p in pairs], [p[1] for p in pairs]
                fcols[c] = rows
                fcells[c] = cells
            self.dims[name] = (max_r, max_c)
        for rows in self.array_rows.values():
            rows.sort()

    # ------------------------------------------------------------ formula text -> shape
    def shape(self, key):
        got = self.cell_shape.get(key)
        if got is None:
            sheet, r, c = key
            got = self.cell_shape[key] = self.shape_for(self.formulas[key].formula, sheet, r, c)
        return got

    def shape_for(self, text, sheet, row, col):
        skel = _DIGITS.sub("#", text)
        tmpl = self.templates.get(skel, 0)
        if tmpl == 0:
            tmpl = self.templates[skel] = _template(text)
        if tmpl is not None:
            roles, rel_col = tmpl
            nums = _DIGITS.findall(text)
            if len(nums) == len(roles):
                parts = [sheet, skel, col if rel_col else None]
                for n, role in zip(nums, roles):
                    if role == _REL_ROW:
                        v = int(n)
                        if len(n) > 7 or not 1 <= v <= MAX_ROW:
                            break
                        parts.append(v - row)
                    else:
                        parts.append(n)
                else:
                    key = tuple(parts)
                    shape = self.shapes.get(key)
                    if shape is None:
                        shape = self.shapes[key] = self.make_shape(text, sheet, row, col)
                    return shape
        return self.make_shape(text, sheet, row, col)

    def make_shape(self, text, sheet, row, col):
        try:
            tree = _relative(parse(text), row, col)
        except FormulaError as e:
            return Shape(None, f"unparsable formula: {e}", False, [], False)
        names = {n.name for n in walk(tree) if type(n) is Func}
        volatile = sorted(names & VOLATILE)
        unknown = sorted(n for n in names if n not in FUNCTIONS)
        reason = ("volatile " + ", ".join(volatile) if volatile
                  else "unsupported function " + ", ".join(unknown) if unknown else None)
        refs = self.tree_refs(tree, sheet)
        vector = reason is None and names <= VECTOR_FUNCS and not any(
            type(n) in (RangeOp, ArrayConst) for n in walk(tree))
        fmt, offs = self._format(text, row)
        return Shape(tree, reason, bool(volatile), refs, vector, fmt, offs)

    def _format(self, text, row):
        """The text as a str.format template with its relative row numbers as slots."""
        tmpl = self.templates.get(_DIGITS.sub("#", text), 0)
        if tmpl == 0:
            tmpl = _template(text)
        if tmpl is None:
            return None, ()
        roles, _ = tmpl
        pieces, offs, at = [], [], 0
        for role, m in zip(roles, _DIGITS.finditer(text)):
            pieces.append(text[at:m.start()].replace("{", "{{").replace("}", "}}"))
            if role == _REL_ROW:
                if m.group(0) != str(int(m.group(0))):
                    return None, ()      # leading zeros: leave it to the careful path
                off = int(m.group(0)) - row
                if off not in offs:      # one slot per distinct offset: E6 and F6 share {0}
                    offs.append(off)
                pieces.append("{%d}" % offs.index(off))
            else:
                pieces.append(m.group(0))
            at = m.end()
        pieces.append(text[at:].replace("{", "{{").replace("}", "}}"))
        return "".join(pieces), tuple(offs)

    # ------------------------------------------------------------ dependencies
    def name_text(self, name, sheet):
        s = self.book.sheets.get(sheet)
        text = s.names.get(name) if s is not None else None
        return text if text is not None else self.book.names.get(name)

    def tree_refs(self, tree, sheet, seen_names=()):
        """(sheet, RelRef) of every reference whose cells a tree reads, names followed."""
        out = []
        for node in _value_nodes(tree):
            t = type(node)
            if t is RelRef:
                out.append((node.sheet or sheet, node))
            elif t is Ref:      # inside a name: absolute wherever it is used
                out.append((node.sheet or sheet, RelRef(None, node.r1, node.c1, node.r2, node.c2, (0, 0, 0, 0))))
            elif t is Name:
                scope = node.sheet or sheet
                key = (scope, node.name)
                if key in seen_names:
                    continue
                text = self.name_text(node.name, scope)
                if text is None:
                    continue
                try:
                    sub = parse(text)
                except FormulaError:
                    continue
                out.extend(self.tree_refs(sub, scope, seen_names + (key,)))
        return out

    def formula_keys_in(self, sheet, r1, c1, r2, c2):
        """Keys of formula cells (array members as their masters) inside a block."""
        cols = self.fcols.get(sheet)
        if not cols:
            return []
        out = []
        cs = range(c1, c2 + 1) if c2 - c1 < len(cols) else [c for c in cols if c1 <= c <= c2]
        for c in cs:
            rows = cols.get(c)
            if not rows:
                continue
            i = bisect.bisect_left(rows, r1)
            j = bisect.bisect_right(rows, r2)
            for r in rows[i:j]:
                key = (sheet, r, c)
                out.append(self.members.get(key, key))
        return out

    def build_units(self, no_block):
        """Units: (sheet, col, first row, last row) blocks of one shape, single cells, array ranges.
        Returns units, and per sheet and column the sorted (first, last, unit) intervals."""
        units, index = [], {}
        cell_shape = self.cell_shape
        for sheet, cols in self.fcols.items():
            for c in sorted(cols):
                run = None                # [first row, last row, shape] of the current run
                prev, pfmt, lo, hi, offs, one = None, None, 0, 0, (), None
                rows, cells = cols[c], self.fcells[sheet][c]
                arrays = self.array_rows.get((sheet, c), ())
                n, i, no_chunk_before = len(rows), -1, 0
                while i + 1 < n:
                    i += 1
                    r, cell = rows[i], cells[i]
                    if cell is None:          # a cell of an array range
                        continue
                    if (run is not None and i >= no_chunk_before and run[2] is prev and pfmt is not None
                            and run[1] == r - 1 and cell.formula == (pfmt(r + one) if one is not None
                                                                   else pfmt(*[r + o for o in offs]))):
                        # inside a run filled down: try the next rows in one go
                        k = self._chunk(rows, cells, i, arrays, pfmt, offs, one, hi)
                        if k:
                            run[1] = r + k - 1
                            i += k - 1
                            continue
                        no_chunk_before = i + CHUNK
                    key = (sheet, r, c)
                    shape = cell_shape.get(key) if cell_shape else None
                    if shape is None:
                        if pfmt is not None and lo <= r <= hi and cell.formula == (
                                pfmt(r + one) if one is not None else pfmt(*[r + o for o in offs])):
                            shape = prev      # filled down from the cell above: no parsing
                        else:
                            shape = self.shape(key)
                    if shape is not prev:
                        prev, offs = shape, shape.offs
                        pfmt = shape.fmt.format if shape.fmt is not None else None
                        one = offs[0] if len(offs) == 1 else None
                        lo = 1 - min(offs, default=0)
                        hi = MAX_ROW - max(offs, default=0)
                    if cell.array_ref:
                        self._close_run(sheet, c, run, units, index, no_block)
                        run = None
                        r1, c1, r2, c2 = self.array_bounds(key)
                        uid = len(units)
                        units.append((sheet, c, r, r, shape, (r1, c1, r2, c2)))
                        for cc in range(c1, c2 + 1):
                            index.setdefault((sheet, cc), []).append((r1, r2, uid))
                        continue
                    if run is not None and r == run[1] + 1 and shape is run[2]:
                        run[1] = r
                        continue
                    self._close_run(sheet, c, run, units, index, no_block)
                    run = [r, r, shape]
                self._close_run(sheet, c, run, units, index, no_block)
        for iv in index.values():
            iv.sort()
        return units, index

    @staticmethod
    def _chunk(rows, cells, i, arrays, pfmt, offs, one, hi):
        """How many cells from index i (up to CHUNK) continue the run: consecutive rows, no array
        master among them, and each text exactly the shape's text in its row. 0 if not all do."""
        k = min(CHUNK, len(rows) - i)
        r = rows[i]
        if k < 8 or rows[i + k - 1] - r != k - 1 or r + k - 1 > hi:
            return 0
        if arrays and bisect.bisect_right(arrays, r + k - 1) > bisect.bisect_left(arrays, r):
            return 0
        try:
            actual = list(map(_FORMULA, cells[i:i + k]))
        except AttributeError:        # an array member among them
            return 0
        if one is not None:
            fmt = pfmt.__self__
            if "{{" in fmt or "}}" in fmt:
                expected = list(map(pfmt, range(r + one, r + k + one)))
            else:                     # every slot is {0}: the row joins the literal pieces (no format call)
                expected = list(map(str.join, map(str, range(r + one, r + k + one)), repeat(fmt.split("{0}"))))
        else:
            expected = [pfmt(*[x + o for o in offs]) for x in range(r, r + k)]
        return k if actual == expected else 0

    def _close_run(self, sheet, c, run, units, index, no_block):
        if run is None:
            return
        r0, r1, shape = run
        if (self.vectorize and r1 - r0 + 1 >= MIN_BLOCK and shape.vector
                and (sheet, c, r0) not in no_block and self._independent(shape, sheet, c, r0, r1)):
            uid = len(units)
            units.append((sheet, c, r0, r1, shape, None))
            index.setdefault((sheet, c), []).append((r0, r1, uid))
            return
        cell_shape, iv, uid = self.cell_shape, index.setdefault((sheet, c), []), len(units)
        for r in range(r0, r1 + 1):
            cell_shape[(sheet, r, c)] = shape
            units.append((sheet, c, r, r, shape, None))
            iv.append((r, r, uid))
            uid += 1

    @staticmethod
    def _independent(shape, sheet, c, r0, r1):
        """No reference of the shape, over rows r0..r1, reaches a cell of the block itself."""
        for s, ref in shape.refs:
            if s != sheet:
                continue
            m = ref.m
            ca, cb = ref.c1 + m[1] * c, ref.c2 + m[3] * c
            if not min(ca, cb) <= c <= max(ca, cb):
                continue
            ends = (ref.r1 + m[0] * r0, ref.r1 + m[0] * r1, ref.r2 + m[2] * r0, ref.r2 + m[2] * r1)
            if min(ends) <= r1 and max(ends) >= r0:
                return False
        return True

    def unit_deps(self, unit, index):
        sheet, c, r0, r1, shape, _ = unit
        out = set()
        for s, ref in shape.refs:
            if s not in self.store:
                continue
            a = ref.at(r0, c)
            if r1 == r0:
                lo_r, lo_c, hi_r, hi_c = a
            else:
                b = ref.at(r1, c)
                lo_r, lo_c, hi_r, hi_c = min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])
            if lo_c == hi_c:          # one column (most references): no column scan
                iv = index.get((s, lo_c))
                if iv is not None:
                    i = bisect.bisect_right(iv, (hi_r, MAX_ROW + 1, 1 << 60)) - 1
                    while i >= 0 and iv[i][1] >= lo_r:
                        out.add(iv[i][2])
                        i -= 1
                continue
            for cc in self._cols_with_units(index, s, lo_c, hi_c):
                iv = index[(s, cc)]
                i = bisect.bisect_right(iv, (hi_r, MAX_ROW + 1, 1 << 60)) - 1
                while i >= 0 and iv[i][1] >= lo_r:
                    out.add(iv[i][2])
                    i -= 1
        return out

    def _cols_with_units(self, index, sheet, c1, c2):
        cols = self.fcols.get(sheet, ())
        if c2 - c1 < len(cols):
            return [c for c in range(c1, c2 + 1) if (sheet, c) in index]
        return [c for c in cols if c1 <= c <= c2 and (sheet, c) in index]

    def order(self):
        """Units with precedents first, and the cells in cycles -> {key: cycle text}.

        Tarjan's strongly connected components, iteratively: every unit of a component with
        more than one unit (or reading itself) is in a cycle, and components come out with
        their precedents before them. Blocks caught in a cycle (columns that feed each other
        row by row, like graddesc's) become single cells and the order is recomputed."""
        no_block = set()
        while True:
            units, index = self.build_units(no_block)
            order, deps, cyclic = self._components(units, index)
            split = {(units[u][0], units[u][1], units[u][2]) for comp in cyclic for u in comp
                     if units[u][2] != units[u][3]}
            if not split:
                break
            no_block |= split
        cyc_cells = {}
        for comp in cyclic:
            text = self._cycle_text(comp, units, deps)
            for u in comp:
                sheet, c, r, _, _, _ = units[u]
                cyc_cells.setdefault((sheet, r, c), text)
        return units, order, deps, cyc_cells

    def _components(self, units, index):
        n = len(units)
        deps = [None] * n
        num, low = [-1] * n, [0] * n
        on_stack = [False] * n
        stack, order, cyclic = [], [], []
        counter = 0
        for v0 in range(n):
            if num[v0] >= 0:
                continue
            num[v0] = low[v0] = counter
            counter += 1
            stack.append(v0)
            on_stack[v0] = True
            deps[v0] = self.unit_deps(units[v0], index)
            work = [(v0, iter(deps[v0]))]
            while work:
                v, it = work[-1]
                for w in it:
                    if num[w] < 0:
                        num[w] = low[w] = counter
                        counter += 1
                        stack.append(w)
                        on_stack[w] = True
                        deps[w] = self.unit_deps(units[w], index)
                        work.append((w, iter(deps[w])))
                        break
                    if on_stack[w] and num[w] < low[v]:
                        low[v] = num[w]
                else:
                    work.pop()
                    if work:
                        u = work[-1][0]
                        if low[v] < low[u]:
                            low[u] = low[v]
                    if low[v] == num[v]:          # v is the root of a component
                        comp = []
                        while True:
                            w = stack.pop()
                            on_stack[w] = False
                            comp.append(w)
                            if w == v:
                                break
                        order.extend(comp)
                        if len(comp) > 1 or v in deps[v]:
                            cyclic.append(comp)
        return order, deps, cyclic

    def _cycle_text(self, comp, units, deps, most=12):
        """One cycle through the component's first unit, found by breadth-first search."""
        members, start = set(comp), comp[-1]
        came = {start: None}
        queue, found = [start], None
        while queue and found is None:
            nxt = []
            for u in queue:
                for w in deps[u]:
                    if w == start:
                        found = u
                        break
                    if w in members and w not in came:
                        came[w] = u
                        nxt.append(w)
                if found is not None:
                    break
            queue = nxt
        path, u = [], found
        while u is not None:
            path.append(u)
            u = came[u]
        path.reverse()                     # start -> ... -> found, and found reads start
        labels = [self.unit_label(units[u]) for u in path] + [self.unit_label(units[start])]
        if len(labels) > most:
            labels = labels[:most - 2] + [f"... ({len(path) - most + 2} more)", labels[-1]]
        return " -> ".join(labels)

    def unit_label(self, unit):
        sheet, c, r0, r1, _, _ = unit
        return f"{sheet}!{a1(r0, c)}" + (f":{a1(r1, c)}" if r1 != r0 else "")

    def label(self, key):
        sheet, r, c = key
        return f"{sheet}!{a1(r, c)}"

    # ------------------------------------------------------------ computing cells
    def run(self):
        units, order, deps, cycles = self.order()
        for key, path in cycles.items():
            self.keep_cached(key, "circular reference: " + path)
        pending = self.pending
        for sheet, c, _, _, _, bounds in units:
            for cc in range(bounds[1], bounds[3] + 1) if bounds else (c,):
                pending[(sheet, cc)] = pending.get((sheet, cc), 0) + 1
        for uid in order:
            sheet, c, r0, r1, _, bounds = units[uid]
            if r0 != r1:
                self.compute_block(units[uid])
            elif (r0, c) not in self.store[sheet]:
                self.compute_stacked((sheet, r0, c))
            for cc in range(bounds[1], bounds[3] + 1) if bounds else (c,):
                pending[(sheet, cc)] -= 1
        self.taint_dependents(units, order, deps)
        return self

    def keep_cached(self, key, reason):
        """The cell keeps the value stored in the file (array ranges: each cell's own)."""
        sheet, r, c = key
        cell = self.formulas[key]
        store = self.store[sheet]
        if cell.array_ref:
            r1, c1, r2, c2 = self.array_bounds(key)
            book_sheet = self.book.sheets[sheet]
            for rr in range(r1, r2 + 1):
                for cc in range(c1, c2 + 1):
                    other = book_sheet.cell(rr, cc)
                    store[(rr, cc)] = other.value if other is not None else None
                    self.uncheckable[(sheet, rr, cc)] = reason
        else:
            store[(r, c)] = cell.value
            self.uncheckable[key] = reason

    def array_bounds(self, key):
        sheet, r, c = key
        try:
            return parse_range(self.formulas[key].array_ref)
        except Exception:
            return r, c, r, c

    def compute_stacked(self, key):
        """Compute key, and whatever it needs first, with an explicit stack (no deep recursion)."""
        stack, pending = [key], {key}
        while stack:
            k = stack[-1]
            sheet, r, c = k
            if self.done(sheet, r, c):
                stack.pop()
                pending.discard(k)
                continue
            try:
                self.compute(k)
            except _NeedFirst as need:
                if need.key in pending:   # cannot happen for a true dependency chain; stop a loop
                    self.keep_cached(need.key, "circular reference: " + self.label(need.key))
                else:
                    stack.append(need.key)
                    pending.add(need.key)
                continue
            stack.pop()
            pending.discard(k)

    def ensure(self, sheet, r, c):
        """Make sure a formula cell (or array member) at sheet!(r, c) has its value in the store."""
        key = (sheet, r, c)
        key = self.members.get(key, key)
        if key not in self.formulas:
            return
        ks, kr, kc = key
        if self.done(ks, kr, kc):
            return
        self.on_demand_cols.add((ks, kc))
        if key in self.computing:     # a cycle only visible while computing (OFFSET, INDEX)
            chain = list(self.computing)
            path = chain[chain.index(key):] + [key]
            text = "circular reference: " + " -> ".join(self.label(k) for k in path)
            for k in path:
                self.uncheckable.setdefault(k, text)
                self.dyn_cyclic[k] = self.uncheckable[k]
            # as with cycles found beforehand: the cells keep their cached values, so what
            # reads them does not depend on where the computation happened to enter the cycle
            self.keep_cached(key, self.dyn_cyclic[key])
            return
        if self.depth >= ON_DEMAND_DEPTH:
            raise _NeedFirst(key)
        self.compute(key)

    def compute(self, key):
        sheet, r, c = key
        cell = self.formulas[key]
        shape = self.shape(key)
        tree, reason = shape.tree, shape.reason
        if shape.volatile:
            self.keep_cached(key, reason)
            return
        saved = (self.sheet, self.row, self.col, self.array_mode)
        self.sheet, self.row, self.col, self.array_mode = sheet, r, c, bool(cell.array_ref)
        self.computing[key] = None
        self.depth += 1
        try:
            if tree is None:
                v = NAME
            else:
                try:
                    v = self.eval(tree)
                except _NeedFirst:
                    raise
                except RecursionError:
                    v, reason = NUM, "formula too deeply nested to compute"
                except Exception as e:  # a bug of ours must not stop the other cells
                    v, reason = VALUE, f"evaluation failed: {type(e).__name__}: {e}"
            if key in self.dyn_cyclic:
                self.keep_cached(key, self.dyn_cyclic[key])
            elif cell.array_ref:
                self.spread(key, v, reason)
            else:
                self.store[sheet][(r, c)] = self.final(v)
                if reason:
                    self.uncheckable[key] = reason
        finally:
            self.depth -= 1
            del self.computing[key]
            self.sheet, self.row, self.col, self.array_mode = saved

    def final(self, v):
        """The value a non-array formula leaves in its cell."""
        t = type(v)
        if t is Range:
            v = self.intersect(v)
            t = type(v)
        if t is Array:
            v = v.rows[0][0] if v.shape == (1, 1) else VALUE
            t = type(v)
        if t is float:
            return v if v - v == 0.0 else NUM
        if v is None or v is MISSING:
            return 0.0
        if t is int:
            return float(v)
        return v

    def intersect(self, rng):
        """Implicit intersection of a reference with the formula's row or column."""
        r1, c1, r2, c2 = rng.r1, rng.c1, rng.r2, rng.c2
        if r1 == r2:
            r = r1
        elif r1 <= self.row <= r2:
            r = self.row
        else:
            return VALUE
        if c1 == c2:
            c = c1
        elif c1 <= self.col <= c2:
            c = self.col
        else:
            return VALUE
        return self.cell_value(rng.sheet, r, c)

    def spread(self, key, v, reason):
        sheet, _, _ = key
        r1, c1, r2, c2 = self.array_bounds(key)
        if type(v) is Range:
            v = self.deref(v, force_array=True)
        a = v if type(v) is Array else Array([[v]])
        ah, aw = a.shape
        store = self.store[sheet]
        for i in range(r2 - r1 + 1):
            ii = 0 if ah == 1 else i
            for j in range(c2 - c1 + 1):
                jj = 0 if aw == 1 else j
                x = a.rows[ii][jj] if ii < ah and jj < aw else NA
                store[(r1 + i, c1 + j)] = self.final(x)
                if reason:
                    self.uncheckable[(sheet, r1 + i, c1 + j)] = reason

    def taint_dependents(self, units, order, deps):
        """A cell computed from an unsupported/unparsable cell is uncheckable too."""
        bad_cells = {k: v for k, v in self.uncheckable.items()
                     if not v.startswith(("volatile", "circular"))}
        if not bad_cells:
            return
        bad = {}
        for uid in order:
            sheet, c, r0, r1, _, _ = units[uid]
            if r0 == r1 and (sheet, r0, c) in bad_cells:
                bad[uid] = f"depends on {self.label((sheet, r0, c))} ({bad_cells[(sheet, r0, c)]})"
                continue
            for d in deps[uid] or ():
                if d in bad:
                    for r in range(r0, r1 + 1):
                        self.uncheckable.setdefault((sheet, r, c), bad[d])
                    bad[uid] = bad[d]
                    break

    # ------------------------------------------------------------ reading cells and ranges
    def block_value(self, sheet, r, c, default=None):
        """The value the vector path computed for sheet!(r, c), or default."""
        got = self.blocks.get((sheet, c))
        if got is not None:
            starts, spans = got
            i = bisect.bisect_right(starts, r) - 1
            if i >= 0:
                r0, r1, vals = spans[i]
                if r <= r1:
                    return vals[r - r0]
        return default

    def done(self, sheet, r, c):
        """Has the cell its final value (a constant, computed, or computed by a block)?"""
        return (r, c) in self.store[sheet] or self.block_value(sheet, r, c, _NOT) is not _NOT

    def value_at(self, sheet, r, c):
        """A cell's value as computed so far (None: blank or not computed)."""
        v = self.store[sheet].get((r, c), _NOT)
        return self.block_value(sheet, r, c) if v is _NOT else v

    def column(self, sheet, c, ra, rb):
        """Values of column c, rows ra..rb, blocks included (no computing); a block's value
        is read before the store's (the same, when a cell was also computed on demand)."""
        get = self.store[sheet].get
        got = self.blocks.get((sheet, c))
        if got is None:
            for r0, r1, vals in self.runs.get(sheet, {}).get(c, ()):   # the reader's column of constants
                if r0 <= ra and rb <= r1:
                    return vals[ra - r0:rb - r0 + 1]
            return list(map(get, zip(range(ra, rb + 1), repeat(c))))
        vals, at = [], ra             # rows before `at` are in vals
        starts, spans = got
        i = max(0, bisect.bisect_right(starts, ra) - 1)
        while i < len(spans) and spans[i][0] <= rb:
            r0, r1, block = spans[i]
            lo, hi = max(r0, ra), min(r1, rb)
            if lo <= hi:
                vals.extend(map(get, zip(range(at, lo), repeat(c))))
                vals.extend(block[lo - r0:hi - r0 + 1])
                at = hi + 1
            i += 1
        vals.extend(map(get, zip(range(at, rb + 1), repeat(c))))
        return vals

    def cell_value(self, sheet, r, c):
        store = self.store[sheet]
        v = store.get((r, c), store)
        if v is store:
            v = self.block_value(sheet, r, c, store)
            if v is store:
                self.ensure(sheet, r, c)
                v = self.value_at(sheet, r, c)
        return v

    def materialize(self, rng):
        sheet, r1, c1, r2, c2 = rng.sheet, rng.r1, rng.c1, rng.r2, rng.c2
        key = (sheet, r1, c1, r2, c2)
        got = self.cached_ranges.get(key)
        if got is not None:
            return got
        if (r2 - r1 + 1) * (c2 - c1 + 1) > MAX_CLIPPED_AREA:
            max_r, max_c = self.dims[sheet]
            r2, c2 = max(r1, min(r2, max_r)), max(c1, min(c2, max_c))
        complete = True
        pending = self.pending
        fcols = self.fcols.get(sheet, ())
        every_done = all(pending.get((sheet, c)) == 0 for c in fcols if c1 <= c <= c2)
        for fk in () if every_done else self.formula_keys_in(sheet, r1, c1, r2, c2):
            ks, kr, kc = fk
            if not self.done(ks, kr, kc):
                self.ensure(ks, kr, kc)
                if not self.done(ks, kr, kc):
                    complete = False    # in a cycle: read as blank, do not cache
        if c1 == c2:
            arr = Array([[v] for v in self.column(sheet, c1, r1, r2)])
        elif any((sheet, c) in self.blocks for c in range(c1, c2 + 1)):
            cols = [self.column(sheet, c, r1, r2) for c in range(c1, c2 + 1)]
            arr = Array([list(row) for row in zip(*cols)])
        else:
            get = self.store[sheet].get
            cols = range(c1, c2 + 1)
            arr = Array([[get((r, c)) for c in cols] for r in range(r1, r2 + 1)])
        if complete:
            if len(self.cached_ranges) > 100_000:
                self.cached_ranges.clear()
            self.cached_ranges[key] = arr
        return arr

    def deref(self, rng, force_array=False):
        if rng.sheet not in self.store:
            return REF
        if not force_array and rng.r1 == rng.r2 and rng.c1 == rng.c2:
            return self.cell_value(rng.sheet, rng.r1, rng.c1)
        return self.materialize(rng)

    # ------------------------------------------------------------ the scalar interpreter
    def value_of(self, v):
        return self.deref(v) if type(v) is Range else v

    def eval_arg(self, node):
        return self.eval(node)

    def operand(self, node):
        t = type(node)
        if t is RelRef and node.cell:       # the common case, without a Range object
            r, c = node.r1 + node.m[0] * self.row, node.c1 + node.m[1] * self.col
            store = self.store.get(node.sheet or self.sheet)
            if store is None or r < 1 or c < 1 or r > MAX_ROW or c > MAX_COL:
                return REF
            v = store.get((r, c), store)
            if v is store:
                v = self.block_value(node.sheet or self.sheet, r, c, store)
                if v is store:
                    self.ensure(node.sheet or self.sheet, r, c)
                    v = self.value_at(node.sheet or self.sheet, r, c)
            return v
        if t is Const:
            return node.value
        v = self.eval(node)
        return self.deref(v) if type(v) is Range else v

    def eval(self, node):
        t = type(node)
        if t is RelRef:
            sheet = node.sheet or self.sheet
            if sheet not in self.store:
                return REF
            r1, c1, r2, c2 = node.at(self.row, self.col)
            if r1 < 1 or c1 < 1 or r2 > MAX_ROW or c2 > MAX_COL:
                return REF
            return Range(sheet, r1, c1, r2, c2)
        if t is Const:
            return node.value
        if t is Binary:
            ops, operands = node.ops, node.operands
            acc = self.operand(operands[0])
            for i, op in enumerate(ops):
                b = self.operand(operands[i + 1])
                if type(acc) is Array or type(b) is Array:
                    acc = broadcast(partial(binary, op), acc, b)
                else:
                    acc = binary(op, acc, b)
            return acc
        if t is Func:
            return self.call(node)
        if t is Ref:
            sheet = node.sheet or self.sheet
            if sheet not in self.store:
                return REF
            return Range(sheet, node.r1, node.c1, node.r2, node.c2)
        if t is Unary:
            v = self.operand(node.operand)
            if node.minus % 2:
                return broadcast(_neg, v)
            return broadcast(to_number, v) if node.minus else v
        if t is Percent:
            return broadcast(_percent, self.operand(node.operand))
        if t is Name:
            return self.name_value(node)
        if t is Missing:
            return MISSING
        if t is ArrayConst:
            return Array([list(row) for row in node.rows])
        if t is RangeOp:
            a, b = self.eval(node.left), self.eval(node.right)
            if type(a) is ExcelError:
                return a
            if type(b) is ExcelError:
                return b
            if type(a) is not Range or type(b) is not Range or a.sheet != b.sheet:
                return VALUE
            return Range(a.sheet, min(a.r1, b.r1), min(a.c1, b.c1), max(a.r2, b.r2), max(a.c2, b.c2))
        return VALUE

    def call(self, node):
        entry = FUNCTIONS.get(node.name)
        if entry is None:
            return NAME
        mode, impl = entry
        if mode == "lazy":
            return impl(self, *node.args)
        args = []
        for a in node.args:
            if type(a) is Missing:
                args.append(MISSING)
                continue
            v = self.eval(a)
            if type(v) is Range and mode != "refs":
                v = self.deref(v, force_array=(mode == "values"))
            args.append(v)
        try:
            return impl(self, *args)
        except TypeError:
            try:
                inspect.signature(impl).bind(self, *args)
            except TypeError:
                return VALUE      # wrong number of arguments
            raise

    def name_value(self, node):
        scope = node.sheet or self.sheet
        text = self.name_text(node.name, scope)
        if text is None:
            return NAME
        key = (scope, node.name)
        if key in self.name_stack:
            return NAME
        try:
            tree = parse(text)
        except FormulaError:
            return VALUE        # e.g. a union "a!A1:B2,a!D1:E2" used as one value
        self.name_stack.add(key)
        saved = self.sheet
        self.sheet = scope if scope in self.store else self.sheet
        try:
            return self.eval(tree)
        finally:
            self.sheet = saved
            self.name_stack.discard(key)

    # ------------------------------------------------------------ the vector interpreter
    def compute_block(self, unit):
        """Compute a block of one shape with NumPy, or cell by cell if that cannot be proven equal."""
        sheet, c, r0, r1, shape, _ = unit
        store = self.store[sheet]
        self.sheet, self.row, self.col, self.array_mode = sheet, r0, c, False
        self.vblock = (sheet, c, r0, r1)
        try:
            with np.errstate(all="ignore"):
                out = self.vec_final(self.vec_eval(shape.tree), r1 - r0 + 1)
        except (_Fallback, _NeedFirst):
            for r in range(r0, r1 + 1):
                self.cell_shape[(sheet, r, c)] = shape
            for r in range(r0, r1 + 1):
                if (r, c) not in store:
                    self.compute_stacked((sheet, r, c))
            return
        # a cell computed earlier on demand keeps its entry in the store, which is read first
        # (and holds the same value: both paths compute alike)
        starts, spans = self.blocks.setdefault((sheet, c), ([], []))
        i = bisect.bisect_left(starts, r0)
        starts.insert(i, r0)
        spans.insert(i, (r0, r1, out))
        self.blocks_vectorized += 1
        self.cells_vectorized += r1 - r0 + 1

    def vec_final(self, v, n):
        if type(v) is _VR:
            if v.data.shape[1:] != (1, 1):
                raise _Fallback
            v = _V("num", v.data[:, 0, 0], None if v.blank is None else v.blank[:, 0, 0])
        if v.kind == "str":
            raise _Fallback
        data = v.data
        if not isinstance(data, np.ndarray) or data.ndim == 0:
            data = np.full(n, data.item() if isinstance(data, np.ndarray) else data,
                           dtype=bool if v.kind == "bool" else float)
        elif data.shape[0] != n:
            data = np.broadcast_to(data, (n,))
        if v.kind == "num":
            _finite(data)
            return (data + 0.0).tolist()        # + 0.0: Excel never shows -0
        return data.astype(bool).tolist()

    def gather(self, sheet, c, ra, rb):
        """Column c, rows ra..rb: (float array, blank mask or None); anything else than a number
        or a blank (text, boolean, error) sends the block down the scalar path."""
        if sheet not in self.store or ra < 1 or rb > MAX_ROW or c < 1 or c > MAX_COL:
            raise _Fallback
        got = self.np_columns.get((sheet, c, ra, rb))
        if got is not None:
            return got
        store = self.store[sheet]
        frows = self.fcols[sheet].get(c)
        complete = True
        if frows and self.pending.get((sheet, c)) != 0:      # 0: every formula of the column is done
            frows = frows[bisect.bisect_left(frows, ra):bisect.bisect_right(frows, rb)]
            if not all(self.done(sheet, r, c) for r in frows):
                for fk in self.formula_keys_in(sheet, ra, c, rb, c):
                    if not self.done(*fk):
                        vb = self.vblock
                        if fk[0] == vb[0] and fk[2] == vb[1] and vb[2] <= fk[1] <= vb[3]:
                            raise _Fallback     # reads its own block (a dynamic reference)
                        self.ensure(*fk)
                complete = all(self.done(sheet, r, c) for r in frows)
        vals = self.column(sheet, c, ra, rb)
        types = set(map(type, vals))
        if types == {float}:
            got = np.array(vals, dtype=float), None
        elif types <= {float, type(None)}:
            blank = np.array([v is None for v in vals])
            got = np.array([0.0 if v is None else v for v in vals], dtype=float), blank
        else:
            raise _Fallback
        if complete and rb - ra >= 64:       # long columns are read by several blocks: keep them
            if len(self.np_columns) > 256:
                self.np_columns.clear()
            self.np_columns[(sheet, c, ra, rb)] = got
        return got

    def np_range(self, sheet, r1, c1, r2, c2):
        """An absolute range as (values (h, w), blank mask or None), read once."""
        key = (sheet, r1, c1, r2, c2)
        got = self.np_ranges.get(key)
        if got is None:
            if sheet not in self.store or r1 < 1 or c1 < 1 or r2 > MAX_ROW or c2 > MAX_COL:
                raise _Fallback
            if (r2 - r1 + 1) * (c2 - c1 + 1) > MAX_CLIPPED_AREA:
                raise _Fallback
            cols = [self.gather(sheet, c, r1, r2) for c in range(c1, c2 + 1)]
            data = np.stack([v for v, _ in cols], axis=1)
            blank = None
            if any(b is not None for _, b in cols):
                blank = np.stack([b if b is not None else np.zeros(r2 - r1 + 1, bool) for _, b in cols], axis=1)
            got = self.np_ranges[key] = (data, blank)
        return got

    def vec_eval(self, node):
        t = type(node)
        if t is RelRef or t is Ref:
            return self.vec_ref(node)
        if t is Const:
            v = node.value
            if type(v) is float:
                return _V("num", v)
            if type(v) is bool:
                return _V("bool", v)
            if type(v) is str:
                return _V("str", v)
            raise _Fallback
        if t is Binary:
            acc = self.vec_eval(node.operands[0])
            for i, op in enumerate(node.ops):
                acc = self.vec_binary(op, acc, self.vec_eval(node.operands[i + 1]))
            return acc
        if t is Unary:
            v = self.vec_eval(node.operand)
            if node.minus == 0:
                return v
            x = self.vec_scalar_num(v)
            return _V("num", 0.0 - x if node.minus % 2 else x)
        if t is Percent:
            return _V("num", self._fin(self.vec_scalar_num(self.vec_eval(node.operand)) / 100.0))
        if t is Func:
            return self.vec_call(node)
        if t is Name:
            scope = node.sheet or self.sheet
            text = self.name_text(node.name, scope)
            if text is None or (scope, node.name) in self.name_stack:
                raise _Fallback
            try:
                tree = parse(text)
            except FormulaError:
                raise _Fallback
            self.name_stack.add((scope, node.name))
            saved, self.sheet = self.sheet, scope if scope in self.store else self.sheet
            try:
                return self.vec_eval(tree)
            finally:
                self.sheet = saved
                self.name_stack.discard((scope, node.name))
        raise _Fallback

    def vec_scalar_num(self, v):
        if type(v) is _VR:
            if v.data.shape[1:] != (1, 1):
                raise _Fallback
            return v.data[:, 0, 0]
        return _num(v)

    def vec_ref(self, node):
        sheet = node.sheet or self.sheet
        _, c, r0, r1 = self.vblock
        if type(node) is Ref:
            a = b = (node.r1, node.c1, node.r2, node.c2)
            m = (0, 0, 0, 0)
        else:
            a, b, m = node.at(r0, c), node.at(r1, c), node.m
        h, w = a[2] - a[0] + 1, a[3] - a[1] + 1
        if (b[2] - b[0] + 1, b[3] - b[1] + 1) != (h, w) or m[0] != m[2]:
            raise _Fallback     # a range that grows down the block ($A$1:A5)
        if m[0] == 0:           # the same cells for every row of the block
            data, blank = self.np_range(sheet, a[0], a[1], a[2], a[3])
            if h == 1 and w == 1:
                return _V("num", float(data[0, 0]), None) if blank is None or not blank[0, 0] \
                    else _V("num", 0.0, True)
            return _VR(data[None], None if blank is None else blank[None])
        n = r1 - r0 + 1
        if h == 1 and w == 1:
            data, blank = self.gather(sheet, a[1], a[0], a[0] + n - 1)
            return _V("num", data, blank)
        if n * h * w > MAX_BLOCK_VALUES:
            raise _Fallback     # a wide window per row (SUM(A1:Z1000) filled down): cell by cell
        datas, blanks = [], []
        for dr in range(h):
            row_d, row_b = [], []
            for cc in range(a[1], a[3] + 1):
                d, bl = self.gather(sheet, cc, a[0] + dr, a[0] + dr + n - 1)
                row_d.append(d)
                row_b.append(bl if bl is not None else np.zeros(n, bool))
            datas.append(np.stack(row_d, axis=1))
            blanks.append(np.stack(row_b, axis=1))
        data = np.stack(datas, axis=1)
        blank = np.stack(blanks, axis=1)
        return _VR(data, blank if blank.any() else None)

    def vec_binary(self, op, a, b):
        if op in ("+", "-", "*", "/", "^"):
            if type(a) is _VR or type(b) is _VR:
                x = a.data if type(a) is _VR else self._col(_num(a))
                y = b.data if type(b) is _VR else self._col(_num(b))
                if (type(a) is _VR and a.data.dtype != float) or (type(b) is _VR and b.data.dtype != float):
                    raise _Fallback
                return _VR(self._arith(op, x, y))
            return _V("num", self._arith(op, _num(a), _num(b)))
        if op == "&":
            raise _Fallback
        if type(a) is _VR or type(b) is _VR:
            raise _Fallback
        # comparisons: numbers (blank = 0) with numbers; a cell with "" (blank = "")
        if a.kind == "str" or b.kind == "str":
            if a.kind == "str" and b.kind == "str":
                raise _Fallback
            s, v = (a, b) if a.kind == "str" else (b, a)
            if s.data != "" or op not in ("=", "<>") or v.kind != "num":
                raise _Fallback
            _finite(v.data)      # an error compared is an error, not FALSE
            is_blank = v.blank if v.blank is not None else (
                np.zeros(len(v.data), bool) if isinstance(v.data, np.ndarray) else False)
            return _V("bool", is_blank if op == "=" else ~is_blank if isinstance(is_blank, np.ndarray)
                      else not is_blank)
        if a.kind != b.kind:
            raise _Fallback     # booleans against numbers: Excel's type order, not their values
        x, y = a.data, b.data
        if a.kind == "num":
            _finite(x)
            _finite(y)
        r = {"=": np.equal, "<>": np.not_equal, "<": np.less, ">": np.greater,
             "<=": np.less_equal, ">=": np.greater_equal}[op](x, y)
        return _V("bool", r if isinstance(r, np.ndarray) else bool(r))

    @staticmethod
    def _col(x):
        return x[:, None, None] if isinstance(x, np.ndarray) else x

    def _fin(self, x):
        """Inside an IF branch a non-finite value may be one IF does not choose: keep it as
        nan/inf and let IF check the chosen values; elsewhere it is an error: step aside."""
        return x if self.lenient else _finite(x)

    def _arith(self, op, x, y):
        if op == "+":
            r = x + y
        elif op == "-":
            r = x - y
        elif op == "*":
            r = x * y
        elif op == "/":
            if not self.lenient and np.any(np.equal(y, 0.0)):
                raise _Fallback
            r = x / y
        else:
            bad = np.equal(x, 0.0) & np.less_equal(y, 0.0)    # 0^0 is #NUM!, 0^-1 is #DIV/0!
            if np.any(bad):
                if not self.lenient:
                    raise _Fallback
                r = np.where(bad, np.nan, _elementwise(_pow, x, y))
            else:
                r = _elementwise(_pow, x, y)
        if not isinstance(r, np.ndarray):
            r = float(r)
        return self._fin(r)

    def vec_call(self, node):
        name, args = node.name, node.args
        n = self.vblock[3] - self.vblock[2] + 1
        if name in ("SQRT", "EXP", "LN", "ABS", "LOG10") and len(args) == 1:
            x = self.vec_scalar_num(self.vec_eval(args[0]))
            f = {"SQRT": np.sqrt, "ABS": np.abs, "EXP": partial(_elementwise, _exp),
                 "LN": partial(_elementwise, _ln), "LOG10": partial(_elementwise, _log10)}[name]
            r = f(x)
            return _V("num", self._fin(r if isinstance(r, np.ndarray) else float(r)))
        if name == "IF" and len(args) in (2, 3):
            cond = self.vec_eval(args[0])
            if type(cond) is not _V or cond.kind == "str":
                raise _Fallback
            cond = _finite(cond.data) != 0 if cond.kind == "num" else cond.data
            self.lenient += 1
            try:
                yes = _V("num", 0.0) if type(args[1]) is Missing else self.vec_eval(args[1])
                no = (_V("bool", False) if len(args) == 2 else
                      _V("num", 0.0) if type(args[2]) is Missing else self.vec_eval(args[2]))
            finally:
                self.lenient -= 1
            if type(yes) is not _V or type(no) is not _V or yes.kind != no.kind or yes.kind == "str":
                raise _Fallback
            out = np.where(cond, yes.data, no.data)
            return _V(yes.kind, self._fin(out) if yes.kind == "num" else out)
        if name == "SUMPRODUCT" and args:
            vals = [self.vec_eval(a) for a in args]
            datas = []
            for v in vals:
                if type(v) is _VR:
                    if v.data.dtype != float:
                        raise _Fallback
                    datas.append(v.data)
                else:
                    if v.kind != "num":
                        raise _Fallback
                    datas.append(np.broadcast_to(np.asarray(v.data, float).reshape(-1, 1, 1), (n, 1, 1))
                                 if isinstance(v.data, np.ndarray) else np.full((1, 1, 1), v.data))
            if len({d.shape[1:] for d in datas}) != 1:
                raise _Fallback      # different shapes: #VALUE!
            prod = datas[0]
            for d in datas[1:]:
                prod = prod * d
            return _V("num", self._sequential_sum(prod, n))
        if name == "SUM" and args:
            total = None
            for a in args:
                if type(a) is Missing:
                    continue
                v = self.vec_eval(a)
                part = self._sequential_sum(v.data, n) if type(v) is _VR else _num(v)
                if type(v) is _V and v.blank is not None:
                    raise _Fallback   # a blank typed as an argument: not worth the special case
                total = part if total is None else total + part
            return _V("num", self._fin(0.0 if total is None else total))
        if name in ("MAX", "MIN") and args:
            parts = []
            for a in args:
                v = self.vec_eval(a)
                if type(v) is _VR:
                    if v.blank is not None:
                        raise _Fallback
                    d = v.data.reshape(v.data.shape[0], -1)
                    parts.append((d.max if name == "MAX" else d.min)(axis=1))
                else:
                    if v.kind != "num" or v.blank is not None:
                        raise _Fallback
                    parts.append(v.data)
            f = np.maximum if name == "MAX" else np.minimum
            r = parts[0]
            for p in parts[1:]:
                r = f(r, p)
            return _V("num", r)
        if name == "MMULT" and len(args) == 2:
            a, b = self.vec_eval(args[0]), self.vec_eval(args[1])
            if type(a) is not _VR or type(b) is not _VR or a.blank is not None or b.blank is not None:
                raise _Fallback       # blanks in MMULT are #VALUE!
            if a.data.shape[1] != 1 or b.data.shape[2] != 1 or a.data.shape[2] != b.data.shape[1]:
                raise _Fallback
            k = a.data.shape[2]
            total = 0.0
            for j in range(k):        # in order, as the cell-by-cell MMULT adds
                total = total + a.data[:, 0, j] * b.data[:, j, 0]
            return _V("num", self._fin(total))
        if name == "INDEX" and len(args) in (2, 3):
            return self.vec_index(args)
        if name == "MATCH" and len(args) in (2, 3):
            return self.vec_match(args)
        if name == "ROW" and not args:
            return _V("num", np.arange(self.vblock[2], self.vblock[3] + 1, dtype=float))
        if name == "COLUMN" and not args:
            return _V("num", float(self.vblock[1]))
        raise _Fallback

    def _sequential_sum(self, data, n):
        """Sum each cell's block left to right, row by row, as SUM and SUMPRODUCT add."""
        flat = data.reshape(data.shape[0], -1)
        total = np.zeros(flat.shape[0])
        for j in range(flat.shape[1]):
            total = total + flat[:, j]
        return self._fin(total)

    def _abs_range(self, node):
        """A reference argument that is the same for every cell: (sheet, r1, c1, r2, c2)."""
        if type(node) is Name:
            scope = node.sheet or self.sheet
            text = self.name_text(node.name, scope)
            try:
                node = parse(text) if text is not None else None
            except FormulaError:
                node = None
            if type(node) is not Ref:
                raise _Fallback
            return (node.sheet or scope, node.r1, node.c1, node.r2, node.c2)
        if type(node) is Ref or (type(node) is RelRef and node.m == (0, 0, 0, 0)):
            return (node.sheet or self.sheet, node.r1, node.c1, node.r2, node.c2)
        raise _Fallback

    def _index_arg(self, node, n):
        """An INDEX/MATCH position per cell as an int array (or int); 0 stays 0."""
        x = self.vec_scalar_num(self.vec_eval(node))
        x = np.asarray(x, float)
        if not np.isfinite(x).all() or (x < 0).any():
            raise _Fallback
        return np.floor(x).astype(np.int64)

    def vec_index(self, args):
        sheet, r1, c1, r2, c2 = self._abs_range(args[0])
        data, blank = self.np_range(sheet, r1, c1, r2, c2)
        h, w = data.shape
        n = self.vblock[3] - self.vblock[2] + 1
        if type(args[1]) is Missing:
            raise _Fallback
        ri = self._index_arg(args[1], n)
        ci = None if len(args) == 2 or type(args[2]) is Missing else self._index_arg(args[2], n)
        if ci is None:
            if h == 1 and w > 1:
                ri, ci = np.ones_like(ri), ri
            elif w == 1:
                ci = np.ones_like(ri)
            else:
                raise _Fallback
        if (ri > h).any() or (ci > w).any():
            raise _Fallback          # #REF!
        ri, ci = np.broadcast_arrays(ri, ci)
        if ri.ndim == 0 and ci.ndim == 0:
            raise _Fallback
        if (ci == 0).all() and (ri > 0).all():          # INDEX(block, row, 0): whole rows
            d = data[ri - 1][:, None, :]
            b = None if blank is None else blank[ri - 1][:, None, :]
            return _VR(d, b if b is not None and b.any() else None)
        if (ri == 0).all() and (ci > 0).all():          # INDEX(block, 0, col): whole columns
            d = data[:, ci - 1].T[:, :, None]
            b = None if blank is None else blank[:, ci - 1].T[:, :, None]
            return _VR(d, b if b is not None and b.any() else None)
        if (ri == 0).any() or (ci == 0).any():
            raise _Fallback
        d = data[ri - 1, ci - 1]
        b = None if blank is None else blank[ri - 1, ci - 1]
        return _V("num", d, b if b is not None and b.any() else None)

    def vec_match(self, args):
        n = self.vblock[3] - self.vblock[2] + 1
        look = self.vec_eval(args[0])
        if type(look) is not _V or look.kind != "num" or look.blank is not None:
            raise _Fallback
        sheet, r1, c1, r2, c2 = self._abs_range(args[1])
        data, blank = self.np_range(sheet, r1, c1, r2, c2)
        if (data.shape[0] != 1 and data.shape[1] != 1) or blank is not None:
            raise _Fallback
        vals = data.ravel()
        mt = 1.0
        if len(args) == 3 and type(args[2]) is not Missing:
            m = self.vec_eval(args[2])
            if type(m) is not _V or m.kind != "num" or isinstance(m.data, np.ndarray):
                raise _Fallback
            mt = m.data
        x = np.asarray(look.data, float)
        if mt == 0:
            first = {}
            for i, v in enumerate(vals.tolist()):
                first.setdefault(v, i + 1)
            pos = np.array([first.get(v, 0) for v in np.atleast_1d(x).tolist()], dtype=float)
        elif mt > 0:
            if len(vals) > 1 and (np.diff(vals) < 0).any():
                raise _Fallback      # unsorted: Excel's binary search, cell by cell
            pos = np.searchsorted(vals, np.atleast_1d(x), side="right").astype(float)
        else:
            raise _Fallback
        if (pos == 0).any():
            raise _Fallback          # #N/A somewhere
        return _V("num", pos if pos.shape[0] == n else float(pos[0]))


def _neg(v):
    x = to_number(v)
    return x if type(x) is ExcelError else 0.0 - x


def _percent(v):
    return arith("/", v, 100.0)


def evaluate(book, vectorize=True, announce=None, own_constants=False):
    """Run an Engine over a Book; returns the finished engine. announce: optional
    callable(number of formula cells), called once they are found, before computing.
    own_constants: the engine's store starts as the reader's dict of constants itself, not a
    copy (800k entries on MovieLens: ~0.1 s), and the computed values are written into it; for a
    caller that reads the book's formula cells afterwards but not its constants dict
    (sheet.cell(r, c) of a formula cell is still its Cell, cached value and all).

    Python's cyclic garbage collector is paused meanwhile: the engine allocates millions of
    small tuples on a large sheet and creates no cycles, and each full collection would
    walk all of them (a third of the time on 1.5 million formula cells)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        eng = Engine(book, vectorize=vectorize, own_constants=own_constants)
        if announce is not None:
            announce(sum(len(rows) for cols in eng.fcols.values() for rows in cols.values()))
        return eng.run()
    finally:
        if was_enabled:
            gc.enable()


def evaluate_text(text, book=None, sheet=None):
    """One formula as an array formula in the top-left cell of `sheet` of `book` (default: empty)."""
    if book is None:
        book = Book(path="<formula>", sheets={"Sheet1": Sheet("Sheet1")})
    if sheet is None:
        sheet = next(iter(book.sheets), "Sheet1")
    tree = parse(text)
    eng = Engine(book)
    if sheet not in eng.store:
        eng.store[sheet] = {}
        eng.fcols[sheet] = {}
        eng.dims[sheet] = (0, 0)
    eng.sheet, eng.row, eng.col, eng.array_mode = sheet, 1, 1, True
    while True:
        try:
            v = eng.eval(tree)
            break
        except _NeedFirst as need:
            eng.compute_stacked(need.key)
    if type(v) is Range:
        v = eng.deref(v)
    if type(v) is Array:
        rows = [[eng.final(x) for x in row] for row in v.rows]
        return rows[0][0] if len(rows) == 1 and len(rows[0]) == 1 else rows
    return eng.final(v)
