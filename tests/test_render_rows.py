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


def test_render_names_an_unknown_sheet_before_writing(tmp_path, capsys):
    import pytest
    from sheetsgd.cli import main
    path = tmp_path / "w.xlsx"
    with Workbook(path) as wb:
        wb.sheet("dotprod").input("A1", 1)
    with pytest.raises(SystemExit) as exc:
        main(["render", str(path), "--out", str(tmp_path / "png"), "--sheet", "nosuch"])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and "'nosuch'" in err and "dotprod" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "png").exists()
