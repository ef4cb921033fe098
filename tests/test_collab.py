"""collab_filter.xlsx as built: formulas = evaluator = models, the lecture's numbers, portable, fresh.

Three views of every number: the workbook's formulas (computed by sheetsgd.formula), the values
cached beside them (computed by sheetsgd.models.collab), and figures from outside the code: the
lecture's own RMSEs with the lecture's own weights, and LibreOffice's recalculation.
"""
import math
import re
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from sheetsgd.data import lecture_ratings
from sheetsgd.formula import evaluate_book, functions_used
from sheetsgd.formula.reader import read_book
from sheetsgd.lint import PORTABLE, lint_book
from sheetsgd.models import collab as cf
from sheetsgd.sheets import collab

from test_models_collab import LECTURE_BIAS, LECTURE_DOTPROD, lecture_weights

REPO = Path(__file__).resolve().parent.parent
COMMITTED = REPO / "workbooks" / "collab_filter.xlsx"
SHEETS = ["about", "dotprod", "movielens_1hot", "movielens_emb", "bias", "weight_decay", "y_range", "word_emb"]
RMSE_CELLS = {"dotprod": "V41", "movielens_1hot": "BH210", "movielens_emb": "Y210", "bias": "V42"}
VOLATILE = {"OFFSET", "INDIRECT", "RAND", "RANDBETWEEN", "NOW", "TODAY", "CELL", "INFO"}


def close(a, b, rel=1e-12, floor=1e-15):
    return abs(a - b) <= max(rel * max(abs(a), abs(b)), floor)


def formula_cells(book):
    for name, sheet in book.sheets.items():
        for (r, c), cell in sheet.cells.items():
            if cell.formula is not None or cell.array_master is not None:
                yield name, r, c, cell


class Built:
    def __init__(self, path, summary):
        self.path, self.summary = path, summary
        self.book = read_book(path)
        self.evaluation = evaluate_book(self.book)
        self.values = self.evaluation.values


def build(path, **kwargs):
    return Built(path, collab.build(path, **kwargs))


@pytest.fixture(scope="module")
def default(tmp_path_factory):
    """The workbook `sheetsgd build` writes (factors 5, seed 42, solved)."""
    return build(tmp_path_factory.mktemp("collab") / "collab_filter.xlsx")


def assert_formulas_equal_models(built):
    assert built.evaluation.uncheckable == {}               # every formula cell can be checked
    checked = 0
    for name, r, c, cell in formula_cells(built.book):
        cached = cell.value
        computed = built.values[(name, openpyxl.utils.get_column_letter(c) + str(r))]
        if isinstance(cached, float) or isinstance(computed, float):
            assert close(float(cached), float(computed)), (name, r, c, cached, computed)
        else:
            assert cached == computed, (name, r, c, cached, computed)
        checked += 1
    return checked


def assert_rmses_agree(built):
    rmse = {name: built.values[(name, cell)] for name, cell in RMSE_CELLS.items()}
    assert close(rmse["movielens_1hot"], rmse["dotprod"]) and close(rmse["movielens_emb"], rmse["dotprod"])
    return rmse


# ---------------------------------------------------------------- formulas = evaluator = models

def test_every_formula_cell_equals_its_model_value(default):
    assert assert_formulas_equal_models(default) > 12000


def test_sheetsgd_check_passes(default, capsys):
    from sheetsgd.cli import main
    with pytest.raises(SystemExit) as e:
        main(["check", str(default.path)])
    assert e.value.code == 0, capsys.readouterr().out


def test_one_rmse_three_ways_and_solved_below_the_lecture(default):
    rmse = assert_rmses_agree(default)
    assert rmse["dotprod"] <= 0.393 and rmse["bias"] <= 0.320
    assert default.summary == f"dotprod RMSE {rmse['dotprod']:.4f}, bias RMSE {rmse['bias']:.4f}"
    # the models, from the weights as the file stores them
    ws = openpyxl.load_workbook(default.path, data_only=True)
    block = lambda sheet, rng: np.array([[c.value for c in row] for row in ws[sheet][rng]], dtype=float)
    w = cf.Weights(block("dotprod", "B25:F39"), block("dotprod", "H19:V23"))
    assert close(cf.rmse(lecture_ratings(), cf.predict(w)), rmse["dotprod"])
    b = cf.Weights(block("bias", "B26:F40"), block("bias", "H20:V24"),
                   block("bias", "A26:A40")[:, 0], block("bias", "H19:V19")[0])
    assert close(cf.rmse(lecture_ratings(), cf.predict(b)), rmse["bias"])


