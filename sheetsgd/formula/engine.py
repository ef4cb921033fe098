"""The engine: a Book's formula cells computed in dependency order, the way Excel would.

    engine = Engine(book)           # the book's cells, per sheet
    engine.run()                    # plan (plan.py), then compute every unit in order
    results = engine.results()      # what check, eval and the API read (results.py)

Who does what:
    shapes.py    formula text -> Shape (parsed and compiled once per filled-down formula)
    compiler.py  a shape's tree -> closure fn(row, col)
    plan.py      units (runs, array formulas, recurrences), dependencies, order, cycles
    vector.py    a run computed at once with NumPy, where that provably gives the same numbers
    this file    the cells' values (one Grid per sheet), computing units, on-demand cells
                 (OFFSET, INDIRECT: what they read is known only while computing), and the
                 reasons some cells cannot be checked

A cell in a cycle keeps the value the file caches and is "not checkable: circular reference
..."; so is every cell computed from one (its inputs are not the formulas' own). A volatile
cell (RAND, NOW) keeps its cached value too, but what is computed from it is checked.
"""
import gc
import sys
from bisect import bisect_left
from operator import gt, itemgetter


from .compiler import Compiler, intersect
from .parser import FormulaError
from .ranges import BudgetExceeded, Grid, Range, TooLarge, WorkBudget, _Active
from .ranges import Union as RangeUnion
from .refs import parse_range
from .results import Results
from .shapes import Shapes
from .values import NA, NUM, REF, VALUE, Array, ExcelError, MISSING

ON_DEMAND_DEPTH = 20           # nested on-demand computations before switching to the explicit stack
WORK_BUDGET = 400_000_000      # cell reads and array elements in one evaluation (README: limits)
RECURSION_LIMIT = 20_000       # Python frames while computing (closures of deep formulas call each other)
_MISS = object()


class NeedFirst(Exception):
    """Raised deep inside an on-demand computation: compute `key` first, then retry."""

    def __init__(self, key):
        self.key = key


