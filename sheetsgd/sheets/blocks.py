"""Blocks of columns side by side over the same rows: the table layout of the long sheets
(movielens_1hot, movielens_emb, the neuralnet step and valid sheets).

A block is one column (a userId, a loss) or several (ten logits, one per digit) under a title, its
column heads in the row below, a narrow gap after it. A block's cells are written from a formula
template and the values its NumPy twin computed, the template naming other blocks' cells:

    {key}        that block's cell in this row (and this column, when both blocks are as wide): C12
    {key$}       the same, its column anchored: $C12
    {key row}    that block's whole row: C12:L12; {key$ row} anchored: $C12:$L12
    {key all}    that block's every cell: C12:L300; {key$ all} absolute: $C$12:$L$300
    {key col}    that block's column (this one's index) over every row: C12:C300
    {head}       this column's head cell, its row anchored: C$11
    anything else: the names passed to fill(): a text ({bs} -> $B$8), an Offset (a cell of another
    table that moves with this one: digits!C66, digits!D66, ... digits!C67, ...) or f(i, j) -> a text.

fill() compiles a template once per column of the block (the row left as a slot), so a block of
thousands of cells costs one format call per row.

So a sheet reads as a table of (key, title, heads, formula, meaning), as graddesc's step tables do.
"""
import numpy as np

from ..writer import RowShape, a1, plain


def rng(r0, c0, r1, c1, absolute=True):
    return f"{a1(r0, c0, absolute, absolute)}:{a1(r1, c1, absolute, absolute)}"


class Offset:
    """Cell (row0 + i, col0 + j) of `sheet` for cell (i, j) of a block: a table elsewhere whose rows
    go with this block's rows (the digits sheet's pixels beside a step sheet's images). sheet None:
    this sheet, no prefix (the row above a step, on universal)."""

    def __init__(self, sheet, row0, col0):
        self.sheet, self.row0, self.col0 = sheet, row0, col0
        self.prefix = f"{sheet}!" if sheet else ""

    def __call__(self, i, j):
        return f"{self.prefix}{a1(self.row0 + i, self.col0 + j)}"


class _Refs(dict):
    """The names a template may use in cell (i, j) of a block, resolved only when asked for."""

    def __init__(self, blocks, i, j, col, names):
        super().__init__()
        self.blocks, self.i, self.j, self.col, self.names = blocks, i, j, col, names

    def __missing__(self, name):
        if name in self.names:
            v = self.names[name]
            return v(self.i, self.j) if callable(v) else v
        b = self.blocks
        if name == "head":
            return a1(b.head_row, self.col, True)
        key, what = name, ""
        for suffix in (" row", " all", " col"):       # keys may have spaces: "user idx$ row"
            if name.endswith(suffix):
                key, what = name[:-len(suffix)], suffix[1:]
        anchored = key.endswith("$")
        key = key.rstrip("$")
        c, w = b.at[key]
        if what == "row":
            return b.row(key, self.i, anchored)
        if what == "all":
            return b.whole(key, absolute=anchored)
        jj = self.j if w > 1 else 0
        if what == "col":
            return b.col_range(key, jj)
        return a1(b.first + self.i, c + jj, False, anchored)


class _Compiled(_Refs):
    """_Refs for column j of a block with the row left as the slot {r} (this row) or {r<k>} (an
    Offset's row): one template serves every row. Names that depend on the row otherwise (f(i, j))
    cannot be compiled: Uncompilable."""

    def __init__(self, blocks, j, col, names):
        super().__init__(blocks, 0, j, col, names)
        self.offsets = {}            # Offset -> its slot's name

    def __missing__(self, name):
        v = self.names.get(name)
        if isinstance(v, Offset):
            slot = self.offsets.setdefault(v, f"r{len(self.offsets)}")
            return f"{v.prefix}{a1(0, v.col0 + self.j)[:-1]}{{{slot}}}"      # the column, then the row slot
        if callable(v):
            raise Uncompilable(name)
        if v is not None:
            return v.replace("{", "{{").replace("}", "}}")
        b = self.blocks
        key = name
        for suffix in (" row", " all", " col"):
            if name.endswith(suffix):
                key = name[:-len(suffix)]
        if name == "head" or name.endswith((" all", " col")):
            return super().__missing__(name)             # the same in every row
        anchored = key.endswith("$")
        c, w = b.at[key.rstrip("$")]
        dollar = "$" if anchored else ""
        if name.endswith(" row"):
            return f"{dollar}{a1(0, c)[:-1]}{{r}}:{dollar}{a1(0, c + w - 1)[:-1]}{{r}}"
        return f"{dollar}{a1(0, c + (self.j if w > 1 else 0))[:-1]}{{r}}"


class Uncompilable(Exception):
    pass


