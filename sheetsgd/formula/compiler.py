"""A formula's tree -> a Python closure that computes it at any cell: fn(row, col) -> value.

Each node becomes a small function that calls its children's functions, so a shape (one
formula filled down 3,000 rows) is compiled once and each cell costs only the arithmetic:
no walking of the tree, no dispatch on node types while computing. Nothing is eval'd or
exec'd: the closures are made from the tree's data by the functions below.

How a node is computed depends on what its parent wants (Excel's argument types):
    value   a single value: a multi-cell reference gives the cell on the formula's row or
            column (implicit intersection); arrays pass through (they are applied element
            by element further up)
    array   arrays: a reference gives its values as an Array
    ref     a reference stays a reference (a Range), for functions that take references
            (SUM reads only what A:A holds; ROW(A4) does not read A4); anything else is
            computed as the parent's array/value mode says

Besides the closure, compiling records what the formula reads (for the dependency order
and for what-if changes), and why a cell cannot be checked (an unknown function, a
reference to another workbook, names nested too deep).
"""
from functools import partial
from math import pow as _pow

from . import functions  # noqa: F401  (the registry filled)
from .functions.operators import MAX_TEXT, arith, binary, compare, concat, elementwise, negate, percent
from .functions.registry import call as call_function, lookup, result
from .parser import (ArrayConst, Binary, Const, FormulaError, Func, Intersect, Invoke, Isect, Missing, Name,
                     Percent, RangeOp, Ref, Spill, Table, Unary, Union, parse)
from .ranges import Range, Union as RangeUnion
from .trees import RelRef, has_tables, relative, resolve_tables
from .values import DIV0, MISSING, NAME, NULL, NUM, REF, VALUE, Array, ExcelError

MAX_NAME_DEPTH = 64          # defined names inside defined names
MAX_COMPILED_DEPTH = 1024    # nesting of the tree once names are expanded
_MISS = object()


class Compiled:
    """fn(row, col) -> value, and the facts found while compiling."""
    __slots__ = ("fn", "reads", "reasons", "dynamic", "volatile", "positional")

    def __init__(self, fn, reads, reasons, dynamic, volatile, positional):
        self.fn, self.reads, self.reasons = fn, reads, reasons
        self.dynamic, self.volatile, self.positional = dynamic, volatile, positional


class Context:
    """What functions declared with context=True get first: where the formula is and the book."""
    __slots__ = ("engine", "sheet", "row", "col", "array")

    def __init__(self, engine, sheet, array):
        self.engine, self.sheet, self.array = engine, sheet, array
        self.row = self.col = 1

    @property
    def date1904(self):
        return self.engine.date1904

    def range(self, sheet, r1, c1, r2, c2):
        """A Range on a sheet of the book, or #REF! when there is no such sheet."""
        g = self.engine.grid(sheet)
        return REF if g is None else Range(g, r1, c1, r2, c2)

    def intersect(self, v):
        return intersect(v, self.row, self.col)

    def reference(self, text):
        """A reference written as text (INDIRECT): a Range, or #REF!."""
        return self.engine.reference(text, self.sheet, self.row, self.col)


def intersect(v, r, c):
    """Excel's implicit intersection of a value with the cell (r, c): a reference gives the cell
    on its row or column (#VALUE! when there is none), an array its first value."""
    t = type(v)
    if t is Range:
        r1, c1, r2, c2 = v.r1, v.c1, v.r2, v.c2
        if r1 == r2:
            rr = r1
        elif r1 <= r <= r2:
            rr = r
        else:
            return VALUE
        if c1 == c2:
            cc = c1
        elif c1 <= c <= c2:
            cc = c
        else:
            return VALUE
        return v.grid.value(rr, cc)
    if t is Array:
        return v.rows[0][0] if v.rows and v.rows[0] else VALUE
    if t is RangeUnion:
        return VALUE
    return v


def as_value(v, r, c):
    """A computed result where one value is wanted."""
    t = type(v)
    if t is Range or t is RangeUnion:
        return intersect(v, r, c)
    return v