def test_lecture_weights_in_our_layout_give_the_lectures_rmse(reference, tmp_path):
    weights = lecture_weights(reference("collab_filter.xlsx"))
    built = build(tmp_path / "lecture.xlsx", weights=weights)
    rmse = assert_rmses_agree(built)
    assert close(rmse["dotprod"], LECTURE_DOTPROD), rmse["dotprod"]
    assert close(rmse["bias"], LECTURE_BIAS), rmse["bias"]    # Excel's 0.3195, not LibreOffice's 0.858
    assert_formulas_equal_models(built)


@pytest.mark.parametrize("kwargs", [dict(solve=False, seed=3), dict(factors=8, seed=7), dict(factors=1, seed=1)])
def test_other_options_check_too(tmp_path, kwargs):
    built = build(tmp_path / "c.xlsx", **kwargs)
    assert_formulas_equal_models(built)
    k = kwargs.get("factors", 5)
    cells = collab.rmse_cells(k)
    rmse = {name: built.values[(name, cell)] for name, cell in cells.items()}
    assert close(rmse["movielens_1hot"], rmse["dotprod"]) and close(rmse["movielens_emb"], rmse["dotprod"])
    if kwargs.get("solve", True):
        assert rmse["bias"] < rmse["dotprod"]
    else:
        assert rmse["dotprod"] > 1 and rmse["bias"] > 1     # the random start, before any solving
    about = openpyxl.load_workbook(built.path)["about"]
    texts = [c.value for row in about.iter_rows() for c in row if isinstance(c.value, str)]
    assert f"seed {kwargs['seed']}" in " ".join(texts) and str(k) in texts


def test_rmse_cells_are_the_lectures_for_k_5():
    assert collab.rmse_cells() == RMSE_CELLS
    assert collab.rmse_cells(8)["dotprod"] == "Y44"     # 8 user factors push the crosstab right and down


# ---------------------------------------------------------------- portable, non-volatile, reproducible

def test_only_portable_non_volatile_functions(default):
    used = set()
    for _, _, _, cell in formula_cells(default.book):
        if cell.formula is not None:
            used |= functions_used(cell.formula)
    assert not used & VOLATILE
    assert used <= PORTABLE, used - PORTABLE
    assert {"MMULT", "SUMPRODUCT", "INDEX", "MATCH"} <= used and "SUMXMY2" not in used
    assert lint_book(default.book) == []


def test_two_builds_are_byte_identical(default, tmp_path):
    again = tmp_path / "again.xlsx"
    collab.build(again)
    assert again.read_bytes() == default.path.read_bytes()


def test_committed_workbook_is_a_fresh_build(default):
    """Byte for byte, whatever the CPU: the solves compute in arithmetic that gives the same bits on
    every machine (models.portable, models.lbfgs; tests/test_portable.py runs them under other CPU
    kernels), so a fresh build that differs means the builder changed and the file was not rebuilt."""
    assert COMMITTED.exists(), "run `sheetsgd build --only collab` and commit workbooks/collab_filter.xlsx"
    assert COMMITTED.read_bytes() == default.path.read_bytes(), \
        "workbooks/collab_filter.xlsx is stale: run `sheetsgd build --only collab` and commit it"


def test_the_about_sheet_names_no_library_versions(default):
    """The fit no longer depends on NumPy's or SciPy's version (nor BLAS's kernels): the about sheet
    says how it was solved, not with which versions."""
    about = [c.value for c in default.book.sheets["about"].cells.values() if isinstance(c.value, str)]
    assert not [t for t in about if re.search(r"numpy \S+, scipy", t)]
    assert any("same bits on every CPU" in t for t in about)


# ---------------------------------------------------------------- Solver, layout, looks

def test_solver_model_is_the_lectures_set_of_names(default, reference):
    ours = {name: default.book.sheets[name].names for name in ("dotprod", "bias")}
    assert ours["dotprod"]["SOLVER_ADJ"] == "dotprod!$H$19:$V$23,dotprod!$B$25:$F$39"
    assert ours["dotprod"]["SOLVER_OPT"] == "dotprod!$V$41"
    assert ours["bias"]["SOLVER_ADJ"] == "bias!$H$19:$V$24,bias!$A$26:$F$40"
    assert ours["bias"]["SOLVER_OPT"] == "bias!$V$42"
    for sheet in ours.values():
        assert sheet["SOLVER_TYP"] == "2" and sheet["SOLVER_ENG"] == "1"   # minimise, GRG Nonlinear
    lecture = read_book(reference("collab_filter.xlsx"))
    for name in ("dotprod", "bias"):
        assert set(ours[name]) == set(lecture.sheets[name].names)
        assert ours[name] == lecture.sheets[name].names     # same model, same cells, same options