class Blocks:
    """Blocks side by side from column `col`, titles on title_row, heads below, rows from first_row."""

    def __init__(self, s, title_row, first_row, nrows, col=2, title_format=None):
        self.s, self.title_row, self.first, self.nrows, self.col = s, title_row, first_row, nrows, col
        self.head_row = title_row + 1
        self.title_format = title_format
        self.at = {}
        self.gaps = []
        self.used = set()

    def place(self, key, width, col=None, gap=True):
        """Reserve a block's columns (from `col`, or after the last block) without writing anything."""
        c = self.col if col is None else col
        self.at[key] = (c, width)
        self.used.update(range(c, c + width))
        self.col = c + width + (1 if gap else 0)
        if gap:
            self.gaps.append(c + width)
        return c

    def add(self, key, title, subheads, col=None, gap=True):
        """Place a block and write its title (unless None) and its column heads."""
        c = self.place(key, len(subheads), col, gap)
        if title is not None:
            self.title(key, title)
        self.heads(key, subheads)
        return c

    def title(self, key, text):
        c, _ = self.at[key]
        if self.title_format is None:
            self.s.text((self.title_row, c), text)
        else:
            self.s.ws.write_string(self.title_row, c, text, self.title_format)

    def heads(self, key, subheads):
        c, _ = self.at[key]
        for j, h in enumerate(subheads):
            if isinstance(h, str):
                self.s.header((self.head_row, c + j), h)
            else:
                self.s.number((self.head_row, c + j), h, style="header")

    def narrow_gaps(self, width=1.5):
        """Call after the sheet's column widths: a thin empty column between blocks."""
        for g in self.gaps:
            self.s.widths(g, g, width)

    def cell(self, key, i, j=0, row_abs=False, col_abs=False):
        c, _ = self.at[key]
        return a1(self.first + i, c + j, row_abs, col_abs)

    def row(self, key, i, anchored=True):
        """One row of a block, columns anchored: $C12:$L12 (or C12:L12)."""
        c, w = self.at[key]
        return f"{a1(self.first + i, c, False, anchored)}:{a1(self.first + i, c + w - 1, False, anchored)}"

    def col_range(self, key, j, nrows=None):
        c, _ = self.at[key]
        n = nrows or self.nrows
        return rng(self.first, c + j, self.first + n - 1, c + j, False)

    def whole(self, key, nrows=None, absolute=True):
        c, w = self.at[key]
        n = nrows or self.nrows
        return rng(self.first, c, self.first + n - 1, c + w - 1, absolute)

    def corners(self, key, nrows=None):
        c, w = self.at[key]
        n = nrows or self.nrows
        return (self.first, c), (self.first + n - 1, c + w - 1)

    def array(self, key, text, values, num_format=None, names=None):
        """One {=...} array formula over the whole block (text may use {key all}-style names)."""
        first, last = self.corners(key, len(values))
        self.s.array_formula(first, last, text.format_map(_Refs(self, 0, 0, first[1], names or {})), values,
                             num_format)

    def fill(self, key, text, values, num_format=None, style="formula", names=None):
        """A formula in every cell of the block: the template `text` over the names above, with the
        value its twin computed (values[i][j])."""
        c, w = self.at[key]
        values = np.asarray(values, dtype=float).reshape(-1, w)
        names = names or {}
        fmt = self.s._fmt(style, num_format)
        compiled = self._compile(text, c, w, names, fmt)
        finite = np.isfinite(values).all(axis=1).tolist()
        for i, row in enumerate(values.tolist()):
            r = self.first + i
            if compiled is not None and finite[i]:
                shape, offsets = compiled
                self.s.ws.put_run(r, shape.run(r, (), row, **{slot: off.row0 + i + 1 for off, slot in offsets}))
                continue
            for j in range(w):
                self.s.formula((r, c + j), text.format_map(_Refs(self, i, j, c + j, names)), row[j], num_format,
                               style)

    def _compile(self, text, c, w, names, fmt):
        """(a RowShape of the block's cells, [(Offset, slot)]), or None when the template cannot be
        compiled (a name computed per cell, an Excel 365 function)."""
        if not plain(text):
            return None
        try:
            cells, offsets = [], {}
            for j in range(w):
                refs = _Compiled(self, j, c + j, names)
                cells.append((c + j, fmt, text.format_map(refs)))
                for off, slot in refs.offsets.items():
                    if offsets.setdefault(off, slot) != slot:
                        return None
        except Uncompilable:
            return None
        return RowShape(cells), list(offsets.items())


# -- the neuralnet sheets' cells: number formats, block titles, blocks of inputs and formulas ---------

NUM = "0.0000"       # activations, probabilities, weights
GRAD = "0.000000"    # gradients and weight decay's terms: small


def bold(s):
    """Bold, left-aligned: a block's title, running on over the block's empty title cells."""
    book = s.book
    if not hasattr(book, "_nn_bold"):
        book._nn_bold = book.wb.add_format({"bold": True, "font_color": "#1F3864"})
    return book._nn_bold


def section(s, cell, text):
    r, c = s._rc(cell)
    s.ws.write_string(r, c, text, bold(s))


def formulas(s, r0, c0, texts, values, num_format=NUM, style="formula"):
    """A block of per-cell formulas: texts[i][j] with values[i][j]."""
    values = np.asarray(values, dtype=float).reshape(len(texts), len(texts[0]))
    for i, row in enumerate(texts):
        for j, t in enumerate(row):
            s.formula((r0 + i, c0 + j), t, values[i, j], num_format, style)


def numbers(s, r0, c0, values, num_format=NUM, style="input"):
    """A block of inputs; returns them as stored."""
    values = np.atleast_2d(np.asarray(values, dtype=float))
    out = np.empty_like(values)
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            out[i, j] = s.input((r0 + i, c0 + j), values[i, j], num_format, style)
    return out
