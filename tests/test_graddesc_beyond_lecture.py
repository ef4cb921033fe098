"""graddesc.xlsx's later sheets (issue 8): ewma, sgd_torch, adam_torch, one_cycle, lr_find,
discriminative_lr. The formulas, the evaluator and models/optim_more agree; and the numbers agree
with figures from outside the code: PyTorch's own optimizers, fastai v1's schedule code as it was
written, the lecture's mom_bias.xlsx, and LibreOffice's recalculation."""
import math
import zipfile
from pathlib import Path

import numpy as np
import pytest

from sheetsgd.check import check_workbook
from sheetsgd.formula import evaluate_book, functions_used
from sheetsgd.formula.reader import read_book
from sheetsgd.formula.refs import cell_name, parse_cell
from sheetsgd.formula.values import NA, NUM
from sheetsgd.lint import PORTABLE, lint_formula
from sheetsgd.models import graddesc as gd
from sheetsgd.models import optim_more as om
from sheetsgd.sheets import graddesc as sg
from sheetsgd.sheets import lr_find, pytorch, steps

REPO = Path(__file__).resolve().parent.parent
COMMITTED = REPO / "workbooks" / "graddesc.xlsx"
HEADER_ROW = steps.HEADER + 1           # 1-based row of the tables' headers
FIRST_ROW = steps.FIRST + 1             # 1-based row of the first step
STEPS = sg.ROWS * sg.EPOCHS          # rows of the default step sheets


@pytest.fixture(scope="module")
def committed_book():
    assert COMMITTED.exists(), "run `sheetsgd build --only graddesc`"
    return read_book(COMMITTED)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A small build (every sheet, few steps): quick to evaluate after an edit, and to recalculate."""
    path = tmp_path_factory.mktemp("more") / "graddesc.xlsx"
    sg.build(path, epochs=3, rows=8, seed=5)
    return path


def column(sheet, header, n, which=0):
    """The cached values of the table column headed `header` (the `which`-th such), n rows down."""
    cols = sorted(c for (r, c), cell in sheet.cells.items() if r == HEADER_ROW and cell.value == header)
    c = cols[which]
    return [sheet.cells[(FIRST_ROW + i, c)].value for i in range(n)]


def data(n=sg.ROWS, seed=42):
    x = gd.data_x(n, seed)
    return x, gd.data_y(x)


# -- three views agree ------------------------------------------------------------------------------

def test_committed_workbook_checks_every_cell_of_the_new_sheets():
    """`sheetsgd check` on the committed (default) workbook: every formula cell of these sheets is
    computed by the evaluator and equals the models' cached value to 1e-12."""
    report = check_workbook(COMMITTED, show=None)
    sheets = {s.name: s for s in report.sheets}
    assert set(sg.BEYOND_LECTURE) <= set(sheets)
    for name in sg.BEYOND_LECTURE:
        s = sheets[name]
        assert s.formulas > 0 and not s.uncheckable and s.no_cached == 0, name
        assert s.matched == s.formulas, (name, [(m.cell, m.cached, m.computed) for m in s.mismatches[:3]])
    assert report.ok


@pytest.mark.parametrize("opts", [dict(epochs=1, rows=2, seed=123), dict(epochs=5, rows=17, seed=0)])
def test_other_sizes_check(tmp_path, opts):
    path = tmp_path / "g.xlsx"
    sg.build(path, **opts)
    report = check_workbook(path, show=None)
    for s in report.sheets:
        assert not s.uncheckable and s.no_cached == 0 and s.matched == s.formulas, s.name
    # the step sheets hold epochs x rows steps, and the one_cycle schedule spans them
    book = read_book(path)
    n = opts["epochs"] * opts["rows"]
    t = column(book.sheets["one_cycle"], "t", n)
    assert t == [float(i) for i in range(1, n + 1)]


def test_formulas_are_portable_and_not_volatile(small):
    book = read_book(small)
    used, warnings = set(), []
    for name in sg.BEYOND_LECTURE:
        for cell in book.sheets[name].cells.values():
            if cell.formula:
                used |= set(functions_used(cell.formula))
                warnings += lint_formula(book, name, cell.formula)
    assert used <= PORTABLE - {"RAND", "RANDBETWEEN", "NOW", "TODAY", "OFFSET", "INDIRECT"}, used
    assert {"COS", "PI", "SUMPRODUCT", "NA"} <= used
    assert warnings == []


