"""A parsed formula placed at its cell: references made relative, tables resolved.

A formula filled down a column is one formula in relative terms: =(G5-C5)^2 in row 5 and
=(G6-C6)^2 in row 6 both read "column G and column C of my own row". relative() turns each
Ref of a tree into a RelRef, whose bounds are base + m * (the formula's row or column)
(m = 1 for a bound written without '$', 0 for an anchored one), so one tree, compiled once,
serves every cell of the fill.

Structured references (Table1[Col], [@Age], Table1[#Headers]) are resolved here too, from
the book's tables (book.tables), into the plain references they stand for; [@Col] is the
implicit intersection of the column's data with the formula's row, as Excel defines it.
"""
from .parser import (Binary, Const, Func, Intersect, Invoke, Isect, Node, Percent, RangeOp, Ref, Spill, Table,
                     Unary, Union)
from .refs import MAX_COL, MAX_ROW
from .values import REF, VALUE


class RelRef(Node):
    """A reference in a shape: each bound is base + m * (the formula's row or column).

    wrap: a reference from a defined name, relative to A1 of the cell using the name; its
    positions wrap around the grid as Excel's do (a name =Sheet1!XFD1 used in B1 reads A1)."""
    __slots__ = ("sheet", "r1", "c1", "r2", "c2", "m", "cell", "sheet2", "book", "wrap")

    def __init__(self, sheet, r1, c1, r2, c2, m, sheet2=None, book=None, wrap=False):
        self.sheet, self.r1, self.c1, self.r2, self.c2, self.m = sheet, r1, c1, r2, c2, m
        self.sheet2, self.book, self.wrap = sheet2, book, wrap
        self.cell = r1 == r2 and c1 == c2 and m[0] == m[2] and m[1] == m[3]   # one cell wherever used

    def at(self, row, col):
        """(r1, c1, r2, c2) of the reference as the cell (row, col) reads it."""
        m = self.m
        r1, c1 = self.r1 + m[0] * row, self.c1 + m[1] * col
        r2, c2 = self.r2 + m[2] * row, self.c2 + m[3] * col
        if self.wrap:
            r1, r2 = (r1 - 1) % MAX_ROW + 1, (r2 - 1) % MAX_ROW + 1
            c1, c2 = (c1 - 1) % MAX_COL + 1, (c2 - 1) % MAX_COL + 1
        if r1 > r2:
            r1, r2 = r2, r1
        if c1 > c2:
            c1, c2 = c2, c1
        return r1, c1, r2, c2

    @property
    def fixed(self):
        """Is it the same block wherever it is used?"""
        return self.m == (0, 0, 0, 0)


def _rebuild(node, f):
    """A copy of node with each child replaced by f(child)."""
    t = type(node)
    if t is Func:
        return Func(node.name, [f(a) for a in node.args])
    if t is Binary:
        return Binary(node.prec, list(node.ops), [f(a) for a in node.operands])
    if t is Unary:
        return Unary(node.minus, f(node.operand))
    if t is Percent:
        return Percent(f(node.operand))
    if t is RangeOp:
        return RangeOp(f(node.left), f(node.right))
    if t is Isect:
        return Isect(f(node.left), f(node.right))
    if t is Intersect:
        return Intersect(f(node.operand))
    if t is Spill:
        return Spill(f(node.operand))
    if t is Union:
        return Union([f(a) for a in node.items])
    if t is Invoke:
        return Invoke(f(node.callee), [f(a) for a in node.args])
    return node


def relative(node, row, col, wrap=False):
    """Copy of a tree with each Ref made a RelRef relative to (row, col) (for a defined name:
    row = col = 1 and wrap=True)."""
    if type(node) is Ref:
        ra1, ca1, ra2, ca2 = node.abs
        m = (0 if ra1 else 1, 0 if ca1 else 1, 0 if ra2 else 1, 0 if ca2 else 1)
        whole_cols = node.r1 == 1 and node.r2 == MAX_ROW
        whole_rows = node.c1 == 1 and node.c2 == MAX_COL
        if whole_cols:                        # A:A stays every row wherever it is used
            m = (0, m[1], 0, m[3])
        if whole_rows:
            m = (m[0], 0, m[2], 0)
        return RelRef(node.sheet, node.r1 - m[0] * row, node.c1 - m[1] * col,
                      node.r2 - m[2] * row, node.c2 - m[3] * col, m, node.sheet2, node.book,
                      wrap and m != (0, 0, 0, 0))
    return _rebuild(node, lambda a: relative(a, row, col, wrap))


