"""Excel formula text -> expression tree, with Excel's operator precedence.

    =IF(H2="",0,MMULT($B25:$F25,H$19:H$23))   ->   Func('IF', [Binary(=, Ref H2, ""), 0, Func('MMULT', ...)])

Precedence, tightest first (Excel's documented order): ':' range, ' ' intersection,
',' union (inside parentheses), unary minus, '%' postfix, '^', '* /', '+ -', '&',
comparisons '= <> < > <= >='. Two Excel quirks that differ from mathematics: unary minus
binds tighter than '^' (=-2^2 is 4) and '^' is LEFT associative (=2^3^2 is 64). Chains of
one precedence level (=A1+A2+...+A999) become one n-ary Binary node, so a long formula gives
a wide tree, not a deep one.

Limits (hostile files must get a clean FormulaError, never RecursionError or a hang):
    MAX_LENGTH = 8192 characters of formula text (Excel's own limit)
    MAX_DEPTH  = 256 nested sub-expressions (parentheses, function arguments, operands, '%')
The tokenizer (tokens.py) is one regular expression scanned left to right (linear time);
the parser is recursive descent whose depth is counted and capped.

Never eval/exec: the tree is plain data, compiled into closures by compiler.py.
"""
from ..errors import SheetsgdError
from .refs import MAX_COL, MAX_ROW, COL_NUMBER
from .tokens import TokenError, cell_parts, tokenize
from .values import ERROR_CODES

MAX_LENGTH = 8192
MAX_DEPTH = 256


class FormulaError(SheetsgdError):
    """Formula text that cannot be parsed (or exceeds the limits above)."""


# ---------------------------------------------------------------- tree nodes
class Node:
    __slots__ = ()

    def __repr__(self):
        fields = ", ".join(f"{k}={getattr(self, k)!r}" for k in self.__slots__)
        return f"{type(self).__name__}({fields})"

    def __eq__(self, other):
        return type(self) is type(other) and all(getattr(self, k) == getattr(other, k) for k in self.__slots__)

    def __hash__(self):
        return hash(type(self).__name__)

    def children(self):
        return ()


class Const(Node):
    """A literal: float, str, bool or ExcelError."""
    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


class Missing(Node):
    """An omitted argument, as in IF(A1,,2)."""
    __slots__ = ()


class ArrayConst(Node):
    """{1,2;3,4}: rows of constants."""
    __slots__ = ("rows",)

    def __init__(self, rows):
        self.rows = rows


class Ref(Node):
    """A cell or range, on sheet `sheet` (None = the formula's own sheet).

    Bounds are 1-based and normalised (r1 <= r2, c1 <= c2); abs = (row1, col1, row2, col2)
    anchored with '$' (they matter to fill-down shape, not to the value). Whole columns (A:A)
    have rows 1..MAX_ROW, whole rows (1:1) columns 1..MAX_COL. sheet2: the last sheet of a
    3-D reference (Sheet1:Sheet3!A1); book: "[1]" for a reference into another workbook."""
    __slots__ = ("sheet", "r1", "c1", "r2", "c2", "abs", "sheet2", "book")

    def __init__(self, sheet, r1, c1, r2, c2, abs_=(False, False, False, False), sheet2=None, book=None):
        self.sheet, self.r1, self.c1, self.r2, self.c2, self.abs = sheet, r1, c1, r2, c2, abs_
        self.sheet2, self.book = sheet2, book


class Name(Node):
    """A defined name (upper-cased), optionally qualified by a sheet: Sheet1!lr (book: another
    workbook's name, [1]!lr)."""
    __slots__ = ("name", "sheet", "book")

    def __init__(self, name, sheet=None, book=None):
        self.name, self.sheet, self.book = name, sheet, book