def test_inputs_are_named(committed_book):
    want = {"ewma": {"BETA", "AVG0"}, "sgd_torch": {"LR", "MOMENTUM"},
            "adam_torch": {"LR", "BETA1", "BETA2", "EPS"},
            "one_cycle": {"LR_MAX", "PCT", "N_STEPS", "STEP_T", "WARMUP", "DIV", "FINAL_DIV"},
            "lr_find": {"START_LR", "END_LR", "NUM_IT", "BETA", "STOP_AT"},
            "discriminative_lr": {"N_GROUPS", "LR_START", "LR_STOP", "OTHER_DIV"}}
    for name, names in want.items():
        assert names <= set(committed_book.sheets[name].names), name


# -- PyTorch: the same per-row updates through torch.optim ------------------------------------------
#
# Two comparisons. Free-running: torch.optim from a = b = 1 on the same rows, compared with the sheet
# step by step. Row by row: before each step torch is given the sheet's weights and state (buf, or
# m, v and the step count) of the row above, takes one step, and must land on the sheet's row.
# The second covers every row; the first holds to 1e-12 only while the steps are large: PyTorch's
# CPU kernels fuse multiply-adds (its lerp for m is one rounding where the sheet's formula has two),
# and once Adam is near the answer its step m/sqrt(v) is the same size for a residual of 1e-6 as of
# 1, so a 1-ulp difference in a or b moves the residual, the step, and the next a and b by ~1e-9.

def torch_optimizer(torch, name, params):
    h = om.DEFAULTS[name]
    if name == "sgd_torch":
        return torch.optim.SGD(params, lr=h["lr"], momentum=h["momentum"], foreach=False)
    if name == "adam_torch":
        return torch.optim.Adam(params, lr=h["lr"], betas=(h["beta1"], h["beta2"]), eps=h["eps"], foreach=False)
    return torch.optim.Adam(params, lr=h["lr_max"], betas=(h["mom_max"], h["beta2"]), eps=h["eps"], foreach=False)


def torch_steps(name, x, y, steps, sheet_state=None):
    """b and a after each of `steps` steps of torch.optim (float64) on the per-row problem.

    sheet_state(n) -> {"b", "a", state...} of the sheet's row above step n+1 (None: run free from
    a = b = 1). one_cycle's lr and beta1 are set before each step from fastai v1's schedule."""
    torch = pytest.importorskip("torch")
    b = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    a = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    opt = torch_optimizer(torch, name, [b, a])
    schedule = fastai_v1_one_cycle(STEPS, om.DEFAULTS["one_cycle"]) if name == "one_cycle" else None
    xs, ys = x.tolist(), y.tolist()
    out = {"b": [], "a": []}
    for n in range(steps):
        if sheet_state is not None and n > 0:     # the sheet's row above: weights, and the optimizer's state
            st = sheet_state(n)
            with torch.no_grad():
                b.fill_(st["b"])
                a.fill_(st["a"])
            for p, w in ((b, "b"), (a, "a")):
                state = opt.state[p]
                if name == "sgd_torch":
                    state["momentum_buffer"].fill_(st["buf_" + w])
                else:
                    state["step"].fill_(float(n))
                    state["exp_avg"].fill_(st["m_" + w])
                    state["exp_avg_sq"].fill_(st["v_" + w])
        if schedule is not None:
            lr, beta1 = schedule[n]
            for group in opt.param_groups:
                group["lr"], group["betas"] = lr, (beta1, group["betas"][1])
        xi, yi = xs[n % len(xs)], ys[n % len(ys)]
        opt.zero_grad()
        loss = (a * xi + b - yi) ** 2
        loss.backward()
        opt.step()
        out["b"].append(b.item())
        out["a"].append(a.item())
    return {k: np.array(v) for k, v in out.items()}


def max_rel(ours, theirs):
    ours, theirs = np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float)
    return float(np.max(np.abs(ours - theirs) / np.maximum(np.abs(ours), np.abs(theirs))))


STATE_HEADERS = {"b": "b", "a": "a", "buf_b": "buf de/db", "buf_a": "buf de/da", "m_b": "avg de/db",
                 "m_a": "avg de/da", "v_b": "avg de/db^2", "v_a": "avg de/da^2"}


