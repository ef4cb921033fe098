"""Excel formula text -> tokens: the one tokenizer of sheetsgd.

The parser (parser.py) builds trees from these tokens; the reader translates shared formulas
with movable_parts() (a follower's text is the master's with its relative references moved);
the engine finds a filled-down formula's shape the same way. One regular expression, scanned
left to right: linear time on any text.

    tokenize('=SUM(Sheet1!$A$1:B2)*2')
    -> func 'SUM(', ref 'Sheet1!$A$1:B2', op ')', op '*', num '2', end

A reference token may carry a sheet prefix: 'My sheet'!A1, Sheet1:Sheet3!A1 (3-D),
[1]Sheet1!A1 (another workbook: [n] is the file's n-th external link). Structured references
(Table1[Col], Table1[[#This Row],[Age]], [@Age]) are one token each, brackets and all.
"""
import re

from .refs import COL_NUMBER, MAX_COL, MAX_ROW, col_letters

# Excel's error literals (the last five are Excel 365's, written by it into files)
ERRORS = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A",
          "#GETTING_DATA", "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#UNKNOWN!")

_SHEET_CHARS = r"[A-Za-z0-9_.\u00a1-\uffff]"
_SHEET = (r"(?:\[[0-9]+\])?"                                      # [1]: an external workbook
          r"(?:'(?:[^']|'')+'"                                    # 'My sheet', 'Sheet1:Sheet3'
          r"|[A-Za-z_\u00a1-\uffff]" + _SHEET_CHARS + r"*(?::[A-Za-z_\u00a1-\uffff]" + _SHEET_CHARS + r"*)?"
          r"|\[[0-9]+\])!")                                       # [1]!Name: a name in another book
