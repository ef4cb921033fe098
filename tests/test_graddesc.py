"""graddesc.xlsx: the workbook's formulas, the evaluator and the models agree; it is reproducible,
portable, live (editing an input recomputes), honest about divergence, and LibreOffice agrees."""
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sheetsgd.check import check_workbook
from sheetsgd.errors import SheetsgdError
from sheetsgd.formula import evaluate_book, functions_used
from sheetsgd.formula.reader import read_book
from sheetsgd.formula.refs import cell_name, parse_cell
from sheetsgd.formula.values import NUM, ExcelError
from sheetsgd.models import graddesc as gd
from sheetsgd.sheets import graddesc as sg
from sheetsgd.sheets import steps

REPO = Path(__file__).resolve().parent.parent
COMMITTED = REPO / "workbooks" / "graddesc.xlsx"
HEADER_ROW = steps.HEADER + 1          # 1-based row of the tables' headers
FD_HEADERS = ("est de/db", "est de/da")


@pytest.fixture(scope="module")
def default_build(tmp_path_factory):
    path = tmp_path_factory.mktemp("graddesc") / "graddesc.xlsx"
    return path, sg.build(path)


@pytest.fixture(scope="module")
def default_book(default_build):
    return read_book(default_build[0])


@pytest.fixture(scope="module")
def default_runs():
    x = gd.data_x(29, 42)
    return gd.run_all(x, gd.data_y(x), sg.EPOCHS)


def headers(sheet):
    """{header text: [1-based columns]} of the tables' header row."""
    out = {}
    for (r, c), cell in sorted(sheet.cells.items()):
        if r == HEADER_ROW and isinstance(cell.value, str):
            out.setdefault(cell.value, []).append(c)
    return out


def epoch_table(book, name):
    """{column: [cached values per epoch]} of an optimizer sheet's epoch table (right of the steps)."""
    sheet = book.sheets[name]
    h = headers(sheet)
    start = h["epoch"][-1]                       # the step table's "epoch" comes first
    cols = {v: c for v, cs in h.items() for c in cs if c >= start}
    rows = [r for (r, c) in sheet.cells if c == start and r > HEADER_ROW]
    return {k: [sheet.cells[(r, c)].value for r in sorted(rows)] for k, c in cols.items()}


def assert_checks(path, allow=None):
    """`sheetsgd check`'s verdict: every formula cell checked and equal to its cached value to 1e-12.
    allow(sheet, cell) may excuse a mismatching cell; returns the mismatches seen."""
    report = check_workbook(path, show=None)
    seen = []
    for s in report.sheets:
        assert not s.uncheckable, (s.name, s.uncheckable)
        assert s.no_cached == 0, s.name
        for m in s.mismatches:
            seen.append((s.name, m.cell))
            assert allow is not None and allow(s.name, m.cell), f"{s.name}!{m.cell}: {m.cached} vs {m.computed}"
    assert report.total("formulas") > 0
    return seen


# -- three views agree ---------------------------------------------------------------------------

def test_default_build_checks_every_cell(default_build):
    path, summary = default_build
    assert assert_checks(path) == []
    assert summary.startswith(f"{sg.EPOCHS} epochs; RMSE basic")
    assert "diverged" not in summary


@pytest.mark.parametrize("opts", [dict(epochs=3, rows=7, seed=5), dict(epochs=12, rows=40, seed=0),
                                  dict(epochs=1, rows=2, seed=123)])
def test_other_options_check_and_equal_the_models(tmp_path, opts):
    path = tmp_path / "g.xlsx"
    sg.build(path, **opts)
    assert_checks(path)
    book = read_book(path)
    x = gd.data_x(opts["rows"], opts["seed"])
    for name, run in gd.run_all(x, gd.data_y(x), opts["epochs"]).items():
        table = epoch_table(book, name)
        assert len(table["RMSE"]) == opts["epochs"]
        np.testing.assert_allclose(table["RMSE"], run.epochs["rmse"], rtol=1e-12)