def sheet_columns(book, name):
    sheet = book.sheets[name]
    heads = {c.value for (r, _), c in sheet.cells.items() if r == HEADER_ROW}
    cols = {k: column(sheet, h, STEPS) for k, h in STATE_HEADERS.items() if h in heads}
    cols["new_b"], cols["new_a"] = column(sheet, "new b", STEPS), column(sheet, "new a", STEPS)
    return cols


@pytest.mark.parametrize("name", ["sgd_torch", "adam_torch", "one_cycle"])
def test_every_row_is_torchs_step_from_the_row_above(committed_book, name):
    x, y = data()
    cols = sheet_columns(committed_book, name)
    state = {k: v for k, v in cols.items() if k not in ("b", "a", "new_b", "new_a")}

    def sheet_state(n):     # the state after step n = the sheet's row n (0-based n-1); weights = new b, new a
        return dict({k: v[n - 1] for k, v in state.items()}, b=cols["new_b"][n - 1], a=cols["new_a"][n - 1])
    got = torch_steps(name, x, y, STEPS, sheet_state)
    assert max_rel(cols["new_b"], got["b"]) < 1e-12
    assert max_rel(cols["new_a"], got["a"]) < 1e-12


@pytest.mark.parametrize("name,steps", [("sgd_torch", STEPS), ("adam_torch", 10 * sg.ROWS),
                                        ("one_cycle", 10 * sg.ROWS)])
def test_free_running_torch_follows_the_sheet(committed_book, name, steps):
    """sgd_torch's ops are PyTorch's exactly: all 2900 steps agree. Adam agrees while its steps
    are large (the first 10 epochs here); see the note above for why not to the end."""
    x, y = data()
    cols = sheet_columns(committed_book, name)
    got = torch_steps(name, x, y, steps)
    assert max_rel(cols["new_b"][:steps], got["b"]) < 1e-12
    assert max_rel(cols["new_a"][:steps], got["a"]) < 1e-12


def test_adam_torch_and_one_cycle_land(committed_book):
    for name, tol in (("adam_torch", 1e-2), ("one_cycle", 1e-4)):   # at lr 0.1 and lr_max 0.07 (issue 18)
        cols = sheet_columns(committed_book, name)
        assert abs(cols["new_a"][-1] - 2) < tol and abs(cols["new_b"][-1] - 30) < tol, name


def test_sgd_torch_takes_the_momentum_sheets_steps(committed_book):
    """PyTorch's buf = m/(1-beta): at lr*(1-beta) it takes the lecture's momentum steps."""
    ours = column(committed_book.sheets["sgd_torch"], "new b", STEPS)
    lecture = column(committed_book.sheets["momentum"], "new b", STEPS)
    assert max_rel(ours, lecture) < 1e-12
    rmse = column(committed_book.sheets["sgd_torch"], "RMSE", sg.EPOCHS)
    beside = column(committed_book.sheets["sgd_torch"], "momentum RMSE", sg.EPOCHS)
    assert max_rel(rmse, beside) < 1e-12


# -- one_cycle's schedule against fastai v1's code ----------------------------------------------------

def fastai_v1_one_cycle(n, h):
    """(lr, mom) of each of n iterations, the way fastai v1's OneCycleScheduler produced them: the
    first from on_train_begin (the schedules' start), then Scheduler.step() after every batch,
    n/n_iter with annealing_cos(start, end, pct) = end + (start-end)/2*(cos(pi*pct)+1)."""
    def annealing_cos(start, end, pct):
        return end + (start - end) / 2 * (np.cos(np.pi * pct) + 1)

    a1 = int(n * h["pct"])
    a2 = n - a1
    lr_max = h["lr_max"]
    phases = [((lr_max / h["div"], lr_max), (h["mom_max"], h["mom_min"]), a1),
              ((lr_max, lr_max / h["final_div"]), (h["mom_min"], h["mom_max"]), a2)]
    out = [(phases[0][0][0], phases[0][1][0])]
    for lrs, moms, n_iter in phases:
        for k in range(1, n_iter + 1):
            out.append((annealing_cos(*lrs, k / n_iter), annealing_cos(*moms, k / n_iter)))
    return out[:n]


