"""One worksheet's cells: <sheetData> -> a Sheet (constants apart from formula Cells, book.py).

Two paths read the same thing. The fast one: Excel, LibreOffice, openpyxl and XlsxWriter all
write <sheetData> in one plain shape (no prefixes, double quotes, single spaces, r= on every
cell), which one regular expression reads much faster than any XML parser; its matches must
tile the whole of <sheetData>, and rows of one shape are read many at a time by row templates
(templates.py). Anything else in it (comments, CDATA, prefixes, rich inline strings, unknown
entities) sends the sheet to the general path, lxml's iterparse, which reads all XML.
"""
import re
from datetime import datetime
from operator import itemgetter

from ..book import Cell
from ..refs import COL_LETTERS, COL_NUMBER, MAX_COL, MAX_ROW, parse_range
from ..values import ExcelError
from . import limits
from .limits import ReadError
from .safe_xml import NotPlain, elements, inline_text, namespace, rich_text, unescape, xml_text
from .slices import sheet_data
from .plain import CELL_TYPES, PLAIN, plain_f
from .shared import SharedFormula, f_attributes
from . import templates
from .templates import Templates

_EPOCH_1900, _EPOCH_1904, _MARCH_1900 = datetime(1899, 12, 30), datetime(1904, 1, 1), datetime(1900, 3, 1)


def iso_date(text, date1904=False):
    """t="d" cells (ISO 8601) as Excel serial numbers; an unreadable one stays text. The 1900
    system counts 1900-02-29, which never was: its serials before March 1900 are one less."""
    try:
        d = datetime.fromisoformat(text.rstrip("Z"))
    except ValueError:
        return text
    if d.tzinfo is not None:
        d = d.replace(tzinfo=None)
    if date1904:
        return (d - _EPOCH_1904).total_seconds() / 86400.0
    return (d - _EPOCH_1900).total_seconds() / 86400.0 - (d < _MARCH_1900)


_DIGITS = re.compile(r"[0-9]{1,7}")
_REF = re.compile(r"([A-Za-z]{1,3})([0-9]{1,7})")


