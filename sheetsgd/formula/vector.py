"""A run of one shape computed at once with NumPy, where that provably gives the same numbers.

compute_run(engine, run) evaluates the run's relative tree once for all its rows: a cell
reference becomes a column of n values, a fixed range one block shared by every row, a
per-row range an (n, h, w) stack. Arithmetic is NumPy's (exact, as Python's float
arithmetic is); pow/exp/log call the C library element by element (vectorize.py); sums add
in the order the cell path adds. Whatever the vector path cannot prove (text or an error
on the way, a blank where it matters, a function without a vector form) raises Fallback and
the run goes cell by cell: the answer never depends on which path ran.

Functions take part through their registry entry's vector form: vector(vx, arg_nodes),
with vx the VectorRun below (eval, scalar_num, fin, lenient, abs_range, np_range, ...).
"""
from bisect import bisect_left, bisect_right

import numpy as np

from .functions.registry import lookup
from .parser import Binary, Const, Func, Name, Percent, Unary
from .refs import MAX_COL, MAX_ROW
from .trees import RelRef
from .vectorize import V, VR, Fallback, c_pow, each, finite, num

MAX_BLOCK_VALUES = 4_000_000   # values a run may read through per-row ranges (memory bound)
_ALLOWED = (Const, RelRef, Binary, Unary, Percent, Func, Name)


def vectorizable(engine, shape):
    """Can a run of this shape try the NumPy path? (Known once per shape.)"""
    if shape.vector is None:
        shape.vector = (shape.compiled is not None and not shape.reason and not shape.dynamic
                        and not shape.array and _nodes_ok(engine, shape.tree))
    return shape.vector


def _nodes_ok(engine, tree):
    stack = [tree]
    while stack:
        n = stack.pop()
        t = type(n)
        if t not in _ALLOWED:
            return False
        if t is Func:
            f = lookup(n.name)
            if f is None or f.vector is None:
                return False
        if t is RelRef and (n.wrap or n.book is not None or n.sheet2 is not None):
            return False
        stack.extend(n.children())
    return True


def compute_run(engine, run):
    """Compute the run with NumPy and store its values; False (nothing stored) to go cell by cell."""
    if not vectorizable(engine, run.shape):
        return False
    vx = VectorRun(engine, run)
    try:
        with np.errstate(all="ignore"):
            out = vx.final(vx.eval(run.shape.tree))
    except Fallback:
        return False
    store = engine.grids[run.sheet].store
    c = run.col
    store.update(zip([(r, c) for r in range(run.r0, run.r1 + 1)], out))
    engine.cells_vectorized += len(out)
    if vx.numbers is not None and run.r1 - run.r0 >= 64:     # read again by the next runs: keep it
        engine.np_columns[(run.sheet, c, run.r0, run.r1)] = (vx.numbers, None)
    return True


