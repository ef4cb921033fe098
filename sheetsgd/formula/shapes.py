"""Formula text -> Shape: what every cell filled from one formula shares, compiled once.

A formula filled down 100k rows is 100k texts that differ only in their row numbers. Each
text is matched to its shape without parsing it: its digits masked ("=(G#-C#)^#") give a
skeleton, and the skeleton's template (which digit runs are relative row numbers, found once
by tokenizing one text of that skeleton) turns the text into a key: the skeleton, the row
numbers made relative to the cell's row, and the other digits as they are. Cells with one
key share one Shape: one parse, one relative tree, one compiled closure. A cell whose text
equals the cell above's shape written at its own row (fmt below) is matched without even
that.
"""
import re

from .compiler import Compiled
from .parser import FormulaError, parse
from .refs import MAX_ROW
from .tokens import TokenError, cell_parts, tokenize
from .trees import has_tables, relative, resolve_tables, table_key, table_span

_DIGITS = re.compile(r"[0-9]+")
_REL_ROW, _CONST = 1, 0


class Shape:
    """A formula as every cell filled from it computes it: its text at the row it was first
    met, and, made on first use (after the planner has counted what parsing will cost):
    compiled (the closure and what it reads, compiler.Compiled; None when unparsable), reason
    (why its cells cannot be checked; None: they can), tree (the relative tree, for the
    vector path)."""
    __slots__ = ("text", "sheet", "row", "col", "array", "_shapes", "_made", "_compiled", "_reason",
                 "_tree", "_fill", "vector", "span")

    def __init__(self, shapes, text, sheet, row, col, array):
        self._shapes, self.text, self.sheet, self.row, self.col, self.array = shapes, text, sheet, row, col, array
        self._made = False
        self._fill = 0              # not made yet (None: the text cannot be filled down)
        self.vector = None          # set by the planner: can the NumPy path compute a block of it?
        self.span = None            # structured references: span(row) -> (first, last), the rows
                                    # around row where the same text is the same shape

    def _make(self):
        self._compiled, self._reason, self._tree = self._shapes.make(self)
        self._made = True

    @property
    def compiled(self):
        if not self._made:
            self._make()
        return self._compiled

    @property
    def reason(self):
        if not self._made:
            self._make()
        return self._reason

    @property
    def tree(self):
        if not self._made:
            self._make()
        return self._tree

    def filler(self):
        """fill(first row, last row) -> this shape's text written at each of those rows (None
        where a reference would leave the grid); None if the text cannot be written so."""
        if self._fill == 0:
            self._fill = None
            fmt, offs = self._shapes.format(self.text, self.row)
            if fmt is not None:
                self._fill = _filler(fmt, offs)
                if self._fill is not None and self.span is not None:
                    self._fill = _bounded(self._fill, self.span)
        return self._fill

    @property
    def fn(self):
        return self.compiled.fn

    @property
    def reads(self):
        return self.compiled.reads if self.compiled is not None else []

    @property
    def volatile(self):
        return self.compiled is not None and self.compiled.volatile

    @property
    def dynamic(self):
        return self.compiled is not None and self.compiled.dynamic


def template(text):
    """For formula text: the role of each digit run (a relative row number or a constant) and
    whether any column is relative; None if the text does not tokenize."""
    body_at = 1 if text.startswith("=") else 0
    try:
        toks = tokenize(text[body_at:])
    except TokenError:
        return None
    rel_rows, rel_col = set(), False
    for tok in toks:
        if tok.kind != "ref":
            continue
        m = tok.m
        for g in ("cell1", "cell2"):
            if m.group(g):
                got = cell_parts(m.group(g))
                if got is None:
                    continue
                if not got[2]:
                    digits = re.search(r"[0-9]+$", m.group(g))
                    rel_rows.add(body_at + m.start(g) + digits.start())
                if not got[3]:
                    rel_col = True
        if m.group("rows"):
            start = m.start("rows")
            for part in m.group("rows").split(":"):
                if not part.startswith("$"):
                    rel_rows.add(body_at + start)
                start += len(part) + 1
        if m.group("cols"):
            rel_col = rel_col or any(not p.startswith("$") for p in m.group("cols").split(":"))
    roles = tuple(_REL_ROW if d.start() in rel_rows else _CONST for d in _DIGITS.finditer(text))
    return roles, rel_col


