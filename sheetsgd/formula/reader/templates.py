"""Row templates: rows of one shape read many at a time, by one C-level match each.

Rows written by a program repeat one shape: the same cells with the same styles and types,
only the row number, the formula texts and the cached values changing. A RowTemplate is one
row turned into a regular expression whose holes are exactly those: the row number (matched
once, then required by back-reference in every cell's r=), each formula's text and each <v>
and inline text. Each following row it matches is one match, and its cells are made column
by column with map() and zip() instead of a Python loop per cell. What a template makes is
what the per-cell loop (sheet_xml.SheetReader.scan) makes of the same rows, by construction:
the same texts, values, dict order and bounds; where a value needs the loop's judgement (an
empty number, an unknown shared string, a formula over the length limit) the template gives
the rows back to the loop, which reads or reports them. Sheets below TEMPLATE_MIN_CHARS of
<sheetData> are read by the loop alone.
"""
import re
from itertools import chain, islice, repeat
from operator import contains

from ..book import Cell
from ..refs import COL_NUMBER, MAX_ROW
from . import limits
from .plain import CELL_TYPES, G_DIGITS, G_FTEXT, G_INLINE, G_ROW_R, G_V, PLAIN, plain_f
from .safe_xml import NotPlain, inline_text, xml_text
from .shared import follower as shared_follower

TEMPLATE_MIN_CHARS = 1 << 20
TEMPLATE_MAX_CELLS = 512       # a row's regular expression takes ~0.1 s to compile per 2,000 cells
CHUNK_ROWS = 2048              # rows one template match run hands over at once
_ROW_START = re.compile(r"[ \t\r\n]*<row[ />]")
_TEMPLATE_TYPES = (None, "n", "s", "str", "b", "e", "inlineStr")


class RowTemplate:
    """One row's shape: its regular expression and, per cell, how to make its value and formula."""

    __slots__ = ("regex", "cells", "first_col", "last_col")

    def __init__(self, regex, cells):
        self.regex = regex
        # per cell: (col, t, <v> group, <v> text when it has no group (None: no <v>), inline group,
        #            formula group, Follower of a shared formula)
        self.cells = cells
        self.first_col, self.last_col = cells[0][0], cells[-1][0]

    @classmethod
    def build(cls, text, pos, j, masters=None):
        """The template of the row starting at text[pos] (its <row r="N"> and cells, up to and
        with its </row>), or None when that row is not one a template can stand for.
        masters: the sheet's shared formulas read so far (si -> (row, col, SharedFormula)), for
        rows of shared-formula followers (<f t="shared" si="0"/>, as Excel writes a filled range)."""
        sc = PLAIN.scanner(text, pos, j)
        m = sc.match()
        if m is None or m.group(G_ROW_R) is None or m.group(0).endswith("/>"):
            return None
        row = m.group(G_ROW_R)
        out = [re.escape(text[pos:m.start(G_ROW_R)]), r"([0-9]{1,7})"]
        at, groups, cells, last_col = m.end(G_ROW_R), 1, [], 0
        while True:
            m = sc.match()
            if m is None:
                return None
            letters, digits, cattrs, fattrs, ftext, v, v_empty, inline, _, row_attrs = m.groups()
            if letters is None:                    # </row> (a nested <row> is not plain)
                if row_attrs is not None or not cells:
                    return None
                out.append(re.escape(text[at:m.end()]))
                return cls(re.compile("".join(out)), cells)
            col = COL_NUMBER.get(letters)
            try:
                t = CELL_TYPES[cattrs] if cattrs else None
            except NotPlain:
                return None
            if digits != row or col is None or col <= last_col or t not in _TEMPLATE_TYPES \
                    or len(cells) == TEMPLATE_MAX_CELLS:
                return None
            last_col = col
            holes = [(G_DIGITS, r"(?:\1)")]
            fg = vg = ig = follower = None
            if fattrs is not None:
                follower = shared_follower(fattrs, ftext, masters) if fattrs else None
                if follower is None:               # a formula: only plain ones with text (no array, no master)
                    if not ftext or not plain_f(fattrs):
                        return None
                    holes.append((G_FTEXT, r"([^<]+)"))
            if v is not None:
                holes.append((G_V, r"([^<]*)"))
            if inline is not None:
                holes.append((G_INLINE, r"([^<]*)"))
            for group, pattern in holes:
                out.append(re.escape(text[at:m.start(group)]))
                out.append(pattern)
                at = m.end(group)
                if group != G_DIGITS:
                    groups += 1
                    if group == G_FTEXT:
                        fg = groups
                    elif group == G_V:
                        vg = groups
                    else:
                        ig = groups
            out.append(re.escape(text[at:m.end()]))
            at = m.end()
            cells.append((col, t, vg, "" if v_empty is not None else None, ig, fg, follower))

    def rows(self, text, pos, j):
        """The groups of each row it matches from text[pos], one after another (at most
        CHUNK_ROWS: what is made of them at once stays small), and where they end."""
        found = []
        m = None
        for m in islice(iter(self.regex.scanner(text, pos, j).match, None), CHUNK_ROWS):
            found.append(m.groups())
        return found, (pos if m is None else m.end())


