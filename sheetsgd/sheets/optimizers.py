"""The lecture's five optimizer sheets of graddesc.xlsx (basic, momentum, rmsprop, adam, adam_ann)
and compare, every optimizer's RMSE per epoch on one chart.

Each sheet is a step table (sheets/steps.py): its columns below, each beside its meaning; the
NumPy twins are models.graddesc's basic_row, momentum_row, ... (run.rows[key]).
"""
import numpy as np

from .. import writer
from ..writer import a1
from . import steps
from .steps import ERR2, FIRST, HEAD, HEADER

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

MOMENTUM = HEAD + [
    ("new_b", "new b", "={b}-{m_b}*{lr}", "step with the average gradient"),
    ("new_a", "new a", "={a}-{m_a}*{lr}", "step with the average gradient"),
    ("m_b", "avg de/db", "={m_b^}*beta+(1-beta)*{dedb}", "EWMA of de/db (momentum)"),
    ("m_a", "avg de/da", "={m_a^}*beta+(1-beta)*{deda}", "EWMA of de/da (momentum)"),
    ERR2,
]

RMSPROP = HEAD + [
    ("new_b", "new b", "={b}-{dedb}*{lr}/SQRT({v_b^})", "step g*lr/RMS(g), RMS from the row above"),
    ("new_a", "new a", "={a}-{deda}*{lr}/SQRT({v_a^})", "step g*lr/RMS(g), RMS from the row above"),
    ("v_b", "avg de/db^2", "={v_b^}*beta+(1-beta)*{dedb}^2", "EWMA of (de/db)^2"),
    ("v_a", "avg de/da^2", "={v_a^}*beta+(1-beta)*{deda}^2", "EWMA of (de/da)^2"),
    ERR2,
]

ADAM = HEAD + [
    ("new_b", "new b", "={b}-{m_b}*{lr}/SQRT({v_b})", "step momentum*lr/RMS(g)"),
    ("new_a", "new a", "={a}-{m_a}*{lr}/SQRT({v_a})", "step momentum*lr/RMS(g)"),
    ("m_b", "avg de/db", "={m_b^}*beta1+(1-beta1)*{dedb}", "EWMA of de/db"),
    ("m_a", "avg de/da", "={m_a^}*beta1+(1-beta1)*{deda}", "EWMA of de/da"),
    ("v_b", "avg de/db^2", "={v_b^}*beta2+(1-beta2)*{dedb}^2", "EWMA of (de/db)^2"),
    ("v_a", "avg de/da^2", "={v_a^}*beta2+(1-beta2)*{deda}^2", "EWMA of (de/da)^2"),
    ERR2,
]

COLUMNS = {"basic": BASIC, "momentum": MOMENTUM, "rmsprop": RMSPROP, "adam": ADAM, "adam_ann": ADAM}

# adam_ann's epoch table: the original macro's annealing between epochs, one row per epoch.
# (key, header, formula, twin in run.epochs); ANNEAL_FIRST: the first epoch's formulas.
ANNEAL = steps.EPOCH[:4] + [
    ("lr", "lr", "=IF({ratio^}>anneal_at,{lr^}/anneal_by,{lr^})", "lr"),
    ("grad norm", "grad norm", "=SQRT({last v_b})+SQRT({last v_a})", "norm"),
    ("best norm", "best norm", "=MIN({best norm^},{grad norm})", "best"),
    ("ratio", "ratio", "={grad norm}/{best norm^}", "ratio"),
]
ANNEAL_FIRST = {"lr": "=lr", "best norm": "={grad norm}", "ratio": "={grad norm}/{best norm}"}
# --lecture: the first epoch is compared with the norm the reset's warm-up left (start best norm).
ANNEAL_FIRST_LECTURE = {"lr": "=lr", "best norm": "=MIN({start best},{grad norm})", "ratio": "={grad norm}/{start best}"}
# --lecture: the original's macro started each epoch from the last row's a and b before its step.
MACRO_EPOCH_START = {"b": "={b^}", "a": "={a^}"}
MACRO_EPOCH = {"a": "={last a}", "b": "={last b}"}

# Which start cell a {key^} of the first row reads: the weights, and the averages' start values.
START_OF = {"new_b": "b", "new_a": "a", "m_b": "m_b", "m_a": "m_a", "v_b": "v_b", "v_a": "v_a"}

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
        "lr 0.025, not the lecture's 1: near the answer its step does not shrink as the gradient does, so at lr 1 "
        "it circles (RMSE ~18 with the epochs chained as here, between 4 and 23 under the lecture's macro), "
        "chaotically: the last bit of any input would decide the numbers.",
    ],
    "adam_ann": [
        "Adam, and between epochs the original's macro: ratio = gradient norm (sqrt(avg de/db^2) + "
        "sqrt(avg de/da^2) at an epoch's end) / the best norm so far. lr 0.03 (the lecture's 1 is chaotic).",
        "When the ratio exceeds anneal_at (2) the next epoch's lr is lr / anneal_by (4): big steps "
        "while they help, small ones once they start bouncing.",
    ],
}
# --lecture: the lecture's learning rates and macro, and what that means.
LECTURE_NOTES = {
    "adam": [NOTES["adam"][0], "lr 1 as in the lecture: near the answer the step does not shrink, so Adam circles it "
             "(RMSE ~18), chaotically: another program's last bit can show other numbers here."],
    "adam_ann": [NOTES["adam_ann"][0].replace("lr 0.03 (the lecture's 1 is chaotic).", "lr 1, the lecture's."),
                 NOTES["adam_ann"][1]],
}
MACRO_NOTE = ("As the lecture's macro: each epoch starts from the last row's a and b before its step, and the "
              "start averages are what the reset's warm-up passes left.")