def as_array_or_value(v):
    """A computed result in array mode: references become Arrays (a single cell its value)."""
    t = type(v)
    if t is Range:
        if v.r1 == v.r2 and v.c1 == v.c2:
            return v.grid.value(v.r1, v.c1)
        return v.array()
    if t is RangeUnion:
        return VALUE
    return v


class Compiler:
    """Compiles trees for the cells of one sheet of an engine."""

    def __init__(self, engine, sheet):
        self.engine, self.sheet = engine, sheet
        self.names = {}              # (scope, NAME, array, ref) -> Compiled of the name's formula

    # ------------------------------------------------------------ entry points
    def compile_cell(self, tree, row, col, array):
        """A formula written at (row, col): its tree made relative, compiled for that mode."""
        if has_tables(tree):
            tree = resolve_tables(tree, self.engine.book, self.sheet, row, col)
        rel = relative(tree, row, col)
        return self.compile_tree(rel, array)

    def compile_tree(self, rel, array):
        st = _State()
        fn = self.node(rel, array, False, st, 0)
        top = _top_array(fn) if array else fn       # a plain cell's result: engine.final(v, r, c)
        return Compiled(top, list(st.reads.values()), st.reasons, st.dynamic, st.volatile, st.positional)

    # ------------------------------------------------------------ nodes
    def node(self, n, array, ref, st, depth):
        if depth > MAX_COMPILED_DEPTH:
            st.reasons.append("formula nested too deeply once its names are expanded")
            return _const(NUM)
        t = type(n)
        if t is Const:
            return _const(n.value)
        if t is RelRef:
            return self.reference(n, array, ref, st)
        if t is Binary:
            return self.binary(n, array, st, depth)
        if t is Func:
            fn = self.function(n, array, st, depth)
            f = lookup(n.name)
            if f is not None and (f.reference or f.lazy) or n.name == "LET":
                return self._finish(fn, array, ref, st)     # it may give a reference
            return fn
        if t is Name:
            return self.name(n, array, ref, st, depth)
        if t is Unary:
            a = self.node(n.operand, array, False, st, depth + 1)
            return _negate(a) if n.minus % 2 else (_to_number(a) if n.minus else a)
        if t is Percent:
            return _unary_op(percent, self.node(n.operand, array, False, st, depth + 1))
        if t is Missing:
            return _const(MISSING)
        if t is ArrayConst:
            return _const(Array([list(row) for row in n.rows]))
        if t is Intersect:
            st.positional = True
            a = self.node(n.operand, array, True, st, depth + 1)
            return lambda r, c: intersect(a(r, c), r, c)
        if t is RangeOp:
            return self.range_op(n, array, ref, st, depth)
        if t is Isect:
            return self.isect(n, array, ref, st, depth)
        if t is Union:
            items = [self.node(x, array, True, st, depth + 1) for x in n.items]
            return self._finish(lambda r, c: _union([f(r, c) for f in items]), array, ref, st)
        if t is Spill:
            return self.spill(n, array, ref, st, depth)
        if t is Invoke:
            st.reasons.append("unsupported: calling a LAMBDA")
            return _const(VALUE)
        if t is Ref or t is Table:          # a tree not made relative (never from compile_cell)
            raise TypeError(f"compile a relative tree: {t.__name__} found")
        return _const(VALUE)

    def _finish(self, fn, array, ref, st):
        """A closure that may give a reference, adapted to what the parent wants."""
        if ref:
            return fn
        if array:
            return lambda r, c: as_array_or_value(fn(r, c))
        st.positional = True
        return lambda r, c: as_value(fn(r, c), r, c)

    # ------------------------------------------------------------ references
    def reference(self, n, array, ref, st):
        if n.book is not None:
            st.reasons.append(f"reference to another workbook ({n.book})")
            return _const(REF)
        sheet = n.sheet or self.sheet
        if n.sheet2 is not None:
            return self.reference_3d(n, array, ref, st)
        grid = self.engine.grid(sheet)
        if grid is None:
            return _const(REF)
        if n.m != (0, 0, 0, 0):
            st.positional = True
        st.reads[(sheet, id(n))] = (sheet, n)
        if n.cell and not ref:
            return _cell_reader(grid, n)
        at = n.at

        def rng(r, c):
            r1, c1, r2, c2 = at(r, c)
            return Range(grid, r1, c1, r2, c2)
        if n.fixed:
            r1, c1, r2, c2 = n.at(0, 0)
            fixed = Range(grid, r1, c1, r2, c2)

            def rng(r, c):                  # noqa: F811  the same Range object every time
                return fixed
        if ref:
            return rng
        if array:
            return lambda r, c: as_array_or_value(rng(r, c))
        st.positional = True
        return lambda r, c: intersect(rng(r, c), r, c)

    def reference_3d(self, n, array, ref, st):
        """Sheet1:Sheet3!A1: the same block on each sheet from the first to the last."""
        order = list(self.engine.book.sheets)
        try:
            i, j = sorted((order.index(n.sheet), order.index(n.sheet2)))
        except ValueError:
            return _const(REF)
        parts = []
        for s in order[i:j + 1]:
            one = RelRef(s, n.r1, n.c1, n.r2, n.c2, n.m)
            parts.append(self.reference(one, array, True, st))
        return self._finish(lambda r, c: RangeUnion([p(r, c) for p in parts]), array, ref, st)

    def range_op(self, n, array, ref, st, depth):
        a = self.node(n.left, array, True, st, depth + 1)
        b = self.node(n.right, array, True, st, depth + 1)

        def both(r, c):
            x, y = a(r, c), b(r, c)
            if type(x) is ExcelError:
                return x
            if type(y) is ExcelError:
                return y
            if type(x) is not Range or type(y) is not Range or x.grid is not y.grid:
                return VALUE
            return Range(x.grid, min(x.r1, y.r1), min(x.c1, y.c1), max(x.r2, y.r2), max(x.c2, y.c2))
        st.dynamic = st.dynamic or not _static_refs(n)
        return self._finish(both, array, ref, st)

    def isect(self, n, array, ref, st, depth):
        a = self.node(n.left, array, True, st, depth + 1)
        b = self.node(n.right, array, True, st, depth + 1)

        def both(r, c):
            x, y = a(r, c), b(r, c)
            if type(x) is ExcelError:
                return x
            if type(y) is ExcelError:
                return y
            if type(x) is not Range or type(y) is not Range:
                return VALUE
            if x.grid is not y.grid:
                return NULL
            r1, c1, r2, c2 = max(x.r1, y.r1), max(x.c1, y.c1), min(x.r2, y.r2), min(x.c2, y.c2)
            if r1 > r2 or c1 > c2:
                return NULL
            return Range(x.grid, r1, c1, r2, c2)
        return self._finish(both, array, ref, st)

    def spill(self, n, array, ref, st, depth):
        a = self.node(n.operand, array, True, st, depth + 1)
        engine = self.engine
        st.dynamic = True

        def spilled(r, c):
            x = a(r, c)
            if type(x) is not Range:
                return x if type(x) is ExcelError else REF
            bounds = engine.spill_bounds(x.sheet, x.r1, x.c1)
            return REF if bounds is None else Range(x.grid, *bounds)
        return self._finish(spilled, array, ref, st)

    # ------------------------------------------------------------ names
    def name(self, n, array, ref, st, depth):
        if n.book is not None:
            st.reasons.append(f"name in another workbook ({n.book}!{n.name})")
            return _const(REF)
        local = st.let.get(n.name) if st.let else None
        if local is not None:
            return self._finish(lambda r, c: local[0], array, ref, st)
        engine = self.engine
        scope = n.sheet or self.sheet
        text = engine.name_text(n.name, scope)
        if text is None:
            table = engine.book.tables.get(n.name) if getattr(engine.book, "tables", None) else None
            if table is not None:           # a table's name alone: its data
                return self.node(relative(resolve_tables(Table(n.name, frozenset(), None, None),
                                                         engine.book, scope, 1, 1), 1, 1),
                                 array, ref, st, depth + 1)
            return _const(NAME)
        home = engine.name_scope(n.name, scope) or self.sheet   # a book-wide name reads from the using sheet
        key = (home, n.name, array, ref)
        if key in st.names_open:
            st.reasons.append(f"circular defined name {n.name}")
            return _const(NAME)
        if len(st.names_open) >= MAX_NAME_DEPTH:
            st.reasons.append(f"defined names nested more than {MAX_NAME_DEPTH} deep")
            return _const(NAME)
        body = engine.compiler(home) if home != self.sheet else self
        got = body.names.get(key)
        if got is None:
            try:
                tree = parse("=(" + text.lstrip("=") + ")") if "," in text else parse(text)
            except FormulaError:
                return _const(VALUE)
            if has_tables(tree):
                tree = resolve_tables(tree, engine.book, home, 1, 1)
            sub = _State(names_open=st.names_open | {key})
            rel = relative(tree, 1, 1, wrap=True)
            fn = body.node(rel, array, ref, sub, depth + 1)
            simple = type(rel) is Const or (type(rel) is RelRef and rel.cell and rel.fixed)
            if not simple and not sub.positional and not sub.dynamic and not sub.volatile and not sub.reasons:
                fn = _memo(engine.name_memo, key, fn)   # computed once: nm1 = nm2 + nm2 ... is linear
            got = body.names[key] = (fn, sub)
        fn, sub = got
        st.merge(sub)
        return fn

    # ------------------------------------------------------------ operators
    def binary(self, n, array, st, depth):
        fns = [self.node(x, array, False, st, depth + 1) for x in n.operands]
        if len(fns) > 8:                    # =A1+A2+...+A999: a loop, not 999 nested closures
            return _chain(n.ops, fns)
        acc = fns[0]
        for op, f in zip(n.ops, fns[1:]):
            acc = _binary(op, acc, f)
        return acc

    # ------------------------------------------------------------ functions
    def function(self, n, array, st, depth):
        name = n.name
        if name == "LET":
            return self.let(n, array, st, depth)
        f = lookup(name)
        if f is None:
            st.reasons.append(f"unsupported function {name}")
            return _const(NAME)
        if f.volatile:
            st.volatile = True
        if not f.accepts(len(n.args)):
            return _const(VALUE)
        if f.name in _DYNAMIC:
            st.dynamic = True
        if f.context:
            st.positional = True
        args = []
        for i, a in enumerate(n.args):
            k = f.kind(i)
            if type(a) is Missing:
                args.append(_const(MISSING))
            elif k.mode == "value":
                args.append(self.node(a, array, False, st, depth + 1))
            elif k.mode == "array":
                args.append(_to_array(self.node(a, True, False, st, depth + 1)))
            elif k.name == "address":
                sub = _State()                  # located, not read: no dependency on its cells
                args.append(self.node(a, array, True, sub, depth + 1))
                st.merge(sub, reads=False)
            else:                               # values, range, lazy
                args.append(self.node(a, array, True, st, depth + 1))
        if f.closure is not None:
            return f.closure(args)
        lazy = [i for i in range(len(args)) if f.kind(i).mode == "lazy" and type(n.args[i]) is not Missing]
        ctx = partial(Context, self.engine, self.sheet, array) if f.context else None
        ranges = [i for i in range(len(args)) if f.kind(i).name == "range"]
        return _caller(f, args, lazy, ctx, ranges)

    def let(self, n, array, st, depth):
        """LET(name1, value1, ..., calculation): each name computed once, in order."""
        args = n.args
        if len(args) < 3 or len(args) % 2 == 0:
            return _const(VALUE)
        slots, fns = [], []
        saved = dict(st.let) if st.let else {}
        st.let = dict(saved)
        for name_node, value in zip(args[:-1:2], args[1:-1:2]):
            if type(name_node) is not Name:
                st.let = saved
                return _const(VALUE)
            fns.append(self.node(value, array, True, st, depth + 1))
            slot = [None]
            slots.append(slot)
            st.let[name_node.name] = slot
        body = self.node(args[-1], array, False, st, depth + 1)
        st.let = saved
        st.positional = True

        def let(r, c):
            old = [s[0] for s in slots]
            try:
                for s, f in zip(slots, fns):
                    s[0] = f(r, c)
                return body(r, c)
            finally:
                for s, v in zip(slots, old):
                    s[0] = v
        return let


