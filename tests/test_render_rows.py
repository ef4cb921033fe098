"""Previews of long sheets: the first rows, with the values the file caches (no recalculation)."""
from sheetsgd.formula.reader import read_book
from sheetsgd.libreoffice import first_rows
from sheetsgd.writer import Workbook


def test_first_rows_keeps_the_top_as_cached_values(tmp_path):
    path, top = tmp_path / "long.xlsx", tmp_path / "top.xlsx"
    with Workbook(path) as wb:
        s = wb.sheet("basic")
        for r in range(200):
            s.input((r, 0), r + 1)
        s.formula("B1", "=SUM(A1:A200)", 20100.0)
        s.formula("B2", "=A2*2", 4.0)
    first_rows(path, top, 60)
    cells = read_book(top).sheets["basic"].cells
    assert max(r for r, _ in cells) == 60
    assert cells[(1, 2)].value == 20100.0 and cells[(1, 2)].formula is None   # the sum of all 200 rows, kept
    assert cells[(2, 2)].value == 4.0 and cells[(2, 2)].formula is None
