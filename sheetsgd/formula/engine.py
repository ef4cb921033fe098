"""Compute every formula of a Book in dependency order, the way Excel would.

1. Each formula cell's references (names resolved) give its precedents; formula cells are
   sorted so that precedents come first (an iterative depth-first search: chains of
   thousands of cells, like 29 rows x 100 epochs of SGD, need no recursion). A cycle is
   reported by name ("circular reference: basic!A1 -> basic!B1 -> basic!A1"); its cells
   keep their cached values so the rest can still be computed.
2. Cells are computed in that order. Targets only known while computing (OFFSET, INDEX)
   are computed on demand, tracked by an in-progress set (a dynamic cycle is reported the
   same way); beyond a small nesting depth the on-demand work is handed to an explicit
   stack instead of Python recursion.
3. Volatile cells (RAND, RANDBETWEEN, NOW, TODAY) keep their cached values and are listed
   as uncheckable, so what depends on them is computed from the numbers the file shows.
   A cell using a function we do not have is #NAME? and uncheckable, and so is everything
   computed from it.

Semantics of a non-array formula: operators and scalar functions work element by element
on arrays (as in Excel's array evaluation); a final multi-cell reference is reduced by
Excel's implicit intersection with the formula's row or column, a final multi-cell
computed array is #VALUE!, and a final blank is 0. An array formula ({=MMULT(...)} over
AE3:AI208) is computed once and spread over its range (#N/A where the result is smaller).
"""
import bisect
import inspect
from functools import partial

from .book import Book, Sheet
from .functions import (FUNCTIONS, MISSING, VOLATILE, Array, Range, arith, binary, broadcast,
                        to_number)
from .parser import (ArrayConst, Binary, Const, FormulaError, Func, Missing, Name, Percent,
                     RangeOp, Ref, Unary, parse, walk)
from .refs import a1
from .values import NA, NAME, NUM, REF, VALUE, ExcelError

ON_DEMAND_DEPTH = 20      # nested on-demand computations before switching to the explicit stack
MAX_CLIPPED_AREA = 1_000_000   # references larger than this (A:A) are clipped to the used area


# arguments whose cells are not read, only located: ROW(A4) in A4 is not circular
ADDRESS_ONLY = {"ROW": None, "COLUMN": None, "ROWS": None, "COLUMNS": None, "OFFSET": 0}


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
                             if not (type(a) is Ref and (pos is None or pos == i)))
            else:
                stack.extend(node.args)
        elif t is Binary:
            stack.extend(node.operands)
        elif t is Unary or t is Percent:
            stack.append(node.operand)
        elif t is RangeOp:
            stack.append(node.left)
            stack.append(node.right)


class _NeedFirst(Exception):
    """Raised deep inside an on-demand computation: compute `key` first, then retry."""

    def __init__(self, key):
        self.key = key


def _neg(v):
    x = to_number(v)
    return x if type(x) is ExcelError else 0.0 - x


def _percent(v):
    return arith("/", v, 100.0)