class Engine:
    def __init__(self, book, vectorize=True, own_constants=False, budget=WORK_BUDGET):
        self.book = book
        self.vectorize = vectorize
        self.date1904 = bool(getattr(book, "date1904", False))
        self.budget = WorkBudget(budget)
        self.fcols = {}          # sheet -> {col: sorted rows of formula cells (array members included)}
        self.fcells = {}         # sheet -> {col: Cells aligned with fcols (None for array members)}
        self.members = {}        # (sheet, row, col) of an array range -> its master's key
        self.array_rows = {}     # (sheet, col) -> sorted rows of array masters
        self.grids = {}
        self.compilers = {}
        self.shapes = Shapes(self)
        self.cell_shape = {}     # (sheet, row, col) -> Shape, of the cells computed one by one
        self.reasons = {}        # (sheet, row, col) -> why the cell cannot be checked
        self.name_memo = {}      # (scope, NAME, array, ref) -> value of a name that reads no position
        self.computing = {}      # keys being computed on demand, in order (a dynamic cycle shows here)
        self.depth = 0
        self.on_demand = set()   # (sheet, col) where a cell was computed out of order
        self.plan = None
        self.cells_vectorized = 0
        self.np_columns = {}     # (sheet, col, first row, last row) -> NumPy column, once final (vector.py)
        self.np_ranges = {}      # (sheet, r1, c1, r2, c2) -> (values, blank mask) of a fixed range
        for name, sheet in book.sheets.items():
            self._add_sheet(name, sheet, own_constants)

    def _add_sheet(self, name, sheet, own_constants):
        split = sheet.split()
        if split is None:
            store, items = {}, sheet.cells.items()
        else:                     # as read: the constants are the store's start, as they are
            store = split[0] if own_constants else dict(split[0])
            items = split[1].items()
        cols = {}                 # col -> ([rows], [cells]) of formula cells and array members
        max_r, max_c = sheet.max_row, sheet.max_col
        members = self.members
        for (r, c), cell in items:
            if r > max_r:
                max_r = r
            if c > max_c:
                max_c = c
            if cell.formula is not None:
                got = cols.get(c)
                if got is None:
                    got = cols[c] = ([], [])
                got[0].append(r)
                got[1].append(cell)
                if cell.array_ref:
                    self.array_rows.setdefault((name, c), []).append(r)
            elif cell.array_master is not None:
                members[(name, r, c)] = (name,) + tuple(cell.array_master)
                got = cols.setdefault(c, ([], []))
                got[0].append(r)
                got[1].append(None)
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
        for rows in self.array_rows.values():
            rows.sort()
        self.grids[name] = Grid(name, store, fcols, self.ensure, self.budget, (max_r, max_c),
                                sheet.const_runs())

    # ------------------------------------------------------------ what compiling asks
    def grid(self, sheet):
        g = self.grids.get(sheet)
        if g is None and sheet is not None:
            for name, grid in self.grids.items():        # sheet names are case-insensitive
                if name.lower() == sheet.lower():
                    return grid
        return g

    def compiler(self, sheet):
        c = self.compilers.get(sheet)
        if c is None:
            c = self.compilers[sheet] = Compiler(self, sheet)
        return c

    def name_text(self, name, sheet):
        s = self.book.sheets.get(sheet)
        text = s.names.get(name) if s is not None else None
        return text if text is not None else self.book.names.get(name)

    def name_scope(self, name, sheet):
        """The sheet whose sheet-scoped name `name` is, None for a workbook-scoped name."""
        s = self.book.sheets.get(sheet)
        return sheet if s is not None and name in s.names else None

    def spill_bounds(self, sheet, r, c):
        """The range an array formula anchored at (r, c) fills, or None."""
        cell = self.formula_cell(sheet, r, c)
        if cell is None or not cell.array_ref:
            return None
        return self.array_bounds((sheet, r, c))

    def reference(self, text, sheet, row, col):
        """A reference written as text, as INDIRECT reads it: a Range or #REF!."""
        from .parser import Name, Ref, parse
        from .trees import relative
        try:
            tree = parse(text)
        except FormulaError:
            return REF
        if type(tree) is Name:
            target = self.name_text(tree.name, tree.sheet or sheet)
            if target is None:
                return REF
            try:
                tree = parse(target)
            except FormulaError:
                return REF
        if type(tree) is not Ref or tree.book is not None or tree.sheet2 is not None:
            return REF
        g = self.grid(tree.sheet or sheet)
        if g is None:
            return REF
        rel = relative(tree, row, col)
        return Range(g, *rel.at(row, col))

    def formula_cell(self, sheet, r, c):
        rows = self.fcols.get(sheet, {}).get(c)
        if not rows:
            return None
        i = bisect_left(rows, r)
        if i < len(rows) and rows[i] == r:
            return self.fcells[sheet][c][i]
        return None

    def array_bounds(self, key):
        sheet, r, c = key
        try:
            return parse_range(self.formula_cell(sheet, r, c).array_ref)
        except Exception:
            return r, c, r, c

    def shape(self, key):
        got = self.cell_shape.get(key)
        if got is None:
            sheet, r, c = key
            cell = self.formula_cell(sheet, r, c)
            got = self.cell_shape[key] = self.shapes.for_text(cell.formula, sheet, r, c, bool(cell.array_ref))
        return got

    # ------------------------------------------------------------ running
    def run(self):
        """Compute every formula cell."""
        from .runner import Runner
        with _computing(self.budget):
            if self.plan is None:
                self.plan = plan_book(self)
            Runner(self).run_all()
        return self

    def results(self):
        return Results(self)

    def set_input(self, sheet, r, c, value):
        """An input changed (a what-if: formula/incremental.py): the value in the store (None:
        blank) and not in the reader's column of constants that held the old one (Grid.runs, the
        book's own: copied, not changed). What it reaches is the caller's to forget."""
        grid = self.grids[sheet]
        if value is None:
            grid.store.pop((r, c), None)
        else:
            grid.store[(r, c)] = float(value) if type(value) is int else value
        runs = grid.runs.get(c)
        if runs and any(a <= r <= b for a, b, _ in runs):
            grid.runs = dict(grid.runs)
            grid.runs[c] = [run for run in runs if not run[0] <= r <= run[1]]

    def values_changed(self):
        """After values in the grids changed (a what-if change: formula/incremental.py), every
        cache derived from them is dropped and rebuilt when next asked: each grid's occupied
        index, float columns and verified rows, the vector path's columns and ranges, and the
        values of defined names."""
        for grid in self.grids.values():
            grid.forget()
        self.np_columns.clear()
        self.np_ranges.clear()
        self.name_memo.clear()

    def ensure(self, sheet, r, c):
        """Make sure a formula cell (or array member) at sheet!(r, c) has its value."""
        key = (sheet, r, c)
        key = self.members.get(key, key)
        ks, kr, kc = key
        if (kr, kc) in self.grids[ks].store:
            return
        if self.formula_cell(ks, kr, kc) is None:
            return
        self.on_demand.add((ks, kc))
        if key in self.computing:     # a cycle only visible while computing (OFFSET, INDIRECT)
            chain = list(self.computing)
            path = chain[chain.index(key):] + [key]
            text = "circular reference: " + " -> ".join(_label(k) for k in path)
            for k in path:
                self.reasons.setdefault(k, text)
            self.keep_cached(key, text)
            return
        if self.depth >= ON_DEMAND_DEPTH:
            raise NeedFirst(key)
        self.compute_cell(key)

    def compute_stacked(self, key):
        """Compute key, and whatever it needs first, with an explicit stack (no deep recursion)."""
        stack, pending = [key], {key}
        while stack:
            k = stack[-1]
            sheet, r, c = k
            if (r, c) in self.grids[sheet].store:
                stack.pop()
                pending.discard(k)
                continue
            try:
                self.compute_cell(k)
            except NeedFirst as need:
                if need.key in pending:   # cannot happen for a true dependency chain; stop a loop
                    self.keep_cached(need.key, "circular reference: " + _label(need.key))
                else:
                    stack.append(need.key)
                    pending.add(need.key)
                continue
            stack.pop()
            pending.discard(k)

    def compute_cell(self, key):
        """One formula cell (an array formula: its whole range), by its shape's closure."""
        sheet, r, c = key
        shape = self.shape(key)
        if shape.volatile or shape.compiled is None:
            if shape.volatile:
                self.keep_cached(key, shape.reason)
            else:
                self.store_value(key, shape, ExcelError("#NAME?"), shape.reason)
            return
        self.computing[key] = None
        self.depth += 1
        try:
            try:
                v = shape.compiled.fn(r, c)
                why = shape.reason
            except NeedFirst:
                raise
            except (BudgetExceeded, KeyboardInterrupt, MemoryError):
                raise
            except TooLarge as e:
                v, why = NUM, f"too large to compute: {e}"
            except RecursionError:
                v, why = NUM, "formula too deeply nested to compute"
            except Exception as e:  # a bug of ours must not stop the other cells
                v, why = VALUE, f"evaluation failed: {type(e).__name__}: {e}"
            if key in self.reasons and self.reasons[key].startswith("circular"):
                self.keep_cached(key, self.reasons[key])
            else:
                self.store_value(key, shape, v, why)
        finally:
            self.depth -= 1
            del self.computing[key]

    def store_value(self, key, shape, v, why):
        sheet, r, c = key
        if shape.array:
            self.spread(key, v, why)
            return
        self.grids[sheet].store[(r, c)] = final(v, r, c)
        if why:
            self.reasons[key] = why

    def spread(self, key, v, why):
        """An array formula's result over its range: a smaller result leaves #N/A, a single
        row or column repeats."""
        sheet = key[0]
        r1, c1, r2, c2 = self.array_bounds(key)
        if type(v) is Range:
            v = v.array()
        a = v if type(v) is Array else Array([[v]])
        ah, aw = a.shape
        store = self.grids[sheet].store
        for i in range(r2 - r1 + 1):
            ii = 0 if ah == 1 else i
            for j in range(c2 - c1 + 1):
                jj = 0 if aw == 1 else j
                x = a.rows[ii][jj] if ii < ah and jj < aw else NA
                store[(r1 + i, c1 + j)] = final(x, r1 + i, c1 + j)
                if why:
                    self.reasons[(sheet, r1 + i, c1 + j)] = why

    def keep_cached(self, key, reason):
        """The cell keeps the value stored in the file (array ranges: each cell's own)."""
        sheet, r, c = key
        cell = self.formula_cell(sheet, r, c)
        store = self.grids[sheet].store
        book_sheet = self.book.sheets[sheet]
        if cell is not None and cell.array_ref:
            r1, c1, r2, c2 = self.array_bounds(key)
            for rr in range(r1, r2 + 1):
                for cc in range(c1, c2 + 1):
                    other = book_sheet.cell(rr, cc)
                    store[(rr, cc)] = other.value if other is not None else None
                    self.reasons[(sheet, rr, cc)] = reason
        else:
            store[(r, c)] = cell.value if cell is not None else None
            self.reasons[key] = reason


