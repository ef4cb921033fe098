"""The small functions a compiled formula is made of: each node of a tree becomes one of these.

closures.py holds what runs for every cell (reading a cell, + - * / ^ with a fast path for two
floats, calling a registry entry); compiler.py decides which to build for each node.
"""
from functools import partial
from math import pow as _pow

from .functions.operators import MAX_TEXT, arith, binary, compare, concat, elementwise, negate
from .functions.registry import call as call_function, result
from .ranges import Range, Union as RangeUnion
from .values import DIV0, MISSING, NUM, VALUE, Array, ExcelError

_MISS = object()


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


def const(v):
    return lambda r, c: v


def cell_reader(grid, n):
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


def memo(memo, key, fn):
    def memoised(r, c):
        v = memo.get(key, _MISS)
        if v is _MISS:
            v = memo[key] = fn(r, c)
        return v
    return memoised


def union_of(items):
    for x in items:
        if type(x) is ExcelError:
            return x
        if type(x) is not Range:
            return VALUE
    return RangeUnion(items)


def to_array(fn):
    def arr(r, c):
        v = fn(r, c)
        t = type(v)
        if t is Array or t is ExcelError:
            return v
        return Array([[v]])
    return arr


def top_array(fn):
    """An array formula's result: a reference's values as an Array."""
    def top(r, c):
        return as_array_or_value(fn(r, c))
    return top


_ARITH = {"+", "-", "*", "/", "^"}


def binary_closure(op, a, b):
    if op in _ARITH:
        return arith_closure(op, a, b)
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


def chain(ops, fns):
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


def arith_closure(op, a, b):
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


def negation(a):
    def f(r, c):
        x = a(r, c)
        if type(x) is float:
            return 0.0 - x
        if type(x) is Array:
            return elementwise(negate, x)
        return negate(x)
    return f


def as_number(a):
    """'--x': the value as a number (TRUE -> 1, "3" -> 3)."""
    return unary(lambda v: negate(negate(v)), a)


def unary(op, a):
    def f(r, c):
        x = a(r, c)
        if type(x) is Array:
            return elementwise(op, x)
        return op(x)
    return f


def number_caller(f, a):
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


def caller(f, args, lazy, ctx, ranges):
    """The closure calling registry entry f with its compiled arguments."""
    impl_call = call_function
    n = len(args)
    if n == 1 and not ctx and f.kinds[:1] and f.kinds[0].name == "number":
        return number_caller(f, args[0])
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