class Table(Node):
    """A structured reference: Table1[[#This Row],[Age]] -> Table('TABLE1', {'#THIS ROW'},
    'Age', 'Age'); [@Age] has no table name (the table the formula is in). col1/col2 None:
    every column."""
    __slots__ = ("table", "specials", "col1", "col2")

    def __init__(self, table, specials, col1, col2):
        self.table, self.specials, self.col1, self.col2 = table, specials, col1, col2


class Func(Node):
    """A function call; name is upper-case without Excel's _xlfn./_xlws. prefixes."""
    __slots__ = ("name", "args")

    def __init__(self, name, args):
        self.name, self.args = name, args

    def children(self):
        return self.args


class Unary(Node):
    """A run of prefix signs; only the count of minus signs matters (0 = unary plus: no-op)."""
    __slots__ = ("minus", "operand")

    def __init__(self, minus, operand):
        self.minus, self.operand = minus, operand

    def children(self):
        return (self.operand,)


class Percent(Node):
    __slots__ = ("operand",)

    def __init__(self, operand):
        self.operand = operand

    def children(self):
        return (self.operand,)


class Binary(Node):
    """operands[0] ops[0] operands[1] ops[1] ... evaluated left to right (one precedence level)."""
    __slots__ = ("prec", "ops", "operands")

    def __init__(self, prec, ops, operands):
        self.prec, self.ops, self.operands = prec, ops, operands

    def children(self):
        return self.operands


class RangeOp(Node):
    """left:right where either side is not a plain cell (e.g. A1:INDEX(...)): the bounding range."""
    __slots__ = ("left", "right")

    def __init__(self, left, right):
        self.left, self.right = left, right

    def children(self):
        return (self.left, self.right)


class Intersect(Node):
    """@x (and _xlfn.SINGLE(x)): Excel's implicit intersection, explicitly: a range gives the
    cell on the formula's row or column, an array its first value."""
    __slots__ = ("operand",)

    def __init__(self, operand):
        self.operand = operand

    def children(self):
        return (self.operand,)


class Isect(Node):
    """a b: the intersection of two references (the space operator); #NULL! when empty."""
    __slots__ = ("left", "right")

    def __init__(self, left, right):
        self.left, self.right = left, right

    def children(self):
        return (self.left, self.right)


class Union(Node):
    """(a,b,...): several references as one argument."""
    __slots__ = ("items",)

    def __init__(self, items):
        self.items = items

    def children(self):
        return self.items


class Invoke(Node):
    """LAMBDA(x, x+1)(2): calling the function a formula made (Excel 365)."""
    __slots__ = ("callee", "args")

    def __init__(self, callee, args):
        self.callee, self.args = callee, args

    def children(self):
        return [self.callee, *self.args]


class Spill(Node):
    """A1#: the range an array formula anchored at A1 spills into."""
    __slots__ = ("operand",)

    def __init__(self, operand):
        self.operand = operand

    def children(self):
        return (self.operand,)


# ---------------------------------------------------------------- parser
_BINARY = {"=": 1, "<>": 1, "<": 1, ">": 1, "<=": 1, ">=": 1, "&": 2, "+": 3, "-": 3, "*": 4, "/": 4, "^": 5}
_PERCENT = 6
_UNARY = 7      # the operand of a prefix sign binds only ':' and ' ' (8, 9)
_ISECT = 8
_RANGE = 9
_PREFIXES = ("_XLFN.", "_XLWS.", "_XLL.")


def strip_prefix(name):
    """'_xlfn._xlws.SORT' -> 'SORT' (Excel's prefixes for functions newer than 2007)."""
    up = name.upper()
    changed = True
    while changed:
        changed = False
        for p in _PREFIXES:
            if up.startswith(p):
                up = up[len(p):]
                changed = True
    return up


