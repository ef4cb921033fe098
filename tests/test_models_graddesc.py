"""models/graddesc.py against numbers from outside: the lecture's own cached values.

The original graddesc.xlsm holds, on each optimizer sheet, one epoch computed by Excel from a
start state it also stores (a and b in C1:C2, the running averages in row 3 = row 33's values,
lr in F1 or D2, the betas in J1/L1). We start our models from exactly that state, on the sheet's
own x and y (A4:B32), and compare every per-row value Excel cached. The workbook is read at
test time and never copied into the repo.
"""
import math

import numpy as np
import openpyxl
import pytest

from sheetsgd.models import graddesc as gd

REL = 1e-12


def close(ours, excel, rel=REL):
    return abs(ours - excel) <= rel * max(abs(excel), 1e-300)


@pytest.fixture(scope="module")
def original(reference):
    path = reference("graddesc.xlsm")
    return (openpyxl.load_workbook(path, data_only=True, keep_vba=False),
            openpyxl.load_workbook(path, data_only=False, keep_vba=False))


def sheet_data(ws):
    x = np.array([ws.cell(r, 1).value for r in range(4, 33)], dtype=float)
    y = np.array([ws.cell(r, 2).value for r in range(4, 33)], dtype=float)
    return x, y


def assert_rows(run, ws, columns):
    """columns: {our key: Excel column letter}; rows 4..32 of the original vs our first epoch."""
    n = 0
    for key, col in columns.items():
        for i in range(29):
            excel = ws[f"{col}{4 + i}"].value
            ours = run.rows[key][i]
            assert close(ours, excel), f"{ws.title}!{col}{4 + i} ({key}): ours {ours!r}, Excel {excel!r}"
            n += 1
    return n


def test_basic_first_epoch_reproduces_the_lecture(original):
    values, formulas = original
    ws = values["basic"]
    assert formulas["basic"]["K4"].value == "=2*(E4-B4)"      # the sheet is the one we think it is
    x, y = sheet_data(ws)
    start = {"b": ws["C1"].value, "a": ws["C2"].value}
    run = gd.run("basic", x, y, 1, {"lr": ws["F1"].value, "bump": 0.01}, start)
    n = assert_rows(run, ws, {"b": "C", "a": "D", "pred": "E", "err2": "F", "errb1": "G", "est_dedb": "H",
                              "erra1": "I", "est_deda": "J", "dedb": "K", "deda": "L", "new_a": "M",
                              "new_b": "N"})
    assert n == 12 * 29
    # The original's "rmse" cell is SQRT(SUM(err^2)), and its log's last entry is that epoch's.
    assert close(math.sqrt(sum(run.rows["err2"])), ws["F33"].value)
    assert close(ws["F33"].value, ws["C42"].value)
    # ... and ours is the same sum over the rows' mean: RMSE = SQRT(SUM)/sqrt(29).
    assert close(run.epochs["rmse"][0], ws["F33"].value / math.sqrt(29))


def test_momentum_first_epoch_reproduces_the_lecture(original):
    ws = original[0]["momentum"]
    x, y = sheet_data(ws)
    start = {"b": ws["C1"].value, "a": ws["C2"].value, "m_b": ws["J3"].value, "m_a": ws["K3"].value}
    run = gd.run("momentum", x, y, 1, {"lr": ws["D2"].value, "beta": ws["J1"].value}, start)
    assert_rows(run, ws, {"b": "C", "a": "D", "pred": "E", "dedb": "F", "deda": "G", "new_b": "H",
                          "new_a": "I", "m_b": "J", "m_a": "K", "err2": "L"})
    assert close(math.sqrt(sum(run.rows["err2"])), ws["L33"].value)


def test_rmsprop_first_epoch_reproduces_the_lecture(original):
    ws = original[0]["rmsprop"]
    x, y = sheet_data(ws)
    start = {"b": ws["C1"].value, "a": ws["C2"].value, "v_b": ws["J3"].value, "v_a": ws["K3"].value}
    run = gd.run("rmsprop", x, y, 1, {"lr": ws["D2"].value, "beta": ws["J1"].value}, start)
    assert_rows(run, ws, {"b": "C", "a": "D", "pred": "E", "dedb": "F", "deda": "G", "new_b": "H",
                          "new_a": "I", "v_b": "J", "v_a": "K"})