_DYNAMIC = frozenset({"OFFSET", "INDIRECT"})    # what they read is known only while computing


class _State:
    """What compiling one formula found."""
    __slots__ = ("reads", "reasons", "dynamic", "volatile", "positional", "names_open", "let")

    def __init__(self, names_open=frozenset()):
        self.reads = {}                  # (sheet, id(RelRef)) -> (sheet, RelRef): each once
        self.reasons = []
        self.dynamic = self.volatile = self.positional = False
        self.names_open = names_open
        self.let = None

    def merge(self, sub, reads=True):
        if reads:
            self.reads.update(sub.reads)
        for why in sub.reasons:
            if why not in self.reasons:
                self.reasons.append(why)
        self.dynamic = self.dynamic or sub.dynamic
        self.volatile = self.volatile or sub.volatile
        self.positional = self.positional or sub.positional


def _static_refs(n):
    return type(n.left) is RelRef and type(n.right) is RelRef


# ---------------------------------------------------------------- closures
def _const(v):
    return lambda r, c: v


def _cell_reader(grid, n):
    """One cell, relative or not: a dict lookup (a formula cell not computed yet: on demand)."""
    store, value = grid.store, grid.value
    (dr, dc), (mr, mc) = (n.r1, n.c1), (n.m[0], n.m[1])
    if n.wrap:
        def read(r, c):
            r1, c1, _, _ = n.at(r, c)
            return value(r1, c1)
        return read
    if mr and mc:
        def read(r, c):
            v = store.get((r + dr, c + dc), _MISS)
            return value(r + dr, c + dc) if v is _MISS else v
    elif mr:
        def read(r, c):
            v = store.get((r + dr, dc), _MISS)
            return value(r + dr, dc) if v is _MISS else v
    elif mc:
        def read(r, c):
            v = store.get((dr, c + dc), _MISS)
            return value(dr, c + dc) if v is _MISS else v
    else:
        key = (dr, dc)

        def read(r, c):
            v = store.get(key, _MISS)
            return value(dr, dc) if v is _MISS else v
    return read


