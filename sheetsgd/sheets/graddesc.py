"""graddesc.xlsx: the lecture's gradient-descent workbook, every epoch laid out, no macros.

Sheets: about, data, basic, momentum, rmsprop, adam, adam_ann, compare.

Each optimizer sheet is one long table, one row per SGD step on one data point, epochs stacked
one under the other (an epoch column says which). A row takes a and b (and the running averages)
from the row above, so epoch e simply continues from epoch e-1's last row: what the original's
"run" macro did by copying values, here done by formulas that recompute when the student edits
lr, beta or the data. Beside it, an epoch table (RMSE, a, b, lr per epoch) and its chart.

Each column below is written as (key, header, formula, meaning): the key names the value the
NumPy twin in sheetsgd.models.graddesc computes (basic_row, momentum_row, ...), the formula is
the sheet's, with {key} for this row's cell of that column, {key^} for the row above's (the
start cells for the very first row), and {lr} for this epoch's learning rate.
"""
import math

import numpy as np

from .. import writer
from ..errors import SheetsgdError
from ..models import graddesc as gd
from ..writer import Workbook, a1, col_name

EPOCHS = 100          # enough for adam and adam_ann to land on a = 2, b = 30 and the others to show their pace
ROWS = 29             # the lecture's 29 data points
MAX_STEPS = 10_000    # rows x epochs per sheet; five such sheets make ~700k formula cells at most

# -- the columns of each optimizer sheet, beside their meaning; the NumPy twins are in models ----

BASIC = [
    ("x", "x", "=data!B{d}", "a data point"),
    ("y", "y", "=data!C{d}", "its target"),
    ("b", "intercept", "={new_b^}", "b where the last step left it"),
    ("a", "slope", "={new_a^}", "a where the last step left it"),
    ("pred", "y_pred", "={b}+{a}*{x}", "prediction b + a*x"),
    ("err2", "err^2", "=({y}-{pred})^2", "squared error e"),
    ("errb1", "errb1", "=((({b}+bump)+{x}*{a})-{y})^2", "e with b bumped by 0.01"),
    ("est_dedb", "est de/db", "=({errb1}-{err2})/bump", "finite-difference estimate of de/db"),
    ("erra1", "erra1", "=((({a}+bump)*{x}+{b})-{y})^2", "e with a bumped by 0.01"),
    ("est_deda", "est de/da", "=({erra1}-{err2})/bump", "finite-difference estimate of de/da"),
    ("dedb", "de/db", "=2*({pred}-{y})", "analytic de/db = 2(ax+b-y)"),
    ("deda", "de/da", "={dedb}*{x}", "analytic de/da = x*de/db"),
    ("new_a", "new a", "={a}-{deda}*{lr}", "step a against its gradient"),
    ("new_b", "new b", "={b}-{dedb}*{lr}", "step b against its gradient"),
]

_HEAD = [
    ("x", "x", "=data!B{d}", "a data point"),
    ("y", "y", "=data!C{d}", "its target"),
    ("b", "b", "={new_b^}", "b where the last step left it"),
    ("a", "a", "={new_a^}", "a where the last step left it"),
    ("pred", "pred", "={b}+{a}*{x}", "prediction b + a*x"),
    ("dedb", "de/db", "=2*({a}*{x}+{b}-{y})", "gradient 2(ax+b-y)"),
    ("deda", "de/da", "={dedb}*{x}", "gradient x*de/db"),
]
_ERR2 = ("err2", "err^2", "=({y}-{pred})^2", "squared error")

MOMENTUM = _HEAD + [
    ("new_b", "new b", "={b}-{m_b}*{lr}", "step with the average gradient"),
    ("new_a", "new a", "={a}-{m_a}*{lr}", "step with the average gradient"),
    ("m_b", "avg de/db", "={m_b^}*beta+(1-beta)*{dedb}", "EWMA of de/db (momentum)"),
    ("m_a", "avg de/da", "={m_a^}*beta+(1-beta)*{deda}", "EWMA of de/da (momentum)"),
    _ERR2,
]