# The hyperparameter inputs of each sheet: (name, label); names are sheet-scoped, as in the original.
HYPER_LABELS = {
    "lr": "lr", "beta": "beta", "beta1": "beta1", "beta2": "beta2", "bump": "bump",
    "anneal_at": "anneal when ratio >", "anneal_by": "divide lr by",
}


def optimizer_sheet(wb, run, epochs, lecture=False):
    """One optimizer: inputs on top, the step table, the epoch table and its chart. Returns the
    epoch table's cells for the compare sheet: {"RMSE": [...], "a": [...], "b": [...], "lr": [...]}.

    lecture: the run is the original macro's (models.graddesc.run(..., macro=True) from
    lecture_start): each weight's start averages as inputs, each epoch from the last row's a and b."""
    name = run.optimizer
    cols = COLUMNS[name]
    nrows = len(run.x)
    s = wb.sheet(name)
    s.title("A1", TITLES[name])
    notes = LECTURE_NOTES.get(name, NOTES[name]) if lecture else NOTES[name]
    s.note("A2", notes[0])
    s.note("A3", notes[1] + (" " + MACRO_NOTE if lecture else ""))

    # Inputs: start weights (and averages) on the left, hyperparameters as named cells.
    start_cells = {"b": "$C$4", "a": "$C$5"}
    steps.start_inputs(s, run.start)
    keys = [k for k, *_ in cols]
    col = 4
    for r, (avg, label) in enumerate((("m", "start avg g"), ("v", "start avg g^2"))):
        if avg + "_b" not in keys:
            continue
        if lecture:                       # the warm-up leaves each weight its own start (b, then a)
            s.text((3 + r, col), label + " (b, a)", "label")
            for j, w in enumerate("ba"):
                s.input((3 + r, col + 1 + j), run.start[f"{avg}_{w}"])
                start_cells[f"{avg}_{w}"] = a1(3 + r, col + 1 + j, True, True)
        else:
            s.text((3 + r, col), label, "label")
            s.input((3 + r, col + 1), run.start[avg])
            start_cells[avg + "_b"] = start_cells[avg + "_a"] = a1(3 + r, col + 1, True, True)
    if "m_b" in keys or "v_b" in keys:
        col += 4 if lecture else 3
    first_epoch = ANNEAL_FIRST if name == "adam_ann" else None
    if lecture and name == "adam_ann":
        s.text((5, 4), "start best norm", "label")
        best = a1(5, 5, True, True)
        s.formula((5, 5), f"=SQRT({start_cells['v_b']})+SQRT({start_cells['v_a']})", run.start["best"])
        first_epoch = {k: f.replace("{start best}", best) for k, f in ANNEAL_FIRST_LECTURE.items()}
    steps.named_inputs(s, {k: HYPER_LABELS[k] for k in run.hyper}, run.hyper, col, writer.quote_sheet(name))

    # The step table, and the epoch table to its right.
    ncols = 2 + len(cols)
    where = {k: 2 + j for j, (k, *_) in enumerate(cols)}
    steps.headers(s, ["epoch", "step"], cols, where)
    e0 = ncols + 1
    ecols = ANNEAL if name == "adam_ann" else steps.EPOCH
    if lecture:
        ecols = [(k, h, MACRO_EPOCH.get(k, f), t) for k, h, f, t in ecols]
    ec = {k: e0 + j for j, (k, *_) in enumerate(ecols)}
    for k, head, _, _ in ecols:
        s.header((HEADER, ec[k]), head)

    lr = (lambda e: a1(FIRST + e, ec["lr"], True, True)) if name == "adam_ann" else "lr"
    start = {k: start_cells[START_OF[k]] for k in where if k in START_OF}
    n = steps.step_rows(s, cols, where, run.rows, nrows, epochs, start, {"lr": lr},
                        epoch_start=MACRO_EPOCH_START if lecture else None)
    steps.epoch_rows(s, ecols, ec, epochs, nrows, where, run.epochs, first_epoch)
    steps.results_on_top(s, ec["epoch"], epochs, ec, run)
    steps.shade_epochs(s, n, ncols)
    s.widths(0, 1, 6)
    s.widths(2, ncols - 1, 11)
    s.widths(ncols, ncols, 3)
    s.widths(e0, e0 + len(ecols) - 1, 11)
    s.freeze((FIRST, 2))

    last_e = FIRST + epochs - 1
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
    return steps.epoch_cells(ec, epochs)


def compare_sheet(wb, runs, tables, epochs):
    s = wb.sheet("compare")
    s.title("A1", "compare: every optimizer's RMSE per epoch, on one chart")
    s.note("A2", "Log scale: basic and momentum creep (their lr cannot grow without diverging), RMSProp "
                 "speeds b up, Adam gets closer, annealing lets Adam settle.")
    names = list(runs)
    s.header("A4", "epoch")
    for j, n in enumerate(names):
        s.header((3, 1 + j), n)
    for e in range(epochs):
        r = 4 + e
        s.number((r, 0), e + 1, style="rowhead")
        for j, n in enumerate(names):
            s.formula((r, 1 + j), f"={writer.quote_sheet(n)}!{tables[n]['RMSE'][e]}", runs[n].epochs["rmse"][e],
                      steps.SMALL)
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
                      steps.FORMATS[k], style="result" if k != "lr" else "formula")
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
