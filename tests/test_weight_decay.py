"""The weight_decay and y_range sheets of collab_filter.xlsx: formulas = evaluator = models, and the lesson.

Three views of every number: the formulas (computed by sheetsgd.formula), the cached values
(sheetsgd.models.collab_reg), and the models recomputed here from the weights as the file stores
them; LibreOffice's recalculation is the outside view. The lesson itself is asserted too: weight
decay lowers the valid RMSE, the sigmoid keeps every prediction inside (0, 5.5).
"""
import math

import numpy as np
import openpyxl
import pytest
from openpyxl.utils import get_column_letter
from scipy.optimize import check_grad

from sheetsgd.data import lecture_ratings
from sheetsgd.errors import SheetsgdError
from sheetsgd.formula import evaluate_book, functions_used
from sheetsgd.formula.reader import read_book
from sheetsgd.lint import PORTABLE, lint_book
from sheetsgd.models import collab as cf
from sheetsgd.models import collab_reg as reg
from sheetsgd.sheets import collab, crosstab, weight_decay
from sheetsgd.writer import a1 as cell_a1

SHEETS = ("weight_decay", "y_range")


def close(a, b, rel=1e-12, floor=1e-15):
    return abs(a - b) <= max(rel * max(abs(a), abs(b)), floor)


class Built:
    def __init__(self, path, **kwargs):
        self.path = path
        self.summary = collab.build(path, **kwargs)
        self.book = read_book(path)
        self.evaluation = evaluate_book(self.book)
        self.values = self.evaluation.values
        self.cached = openpyxl.load_workbook(path, data_only=True)
        self.formulas = openpyxl.load_workbook(path)

    def block(self, sheet, rng):
        return np.array([[c.value for c in row] for row in self.cached[sheet][rng]], dtype=float)

    def value(self, sheet, cell):
        return self.values[(sheet, cell)]


@pytest.fixture(scope="module")
def default(tmp_path_factory):
    """The workbook `sheetsgd build --only collab` writes (factors 5, seed 42, solved)."""
    return Built(tmp_path_factory.mktemp("reg") / "collab_filter.xlsx")


@pytest.fixture(scope="module")
def layout():
    ratings = lecture_ratings()
    return weight_decay.DecayLayout(ratings, 5), crosstab.Grid(ratings, 5, bias=True)


def formula_cells(built, sheets=SHEETS):
    for name in sheets:
        for (r, c), cell in built.book.sheets[name].cells.items():
            if cell.formula is not None or cell.array_master is not None:
                yield name, f"{get_column_letter(c)}{r}", cell


def weights(built, sheet, b):
    """A bias model's Weights read back from the file's cells (as stored, not as the builder held them)."""
    rng = lambda r0, c0, r1, c1: f"{openpyxl.utils.get_column_letter(c0 + 1)}{r0 + 1}:" \
                                 f"{openpyxl.utils.get_column_letter(c1 + 1)}{r1 + 1}"
    users = built.block(sheet, rng(b.pred_row0, b.uf_col0, b.pred_row0 + b.nu - 1, b.uf_col0 + b.k - 1))
    movies = built.block(sheet, rng(b.mf_row0, b.col0, b.mf_row0 + b.k - 1, b.last_col))
    ub = built.block(sheet, rng(b.pred_row0, b.ub_col, b.pred_row0 + b.nu - 1, b.ub_col))[:, 0]
    mb = built.block(sheet, rng(b.mb_row, b.col0, b.mb_row, b.last_col))[0]
    return cf.Weights(users, movies, ub, mb)


def a1(rc):
    return cell_a1(*rc)


# ---------------------------------------------------------------- formulas = evaluator = models

def test_every_formula_cell_of_the_new_sheets_equals_its_model_value(default):
    assert not [k for k in default.evaluation.uncheckable if k[0] in SHEETS]     # all checkable
    n = 0
    for name, ref, cell in formula_cells(default):
        cached, computed = cell.value, default.value(name, ref)
        assert isinstance(computed, float) and close(float(cached), computed), (name, ref, cached, computed)
        n += 1
    assert n == 467 + 228          # 2 x (225 predictions + 5 results) + summary 7; 225 + RMSE, SUMSQ, loss


def test_sheetsgd_check_passes(default, capsys):
    from sheetsgd.cli import main
    with pytest.raises(SystemExit) as e:
        main(["check", str(default.path)])
    out = capsys.readouterr().out
    assert e.value.code == 0, out
    assert all(name in out for name in SHEETS)