def test_rmse_per_epoch_is_what_the_models_say(default_book, default_runs):
    compare = default_book.sheets["compare"]
    for j, (name, run) in enumerate(default_runs.items()):
        table = epoch_table(default_book, name)
        assert table["epoch"] == [float(e) for e in range(1, sg.EPOCHS + 1)]
        for k, mk in (("RMSE", "rmse"), ("a", "a"), ("b", "b"), ("lr", "lr")):
            np.testing.assert_allclose(table[k], run.epochs[mk], rtol=1e-12, err_msg=f"{name} {k}")
        # the compare sheet charts the same numbers
        col = [compare.cells[(5 + e, 2 + j)].value for e in range(sg.EPOCHS)]
        np.testing.assert_allclose(col, run.epochs["rmse"], rtol=1e-12)
        if name == "adam_ann":
            for k in ("grad norm", "best norm", "ratio"):
                np.testing.assert_allclose(table[k], run.epochs[{"grad norm": "norm", "best norm": "best"}.get(k, k)],
                                           rtol=1e-12)


def test_defaults_land_adam_ann_on_the_answer_with_adam_close_behind(default_book):
    """At the stable lrs (adam 0.025, adam_ann 0.03: issue 18) adam ends closest but for adam_ann,
    which anneals and lands; the lecture's lr 1 lands nowhere and chaotically (test_stability.py)."""
    evaluated = evaluate_book(default_book).values
    table = epoch_table(default_book, "adam_ann")
    a, b = table["a"][-1], table["b"][-1]
    assert abs(a - 2) < 0.01 and abs(b - 30) < 0.1, (a, b)
    final = {name: epoch_table(default_book, name)["RMSE"][-1] for name in ("basic", "momentum", "rmsprop", "adam")}
    assert final["adam"] == min(final.values()) and table["RMSE"][-1] < final["adam"] / 100, final
    # the result cells on top show the last epoch, as the evaluator computes them
    sheet = default_book.sheets["adam_ann"]
    results = [c for (r, c), cell in sheet.cells.items() if r == 6 and cell.formula]
    assert len(results) == 3
    for c in results:
        v = evaluated[("adam_ann", cell_name(6, c))]
        assert v == sheet.cells[(6, c)].value


# -- reproducible --------------------------------------------------------------------------------

def test_two_builds_are_byte_identical(tmp_path):
    one, two = tmp_path / "one.xlsx", tmp_path / "two.xlsx"
    sg.build(one, epochs=4, rows=9, seed=3)
    sg.build(two, epochs=4, rows=9, seed=3)
    assert one.read_bytes() == two.read_bytes()


def test_committed_workbook_is_a_fresh_default_build(default_build):
    assert COMMITTED.exists(), "run `sheetsgd build --only graddesc` and commit workbooks/graddesc.xlsx"
    assert COMMITTED.read_bytes() == default_build[0].read_bytes(), \
        "workbooks/graddesc.xlsx is stale: run `sheetsgd build --only graddesc` and commit it"


# -- what a student sees -------------------------------------------------------------------------

def test_the_first_epoch_has_the_lectures_columns(reference, default_book):
    import openpyxl
    original = openpyxl.load_workbook(reference("graddesc.xlsm"), read_only=True)
    lecture = [c.value for c in next(original["basic"].iter_rows(min_row=3, max_row=3))]
    ours = [default_book.sheets["basic"].cells[(HEADER_ROW, c)].value for c in range(3, 3 + 14)]
    assert ours == lecture[:14]
    for name in ("momentum", "rmsprop", "adam", "adam_ann"):
        lecture = [c.value for c in next(original[name].iter_rows(min_row=3, max_row=3))][:9]
        ours = [default_book.sheets[name].cells[(HEADER_ROW, c)].value for c in range(3, 12)]
        assert ours == lecture, name
    # and the first step reads its a and b from the start cells, as the lecture's =C1, =C2
    assert default_book.sheets["basic"].cells[(HEADER_ROW + 1, 5)].formula == "=$C$4"
    assert default_book.sheets["basic"].cells[(HEADER_ROW + 1, 6)].formula == "=$C$5"


def test_formulas_are_portable_and_not_volatile(default_book):
    used = set()
    for name, sheet in default_book.sheets.items():
        if name in sg.BEYOND_LECTURE:     # issue 8's sheets: tests/test_graddesc_beyond_lecture.py lints them
            continue
        for cell in sheet.cells.values():
            if cell.formula:
                used |= set(functions_used(cell.formula))
    assert used <= {"SQRT", "AVERAGE", "MIN", "IF"}, used


def test_data_is_values_not_randbetween(default_book):
    data = default_book.sheets["data"]
    xs = [data.cells[(r, 2)] for r in range(steps.DATA_FIRST + 1, steps.DATA_FIRST + 30)]
    assert all(c.formula is None for c in xs)
    assert [c.value for c in xs] == gd.data_x(29, 42).tolist()
    assert data.cells[(steps.DATA_FIRST + 1, 3)].formula == f"=true_b+B{steps.DATA_FIRST + 1}*true_a"