def test_one_cycle_schedule_is_fastais(committed_book):
    h = om.DEFAULTS["one_cycle"]
    want = np.array(fastai_v1_one_cycle(STEPS, h))
    sheet = committed_book.sheets["one_cycle"]
    lr, beta1 = column(sheet, "lr", STEPS), column(sheet, "beta1", STEPS)
    assert max_rel(lr, want[:, 0]) < 1e-12
    assert max_rel(beta1, want[:, 1]) < 1e-12
    a1 = int(STEPS * 0.3)
    assert lr[0] == pytest.approx(h["lr_max"] / 25, rel=1e-15) and beta1[0] == 0.95    # start: lr_max/25
    assert lr[a1] == h["lr_max"] and beta1[a1] == pytest.approx(0.85, rel=1e-15)        # peak at 30%
    assert max(lr) == lr[a1] and min(beta1) == beta1[a1]
    # the calculator: start, peak, and the lr after the last step, lr_max/25e4
    cells = {c.value: (r, c_) for (r, c_), c in sheet.cells.items() if isinstance(c.value, str)}
    r = cells["after the last"][0]
    t_col = cells["at step t"][1] + 1
    assert sheet.cells[(r, t_col)].value == STEPS + 1
    assert sheet.cells[(r, t_col + 1)].value == pytest.approx(h["lr_max"] / 25e4, rel=1e-12)
    assert sheet.cells[(r, t_col + 2)].value == pytest.approx(0.95, rel=1e-15)
    assert sheet.cells[(cells["peak"][0], t_col + 1)].value == h["lr_max"]


def test_one_cycle_settles_closer_than_a_constant_lr(committed_book):
    rmse = column(committed_book.sheets["one_cycle"], "RMSE", sg.EPOCHS)
    constant = column(committed_book.sheets["one_cycle"], "adam_torch RMSE", sg.EPOCHS)
    assert rmse[-1] < constant[-1] / 10 and rmse[-1] < 1e-4


# -- lr_find ----------------------------------------------------------------------------------------

def test_lr_find_stops_where_the_smoothed_loss_passes_4x_its_minimum(committed_book):
    sheet = committed_book.sheets["lr_find"]
    n = int(om.DEFAULTS["lr_find"]["num_it"])
    col = {k: column(sheet, k, n) for k in ("lr", "loss (all data)", "smoothed", "stopped?", "chart: smoothed")}
    # recomputed here from the definition: SGD per point, MSE over all points, EWMA 0.98 / (1-0.98^(i+1))
    x, y = data()
    b = a = 1.0
    avg, best, stop, lrs = 0.0, math.inf, None, []
    for i in range(n):
        lr = 1e-7 * (10 / 1e-7) ** (i / 100)
        lrs.append(lr)
        loss = float(np.mean((b + a * x - y) ** 2))
        avg = 0.98 * avg + 0.02 * loss
        smooth = avg / (1 - 0.98 ** (i + 1))
        best = min(best, smooth)
        assert col["loss (all data)"][i] == pytest.approx(loss, rel=1e-9)
        assert col["smoothed"][i] == pytest.approx(smooth, rel=1e-9)
        if smooth > 4 * best:
            stop = i
            break
        g = 2 * (a * x[i % len(x)] + b - y[i % len(y)])
        b, a = b - g * lr, a - g * x[i % len(x)] * lr
    assert stop is not None and 40 < stop < 60
    assert col["stopped?"][:stop] == [False] * stop and col["stopped?"][stop:] == [True] * (n - stop)
    assert col["smoothed"][stop + 1:] == [om.SKIPPED] * (n - stop - 1)        # rows after: marked
    assert col["chart: smoothed"][stop + 1:] == [NA] * (n - stop - 1)         # and not plotted
    np.testing.assert_allclose(col["lr"], 1e-7 * 1e8 ** (np.arange(n) / 100), rtol=1e-13)
    assert col["lr"][-1] == pytest.approx(1e-7 * 1e8 ** 0.99) and col["lr"][0] == 1e-7
    # the result cells: where it stopped and the lowest loss, as the models say
    res = om.lr_find_results(om.lr_find(x, y))
    labels = {c.value: (r, cc) for (r, cc), c in sheet.cells.items() if isinstance(c.value, str)}
    r, c = labels["stopped at i"]
    assert sheet.cells[(r, c + 1)].value == stop == res["last_i"]
    assert 1e-5 < res["lr_min_loss"] < 2e-4 < res["last_lr"] < 1e-3      # the lecture's 1e-4 is the edge


# -- ewma -------------------------------------------------------------------------------------------

def _set(book, sheet, ref, value):
    book.sheets[sheet].cells[parse_cell(ref)].value = float(value)