def test_models_from_the_stored_weights_give_the_sheets_numbers(default, layout):
    """The third view: NumPy on the weights and ratings read back from the file."""
    L, g = layout
    ratings = lecture_ratings()
    train = default.block("weight_decay", "H2:V16")
    valid = default.block("weight_decay", "H19:V33")
    assert np.array_equal(np.isnan(train) & np.isnan(valid), ~ratings.mask)     # a split of the ratings
    assert not (~np.isnan(train) & ~np.isnan(valid)).any()
    sp = reg.Split(ratings.__class__(ratings.user_ids, ratings.movie_ids, train),
                   ratings.__class__(ratings.user_ids, ratings.movie_ids, valid))
    mean = default.value("weight_decay", "F9")                 # the mean train rating, added to every prediction
    assert close(mean, float(np.nanmean(train)))
    for b in L.blocks:
        w = weights(default, "weight_decay", b)
        wd = default.cached["weight_decay"][a1((b.top, b.col0))].value
        preds = cf.predict(w) + mean
        assert close(default.value("weight_decay", b.cell("loss")),
                     reg.mse(sp.train, preds) + wd * float(np.sum(w.flat() ** 2)))
        assert close(default.value("weight_decay", b.cell("train")), cf.rmse(sp.train, preds))
        assert close(default.value("weight_decay", b.cell("valid")), cf.rmse(sp.valid, preds))
        assert close(default.value("weight_decay", b.cell("sumsq")), float(np.sum(w.flat() ** 2)))
    y = weights(default, "y_range", g)
    lo, hi = (default.cached["y_range"][c].value for c in ("B3", "B4"))
    assert (lo, hi) == (0, 5.5)
    assert close(default.value("y_range", "V42"), cf.rmse(ratings, reg.predict_y_range(y, lo, hi)))
    wd = default.cached["y_range"]["B5"].value
    assert wd == reg.Y_RANGE_WD and close(default.value("y_range", "V44"), reg.y_range_loss(ratings, y, lo, hi, wd))


# ---------------------------------------------------------------- the lesson

def results(built, layout):
    L, _ = layout
    return [{k: built.value("weight_decay", b.cell(k)) for k in b.RESULTS} for b in L.blocks]


def test_weight_decay_lowers_the_valid_rmse(default, layout):
    none, tuned = results(default, layout)
    wd = default.cached["weight_decay"]["H65"].value
    assert 0.001 < wd < 1 and default.cached["weight_decay"]["H35"].value == 0
    assert tuned["valid"] < none["valid"]                 # the point of the sheet
    baseline = default.value("weight_decay", "F10")       # the mean train rating for every held-out cell
    assert tuned["valid"] < 0.97 * baseline               # better than the mean alone, visibly
    assert none["train"] < tuned["train"]                 # bought with a worse fit to the train ratings
    assert tuned["sumsq"] < none["sumsq"]                 # by keeping the weights small
    assert none["valid"] > 2 and tuned["valid"] < 0.9
    assert close(none["loss"], none["mse"])               # wd = 0: the loss is the MSE
    # the summary at the top shows the same numbers
    summary = [default.value("weight_decay", c) for c in ("F3", "F4", "F6", "F7")]
    assert summary == [none["train"], none["valid"], tuned["train"], tuned["valid"]]


def test_chosen_wd_beats_every_wd_tried_on_the_grid():
    ratings = lecture_ratings()
    split_rng, wd_rng, _ = collab.streams(42)
    sp = reg.split(ratings, split_rng)
    start = cf.random_start(wd_rng, 15, 15, 5, bias=True)
    mean = float(np.nanmean(sp.train.matrix))
    search = reg.choose_wd(sp, start, offset=mean)
    grid = [v for wd, v in search.tried if wd in reg.WD_GRID]
    chosen = reg.valid_rmse(sp, search.fit.weights, mean)
    assert len(grid) == len(reg.WD_GRID) and chosen <= min(grid) + 1e-3   # rounding wd costs at most a hair
    assert chosen < reg.valid_rmse(sp, reg.fit_decayed(sp.train, start, 0.0, mean).weights, mean)


def test_y_range_predictions_stay_inside_lo_hi(default, layout):
    _, g = layout
    preds = np.array([[default.value("y_range", a1(g.pred(i, j))) for j in range(15)] for i in range(15)])
    assert ((0 < preds) & (preds < 5.5)).all()
    assert preds.max() > 5 and preds.min() < 1.5           # and still reach the ratings' extremes
    # and for any weights: huge activations come close to lo and hi but stay inside
    x = np.linspace(-30, 30, 61)
    assert ((0 < reg.squash(x, 0.0, 5.5)) & (reg.squash(x, 0.0, 5.5) < 5.5)).all()


