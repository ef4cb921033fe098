"""The what-if API (sheetsgd.open: simulate.py) and the engine under it (formula/incremental.py).

The numbers asserted come from outside the code under test: small workbooks whose values are
worked out by hand here, and graddesc.xlsx as `sheetsgd build` writes it with other inputs (its
cached values are the NumPy models', not the evaluator's): see test_honest_check_* below.
"""
import math
import os
import zipfile
from pathlib import Path

import pytest
import xlsxwriter

import sheetsgd
from sheetsgd.check import check_workbook
from sheetsgd.formula.reader import read_book
from sheetsgd.formula.values import NA, NUM, ExcelError
from sheetsgd.simulate import SimulateError, check_value, parse_value

REPO = Path(__file__).resolve().parent.parent
GRADDESC = REPO / "workbooks" / "graddesc.xlsx"


def small_book(path):
    """Three sheets; every cached value is what the formulas give (worked out by hand)."""
    wb = xlsxwriter.Workbook(str(path))
    s = wb.add_worksheet("in")
    s.write_number("A1", 2)                        # in!rate
    s.write_number("A2", 3)
    s.write_string("A3", "text")
    s.write_formula("B1", "=A1*10", None, 20)
    s.write_formula("B2", "=B1+A2", None, 23)
    s.write_formula("B3", "=SUM(B1:B2)", None, 43)
    s.write_formula("C1", "=RAND()", None, 0.25)
    s.write_formula("D1", "=D2+1", None, 7)        # a cycle: keeps its cached values
    s.write_formula("D2", "=D1+1", None, 8)
    s.write_formula("E1", "=OFFSET(A1,1,0)", None, 3)
    s.write_array_formula("F1:F2", "{=A1:A2*2}", None, 4)
    s.write_number("F2", 6)
    s.write_formula("G1", '=IF(A1>4,"big","small")', None, "small")
    s.write_formula("H1", "=C1*2", None, 0.5)      # computed from the RAND's cached value
    o = wb.add_worksheet("out")
    o.write_formula("A1", "=in!B3*2", None, 86)
    o.write_formula("A2", "=in!rate*100", None, 200)
    o.write_number("B1", 5)                        # SCALE
    o.write_formula("A3", "=SCALE+1", None, 6)
    o.write_formula("A4", "=1/(in!A2-3)", None, "#DIV/0!")
    f = wb.add_worksheet("far")
    f.write_number("A1", 1)
    f.write_formula("B1", "=A1+1", None, 2)
    wb.define_name("in!rate", "=in!$A$1")
    wb.define_name("SCALE", "=out!$B$1")
    wb.define_name("PAIR", "=in!$A$1:$A$2")
    wb.define_name("HALF", "=0.5")
    wb.close()
    return path


@pytest.fixture
def book(tmp_path):
    return small_book(tmp_path / "small.xlsx")


def test_values_as_the_formulas_give_them_and_only_the_sheets_needed_are_read(book):
    with sheetsgd.open(book) as wb:
        assert wb["out!A1"] == 86.0
        assert wb._lazy.unread == {"far"}                 # out!A1 reads in, never far
        assert wb["in!B2"] == 23.0 and wb["out!A2"] == 200.0 and wb["out!A3"] == 6.0
        assert wb["in!G1"] == "small" and wb["out!A4"] is ExcelError("#DIV/0!")
        assert wb["in!A3"] == "text" and wb["in!Z99"] is None and wb["in!F2"] == 6.0
        assert wb.range("in!A1:B2") == [[2.0, 20.0], [3.0, 23.0]]
        assert wb["in!A1:A2"] == [[2.0], [3.0]]
        assert wb.formula("in!B2") == "=B1+A2" and wb.formula("in!A1") is None
        assert wb.formula("in!F2") == wb.formula("in!F1") == "=A1:A2*2"
        assert wb["B1"] == 20.0                           # no sheet: the first sheet, as Excel reads it