_CELL = r"\$?[A-Za-z]{1,3}\$?[0-9]{1,7}"
# a structured reference's brackets: [Col], [#This Row], [@Col], [[#Headers],[A]:[B]], 'escapes
_BRACKETS = r"\[(?:[^\[\]']|'.|\[(?:[^\[\]']|'.)*\])*\]"
_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<str>"(?:[^"]|"")*")
  | (?P<func>(?:_xlfn\.|_xlws\.|_xll\.)*[A-Za-z_\\][\w.]*\()
  | (?P<ref>(?P<sheet>""" + _SHEET + r""")?
        (?: (?P<cell1>""" + _CELL + r""")(?::(?P<cell2>""" + _CELL + r"""))?
          | (?P<cols>\$?[A-Za-z]{1,3}:\$?[A-Za-z]{1,3})
          | (?P<rows>\$?[0-9]{1,7}:\$?[0-9]{1,7})
          | (?P<referr>\#REF!)
          | (?P<sname>[A-Za-z_\\][\w.\\?]*)
        )(?![\w.(!$'"\\\[]))
  | (?P<table>(?:[A-Za-z_\\][\w.\\]*)?""" + _BRACKETS + r""")
  | (?P<err>\#(?:NULL!|DIV/0!|VALUE!|REF!|NAME\?|NUM!|N/A|GETTING_DATA|SPILL!|CALC!|FIELD!|BLOCKED!|UNKNOWN!))
  | (?P<num>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)
  | (?P<op><>|<=|>=|[-+*/^&=<>%(),;:{}@\#])
""", re.VERBOSE)

_CELL_PARTS = re.compile(r"(\$?)([A-Za-z]{1,3})(\$?)([0-9]{1,7})")


class TokenError(ValueError):
    """Text that is not a formula; pos is the 0-based character where reading stopped."""

    def __init__(self, text, pos):
        super().__init__(f"cannot read formula at character {pos + 1}: {text[pos:pos + 20]!r}")
        self.pos = pos


class Token:
    """kind: str, func, table, ref, err, num, op, end. m is the regular expression's match
    (a ref token's groups: sheet, cell1, cell2, cols, rows, referr, sname); space: whitespace
    came before it (Excel's intersection operator is a space between two references)."""
    __slots__ = ("kind", "text", "m", "pos", "space")

    def __init__(self, kind, text, m, pos, space):
        self.kind, self.text, self.m, self.pos, self.space = kind, text, m, pos, space

    def __repr__(self):
        return f"{self.kind} {self.text!r}"


# The token a character can start, tried first: most tokens need no walk through every
# alternative of _TOKEN (digits and operators are most of a long formula).
_NUMBER_OR_ROWS = re.compile(r"(?P<num>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)(?![:\w$])")
_OPERATOR = re.compile(r"(?P<op><>|<=|>=|[-+*/^&=<>%(),;:{}@])")
_SPACE = re.compile(r"(?P<ws>\s+)")
_FIRST = {}
for _ch in "0123456789.":
    _FIRST[_ch] = _NUMBER_OR_ROWS
for _ch in "-+*/^&=<>%(),;:{}@":
    _FIRST[_ch] = _OPERATOR
for _ch in " \t\r\n":
    _FIRST[_ch] = _SPACE


def tokenize(text):
    """Every token of formula text (without its leading '='), ending with an 'end' token."""
    toks, pos, n, space = [], 0, len(text), False
    first, full = _FIRST.get, _TOKEN
    while pos < n:
        rx = first(text[pos])
        m = rx.match(text, pos) if rx is not None else None
        if m is None:
            m = full.match(text, pos)
        if m is None:
            raise TokenError(text, pos)
        kind = m.lastgroup
        if kind == "ws":
            space = True
        else:
            toks.append(Token(kind, m.group(0), m, pos, space))
            space = False
        pos = m.end()
    toks.append(Token("end", "", None, n, space))
    return toks


def cell_parts(text):
    """'$B25' -> (row 25, col 2, row anchored False, col anchored True), or None off the grid."""
    m = _CELL_PARTS.fullmatch(text)
    cabs, letters, rabs, digits = m.groups()
    col = COL_NUMBER.get(letters.upper())
    row = int(digits)
    if col is None or not 1 <= row <= MAX_ROW:
        return None
    return row, col, bool(rabs), bool(cabs)


# ------------------------------------------------------------------ moving references
class Movable:
    """One reference of a formula's text that moves when the formula is copied.

    kind 'cell': x1 = column, x2 = row (a1: column anchored, a2: row anchored);
    kind 'cols' (A:C): x1, x2 columns; kind 'rows' (3:5): x1, x2 rows."""
    __slots__ = ("kind", "a1", "x1", "a2", "x2")

    def __init__(self, kind, a1, x1, a2, x2):
        self.kind, self.a1, self.x1, self.a2, self.x2 = kind, a1, x1, a2, x2

    def __repr__(self):
        return f"Movable({self.kind}, {self.a1}, {self.x1}, {self.a2}, {self.x2})"

    def moved(self, drow, dcol):
        """This reference's text drow rows down and dcol columns right; None off the grid."""
        kind, a1, x1, a2, x2 = self.kind, self.a1, self.x1, self.a2, self.x2
        if kind == "cell":
            c, r = (x1 if a1 else x1 + dcol), (x2 if a2 else x2 + drow)
            if not (1 <= c <= MAX_COL and 1 <= r <= MAX_ROW):
                return None
            return f"{'$' if a1 else ''}{col_letters(c)}{'$' if a2 else ''}{r}"
        d = dcol if kind == "cols" else drow
        y1, y2 = (x1 if a1 else x1 + d), (x2 if a2 else x2 + d)
        top = MAX_COL if kind == "cols" else MAX_ROW
        if not (1 <= y1 <= top and 1 <= y2 <= top):
            return None
        if kind == "cols":
            y1, y2 = col_letters(y1), col_letters(y2)
        return f"{'$' if a1 else ''}{y1}:{'$' if a2 else ''}{y2}"


def movable_parts(text):
    """Formula text split into literal str pieces and Movable references, alternating as they
    come: ''.join of the pieces with each Movable's moved(0, 0) is the text again. Fully
    anchored references ($A$1) stay in the literal pieces; so do strings, structured
    references and names. Text that does not tokenize is one literal piece."""
    body = 1 if text.startswith("=") else 0
    try:
        toks = tokenize(text[body:])
    except TokenError:
        return [text]
    parts, at = [], 0
    for tok in toks:
        if tok.kind != "ref":
            continue
        m = tok.m
        for group in ("cell1", "cell2", "cols", "rows"):
            span = m.group(group)
            if span is None:
                continue
            mv = _movable(group, span)
            if mv is None:
                continue
            start = body + m.start(group)
            parts.append(text[at:start])
            parts.append(mv)
            at = start + len(span)
    parts.append(text[at:])
    return parts


def _movable(group, span):
    if group in ("cell1", "cell2"):
        got = cell_parts(span)
        if got is None:
            return None
        row, col, rabs, cabs = got
        return None if rabs and cabs else Movable("cell", cabs, col, rabs, row)
    x, y = span.split(":")
    a1, a2 = x.startswith("$"), y.startswith("$")
    if a1 and a2:
        return None
    x, y = x.lstrip("$"), y.lstrip("$")
    if group == "cols":
        x1, x2 = COL_NUMBER.get(x.upper()), COL_NUMBER.get(y.upper())
        if x1 is None or x2 is None:
            return None
        return Movable("cols", a1, x1, a2, x2)
    return Movable("rows", a1, int(x), a2, int(y))


def move(text, drow, dcol):
    """Formula text as Excel writes it drow rows down and dcol columns right of where it was:
    relative references move, anchored ones stay; a reference pushed off the grid is #REF!."""
    out = []
    for p in movable_parts(text):
        if type(p) is str:
            out.append(p)
        else:
            s = p.moved(drow, dcol)
            out.append("#REF!" if s is None else s)
    return "".join(out)
