"""Planning: the book's formula cells as units, their dependencies, and an order to compute them.

1. Units. Consecutive cells of one column with one shape form a run (a unit computed in one
   go); an array formula is one unit covering its whole range.
2. Dependencies. Each unit's reads (compiler.Compiled.reads: names followed, cells that are
   only located excluded) give the units it needs, through an index of the units of each
   column by rows.
3. Order. Tarjan's strongly connected components, iteratively (chains of thousands of cells
   need no recursion), precedents first. A component of one unit that does not read itself
   is computed as it is. A component of runs that feed each other row by row (graddesc's
   optimizer columns: each row reads the row above) becomes one Recurrence, computed row by
   row with the columns of a row in the order they read each other. Anything else in a cycle
   is split into single cells and ordered again; cells still in a cycle are a circular
   reference (they keep their cached values and are reported by name).
"""
from bisect import bisect_left, bisect_right
from operator import eq

from .refs import MAX_ROW, a1

CHUNK = 1024                   # cells of a filled-down run matched to their shape at once


class Run:
    """Rows r0..r1 of column col of sheet, one shape. cells: their Cells (for their texts)."""
    __slots__ = ("sheet", "col", "r0", "r1", "shape")
    kind = "run"

    def __init__(self, sheet, col, r0, r1, shape):
        self.sheet, self.col, self.r0, self.r1, self.shape = sheet, col, r0, r1, shape

    def label(self):
        return f"{self.sheet}!{a1(self.r0, self.col)}" + (f":{a1(self.r1, self.col)}" if self.r1 != self.r0 else "")

    def cells(self):
        return [(self.sheet, r, self.col) for r in range(self.r0, self.r1 + 1)]

    def __repr__(self):
        return f"Run({self.label()})"


class ArrayUnit:
    """An array formula: its master cell and the range it fills."""
    __slots__ = ("sheet", "col", "r0", "r1", "shape", "bounds")
    kind = "array"

    def __init__(self, sheet, row, col, shape, bounds):
        self.sheet, self.col, self.r0, self.r1, self.shape, self.bounds = sheet, col, row, row, shape, bounds

    def label(self):
        r1, c1, r2, c2 = self.bounds
        return f"{self.sheet}!{a1(r1, c1)}:{a1(r2, c2)}"

    def cells(self):
        return [(self.sheet, self.r0, self.col)]

    def __repr__(self):
        return f"ArrayUnit({self.label()})"


class Recurrence:
    """Runs of one sheet that feed each other row by row, computed row by row: for each row
    from r0 to r1, the runs covering it, in order (each reads only earlier rows, or runs
    earlier in the order on its own row). lazy: units computed when first read (and the rest
    at the end): summary cells that read rows below their own (an epoch's RMSE) and the runs
    that read them (a table of epochs beside the table of steps)."""
    __slots__ = ("sheet", "runs", "r0", "r1", "lazy")
    kind = "recurrence"

    def __init__(self, sheet, runs, lazy=()):
        self.sheet, self.runs, self.lazy = sheet, runs, list(lazy)
        self.r0 = min((u.r0 for u in runs), default=0)
        self.r1 = max((u.r1 for u in runs), default=-1)

    def label(self):
        return ", ".join(u.label() for u in (self.runs + self.lazy)[:3]) + (
            " ..." if len(self.runs) + len(self.lazy) > 3 else "")

    def cells(self):
        return [k for u in self.runs + self.lazy for k in u.cells()]


# ---------------------------------------------------------------- units
def build_units(engine):
    """Every formula cell of the engine's book in a unit: runs and array formulas."""
    units = []
    for sheet, cols in engine.fcols.items():
        for c in sorted(cols):
            rows, cells = cols[c], engine.fcells[sheet][c]
            units.extend(_column_units(engine, sheet, c, rows, cells))
    return units


def _column_units(engine, sheet, c, rows, cells):
    """One column's formula cells as runs and array units. A cell's shape comes from its text's
    key (shapes.py, no parsing once the key is known); a run filled down is recognised many
    cells at a time by writing the shape's text at each row (_filled)."""
    out = []
    run = None                    # [first row, last row, shape]
    n, i = len(rows), 0
    arrays = engine.array_rows.get((sheet, c), ())
    shapes = engine.shapes
    while i < n:
        r, cell = rows[i], cells[i]
        if cell is None:          # a cell of an array range
            i += 1
            continue
        array = bool(cell.array_ref)
        shape = shapes.for_text(cell.formula, sheet, r, c, array)
        if array:
            _close(out, sheet, c, run)
            run = None
            out.append(ArrayUnit(sheet, r, c, shape, engine.array_bounds((sheet, r, c))))
            i += 1
            continue
        if run is not None and r == run[1] + 1 and shape is run[2]:
            run[1] = r
            # two cells in a row of one shape: maybe filled down, try the next ones many at a time
            k = _filled(rows, cells, i + 1, arrays, shape)
            if k:                 # the next k cells are this shape written at their rows
                run[1] = rows[i + k]
            i += k + 1
            continue
        _close(out, sheet, c, run)
        run = [r, r, shape]
        i += 1
    _close(out, sheet, c, run)
    return out