def test_set_a_cell_or_a_name_and_what_follows(book):
    with sheetsgd.open(book) as wb:
        assert wb["out!A1"] == 86.0
        wb.set("in!rate", 5)                              # sheet-scoped name of in!A1
        assert wb["in!B1"] == 50.0 and wb["in!B3"] == 103.0 and wb["out!A1"] == 206.0
        assert wb.range("in!F1:F2") == [[10.0], [6.0]]    # the array formula
        assert wb["in!G1"] == "big" and wb["out!A2"] == 500.0
        wb.set("SCALE", 10)                               # a workbook-scoped name
        assert wb["out!A3"] == 11.0
        wb.set("in!A2", 4)
        assert wb["in!E1"] == 4.0                         # OFFSET: read only while computing
        assert wb["out!A4"] == 1.0 and wb["in!B2"] == 54.0
        assert wb.changes == {"in!A1": 5.0, "out!B1": 10.0, "in!A2": 4.0}
        wb.reset("in!A2")
        assert wb["in!E1"] == 3.0 and wb["out!A4"] is ExcelError("#DIV/0!")
        wb.reset()
        assert wb["out!A1"] == 86.0 and wb["out!A3"] == 6.0 and wb.changes == {}


def test_cycles_and_volatile_cells_keep_their_cached_values_whatever_changes(book):
    with sheetsgd.open(book) as wb:
        wb.set("in!A1", 100)
        assert wb["in!D1"] == 7.0 and wb["in!D2"] == 8.0 and "circular" in wb.reason("in!D1")
        assert wb["in!C1"] == 0.25 and wb["in!H1"] == 0.5 and "volatile" in wb.reason("in!C1")
        assert wb.reason("in!B1") is None


def test_text_booleans_errors_and_blank_as_inputs(book):
    with sheetsgd.open(book) as wb:
        wb.set("in!A2", "abc")
        assert wb["in!B2"] is ExcelError("#VALUE!")       # 20 + "abc"
        wb.set("in!A2", True)
        assert wb["in!B2"] == 21.0
        wb.set("in!A2", NA)
        assert wb["in!B3"] is NA
        wb.set("in!A2", None)                             # blank: SUM skips it, + reads 0
        assert wb["in!B2"] == 20.0 and wb["in!B3"] == 40.0


@pytest.mark.parametrize("ref, words", [
    ("in!B1", ["'in!B1' is a formula cell (=A1*10), not an input"]),
    ("in!F2", ["'in!F2' is a formula cell (part of an array formula)"]),
    ("in!A1:A2", ["'in!A1:A2' is a range; expected one cell"]),
    ("PAIR", ["'PAIR' names in!A1:A2; expected one cell"]),
    ("HALF", ["the defined name 'HALF' is =0.5, not a reference to cells"]),
    ("nosheet!A1", ["no sheet named 'nosheet'", "its sheets: in, out, far"]),
    ("in!ZZZZ9", ["not a cell reference", "no defined name 'ZZZZ9'", "use SHEET!A1"]),
    ("in!A0", ["'in!A0'", "outside Excel's grid"]),
    ("nope", ["no defined name 'nope'", "use SHEET!A1"]),
    ("rate", ["no defined name 'rate'", "sheet-scoped ones: in!RATE"]),
    ("!A1", ["no sheet name before '!'"]),
])
def test_bad_references_are_one_line_errors(book, ref, words):
    with sheetsgd.open(book) as wb:
        with pytest.raises(SimulateError) as e:
            wb.set(ref, 1)
        msg = str(e.value)
        assert "\n" not in msg
        for w in words:
            assert w in msg, msg


@pytest.mark.parametrize("value", [math.nan, math.inf, object(), [1], 1e400])
def test_bad_values_are_refused(value):
    with pytest.raises(SimulateError):
        check_value(value, "in!A1")


@pytest.mark.parametrize("text, want", [("0.1", 0.1), ("-2e-3", -0.002), ("50%", 0.5), ("TRUE", True),
                                        ("false", False), ("#N/A", NA), ('"a ""b"""', 'a "b"'), ("", None),
                                        (" 7 ", 7.0)])
def test_values_typed_as_into_a_cell(text, want):
    assert parse_value(text) == want or parse_value(text) is want


@pytest.mark.parametrize("text", ["abc", "nan", "inf", "1,5", "1_000", "0x10", "'x'"])
def test_values_a_cell_would_not_take_as_a_number(text):
    with pytest.raises(SimulateError) as e:
        parse_value(text)
    assert repr(text) in str(e.value)


