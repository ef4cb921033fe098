"""Excel formula text -> expression tree, with Excel's operator precedence.

    =IF(H2="",0,MMULT($B25:$F25,H$19:H$23))   ->   Func('IF', [Binary(=, Ref H2, ""), 0, Func('MMULT', ...)])

Precedence, tightest first (Excel's documented order): ':' range, unary minus, '%' postfix,
'^', '* /', '+ -', '&', comparisons '= <> < > <= >='. Two Excel quirks that differ from
mathematics: unary minus binds tighter than '^' (=-2^2 is 4) and '^' is LEFT associative
(=2^3^2 is 64). Chains of one precedence level (=A1+A2+...+A999) become one n-ary Binary node,
so a long formula gives a wide tree, not a deep one.

Limits (hostile files must get a clean FormulaError, never RecursionError or a hang):
    MAX_LENGTH = 8192 characters of formula text (Excel's own limit)
    MAX_DEPTH  = 256 nested sub-expressions (parentheses, function arguments, operands)
The tokenizer is one regular expression scanned left to right (linear time); the parser
is recursive descent whose depth is counted and capped, so the tree is at most MAX_DEPTH deep.

Never eval/exec: the tree is plain data interpreted by engine.py.
"""
import re

from ..errors import SheetsgdError
from .refs import MAX_COL, MAX_ROW, col_number
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

    Bounds are 1-based and normalised (r1 <= r2, c1 <= c2); the abs flags say which were
    written with '$' (they matter to fill-down shape, not to the value). Whole columns
    (A:A) have rows 1..MAX_ROW, whole rows (1:1) columns 1..MAX_COL.
    """
    __slots__ = ("sheet", "r1", "c1", "r2", "c2", "abs")

    def __init__(self, sheet, r1, c1, r2, c2, abs_=(False, False, False, False)):
        self.sheet, self.r1, self.c1, self.r2, self.c2, self.abs = sheet, r1, c1, r2, c2, abs_


class Name(Node):
    """A defined name (upper-cased), optionally qualified by a sheet: Sheet1!lr."""
    __slots__ = ("name", "sheet")

    def __init__(self, name, sheet=None):
        self.name, self.sheet = name, sheet


class Func(Node):
    """A function call; name is upper-case without Excel's _xlfn./_xlws. prefixes."""
    __slots__ = ("name", "args")

    def __init__(self, name, args):
        self.name, self.args = name, args


class Unary(Node):
    """A run of prefix signs; only the count of minus signs matters (0 = unary plus: no-op)."""
    __slots__ = ("minus", "operand")

    def __init__(self, minus, operand):
        self.minus, self.operand = minus, operand


class Percent(Node):
    __slots__ = ("operand",)

    def __init__(self, operand):
        self.operand = operand


class Binary(Node):
    """operands[0] ops[0] operands[1] ops[1] ... evaluated left to right (one precedence level)."""
    __slots__ = ("prec", "ops", "operands")

    def __init__(self, prec, ops, operands):
        self.prec, self.ops, self.operands = prec, ops, operands


class RangeOp(Node):
    """left:right where either side is not a plain cell (e.g. A1:INDEX(...)): the bounding range."""
    __slots__ = ("left", "right")

    def __init__(self, left, right):
        self.left, self.right = left, right