class Templates:
    """The row templates of one scan: the last few that matched, tried first; a new one built
    when none fits. Building is paid for: compiling a row's expression costs ~60 times what
    reading its text cell by cell does, so the characters of the rows built from may not
    outgrow FREE_CHARS plus 1/256 of the characters templates have read, and templates that
    keep failing stop the building for good. A sheet of ever-new shapes is then read by the
    per-cell loop at nearly its own speed."""

    KEEP, BUDGET = 4, 8
    FREE_CHARS, MAX_ROW_CHARS = 32 * 1024, 16 * 1024

    def __init__(self, reader):
        self.reader = reader
        self.known, self.failures, self.successes = [], 0, 0
        self.spent = self.earned = 0                  # characters built from, characters read by templates
        self.live = True

    def take(self, text, pos, j):
        """(end, figures) of the rows at text[pos] one template reads, all added (figures: see
        add_rows); None: read the next row cell by cell."""
        for tpl in self.known:
            found, end = tpl.rows(text, pos, j)
            if found:
                break
        else:
            if not _ROW_START.match(text, pos, j):   # the end of <sheetData>, or not plain
                return None
            row_end = text.find("</row>", pos, min(j, pos + self.MAX_ROW_CHARS))
            self.spent += self.MAX_ROW_CHARS if row_end < 0 else row_end - pos
            tpl = RowTemplate.build(text, pos, j, self.reader.masters) if row_end >= 0 else None
            found, end = tpl.rows(text, pos, j) if tpl is not None else ([], pos)
            if len(found) < 2:
                self.failures += 1
            else:
                self.successes += 1
                self.known.insert(0, tpl)
                del self.known[self.KEEP:]
            self.live = (self.failures <= self.BUDGET + self.successes
                         and self.spent <= self.FREE_CHARS + self.earned // 256)
            if not found:
                return None
        # no "&" or CR anywhere in these rows: no formula text needs its entities or line ends replaced
        raw = text.find("&", pos, end) < 0 and text.find("\r", pos, end) < 0
        figures = add_rows(self.reader, tpl, found, raw)
        if figures is None:                           # a value the per-cell loop must judge
            self.live = False
            return None
        self.earned += end - pos
        return end, figures


def add_rows(reader, tpl, found, raw=False):
    """Add the cells of the rows a template matched (found: each row's groups), column by column
    with C-level map/zip, in the order the per-cell loop adds them (row by row); raw: the rows'
    text has no "&" or CR (no formula text needs xml_text). Returns
    (rows in order, first row, (last row, its last column), last row with a kept cell or 0,
    largest column kept), or None, with nothing added, when a value or formula needs the
    per-cell loop's judgement."""
    cols = list(zip(*found))
    rows = list(map(int, cols[0]))
    if min(rows) < 1 or max(rows) > MAX_ROW:
        return None
    n = len(rows)
    br, name = reader.br, reader.sheet.name
    const_keys, const_vals, const_cols, f_keys, f_vals, f_texts = [], [], [], [], [], []
    chars, max_col = 0, 0
    for col, t, vg, v_text, ig, fg, follower in tpl.cells:
        if vg is None and ig is None:                 # the same <v> (or none) in every row
            try:
                value = reader.value(t, v_text, None, rows[0], col)
            except limits.ReadError:
                return None
            if value is None and fg is None and follower is None:
                continue                              # a blank (styled) cell: nothing kept
            vals = [value] * n
        else:
            vals = _values(reader, t, cols[vg - 1] if vg else None, cols[ig - 1] if ig else None, rows, col)
            if vals is None:
                return None
        max_col = col
        keys = zip(rows, repeat(col))
        if fg is None and follower is None:
            if None in vals:
                return None
            const_keys.append(keys)
            const_vals.append(vals)
            const_cols.append(col)
            continue
        if follower is not None:
            if reader.masters.get(follower.si) is not follower.master:
                return None                           # a master read since the template was built
            br.count(0, 0, chars + n * follower.length(), name, rows[-1], ahead=True)
            formulas = follower.texts(col, rows)
            if formulas is None:
                return None
            formulas = list(formulas)
        else:
            texts = cols[fg - 1]
            if not raw and (any(map(contains, texts, repeat("&"))) or any(map(contains, texts, repeat("\r")))):
                try:
                    texts = list(map(xml_text, texts))
                except NotPlain:
                    return None
            if max(map(len, texts)) > limits.MAX_FORMULA_CHARS:
                return None
            formulas = list(map("=".__add__, texts))
        chars += sum(map(len, formulas))
        f_keys.append(keys)
        f_vals.append(vals)
        f_texts.append(formulas)
    br.count(n * len(tpl.cells), n, chars, name, rows[-1])
    ordered = all(map(int.__lt__, rows, rows[1:]))
    if ordered and rows[-1] - rows[0] + 1 == n:
        for col, vals in zip(const_cols, const_vals):
            reader.add_run(col, rows[0], rows[-1], vals)
    # row by row, as the loop adds them: zip(*columns) gives each row's cells in column order
    reader.consts.update(zip(chain.from_iterable(zip(*const_keys)), chain.from_iterable(zip(*const_vals))))
    reader.others.update(zip(chain.from_iterable(zip(*f_keys)),
                             map(Cell, chain.from_iterable(zip(*f_vals)), chain.from_iterable(zip(*f_texts)))))
    kept = bool(const_keys or f_keys)
    return ordered, rows[0], (rows[-1], tpl.last_col), rows[-1] if kept else 0, max_col


def _values(reader, t, vs, inlines, rows, col):
    """The cached values of one template column, exactly as the loop makes each; None when one
    is not a plain value (the loop then reads these rows and reports it)."""
    try:
        if t in (None, "n") and inlines is None:      # numbers (LibreOffice writes t="n" on each)
            return None if "" in vs else list(map(float, vs))
        if t == "s" and inlines is None:              # shared strings, as Excel and LibreOffice write text
            digits = "".join(vs)
            if "" in vs or not (digits.isascii() and digits.isdigit()):
                return None
            return list(map(reader.br.sst.__getitem__, map(int, vs)))
        if t == "inlineStr" and vs is None and inlines is not None:
            return list(map(inline_text, inlines))
        n = len(rows)
        return list(map(reader.raw_value, repeat(t, n), vs or repeat(None, n), inlines or repeat(None, n),
                        rows, repeat(col, n)))
    except (ValueError, IndexError, limits.ReadError, NotPlain):
        return None