def test_hyperparameters_are_named_inputs(default_book):
    for name in gd.OPTIMIZERS:
        names = default_book.sheets[name].names
        for k in gd.DEFAULTS[name]:
            assert k.upper() in names, (name, k)
    assert {"TRUE_A", "TRUE_B"} <= set(default_book.names)


def _set_name(book, sheet, name, value):
    ref = book.sheets[sheet].names[name.upper()].split("!")[-1].replace("$", "")
    book.sheets[sheet].cells[parse_cell(ref)].value = float(value)


@pytest.mark.parametrize("sheet,k,value", [("basic", "lr", 5e-5), ("adam_ann", "lr", 0.5),
                                           ("momentum", "beta", 0.5), ("adam", "beta2", 0.99)])
def test_editing_an_input_recomputes_every_epoch(tmp_path, sheet, k, value):
    """What the student does in Excel: change lr or beta; every epoch follows (no macro)."""
    path = tmp_path / "g.xlsx"
    sg.build(path, epochs=6, rows=8, seed=1)
    book = read_book(path)
    _set_name(book, sheet, k, value)
    values = evaluate_book(book).values
    table = epoch_table(book, sheet)
    col = headers(book.sheets[sheet])["RMSE"][0]
    rows = [HEADER_ROW + 1 + e for e in range(6)]
    got = [values[(sheet, cell_name(r, col))] for r in rows]
    x = gd.data_x(8, 1)
    want = gd.run(sheet, x, gd.data_y(x), 6, {k: value}).epochs["rmse"]
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert not np.allclose(got, table["RMSE"])          # it did change


def test_true_a_and_b_drive_the_data(tmp_path):
    path = tmp_path / "g.xlsx"
    sg.build(path, epochs=2, rows=5, seed=2)
    book = read_book(path)
    book.sheets["data"].cells[(6, 3)].value = 3.0        # true a: 2 -> 3
    values = evaluate_book(book).values
    x = gd.data_x(5, 2)
    ys = [values[("data", f"C{steps.DATA_FIRST + 1 + i}")] for i in range(5)]
    assert ys == (30 + x * 3).tolist()
    want = gd.run("adam", x, gd.data_y(x, a=3.0), 2).epochs["rmse"]
    col = headers(book.sheets["adam"])["RMSE"][0]
    got = [values[("adam", cell_name(HEADER_ROW + 1 + e, col))] for e in range(2)]
    np.testing.assert_allclose(got, want, rtol=1e-12)


# -- divergence, limits, CLI ---------------------------------------------------------------------

def fd_cell(book):
    """allow(sheet, cell): the finite-difference columns, which subtract two nearly equal squares.
    Once the error is huge (a diverging run), a 1-ulp difference in how an application rounds x^2
    (pow vs x*x) or LibreOffice's snapping of near-equal differences to 0 is all they show."""
    cols = {c for h in FD_HEADERS for c in headers(book.sheets["basic"]).get(h, [])}

    def allow(sheet, cell):
        return sheet == "basic" and parse_cell(cell)[1] in cols
    return allow


def test_divergence_shows_num_and_is_reported(tmp_path):
    path = tmp_path / "g.xlsx"
    summary = sg.build(path, epochs=4, rows=29, seed=42, hyper={"basic": {"lr": 10}, "adam": {"lr": 10}})
    assert "basic diverged at epoch 2" in summary
    assert "adam diverged" not in summary        # Adam's step is bounded by lr: it bounces, never overflows
    book = read_book(path)
    assert_checks(path, allow=fd_cell(book))
    table = epoch_table(book, "basic")
    assert isinstance(table["RMSE"][0], float)
    assert all(v is NUM for v in table["RMSE"][1:])
    assert table["a"][-1] is NUM            # err^2 overflows first, the weights soon after
    # #NUM! propagates down every formula column once it appears
    basic = book.sheets["basic"]
    last = max(r for r, c in basic.cells)
    assert all(isinstance(basic.cells[(last, c)].value, ExcelError) for c in range(5, 17))
    assert book.sheets["compare"].cells[(6, 2)].value is NUM
    # Adam at lr 10 is finite, and far from the answer
    adam = epoch_table(book, "adam")
    assert all(isinstance(v, float) for v in adam["RMSE"]) and adam["RMSE"][-1] > 50