def test_save_writes_the_new_values_and_keeps_the_rest(book, tmp_path):
    out = tmp_path / "saved.xlsx"
    with sheetsgd.open(book) as wb:
        wb.set("in!rate", 5)
        wb.set("in!Z1", 1.5)                              # a blank cell given a value: a new <c>
        wb.set("far!C40", "new row")                      # and a new row
        wb.save(out)
    saved = read_book(out)
    cells = saved.sheets["in"].cells
    assert cells[(1, 1)].value == 5.0 and cells[(1, 2)].value == 50.0 and cells[(3, 2)].value == 103.0
    assert cells[(1, 26)].value == 1.5 and saved.sheets["far"].cells[(40, 3)].value == "new row"
    assert cells[(1, 7)].value == "big" and cells[(2, 6)].value == 6.0
    assert saved.sheets["out"].cells[(1, 1)].value == 206.0
    assert cells[(1, 4)].value == 7.0 and cells[(1, 3)].value == 0.25     # cycle, RAND: as they were
    report = check_workbook(out)
    assert report.ok and report.checked >= 12, report
    with zipfile.ZipFile(book) as a, zipfile.ZipFile(out) as b:
        assert a.namelist() == b.namelist()
        same = [n for n in a.namelist() if a.read(n) == b.read(n)]
        assert "xl/styles.xml" in same and "xl/workbook.xml" in same


def test_save_refuses_another_file_type(book, tmp_path):
    with sheetsgd.open(book) as wb:
        with pytest.raises(SimulateError, match="save as .xlsx"):
            wb.save(tmp_path / "x.csv")
    assert not (tmp_path / "x.csv").exists()


def test_to_frame_needs_pandas(book):
    pd = pytest.importorskip("pandas")
    with sheetsgd.open(book) as wb:
        frame = wb.range("in!A1:B3").to_frame()
        assert isinstance(frame, pd.DataFrame)
        assert list(frame.columns) == ["A", "B"] and list(frame.index) == [1, 2, 3]
        assert frame.loc[3, "B"] == 43.0
        sweep = wb.sweep("in!rate", [1, 2, 3], ["in!B3", "out!A1"])
        f = sweep.to_frame()
        assert list(f["out!A1"]) == [46.0, 86.0, 126.0] and f.index.name == "in!rate"


def test_sweep_reads_each_value_and_puts_the_input_back(book):
    with sheetsgd.open(book) as wb:
        s = wb.sweep("in!rate", [1, 2, 3], ["in!B1:B3", "out!A1"])
        assert s.watch == ["in!B1", "in!B2", "in!B3", "out!A1"]
        assert s.rows == [[10.0, 13.0, 23.0, 46.0], [20.0, 23.0, 43.0, 86.0], [30.0, 33.0, 63.0, 126.0]]
        assert wb["in!A1"] == 2.0 and wb.changes == {}
        wb.set("in!A2", 10)
        s = wb.sweep("in!A2", [0, 1], "in!B3")
        assert s.rows == [[40.0], [41.0]] and wb["in!A2"] == 10.0      # B1 + (B1 + A2)


# ---------------------------------------------------------------- graddesc: only what is needed

def test_one_summary_cell_of_graddesc_reads_three_sheets_and_computes_one_optimizer():
    with sheetsgd.open(GRADDESC) as wb:
        assert wb["compare!E104"] == read_book(GRADDESC).sheets["compare"].cell(104, 5).value
        assert wb._lazy.unread == set(wb.sheets) - {"compare", "adam", "data"}
        computed = sum(len(g.store) for g in wb._eng.grids.values())
        assert computed < 60_000                          # adam's 41k cells, not the book's 340k


def test_after_a_change_only_what_it_reaches_is_computed_again():
    with sheetsgd.open(GRADDESC) as wb:
        first = wb.range("compare!B104:F104")[0]
        steps = wb.steps_run
        wb.set("adam!lr", 0.1)
        again = wb.range("compare!B104:F104")[0]
        assert again[:3] == first[:3] and again[4] == first[4] and again[3] != first[3]
        assert wb.steps_run - steps <= 5                  # adam's recurrence and the cells reading it
        store = wb._eng.grids["basic"].store
        v = store[(107, 19)]
        wb.set("adam!lr", 0.2)
        wb["compare!E104"]
        assert wb._eng.grids["basic"].store[(107, 19)] is v        # the same object: never recomputed