RMSPROP = _HEAD + [
    ("new_b", "new b", "={b}-{dedb}*{lr}/SQRT({v_b^})", "step g*lr/RMS(g), RMS from the row above"),
    ("new_a", "new a", "={a}-{deda}*{lr}/SQRT({v_a^})", "step g*lr/RMS(g), RMS from the row above"),
    ("v_b", "avg de/db^2", "={v_b^}*beta+(1-beta)*{dedb}^2", "EWMA of (de/db)^2"),
    ("v_a", "avg de/da^2", "={v_a^}*beta+(1-beta)*{deda}^2", "EWMA of (de/da)^2"),
    _ERR2,
]

ADAM = _HEAD + [
    ("new_b", "new b", "={b}-{m_b}*{lr}/SQRT({v_b})", "step momentum*lr/RMS(g)"),
    ("new_a", "new a", "={a}-{m_a}*{lr}/SQRT({v_a})", "step momentum*lr/RMS(g)"),
    ("m_b", "avg de/db", "={m_b^}*beta1+(1-beta1)*{dedb}", "EWMA of de/db"),
    ("m_a", "avg de/da", "={m_a^}*beta1+(1-beta1)*{deda}", "EWMA of de/da"),
    ("v_b", "avg de/db^2", "={v_b^}*beta2+(1-beta2)*{dedb}^2", "EWMA of (de/db)^2"),
    ("v_a", "avg de/da^2", "={v_a^}*beta2+(1-beta2)*{deda}^2", "EWMA of (de/da)^2"),
    _ERR2,
]

COLUMNS = {"basic": BASIC, "momentum": MOMENTUM, "rmsprop": RMSPROP, "adam": ADAM, "adam_ann": ADAM}

# Which start cell a {key^} of the first row reads: the weights, and the averages' start values.
START_OF = {"new_b": "b", "new_a": "a", "m_b": "m", "m_a": "m", "v_b": "v", "v_a": "v"}

TITLES = {
    "basic": "basic SGD: one step per data point, against the gradient of that point's squared error",
    "momentum": "momentum: step with an exponentially weighted average of the gradients",
    "rmsprop": "RMSProp: divide each step by the root of an average of squared gradients",
    "adam": "Adam: momentum divided by the RMS of the gradients (RMSProp + momentum)",
    "adam_ann": "Adam with annealing: between epochs, lr / 4 when the gradient norm grows past 2x its best",
}

NOTES = {
    "basic": [
        "Columns as in the lecture: the finite differences (bump 0.01) estimate the gradients; the step uses the "
        "analytic ones. Estimates are high by exactly 0.01 (de/db) and 0.01*x^2 (de/da).",
        "lr 1e-4 is the lecture's and about the largest that works: above 1/x^2 = 1e-4 the slope overshoots "
        "on x near 100 (try 0.0002), or blows up (0.001: #NUM!). So b creeps: slow, but converging.",
    ],
    "momentum": [
        "Each step uses the average of recent gradients (beta 0.9) instead of this point's alone: "
        "noise cancels, steady directions add up.",
        "lr 1e-4 as in the lecture: the average (1-beta)*g + beta*avg is the size of g, so b moves about "
        "as fast as in basic SGD, but the steps are smoother (a lower RMSE).",
    ],
    "rmsprop": [
        "Each weight's step is divided by the root of its average squared gradient: a gets small steps "
        "(its gradients are ~x = 50x larger), b gets big ones.",
        "lr 0.02 as in the lecture. As in the lecture's sheet, a row divides by the average of the rows "
        "above (the adam sheets use their own row's).",
    ],
    "adam": [
        "Momentum's average gradient divided by RMSProp's RMS gradient (the lecture's form: no bias "
        "correction, no epsilon).",
        "lr 0.03, not the lecture's 1: with lr 1 Adam circles the answer at RMSE ~18 for ever (its step "
        "does not shrink as the gradient does); smaller lr circles closer, slower.",
    ],
    "adam_ann": [
        "Adam from lr 1 (the original's reset), and between epochs the original's macro: ratio = gradient "
        "norm (sqrt(avg de/db^2) + sqrt(avg de/da^2) at an epoch's end) / the best norm so far.",
        "When the ratio exceeds anneal_at (2) the next epoch's lr is lr / anneal_by (4): big steps "
        "while they help, small ones once they start bouncing.",
    ],
}