def _unquote_sheet(s):
    """"'my sheet'!" -> ('my sheet', None, None); "Sheet1:Sheet3!" -> ('Sheet1', 'Sheet3', None);
    "[1]Sheet1!" -> ('Sheet1', None, '[1]')."""
    s = s[:-1]
    book = None
    if s.startswith("["):
        end = s.index("]")
        book, s = s[:end + 1], s[end + 1:]
        if not s:
            return None, None, book
    if s.startswith("'"):
        s = s[1:-1].replace("''", "'")
        if book is None and s.startswith("["):
            end = s.index("]")
            book, s = s[:end + 1], s[end + 1:]
    first, sep, last = s.partition(":")
    return (first, last, book) if sep else (s, None, book)


def _ref_node(m):
    sheet = sheet2 = book = None
    if m.group("sheet"):
        sheet, sheet2, book = _unquote_sheet(m.group("sheet"))
    if m.group("referr"):
        return Const(ERROR_CODES["#REF!"])
    if m.group("sname"):
        word = m.group("sname")
        up = word.upper()
        if sheet is None and book is None and up in ("TRUE", "FALSE"):
            return Const(up == "TRUE")
        return Name(up, sheet, book)
    if m.group("cell1"):
        a = cell_parts(m.group("cell1"))
        b = cell_parts(m.group("cell2")) if m.group("cell2") else a
        if a is None or b is None:   # a column beyond XFD or row 0: really a name like LOG10
            if m.group("cell2") is None and m.group("cell1")[0] != "$":
                return Name(m.group("cell1").upper(), sheet, book)
            raise FormulaError(f"reference outside Excel's grid: {m.group(0)!r}")
        (r1, ra1), (r2, ra2) = sorted(((a[0], a[2]), (b[0], b[2])))
        (c1, ca1), (c2, ca2) = sorted(((a[1], a[3]), (b[1], b[3])))
        return Ref(sheet, r1, c1, r2, c2, (ra1, ca1, ra2, ca2), sheet2, book)
    if m.group("cols"):
        x, y = m.group("cols").split(":")
        n1, n2 = COL_NUMBER.get(x.lstrip("$").upper()), COL_NUMBER.get(y.lstrip("$").upper())
        if n1 is None or n2 is None:
            raise FormulaError(f"column outside Excel's grid: {m.group(0)!r}")
        (c1, a1), (c2, a2) = sorted(((n1, x.startswith("$")), (n2, y.startswith("$"))))
        return Ref(sheet, 1, c1, MAX_ROW, c2, (True, a1, True, a2), sheet2, book)
    x, y = m.group("rows").split(":")
    (r1, a1), (r2, a2) = sorted(((int(x.lstrip("$")), x.startswith("$")), (int(y.lstrip("$")), y.startswith("$"))))
    if r1 < 1 or r2 > MAX_ROW:
        raise FormulaError(f"row outside Excel's grid: {m.group(0)!r}")
    return Ref(sheet, r1, 1, r2, MAX_COL, (a1, True, a2, True), sheet2, book)


def _unescape_column(s):
    """A table column name as written inside brackets: ' escapes [ ] # ' (and surrounding
    spaces are not part of the name)."""
    out, i = [], 0
    while i < len(s):
        if s[i] == "'" and i + 1 < len(s):
            out.append(s[i + 1])
            i += 2
        else:
            out.append(s[i])
            i += 1
    return "".join(out).strip()


def _split_top(inner):
    """'[#This Row],[Age]' -> ['[#This Row]', '[Age]'] (commas outside brackets)."""
    items, depth, start, i = [], 0, 0, 0
    while i < len(inner):
        ch = inner[i]
        if ch == "'":
            i += 2
            continue
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == "," and depth == 0:
            items.append(inner[start:i])
            start = i + 1
        i += 1
    items.append(inner[start:])
    return [x.strip() for x in items]