# ---------------------------------------------------------------- the honest check (issue 15)

def _built(tmp_path_factory, name, **options):
    from sheetsgd.sheets import graddesc
    path = tmp_path_factory.mktemp(name) / "graddesc.xlsx"
    graddesc.build(path, **options)
    return path


@pytest.fixture(scope="module")
def built_adam(tmp_path_factory):
    return _built(tmp_path_factory, "adam01", lr=["adam=0.1"])


def _max_difference(values, ref_book, sheet):
    """(formula cells compared, largest relative difference) against the cached values of ref_book."""
    worst, n = 0.0, 0
    for (r, c), cell in ref_book.sheets[sheet].cells.items():
        if cell.formula is None:
            continue
        n += 1
        got, want = values[(sheet, r, c)], cell.value
        if isinstance(want, float) and isinstance(got, float):
            worst = max(worst, abs(got - want) / max(abs(got), abs(want)) if got != want else 0.0)
        else:
            assert got == want or got is want, (sheet, r, c, got, want)
    return n, worst


def _api_values(path, sets, sheet, ref_book):
    keys = [(sheet, r, c) for (r, c), cell in ref_book.sheets[sheet].cells.items() if cell.formula is not None]
    with sheetsgd.open(path) as wb:
        for ref, v in sets.items():
            wb.set(ref, v)
        return dict(zip(keys, wb.values(keys)))


@pytest.mark.slow
def test_honest_check_adam_lr_on_compare(built_adam):
    """--set adam!lr=0.1 on the committed workbook = `sheetsgd build --only graddesc --lr adam=0.1`,
    every formula cell of compare (the build caches the NumPy models' values)."""
    ref = read_book(built_adam)
    n, worst = _max_difference(_api_values(GRADDESC, {"adam!lr": 0.1}, "compare", ref), ref, "compare")
    assert n == 520 and worst <= 1e-12, worst


@pytest.mark.slow
def test_honest_check_basic_lr_on_basic(tmp_path_factory):
    path = _built(tmp_path_factory, "basic", lr=["basic=0.0002"])
    ref = read_book(path)
    n, worst = _max_difference(_api_values(GRADDESC, {"basic!lr": 0.0002}, "basic", ref),
                               ref, "basic")
    assert n > 40_000 and worst <= 1e-12, worst


@pytest.mark.slow
def test_honest_check_new_data_on_adam_torch(tmp_path_factory):
    """The 29 x values of `--seed 7`, typed into data!B8:B36, against that build's adam_torch sheet."""
    path = _built(tmp_path_factory, "seed7", seed=7)
    ref = read_book(path)
    xs = {f"data!B{r}": ref.sheets["data"].cell(r, 2).value for r in range(8, 37)}
    n, worst = _max_difference(_api_values(GRADDESC, xs, "adam_torch", ref), ref, "adam_torch")
    assert n > 50_000 and worst <= 1e-12, worst


@pytest.mark.slow
def test_saved_workbook_is_the_built_one(built_adam, tmp_path):
    """save() after --set adam!lr=0.1: every formula cell of every sheet caches what the build with
    --lr adam=0.1 caches, the chart of compare too; `check` finds nothing to object to."""
    out = tmp_path / "saved.xlsx"
    with sheetsgd.open(GRADDESC) as wb:
        wb.set("adam!lr", 0.1)
        wb.save(out)
    saved, ref = read_book(out), read_book(built_adam)
    worst = 0.0
    for name, sheet in ref.sheets.items():
        for (r, c), cell in sheet.cells.items():
            if cell.formula is None:
                continue
            got = saved.sheets[name].cell(r, c).value
            if isinstance(got, float) and isinstance(cell.value, float) and got != cell.value:
                worst = max(worst, abs(got - cell.value) / max(abs(got), abs(cell.value)))
            else:
                assert got == cell.value, (name, r, c)
    assert worst <= 1e-12
    assert saved.sheets["adam"].cell(4, 9).value == 0.1
    assert check_workbook(out).ok
    with zipfile.ZipFile(out) as z, zipfile.ZipFile(built_adam) as b:
        chart = [n for n in z.namelist() if n.startswith("xl/charts/chart") and b"compare!$E$5" in z.read(n)]
        assert chart and repr(ref.sheets["compare"].cell(104, 5).value).encode() in z.read(chart[0])


