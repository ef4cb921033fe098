"""check_workbook: the comparison rule, the report, the lint hook, on workbooks made here."""
import sys

import pytest
import xlsxwriter

from sheetsgd import check
from sheetsgd.check import ABS_FLOOR, check_workbook, compare, format_report, show_value
from sheetsgd.errors import SheetsgdError
from sheetsgd.formula.values import DIV0, NA


# ------------------------------------------------------------------------ compare

@pytest.mark.parametrize("cached, computed, tol, match", [
    (0.3930154712865702, 0.3930154712865702, 1e-12, True),
    (0.3930154712865702, 0.39301547128657016, 1e-12, True),     # one ulp apart
    (1.0, 1.0 + 2e-12, 1e-12, False),
    (1.0, 1.0 + 2e-12, 1e-11, True),
    (1e300, 1e300 * (1 + 1e-13), 1e-12, True),                  # relative, whatever the size
    (0.0, 1e-16, 1e-12, True),                                   # under the absolute floor
    (0.0, 1e-14, 1e-12, False),
    (0.0, -0.0, 0.0, True),
    (3.0, 3, 0.0, True),                                         # an int from the evaluator
    ("a", "a", 1e-12, True),
    ("a", "A", 1e-12, False),
    ("", 0.0, 1e-12, False),
    (True, True, 1e-12, True),
    (True, 1.0, 1e-12, False),                                   # TRUE is not 1 in a cell
    (1.0, True, 1e-12, False),
    (DIV0, DIV0, 1e-12, True),
    (DIV0, NA, 1e-12, False),
    (NA, 0.0, 1e-12, False),
    (0.0, None, 1e-12, True),                                    # =A1 of a blank shows 0
    (2.0, float("nan"), 1e-12, False),
])
def test_compare(cached, computed, tol, match):
    assert compare(cached, computed, tol)[0] is match


def test_compare_numpy_values():
    np = pytest.importorskip("numpy")
    assert compare(2.5, np.float64(2.5), 1e-12) == (True, 0.0)
    assert compare(True, np.bool_(True), 1e-12)[0]
    assert not compare(1.0, np.bool_(True), 1e-12)[0]
    assert compare(4.0, np.int64(4), 0)[0]


def test_relative_difference_reported():
    match, rel = compare(100.0, 101.0, 1e-12)
    assert not match and rel == pytest.approx(1 / 101)
    assert ABS_FLOOR == 1e-15


# ------------------------------------------------------------------- workbooks

def workbook(path, wrong=False, volatile=False, blank_cached=False):
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("dotprod")
    ws.write_row(0, 0, [1.5, 2.5, 3.5])
    ws.write_formula("D1", "=SUM(A1:C1)", None, 7.5)
    ws.write_formula("E1", "=D1/3", None, 2.6 if wrong else 2.5)
    ws.write_formula("F1", '=IF(D1>7,"big","small")', None, "big")
    ws.write_formula("G1", "=D1>100", None, False)
    ws.write_formula("H1", "=1/0", None, "#DIV/0!")
    ws.write_formula("I1", "=SQRT(D1*D1)", None, 7.5 * (1 + 1e-15))   # within 1e-12 relative
    other = wb.add_worksheet("my sheet")
    other.write_formula("A1", "=dotprod!D1*2", None, 16.0 if wrong else 15.0)
    if volatile:
        other.write_formula("B1", "=RAND()", None, 0.25)
        other.write_formula("B2", "=RAND()", None, 0.75)
    if blank_cached:
        other.write_formula("C1", "=A1+1", None, "")
    wb.close()
    return path


def test_all_match(tmp_path):
    report = check_workbook(workbook(tmp_path / "ok.xlsx"))
    assert report.ok
    assert [(s.name, s.formulas, s.matched, s.mismatched) for s in report.sheets] == \
        [("dotprod", 6, 6, 0), ("my sheet", 1, 1, 0)]
    assert 0 < report.sheets[0].max_rel < 1e-12
    text = "\n".join(format_report(report))
    assert "OK: all 7 checked formula cells match" in text


def test_mismatches_are_listed_with_both_values(tmp_path):
    report = check_workbook(workbook(tmp_path / "bad.xlsx", wrong=True), show=10)
    assert not report.ok and report.total("mismatched") == 2
    text = "\n".join(format_report(report, show=1))
    assert "MISMATCH: 2 cells differ from the file (first 1):" in text
    assert "dotprod!E1: file 2.6, computed 2.5  rel diff 3.8e-02" in text
    assert "'my sheet'!A1" not in text                     # only the first `show`
    text = "\n".join(format_report(report, show=10))
    assert "'my sheet'!A1: file 16.0, computed 15.0" in text