@pytest.mark.parametrize("sheet", ["adam", "adam_ann"])
def test_adam_first_epoch_reproduces_the_lecture(original, sheet):
    ws = original[0][sheet]
    x, y = sheet_data(ws)
    start = {"b": ws["C1"].value, "a": ws["C2"].value, "m_b": ws["J3"].value, "m_a": ws["K3"].value,
             "v_b": ws["L3"].value, "v_a": ws["M3"].value}
    hyper = {"lr": ws["D2"].value, "beta1": ws["J1"].value, "beta2": ws["L1"].value}
    run = gd.run(sheet, x, y, 1, hyper, start)
    assert_rows(run, ws, {"b": "C", "a": "D", "pred": "E", "dedb": "F", "deda": "G", "new_b": "H",
                          "new_a": "I", "m_b": "J", "m_a": "K", "v_b": "L", "v_a": "M"})


def test_adam_ann_gradient_ratio_is_the_macros(original):
    """N33 avg_grad2 = SQRT(L33)+SQRT(M33) (the averages the macro copied at the epoch's end),
    N3 prev_grad2 = the best so far, N34 gradrat = their ratio: our grad_norm and anneal agree."""
    ws = original[0]["adam_ann"]
    norm = gd.grad_norm(ws["L33"].value, ws["M33"].value)
    assert close(norm, ws["N33"].value)
    lr = ws["D2"].value
    ratio, next_lr, best = gd.anneal(lr, norm, ws["N3"].value)
    assert close(ratio, ws["N34"].value)
    assert next_lr == lr                      # 1.25 < 2: the macro would not anneal
    assert best == ws["N3"].value             # and would keep prev_grad2 (norm is larger)
    assert gd.anneal(lr, 3 * best, best)[1] == lr / 4
    # The file's lr is what four annealings of the reset's lr 1 leave: 1/4^4.
    assert lr == 1 / 4 ** 4


def test_adam_ann_converges_where_the_original_was_going(original):
    """The original's adam_ann had reached b = 29.991, a = 2.004 after its macro runs; ours, from
    the reset's start (a = b = 1, lr 1), lands at least as close after the default epochs."""
    ws = original[0]["adam_ann"]
    b_orig, a_orig = ws["C1"].value, ws["C2"].value
    assert abs(b_orig - 29.991) < 1e-3 and abs(a_orig - 2.004) < 1e-3
    x = gd.data_x(29, 42)
    run = gd.run("adam_ann", x, gd.data_y(x), 100)
    assert abs(run.epochs["a"][-1] - 2) < abs(a_orig - 2)
    assert abs(run.epochs["b"][-1] - 30) < abs(b_orig - 30)


# -- properties of the models that need no reference --------------------------------------------

@pytest.fixture(scope="module")
def default_runs():
    x = gd.data_x(29, 42)
    return gd.run_all(x, gd.data_y(x), 100)


def test_finite_differences_are_high_by_exactly_h_and_h_x2(default_runs):
    """e = r^2 with r = ax+b-y. Forward difference in b: ((r+h)^2 - r^2)/h = 2r + h = de/db + h.
    In a, r moves by h*x: ((r+hx)^2 - r^2)/h = 2rx + h*x^2 = de/da + h*x^2. So the lecture's
    estimates are high by exactly h = 0.01 and h*x^2 (up to 100 for x = 100), up to rounding.

    The rounding bound: each residual r, r1 is computed from terms of total size
    S = |b| + |a x| + |y| (+ the bumped term), so it is off by at most ~3*eps*S; squaring turns
    that into 2|r|*3*eps*S, the squares themselves round by eps*e, and the difference is then
    divided by h. So |est - (g + gap)| <= (2(|r| + |r1|) * 3*eps*S + eps*(e + e1)) / h
    (+ eps*|est| for the last subtraction and division)."""
    r = default_runs["basic"].rows
    h, eps = gd.BUMP, np.finfo(float).eps
    x, a, b, y = r["x"], r["a"], r["b"], r["y"]
    res = np.abs(r["dedb"]) / 2
    gap_b, gap_a = gd.forward_difference_bias(x, h)

    s_b = np.abs(b) + h + np.abs(a * x) + np.abs(y) + np.abs(b + a * x)
    bound_b = (2 * (res + np.abs(res + h)) * 3 * eps * s_b + eps * (r["err2"] + r["errb1"])) / h \
        + eps * np.abs(r["est_dedb"])
    s_a = np.abs(b) + np.abs((a + h) * x) + np.abs(a * x) + np.abs(y) + np.abs(b + a * x)
    bound_a = (2 * (res + np.abs(res + h * x)) * 3 * eps * s_a + eps * (r["err2"] + r["erra1"])) / h \
        + eps * np.abs(r["est_deda"]) + eps * np.abs(r["deda"])
    err_b = np.abs(r["est_dedb"] - (r["dedb"] + gap_b))
    err_a = np.abs(r["est_deda"] - (r["deda"] + gap_a))
    assert np.all(err_b <= bound_b), (err_b / bound_b).max()
    assert np.all(err_a <= bound_a), (err_a / bound_a).max()
    # The bound is small next to the gap itself: the gap is the bump, not rounding.
    assert np.all(bound_b < h / 100) and np.all(bound_a < h * x ** 2 / 100)