def table_node(text):
    """A structured reference's text -> Table node; FormulaError when it is not one."""
    at = text.index("[")
    name = text[:at].upper() or None
    inner = text[at + 1:-1]
    specials, cols = set(), []
    if inner.startswith("@"):                       # [@Age], [@[Col 1]], [@] (this row)
        specials.add("#THIS ROW")
        inner = inner[1:].strip()
        if inner.startswith("[") and inner.endswith("]") and "]:[" not in inner:
            inner = inner[1:-1]
        elif inner.startswith("["):
            pass                                    # [@[A]:[B]]
        items = [inner] if inner else []
    elif "[" not in inner:
        items = [inner] if inner else []
    else:
        items = _split_top(inner)
    for item in items:
        if item.startswith("[") and item.endswith("]") and "]:[" not in item:
            item = item[1:-1]
        if item.startswith("#"):
            specials.add(item.upper())
            continue
        if "]:[" in item:
            a, b = item.split("]:[", 1)
            cols.append((_unescape_column(a.lstrip("[")), _unescape_column(b.rstrip("]"))))
        else:
            col = _unescape_column(item)
            cols.append((col, col))
    known = {"#ALL", "#DATA", "#HEADERS", "#TOTALS", "#THIS ROW"}
    if not specials <= known or len(cols) > 1:
        raise FormulaError(f"unsupported structured reference {text!r}")
    col1, col2 = cols[0] if cols else (None, None)
    return Table(name, frozenset(specials), col1, col2)