def _memo(memo, key, fn):
    def memoised(r, c):
        v = memo.get(key, _MISS)
        if v is _MISS:
            v = memo[key] = fn(r, c)
        return v
    return memoised


def _union(items):
    for x in items:
        if type(x) is ExcelError:
            return x
        if type(x) is not Range:
            return VALUE
    return RangeUnion(items)


def _to_array(fn):
    def arr(r, c):
        v = fn(r, c)
        t = type(v)
        if t is Array or t is ExcelError:
            return v
        return Array([[v]])
    return arr


def _top_array(fn):
    """An array formula's result: a reference's values as an Array."""
    def top(r, c):
        return as_array_or_value(fn(r, c))
    return top


_ARITH = {"+", "-", "*", "/", "^"}


def _binary(op, a, b):
    if op in _ARITH:
        return _arith(op, a, b)
    if op == "&":
        def cat(r, c):
            x, y = a(r, c), b(r, c)
            if type(x) is str and type(y) is str and len(x) + len(y) <= MAX_TEXT:
                return x + y
            if type(x) is Array or type(y) is Array:
                return elementwise(concat, x, y)
            return concat(x, y)
        return cat

    def cmp(r, c):
        x, y = a(r, c), b(r, c)
        if type(x) is Array or type(y) is Array:
            return elementwise(partial(compare, op), x, y)
        return compare(op, x, y)
    return cmp