def ewma_columns(values, sheet="ewma"):
    rows = range(FIRST_ROW, FIRST_ROW + om.EWMA_POINTS)
    return {k: [values[(sheet, f"{c}{r}")] for r in rows] for k, c in (("avg", "C"), ("corrected", "E"))}


def test_ewma_bias_correction_makes_a_constant_series_constant(small):
    book = read_book(small)
    n = om.EWMA_POINTS
    for i in range(n):
        _set(book, "ewma", f"B{FIRST_ROW + i}", 7.25)
    got = ewma_columns(evaluate_book(book).values)
    np.testing.assert_allclose(got["corrected"], 7.25, rtol=1e-14)
    assert got["avg"][0] == pytest.approx(0.725) and got["avg"][9] < 7.25 * 0.66   # uncorrected: biased to 0
    out = om.ewma_series(np.full(n, 7.25), 0.9)
    np.testing.assert_allclose(out["corrected"], 7.25, rtol=1e-14)


def test_ewma_matches_the_lectures_mom_bias(reference, small):
    """mom_bias.xlsx's series 5, 1, ..., 1, 5 with beta 0.9: our sheet's corrected average equals the
    lecture's cached 'exp mov avg' column (F5:F12)."""
    import openpyxl
    ws = openpyxl.load_workbook(reference("mom_bias.xlsx"), data_only=True).worksheets[0]
    series = [ws[f"C{r}"].value for r in range(5, 13)]
    lecture = [ws[f"F{r}"].value for r in range(5, 13)]
    assert ws["E2"].value == 0.9 and series[0] == 5
    book = read_book(small)
    for i, v in enumerate(series):
        _set(book, "ewma", f"B{FIRST_ROW + i}", v)
    got = ewma_columns(evaluate_book(book).values)
    np.testing.assert_allclose(got["corrected"][:8], lecture, rtol=1e-14)
    np.testing.assert_allclose(om.ewma_series(series, 0.9)["corrected"], lecture, rtol=1e-14)


def test_ewma_beta_is_live(small):
    book = read_book(small)
    beta_ref = book.sheets["ewma"].names["BETA"].split("!")[-1].replace("$", "")
    _set(book, "ewma", beta_ref, 0.5)
    got = ewma_columns(evaluate_book(book).values)
    values = [book.sheets["ewma"].cells[(FIRST_ROW + i, 2)].value for i in range(om.EWMA_POINTS)]
    want = om.ewma_series(values, 0.5)
    np.testing.assert_allclose(got["avg"], want["avg"], rtol=1e-12)
    np.testing.assert_allclose(got["corrected"], want["corrected"], rtol=1e-12)


# -- discriminative_lr ------------------------------------------------------------------------------

def fastai_v1_lr_range(lr, n):
    """Learner.lr_range of fastai v1 at the lesson's time, with its even_mults."""
    if not isinstance(lr, slice):
        return [lr] * n
    if lr.start:
        step = (lr.stop / lr.start) ** (1 / (n - 1))
        return [lr.start * step ** i for i in range(n)]
    return [lr.stop / 3] * (n - 1) + [lr.stop]


@pytest.mark.parametrize("n", [3, 5, 2])
def test_discriminative_lr_is_fastais(small, n):
    book = read_book(small)
    sheet = book.sheets["discriminative_lr"]
    ref = sheet.names["N_GROUPS"].split("!")[-1].replace("$", "")
    _set(book, "discriminative_lr", ref, n)
    values = evaluate_book(book).values
    top = 12                               # the first group's row
    got = {c: [values[("discriminative_lr", f"{c}{top + i}")] for i in range(om.MAX_GROUPS)] for c in "BCD"}
    np.testing.assert_allclose(got["B"][:n], fastai_v1_lr_range(slice(1e-5, 1e-3), n), rtol=1e-12)
    np.testing.assert_allclose(got["C"][:n], fastai_v1_lr_range(slice(1e-3), n), rtol=1e-15)
    np.testing.assert_allclose(got["D"][:n], fastai_v1_lr_range(1e-3, n), rtol=1e-15)
    assert all(v == om.SKIPPED for c in "BCD" for v in got[c][n:])
    if n == 3:       # the default, as cached: 1e-5, 1e-4, 1e-3
        assert [sheet.cells[(top + i, 2)].value for i in range(3)] == pytest.approx([1e-5, 1e-4, 1e-3], rel=1e-12)