def test_y_range_rmse_beside_the_bias_sheets(default):
    y, bias = default.value("y_range", "V42"), default.value("bias", "V42")
    assert y < bias                                        # 0.2276 against 0.3187 for seed 42
    about = {default.cached["about"].cell(r, 1).value: default.cached["about"].cell(r, 2).value
             for r in range(1, 60)}
    assert close(about["y_range"], y)                     # on the about sheet too


# ---------------------------------------------------------------- gradients

@pytest.mark.parametrize("wd", [0.0, 0.05])
def test_decayed_loss_gradient(wd):
    ratings = lecture_ratings()
    sp = reg.split(ratings, np.random.default_rng(0))
    start = cf.random_start(np.random.default_rng(1), 15, 15, 5, bias=True)
    for theta in (start.flat(), np.random.default_rng(2).normal(size=start.flat().size)):
        f = lambda t: reg.decayed_loss_and_grad(t, start, sp.train, wd)[0]
        g = lambda t: reg.decayed_loss_and_grad(t, start, sp.train, wd)[1]
        assert check_grad(f, g, theta) < 1e-5 * max(1, np.linalg.norm(g(theta)))
        assert close(f(theta), reg.decayed_loss(sp.train, start.unflat(theta), wd), rel=1e-13)


def test_y_range_gradient():
    ratings = lecture_ratings()
    start = cf.random_start(np.random.default_rng(3), 15, 15, 5, bias=True)
    for theta in (start.flat(), np.random.default_rng(4).normal(scale=0.5, size=start.flat().size)):
        f = lambda t: reg.y_range_loss_and_grad(t, start, ratings, 0.0, 5.5, 0.01)[0]
        g = lambda t: reg.y_range_loss_and_grad(t, start, ratings, 0.0, 5.5, 0.01)[1]
        assert check_grad(f, g, theta) < 1e-6 * max(1, np.linalg.norm(g(theta)))
        assert close(f(theta), reg.y_range_loss(ratings, start.unflat(theta), 0.0, 5.5, 0.01), rel=1e-12)


# ---------------------------------------------------------------- the split

def test_split_holds_out_a_fifth_reproducibly():
    ratings = lecture_ratings()
    a = reg.split(ratings, np.random.default_rng(7))
    b = reg.split(ratings, np.random.default_rng(7))
    assert (a.valid.count, a.train.count) == (41, 165)            # round(0.2 * 206)
    assert np.array_equal(a.valid.mask, b.valid.mask)
    assert not (a.train.mask & a.valid.mask).any() and np.array_equal(a.train.mask | a.valid.mask, ratings.mask)
    assert np.array_equal(a.valid.filled + a.train.filled, ratings.filled)


def test_split_needs_two_ratings():
    ratings = lecture_ratings()
    one = np.full(ratings.matrix.shape, np.nan)
    one[0, 0] = 4
    with pytest.raises(SheetsgdError, match="at least 2"):
        reg.split(ratings.__class__(ratings.user_ids, ratings.movie_ids, one), np.random.default_rng(0))
    one[1, 1] = 3
    sp = reg.split(ratings.__class__(ratings.user_ids, ratings.movie_ids, one), np.random.default_rng(0))
    assert (sp.train.count, sp.valid.count) == (1, 1)


# ---------------------------------------------------------------- layout, names, looks, portability

def test_named_inputs_and_solver_models(default):
    wd_names = default.book.sheets["weight_decay"].names
    assert wd_names["WD"] == "weight_decay!$H$65" and wd_names["WD_0"] == "weight_decay!$H$35"
    assert wd_names["SOLVER_OPT"] == "weight_decay!$V$91"                 # the weight-decay block's loss
    assert wd_names["SOLVER_ADJ"] == "weight_decay!$H$66:$V$71,weight_decay!$A$73:$F$87"
    y_names = default.book.sheets["y_range"].names
    assert y_names["LO"] == "y_range!$B$3" and y_names["HI"] == "y_range!$B$4" and y_names["WD"] == "y_range!$B$5"
    assert y_names["SOLVER_OPT"] == "y_range!$V$44" and y_names["SOLVER_ADJ"] == "y_range!$H$19:$V$24,y_range!$A$26:$F$40"
    for names in (wd_names, y_names):
        assert names["SOLVER_TYP"] == "2" and names["SOLVER_ENG"] == "1"    # minimise, GRG Nonlinear