# The hyperparameter inputs of each sheet: (name, label); names are sheet-scoped, as in the original.
HYPER_LABELS = {
    "lr": "lr", "beta": "beta", "beta1": "beta1", "beta2": "beta2", "bump": "bump",
    "anneal_at": "anneal when ratio >", "anneal_by": "divide lr by",
}

FIRST = 7          # 0-based row of the first step (Excel row 8); the header is the row above
HEADER = FIRST - 1


def check_options(rows, epochs, seed, hyper=None, start=None):
    """Validate build options; every error is one line naming the bad value and what is accepted."""
    if not isinstance(rows, int) or rows < 2:
        raise SheetsgdError(f"rows {rows!r} is too few; at least 2 data points")
    if not isinstance(epochs, int) or epochs < 1:
        raise SheetsgdError(f"epochs {epochs!r} is not a positive whole number")
    if rows * epochs > MAX_STEPS:
        raise SheetsgdError(f"--rows {rows} x --epochs {epochs} = {rows * epochs} steps per sheet is too many "
                            f"for a workbook; keep rows x epochs <= {MAX_STEPS}")
    if not isinstance(seed, int) or seed < 0:
        raise SheetsgdError(f"seed {seed!r} is not a whole number >= 0")
    out = {}
    for name, h in (hyper or {}).items():
        if name not in gd.DEFAULTS:
            raise SheetsgdError(f"no sheet {name!r} takes hyperparameters; expected one of {', '.join(gd.OPTIMIZERS)}")
        for k, v in h.items():
            if k not in gd.DEFAULTS[name]:
                raise SheetsgdError(f"{name} has no hyperparameter {k!r}; expected {', '.join(gd.DEFAULTS[name])}")
            try:
                v = float(v)
            except (TypeError, ValueError):
                raise SheetsgdError(f"{name} {k} {v!r} is not a number") from None
            if not math.isfinite(v):
                raise SheetsgdError(f"{name} {k} {v!r} is not a finite number")
            if k in ("lr", "bump", "anneal_by") and v <= 0:
                raise SheetsgdError(f"{name} {k} {v:g} must be > 0")
            if k.startswith("beta") and not 0 <= v < 1:
                raise SheetsgdError(f"{name} {k} {v:g} must be in [0, 1)")
            out.setdefault(name, {})[k] = v
    st = dict(gd.START, **(start or {}))
    if not st["v"] > 0:
        raise SheetsgdError(f"start v {st['v']!r} must be > 0 (RMSProp divides by its root)")
    return out, st


def cli_options(rows=ROWS, seed=42, epochs=None, lr=()):
    """The CLI's options checked before anything is built -> keyword arguments of build()."""
    epochs = EPOCHS if epochs is None else epochs
    check_options(rows, epochs, seed, parse_lr(lr))
    return {"rows": rows, "seed": seed, "epochs": epochs, "lr": tuple(lr or ())}


def parse_lr(items):
    """["adam=10", "basic=0.0003"] (the CLI's --lr) -> {"adam": {"lr": 10.0}, ...}; one-line errors."""
    out = {}
    for item in items or ():
        name, sep, value = str(item).partition("=")
        if not sep:
            raise SheetsgdError(f"--lr {item!r} is not SHEET=LR; e.g. --lr adam=10 (sheets: {', '.join(gd.OPTIMIZERS)})")
        try:
            out[name.strip()] = {"lr": float(value)}
        except ValueError:
            raise SheetsgdError(f"--lr {item!r}: {value!r} is not a number") from None
        try:                                      # name the option and the item, then what is wrong
            check_options(ROWS, 1, 0, {name.strip(): out[name.strip()]})
        except SheetsgdError as e:
            raise SheetsgdError(f"--lr {item!r}: {e}") from None
    return out


# -- the sheets --------------------------------------------------------------------------------