class Engine:
    def __init__(self, book):
        self.book = book
        self.store = {}          # sheet -> {(row, col): value}: constants, then computed values
        self.formulas = {}       # (sheet, row, col) -> Cell with a formula (plain or array master)
        self.members = {}        # (sheet, row, col) of an array range -> its master's key
        self.fcols = {}          # sheet -> {col: sorted rows of formula cells (members included)}
        self.dims = {}           # sheet -> (max_row, max_col) actually used
        self.uncheckable = {}    # key -> reason
        self.cached_ranges = {}  # (sheet, r1, c1, r2, c2) -> Array, once every formula in it is computed
        self.computing = {}      # key -> None, in order: the on-demand chain
        self.depth = 0
        self.name_stack = set()
        self.sheet, self.row, self.col, self.array_mode = None, 1, 1, False
        self._text_info = {}
        for name, sheet in book.sheets.items():
            store = self.store[name] = {}
            cols = {}
            max_r, max_c = sheet.max_row, sheet.max_col
            for (r, c), cell in sheet.cells.items():
                if r > max_r:
                    max_r = r
                if c > max_c:
                    max_c = c
                if cell.formula is not None:
                    self.formulas[(name, r, c)] = cell
                    cols.setdefault(c, []).append(r)
                elif cell.array_master is not None:
                    self.members[(name, r, c)] = (name,) + tuple(cell.array_master)
                    cols.setdefault(c, []).append(r)
                elif cell.value is not None:
                    v = cell.value
                    store[(r, c)] = float(v) if type(v) is int else v
            for rows in cols.values():
                rows.sort()
            self.fcols[name] = cols
            self.dims[name] = (max_r, max_c)

    # ------------------------------------------------------------ formula text -> tree and facts
    def info(self, text):
        """(tree or None, reason-if-uncheckable or None, is_volatile) for one formula text."""
        got = self._text_info.get(text)
        if got is None:
            try:
                tree = parse(text)
            except FormulaError as e:
                got = (None, f"unparsable formula: {e}", False)
            else:
                names = {n.name for n in walk(tree) if type(n) is Func}
                volatile = sorted(names & VOLATILE)
                unknown = sorted(n for n in names if n not in FUNCTIONS)
                if volatile:
                    got = (tree, "volatile " + ", ".join(volatile), True)
                elif unknown:
                    got = (tree, "unsupported function " + ", ".join(unknown), False)
                else:
                    got = (tree, None, False)
            self._text_info[text] = got
        return got

    # ------------------------------------------------------------ dependencies
    def name_text(self, name, sheet):
        s = self.book.sheets.get(sheet)
        text = s.names.get(name) if s is not None else None
        return text if text is not None else self.book.names.get(name)

    def tree_refs(self, tree, sheet, seen_names=()):
        """(sheet, r1, c1, r2, c2) of every reference in a tree, names followed."""
        out = []
        for node in _value_nodes(tree):
            t = type(node)
            if t is Ref:
                out.append((node.sheet or sheet, node.r1, node.c1, node.r2, node.c2))
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

    def deps(self, key):
        cell = self.formulas[key]
        tree = self.info(cell.formula)[0]
        if tree is None:
            return []
        out = []
        for ref in self.tree_refs(tree, key[0]):
            out.extend(self.formula_keys_in(*ref))
        return out

    def order(self):
        """Formula keys with precedents first; cycles found on the way -> {key: path}."""
        state = {}           # key -> 1 visiting, 2 done
        order, cycles = [], {}
        on_stack = {}
        for start in self.formulas:
            if start in state:
                continue
            state[start] = 1
            on_stack[start] = 0
            stack = [(start, iter(self.deps(start)))]
            while stack:
                key, it = stack[-1]
                for d in it:
                    s = state.get(d)
                    if s is None:
                        state[d] = 1
                        on_stack[d] = len(stack)
                        stack.append((d, iter(self.deps(d))))
                        break
                    if s == 1:       # d is on the stack: a cycle d -> ... -> key -> d
                        path = [k for k, _ in stack[on_stack[d]:]] + [d]
                        text = " -> ".join(self.label(k) for k in path)
                        for k in path:
                            cycles.setdefault(k, text)
                else:
                    stack.pop()
                    del on_stack[key]
                    state[key] = 2
                    order.append(key)
        return order, cycles

    def label(self, key):
        sheet, r, c = key
        return f"{sheet}!{a1(r, c)}"

    # ------------------------------------------------------------ computing cells
    def run(self):
        order, cycles = self.order()
        for key, path in cycles.items():
            self.keep_cached(key, "circular reference: " + path)
        for key in order:
            sheet, r, c = key
            if (r, c) not in self.store[sheet]:
                self.compute_stacked(key)
        self.taint_dependents(order)
        return self

    def keep_cached(self, key, reason):
        """The cell keeps the value stored in the file (array ranges: each cell's own)."""
        sheet, r, c = key
        cell = self.formulas[key]
        store = self.store[sheet]
        if cell.array_ref:
            r1, c1, r2, c2 = self.array_bounds(key)
            cells = self.book.sheets[sheet].cells
            for rr in range(r1, r2 + 1):
                for cc in range(c1, c2 + 1):
                    other = cells.get((rr, cc))
                    store[(rr, cc)] = other.value if other is not None else None
                    self.uncheckable[(sheet, rr, cc)] = reason
        else:
            store[(r, c)] = cell.value
            self.uncheckable[key] = reason

    def array_bounds(self, key):
        from .refs import parse_range
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
            if (r, c) in self.store[sheet]:
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
        if (kr, kc) in self.store[ks]:
            return
        if key in self.computing:
            chain = list(self.computing)
            path = chain[chain.index(key):] + [key]
            text = "circular reference: " + " -> ".join(self.label(k) for k in path)
            for k in path:
                self.uncheckable.setdefault(k, text)
            return
        if self.depth >= ON_DEMAND_DEPTH:
            raise _NeedFirst(key)
        self.compute(key)

    def compute(self, key):
        sheet, r, c = key
        cell = self.formulas[key]
        tree, reason, volatile = self.info(cell.formula)
        if volatile:
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
            if cell.array_ref:
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

    def taint_dependents(self, order):
        """A cell computed from an unsupported/unparsable cell is uncheckable too."""
        bad = {k: v for k, v in self.uncheckable.items()
               if not v.startswith(("volatile", "circular")) and k in self.formulas}
        if not bad:
            return
        for key in order:
            if key in bad:
                continue
            for d in self.deps(key):
                if d in bad:
                    reason = f"depends on {self.label(d)} ({bad[d].split(' ->')[0]})"
                    bad[key] = self.uncheckable[key] = reason
                    break

    # ------------------------------------------------------------ reading cells and ranges
    def cell_value(self, sheet, r, c):
        store = self.store[sheet]
        v = store.get((r, c), store)
        if v is store:
            self.ensure(sheet, r, c)
            v = store.get((r, c))
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
        for fk in self.formula_keys_in(sheet, r1, c1, r2, c2):
            ks, kr, kc = fk
            if (kr, kc) not in self.store[ks]:
                self.ensure(ks, kr, kc)
                if (kr, kc) not in self.store[ks]:
                    complete = False    # in a cycle: read as blank, do not cache
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

    # ------------------------------------------------------------ the interpreter
    def value_of(self, v):
        return self.deref(v) if type(v) is Range else v

    def eval_arg(self, node):
        return self.eval(node)

    def operand(self, node):
        v = self.eval(node)
        return self.deref(v) if type(v) is Range else v

    def eval(self, node):
        t = type(node)
        if t is Ref:
            sheet = node.sheet or self.sheet
            if sheet not in self.store:
                return REF
            return Range(sheet, node.r1, node.c1, node.r2, node.c2)
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


def evaluate(book):
    """Run an Engine over a Book; returns the finished engine."""
    return Engine(book).run()


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