class VectorRun:
    """The NumPy evaluation of one run's tree."""

    def __init__(self, engine, run):
        self.engine = engine
        self.sheet, self.col, self.r0, self.r1 = run.sheet, run.col, run.r0, run.r1
        self.n = run.r1 - run.r0 + 1
        self.lenient = 0          # > 0 inside IF branches (see fin)
        self.numbers = None       # the run's values as a NumPy array, when they are numbers

    # ------------------------------------------------------------ nodes
    def eval(self, node, array=False):
        """node's values for every row. array: as an argument that takes arrays (SUMPRODUCT's)
        computes it; otherwise a multi-cell reference would be intersected with each row's
        cell (the cell path does that): Fallback."""
        t = type(node)
        if t is RelRef:
            return self.ref(node, array)
        if t is Const:
            v = node.value
            if type(v) is float:
                return V("num", v)
            if type(v) is bool:
                return V("bool", v)
            if type(v) is str:
                return V("str", v)
            raise Fallback
        if t is Binary:
            acc = self.eval(node.operands[0], array)
            for i, op in enumerate(node.ops):
                acc = self.binary(op, acc, self.eval(node.operands[i + 1], array))
            return acc
        if t is Unary:
            v = self.eval(node.operand)
            if node.minus == 0:
                return v
            x = self.scalar_num(v)
            return V("num", 0.0 - x if node.minus % 2 else x)
        if t is Percent:
            return V("num", self.fin(self.scalar_num(self.eval(node.operand)) / 100.0))
        if t is Func:
            return lookup(node.name).vector(self, node.args)
        if t is Name:
            return self.eval(self.name_tree(node), array)
        raise Fallback

    def name_tree(self, node):
        """A defined name's formula as a tree (absolute references only: else Fallback)."""
        from .parser import FormulaError, parse
        from .trees import relative
        eng = self.engine
        scope = node.sheet or self.sheet
        text = eng.name_text(node.name, scope)
        if text is None or node.book is not None:
            raise Fallback
        try:
            tree = relative(parse(text), 1, 1, wrap=True)
        except FormulaError:
            raise Fallback
        home = eng.name_scope(node.name, scope) or self.sheet
        stack = [tree]
        while stack:
            n = stack.pop()
            if type(n) is RelRef:
                if not n.fixed:
                    raise Fallback
                if n.sheet is None:
                    n.sheet = home
            elif type(n) is Name:
                raise Fallback                    # names in names: cell by cell
            stack.extend(n.children())
        return tree

    def scalar_num(self, v):
        if type(v) is VR:
            if v.data.shape[1:] != (1, 1):
                raise Fallback
            return v.data[:, 0, 0]
        return num(v)

    def fin(self, x):
        """Inside an IF branch a non-finite value may be one IF does not choose: keep it and let
        IF check the chosen values; elsewhere it is an error: step aside."""
        return x if self.lenient else finite(x)

    def final(self, v):
        """The run's values as Python floats/bools, one per row."""
        n = self.n
        if type(v) is VR:
            if v.data.shape[1:] != (1, 1):
                raise Fallback
            v = V("num", v.data[:, 0, 0], None if v.blank is None else v.blank[:, 0, 0])
        if v.kind == "str":
            raise Fallback
        data = v.data
        if not isinstance(data, np.ndarray) or data.ndim == 0:
            data = np.full(n, data.item() if isinstance(data, np.ndarray) else data,
                           dtype=bool if v.kind == "bool" else float)
        elif data.shape[0] != n:
            data = np.broadcast_to(data, (n,))
        if v.kind == "num":
            finite(data)
            self.numbers = data + 0.0            # + 0.0: Excel never shows -0
            return self.numbers.tolist()
        return data.astype(bool).tolist()

    # ------------------------------------------------------------ references
    def ref(self, node, array=False):
        sheet = node.sheet or self.sheet
        if node.book is not None or node.sheet2 is not None or node.wrap:
            raise Fallback
        a, b, m = node.at(self.r0, self.col), node.at(self.r1, self.col), node.m
        h, w = a[2] - a[0] + 1, a[3] - a[1] + 1
        if (b[2] - b[0] + 1, b[3] - b[1] + 1) != (h, w) or m[0] != m[2]:
            raise Fallback     # a range that grows down the run ($A$1:A5)
        if h * w > 1 and not array:
            raise Fallback     # where one value is wanted: intersected, cell by cell
        if m[0] == 0:           # the same cells for every row of the run
            data, blank = self.np_range(sheet, a[0], a[1], a[2], a[3])
            if h == 1 and w == 1:
                return V("num", float(data[0, 0]), None) if blank is None or not blank[0, 0] \
                    else V("num", 0.0, True)
            return VR(data[None], None if blank is None else blank[None])
        n = self.n
        if h == 1 and w == 1:
            data, blank = self.gather(sheet, a[1], a[0], a[0] + n - 1)
            return V("num", data, blank)
        if n * h * w > MAX_BLOCK_VALUES:
            raise Fallback     # a wide window per row (SUM(A1:Z1000) filled down): cell by cell
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
        return VR(data, blank if blank.any() else None)

    def gather(self, sheet, c, ra, rb):
        """Column c, rows ra..rb: (float array, blank mask or None); anything but a number or a
        blank (text, TRUE/FALSE, an error) sends the run down the cell path."""
        eng = self.engine
        grid = eng.grid(sheet)
        if grid is None or ra < 1 or rb > MAX_ROW or c < 1 or c > MAX_COL:
            raise Fallback
        key = (grid.name, c, ra, rb)
        got = eng.np_columns.get(key)
        if got is not None:
            return got
        store = grid.store
        frows = grid.formula_cols.get(c)
        complete = True
        if frows and grid.pending.get(c, 1):
            frows = frows[bisect_left(frows, ra):bisect_right(frows, rb)]
            missing = [r for r in frows if (r, c) not in store]
            if missing:
                if grid.name == self.sheet and c == self.col and self.r0 <= max(missing) and min(missing) <= self.r1:
                    raise Fallback           # reads its own run (a dynamic reference)
                for r in missing:
                    eng.ensure(grid.name, r, c)
                complete = all((r, c) in store for r in frows)
        vals = grid.column(c, ra, rb)
        types = set(map(type, vals))
        if types == {float}:
            got = np.array(vals, dtype=float), None
        elif types <= {float, type(None)}:
            blank = np.array([v is None for v in vals])
            got = np.array([0.0 if v is None else v for v in vals], dtype=float), blank
        else:
            raise Fallback
        if complete and rb - ra >= 64:       # long columns are read by several runs: keep them
            if len(eng.np_columns) > 256:
                eng.np_columns.clear()
            eng.np_columns[key] = got
        return got

    def np_range(self, sheet, r1, c1, r2, c2):
        """A fixed range as (values (h, w), blank mask or None), read once."""
        grid = self.engine.grid(sheet)
        if grid is None:
            raise Fallback
        key = (grid.name, r1, c1, r2, c2)
        got = self.engine.np_ranges.get(key)
        if got is None:
            if r1 < 1 or c1 < 1 or r2 > MAX_ROW or c2 > MAX_COL:
                raise Fallback
            if (r2 - r1 + 1) * (c2 - c1 + 1) > MAX_BLOCK_VALUES:
                raise Fallback
            cols = [self.gather(sheet, c, r1, r2) for c in range(c1, c2 + 1)]
            data = np.stack([v for v, _ in cols], axis=1)
            blank = None
            if any(b is not None for _, b in cols):
                blank = np.stack([b if b is not None else np.zeros(r2 - r1 + 1, bool) for _, b in cols], axis=1)
            got = self.engine.np_ranges[key] = (data, blank)
        return got

    def abs_range(self, node):
        """A reference argument that is the same for every row: (sheet, r1, c1, r2, c2)."""
        if type(node) is Name:
            node = self.name_tree(node)
        if type(node) is RelRef and node.fixed and not node.wrap and node.book is None and node.sheet2 is None:
            r1, c1, r2, c2 = node.at(0, 0)
            return (node.sheet or self.sheet, r1, c1, r2, c2)
        raise Fallback

    def index_arg(self, node):
        """An INDEX/MATCH position per row as an int array (or int); 0 stays 0."""
        x = np.asarray(self.scalar_num(self.eval(node)), float)
        if not np.isfinite(x).all() or (x < 0).any():
            raise Fallback
        return np.floor(x).astype(np.int64)

    # ------------------------------------------------------------ operators
    def binary(self, op, a, b):
        if op in ("+", "-", "*", "/", "^"):
            if type(a) is VR or type(b) is VR:
                x = a.data if type(a) is VR else self._col(num(a))
                y = b.data if type(b) is VR else self._col(num(b))
                if (type(a) is VR and a.data.dtype != float) or (type(b) is VR and b.data.dtype != float):
                    raise Fallback
                return VR(self.arith(op, x, y))
            return V("num", self.arith(op, num(a), num(b)))
        if op == "&":
            raise Fallback
        if type(a) is VR or type(b) is VR:
            raise Fallback
        # comparisons: numbers (blank = 0) with numbers; a cell with "" (blank = "")
        if a.kind == "str" or b.kind == "str":
            if a.kind == "str" and b.kind == "str":
                raise Fallback
            s, v = (a, b) if a.kind == "str" else (b, a)
            if s.data != "" or op not in ("=", "<>") or v.kind != "num":
                raise Fallback
            finite(v.data)      # an error compared is an error, not FALSE
            is_blank = v.blank if v.blank is not None else (
                np.zeros(len(v.data), bool) if isinstance(v.data, np.ndarray) else False)
            return V("bool", is_blank if op == "=" else ~is_blank if isinstance(is_blank, np.ndarray)
                     else not is_blank)
        if a.kind != b.kind:
            raise Fallback     # booleans against numbers: Excel's type order, not their values
        x, y = a.data, b.data
        if a.kind == "num":
            finite(x)
            finite(y)
        r = {"=": np.equal, "<>": np.not_equal, "<": np.less, ">": np.greater,
             "<=": np.less_equal, ">=": np.greater_equal}[op](x, y)
        return V("bool", r if isinstance(r, np.ndarray) else bool(r))

    @staticmethod
    def _col(x):
        return x[:, None, None] if isinstance(x, np.ndarray) else x

    def arith(self, op, x, y):
        if op == "+":
            r = x + y
        elif op == "-":
            r = x - y
        elif op == "*":
            r = x * y
        elif op == "/":
            if not self.lenient and np.any(np.equal(y, 0.0)):
                raise Fallback
            r = x / y
        else:
            bad = np.equal(x, 0.0) & np.less_equal(y, 0.0)    # 0^0 is #NUM!, 0^-1 is #DIV/0!
            if np.any(bad):
                if not self.lenient:
                    raise Fallback
                r = np.where(bad, np.nan, each(c_pow, x, y))
            else:
                r = each(c_pow, x, y)
        if not isinstance(r, np.ndarray):
            r = float(r)
        return self.fin(r)