def has_tables(node):
    stack = [node]
    while stack:
        n = stack.pop()
        if type(n) is Table:
            return True
        stack.extend(n.children())
    return False


def resolve_tables(node, book, sheet, row, col):
    """Copy of a tree with each structured reference replaced by the reference it stands for
    (a Const #REF! where the table or column does not exist, as Excel would show)."""
    if type(node) is Table:
        return _table_ref(node, book, sheet, row, col)
    return _rebuild(node, lambda a: resolve_tables(a, book, sheet, row, col))


def _table_ref(node, book, sheet, row, col):
    tables = getattr(book, "tables", None) or {}
    t = tables.get(node.table) if node.table else _table_at(tables, sheet, row, col)
    if t is None:
        return Const(REF)
    names = [c.upper() for c in t.columns]
    if node.col1 is None:
        ca, cb = t.c1, t.c2
    else:
        try:
            ca = t.c1 + names.index(node.col1.upper())
            cb = t.c1 + names.index(node.col2.upper())
        except ValueError:
            return Const(REF)
        ca, cb = min(ca, cb), max(ca, cb)
    header = t.r1 if t.header_rows else None
    totals = t.r2 if t.totals_rows else None
    d1 = t.r1 + (1 if t.header_rows else 0)
    d2 = t.r2 - (1 if t.totals_rows else 0)
    sp = node.specials
    if "#ALL" in sp:
        ra, rb = t.r1, t.r2
    elif "#HEADERS" in sp and ("#DATA" in sp or "#TOTALS" in sp):
        if header is None:
            return Const(REF)
        ra, rb = header, (t.r2 if "#TOTALS" in sp else d2)
    elif "#HEADERS" in sp:
        if header is None:
            return Const(REF)
        ra = rb = header
    elif "#TOTALS" in sp and "#DATA" in sp:
        ra, rb = d1, t.r2
    elif "#TOTALS" in sp:
        if totals is None:
            return Const(REF)
        ra = rb = totals
    else:
        ra, rb = d1, d2
    if rb < ra:
        return Const(REF)
    on = t.sheet if t.sheet != sheet else None
    if "#THIS ROW" in sp:           # the formula's own row of those columns (any column of the sheet)
        if not d1 <= row <= d2:
            return Const(VALUE)
        return Ref(on, row, ca, row, cb, (False, True, False, True))
    return Ref(on, ra, ca, rb, cb, (True, True, True, True))


def table_key(book, sheet, row, col):
    """What a formula's structured references resolve to depends on, besides its text: the
    table the cell is in ([@Col]) and which tables' data rows hold the cell's row (#This Row
    outside them is #VALUE!). Cells with one text and one key share a shape."""
    tables = getattr(book, "tables", None) or {}
    t = _table_at(tables, sheet, row, col)
    return (t.name if t is not None else None,
            tuple(t.r1 + (1 if t.header_rows else 0) <= row <= t.r2 - (1 if t.totals_rows else 0)
                  for t in tables.values()))


def table_span(book, row):
    """(first, last): the rows around `row` that table_key sees alike (in every column)."""
    lo, hi = 1, MAX_ROW
    for t in (getattr(book, "tables", None) or {}).values():
        d1, d2 = t.r1 + (1 if t.header_rows else 0), t.r2 - (1 if t.totals_rows else 0)
        for b in (t.r1, d1, d2 + 1, t.r2 + 1):
            if b <= row:
                lo = max(lo, b)
            else:
                hi = min(hi, b - 1)
    return lo, hi


def _table_at(tables, sheet, row, col):
    for t in tables.values():
        if t.sheet == sheet and t.r1 <= row <= t.r2 and t.c1 <= col <= t.c2:
            return t
    return None