class _Parser:
    def __init__(self, text):
        self.text = text
        try:
            self.toks = tokenize(text)
        except TokenError as e:
            raise FormulaError(str(e)) from None
        self.i = 0
        self.depth = 0

    def peek(self):
        return self.toks[self.i]

    def next(self):
        t = self.toks[self.i]
        self.i += 1
        return t

    def fail(self, why, tok=None):
        tok = tok or self.peek()
        where = f"at character {tok.pos + 1}" if tok.kind != "end" else "at the end"
        raise FormulaError(f"bad formula {_short(self.text)}: {why} {where}")

    def expect(self, text):
        t = self.next()
        if t.kind != "op" or t.text != text:
            self.i -= 1
            self.fail(f"expected {text!r}")

    def deeper(self):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise FormulaError(f"formula nested deeper than {MAX_DEPTH} levels: {_short(self.text)}")

    def expr(self, min_prec=0, union=False):
        self.deeper()
        left = self.prefix()
        chain = False    # left is a Binary built by this loop (not a parenthesised one)
        while True:
            t = self.peek()
            if t.kind in ("ref", "func", "table") or (t.kind == "op" and t.text == "("):
                if t.space and _ISECT > min_prec:          # A1:B5 B2:C3: the space operator
                    left, chain = Isect(left, self.expr(_ISECT)), False
                    continue
                break
            if t.kind != "op":
                break
            op = t.text
            if op == "%" and _PERCENT > min_prec:
                self.next()
                self.deeper()                               # =1%%%...%: each % one level
                left, chain = Percent(left), False
            elif op == "#" and not t.space and _RANGE > min_prec:
                self.next()
                left, chain = Spill(left), False
            elif op == ":" and _RANGE > min_prec:
                self.next()
                left, chain = RangeOp(left, self.expr(_RANGE)), False
            elif op == "," and union and min_prec == 0:
                items = [left]
                while self.peek().kind == "op" and self.peek().text == ",":
                    self.next()
                    items.append(self.expr(0))
                left, chain = Union(items), False
            elif op in _BINARY and _BINARY[op] > min_prec:
                self.next()
                prec = _BINARY[op]
                right = self.expr(prec)            # left associative, '^' included
                if chain and left.prec == prec:
                    left.ops.append(op)
                    left.operands.append(right)
                else:
                    left, chain = Binary(prec, [op], [left, right]), True
            else:
                break
        self.depth -= 1
        return left

    def prefix(self):
        t = self.next()
        k = t.kind
        if k == "op" and t.text in "+-":
            minus = 0
            while t.kind == "op" and t.text in "+-":
                minus += t.text == "-"
                t = self.next()
            self.i -= 1
            return Unary(minus, self.expr(_UNARY))
        if k == "op" and t.text == "@":
            return Intersect(self.expr(_UNARY))
        if k == "num":
            return Const(float(t.text))
        if k == "str":
            return Const(t.text[1:-1].replace('""', '"'))
        if k == "err":
            return Const(ERROR_CODES[t.text])
        if k == "ref":
            return _ref_node(t.m)
        if k == "table":
            return table_node(t.text)
        if k == "func":
            name = strip_prefix(t.text[:-1])
            args = self.call(name)
            if name == "SINGLE" and len(args) == 1:        # _xlfn.SINGLE(x) is @x
                return Intersect(args[0])
            node = Func(name, args)
            while self.peek().kind == "op" and self.peek().text == "(" and not self.peek().space:
                self.next()
                node = Invoke(node, self.call(name))
            return node
        if k == "op" and t.text == "(":
            e = self.expr(0, union=True)
            self.expect(")")
            return e
        if k == "op" and t.text == "{":
            return self.array()
        self.i -= 1
        self.fail("expected a value" if k == "end" else f"unexpected {t.text!r}")

    def call(self, name):
        args = []
        if self.peek().kind == "op" and self.peek().text == ")":
            self.next()
            return args
        while True:
            t = self.peek()
            if t.kind == "op" and t.text in ",)":
                args.append(Missing())
            else:
                args.append(self.expr(0))
            t = self.next()
            if t.kind == "op" and t.text == ",":
                continue
            if t.kind == "op" and t.text == ")":
                return args
            self.i -= 1
            self.fail(f"expected ',' or ')' in {name}(")

    def array(self):
        rows, row = [], []
        while True:
            t = self.next()
            sign = 1.0
            while t.kind == "op" and t.text in "+-":
                sign = -sign if t.text == "-" else sign
                t = self.next()
            if t.kind == "num":
                row.append(sign * float(t.text))
            elif t.kind == "str":
                row.append(t.text[1:-1].replace('""', '"'))
            elif t.kind == "err":
                row.append(ERROR_CODES[t.text])
            elif t.kind == "ref" and t.text.upper() == "#REF!":      # {1,#REF!}: the error value
                row.append(ERROR_CODES["#REF!"])
            elif t.kind == "ref" and t.m.group("sname") and t.text.upper() in ("TRUE", "FALSE"):
                row.append(t.text.upper() == "TRUE")
            else:
                self.i -= 1
                self.fail("expected a constant in an array {...}")
            t = self.next()
            if t.kind == "op" and t.text == ",":
                continue
            if t.kind == "op" and t.text in ";}":
                rows.append(row)
                if len(rows[0]) != len(row):
                    self.fail("array rows of different lengths", t)
                if t.text == "}":
                    return ArrayConst(rows)
                row = []
                continue
            self.i -= 1
            self.fail("expected ',', ';' or '}' in an array")


def _short(text):
    return repr(text if len(text) <= 60 else text[:57] + "...")


_CACHE = {}


def parse(text):
    """Formula text (with or without its leading '=') -> expression tree; FormulaError if unparsable."""
    tree = _CACHE.get(text)
    if tree is not None:
        return tree
    if not isinstance(text, str):
        raise FormulaError(f"formula must be text, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"formula of {len(text)} characters exceeds the limit of {MAX_LENGTH}")
    body = text[1:] if text.startswith("=") else text
    if not body.strip():
        raise FormulaError("empty formula")
    p = _Parser(body)
    tree = p.expr(0)
    if p.peek().kind != "end":
        p.fail(f"unexpected {p.peek().text!r}")
    if len(_CACHE) > 50_000:
        _CACHE.clear()
    _CACHE[text] = tree
    return tree


def walk(tree):
    """Every node of a tree, iteratively (trees may be wide)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(node.children())


def functions_used(text):
    """{'IF', 'MMULT'} for '=IF(H2="",0,MMULT(...))': upper-case names, _xlfn. prefix removed."""
    tree = text if isinstance(text, Node) else parse(text)
    return {n.name for n in walk(tree) if type(n) is Func}
