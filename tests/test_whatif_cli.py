"""`sheetsgd eval` (--set, ranges, --formulas, --csv) and `sheetsgd sweep`, as a user meets them:
every option, and every mistake refused in one line, exit 2, nothing written."""
import csv
import io
from pathlib import Path

import pytest
import xlsxwriter
from test_bad_input import assert_refused, run, run_process, snapshot
from test_simulate import small_book

from sheetsgd.formula.reader import read_book

REPO = Path(__file__).resolve().parent.parent
GRADDESC = REPO / "workbooks" / "graddesc.xlsx"


@pytest.fixture
def ws(tmp_path, monkeypatch):
    small_book(tmp_path / "book.xlsx")
    (tmp_path / "ro").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_eval_a_cell_after_set(ws, capsys):
    code, out, err = run(["eval", "book.xlsx", "--set", "in!rate=5", "out!A1", "in!B1"], capsys)
    assert code == 0 and err == ""
    assert out.splitlines() == ["out!A1 = 206.0", "in!B1 = 50.0"]


def test_eval_without_set_prints_the_formulas_values_and_says_why_some_are_kept(ws, capsys):
    code, out, err = run(["eval", "book.xlsx", "in!B3", "in!C1", "in!D1", "in!Z99", "in!G1", "out!A4"], capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "in!B3 = 43.0"
    assert lines[1].startswith("in!C1 = 0.25  (volatile RAND") and "the file has 0.25" in lines[1]
    assert lines[2].startswith("in!D1 = 7.0  (circular reference: in!D1 -> in!D2 -> in!D1")
    assert lines[3:] == ["in!Z99 = (blank)", 'in!G1 = "small"', "out!A4 = #DIV/0!"]


def test_eval_a_range_is_a_table(ws, capsys):
    code, out, err = run(["eval", "book.xlsx", "--set", "in!A2=4", "in!A1:B3"], capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "in!A1:B3"
    assert lines[1].split() == ["A", "B"]
    assert lines[2].split() == ["1", "2.0", "20.0"]
    assert lines[3].split() == ["2", "4.0", "24.0"]
    assert lines[4].split() == ["3", '"text"', "44.0"]


def test_eval_formulas_beside_values(ws, capsys):
    code, out, err = run(["eval", "book.xlsx", "--formulas", "--set", "in!rate=5", "in!A1:B1", "far!A2"], capsys)
    assert code == 0
    assert out.splitlines() == ["in!A1 = 5.0   [input, set; the file has 2.0]", "in!B1 = 50.0   [=A1*10]",
                                "far!A2 = (blank)"]


def test_eval_csv_is_machine_readable(ws, capsys):
    code, out, err = run(["eval", "book.xlsx", "--csv", "--formulas", "--set", 'in!A2="x"', "in!A2:B2", "in!D1"],
                         capsys)
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))
    assert rows == [["cell", "value", "formula"], ["in!A2", "x", ""], ["in!B2", "#VALUE!", "=B1+A2"],
                    ["in!D1", "7.0", "=D2+1"]]
    assert "note: in!D1: circular reference" in err


def test_eval_set_values_as_typed_into_a_cell(ws, capsys):
    code, out, _ = run(["eval", "book.xlsx", "--set", "in!A1=50%", "--set", "in!A2=TRUE", "in!B2"], capsys)
    assert code == 0 and out.strip() == "in!B2 = 6.0"
    code, out, _ = run(["eval", "book.xlsx", "--set", "in!A2=", "in!B3"], capsys)       # blank
    assert code == 0 and out.strip() == "in!B3 = 40.0"
    code, out, _ = run(["eval", "book.xlsx", "--set", "SCALE=#N/A", "out!A3"], capsys)
    assert code == 0 and out.strip() == "out!A3 = #N/A"


@pytest.mark.parametrize("argv, words", [
    (["--set", "in!B1=3", "out!A1"], ["--set 'in!B1=3'", "'in!B1' is a formula cell (=A1*10), not an input"]),
    (["--set", "in!rate=abc", "out!A1"], ["--set 'in!rate=abc'", "'abc' is not a number, TRUE/FALSE"]),
    (["--set", "in!rate=nan", "out!A1"], ["'nan' is not a finite number"]),
    (["--set", "in!rate", "out!A1"], ["--set 'in!rate' is not REF=VALUE", "e.g. --set adam!lr=0.1"]),
    (["--set", "=3", "out!A1"], ["--set '=3' is not REF=VALUE"]),
    (["--set", "in!ZZZZ9=3", "out!A1"], ["'in!ZZZZ9'", "not a cell reference", "no defined name 'ZZZZ9'"]),
    (["--set", "in!A1:A2=3", "out!A1"], ["'in!A1:A2' is a range; expected one cell"]),
    (["--set", "PAIR=3", "out!A1"], ["'PAIR' names in!A1:A2; expected one cell"]),
    (["--set", "nosheet!A1=3", "out!A1"], ["no sheet named 'nosheet'", "its sheets: in, out, far"]),
    (["--set", "in!lr=3", "out!A1"], ["no defined name 'lr'", "its names: RATE"]),
    (["out!A1", "in!A0"], ["'in!A0'", "outside Excel's grid"]),
    (["out!A1", "in!A1:"], ["'in!A1:'"]),
    (["in!A1:XFD1048576"], ["'in!A1:XFD1048576' is 17,179,869,184 cells, more than 1,000,000"]),
    (["in!A1:A600000", "out!A1:A600000"], ["more than 1,000,000 cells in all"]),
])
def test_eval_mistakes_are_one_line_exit_2(ws, capsys, argv, words):
    before = snapshot(ws)
    code, out, err = run(["eval", "book.xlsx"] + argv, capsys)
    assert_refused(code, out, err, *words)
    assert out == "" and snapshot(ws) == before