# -- charts and LibreOffice -------------------------------------------------------------------------

def test_charts_are_there_with_their_axes():
    """lr_find's chart has a log x axis (a learning rate is read off it); one_cycle has the schedule
    chart with beta1 on a second axis; ewma charts the series and both averages."""
    with zipfile.ZipFile(COMMITTED) as z:
        charts = {n: z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart")}
    by_title = {}
    for xml in charts.values():
        for title in ("lr_find: loss against", "fit_one_cycle: lr and beta1", "EWMA, beta 0.9"):
            if title in xml:
                by_title[title] = xml
    assert len(by_title) == 3
    assert by_title["lr_find: loss against"].count('<c:logBase val="10"/>') == 2     # x and y
    assert by_title["fit_one_cycle: lr and beta1"].count("<c:valAx>") == 4            # x, y and x2, y2
    assert by_title["EWMA, beta 0.9"].count("<c:ser>") == 3


@pytest.mark.libreoffice
def test_libreoffice_agrees(small, soffice):
    """LibreOffice recomputes every formula of a small build: it equals the evaluator and the models
    (the cached values), including lr_find's stop and #N/A chart gaps."""
    from sheetsgd import libreoffice
    theirs = libreoffice.libreoffice_values(small)
    book = read_book(small)
    cached = {(name, cell_name(r, c)): cell.value for name, sheet in book.sheets.items()
              for (r, c), cell in sheet.cells.items() if cell.formula and name in sg.BEYOND_LECTURE}
    assert set(cached) <= set(theirs)
    worst = max(libreoffice.difference(cached[k], theirs[k]) for k in cached)
    assert worst < 1e-14
    report = libreoffice.compare(small, theirs=theirs)
    assert report.ok, report.mismatches[:5]
    assert sum(v is NA for k, v in theirs.items() if k[0] == "lr_find") > 0


# -- too big a learning rate: #NUM!, in the evaluator and the models alike ----------------------------

def _name_ref(book, sheet, name):
    return book.sheets[sheet].names[name.upper()].split("!")[-1].replace("$", "")


def _as_model(v):
    """A cell value as the models hold it: #NUM! as NaN."""
    return math.nan if v is NUM else v


def test_sgd_torch_diverges_honestly(small):
    book = read_book(small)
    _set(book, "sgd_torch", _name_ref(book, "sgd_torch", "lr"), 1e5)
    values = evaluate_book(book).values
    x = gd.data_x(8, 5)
    run = om.run("sgd_torch", x, gd.data_y(x), 3, {"lr": 1e5})
    keys = [k for k, *_ in pytorch.SGD_TORCH]
    for k in ("new_b", "err2"):
        col = 4 + keys.index(k)             # 1-based, after epoch, step, t
        cells = [values[("sgd_torch", cell_name(FIRST_ROW + i, col))] for i in range(24)]
        np.testing.assert_allclose([_as_model(v) for v in cells], run.rows[k], rtol=1e-12)
    assert cells[-1] is NUM              # err^2 overflowed (lr 1e5: ~1e9 times per step), and the sheet says so


def test_lr_find_without_a_stop_overflows_to_num(small):
    book = read_book(small)
    _set(book, "lr_find", _name_ref(book, "lr_find", "stop_at"), 1e300)     # never stop
    _set(book, "lr_find", _name_ref(book, "lr_find", "end_lr"), 1e6)        # and grow lr fast
    _set(book, "lr_find", _name_ref(book, "lr_find", "num_it"), 20)
    values = evaluate_book(book).values
    x = gd.data_x(8, 5)
    found = om.lr_find(x, gd.data_y(x), rows=100, overrides={"stop_at": 1e300, "end_lr": 1e6, "num_it": 20})
    heads = ["i", "lr"] + [k for k, *_ in lr_find.LR_FIND]
    for k in ("loss", "smooth", "stop"):
        c = heads.index(k) + 1
        got = [values[("lr_find", cell_name(FIRST_ROW + i, c))] for i in range(100)]
        want = found[k]
        for g, w in zip(got, want):
            if isinstance(w, float) and math.isnan(w):
                assert g is NUM
            else:
                assert g == pytest.approx(w, rel=1e-12)
    loss = [values[("lr_find", cell_name(FIRST_ROW + i, heads.index("loss") + 1))] for i in range(100)]
    assert NUM in loss                   # the loss overflowed: #NUM!, as the models say