# ---------------------------------------------------------------- tokenizer
_SHEET = r"(?:'(?:[^']|'')+'|[A-Za-z_\u00a1-\uffff][\w.\u00a1-\uffff]*)!"
_CELL = r"\$?[A-Za-z]{1,3}\$?[0-9]{1,7}"
_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<str>"(?:[^"]|"")*")
  | (?P<func>(?:_xlfn\.|_xlws\.)?[A-Za-z_][\w.]*\()
  | (?P<ref>(?P<sheet>""" + _SHEET + r""")?
        (?: (?P<cell1>""" + _CELL + r""")(?::(?P<cell2>""" + _CELL + r"""))?
          | (?P<cols>\$?[A-Za-z]{1,3}:\$?[A-Za-z]{1,3})
          | (?P<rows>\$?[0-9]{1,7}:\$?[0-9]{1,7})
          | (?P<referr>\#REF!)
          | (?P<sname>[A-Za-z_\\][\w.]*)
        )(?![\w.(!$'"\\]))
  | (?P<err>\#(?:DIV/0!|N/A|VALUE!|REF!|NUM!|NAME\?|NULL!))
  | (?P<num>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)
  | (?P<op><>|<=|>=|[-+*/^&=<>%(),;:{}])
""", re.VERBOSE)

_CELL_PARTS = re.compile(r"(\$?)([A-Za-z]{1,3})(\$?)([0-9]{1,7})")


class _Tok:
    __slots__ = ("kind", "text", "m", "pos")

    def __init__(self, kind, text, m, pos):
        self.kind, self.text, self.m, self.pos = kind, text, m, pos


def tokenize(text):
    toks, pos, n = [], 0, len(text)
    while pos < n:
        m = _TOKEN.match(text, pos)
        if m is None:
            raise FormulaError(f"cannot read formula at character {pos + 1}: {text[pos:pos + 20]!r}")
        kind = m.lastgroup
        if kind == "ref" or m.group("ref") is not None:
            kind = "ref"
        if kind != "ws":
            toks.append(_Tok(kind, m.group(0), m, pos))
        pos = m.end()
    toks.append(_Tok("end", "", None, n))
    return toks


def _cell(text):
    m = _CELL_PARTS.fullmatch(text)
    cabs, letters, rabs, digits = m.groups()
    row, col = int(digits), col_number(letters)
    if not (1 <= row <= MAX_ROW and 1 <= col <= MAX_COL):
        return None
    return row, col, bool(rabs), bool(cabs)


def _unquote_sheet(s):
    s = s[:-1]
    if s.startswith("'"):
        s = s[1:-1].replace("''", "'")
    return s


def _ref_node(m):
    sheet = _unquote_sheet(m.group("sheet")) if m.group("sheet") else None
    if m.group("referr"):
        return Const(ERROR_CODES["#REF!"])
    if m.group("sname"):
        word = m.group("sname")
        up = word.upper()
        if sheet is None and up in ("TRUE", "FALSE"):
            return Const(up == "TRUE")
        return Name(up, sheet)
    if m.group("cell1"):
        a = _cell(m.group("cell1"))
        b = _cell(m.group("cell2")) if m.group("cell2") else a
        if a is None or b is None:   # a column beyond XFD or row 0: really a name like LOG10
            if m.group("cell2") is None and m.group("cell1")[0] != "$":
                return Name(m.group("cell1").upper(), sheet)
            raise FormulaError(f"reference outside Excel's grid: {m.group(0)!r}")
        (r1, ra1), (r2, ra2) = sorted(((a[0], a[2]), (b[0], b[2])))
        (c1, ca1), (c2, ca2) = sorted(((a[1], a[3]), (b[1], b[3])))
        return Ref(sheet, r1, c1, r2, c2, (ra1, ca1, ra2, ca2))
    if m.group("cols"):
        x, y = m.group("cols").split(":")
        c1, c2 = sorted((col_number(x.lstrip("$")), col_number(y.lstrip("$"))))
        if c2 > MAX_COL:
            raise FormulaError(f"column outside Excel's grid: {m.group(0)!r}")
        return Ref(sheet, 1, c1, MAX_ROW, c2, (True, x.startswith("$"), True, y.startswith("$")))
    x, y = m.group("rows").split(":")
    r1, r2 = sorted((int(x.lstrip("$")), int(y.lstrip("$"))))
    if r1 < 1 or r2 > MAX_ROW:
        raise FormulaError(f"row outside Excel's grid: {m.group(0)!r}")
    return Ref(sheet, r1, 1, r2, MAX_COL, (x.startswith("$"), True, y.startswith("$"), True))


# ---------------------------------------------------------------- parser
_BINARY = {"=": 1, "<>": 1, "<": 1, ">": 1, "<=": 1, ">=": 1, "&": 2, "+": 3, "-": 3, "*": 4, "/": 4, "^": 5}
_PERCENT = 6
_UNARY = 7      # the operand of a prefix sign binds only ':' (8)
_RANGE = 8


def _strip_prefix(name):
    up = name.upper()
    for p in ("_XLFN.", "_XLWS.", "_XLFN._XLWS."):
        if up.startswith(p):
            up = up[len(p):]
    return up


class _Parser:
    def __init__(self, text):
        self.text = text
        self.toks = tokenize(text)
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

    def expr(self, min_prec=0):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise FormulaError(f"formula nested deeper than {MAX_DEPTH} levels: {_short(self.text)}")
        left = self.prefix()
        chain = False    # left is a Binary built by this loop (not a parenthesised one)
        while True:
            t = self.peek()
            if t.kind != "op":
                break
            op = t.text
            if op == "%" and _PERCENT > min_prec:
                self.next()
                left, chain = Percent(left), False
            elif op == ":" and _RANGE > min_prec:
                self.next()
                left, chain = RangeOp(left, self.expr(_RANGE)), False
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
        if k == "num":
            return Const(float(t.text))
        if k == "str":
            return Const(t.text[1:-1].replace('""', '"'))
        if k == "err":
            return Const(ERROR_CODES[t.text])
        if k == "ref":
            return _ref_node(t.m)
        if k == "func":
            return self.call(_strip_prefix(t.text[:-1]))
        if k == "op" and t.text == "(":
            e = self.expr(0)
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
            return Func(name, args)
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
                return Func(name, args)
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
        t = type(node)
        if t is Func:
            stack.extend(node.args)
        elif t is Binary:
            stack.extend(node.operands)
        elif t is Unary or t is Percent:
            stack.append(node.operand)
        elif t is RangeOp:
            stack.append(node.left)
            stack.append(node.right)


def functions_used(text):
    """{'IF', 'MMULT'} for '=IF(H2="",0,MMULT(...))': upper-case names, _xlfn. prefix removed."""
    tree = text if isinstance(text, Node) else parse(text)
    return {n.name for n in walk(tree) if type(n) is Func}
