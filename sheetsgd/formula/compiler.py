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

from . import functions, lambdas  # noqa: F401  (the registry filled)
from .closures import (as_array_or_value, as_number, as_value, binary_closure, caller, cell_reader, chain,
                       const, intersect, memo, negation, to_array, top_array, unary, union_of)
from .functions.operators import percent
from .functions.registry import lookup
from .parser import (ArrayConst, Binary, Const, FormulaError, Func, Intersect, Invoke, Isect, Missing, Name,
                     Percent, RangeOp, Ref, Spill, Table, Unary, Union, parse)
from .ranges import Range, Union as RangeUnion
from .trees import RelRef, has_tables, relative, resolve_tables
from .values import MISSING, NAME, NULL, NUM, REF, VALUE, Array, ExcelError

MAX_NAME_DEPTH = 64          # defined names inside defined names
MAX_COMPILED_DEPTH = 1024    # nesting of the tree once names are expanded


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
        if type(rel) is Func and rel.name == "LAMBDA":
            fn = lambdas.uncalled(fn)
        top = top_array(fn) if array else fn       # a plain cell's result: engine.final(v, r, c)
        return Compiled(top, list(st.reads.values()), st.reasons, st.dynamic, st.volatile, st.positional)

    # ------------------------------------------------------------ nodes
    def node(self, n, array, ref, st, depth):
        if depth > MAX_COMPILED_DEPTH:
            st.reasons.append("formula nested too deeply once its names are expanded")
            return const(NUM)
        t = type(n)
        if t is Const:
            return const(n.value)
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
            return negation(a) if n.minus % 2 else (as_number(a) if n.minus else a)
        if t is Percent:
            return unary(percent, self.node(n.operand, array, False, st, depth + 1))
        if t is Missing:
            return const(MISSING)
        if t is ArrayConst:
            return const(Array([list(row) for row in n.rows]))
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
            return self._finish(lambda r, c: union_of([f(r, c) for f in items]), array, ref, st)
        if t is Spill:
            return self.spill(n, array, ref, st, depth)
        if t is Invoke:                     # LAMBDA(x, x+1)(2)
            callee = self.node(n.callee, array, False, st, depth + 1)
            return lambdas.compile_invoke(self, callee, n.args, array, st, depth)
        if t is Ref or t is Table:          # a tree not made relative (never from compile_cell)
            raise TypeError(f"compile a relative tree: {t.__name__} found")
        return const(VALUE)

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
            return const(REF)
        sheet = n.sheet or self.sheet
        if n.sheet2 is not None:
            return self.reference_3d(n, array, ref, st)
        grid = self.engine.grid(sheet)
        if grid is None:
            return const(REF)
        if n.m != (0, 0, 0, 0):
            st.positional = True
        st.reads[(grid.name, id(n))] = (grid.name, n)     # as the book names it: =ADAM!A1 reads adam
        if n.cell and not ref:
            return cell_reader(grid, n)
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
            return const(REF)
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
            if type(x) is Range and type(y) is Range:
                return _overlap(x, y) or NULL
            if type(x) not in (Range, RangeUnion) or type(y) not in (Range, RangeUnion):
                return VALUE
            areas = [o for a in (x.areas if type(x) is RangeUnion else [x])
                     for b in (y.areas if type(y) is RangeUnion else [y]) for o in [_overlap(a, b)] if o]
            return NULL if not areas else areas[0] if len(areas) == 1 else RangeUnion(areas)
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
            return const(REF)
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
            if n.name.startswith("_XLETA."):    # a function as a value (Excel 365's eta lambdas)
                f = lookup(n.name[7:])
                if f is not None:
                    return lambdas.eta(f)
                st.reasons.append(f"unsupported: the function {n.name[7:]} as a value")
            return const(NAME)
        home = engine.name_scope(n.name, scope) or self.sheet   # a book-wide name reads from the using sheet
        key = (home, n.name, array, ref)
        if key in st.names_open:
            st.reasons.append(f"circular defined name {n.name}")
            return const(NAME)
        if len(st.names_open) >= MAX_NAME_DEPTH:
            st.reasons.append(f"defined names nested more than {MAX_NAME_DEPTH} deep")
            return const(NAME)
        body = engine.compiler(home) if home != self.sheet else self
        got = body.names.get(key)
        if got is None:
            try:
                tree = parse("=(" + text.lstrip("=") + ")") if "," in text else parse(text)
            except FormulaError:
                return const(VALUE)
            if has_tables(tree):
                tree = resolve_tables(tree, engine.book, home, 1, 1)
            sub = _State(names_open=st.names_open | {key})
            rel = relative(tree, 1, 1, wrap=True)
            fn = body.node(rel, array, ref, sub, depth + 1)
            simple = type(rel) is Const or (type(rel) is RelRef and rel.cell and rel.fixed)
            if not simple and not sub.positional and not sub.dynamic and not sub.volatile and not sub.reasons:
                fn = memo(engine.name_memo, key, fn)   # computed once: nm1 = nm2 + nm2 ... is linear
            got = body.names[key] = (fn, sub)
        fn, sub = got
        st.merge(sub)
        return fn

    # ------------------------------------------------------------ operators
    def binary(self, n, array, st, depth):
        fns = [self.node(x, array, False, st, depth + 1) for x in n.operands]
        if len(fns) > 8:                    # =A1+A2+...+A999: a loop, not 999 nested closures
            return chain(n.ops, fns)
        acc = fns[0]
        for op, f in zip(n.ops, fns[1:]):
            acc = binary_closure(op, acc, f)
        return acc

    # ------------------------------------------------------------ functions
    def function(self, n, array, st, depth):
        name = n.name
        if name == "LET":
            return self.let(n, array, st, depth)
        if name == "LAMBDA":
            return lambdas.compile_lambda(self, n, array, st, depth)
        f = lookup(name)
        if f is None:
            if lambdas.is_callable_name(self, name, st):    # MYLAMBDA(1, 2): a name bound to a LAMBDA
                callee = self.name(Name(name), array, False, st, depth + 1)
                return lambdas.compile_invoke(self, callee, n.args, array, st, depth)
            st.reasons.append(f"unsupported function {name}")
            return const(NAME)
        if f.volatile:
            st.volatile = True
        if not f.accepts(len(n.args)):
            return const(VALUE)
        if f.name in _DYNAMIC:
            st.dynamic = True
        if f.context:
            st.positional = True
        args = []
        for i, a in enumerate(n.args):
            k = f.kind(i)
            if type(a) is Missing:
                args.append(const(MISSING))
            elif k.mode == "value":
                args.append(self.node(a, array, False, st, depth + 1))
            elif k.mode == "array":
                args.append(to_array(self.node(a, True, False, st, depth + 1)))
            elif k.name == "address":
                sub = _State()                  # located, not read: no dependency on its cells
                sub.let = st.let                # (LET and LAMBDA names still seen)
                args.append(self.node(a, array, True, sub, depth + 1))
                st.merge(sub, reads=False)
            else:                               # values, range, lazy
                args.append(self.node(a, array, True, st, depth + 1))
        if f.closure is not None:
            return f.closure(args)
        lazy = [i for i in range(len(args)) if f.kind(i).mode == "lazy" and type(n.args[i]) is not Missing]
        ctx = partial(Context, self.engine, self.sheet, array) if f.context else None
        ranges = [i for i in range(len(args)) if f.kind(i).name == "range"]
        return caller(f, args, lazy, ctx, ranges)

    def let(self, n, array, st, depth):
        """LET(name1, value1, ..., calculation): each name computed once, in order."""
        args = n.args
        if len(args) < 3 or len(args) % 2 == 0:
            return const(VALUE)
        slots, fns = [], []
        saved = dict(st.let) if st.let else {}
        st.let = dict(saved)
        for name_node, value in zip(args[:-1:2], args[1:-1:2]):
            if type(name_node) is not Name:
                st.let = saved
                return const(VALUE)
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


_DYNAMIC = frozenset({"OFFSET", "INDIRECT", "ANCHORARRAY", "TRIMRANGE"})    # what they read is known only while computing


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


def _overlap(x, y):
    """The block two Ranges share, or None."""
    if x.grid is not y.grid:
        return None
    r1, c1, r2, c2 = max(x.r1, y.r1), max(x.c1, y.c1), min(x.r2, y.r2), min(x.c2, y.c2)
    return None if r1 > r2 or c1 > c2 else Range(x.grid, r1, c1, r2, c2)


def _static_refs(n):
    return type(n.left) is RelRef and type(n.right) is RelRef