def final(v, r, c):
    """The value a plain formula in (r, c) leaves in its cell: a reference gives the cell on the
    formula's row or column, an array its first value; never a blank (0), never inf or NaN
    (#NUM!)."""
    t = type(v)
    if t is float:
        return v if v - v == 0.0 else NUM
    if t is Range or t is Array or t is RangeUnion:
        v = intersect(v, r, c)
        t = type(v)
        if t is float:
            return v if v - v == 0.0 else NUM
    if v is None or v is MISSING:
        return 0.0
    if t is int:
        return float(v)
    return v


def _label(key):
    from .refs import a1
    sheet, r, c = key
    return f"{sheet}!{a1(r, c)}"


class _computing:
    """While computing: Python's cyclic garbage collector paused (millions of small objects, no
    cycles: each full collection would walk them all), a recursion limit for deep formulas, and
    the work budget arrays are charged to."""

    def __init__(self, budget=None):
        self.budget = budget

    def __enter__(self):
        self.outer, _Active.budget = _Active.budget, self.budget
        self.gc = gc.isenabled()
        gc.disable()
        self.limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(self.limit, RECURSION_LIMIT))

    def __exit__(self, *exc):
        _Active.budget = self.outer
        sys.setrecursionlimit(self.limit)
        if self.gc:
            gc.enable()


