"""graddesc.xlsx: the lecture's gradient-descent workbook, every epoch laid out, no macros.

Sheets: about, data, the lecture's optimizers (basic, momentum, rmsprop, adam, adam_ann) and compare
(sheets/optimizers.py), then what PyTorch and fastai do beyond them: ewma (sheets/ewma.py), sgd_torch,
adam_torch, one_cycle (sheets/pytorch.py), lr_find (sheets/lr_find.py), discriminative_lr
(sheets/discriminative_lr.py). Every optimizer sheet is a step table, one row per SGD step, its
layout in sheets/steps.py. This module holds the workbook: its options, the data and about sheets.
"""
import math

import numpy as np

from .. import writer
from ..errors import SheetsgdError
from ..models import graddesc as gd
from ..models import optim_more as om
from ..writer import Workbook, a1
from . import discriminative_lr, ewma, lr_find, optimizers, pytorch
from .steps import DATA_FIRST

EPOCHS = 100          # enough for adam_ann to land on a = 2, b = 30 and the others to show their pace
ROWS = 29             # the lecture's 29 data points
MAX_STEPS = 10_000    # rows x epochs per sheet; five such sheets make ~700k formula cells at most
# The sheets after compare: what PyTorch and fastai do beyond the lecture.
BEYOND_LECTURE = ("ewma", "sgd_torch", "adam_torch", "one_cycle", "lr_find", "discriminative_lr")

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



# -- the workbook -------------------------------------------------------------------------------

def build(path, rows=ROWS, seed=42, epochs=EPOCHS, hyper=None, start=None, lr=None, lecture=False):
    """Write graddesc.xlsx; return a one-line summary (final RMSE per optimizer, any divergence).

    hyper: {"adam": {"lr": 10}, ...} overrides the defaults of models.graddesc.DEFAULTS;
    lr: the CLI's ["adam=10", ...] form of the same; start: {"a", "b", "m", "v"} start values.
    lecture: what the lecture's graddesc.xlsm shows: its 29 cached x (rows is 29, seed unused),
    its learning rates (adam and adam_ann 1) and its macro (models.graddesc.run(macro=True) from
    lecture_start: the reset's warm-up, each epoch from the last row's a and b); only its sheets
    and compare (not the ones beyond the lecture).
    """
    hyper = dict(hyper or {})
    for name, h in parse_lr(lr).items():
        hyper.setdefault(name, {}).update(h)
    if lecture:
        rows = len(gd.LECTURE_X)
        for name, value in gd.LECTURE_LR.items():
            hyper.setdefault(name, {}).setdefault("lr", value)
    hyper, st = check_options(rows, epochs, seed, hyper, start)
    hypers = {name: {k: writer.stored(v) for k, v in dict(gd.DEFAULTS[name], **hyper.get(name, {})).items()}
              for name in gd.OPTIMIZERS}
    st = {k: writer.stored(v) for k, v in st.items()}
    x = writer.stored(gd.data_x(rows, seed) if not lecture else np.array(gd.LECTURE_X, dtype=float))
    true_a, true_b = writer.stored(gd.TRUE_A), writer.stored(gd.TRUE_B)
    y = gd.data_y(x, true_a, true_b)
    if lecture:
        starts = {name: {k: writer.stored(v) for k, v in gd.lecture_start(name, x, y, hypers[name], st).items()}
                  for name in gd.OPTIMIZERS}
        runs = {name: gd.run(name, x, y, epochs, hypers[name], starts[name], macro=True) for name in gd.OPTIMIZERS}
    else:
        runs = {name: gd.run(name, x, y, epochs, hypers[name], st) for name in gd.OPTIMIZERS}

    with Workbook(path, title="Gradient descent, lesson 5", subject="SGD, momentum, RMSProp, Adam on y = ax + b") as wb:
        about_sheet(wb, rows, epochs, seed, lecture)
        data_sheet(wb, x, y, true_a, true_b, seed, lecture)
        tables = {name: optimizers.optimizer_sheet(wb, runs[name], epochs, lecture) for name in gd.OPTIMIZERS}
        optimizers.compare_sheet(wb, runs, tables, epochs)
        if not lecture:
            beyond_lecture(wb, x, y, runs, tables, epochs, seed, st)
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


