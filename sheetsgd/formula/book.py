"""What a workbook file is, to the evaluator: sheets of cells, formulas, defined names, tables.

The reader (the reader package) builds a Book from an .xlsx/.xlsm; the engine computes it.
Rows and columns are 1-based, as in A1 notation.

A Sheet read from a file keeps its constants apart from its formula cells (Sheet.split):
100k rows of numbers need no Cell object each, and the engine takes the constants as they
are. sheet.cells, the one {(row, col): Cell} dict, is built the first time it is asked for,
and from then on it is the sheet (change it and the engine sees the change).
"""
from dataclasses import dataclass, field
from itertools import chain
from typing import Dict, List, Optional, Tuple


@dataclass(slots=True)
class Cell:
    value: object = None            # the cached value (values.py types); None = blank / not stored
    formula: Optional[str] = None   # formula text with its leading "=", e.g. "=SUM(A1:A3)";
                                    # shared formulas already translated to this cell
    array_ref: Optional[str] = None # master cell of an array formula: the range it fills, "AE3:AI208"
    array_master: Optional[Tuple[int, int]] = None  # other cells of an array range: its master (row, col)


class Sheet:
    """name, cells {(row, col): Cell}, names (sheet-scoped defined names, upper-case key),
    max_row, max_col."""

    def __init__(self, name, cells=None, names=None, max_row=0, max_col=0):
        self.name = name
        self._cells = {} if cells is None else cells
        self._split = None            # (constants {(row, col): value}, other cells {(row, col): Cell})
        self._runs = {}               # some constants as columns too (set_split)
        self.names = {} if names is None else names
        self.max_row = max_row
        self.max_col = max_col

    @property
    def cells(self) -> Dict[Tuple[int, int], Cell]:
        if self._cells is None:       # first asked for: one dict, in row then column order
            self._cells = self._joined()
            self._split = None        # from now on the dict is the sheet
        return self._cells

    def _joined(self):
        if self._split is None:
            return self._cells
        consts, others = self._split
        return {k: others[k] if k in others else Cell(consts[k]) for k in sorted(chain(consts, others))}

    @cells.setter
    def cells(self, cells):
        self._cells, self._split = cells, None

    def set_split(self, consts, others, runs=None):
        """The reader's form: constant values, and every other cell (formulas, array members) as
        a Cell; a key in both is the Cell's. runs: {col: [[first row, last row, values]]}, some
        of the constants again as columns (every row of each run is in consts with that value),
        for readers of whole columns."""
        self._cells, self._split = None, (consts, others)
        self._runs = runs or {}

    def const_runs(self):
        """{col: [[first row, last row, [values]]]} sorted by row, while the sheet is in the
        reader's form: runs of constants that are also in split()[0]. Read-only."""
        return self._runs if self._split is not None else {}

    def split(self):
        """(constants {(row, col): value}, other cells {(row, col): Cell}) while the sheet is in
        the reader's form, else None (then read sheet.cells). Read-only."""
        return self._split

    def cell(self, row, col):
        """The Cell at (row, col) or None, without building sheet.cells (read it, don't change it)."""
        if self._split is None:
            return self.cells.get((row, col))
        consts, others = self._split
        got = others.get((row, col))
        if got is None and (row, col) in consts:
            got = Cell(consts[(row, col)])
        return got

    def items_with_formulas(self):
        """(key, Cell) pairs that include every formula cell and array member (and maybe others)."""
        return self.cells.items() if self._split is None else self._split[1].items()

    def __eq__(self, other):
        if not isinstance(other, Sheet):
            return NotImplemented
        return ((self.name, self.names, self.max_row, self.max_col, self._joined())
                == (other.name, other.names, other.max_row, other.max_col, other._joined()))

    __hash__ = None

    def __repr__(self):
        return f"Sheet({self.name!r}, {len(self.cells) if self._split is None else 'split'} cells)"


@dataclass(slots=True)
class Table:
    """An Excel table (Insert > Table), as its part xl/tables/tableN.xml describes it: the range
    r1:c1..r2:c2 of `sheet` holds header_rows (0 or 1) header row, the data, then totals_rows
    (0 or 1) totals row; columns are the column names in order, one per column of the range.
    Structured references (Table1[Col], Table1[[#This Row],[Age]], #Headers, #Totals, #All,
    #Data) resolve against it."""
    name: str                       # as formulas write it (the part's displayName)
    sheet: str
    r1: int
    c1: int
    r2: int
    c2: int
    header_rows: int = 1
    totals_rows: int = 0
    columns: List[str] = field(default_factory=list)


@dataclass
class Book:
    path: str
    sheets: Dict[str, Sheet] = field(default_factory=dict)  # in workbook order
    names: Dict[str, str] = field(default_factory=dict)     # workbook-scoped defined names (upper-case key),
                                                            # value = the name's formula text, e.g. "dotprod!$B$25:$F$39"
    tables: Dict[str, Table] = field(default_factory=dict)  # TABLE NAME (upper case) -> Table; unique per workbook
    date1904: bool = False                                  # date serials count days from 1904-01-01
                                                            # (<workbookPr date1904="1"/>), not from 1900-01-00
    mac: bool = False                                       # saved by Excel for Mac (docProps/app.xml's
                                                            # Application): CHAR and CODE use the Mac character set