def test_cells_that_read_text_or_errors_save_as_such(tmp_path):
    path = tmp_path / "t.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    s = wb.add_worksheet("s")
    s.write_number("A1", 1)
    s.write_formula("B1", '=IF(A1>1,"yes",1/(A1-1))', None, "#DIV/0!")
    s.write_formula("C1", "=A1>1", None, False)
    s.write_formula("D1", "=A1*2", None, 2)
    wb.close()
    out = tmp_path / "o.xlsx"
    with sheetsgd.open(path) as w:
        w.set("s!A1", 2)
        w.save(out)
    cells = read_book(out).sheets["s"].cells
    assert cells[(1, 2)].value == "yes" and cells[(1, 3)].value is True
    with sheetsgd.open(path) as w:
        w.set("s!A1", '<&> "x"')
        w.save(out)
    cells = read_book(out).sheets["s"].cells
    assert cells[(1, 1)].value == '<&> "x"' and cells[(1, 2)].value == "yes"     # text > any number
    assert cells[(1, 3)].value is True and cells[(1, 4)].value is ExcelError("#VALUE!")
    assert check_workbook(out).ok


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes into a 0o500 directory")
def test_nothing_is_left_when_save_fails(book, tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with sheetsgd.open(book) as wb:
            wb.set("in!A1", 3)
            with pytest.raises(OSError):
                wb.save(ro / "x.xlsx")
        assert list(ro.iterdir()) == []
    finally:
        ro.chmod(0o700)


def test_a_workbook_with_overflow_shows_num(tmp_path):
    path = tmp_path / "o.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    s = wb.add_worksheet("s")
    s.write_number("A1", 1)
    s.write_formula("B1", "=EXP(A1)", None, math.exp(1))
    wb.close()
    with sheetsgd.open(path) as w:
        w.set("s!A1", 1000)
        assert w["s!B1"] is NUM


# ---------------------------------------------------------------- LibreOffice opens the saved file and agrees

def _libreoffice_agrees(path, tmp_path):
    """(formula cells, largest relative difference): LibreOffice's recalculation of `path` against the
    values the file caches (what save() wrote); and the file opened as it is (no recalculation)
    converts with those values."""
    from sheetsgd import libreoffice as lo
    ours = lo._formula_values(read_book(path))
    theirs = lo.libreoffice_values(path)
    assert set(theirs) == set(ours)
    worst = 0.0
    for key, v in ours.items():
        assert lo.agree(v, theirs[key]), (key, v, theirs[key])
        worst = max(worst, lo.difference(v, theirs[key]))
    opened = lo._convert(path, "xlsx", tmp_path, lo.DEFAULT_TIMEOUT, recalc=False)
    kept = lo._formula_values(read_book(opened))
    assert all(lo.agree(v, kept[k]) for k, v in ours.items())
    return len(ours), worst


@pytest.mark.libreoffice
def test_libreoffice_opens_a_saved_workbook_and_agrees(book, tmp_path, soffice):
    out = tmp_path / "saved.xlsx"
    with sheetsgd.open(book) as wb:
        wb.set("in!rate", 5)
        wb.set("in!A2", 4)
        wb.set("SCALE", 2.5)
        wb.save(out)
    from sheetsgd import libreoffice as lo
    cached = {k: v for k, v in lo._formula_values(read_book(out)).items()
              if k[1] not in ("C1", "H1", "D1", "D2")}      # RAND is drawn again, the cycle iterates in LO
    theirs = lo.libreoffice_values(out)
    for key, v in cached.items():
        assert lo.agree(v, theirs[key]), (key, v, theirs[key])
    assert cached[("in", "B3")] == 104.0 and cached[("out", "A3")] == 3.5 and cached[("out", "A4")] == 1.0


@pytest.mark.libreoffice
@pytest.mark.slow
def test_libreoffice_agrees_with_a_saved_graddesc(tmp_path, soffice):
    out = tmp_path / "graddesc.xlsx"
    with sheetsgd.open(GRADDESC) as wb:
        wb.set("adam!lr", 0.1)
        wb.set("rmsprop!lr", 0.01)
        wb.save(out)
    n, worst = _libreoffice_agrees(out, tmp_path)
    print(f"\n[libreoffice] saved graddesc: {n} formula cells, max relative difference {worst:.2g}")
    assert n > 300_000


# ---------------------------------------------------------------- the engine under it: reuse is never stale

@pytest.mark.parametrize("vectorize", [True, False])
def test_a_change_recomputed_in_place_equals_a_fresh_evaluation(vectorize):
    """Incremental.change then compute, on an engine that computed everything (every cache filled:
    the reader's constant columns, the vector path's columns, names' values), gives what a fresh
    evaluation of the book with that input gives, cell for cell."""
    from sheetsgd.formula.engine import Engine
    from sheetsgd.formula.incremental import Incremental
    book = read_book(GRADDESC)
    eng = Engine(book, vectorize=vectorize)
    inc = Incremental(eng)
    inc.compute_all()
    changed = inc.change({("rmsprop", 4, 9): 0.01, ("data", 9, 2): 50.0})
    assert 0 < len(changed) < len(inc.plan.steps)
    inc.compute_all()
    fresh = Engine(book, vectorize=vectorize)
    fresh.set_input("rmsprop", 4, 9, 0.01)
    fresh.set_input("data", 9, 2, 50.0)
    fresh.run()
    for name, grid in fresh.grids.items():
        assert eng.grids[name].store == grid.store, name
    assert eng.grids["rmsprop"].store[(8, 20)] == 0.01


@pytest.mark.slow
def test_a_sweep_equals_fresh_evaluations_where_epochs_feed_back():
    """adam_ann anneals its lr between epochs from each epoch's summary (the recurrence's lazy cells):
    each value of a sweep equals a fresh full evaluation of the book with that value."""
    from sheetsgd.formula.engine import Engine
    watch = ["compare!F30", "compare!F104", "adam_ann!S6"]
    values = [0.01, 0.05, 0.03]
    with sheetsgd.open(GRADDESC) as wb:
        s = wb.sweep("adam_ann!lr", values, watch)
        keys = [wb.cell(w) for w in watch]
    book = read_book(GRADDESC)
    for v, row in zip(values, s.rows):
        eng = Engine(book)
        eng.set_input("adam_ann", 4, 9, v)
        eng.run()
        assert row == [eng.grids[k[0]].store[(k[1], k[2])] for k in keys]


def test_a_sheet_named_in_another_case_is_still_followed(tmp_path):
    """Sheet names are case-insensitive: =ADAM!B1 reads sheet adam, and a change of adam!A1 reaches it."""
    path = tmp_path / "case.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    a = wb.add_worksheet("adam")
    a.write_number("A1", 1)
    a.write_formula("B1", "=A1*2", None, 2)
    wb.add_worksheet("other").write_formula("A1", "=ADAM!B1+1", None, 3)
    wb.close()
    with sheetsgd.open(path) as w:
        assert w["other!A1"] == 3.0
        w.set("adam!A1", 5)
        assert w["other!A1"] == 11.0
        assert w.sweep("adam!A1", [1, 2], ["other!A1"]).rows == [[3.0], [5.0]]


@pytest.mark.slow
def test_honest_check_from_the_shell(built_adam, capsys):
    """The same as test_honest_check_adam_lr_on_compare, through `sheetsgd eval --csv` of the whole sheet."""
    import csv
    import io
    from sheetsgd.cli import main
    from sheetsgd.formula.refs import parse_cell
    with pytest.raises(SystemExit) as e:
        main(["eval", str(GRADDESC), "--csv", "--set", "adam!lr=0.1", "compare!A1:L104"])
    assert e.value.code == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))[1:]
    ref = read_book(built_adam).sheets["compare"]
    n = 0
    for cell, text in rows:
        r, c = parse_cell(cell.split("!")[1])
        want = ref.cell(r, c)
        if want is not None and want.formula is not None:
            n += 1
            assert float(text) == want.value, cell
    assert n == 520