def _chain(ops, fns):
    """A long run of operators of one precedence, left to right."""
    first, rest = fns[0], list(zip([partial(binary, op) for op in ops], fns[1:]))

    def f(r, c):
        acc = first(r, c)
        for op, g in rest:
            y = g(r, c)
            if type(acc) is Array or type(y) is Array:
                acc = elementwise(op, acc, y)
            else:
                acc = op(acc, y)
        return acc
    return f


def _arith(op, a, b):
    slow = partial(arith, op)

    def other(x, y):
        if type(x) is Array or type(y) is Array:
            return elementwise(slow, x, y)
        return slow(x, y)
    if op == "+":
        def f(r, c):
            x, y = a(r, c), b(r, c)
            if type(x) is float and type(y) is float:
                z = x + y
                return z if z - z == 0.0 else NUM
            return other(x, y)
    elif op == "-":
        def f(r, c):
            x, y = a(r, c), b(r, c)
            if type(x) is float and type(y) is float:
                z = x - y
                return z if z - z == 0.0 else NUM
            return other(x, y)
    elif op == "*":
        def f(r, c):
            x, y = a(r, c), b(r, c)
            if type(x) is float and type(y) is float:
                z = x * y
                return z if z - z == 0.0 else NUM
            return other(x, y)
    elif op == "/":
        def f(r, c):
            x, y = a(r, c), b(r, c)
            if type(x) is float and type(y) is float and y != 0.0:
                z = x / y
                return z if z - z == 0.0 else NUM
            return other(x, y)
    else:                       # ^: a positive base has no zero or domain rules to apply
        def f(r, c):
            x, y = a(r, c), b(r, c)
            if type(x) is float and type(y) is float and x > 0.0:
                try:
                    z = _pow(x, y)
                except OverflowError:
                    return NUM
                return z if z - z == 0.0 else NUM
            return other(x, y)
    return f