class SheetReader:
    """Reads one worksheet's <sheetData> into a Sheet."""

    def __init__(self, book_reader, sheet):
        self.br = book_reader
        self.sheet = sheet
        self.reset()

    def reset(self):
        self.bounds = None     # (max row, max col) when the cells came in order, each once
        self.consts = {}       # (row, col) -> value of a constant cell (no Cell object: most cells)
        self.others = {}       # (row, col) -> Cell of a formula cell (or an array range's member)
        self.masters = {}      # si -> (row, col, SharedFormula)
        self.followers = []    # (row, col, si) seen before their master
        self.arrays = []       # (row, col, ref)
        self.runs = {}         # col -> [[first row, last row, values]]: template rows' constants as columns
        self.counted = self.br.counters()   # the book's counts before this sheet: a reset restores them

    def fail_at(self, row, col, problem):
        where = f"{self.sheet.name}!{COL_LETTERS[col]}{row}" if 0 < col <= MAX_COL else self.sheet.name
        raise ReadError(f"{where}: {problem}")

    def read(self, part):
        try:
            plain = self.read_plain(part)
        except NotPlain:
            plain = False
        if not plain:                                 # from the start again, with lxml
            self.br.restore(self.counted)
            self.reset()
            self.read_xml(self.br.pkg.read(part, again=True), part)
        self.finish()

    # ------------------------------------------------------------------ values

    def raw_value(self, t, v, inline, r, col):
        """value() of a <v> and inline text as they stand in the file (entities not yet replaced)."""
        if v is not None and t != "n" and "&" in v:
            v = xml_text(v)
        if inline is not None:
            inline = unescape(xml_text(inline))
        return self.value(t, v, inline, r, col)

    def value(self, t, v, inline, r, col):
        """A cell's cached value from its type t, the text of its <v> (None: no <v>; "": <v/> or
        <v></v>) and its inline text. As Excel reads them: an empty <v> of a number, boolean or
        error is no cached value; of a formula's string (t="str") it is the empty string."""
        if t is None or t == "n":
            try:
                return float(v) if v else None
            except ValueError:
                self.fail_at(r, col, f"the number cell's value {v[:40]!r} is not a number")
        if t == "s":
            if v is not None and _DIGITS.fullmatch(v):
                i = int(v)
                if i < len(self.br.sst):
                    return self.br.sst[i]
            self.fail_at(r, col, f"shared string {v if v is None else v[:40]!r} does not exist")
        if t == "str":
            return None if v is None else unescape(v)
        if t == "inlineStr":
            return inline if inline is not None else (None if v is None else unescape(v))
        if t == "b":
            return v in ("1", "true", "TRUE") if v else None
        if t == "e":
            return ExcelError(v.strip()) if v else None
        if t == "d":
            return iso_date(v, self.br.date1904) if v else None
        self.fail_at(r, col, f"unknown cell type t={t[:20]!r}")

    # ------------------------------------------------------------------ the fast path

    def read_plain(self, part):
        """The fast path, streamed (slices.py); False (or NotPlain) when the sheet is not in the
        plain shape."""
        pkg = self.br.pkg
        self.shapes = Templates(self) if pkg.size(part) >= templates.TEMPLATE_MIN_CHARS else None
        self.state = (0, MAX_COL, True, 0, 0)         # row, column, ordered, top, max col: see scan()
        for text in sheet_data(pkg.open(part), part, self.br.count_xml):
            if self.scan(text, 0, len(text)) is None:
                return False
        _, _, ordered, top, max_col = self.state
        if ordered:                                   # as every program writes: no cell twice, the last row last
            self.bounds = (top, max_col)
        return True

    def scan(self, text, i, j):
        """Read the cells of text[i:j] (whole rows, following those of the last call) into the
        sheet's dicts; None when that text is not in the plain shape. self.state carries from one
        call to the next: the last row and column, ordered (no cell came twice, rows and columns
        only went forward) and top and max col (the bounds of the cells kept)."""
        consts, cells, br = self.consts, self.others, self.br
        name = self.sheet.name
        cell_room = limits.MAX_CELLS - br.cells
        row_room = limits.MAX_ROWS - br.rows
        text_room = limits.MAX_FORMULA_TEXT - br.formula_chars
        n = rows = chars = 0
        last_digits = None
        r, last_col, ordered, top, max_col = self.state
        col_number = COL_NUMBER.get
        cell_type = CELL_TYPES.__getitem__
        max_chars = limits.MAX_FORMULA_CHARS
        shapes = self.shapes
        pos = i
        while True:
            while shapes is not None and shapes.live:   # rows of a known shape, many at a time
                got = shapes.take(text, pos, j)
                if got is None:
                    break
                pos, (in_order, start, last, kept_to, kept_col) = got
                ordered = ordered and in_order and start > r
                (r, last_col), last_digits = last, None
                top = kept_to or top
                max_col = max(max_col, kept_col)
            br.count(n, rows, chars, name, r)         # the per-cell loop's figures so far
            cell_room, row_room, text_room = (limits.MAX_CELLS - br.cells, limits.MAX_ROWS - br.rows,
                                              limits.MAX_FORMULA_TEXT - br.formula_chars)
            n = rows = chars = 0
            m = None
            # scanner().match anchors each match where the last one ended: the matches tile
            # <sheetData> from pos, and stop at the first thing not in the plain shape.
            for m in iter(PLAIN.scanner(text, pos, j).match, None):
                letters, digits, cattrs, fattrs, ftext, v, v_empty, inline, row_r, row_attrs = m.groups()
                if letters is None:
                    if row_attrs is not None:             # <row>
                        rows += 1
                        if rows > row_room:
                            br.count(n, rows, chars, name, r)
                        if row_r is not None and not 1 <= int(row_r) <= MAX_ROW:
                            return None               # the lxml path names the error
                    elif shapes is not None and shapes.live:
                        break                         # </row>: a template may read the next rows
                    continue
                col = col_number(letters)
                if col is None:
                    return None
                if digits != last_digits:             # the cells of a row share its number
                    last_r = r
                    r = int(digits)
                    if not 1 <= r <= MAX_ROW:
                        return None
                    last_digits = digits
                    ordered = ordered and r > last_r
                elif col <= last_col:
                    ordered = False
                last_col = col
                n += 1
                if n > cell_room:
                    br.count(n, rows, chars, name, r)
                t = cell_type(cattrs) if cattrs else None
                if v is None and v_empty is not None:
                    v = ""
                if t is None:                         # a number, the common case, inlined
                    try:
                        value = float(v) if v else None
                    except ValueError:
                        self.fail_at(r, col, f"the number cell's value {v[:40]!r} is not a number")
                elif t == "inlineStr" and v is None and inline is not None:   # text, as XlsxWriter writes it
                    value = inline_text(inline)
                else:
                    value = self.raw_value(t, v, inline, r, col)
                if fattrs is None:
                    if value is not None:
                        consts[(r, col)] = value
                        top = r
                        if col > max_col:
                            max_col = col
                    continue
                top = r
                if col > max_col:
                    max_col = col
                if ftext is not None and ("&" in ftext or "\r" in ftext):
                    ftext = xml_text(ftext)
                if ftext and (not fattrs or plain_f(fattrs)) and len(ftext) <= max_chars:
                    cells[(r, col)] = Cell(value, "=" + ftext)   # a plain formula, the common case
                    chars += len(ftext) + 1
                    if chars > text_room:
                        br.count(n, rows, chars, name, r)
                    continue
                cells[(r, col)] = cell = Cell(value)
                if ftext and len(ftext) <= max_chars:
                    chars += len(ftext) + 1               # a shared master's or an array's text
                br.count(n, rows, chars, name, r)
                n = rows = chars = 0
                a = f_attributes(fattrs) if fattrs else {}
                self.formula(cell, a.get("t"), ftext, a.get("ref"), a.get("si"), r, col)
                cell_room, row_room, text_room = (limits.MAX_CELLS - br.cells, limits.MAX_ROWS - br.rows,
                                                  limits.MAX_FORMULA_TEXT - br.formula_chars)
            else:                                     # no more matches: the end, or not plain
                if m is not None:
                    pos = m.end()
                break
            pos = m.end()
        br.count(n, rows, chars, name, r)
        if text[pos:j].strip(" \t\r\n"):
            return None
        self.state = r, last_col, ordered, top, max_col
        return True

    def add_run(self, col, r0, r1, vals):
        """Keep rows r0..r1 of column col as one list too, joined to the run above it if adjacent."""
        runs = self.runs.setdefault(col, [])
        if runs and runs[-1][1] + 1 == r0:
            runs[-1][1] = r1
            runs[-1][2].extend(vals)
        else:
            runs.append([r0, r1, list(vals)])

    # ------------------------------------------------------------------ the general path

    def read_xml(self, data, part):
        """The general path: any well-formed worksheet XML, through lxml's iterparse."""
        consts, cells, br = self.consts, self.others, self.br
        name = self.sheet.name
        V = F = IS = T = R = None
        row_no = 0
        for row in elements(data, part, "worksheet", {"row"}, count=br.count_xml):
            if V is None:
                ns = namespace(row)
                V, F, IS, T, R = ns + "v", ns + "f", ns + "is", ns + "t", ns + "r"
            r_attr = row.get("r")
            if r_attr is not None:
                if not _DIGITS.fullmatch(r_attr) or not 1 <= int(r_attr) <= MAX_ROW:
                    raise ReadError(f"{name}: row {r_attr[:20]!r} is outside Excel's 1..1,048,576 rows")
                row_no = int(r_attr)
            else:
                row_no += 1
            col = 0
            br.count(len(row), 1, 0, name, row_no)
            for c in row:
                ref = c.get("r")
                r = row_no
                if ref is None:
                    col += 1
                    if col > MAX_COL:
                        raise ReadError(f"{name}: row {row_no} has a cell beyond column XFD")
                else:
                    m = _REF.fullmatch(ref)
                    col = COL_NUMBER.get(m.group(1).upper(), 0) if m else 0
                    r = int(m.group(2)) if m else 0
                    if col == 0 or not 1 <= r <= MAX_ROW:
                        raise ReadError(f"{name}: cell reference {ref[:20]!r} is outside Excel's grid "
                                        f"(A1:XFD1048576)")
                v = f = inline = None
                for child in c:
                    tag = child.tag
                    if tag == V:
                        v = child.text or ""
                    elif tag == F:
                        f = child
                    elif tag == IS:
                        inline = rich_text(child, T, R)
                value = self.value(c.get("t"), v, inline, r, col)
                if f is None:
                    if value is not None:
                        consts[(r, col)] = value
                    continue
                cells[(r, col)] = cell = Cell(value)
                text = f.text
                if text and len(text) <= limits.MAX_FORMULA_CHARS:
                    br.count(0, 0, len(text) + 1, name, r)
                self.formula(cell, f.get("t"), text, f.get("ref"), f.get("si"), r, col)

    # ------------------------------------------------------------------ formulas

    def formula(self, cell, kind, text, ref, si, r, col):
        """A cell's formula that is not a plain one: shared, array, data table (or over the limit).
        The text of a plain formula or a shared master is counted by the caller."""
        if text is not None and len(text) > limits.MAX_FORMULA_CHARS:
            self.fail_at(r, col, f"a formula of {len(text):,} characters, over Excel's "
                                 f"{limits.MAX_FORMULA_CHARS:,}-character limit")
        if kind == "shared":
            if text:                                  # the master (or a follower written out)
                if ref is not None:
                    self.masters[si] = (r, col, SharedFormula(text))
                cell.formula = "=" + text
            elif si in self.masters:
                cell.formula = self.moved(si, r, col)
            else:
                self.followers.append((r, col, si))
        elif kind == "array":
            if text:
                cell.formula = "=" + text
                cell.array_ref = ref or f"{COL_LETTERS[col]}{r}"
                self.arrays.append((r, col, cell.array_ref))
        elif kind == "dataTable":
            pass                                      # a What-If table: Excel fills it, no formula
        elif text:
            cell.formula = "=" + text

    def moved(self, si, r, col):
        """A follower's formula: its master's moved to (r, col), counted against the text limit
        before it is made (a long master with many followers must not fill the memory first)."""
        mr, mc, shared = self.masters[si]
        self.br.count(0, 0, len(shared.text) + 1, self.sheet.name, r)
        return "=" + shared.translate(r - mr, col - mc)

    def finish(self):
        consts, cells = self.consts, self.others
        if self.bounds is None and not consts.keys().isdisjoint(cells):
            for key in cells:                          # a cell written twice (no program does): the formula's
                consts.pop(key, None)
        for r, col, si in self.followers:
            if si not in self.masters:
                self.fail_at(r, col, f"shared formula si={si[:20]!r} has no master cell")
            cells[(r, col)].formula = self.moved(si, r, col)
        for mr, mc, ref in self.arrays:
            try:
                r1, c1, r2, c2 = parse_range(ref)
            except ValueError as e:
                self.fail_at(mr, mc, f"array formula range {ref[:40]!r}: {e}")
            self.br.count((r2 - r1 + 1) * (c2 - c1 + 1) - 1, 0, 0, self.sheet.name, mr)
            for r in range(r1, r2 + 1):
                for c in range(c1, c2 + 1):
                    if (r, c) == (mr, mc):
                        continue
                    cell = cells.get((r, c))
                    if cell is None:
                        cells[(r, c)] = cell = Cell(consts.pop((r, c), None))
                    cell.array_master = (mr, mc)
        if self.bounds is not None and not self.arrays:
            self.sheet.max_row, self.sheet.max_col = self.bounds
        elif consts or cells:
            self.sheet.max_row = max(max(consts, default=(0, 0))[0], max(cells, default=(0, 0))[0])
            self.sheet.max_col = max(max(map(itemgetter(1), consts), default=0),
                                     max(map(itemgetter(1), cells), default=0))
        # the runs mirror consts only when no cell came twice and no array range took a constant
        runs = self.runs if self.bounds is not None and not self.arrays else None
        self.sheet.set_split(consts, cells, runs)