def build(path, rows=ROWS, seed=42, epochs=EPOCHS, hyper=None, start=None, lr=None):
    """Write graddesc.xlsx; return a one-line summary (final RMSE per optimizer, any divergence).

    hyper: {"adam": {"lr": 10}, ...} overrides the defaults of models.graddesc.DEFAULTS;
    lr: the CLI's ["adam=10", ...] form of the same; start: {"a", "b", "m", "v"} start values.
    """
    hyper = dict(hyper or {})
    for name, h in parse_lr(lr).items():
        hyper.setdefault(name, {}).update(h)
    hyper, st = check_options(rows, epochs, seed, hyper, start)
    hypers = {name: {k: writer.stored(v) for k, v in dict(gd.DEFAULTS[name], **hyper.get(name, {})).items()}
              for name in gd.OPTIMIZERS}
    st = {k: writer.stored(v) for k, v in st.items()}
    x = writer.stored(gd.data_x(rows, seed))
    true_a, true_b = writer.stored(gd.TRUE_A), writer.stored(gd.TRUE_B)
    y = gd.data_y(x, true_a, true_b)
    runs = {name: gd.run(name, x, y, epochs, hypers[name], st) for name in gd.OPTIMIZERS}

    with Workbook(path, title="Gradient descent, lesson 5", subject="SGD, momentum, RMSProp, Adam on y = ax + b") as wb:
        about_sheet(wb, rows, epochs, seed)
        data_sheet(wb, x, y, true_a, true_b, seed)
        tables = {name: optimizer_sheet(wb, runs[name], epochs) for name in gd.OPTIMIZERS}
        compare_sheet(wb, runs, tables, epochs)
        from .graddesc_more import add_sheets   # PyTorch's and fastai's forms (issue 8), after compare
        add_sheets(wb, x, y, runs, tables, epochs, seed, st)
    return summary(runs, epochs)


def summary(runs, epochs):
    parts = [f"{epochs} epochs; RMSE " + ", ".join(f"{n} {fmt(r.epochs['rmse'][-1])}" for n, r in runs.items())]
    parts.append(", ".join(f"{n} a={fixed(runs[n].epochs['a'][-1])} b={fixed(runs[n].epochs['b'][-1])}"
                           for n in ("adam", "adam_ann")))
    for n, r in runs.items():
        if r.diverged_at is not None:
            parts.append(f"{n} diverged at epoch {r.diverged_at}")
    return "; ".join(parts)


def fmt(v, digits=4):
    return "#NUM!" if math.isnan(v) else f"{v:.{digits}g}"


def fixed(v, decimals=5):
    return "#NUM!" if math.isnan(v) else f"{v:.{decimals}f}"


def about_sheet(wb, rows, epochs, seed):
    s = wb.sheet("about")
    s.widths(0, 0, 16)   # room for "discriminative_lr"
    s.widths(1, 1, 110)
    s.title("A1", "Gradient descent in a spreadsheet (fast.ai lesson 5), every epoch laid out, no macros")
    lines = [
        ("What", "Stochastic gradient descent (SGD) finds a model's weights by small steps against the gradient"),
        ("", "of the error, one data point (a mini-batch of one) at a time."),
        ("", "To keep it simple the model is a line, y = a*x + b; a neural net's weights are found the same way."),
        ("Goal", "The data is made from a = 2 and b = 30; each sheet starts from a = b = 1 and has to find them."),
        ("SGD", "1. start from some weights;  2. for one point: predict, measure the error, step the weights"),
        ("", "against its gradient;  3. repeat for every point (one epoch), and for many epochs."),
        ("", ""),
        ("data", f"{rows} points: x drawn once from 1..100 (seed {seed}), y = a*x + b by formula (edit a and b)."),
        ("basic", "Plain SGD, with the lecture's finite-difference check of the gradient."),
        ("momentum", "+ an average of recent gradients: steadier steps."),
        ("rmsprop", "+ each weight's step divided by the RMS of its gradients: a and b move at their own pace."),
        ("adam", "RMSProp + momentum."),
        ("adam_ann", "Adam + the lecture's annealing: lr / 4 when the gradients grow."),
        ("compare", "Every optimizer's RMSE per epoch on one chart (log scale): why Adam wins."),
        ("ewma", "Beyond the lecture: the moving average behind momentum and Adam, with bias correction."),
        ("sgd_torch", "PyTorch's SGD momentum (buf = mu*buf + g): the momentum sheet's steps at lr*(1-beta)."),
        ("adam_torch", "PyTorch's Adam (bias correction, eps): lands at the lecture's lr 1."),
        ("one_cycle", "fastai's fit_one_cycle schedule (lr up then down, momentum down then up) on adam_torch."),
        ("lr_find", "fastai's lr_find: a growing lr until the loss blows up; read the lr off the chart."),
        ("discriminative_lr", "What slice(1e-5, 1e-3) and slice(1e-3) give each layer group."),
        ("", ""),
        ("How to play", f"Each optimizer sheet holds {epochs} epochs, one row per step, epoch under epoch"),
        ("", "(the original needed its 'run' macro for each epoch; this workbook has no macros)."),
        ("", "Yellow cells are inputs: edit lr, beta, the start a and b, or the data, and every epoch"),
        ("", "recomputes. Green cells are the results."),
        ("", "Too big an lr diverges: numbers overflow and the sheet shows #NUM! (try basic lr = 0.001)."),
        ("Notes", "RMSE per epoch = SQRT(AVERAGE(err^2)) over that epoch's steps (the original's 'rmse' cell"),
        ("", "was SQRT(SUM(err^2)), sqrt(rows) times larger)."),
        ("", "An epoch starts from the previous epoch's last new a and new b (the original's macro copied"),
        ("", "the last row's a and b from before its step, so each epoch lost one step)."),
        ("Source", "fast.ai course-v3, files/xl/graddesc.xlsm; built by sheetsgd (`sheetsgd build`)."),
    ]
    for i, (head, text) in enumerate(lines):
        if head:
            s.text((i + 2, 0), head, "label")
        if text:
            s.text((i + 2, 1), text)
    s.freeze((1, 0))
    return s