def about_sheet(wb, rows, epochs, seed, lecture=False):
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
        ("data", f"{rows} points: x drawn once from 1..100 (seed {seed}), y = a*x + b by formula (edit a and b)."
         if not lecture else f"the lecture's {rows} points: x as its RANDBETWEEN drew them, y = a*x + b by formula."),
        ("basic", "Plain SGD, with the lecture's finite-difference check of the gradient."),
        ("momentum", "+ an average of recent gradients: steadier steps."),
        ("rmsprop", "+ each weight's step divided by the RMS of its gradients: a and b move at their own pace."),
        ("adam", "RMSProp + momentum."),
        ("adam_ann", "Adam + the lecture's annealing: lr / 4 when the gradients grow."),
        ("compare", "Every optimizer's RMSE per epoch on one chart (log scale): why Adam wins."),
        ("ewma", "Beyond the lecture: the moving average behind momentum and Adam, with bias correction."),
        ("sgd_torch", "PyTorch's SGD momentum (buf = mu*buf + g): the momentum sheet's steps at lr*(1-beta)."),
        ("adam_torch", "PyTorch's Adam (bias correction, eps): lands where the lecture's form circles."),
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
    if lecture:
        keep = {"ewma", "sgd_torch", "adam_torch", "one_cycle", "lr_find", "discriminative_lr"}
        lines = [line for line in lines if line[0] not in keep]
        at = next(i for i, line in enumerate(lines) if line[0] == "Notes")
        lines[at + 2:at + 4] = [
            ("", "As the lecture's macro (`sheetsgd build --lecture`): an epoch starts from the last row's a and b"),
            ("", "before its step (so each epoch loses one step), the averages' start values are what the"),
            ("", "reset's warm-up passes left, and adam and adam_ann use the lecture's lr 1."),
        ]
        lines[-1] = ("Source", "fast.ai course-v3, files/xl/graddesc.xlsm: its x data, learning rates and macro; "
                               "built by `sheetsgd build --lecture`.")
    for i, (head, text) in enumerate(lines):
        if head:
            s.text((i + 2, 0), head, "label")
        if text:
            s.text((i + 2, 1), text)
    s.freeze((1, 0))
    return s


def data_sheet(wb, x, y, true_a, true_b, seed, lecture=False):
    s = wb.sheet("data")
    s.title("A1", "data: y = a*x + b, the points every optimizer fits")
    s.note("A2", f"x: integers 1..100 drawn once (seed {seed}), stored as values so every recalculation "
                 "sees the same data (the original used RANDBETWEEN)." if not lecture else
                 "x: the lecture's, as its RANDBETWEEN(1,100) drew them and its step sheets hold them (stored as values).")
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


def beyond_lecture(wb, x, y, runs, tables, epochs, seed, start):
    """The sheets after compare. runs/tables: the lecture's optimizers' runs and epoch cells."""
    st = {"a": start["a"], "b": start["b"]}
    more = {name: om.run(name, x, y, epochs, start=st) for name in pytorch.STEP_SHEETS}
    ewma.ewma_sheet(wb, seed)
    tables = dict(tables)
    for name in pytorch.STEP_SHEETS:
        lecture = pytorch.STEP_SHEETS[name]["lecture"]
        lecture_run = more[lecture] if lecture in more else runs[lecture]
        tables[name] = pytorch.step_sheet(wb, more[name], epochs, tables[lecture], lecture, lecture_run)
    lr_find.lr_find_sheet(wb, x, y, st)
    discriminative_lr.discriminative_sheet(wb)
    return more