def test_tolerance_is_relative(tmp_path):
    report = check_workbook(workbook(tmp_path / "bad.xlsx", wrong=True), tolerance=0.1)
    assert report.ok


def test_volatile_cells_are_not_checkable_with_the_reason(tmp_path):
    report = check_workbook(workbook(tmp_path / "v.xlsx", volatile=True))
    assert report.ok
    sheet = report.sheets[1]
    assert sheet.formulas == 3 and sheet.matched == 1
    assert dict(sheet.uncheckable) == {"volatile RAND": 2}
    assert "not checkable on my sheet: volatile RAND x 2" in "\n".join(format_report(report))


def test_no_cached_value_is_counted_apart(tmp_path):
    import openpyxl
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"], ws["A2"] = 3, "=A1*2"                         # openpyxl saves no cached value
    wb.save(tmp_path / "o.xlsx")
    report = check_workbook(tmp_path / "o.xlsx")
    assert report.ok
    assert (report.sheets[0].formulas, report.sheets[0].no_cached, report.sheets[0].matched) == (1, 1, 0)


def test_lint_warnings_are_printed_under_the_table(tmp_path, monkeypatch):
    path = workbook(tmp_path / "ok.xlsx")
    monkeypatch.setattr(check, "_lint", lambda book: [("my sheet", "A1", "FOO is not portable")])
    lines = format_report(check_workbook(path))
    assert lines[-1] == f"{path}: 'my sheet'!A1: FOO is not portable"


def test_check_works_without_the_lint_module(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "sheetsgd.lint", None)   # import raises ImportError
    report = check_workbook(workbook(tmp_path / "ok.xlsx"))
    assert report.ok and report.lint is None


def test_unreadable_is_a_sheetsgd_error(tmp_path):
    (tmp_path / "x.xlsx").write_text("not a workbook")
    with pytest.raises(SheetsgdError, match=r"x.xlsx: not an .xlsx/.xlsm \(zip\) file"):
        check_workbook(tmp_path / "x.xlsx")


def test_show_value():
    assert show_value(0.1 + 0.2) == "0.30000000000000004"
    assert show_value(True) == "TRUE" and show_value(DIV0) == "#DIV/0!"
    assert show_value('say "hi"') == '"say ""hi"""' and show_value(None) == "(blank)"


def test_values_near_zero_match_by_the_floor_and_the_report_says_so(tmp_path):
    wb = xlsxwriter.Workbook(str(tmp_path / "z.xlsx"))
    ws = wb.add_worksheet("ewma")
    ws.write_number("A1", 2e-17)
    ws.write_formula("B1", "=A1*1", None, 1e-17)          # 100% apart, but 1e-17 from each other
    wb.close()
    report = check_workbook(tmp_path / "z.xlsx")
    assert report.ok and report.sheets[0].max_rel == pytest.approx(0.5)
    assert any("within the 1e-15 absolute floor" in line for line in format_report(report))


# ------------------------------------------------- the engine's columns, compared with NumPy

def _cell_by_cell(path, tolerance, show):
    """The per-sheet reports as comparing evaluate_book's {(sheet, "A1"): value} cell by cell gives:
    the reference the column-wise comparison in check.py must reproduce."""
    from sheetsgd.formula import evaluate_book
    from sheetsgd.formula.reader import read_book
    from sheetsgd.formula.refs import COL_LETTERS
    book = read_book(path)
    ev = evaluate_book(book)
    reports = []
    for name, sheet in book.sheets.items():
        rep = check.SheetReport(name)
        bad = []
        for (r, c), cell in sorted(sheet.cells.items()):
            if cell.formula is None and cell.array_master is None:
                continue
            rep.formulas += 1
            key = (name, COL_LETTERS[c] + str(r))
            if key in ev.uncheckable:
                rep.uncheckable[ev.uncheckable[key]] += 1
                continue
            if cell.value is None:
                rep.no_cached += 1
                continue
            match, rel = check.compare(cell.value, ev.values[key], tolerance)
            rep.max_rel = max(rep.max_rel, rel or 0.0)
            if match:
                rep.matched += 1
            else:
                bad.append((r, c, key, rel))
        rep.mismatched = len(bad)
        for r, c, key, rel in bad if show is None else bad[:show]:
            rep.mismatches.append(check.Mismatch(key[1], sheet.cells[(r, c)].value, check.plain(ev.values[key]), rel))
        reports.append(rep)
    return reports