DATA_FIRST = 7   # 0-based row of the first data point on the data sheet


def data_sheet(wb, x, y, true_a, true_b, seed):
    s = wb.sheet("data")
    s.title("A1", "data: y = a*x + b, the points every optimizer fits")
    s.note("A2", f"x: integers 1..100 drawn once (seed {seed}), stored as values so every recalculation "
                 "sees the same data (the original used RANDBETWEEN).")
    s.note("A3", "y: a formula of the true a and b below; the optimizers pretend not to know them.")
    s.text("A5", "b", "label")
    s.text("B5", "intercept")
    s.input("C5", true_b)
    s.text("A6", "a", "label")
    s.text("B6", "slope")
    s.input("C6", true_a)
    s.define_name("true_b", "data!$C$5", scoped=False)
    s.define_name("true_a", "data!$C$6", scoped=False)
    s.header((DATA_FIRST - 1, 0), "i")
    s.header((DATA_FIRST - 1, 1), "x")
    s.header((DATA_FIRST - 1, 2), "y")
    for i, (xi, yi) in enumerate(zip(x, y)):
        r = DATA_FIRST + i
        s.number((r, 0), i + 1, style="rowhead")
        s.input((r, 1), xi)
        s.formula((r, 2), f"=true_b+{a1(r, 1)}*true_a", yi)
    s.widths(0, 2, 10)
    s.freeze((DATA_FIRST, 0))
    return s