def test_sheets_blocks_and_styles(default):
    wb = openpyxl.load_workbook(default.path)
    assert wb.sheetnames == SHEETS
    for ws in wb.worksheets:
        assert ws.freeze_panes is not None, ws.title
    dot = wb["dotprod"]
    assert dot["H25"].value == "=MMULT($B25:$F25,H$19:H$23)"
    assert dot["V41"].value == '=SQRT(SUMPRODUCT((H2:V16<>"")*(H2:V16-H25:V39)^2)/COUNT(H2:V16))'
    assert wb["bias"]["H26"].value == "=MMULT($B26:$F26,H$20:H$24)+H$19+$A26"
    inputs, formula, result = dot["B25"].fill.fgColor.rgb, dot["H25"].fill.fgColor.rgb, dot["V41"].fill.fgColor.rgb
    assert len({inputs, formula, result}) == 3                      # inputs, formulas, the RMSE look apart
    assert dot["H2"].fill.fgColor.rgb == inputs and dot["Q5"].value is None   # a blank rating still looks editable
    scaled = {str(r.sqref) for r in dot.conditional_formatting}
    assert {"B25:F39", "H19:V23", "H25:V39"} <= scaled
    notes = [c.value for row in dot.iter_rows(min_col=24, max_col=24) for c in row if c.value]
    assert len(notes) >= 8                                          # a note beside each block


def test_one_hot_sheet_is_the_lectures_shape(default):
    ws = openpyxl.load_workbook(default.path)["movielens_1hot"]
    assert ws["O3"].value == "=IF($K3=O$2,1,0)" and ws["AK208"].value == "=IF($L208=AK$2,1,0)"
    assert ws["K3"].value == "=MATCH(I3,$B$4:$B$18,0)"
    assert ws["AE3"].value.text == "=MMULT(O3:AC208,$C$4:$G$18)" and ws["AE3"].value.ref == "AE3:AI208"
    assert ws["BG3"].value == "=SUMPRODUCT(AE3:AI3,BA3:BE3)"
    assert ws["C4"].value == "=dotprod!B25" and ws["C22"].value == "=dotprod!H19"   # dotprod's weights
    assert ws.column_dimensions["O"].width < 4 and ws.column_dimensions["AK"].width < 4
    emb = openpyxl.load_workbook(default.path)["movielens_emb"]
    assert emb["M3"].value == "=INDEX($C$4:$G$18,$L3,M$2)"


def test_word_emb_looks_up_each_word(default):
    values = default.values
    ws = openpyxl.load_workbook(default.path)["word_emb"]
    vocab = [ws.cell(r, 2).value for r in range(4, 18)]
    assert vocab == ["am", "and", "Daniel", "do", "eggs", "green", "ham", "I", "like", "not", "Sam", "That",
                     "them", "you"]                                   # the lecture's vocabulary
    assert ws["J3"].value == "=MATCH(I3,$B$4:$B$17,0)"
    # "Do" (row 28, as in the lecture) is "do" (id 4): MATCH ignores case, in every program
    assert ws["I28"].value == "Do" and values[("word_emb", "J28")] == 4
    assert values[("word_emb", "K28")] == ws["C7"].value


def test_bad_factors_writes_nothing(tmp_path):
    from sheetsgd.errors import SheetsgdError
    with pytest.raises(SheetsgdError, match="factors"):
        collab.build(tmp_path / "x.xlsx", factors=0)
    assert not list(tmp_path.iterdir())


# ---------------------------------------------------------------- LibreOffice, the outside view

@pytest.mark.libreoffice
def test_libreoffice_computes_our_rmses(default, soffice):
    from sheetsgd import libreoffice as lo
    theirs = lo.libreoffice_values(default.path)
    theirs = theirs[0] if isinstance(theirs, tuple) else theirs
    for name, cell in RMSE_CELLS.items():
        assert close(theirs[(name, cell)], default.values[(name, cell)], rel=5e-15), (name, cell)
    assert math.isfinite(theirs[("bias", "V42")]) and theirs[("bias", "V42")] < 0.32   # not the lecture's 0.858


def test_cli_build_no_solve(tmp_path, capsys):
    from sheetsgd.cli import main
    with pytest.raises(SystemExit) as e:
        main(["build", "--only", "collab", "--no-solve", "--seed", "5", "--out", str(tmp_path)])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert f"wrote {tmp_path / 'collab_filter.xlsx'}" in out and "dotprod RMSE" in out
    values = openpyxl.load_workbook(tmp_path / "collab_filter.xlsx", data_only=True)["dotprod"]
    weights = [c.value for row in values["B25:F39"] for c in row]
    assert all(0 <= w < 1 for w in weights)                  # =RAND()-like start, as Solver would find it