def test_too_big_a_workbook_is_refused_in_one_line(tmp_path):
    path = tmp_path / "g.xlsx"
    with pytest.raises(SheetsgdError) as e:
        sg.build(path, rows=1000, epochs=11)
    assert "\n" not in str(e.value) and "10000" in str(e.value)
    assert not path.exists()


@pytest.mark.parametrize("bad", [{"adam": {"lr": 0}}, {"adam": {"beta1": 1}}, {"nope": {"lr": 1}},
                                 {"basic": {"beta": 0.9}}, {"basic": {"lr": float("nan")}}])
def test_bad_hyperparameters_are_one_line_errors(tmp_path, bad):
    with pytest.raises(SheetsgdError) as e:
        sg.build(tmp_path / "g.xlsx", epochs=1, rows=3, hyper=bad)
    assert "\n" not in str(e.value)


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "sheetsgd", *args], capture_output=True, text=True, timeout=300)


def test_cli_build_lr_and_check(tmp_path):
    r = run_cli("build", "--only", "graddesc", "--epochs", "3", "--rows", "6", "--lr", "basic=0.001",
                "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert "wrote" in r.stdout and "3 epochs" in r.stdout
    book = read_book(tmp_path / "graddesc.xlsx")
    lr_ref = book.sheets["basic"].names["LR"].split("!")[-1].replace("$", "")
    assert book.sheets["basic"].cells[parse_cell(lr_ref)].value == 0.001
    r = run_cli("check", str(tmp_path / "graddesc.xlsx"))
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("args", [["--lr", "adam"], ["--lr", "adam=fast"], ["--lr", "sgd=1"],
                                  ["--lr", "adam=-1"], ["--rows", "200", "--epochs", "100"]])
def test_cli_refuses_bad_options_before_writing(tmp_path, args):
    r = run_cli("build", "--only", "graddesc", "--out", str(tmp_path / "out"), *args)
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not (tmp_path / "out").exists()


# -- LibreOffice, the outside recalculation -----------------------------------------------------

def test_libreoffice_recalculation_agrees(tmp_path, soffice):
    """LibreOffice recomputes every formula: it equals the models (the cached values) to its 15
    saved digits, and the evaluator to 1e-12."""
    from sheetsgd import libreoffice
    path = tmp_path / "g.xlsx"
    sg.build(path, epochs=8, rows=15, seed=7)
    theirs = libreoffice.libreoffice_values(path)
    book = read_book(path)
    cached = {(name, cell_name(r, c)): cell.value for name, sheet in book.sheets.items()
              for (r, c), cell in sheet.cells.items() if cell.formula}
    assert set(theirs) == set(cached)
    assert max(libreoffice.difference(cached[k], theirs[k]) for k in cached) < 1e-14
    report = libreoffice.compare(path, theirs=theirs)
    assert report.ok, report.mismatches[:5]


def test_libreoffice_agrees_on_divergence(tmp_path, soffice):
    """#NUM! where we say #NUM!. The only differences allowed: the finite-difference cells of a
    run whose error is already astronomically large (see fd_cell)."""
    from sheetsgd import libreoffice
    path = tmp_path / "g.xlsx"
    sg.build(path, epochs=4, rows=10, seed=42, hyper={"basic": {"lr": 10}})
    report = libreoffice.compare(path)
    allow = fd_cell(read_book(path))
    assert all(allow(s, c) for s, c, _, _ in report.mismatches), report.mismatches[:5]
    assert report.matched >= report.cells - 4


def test_finite_differences_in_the_sheet_are_high_by_the_bump(default_book):
    """est de/db - de/db = 0.01 and est de/da - de/da = 0.01*x^2 (derived and bounded in
    test_models_graddesc.py), here on the workbook's own cells."""
    basic = default_book.sheets["basic"]
    h = headers(basic)
    rows = range(HEADER_ROW + 1, HEADER_ROW + 1 + 29 * sg.EPOCHS)
    col = {k: h[k][0] for k in ("x", "est de/db", "de/db", "est de/da", "de/da")}
    v = {k: np.array([basic.cells[(r, c)].value for r in rows]) for k, c in col.items()}
    np.testing.assert_allclose(v["est de/db"] - v["de/db"], 0.01, rtol=0, atol=1e-8)
    np.testing.assert_allclose(v["est de/da"] - v["de/da"], 0.01 * v["x"] ** 2, rtol=1e-8, atol=1e-8)