def _close(out, sheet, c, run):
    if run is not None:
        out.append(Run(sheet, c, run[0], run[1], run[2]))


def _filled(rows, cells, i, arrays, shape):
    """How many cells from index i on continue a run of `shape`: consecutive rows, no array
    cell among them, each text the shape's text written at its row. Tried in chunks of growing
    size (8, 16, ... CHUNK), so a run of 29 rows costs about 29 texts and one of 3,000 a dozen
    list comparisons."""
    fill = shape.filler()
    if fill is None or i >= len(rows):
        return 0
    total, k, r = 0, 8, rows[i - 1]
    while i < len(rows):
        k = min(k, len(rows) - i, CHUNK)
        while k > 0 and rows[i + k - 1] - r != k:           # not consecutive rows: shorten (a gap
            k = bisect_right(rows, r + k, i, i + k) - i     # right after row r leaves none)
        if k <= 0:
            break
        if arrays and bisect_right(arrays, r + k) > bisect_left(arrays, r + 1):
            k = bisect_left(arrays, r + 1) - bisect_left(rows, r + 1, i, i + k)
            if k <= 0:
                break
        texts = [cell.formula if cell is not None else None for cell in cells[i:i + k]]
        expected = fill(r + 1, r + k)
        if expected is None:
            break
        same = list(map(eq, texts, expected))
        got = same.index(False) if False in same else k
        total += got
        if got < k:
            break
        i, r, k = i + k, r + k, k * 2
    return total


# ---------------------------------------------------------------- dependencies
class Index:
    """The units of each (sheet, column), as sorted (first row, last row, unit id) intervals."""

    def __init__(self, units, fcols):
        self.fcols = fcols
        by_col = {}
        for uid, u in enumerate(units):
            if u.kind == "array":
                r1, c1, r2, c2 = u.bounds
                for cc in range(c1, c2 + 1):
                    by_col.setdefault((u.sheet, cc), []).append((r1, r2, uid))
            else:
                by_col.setdefault((u.sheet, u.col), []).append((u.r0, u.r1, uid))
        for iv in by_col.values():
            iv.sort()
        self.by_col = by_col

    def hits(self, sheet, r1, c1, r2, c2, out):
        """Add to out the ids of the units with a cell inside the block."""
        by_col = self.by_col
        if c2 - c1 < 64:
            cols = range(c1, c2 + 1)
        else:
            cols = [c for c in self.fcols.get(sheet, ()) if c1 <= c <= c2]
        for cc in cols:
            iv = by_col.get((sheet, cc))
            if iv is None:
                continue
            i = bisect_right(iv, (r2, MAX_ROW + 1, 1 << 60)) - 1
            while i >= 0 and iv[i][1] >= r1:
                out.add(iv[i][2])
                i -= 1


def reads_at(shape, r0, r1, c):
    """(sheet, r1, c1, r2, c2) blocks that the cells r0..r1 of column c of a shape read."""
    for sheet, ref in shape.reads:
        a = ref.at(r0, c)
        if r1 == r0 or ref.wrap:
            yield sheet, a[0], a[1], a[2], a[3]
            continue
        b = ref.at(r1, c)
        yield sheet, min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


def unit_deps(u, index):
    out = set()
    if u.kind == "recurrence":
        for run in u.runs:
            out |= unit_deps(run, index)
        return out
    for sheet, r1, c1, r2, c2 in reads_at(u.shape, u.r0, u.r1, u.col):
        index.hits(sheet, r1, c1, r2, c2, out)
    return out