def plan_book(engine):
    from .runner import make_plan
    return make_plan(engine)


def evaluate(book, vectorize=True, announce=None, own_constants=False):
    """Run an Engine over a Book; returns the finished engine. announce: optional
    callable(number of formula cells), called once they are found, before computing."""
    eng = Engine(book, vectorize=vectorize, own_constants=own_constants)
    if announce is not None:
        announce(sum(len(rows) for cols in eng.fcols.values() for rows in cols.values()))
    return eng.run()


def evaluate_text(text, book=None, sheet=None):
    """One formula as an array formula in the top-left cell of `sheet` of `book` (default: empty)."""
    from .book import Book, Sheet
    from .parser import parse
    if book is None:
        book = Book(path="<formula>", sheets={"Sheet1": Sheet("Sheet1")})
    if sheet is None:
        sheet = next(iter(book.sheets), "Sheet1")
    tree = parse(text)
    eng = Engine(book)
    if sheet not in eng.grids:
        eng._add_sheet(sheet, Sheet(sheet), False)
    with _computing(eng.budget):
        eng.plan = plan_book(eng)
        from .runner import Runner
        Runner(eng).run_all()
        compiled = eng.compiler(sheet).compile_cell(tree, 1, 1, True)
        while True:
            try:
                v = compiled.fn(1, 1)
                break
            except NeedFirst as need:
                eng.compute_stacked(need.key)
    if type(v) is Array:
        rows = [[final(x, 1, 1) for x in row] for row in v.rows]
        return rows[0][0] if len(rows) == 1 and len(rows[0]) == 1 else rows
    return final(v, 1, 1)