def test_formulas_read_like_the_lesson(default):
    wd, y = default.formulas["weight_decay"], default.formulas["y_range"]
    assert wd["V91"].value == "=V89+wd*V90" and wd["V61"].value == "=V59+wd_0*V60"
    assert wd["V90"].value == "=SUMSQ($H$66:$V$71,$A$73:$F$87)"
    assert wd["V89"].value == '=SUMPRODUCT(($H$2:$V$16<>"")*($H$2:$V$16-H73:V87)^2)/COUNT($H$2:$V$16)'
    assert wd["V93"].value == '=SQRT(SUMPRODUCT(($H$19:$V$33<>"")*($H$19:$V$33-H73:V87)^2)/COUNT($H$19:$V$33))'
    assert wd["V92"].value == "=SQRT(V89)"
    assert wd["H73"].value == "=MMULT($B73:$F73,H$67:H$71)+H$66+$A73+mean_train"
    assert y["H26"].value == "=lo+(hi-lo)/(1+EXP(-(MMULT($B26:$F26,H$20:H$24)+H$19+$A26)))"
    assert y["V42"].value == '=SQRT(SUMPRODUCT((H2:V16<>"")*(H2:V16-H26:V40)^2)/COUNT(H2:V16))'
    assert y["V43"].value == "=SUMSQ($H$19:$V$24,$A$26:$F$40)" and y["V44"].value == "=V42^2+wd*V43"


def test_inputs_results_and_looks(default):
    wd, y = default.formulas["weight_decay"], default.formulas["y_range"]
    for ws in (wd, y):
        assert ws.freeze_panes == "H2"
        notes = [c.value for row in ws.iter_rows(min_col=24, max_col=24) for c in row if c.value]
        assert len(notes) >= 8                                         # notes beside each block
    inputs, result = wd["H65"].fill.fgColor.rgb, wd["V93"].fill.fgColor.rgb
    assert inputs == y["B3"].fill.fgColor.rgb == wd["A73"].fill.fgColor.rgb == y["H19"].fill.fgColor.rgb
    assert result == wd["V92"].fill.fgColor.rgb == y["V42"].fill.fgColor.rgb != inputs
    held = wd["H19"].fill.fgColor.rgb                                  # a held-out rating looks apart
    assert wd["H19"].value == 3 and held not in (inputs, result)
    scaled = {str(r.sqref) for r in wd.conditional_formatting}
    assert {"H2:V16", "H43:V57", "H73:V87", "B43:F57", "H66:V66"} <= scaled
    text = " ".join(str(c.value) for row in y.iter_rows() for c in row if isinstance(c.value, str))
    assert "never reaches its asymptotes" in text and "x = +infinity" in text
    about = " ".join(str(c.value) for row in default.cached["about"].iter_rows() for c in row if c.value)
    assert "weight_decay" in about and "y_range" in about


def test_only_portable_functions(default):
    used = set()
    for _, _, cell in formula_cells(default):
        if cell.formula is not None:
            used |= functions_used(cell.formula)
    assert used <= PORTABLE and "SUMXMY2" not in used
    assert {"SUMPRODUCT", "SUMSQ", "EXP", "MMULT", "SQRT"} <= used
    assert not [w for w in lint_book(default.book) if any(name in str(w) for name in SHEETS)]


def test_no_solve_writes_the_random_start(tmp_path):
    built = Built(tmp_path / "c.xlsx", solve=False, seed=3)
    for name, ref, cell in formula_cells(built):
        assert close(float(cell.value), built.value(name, ref)), (name, ref)
    ws = built.cached["weight_decay"]
    assert ws["H65"].value == weight_decay.WD_UNSOLVED
    assert all(0 <= c.value < 1 for row in ws["A43:F57"] for c in row)   # =RAND()-like, as Solver would find it
    assert all(0 <= c.value < 1 for row in built.cached["y_range"]["A26:F40"] for c in row)


# ---------------------------------------------------------------- LibreOffice, the outside view

@pytest.mark.libreoffice
def test_libreoffice_agrees_on_every_cell_of_the_new_sheets(default, soffice):
    from sheetsgd import libreoffice as lo
    report = lo.compare(default.path)          # the one recalculation of this module
    ours = [m for m in report.mismatches if m[0] in SHEETS]
    assert ours == [], ours[:5]
    assert report.ok, report.summary()
    for name, ref, _ in formula_cells(default):
        assert report.relative.get((name, ref), 0.0) < lo.RELATIVE, (name, ref)
    assert math.isfinite(default.value("y_range", "V42"))
