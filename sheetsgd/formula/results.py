"""What an evaluation found, for check, lint, eval and the public API (nothing else reads the engine).

    results = evaluate_workbook("collab_filter.xlsx")
    results.values[("dotprod", "V41")]        # 0.3930154712865702: every formula cell
    results.uncheckable                       # {(sheet, "A1"): why its value is not the formula's}
    results.value("dotprod", 41, 22)          # one cell, formula or constant (None: blank)
    results.formula("dotprod", 41, 22)        # '=SQRT(SUMXMY2(...)/COUNT(...))' or None
    for col, rows, cells, values in results.columns("dotprod"): ...   # aligned, column by column

`values` and `uncheckable` are made the first time they are asked for (a million formula
cells make a million keys); check reads columns() instead.
"""
from itertools import repeat

from .refs import COL_LETTERS


class Results:
    def __init__(self, engine):
        self._engine = engine
        self._values = None
        self._uncheckable = None

    @property
    def sheets(self):
        return list(self._engine.book.sheets)

    @property
    def book(self):
        return self._engine.book

    def columns(self, sheet):
        """(col, rows, cells, values) per column of the sheet's formula cells: rows sorted, cells
        the book's Cells (None for the cells of an array range but its master), values computed."""
        eng = self._engine
        store = eng.grids[sheet].store
        for c in sorted(eng.fcols.get(sheet, ())):
            rows = eng.fcols[sheet][c]
            yield c, rows, eng.fcells[sheet][c], list(map(store.get, zip(rows, repeat(c))))

    def value(self, sheet, row, col):
        """The value of a cell as computed (a constant: its value; blank: None)."""
        return self._engine.grids[sheet].store.get((row, col))

    def reason(self, sheet, row, col):
        """Why the cell's value is not checkable (None: it is)."""
        return self._engine.reasons.get((sheet, row, col))

    def reasons(self, sheet):
        """{(row, col): why} for one sheet."""
        return {(r, c): why for (s, r, c), why in self._engine.reasons.items() if s == sheet}

    def formula(self, sheet, row, col):
        eng = self._engine
        key = eng.members.get((sheet, row, col), (sheet, row, col))
        cell = eng.formula_cell(*key)
        return cell.formula if cell is not None else None

    @property
    def values(self):
        """{(sheet, "A1"): value} for every formula cell (each cell of an array range too)."""
        if self._values is None:
            out = {}
            for sheet in self.sheets:
                for c, rows, _, vals in self.columns(sheet):
                    letters = COL_LETTERS[c]
                    out.update(zip([(sheet, letters + str(r)) for r in rows], vals))
            self._values = out
        return self._values

    @property
    def uncheckable(self):
        """{(sheet, "A1"): reason}."""
        if self._uncheckable is None:
            self._uncheckable = {(s, COL_LETTERS[c] + str(r)): why
                                 for (s, r, c), why in self._engine.reasons.items()}
        return self._uncheckable

    @property
    def cells_vectorized(self):
        return self._engine.cells_vectorized