@pytest.mark.parametrize("tolerance, show", [(1e-12, None), (1e-12, 3), (1e-6, None), (0.0, 2)])
def test_comparing_columns_reports_what_comparing_cell_by_cell_does(tmp_path, tolerance, show):
    path = tmp_path / "mixed.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("s")
    n = 40
    for r in range(1, n + 1):
        x = r / 7.0
        ws.write_number(r - 1, 0, x)                                          # A: data
        cached = x * 3.0
        if r in (5, 17):
            cached *= 1 + 1e-9                                                # wrong in the 9th digit
        if r == 9:
            cached *= 1 + 1e-13                                               # within 1e-12
        if r == 11:
            cached = "three x"                                                # text cached in a number block
        ws.write_formula(r - 1, 1, f"=A{r}*3", None, cached)                  # B: a block
        ws.write_formula(r - 1, 2, f"=A{r}>2", None, r > 14 if r != 20 else False)   # C: booleans
        ws.write_formula(r - 1, 3, f"=B{r}-B{r}", None, 1e-16 if r % 2 else 0.0)    # D: near 0
        ws.write_formula(r - 1, 4, f"=E{r - 1}+A{r}" if r > 1 else "=A1", None,      # E: a chain
                         sum(k / 7.0 for k in range(1, r + 1)) * (1.5 if r == 30 else 1))
    ws.write_formula(n, 0, "=RAND()", None, 0.25)
    ws.write_formula(n, 1, f"=A{n + 1}*2", None, 0.5)                         # from RAND's stored value
    ws.write_formula(n, 2, "=WEBSERVICE(\"x\")", None, 1.0)
    ws.write_formula(n, 3, f"=C{n + 1}+1", None, 2.0)
    ws.write_array_formula(n + 1, 0, n + 2, 1, "{=A1:B2*2}", None, 0.0)
    ws2 = wb.add_worksheet("t")
    for r in range(1, 8):
        ws2.write_formula(r - 1, 0, f"=s!A{r}*2", None, r / 3.5 if r != 3 else 9.0)
    wb.close()
    report = check_workbook(path, tolerance=tolerance, show=show)
    assert report.sheets == _cell_by_cell(path, tolerance, show)
    s = report.sheets[0]
    assert s.mismatched >= 3 and s.uncheckable and s.matched > 100


def test_movielens_shaped_block_compares_in_numpy(tmp_path):
    """A long filled-down block: the NumPy comparison finds the one wrong cell."""
    path = tmp_path / "long.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("ratings")
    for r in range(1, 3001):
        ws.write_number(r - 1, 0, r * 0.001)
        ws.write_formula(r - 1, 1, f"=(A{r}-1)^2", None, (r * 0.001 - 1) ** 2 + (1e-6 if r == 2500 else 0.0))
    wb.close()
    report = check_workbook(path)
    assert report.sheets == _cell_by_cell(path, 1e-12, None)
    (s,) = report.sheets
    assert (s.formulas, s.matched, s.mismatched) == (3000, 2999, 1)
    assert s.mismatches[0].cell == "B2500"


def test_cells_computed_from_a_volatile_cell_are_checked_from_its_stored_value(tmp_path):
    """RAND keeps the value the file stores and is 'not checkable'; what reads it is computed
    from that stored value and checked like any cell (a wrong one is a mismatch)."""
    path = tmp_path / "rand.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("s")
    ws.write_formula("A1", "=RAND()", None, 0.25)
    for r in range(2, 12):
        ws.write_formula(f"A{r}", f"=$A$1*{r}", None, 0.25 * r if r != 7 else 9.0)   # a block
    ws.write_formula("B1", "=A1+1", None, 1.25)
    wb.close()
    report = check_workbook(path)
    (s,) = report.sheets
    assert dict(s.uncheckable) == {"volatile RAND": 1}
    assert (s.formulas, s.matched, s.mismatched) == (12, 10, 1)
    assert s.mismatches[0].cell == "A7" and s.mismatches[0].computed == 0.25 * 7
    assert "computed from that stored value and checked" in " ".join(check.__doc__.split())


def test_own_constants_computes_what_a_copy_computes(tmp_path):
    from sheetsgd.formula.engine import evaluate
    path = tmp_path / "own.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("s")
    for r in range(1, 41):
        ws.write(f"A{r}", float(r))
        ws.write_formula(f"B{r}", f"=A{r}*2+1", None, 2.0 * r + 1)
    ws.write_formula("C1", "=SUM(B1:B40)", None, 1680.0)
    wb.close()
    copied, owned = check.read_book(path), check.read_book(path)
    a, b = evaluate(copied).results(), evaluate(owned, own_constants=True).results()
    for r in range(1, 41):
        assert a.value("s", r, 2) == b.value("s", r, 2) == 2.0 * r + 1
    assert a.value("s", 1, 3) == b.value("s", 1, 3) == 1680.0
    assert copied.sheets["s"].split()[0] != owned.sheets["s"].split()[0]   # the store was the book's dict
    assert owned.sheets["s"].cell(1, 2).formula == "=A1*2+1" and owned.sheets["s"].cell(1, 2).value == 3.0
