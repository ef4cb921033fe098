"""References while a formula is computed: a Range costs what its cells hold, not what it spans.

A Grid is one sheet as the engine sees it: its values so far ({(row, col): value}: the
constants, then each formula's value once computed) and, per column, the rows of the cells
that hold something (constants and formula cells: the same set from start to end). A Range
is a reference into a Grid. It answers the questions functions ask (formula/values.py's
Array answers the same ones):

    shape, size         (rows, columns) and their product: A:A is (1048576, 1)
    get(i, j)           one value, 0-based within the range (None: blank)
    values(), cells()   the non-blank values, row by row (with their (i, j)): SUM(A:A) reads
                        only the cells the column holds
    count_nonblank()    how many hold something
    array()             every value as an Array, blanks included: the one call that costs what
                        the range spans, so it is charged to the work budget and refused past
                        MAX_ARRAY_CELLS

Formula cells inside a range are computed on demand before they are read (the engine's
ensure), so reading a range never sees a formula cell without its value.
"""
from bisect import bisect_left, bisect_right

from ..errors import SheetsgdError
from .values import Array, ExcelError

MAX_ARRAY_CELLS = 4_000_000     # cells of one range or array held as an Array (~300 MB)
SMALL = 256                     # ranges up to this many cells are read cell by cell
_MISS = object()


class BudgetExceeded(SheetsgdError):
    """The evaluation touched more cells than its work budget allows (see WorkBudget): the
    file is refused, with one line naming the limit."""


class WorkBudget:
    """Cells read through ranges and array elements made, counted over one evaluation.

    Past `limit` the evaluation stops with BudgetExceeded: a file may be small and still ask
    for 10^12 cell reads (SUM(A1:A1000000*A1:XFD1))."""
    __slots__ = ("limit", "used")

    def __init__(self, limit):
        self.limit, self.used = limit, 0

    def charge(self, n):
        self.used += n
        if self.used > self.limit:
            raise BudgetExceeded(f"refused: computing it takes more than {self.limit:,} cell reads "
                                 f"and array elements (the work budget of one evaluation)")


class TooLarge(Exception):
    """An array of more than MAX_ARRAY_CELLS cells was asked for."""


class _Active:
    """The budget of the evaluation running now (one at a time), for code that makes arrays
    without an engine at hand (operators applied element by element, MMULT)."""
    budget = None


def charge(n):
    """Charge n steps of work (products a matrix multiplication adds) to the running evaluation."""
    if _Active.budget is not None:
        _Active.budget.charge(n)


def new_array(h, w):
    """Account for an h x w array about to be made: TooLarge past MAX_ARRAY_CELLS, and charged
    to the running evaluation's work budget."""
    n = h * w
    if n > MAX_ARRAY_CELLS:
        raise TooLarge(f"an array of {n:,} cells (more than {MAX_ARRAY_CELLS:,})")
    if _Active.budget is not None:
        _Active.budget.charge(n)


class Grid:
    """One sheet: values so far, formula cells not computed yet, and the occupied rows per column."""

    def __init__(self, name, store, formula_cols, ensure, budget, dims, runs=None):
        self.name = name
        self.runs = runs or {}            # {col: [[first row, last row, values]]}: constants as the
                                          # reader found them in columns (read without the dict)
        self.store = store                # {(row, col): value}
        self.formula_cols = formula_cols  # {col: sorted rows of formula cells (array members included)}
        self.ensure = ensure              # ensure(sheet, row, col): compute a formula cell now
        self.budget = budget
        self.max_row, self.max_col = dims
        self.pending = {}                 # col -> steps computing cells of the column not run yet
                                          # (a column not listed: not known, so checked)
        self.verified = {}                # col -> row up to which every formula cell has its value
        self._occupied = None             # (sorted columns, {col: sorted rows})
        self._floats = {}                 # col -> (first row, [floats of rows first..]): see floats()

    # -- one cell
    def value(self, r, c):
        v = self.store.get((r, c), _MISS)
        if v is _MISS:
            rows = self.formula_cols.get(c)
            if rows is None or not _contains(rows, r):
                return None
            self.ensure(self.name, r, c)
            v = self.store.get((r, c))
        return v

    # -- what the sheet holds
    def occupied(self):
        if self._occupied is None:
            cols = {}
            for r, c in self.store:            # constants (and values computed so far)
                cols.setdefault(c, []).append(r)
            for c, rows in self.formula_cols.items():
                cols.setdefault(c, []).extend(rows)
            for c in cols:
                cols[c] = sorted(set(cols[c]))
            self._occupied = (sorted(cols), cols)
        return self._occupied

    def forget(self):
        """After a cell changed (a what-if change): what was derived from the values is rebuilt
        when next asked."""
        self._occupied = None
        self._floats = {}
        self.verified = {}

    def column(self, c, r1, r2):
        """The values of column c, rows r1..r2 (blank None), from a run of constants when one
        covers them, else from the store."""
        for a, b, vals in self.runs.get(c, ()):
            if a <= r1 and r2 <= b:
                return vals[r1 - a:r2 - a + 1]
        get = self.store.get
        return list(map(get, [(r, c) for r in range(r1, r2 + 1)]))

    def floats(self, c, r1, r2):
        """The values of column c, rows r1..r2, when every one of them is a number (a FloatList),
        else None. Kept per column and extended as rows are asked for, so a growing range read
        row after row (a running total: SUM($B$1:B5), SUM($B$1:B6), ...) costs a slice each."""
        got = self._floats.get(c)
        if got is None or r1 < got[0]:
            got = self._floats[c] = (r1, FloatList())
        start, vals = got
        end = start + len(vals) - 1
        if r2 > end:
            get = self.store.get
            more = [get((r, c)) for r in range(end + 1, r2 + 1)]
            if any(type(v) is not float for v in more):
                return None
            vals.extend(more)
        return FloatList(vals[r1 - start:r2 - start + 1])

    def ready(self, r1, c1, r2, c2):
        """Compute the formula cells inside the block that have no value yet (only columns with
        steps still to run can have such cells: pending, kept by the runner)."""
        pending, fcols = self.pending, self.formula_cols
        near = range(c1, c2 + 1) if c2 - c1 < len(fcols) else [c for c in fcols if c1 <= c <= c2]
        cols = [c for c in near if pending.get(c, 1) and c in fcols]
        store, verified = self.store, self.verified
        for c in cols:
            rows = fcols[c]
            done = verified.get(c, 0)
            start = max(r1, done + 1)             # rows up to `done` were found computed before
            for r in rows[bisect_left(rows, start):bisect_right(rows, r2)]:
                if (r, c) not in store:
                    self.ensure(self.name, r, c)
            if start <= done + 1 and r2 > done:   # what was scanned joins what was verified
                verified[c] = r2