def components(units, index):
    """Tarjan's strongly connected components, iteratively: (order of unit ids, deps per unit,
    components that are cycles). Components come out precedents first."""
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
        deps[v0] = unit_deps(units[v0], index)
        work = [(v0, iter(deps[v0]))]
        while work:
            v, it = work[-1]
            for w in it:
                if num[w] < 0:
                    num[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack[w] = True
                    deps[w] = unit_deps(units[w], index)
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
                    order.append(comp)
                    if len(comp) > 1 or v in deps[v]:
                        cyclic.append(comp)
    return order, deps, cyclic


# ---------------------------------------------------------------- recurrences
def recurrence(runs):
    """The runs as one Recurrence if computing them row by row is right: every cell of these
    runs that a cell of them reads is on an earlier row, or on the same row in a column that
    can go first. A single cell reading rows below its own (a summary of a block of rows)
    floats: it is computed once the last row it reads is done. None if no such order exists
    (then the cells are ordered one by one)."""
    if any(u.kind != "run" or u.shape.compiled is None or u.shape.dynamic for u in runs):
        return None
    sheet = runs[0].sheet
    if any(u.sheet != sheet for u in runs):
        return None
    by_col = {}
    for u in runs:
        by_col.setdefault(u.col, []).append(u)
    reads = {id(u): list(_scc_reads(u, sheet, by_col)) for u in runs}
    if any(r is None for rs in reads.values() for r in rs):
        return None
    lazy = {id(u) for u in runs if u.r0 == u.r1 and any(
        _max_row(u, ref, v) > u.r0 for ref, v in reads[id(u)])}
    grew = True
    while grew:                                    # what reads a lazy cell on or below its own rows
        grew = False
        for u in runs:
            if id(u) not in lazy and any(id(v) in lazy and _max_row(u, ref, v) >= u.r0
                                         for ref, v in reads[id(u)]):
                lazy.add(id(u))
                grew = True
    rigid = [u for u in runs if id(u) not in lazy]
    same_row = {u.col: set() for u in rigid}
    for u in rigid:
        for ref, v in reads[id(u)]:
            if id(v) in lazy:
                continue                           # computed when read
            how = _rows_read(ref, u, [v])
            if how is None:
                return None
            if how == "same row":
                if v.col == u.col:
                    return None                    # a cell reading itself
                same_row[u.col].add(v.col)
    order = _column_order(same_row)
    if order is None:
        return None
    pos = {c: i for i, c in enumerate(order)}
    return Recurrence(sheet, sorted(rigid, key=lambda u: (pos[u.col], u.r0)),
                      sorted((u for u in runs if id(u) in lazy), key=lambda u: (u.r0, u.col)))


def _scc_reads(u, sheet, by_col):
    """(ref, v) for each run v of the component that a reference of u may read; None for a
    reference that cannot be placed (wrapping names)."""
    for s, ref in u.shape.reads:
        if s != sheet:
            continue
        if ref.wrap:
            yield None
            continue
        ca, _, cb, _ = _cols_read(ref, u.col)
        for c, vs in by_col.items():
            if ca <= c <= cb:
                for v in vs:
                    if _max_row(u, ref, v) >= v.r0 and _min_row(u, ref, v) <= v.r1:
                        yield ref, v


def _rows_of(u, ref):
    """The lowest and highest row ref reads over the rows of u."""
    a, b = ref.at(u.r0, u.col), ref.at(u.r1, u.col)
    return min(a[0], b[0]), max(a[2], b[2])


def _max_row(u, ref, v):
    return min(_rows_of(u, ref)[1], v.r1)


def _min_row(u, ref, v):
    return max(_rows_of(u, ref)[0], v.r0)


def _cols_read(ref, col):
    m = ref.m
    ca, cb = ref.c1 + m[1] * col, ref.c2 + m[3] * col
    return min(ca, cb), None, max(ca, cb), None


def _rows_read(ref, u, others):
    """How the cells of run u read the rows of the runs `others` through ref: "before" (only
    earlier rows), "same row" (earlier rows and their own row), or None (maybe later rows)."""
    m0, m2 = ref.m[0], ref.m[2]
    if m0 == 1 and m2 == 1:                        # rows r+lo .. r+hi
        hi = max(ref.r1, ref.r2)
        return "before" if hi < 0 else "same row" if hi == 0 else None
    if m0 == 0 and m2 == 0:                        # fixed rows a..b, read from every row of u
        a, b = min(ref.r1, ref.r2), max(ref.r1, ref.r2)
        for v in others:
            lo, hi = max(a, v.r0), min(b, v.r1)
            if lo <= hi and hi >= u.r0:
                return None
        return "before"
    # one end fixed (row a), one moving with the row (r + d): B$1:B(r-1), a running total
    a, d = (ref.r1, ref.r2) if m0 == 0 else (ref.r2, ref.r1)
    if a >= u.r0:
        return None
    return "before" if d < 0 else "same row" if d == 0 else None


def _column_order(same_row):
    """Columns ordered so that each comes after the columns it reads on its own row; None if
    they read each other (a cycle within a row)."""
    order, state = [], {}
    for start in same_row:
        if state.get(start) == 2:
            continue
        stack = [(start, iter(sorted(same_row[start])))]
        state[start] = 1
        while stack:
            c, it = stack[-1]
            for d in it:
                if d == c:
                    return None                    # a cell reading itself
                s = state.get(d)
                if s == 1:
                    return None
                if s is None:
                    state[d] = 1
                    stack.append((d, iter(sorted(same_row[d]))))
                    break
            else:
                stack.pop()
                state[c] = 2
                order.append(c)
    return order
