"""neuralnet.xlsx: softmax, cross-entropy and the lesson's MNIST training on the 8x8 digits.

Numbers from outside the code under test: the lecture's entropy_example.xlsx (its cached
softmax and cross-entropy values), finite differences of the loss, a NumPy SGD step written
here from the lesson's formulas, LibreOffice's recalculation of the workbook, and the
committed workbook itself (a fresh build must reproduce it byte for byte).
"""
import gzip
import hashlib
import math
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from openpyxl.utils import range_boundaries

from sheetsgd import libreoffice as lo
from sheetsgd.errors import SheetsgdError
from sheetsgd.formula import evaluate_book
from sheetsgd.formula.reader import read_book
from sheetsgd.models import neuralnet as nn
from sheetsgd.sheets import neuralnet as sheet
from sheetsgd.sheets import softmax
from sheetsgd.writer import Workbook

REPO = Path(__file__).resolve().parent.parent
COMMITTED = REPO / "workbooks" / "neuralnet.xlsx"


# ---------------------------------------------------------------- fixtures: one build, one evaluation

@pytest.fixture(scope="session")
def built(neuralnet_built):
    """The workbook built with the defaults (conftest.py: one build for every test module)."""
    return neuralnet_built


@pytest.fixture(scope="session")
def book(neuralnet_book):
    return neuralnet_book


@pytest.fixture(scope="session")
def evaluated(neuralnet_evaluated):
    return neuralnet_evaluated


def values_of(evaluation, sheet_name, ref):
    """The evaluator's values of a range "$B$10:$K$73" as a 2-D array."""
    c0, r0, c1, r1 = range_boundaries(ref.replace("$", ""))
    from openpyxl.utils import get_column_letter
    return np.array([[evaluation.values[(sheet_name, f"{get_column_letter(c)}{r}")] for c in range(c0, c1 + 1)]
                     for r in range(r0, r1 + 1)], dtype=float)


# ---------------------------------------------------------------- the data