class Shapes:
    """The shapes of one engine's formulas, made on demand and shared by key."""

    def __init__(self, engine):
        self.engine = engine
        self.templates = {}          # skeleton -> template(text) (or None)
        self.by_key = {}             # key -> Shape
        self.unkeyed = []            # shapes of texts without a key (they do not tokenize)

    def for_text(self, text, sheet, row, col, array=False):
        skel = _DIGITS.sub("#", text)
        tmpl = self.templates.get(skel, 0)
        if tmpl == 0:
            tmpl = self.templates[skel] = template(text)
        if tmpl is not None:
            roles, rel_col = tmpl
            nums = _DIGITS.findall(text)
            if len(nums) == len(roles):
                parts = [sheet, skel, array, col if rel_col else None]
                if "[" in skel:                     # [@Col]: which table the cell is in, ...
                    parts.append(table_key(self.engine.book, sheet, row, col))
                for n, role in zip(nums, roles):
                    if role == _REL_ROW:
                        v = int(n)
                        if len(n) > 7 or not 1 <= v <= MAX_ROW:
                            break
                        parts.append(v - row)
                    else:
                        parts.append(n)
                else:
                    key = tuple(parts)
                    shape = self.by_key.get(key)
                    if shape is None:
                        shape = self.by_key[key] = self._new(text, sheet, row, col, array)
                    return shape
        shape = self._new(text, sheet, row, col, array)
        self.unkeyed.append(shape)
        return shape

    def _new(self, text, sheet, row, col, array):
        shape = Shape(self, text, sheet, row, col, array)
        if "[" in text:                   # maybe structured references: runs stay in one table span
            book = self.engine.book
            shape.span = lambda r: table_span(book, r)
        return shape

    def parse_cost(self):
        """Characters of formula text the shapes made so far will parse (once each)."""
        return sum(len(s.text) for s in self.by_key.values()) + sum(len(s.text) for s in self.unkeyed)

    def make(self, shape):
        """(compiled, reason, relative tree) of a shape: parsed, tables resolved, compiled."""
        text, sheet, row, col, array = shape.text, shape.sheet, shape.row, shape.col, shape.array
        try:
            tree = parse(text)
        except FormulaError as e:
            return None, f"unparsable formula: {e}", None
        tables = "[" in text and has_tables(tree)
        if tables:
            tree = resolve_tables(tree, self.engine.book, sheet, row, col)
        rel = relative(tree, row, col)
        try:
            compiled = self.engine.compiler(sheet).compile_tree(rel, array)
        except RecursionError:
            compiled = Compiled(None, [], ["formula too deeply nested to compute"], False, False, False)
        reason = ("; ".join(compiled.reasons) or None) if compiled.reasons else None
        if compiled.volatile and reason is None:
            from .parser import Func, walk
            from .functions.registry import lookup
            names = sorted({n.name for n in walk(tree) if type(n) is Func
                            and lookup(n.name) is not None and lookup(n.name).volatile})
            reason = "volatile " + ", ".join(names)
        if compiled.fn is None:
            compiled = None
        return compiled, reason, rel

    def format(self, text, row):
        """The text as a str.format template with its relative row numbers as slots, and each
        slot's row offset: (fmt, offs), or (None, ()) when the text cannot be so written."""
        return _format(self.templates, text, row)


def _filler(fmt, offs):
    lo = 1 - min(offs, default=0)
    hi = MAX_ROW - max(offs, default=0)
    if not offs:
        text = fmt.format()
        return lambda a, b: [text] * (b - a + 1)
    write = fmt.format

    def fill(a, b):                   # each slot's rows as ints straight into str.format
        if a < lo or b > hi:
            return None
        return list(map(write, *[range(a + o, b + o + 1) for o in offs]))
    return fill


def _bounded(fill, span):
    """A filler that writes no text past the rows where the shape's structured references mean
    what they mean in the row above the first (a run is extended from a row of the shape)."""
    def fill_within(a, b):
        return fill(a, b) if b <= span(a - 1)[1] else None
    return fill_within


def _format(templates, text, row):
    """(fmt, offs) of a text at its row: see Shapes.format."""
    tmpl = templates.get(_DIGITS.sub("#", text), 0)
    if tmpl == 0:
        tmpl = template(text)
    if tmpl is None:
        return None, ()
    roles, _ = tmpl
    if _REL_ROW not in roles:               # no row to fill in: the text is its own template
        return text.replace("{", "{{").replace("}", "}}"), ()
    pieces, offs, at = [], [], 0
    for role, m in zip(roles, _DIGITS.finditer(text)):
        pieces.append(text[at:m.start()].replace("{", "{{").replace("}", "}}"))
        if role == _REL_ROW:
            if m.group(0) != str(int(m.group(0))):
                return None, ()      # leading zeros: leave it to the careful path
            off = int(m.group(0)) - row
            if off not in offs:      # one slot per distinct offset: E6 and F6 share {0}
                offs.append(off)
            pieces.append("{%d}" % offs.index(off))
        else:
            pieces.append(m.group(0))
        at = m.end()
    pieces.append(text[at:].replace("{", "{{").replace("}", "}}"))
    return "".join(pieces), tuple(offs)