def optimizer_sheet(wb, run, epochs):
    """One optimizer: inputs on top, the step table, the epoch table and its chart. Returns the
    epoch table's cells for the compare sheet: {"rmse": [...], "a": [...], "b": [...], "lr": [...]}."""
    name = run.optimizer
    cols = COLUMNS[name]
    nrows = len(run.x)
    s = wb.sheet(name)
    s.title("A1", TITLES[name])
    s.note("A2", NOTES[name][0])
    s.note("A3", NOTES[name][1])

    # Inputs: start weights (and averages) on the left, hyperparameters as named cells.
    start_cells = {}
    s.text("B4", "start b", "label")
    start_cells["b"] = "$C$4"
    s.input("C4", run.start["b"])
    s.text("B5", "start a", "label")
    start_cells["a"] = "$C$5"
    s.input("C5", run.start["a"])
    keys = [k for k, *_ in cols]
    col = 4
    if "m_b" in keys:
        s.text((3, col), "start avg g", "label")
        s.input((3, col + 1), run.start["m"])
        start_cells["m"] = a1(3, col + 1, True, True)
    if "v_b" in keys:
        s.text((4, col), "start avg g^2", "label")
        s.input((4, col + 1), run.start["v"])
        start_cells["v"] = a1(4, col + 1, True, True)
    if "m_b" in keys or "v_b" in keys:
        col += 3
    for i, (k, v) in enumerate(run.hyper.items()):
        r, c = 3 + i % 2, col + 3 * (i // 2)
        s.text((r, c), HYPER_LABELS[k], "label")
        s.input((r, c + 1), v)
        s.define_name(k, f"{writer.quote_sheet(name)}!{a1(r, c + 1, True, True)}")

    # The step table.
    ncols = 2 + len(cols)
    where = {k: 2 + j for j, (k, *_) in enumerate(cols)}
    s.header((HEADER, 0), "epoch")
    s.header((HEADER, 1), "step")
    for j, (k, head, _, meaning) in enumerate(cols):
        s.header((HEADER, 2 + j), head)

    # The epoch table, to the right.
    e0 = ncols + 1
    ecols = ["epoch", "RMSE", "a", "b", "lr"]
    if name == "adam_ann":
        ecols += ["grad norm", "best norm", "ratio"]
    ec = {k: e0 + j for j, k in enumerate(ecols)}
    for k in ecols:
        s.header((HEADER, ec[k]), k)

    def lr_ref(e):
        return a1(FIRST + e, ec["lr"], True, True) if name == "adam_ann" else "lr"

    n = 0
    for e in range(epochs):
        for i in range(nrows):
            r = FIRST + n
            s.number((r, 0), e + 1, style="rowhead")
            s.number((r, 1), i + 1, style="rowhead")
            refs = {k: a1(r, c) for k, c in where.items()}
            for k, c in where.items():
                refs[k + "^"] = a1(r - 1, c) if n else start_cells[START_OF[k]] if k in START_OF else None
            refs["lr"] = lr_ref(e)
            refs["d"] = DATA_FIRST + i + 1
            for k, _, f, _ in cols:
                s.formula((r, where[k]), f.format_map(refs), run.rows[k][n])
            n += 1
        first, last = FIRST + e * nrows, FIRST + (e + 1) * nrows - 1
        r = FIRST + e
        s.number((r, ec["epoch"]), e + 1, style="rowhead")
        err = f"{a1(first, where['err2'])}:{a1(last, where['err2'])}"
        s.formula((r, ec["RMSE"]), f"=SQRT(AVERAGE({err}))", run.epochs["rmse"][e])
        s.formula((r, ec["a"]), f"={a1(last, where['new_a'])}", run.epochs["a"][e])
        s.formula((r, ec["b"]), f"={a1(last, where['new_b'])}", run.epochs["b"][e])
        if name != "adam_ann":
            s.formula((r, ec["lr"]), "=lr", run.epochs["lr"][e])
            continue
        norm, best, ratio, lrc = (a1(r, ec[k]) for k in ("grad norm", "best norm", "ratio", "lr"))
        if e == 0:
            s.formula((r, ec["lr"]), "=lr", run.epochs["lr"][e])
            s.formula((r, ec["best norm"]), f"={norm}", run.epochs["best"][e])
            s.formula((r, ec["ratio"]), f"={norm}/{best}", run.epochs["ratio"][e])
        else:
            prev = {k: a1(r - 1, ec[k]) for k in ("best norm", "ratio", "lr")}
            s.formula((r, ec["lr"]), f"=IF({prev['ratio']}>anneal_at,{prev['lr']}/anneal_by,{prev['lr']})",
                      run.epochs["lr"][e])
            s.formula((r, ec["best norm"]), f"=MIN({prev['best norm']},{norm})", run.epochs["best"][e])
            s.formula((r, ec["ratio"]), f"={norm}/{prev['best norm']}", run.epochs["ratio"][e])
        s.formula((r, ec["grad norm"]), f"=SQRT({a1(last, where['v_b'])})+SQRT({a1(last, where['v_a'])})",
                  run.epochs["norm"][e])

    # Results on top: where the last epoch ended.
    last_e = FIRST + epochs - 1
    rc0 = ec["epoch"]
    s.text((3, rc0), f"after {epochs} epochs:", "label")
    for j, k in enumerate(("RMSE", "a", "b")):
        s.text((4, rc0 + 1 + j), k, "label")
        s.formula((5, rc0 + 1 + j), f"={a1(last_e, ec[k])}",
                  run.epochs[{"RMSE": "rmse"}.get(k, k)][-1], style="result")

    # Every other epoch shaded, so a student sees where each epoch starts.
    s.ws.conditional_format(FIRST, 0, FIRST + n - 1, ncols - 1, {
        "type": "formula", "criteria": f"=MOD({a1(FIRST, 0, False, True)},2)=0", "format": wb.wb.add_format(
            {"bg_color": "#F2F2F2"})})
    s.widths(0, 1, 6)
    s.widths(2, ncols - 1, 11)
    s.widths(ncols, ncols, 3)
    s.widths(e0, e0 + len(ecols) - 1, 11)
    s.freeze((FIRST, 2))

    chart = wb.chart("line")
    cat = f"={writer.quote_sheet(name)}!{a1(FIRST, ec['epoch'], True, True)}:{a1(last_e, ec['epoch'], True, True)}"
    val = f"={writer.quote_sheet(name)}!{a1(FIRST, ec['RMSE'], True, True)}:{a1(last_e, ec['RMSE'], True, True)}"
    chart.add_series({"name": f"{name} RMSE", "categories": cat, "values": val, "line": {"width": 2}})
    # A log scale when the RMSE falls by decades (adam_ann), a linear one when it creeps (basic).
    rmse = run.epochs["rmse"][np.isfinite(run.epochs["rmse"])]
    log = rmse.size > 0 and rmse.min() > 0 and rmse.max() / rmse.min() > 20
    chart.set_title({"name": f"{name}: RMSE per epoch" + (" (log scale)" if log else "")})
    chart.set_x_axis({"name": "epoch", "interval_unit": max(1, epochs // 10)})
    chart.set_y_axis({"name": "RMSE", **({"log_base": 10} if log else {"min": 0})})
    chart.set_legend({"none": True})
    chart.set_size({"width": 560, "height": 320})
    s.ws.insert_chart(FIRST, e0 + len(ecols) + 1, chart)
    return {k: [a1(FIRST + e, ec[k], True, True) for e in range(epochs)] for k in ("RMSE", "a", "b", "lr")}


def compare_sheet(wb, runs, tables, epochs):
    s = wb.sheet("compare")
    s.title("A1", "compare: every optimizer's RMSE per epoch, on one chart")
    s.note("A2", "Log scale: basic and momentum creep (their lr cannot grow without diverging), RMSProp "
                 "speeds b up, Adam gets close fast, annealing lets Adam settle.")
    names = list(runs)
    s.header("A4", "epoch")
    for j, n in enumerate(names):
        s.header((3, 1 + j), n)
    for e in range(epochs):
        r = 4 + e
        s.number((r, 0), e + 1, style="rowhead")
        for j, n in enumerate(names):
            s.formula((r, 1 + j), f"={writer.quote_sheet(n)}!{tables[n]['RMSE'][e]}", runs[n].epochs["rmse"][e])
    # final state of each optimizer
    fr = 3
    fc = len(names) + 2
    for j, k in enumerate(("optimizer", "lr", "RMSE", "a", "b")):
        s.header((fr, fc + j), k)
    for i, n in enumerate(names):
        r = fr + 1 + i
        s.text((r, fc), n, "label")
        run = runs[n]
        for j, (k, mk) in enumerate((("lr", "lr"), ("RMSE", "rmse"), ("a", "a"), ("b", "b"))):
            s.formula((r, fc + 1 + j), f"={writer.quote_sheet(n)}!{tables[n][k][-1]}", run.epochs[mk][-1],
                      style="result" if k != "lr" else "formula")
    s.note((fr + len(names) + 1, fc), f"after {epochs} epochs; the true a = 2, b = 30 (lr: the last epoch's)")
    s.widths(0, len(names), 11)
    s.widths(fc, fc + 4, 11)
    s.freeze((4, 1))

    chart = wb.chart("line")
    last = 4 + epochs - 1
    for j, n in enumerate(names):
        chart.add_series({
            "name": n,
            "categories": f"=compare!{a1(4, 0, True, True)}:{a1(last, 0, True, True)}",
            "values": f"=compare!{a1(4, 1 + j, True, True)}:{a1(last, 1 + j, True, True)}",
            "line": {"width": 2},
        })
    chart.set_title({"name": "RMSE per epoch (log scale)"})
    chart.set_x_axis({"name": "epoch", "interval_unit": max(1, epochs // 10)})
    chart.set_y_axis({"name": "RMSE", "log_base": 10})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 720, "height": 420})
    s.ws.insert_chart(fr + len(names) + 3, fc, chart)
    return s