def test_eval_one_summary_cell_of_graddesc_in_a_process():
    """The README's example: no progress lines, one answer, the value the build with lr 0.1 caches
    (test_simulate.py's honest check compares every cell of compare)."""
    code, out, err, _ = run_process("eval", GRADDESC, "--set", "adam!lr=0.1", "compare!E104")
    assert code == 0 and err == ""
    assert out.strip() == "compare!E104 = 1.7758157440369946"


# ---------------------------------------------------------------- sweep

def test_sweep_prints_a_table(ws, capsys):
    code, out, err = run(["sweep", "book.xlsx", "--vary", "in!rate=1..3", "--steps", "3", "--watch", "in!B3",
                          "out!A1"], capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["in!rate", "in!B3", "out!A1"]
    assert [line.split() for line in lines[1:]] == [["1.0", "23.0", "46.0"], ["2.0", "43.0", "86.0"],
                                                     ["3.0", "63.0", "126.0"]]


def test_sweep_log_scale_to_csv(ws, capsys):
    code, out, err = run(["sweep", "book.xlsx", "--vary", "in!A1=1..100", "--log", "--steps", "3",
                          "--watch", "in!B1", "--out", "s.csv"], capsys)
    assert code == 0 and "wrote s.csv" in out
    rows = list(csv.reader(open(ws / "s.csv")))
    assert rows == [["in!A1", "in!B1"], ["1.0", "10.0"], ["10.0", "100.0"], ["100.0", "1000.0"]]


def test_sweep_xlsx_has_the_table_and_a_chart(ws, capsys):
    code, out, err = run(["sweep", "book.xlsx", "--vary", "in!rate=0..4", "--steps", "5", "--set", "in!A2=1",
                          "--watch", "in!B1:B2", "--watch", "out!A4", "--out", "s.xlsx"], capsys)
    assert code == 0
    book = read_book(ws / "s.xlsx")
    cells = book.sheets["sweep"].cells
    assert [cells[(5, c)].value for c in range(1, 5)] == ["in!rate", "in!B1", "in!B2", "out!A4"]
    assert [cells[(6 + i, 1)].value for i in range(5)] == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert [cells[(6 + i, 3)].value for i in range(5)] == [1.0, 11.0, 21.0, 31.0, 41.0]     # in!B2 = 10 rate + 1
    assert [cells[(6 + i, 4)].value for i in range(5)] == [-0.5] * 5                        # out!A4 = 1/(1-3)
    import zipfile
    with zipfile.ZipFile(ws / "s.xlsx") as z:
        assert any(n.startswith("xl/charts/chart") for n in z.namelist())
    from sheetsgd.check import check_workbook
    assert check_workbook(ws / "s.xlsx").ok


def test_sweep_shows_errors_as_they_are(ws, capsys):
    code, out, err = run(["sweep", "book.xlsx", "--vary", "in!A2=2..4", "--steps", "3", "--watch", "out!A4"], capsys)
    assert code == 0
    assert [line.split()[-1] for line in out.splitlines()[1:]] == ["-1.0", "#DIV/0!", "1.0"]


@pytest.mark.parametrize("argv, words", [
    (["--vary", "in!A1:A2=1..2", "--watch", "in!B1"], ["--vary 'in!A1:A2=1..2'", "is a range", "one input cell"]),
    (["--vary", "in!B1=1..2", "--watch", "in!B3"], ["--vary 'in!B1=1..2'", "'in!B1' is a formula cell"]),
    (["--vary", "in!A1", "--watch", "in!B1"], ["--vary 'in!A1' is not REF=START..STOP"]),
    (["--vary", "in!A1=1-2", "--watch", "in!B1"], ["'1-2' is not START..STOP"]),
    (["--vary", "in!A1=a..2", "--watch", "in!B1"], ["'a' is not a number"]),
    (["--vary", "in!A1=1..inf", "--watch", "in!B1"], ["'inf' is not a finite number"]),
    (["--vary", "in!A1=0..2", "--log", "--watch", "in!B1"], ["with --log: START and STOP must be > 0"]),
    (["--vary", "in!A1=1..2", "--steps", "0", "--watch", "in!B1"], ["--steps 0: expected 1 to 10,000"]),
    (["--vary", "in!A1=1..2"], ["nothing to watch: give --watch CELLS"]),
    (["--vary", "in!A1=1..2", "--watch", "in!B1", "--out", "s.txt"], ["--out s.txt", "ending in .csv or .xlsx"]),
    (["--vary", "in!A1=1..2", "--watch", "in!B1", "--out", "nodir/s.csv"], ["--out nodir/s.csv", "directory nodir does not exist"]),
    (["--vary", "nope!A1=1..2", "--watch", "in!B1"], ["no sheet named 'nope'"]),
    (["--vary", "in!A1=1..2", "--watch", "in!A0"], ["'in!A0'", "outside Excel's grid"]),
    (["--vary", "in!A1=1..2", "--watch", "in!B1", "--set", "in!B2=1"], ["--set 'in!B2=1'", "formula cell"]),
])
def test_sweep_mistakes_are_one_line_exit_2(ws, capsys, argv, words):
    before = snapshot(ws)
    code, out, err = run(["sweep", "book.xlsx"] + argv, capsys)
    assert_refused(code, out, err, *words)
    assert out == "" and snapshot(ws) == before


def test_sweep_out_into_a_read_only_directory(ws, capsys):
    import os
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        pytest.skip("root writes into a 0o500 directory")
    (ws / "ro").chmod(0o500)
    try:
        code, out, err = run(["sweep", "book.xlsx", "--vary", "in!A1=1..2", "--watch", "in!B1", "--out", "ro/s.csv"],
                             capsys)
        assert_refused(code, out, err, "--out ro/s.csv", "cannot write there")
    finally:
        (ws / "ro").chmod(0o700)


def test_sweep_the_lr_finder_on_the_sheet_itself(tmp_path):
    """The issue's example, in a process: adam's lr over a log scale, the final RMSE of every optimizer
    watched; only adam's column moves, and its value at the file's own lr is the file's."""
    out = tmp_path / "lr.csv"
    code, stdout, err, _ = run_process("sweep", GRADDESC, "--vary", "adam!lr=0.0025..0.25", "--log", "--steps", "3",
                                       "--watch", "compare!B104:F104", "--out", out)
    assert code == 0, err
    rows = list(csv.reader(open(out)))
    assert rows[0] == ["adam!lr", "compare!B104", "compare!C104", "compare!D104", "compare!E104", "compare!F104"]
    cached = read_book(GRADDESC).sheets["compare"]
    assert float(rows[2][0]) == pytest.approx(0.025)
    for row in rows[1:]:
        assert [float(x) for x in row[1:4] + row[5:]] == [cached.cell(104, c).value for c in (2, 3, 4, 6)]
    assert len({row[4] for row in rows[1:]}) == 3


def test_eval_of_a_workbook_with_a_sheet_named_like_a_cell(tmp_path, capsys, monkeypatch):
    path = tmp_path / "q.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    s = wb.add_worksheet("A1")
    s.write_number("B2", 2)
    t = wb.add_worksheet("it's")
    t.write_formula("A1", "='A1'!B2*3", None, 6)
    wb.close()
    monkeypatch.chdir(tmp_path)
    code, out, err = run(["eval", "q.xlsx", "--set", "'A1'!B2=5", "'it''s'!A1"], capsys)
    assert code == 0 and out.strip() == "'it''s'!A1 = 15.0"


def test_eval_of_one_cell_does_not_import_numpy():
    """NumPy's import is a fifth of what `eval` of a summary cell costs (sheetsgd.bench.whatif): the
    modules `eval` imports take it from formula/lazy_numpy.py, and a plan with few long runs is
    computed without the NumPy path (simulate.VECTOR_CELLS)."""
    import subprocess
    import sys
    code = ("import sys, io, contextlib\nfrom sheetsgd.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    try: main(['eval', sys.argv[1], '--set', 'adam!lr=0.1', 'compare!E104'])\n"
            "    except SystemExit: pass\nprint('numpy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, str(GRADDESC)], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr


def test_a_workbook_over_the_work_budget_is_refused_naming_it(tmp_path, capsys, monkeypatch):
    from sheetsgd.formula import engine
    path = tmp_path / "w.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    s = wb.add_worksheet("s")
    for r in range(1, 200):
        s.write_number(r - 1, 0, r)
    s.write_formula("B1", "=SUMPRODUCT(A1:A199*A1:A199)", None, 0)
    wb.close()
    monkeypatch.setattr(engine.Engine.__init__, "__defaults__", (True, False, 50))    # budget=50
    monkeypatch.chdir(tmp_path)
    code, out, err = run(["eval", "w.xlsx", "s!B1"], capsys)
    assert_refused(code, out, err, "w.xlsx: refused: computing it takes more than 50 cell reads")