class FloatList(list):
    """A list known to hold only floats (Range.values() of a column of numbers)."""
    __slots__ = ()


def _contains(rows, r):
    i = bisect_left(rows, r)
    return i < len(rows) and rows[i] == r


class Range:
    """A reference to the block r1..r2 x c1..c2 (1-based, inclusive) of a Grid."""
    __slots__ = ("grid", "r1", "c1", "r2", "c2")

    def __init__(self, grid, r1, c1, r2, c2):
        self.grid, self.r1, self.c1, self.r2, self.c2 = grid, r1, c1, r2, c2

    @property
    def sheet(self):
        return self.grid.name

    @property
    def shape(self):
        return self.r2 - self.r1 + 1, self.c2 - self.c1 + 1

    @property
    def size(self):
        return (self.r2 - self.r1 + 1) * (self.c2 - self.c1 + 1)

    def __repr__(self):
        return f"Range({self.sheet!r}, {self.r1}, {self.c1}, {self.r2}, {self.c2})"

    def get(self, i, j):
        return self.grid.value(self.r1 + i, self.c1 + j)

    def first(self):
        return self.grid.value(self.r1, self.c1)

    def _keys(self):
        """(row, col) of the occupied cells inside, row by row."""
        g = self.grid
        g.ready(self.r1, self.c1, self.r2, self.c2)
        r1, c1, r2, c2 = self.r1, self.c1, self.r2, self.c2
        if (r2 - r1 + 1) * (c2 - c1 + 1) <= SMALL:        # cheaper to look at every cell
            g.budget.charge((r2 - r1 + 1) * (c2 - c1 + 1))
            return [(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]
        cols, rows_of = g.occupied()
        keys = []
        for c in cols[bisect_left(cols, c1):bisect_right(cols, c2)]:
            rows = rows_of[c]
            keys.extend((r, c) for r in rows[bisect_left(rows, r1):bisect_right(rows, r2)])
        if c2 > c1:
            keys.sort()
        g.budget.charge(len(keys) + 1)
        return keys

    def cells(self):
        """(i, j, value) of every non-blank cell, row by row."""
        get, r1, c1 = self.grid.store.get, self.r1, self.c1
        out = []
        for r, c in self._keys():
            v = get((r, c))
            if v is not None:
                out.append((r - r1, c - c1, v))
        return out

    def values(self):
        """The non-blank values, row by row."""
        if self.c1 == self.c2 and self.r2 - self.r1 >= SMALL:     # a long column: maybe all numbers
            self.grid.ready(self.r1, self.c1, self.r2, self.c2)
            got = self.grid.floats(self.c1, self.r1, self.r2)
            if got is not None:
                self.grid.budget.charge(len(got))
                return got
        get = self.grid.store.get
        return [v for v in map(get, self._keys()) if v is not None]

    def count_nonblank(self):
        return len(self.values())

    def clipped_shape(self):
        """(rows, columns) of the part of the range inside its sheet's used area: beyond it
        every cell is blank."""
        g = self.grid
        h = max(0, min(self.r2, g.max_row) - self.r1 + 1)
        w = max(0, min(self.c2, g.max_col) - self.c1 + 1)
        return h, w

    def flat(self, h, w):
        """The values of the top-left h x w cells, row by row, blanks (None) included."""
        g = self.grid
        g.budget.charge(h * w)
        g.ready(self.r1, self.c1, self.r1 + h - 1, self.c1 + w - 1)
        get = g.store.get
        if w == 1:
            c = self.c1
            return list(map(get, [(r, c) for r in range(self.r1, self.r1 + h)]))
        cols = range(self.c1, self.c1 + w)
        return [get((r, c)) for r in range(self.r1, self.r1 + h) for c in cols]

    def array(self):
        """Every value, blanks included, as an Array."""
        h, w = self.shape
        new_array(h, w)
        g = self.grid
        g.ready(self.r1, self.c1, self.r2, self.c2)
        get = g.store.get
        cols = range(self.c1, self.c2 + 1)
        return Array([[get((r, c)) for c in cols] for r in range(self.r1, self.r2 + 1)])


class Union:
    """Several references as one argument: (A1:B2,D1:D5), or a name defined as a union."""
    __slots__ = ("areas",)

    def __init__(self, areas):
        self.areas = areas

    def values(self):
        return [v for a in self.areas for v in a.values()]

    def cells(self):
        raise TypeError("a union has no single shape")

    def count_nonblank(self):
        return sum(a.count_nonblank() for a in self.areas)

    @property
    def size(self):
        return sum(a.size for a in self.areas)


def is_reference(v):
    t = type(v)
    return t is Range or t is Union


def error_in(values):
    """The first error among values, or None."""
    for v in values:
        if type(v) is ExcelError:
            return v
    return None