def test_default_epochs_land_adam_ann_on_the_answer_and_adam_close(default_runs):
    e = default_runs["adam_ann"].epochs                 # at the stable lrs of issue 18 (0.03, adam 0.025)
    assert abs(e["a"][-1] - 2) < 0.01 and abs(e["b"][-1] - 30) < 0.1
    e = default_runs["adam"].epochs
    assert abs(e["a"][-1] - 2) < 0.05 and abs(e["b"][-1] - 30) < 0.5
    # annealing is why adam_ann gets much closer than adam at a fixed lr
    assert default_runs["adam_ann"].epochs["rmse"][-1] < default_runs["adam"].epochs["rmse"][-1] / 100
    # every optimizer makes progress; none diverges at the defaults
    for name, run in default_runs.items():
        assert run.diverged_at is None
        assert run.epochs["rmse"][-1] < run.epochs["rmse"][0], name


def test_adam_at_the_lectures_lr_circles_instead_of_converging():
    """Why the adam sheet's lr is not the lecture's 1 (the sheet says so)."""
    x = gd.data_x(29, 42)
    run = gd.run("adam", x, gd.data_y(x), 100, {"lr": gd.LECTURE_LR["adam"]})
    assert run.epochs["rmse"][-1] > 10
    assert abs(run.epochs["a"][-1] - 2) > 0.1


def test_overflow_is_num_and_propagates():
    """lr 10 on plain SGD overflows: Excel shows #NUM!, and every cell computed from it too."""
    x = gd.data_x(29, 42)
    run = gd.run("basic", x, gd.data_y(x), 4, {"lr": 10})
    assert run.diverged_at == 2
    first_bad = int(np.flatnonzero(np.isnan(run.rows["new_a"]))[0])
    for key in ("new_a", "new_b", "pred", "err2", "dedb", "deda"):
        assert np.all(np.isnan(run.rows[key][first_bad + 1:])), key
    assert np.all(np.isfinite(run.rows["x"]))
    assert np.isnan(run.epochs["rmse"][1:]).all()


def test_adam_never_overflows_its_step_is_bounded_by_lr():
    x = gd.data_x(29, 42)
    run = gd.run("adam", x, gd.data_y(x), 20, {"lr": 10})
    assert run.diverged_at is None
    assert run.epochs["rmse"][-1] > 50          # but it is nowhere near the answer
    steps = np.abs(np.diff(np.concatenate([[1.0], run.rows["new_a"]])))
    assert steps.max() < 10 * 4                 # |m|/sqrt(v) <= (1-b1)/sqrt(1-b2) * sum b1^k... ~ a few


def test_excel_error_rules():
    nan = gd.NUM
    assert gd.gt(nan, 2) is None and gd.gt(3.0, 2) is True
    assert math.isnan(gd.excel_if(None, 1.0, 2.0))
    assert math.isnan(gd.excel_min(1.0, nan)) and gd.excel_min(3.0, 1.0) == 1.0
    assert math.isnan(gd.sqrt(-1.0)) and math.isnan(gd.sqrt(nan))
    assert math.isnan(gd.sq(1e200))
    assert math.isnan(gd.cell(float("inf")))
    ratio, lr, best = gd.anneal(1.0, nan, 5.0)
    assert math.isnan(ratio) and math.isnan(lr) and math.isnan(best)


def test_data_is_seeded_integers_from_1_to_100():
    x = gd.data_x(1000, 7)
    assert np.array_equal(x, gd.data_x(1000, 7))
    assert not np.array_equal(x, gd.data_x(1000, 8))
    assert x.min() >= 1 and x.max() <= 100 and np.all(x == np.round(x))
    assert np.array_equal(gd.data_y(np.array([1.0, 50.0])), [32.0, 130.0])