def test_digits_are_the_uci_set_scikit_learn_ships():
    data = (REPO / "sheetsgd" / "data" / nn.DIGITS_FILE).read_bytes()
    readme = (REPO / "sheetsgd" / "data" / "digits.README.md").read_text()
    assert hashlib.sha256(data).hexdigest() in readme          # the attribution names this very file
    assert "CC BY 4.0" in readme
    d = nn.load_digits()
    assert d.pixels.shape == (1797, 64) and d.labels.shape == (1797,)
    assert d.pixels.min() == 0 and d.pixels.max() == 16
    assert np.array_equal(np.bincount(d.labels), [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
    assert len(gzip.decompress(data).splitlines()) == 1797


def test_split_is_seeded_and_disjoint():
    train, valid = nn.split(1797)
    assert (len(train), len(valid)) == (1497, 300)
    assert not set(train) & set(valid) and len(set(train) | set(valid)) == 1797
    assert np.array_equal(valid, nn.split(1797)[1])
    assert not np.array_equal(valid, nn.split(1797, seed=1)[1])
    with pytest.raises(SheetsgdError, match="valid 1797"):
        nn.split(1797, valid=1797)


# ---------------------------------------------------------------- the models

def test_softmax_adds_to_one_and_ignores_a_shift():
    a = np.array([0.3, -1.2, 2.0, 0.0, 1.1])
    p = nn.softmax(a)
    assert math.isclose(p.sum(), 1, rel_tol=1e-15)
    assert np.allclose(nn.softmax(a - 7.5), p, rtol=1e-14, atol=0)
    assert np.allclose(nn.sigmoid(a), 1 / (1 + np.exp(-a)), rtol=1e-15)
    assert math.isclose(nn.cross_entropy(a, 2), -math.log(p[2]), rel_tol=1e-15)


@pytest.mark.parametrize("kind", nn.MODELS)
def test_gradients_match_finite_differences(kind):
    """step()'s backward pass (+ 2*wd*w) against central differences of the loss, every parameter."""
    rng = np.random.default_rng(0)
    params = nn.init(kind, seed=3, hidden=6)
    x = rng.uniform(0, 1, (5, nn.PIXELS))
    y = np.array([0, 3, 3, 7, 9])
    wd = 0.01
    r = nn.step(kind, params, x, y, lr=0.1, wd=wd)
    eps = 1e-6
    for k, p in params.items():
        analytic = r["grad"][k] + r["wd_grad"][k]
        numeric = np.zeros_like(p)
        for i in np.ndindex(p.shape):
            old = p[i]
            p[i] = old + eps
            up = nn.loss(kind, params, x, y, wd)
            p[i] = old - eps
            down = nn.loss(kind, params, x, y, wd)
            p[i] = old
            numeric[i] = (up - down) / (2 * eps)
        assert np.allclose(analytic, numeric, rtol=1e-6, atol=1e-9), k
    # and the loss the step reports is the loss differentiated
    assert math.isclose(r["loss"], nn.loss(kind, params, x, y, wd), rel_tol=1e-12)


@pytest.mark.parametrize("kind", nn.MODELS)
def test_sheet_order_and_numpy_order_agree(kind):
    params = nn.init(kind)
    d = nn.load_digits()
    x, y = nn.inputs(d.pixels[:16]), d.labels[:16]
    a = nn.step(kind, params, x, y, 0.1, 1e-4, sheet=True)
    b = nn.step(kind, params, x, y, 0.1, 1e-4, sheet=False)
    for k in params:
        assert np.allclose(a["new"][k], b["new"][k], rtol=1e-12, atol=1e-15)
    assert math.isclose(a["loss"], b["loss"], rel_tol=1e-13)


def test_bad_hyperparameters_are_one_line_errors():
    with pytest.raises(SheetsgdError, match="lr -1"):
        nn.check_hyper("net", {"lr": -1})
    with pytest.raises(SheetsgdError, match="no hyperparameter 'momentum'"):
        nn.check_hyper("net", {"momentum": 0.9})
    with pytest.raises(SheetsgdError, match="model 'cnn'"):
        nn.check_hyper("cnn", {})


# ---------------------------------------------------------------- the trained models

def test_valid_accuracy_reaches_the_lesson_s(built):
    runs = built[1]["runs"]
    assert runs["logistic"].final_accuracy >= 0.95
    assert runs["net"].final_accuracy >= 0.97
    for run in runs.values():       # training went somewhere: loss fell, accuracy rose
        assert run.train_loss[-1] < 0.5 * run.train_loss[0]
        assert run.valid_accuracy[-1] > run.valid_accuracy[0]


@pytest.mark.parametrize("kind", nn.MODELS)
def test_sheet_accuracy_cell_equals_the_trainer_s(built, evaluated, kind):
    info = built[1]
    cell = info["preds"][kind]["accuracy_cell"]
    assert evaluated.values[(f"{kind}_valid", cell)] == info["runs"][kind].final_accuracy


# ---------------------------------------------------------------- the one-step sheets

def independent_step(kind, params, pixels, labels, lr, wd):
    """The lesson's update, written here from scratch: mean cross-entropy + wd * sum(p^2), SGD."""
    x = pixels / 16.0
    p = {k: v.copy() for k, v in params.items()}
    if kind == "logistic":
        acts = [x]
        z = x @ p["W"] + p["b"]
    else:
        h = x @ p["W1"] + p["b1"]
        r = np.where(h > 0, h, 0)
        acts = [x, r]
        z = r @ p["W2"] + p["b2"]
    e = np.exp(z - z.max(axis=1, keepdims=True))
    soft = e / e.sum(axis=1, keepdims=True)
    target = np.eye(10)[labels]
    g = (soft - target) / len(labels)
    grads = {}
    if kind == "logistic":
        grads["W"], grads["b"] = x.T @ g, g.sum(0)
    else:
        grads["W2"], grads["b2"] = r.T @ g, g.sum(0)
        gh = (g @ p["W2"].T) * (h > 0)
        grads["W1"], grads["b1"] = x.T @ gh, gh.sum(0)
    return {k: p[k] - lr * (grads[k] + 2 * wd * p[k]) for k in p}


@pytest.mark.parametrize("kind", nn.MODELS)
def test_one_step_sheet_equals_an_independent_numpy_step(built, evaluated, kind):
    info = built[1]
    run = info["runs"][kind]
    d = nn.load_digits()
    expected = independent_step(kind, run.start, d.pixels[run.first_batch], d.labels[run.first_batch],
                                run.hyper["lr"], run.hyper["wd"])
    for k, ref in info["steps"][kind]["cells"].items():
        got = values_of(evaluated, f"{kind}_step", ref).reshape(expected[k].shape)
        assert np.allclose(got, expected[k], rtol=1e-12, atol=1e-15), k
        # ... and the trainer's own first step
        assert np.allclose(got, run.first_step["new"][k], rtol=1e-12, atol=1e-15), k
    after = info["steps"][kind]["after"]
    assert after["loss"] < info["steps"][kind]["step"]["loss"]     # the step lowered the batch's loss


# ---------------------------------------------------------------- the workbook as a whole

def test_every_formula_matches_its_cached_value(built, capsys):
    from sheetsgd.cli import main
    with pytest.raises(SystemExit) as e:
        main(["check", str(built[0])])
    assert e.value.code == 0, capsys.readouterr().out


def test_no_uncheckable_cells_and_portable_functions(book, evaluated):
    from sheetsgd.lint import lint_book
    assert evaluated.uncheckable == {}
    assert lint_book(book) == []
    assert len(evaluated.values) > 50_000


def test_committed_workbook_is_a_fresh_default_build(built):
    assert COMMITTED.exists(), "run `sheetsgd build --only neuralnet` and commit workbooks/neuralnet.xlsx"
    assert COMMITTED.read_bytes() == built[0].read_bytes(), \
        "workbooks/neuralnet.xlsx is stale: rebuild with `sheetsgd build --only neuralnet`"
    assert built[0].stat().st_size < 5_000_000


def test_sheets_frozen_headers_and_lookups(built, book):
    names = ["about", "softmax", "cross_entropy", "digits", "logistic_step", "logistic_valid", "net_step", "net_valid",
             "net_adam", "fine_tune", "universal"]
    assert list(book.sheets) == names
    with zipfile.ZipFile(built[0]) as z:      # XlsxWriter writes sheet i as sheet{i}.xml
        for i, name in enumerate(names[1:], start=2):
            assert b'state="frozen"' in z.read(f"xl/worksheets/sheet{i}.xml"), name
    formulas = {name: [c.formula for c in sh.cells.values() if c.formula] for name, sh in book.sheets.items()}
    # the cross-entropy of the correct class picked by its index: MATCH then INDEX, never OFFSET
    assert any(f.lstrip("=").startswith("-INDEX(") for f in formulas["cross_entropy"])
    assert any("MATCH(" in f for f in formulas["cross_entropy"])
    assert not any("OFFSET" in f.upper() for fs in formulas.values() for f in fs)
    # argmax by MATCH(MAX(row), row, 0) on the valid sheets
    assert sum("MATCH(MAX(" in f for f in formulas["net_valid"]) == 300


# ---------------------------------------------------------------- the lecture's own numbers

def _reference_values(reference):
    path = reference("entropy_example.xlsx")
    wb = openpyxl.load_workbook(path, data_only=True)
    return wb


@pytest.mark.shared
def test_softmax_and_cross_entropy_match_the_lecture(reference, tmp_path):
    """Our sheets fed the lecture's activations and predictions reproduce its cached values."""
    ref = _reference_values(reference)
    sm = ref["softmax"]
    acts = np.array([[sm.cell(r, c).value for r in range(3, 8)] for c in (2, 7)])   # its two images
    exp = np.array([[sm.cell(r, c).value for r in range(3, 8)] for c in (3, 8)])
    soft = np.array([[sm.cell(r, c).value for r in range(3, 8)] for c in (4, 9)])
    binary = np.array([[sm.cell(r, 11 + k).value for r in range(3, 8)] for k in (0, 1)])
    ent = ref["entropy"]
    is_cat = [ent.cell(r, 2).value for r in range(2, 7)]
    preds = [ent.cell(r, 3).value for r in range(2, 7)]
    log10_loss = np.array([ent.cell(r, 4).value for r in range(2, 7)])
    nll = np.array([ref["log_entropy"].cell(r, 7).value for r in range(2, 7)])

    path = tmp_path / "lecture.xlsx"
    ex = sheet.example_activations()
    with Workbook(path) as wb:
        softmax.softmax_sheet(wb, acts)
        ce_cells = softmax.cross_entropy_sheet(wb, ex["ce"], ex["targets"], is_cat, preds)
    values = evaluate_book(read_book(path)).values
    first = softmax.SM_FIRST + 1
    for k in range(2):
        col = lambda j: openpyxl.utils.get_column_letter(2 + 5 * k + j)
        got_exp = [values[("softmax", f"{col(1)}{first + i}")] for i in range(5)]
        got_soft = [values[("softmax", f"{col(2)}{first + i}")] for i in range(5)]
        got_bin = [values[("softmax", f"{col(3)}{first + i}")] for i in range(5)]
        assert np.allclose(got_exp, exp[k], rtol=1e-14, atol=0)
        assert np.allclose(got_soft, soft[k], rtol=1e-14, atol=0)
        assert np.allclose(got_bin, binary[k], rtol=1e-14, atol=0)
    # the binary losses, in nats; the lecture's are in log10 units: ours = theirs * ln(10)
    ours = [values[("cross_entropy", c)] for c in ce_cells["binary_loss"]]
    assert np.allclose(ours, log10_loss * math.log(10), rtol=1e-14, atol=0)
    assert np.allclose(ours, nll * math.log(10), rtol=1e-14, atol=0)


# ---------------------------------------------------------------- LibreOffice

@pytest.mark.libreoffice
def test_libreoffice_agrees_with_every_cell(built, evaluated, soffice, capsys):
    """LibreOffice recalculates every formula (one run); each agrees with our evaluator and so with the models."""
    import time
    start = time.perf_counter()
    theirs = lo.libreoffice_values(built[0])
    seconds = time.perf_counter() - start
    ours = evaluated.values
    assert set(theirs) == set(ours)
    worst = max(lo.difference(ours[k], theirs[k]) for k in ours)
    bad = [(k, ours[k], theirs[k]) for k in ours if not lo.agree(ours[k], theirs[k])]
    with capsys.disabled():
        print(f"\n[libreoffice] neuralnet.xlsx: {len(ours) - len(bad)}/{len(ours)} formula cells agree, "
              f"max relative difference {worst:.2g} (absolute floor {lo.ABSOLUTE:g}), LibreOffice {seconds:.1f} s")
    assert not bad, bad[:5]
    assert len(ours) > 50_000