def _negate(a):
    def f(r, c):
        x = a(r, c)
        if type(x) is float:
            return 0.0 - x
        if type(x) is Array:
            return elementwise(negate, x)
        return negate(x)
    return f


def _to_number(a):
    """'--x': the value as a number (TRUE -> 1, "3" -> 3)."""
    return _unary_op(lambda v: negate(negate(v)), a)


def _unary_op(op, a):
    def f(r, c):
        x = a(r, c)
        if type(x) is Array:
            return elementwise(op, x)
        return op(x)
    return f


def _number_caller(f, a):
    """A function of one number (SQRT, EXP, ...): a float goes straight to it."""
    impl, slow = f.impl, call_function

    def called(r, c):
        x = a(r, c)
        if type(x) is float:
            try:
                v = impl(x)
            except ZeroDivisionError:
                return DIV0
            except (OverflowError, ValueError):
                return NUM
            if type(v) is float:
                return v if v - v == 0.0 else NUM
            return result(v)
        return slow(f, [x])
    return called


def _caller(f, args, lazy, ctx, ranges):
    """The closure calling registry entry f with its compiled arguments."""
    impl_call = call_function
    n = len(args)
    if n == 1 and not ctx and f.kinds[:1] and f.kinds[0].name == "number":
        return _number_caller(f, args[0])
    if not lazy and not ctx and not ranges:
        if n == 1:
            a0 = args[0]
            return lambda r, c: impl_call(f, [a0(r, c)])
        if n == 2:
            a0, a1 = args
            return lambda r, c: impl_call(f, [a0(r, c), a1(r, c)])
        return lambda r, c: impl_call(f, [a(r, c) for a in args])

    def called(r, c):
        vals = [partial(a, r, c) if i in lazy else a(r, c) for i, a in enumerate(args)]
        for i in ranges:
            v = vals[i]
            if type(v) is not Range and type(v) is not RangeUnion and v is not MISSING:
                return v if type(v) is ExcelError else VALUE
        if ctx is None:
            return impl_call(f, vals)
        here = ctx()                # one per call: a cell computed on demand meanwhile has its own
        here.row, here.col = r, c
        return impl_call(f, vals, here)
    return called
