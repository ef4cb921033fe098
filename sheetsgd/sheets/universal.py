"""neuralnet.xlsx's universal sheet: why a stack of linear layers and ReLUs can fit anything.

A net with one input, HIDDEN ReLU units and one output fits y = SIN(x) by SGD, one data point a step,
epochs stacked one under the other as graddesc's sheets lay them out. The step table is a table of
blocks (sheets/blocks.py) written as (key, title, heads, formula, number format, meaning); each row's
weights are the new ones, after its step, and the row above holds the weights the step starts from
(above the first step: the yellow start row). Beside it: the data, the RMSE per epoch, and the net's
output after a few epochs against the target, as a table and a chart. The NumPy twin is
models.universal.row (its dict's keys are the blocks' keys).
"""
import numpy as np

from ..models import universal as un
from ..writer import a1, col_name as col_letter
from .blocks import Blocks, Offset, bold, rng, section

W = "0.000"

UNITS = [f"h{j + 1}" for j in range(un.HIDDEN)]
# {w^}, {b^}, {v^}, {c^}: the row above's weights (the start row above the first step); {v^ first}:{v^ last}
# its v's.
STEP = [
    ("x", None, ["x"], "={data x}", W, "the data point of this step"),
    ("y", None, ["y"], "={data y}", W, "its target"),
    ("a", "hidden: a = MAX(0, w*x + b)", UNITS, "=MAX(0,{w^}*{x$}+{b^})", W, "each unit's ReLU, from the weights above"),
    ("pred", None, ["pred"], "={c^}+SUMPRODUCT({v^ first}:{v^ last},{a$ row})", W, "the output c + SUMPRODUCT(v, a)"),
    ("err2", None, ["err^2"], "=({pred}-{y})^2", W, "the squared error e"),
    ("g", None, ["de/dpred"], "=2*({pred}-{y})", W, "its gradient 2*(pred - y)"),
    ("w", "new w = w - lr*IF(a > 0, g*v*x, 0)", UNITS, "={w^}-lr*IF({a}>0,{g$}*{v^}*{x$},0)", W,
     "no gradient through a unit that is cut off"),
    ("b", "new b = b - lr*IF(a > 0, g*v, 0)", UNITS, "={b^}-lr*IF({a}>0,{g$}*{v^},0)", W, ""),
    ("v", "new v = v - lr*g*a", UNITS, "={v^}-lr*{g$}*{a}", W, ""),
    ("c", None, ["new c"], "={c^}-lr*{g}", W, "c - lr*g"),
]
PARAMS = ("w", "b", "v", "c")

TITLE = "universal: a stack of linear layers and ReLUs can fit any curve; here one hidden layer fits sin(x)"
NOTES = [
    "A ReLU unit is a line cut off at 0: MAX(0, w*x + b) has a kink at x = -b/w. The output adds the units up, "
    "c + SUMPRODUCT(v, a): a sum of kinked lines, a curve with a bend at each kink.",
    "The lecture: an activation function is an element-wise function, applied to each activation on its own, one "
    "out for each in (ReLU replaces each negative by 0). The universal approximation theorem: a stack of linear "
    "functions and non-linearities can approximate any function arbitrarily closely, given big enough matrices.",
    "SGD finds the weights as graddesc's sheets fit a line: one data point a step, {epochs} epochs under one "
    "another, each row's weights where its step left them. Each unit's kink starts at its own x (w = +1 or -1 in "
    "turn, b = -w*kink), v at random. Edit lr, the start row, or the data's y (a step: =IF(x>0,1,-1)): the steps recompute.",
]


def universal_sheet(wb, run):
    """Write the sheet from models.universal.run(...); returns {"rmse": last epoch's RMSE cell}."""
    h, rows = run["hyper"], run["rows"]
    epochs, n = h["epochs"], len(run["x"])
    s = wb.sheet("universal")
    s.title("A1", TITLE)
    for i, text in enumerate(NOTES):
        s.note((1 + i, 0), text.format(epochs=epochs))
    s.text("A5", "lr", "label")
    s.input("B5", h["lr"], "0.###")
    s.define_name("lr", "universal!$B$5")
    top = 8                                   # block titles; heads below; the start row; the steps
    A = Blocks(s, top, top + 3, len(rows), title_format=bold(s))
    A.add("epoch", None, ["epoch"], col=0, gap=False)
    A.add("step", None, ["step"], col=1, gap=False)
    for key, title, heads, *_ in STEP:
        A.add(key, title, heads)
    start_row = A.first - 1

    # beside the steps: the data, the RMSE per epoch, the fit table
    dc = A.col + 1
    ec = dc + 4
    fc = ec + 3
    data_first = A.first
    section(s, (top, dc), "data: the order of every epoch")
    for j, head in enumerate(("i", "x", "y = SIN(x)")):
        s.header((top + 1, dc + j), head)
    for i, (xi, yi) in enumerate(zip(run["x"], run["y"])):
        r = data_first + i
        s.number((r, dc), i + 1, "0", "rowhead")
        s.input((r, dc + 1), xi, "0.0")
        s.formula((r, dc + 2), f"=SIN({a1(r, dc + 1)})", yi, W)

    def above(key, j=0):
        """The row above's cell of a block (above the first step: the start row), for the compiled fill."""
        return Offset(None, A.first - 1, A.at[key][0] + j)

    names = {f"{k}^": above(k) for k in PARAMS}
    names["v^ first"], names["v^ last"] = above("v"), above("v", un.HIDDEN - 1)
    names["data x"] = lambda i, j: a1(data_first + i % n, dc + 1, True, True)
    names["data y"] = lambda i, j: a1(data_first + i % n, dc + 2, True, True)
    # the start row: the weights before the first step, in the parameter blocks' columns
    s.text((start_row, 1), "start", "label")
    for k in PARAMS:
        c, w = A.at[k]
        vals = np.atleast_1d(run["start"][k])
        for j in range(w):
            s.input((start_row, c + j), vals[j], W)
    for i in range(len(rows)):
        s.number((A.first + i, 0), i // n + 1, "0", "rowhead")
        s.number((A.first + i, 1), i % n + 1, "0", "rowhead")
    vals = {k: np.array([np.atleast_1d(r[k]) for r in rows]) for k, *_ in STEP if k not in ("x", "y")}
    vals["x"] = np.array([run["x"][i % n] for i in range(len(rows))])
    vals["y"] = np.array([run["y"][i % n] for i in range(len(rows))])
    for key, _, _, formula, fmt, _ in STEP:
        A.fill(key, formula, vals[key], fmt, names=names)

    # every other epoch shaded: where each epoch starts
    s.ws.conditional_format(A.first, 0, A.first + len(rows) - 1, A.col - 2, {
        "type": "formula", "criteria": f"=MOD({a1(A.first, 0, False, True)},2)=0",
        "format": wb.wb.add_format({"bg_color": "#F2F2F2"})})

    # RMSE per epoch
    section(s, (top, ec), "per epoch")
    s.header((top + 1, ec), "epoch")
    s.header((top + 1, ec + 1), "RMSE")
    err_c = A.at["err2"][0]
    for e in range(epochs):
        r = A.first + e
        s.number((r, ec), e + 1, "0", "rowhead")
        s.formula((r, ec + 1), f"=SQRT(AVERAGE({a1(A.first + e * n, err_c)}:{a1(A.first + (e + 1) * n - 1, err_c)}))",
                  run["rmse"][e], W)
    last_rmse = a1(A.first + epochs - 1, ec + 1)
    # the fit: the net's output on a grid of x, with the weights after a few epochs
    # (three rows higher than the other tables: a preview of the first 70 rows draws the whole chart)
    fit_top = top - 3
    fit_first = fit_top + 2
    section(s, (fit_top, fc), "the net's output with the weights after epoch ...")
    shown = run["snapshots"]
    cc = fc + 3 + len(shown)                  # the charts' column
    for j, head in enumerate(["x", "SIN(x)"] + [f"epoch {e}" for e in shown]):
        s.header((fit_top + 1, fc + j), head)
    for i, (xg, yg) in enumerate(zip(run["grid"], run["target"])):
        r = fit_first + i
        s.input((r, fc), xg, "0.0")
        s.formula((r, fc + 1), f"=SIN({a1(r, fc)})", yg, W)
        for j, e in enumerate(shown):
            last = A.first + e * n - 1
            w, b, v, c = (a1(last, A.at[k][0], True, True) + (":" + a1(last, A.at[k][0] + un.HIDDEN - 1, True, True)
                                                                if k != "c" else "") for k in PARAMS)
            z = f"({w}*{a1(r, fc)}+{b})"
            s.formula((r, fc + 2 + j), f"={c}+SUMPRODUCT({v},({z}>0)*{z})", run["fits"][e][i], W)

    # the results on top: where the last epoch left the fit
    grid_last = fit_first + len(run["grid"]) - 1
    last_fit = fc + 1 + len(shown)
    sq = f"({rng(fit_first, last_fit, grid_last, last_fit, False)}-{rng(fit_first, fc + 1, grid_last, fc + 1, False)})^2"
    s.text("A6", "RMSE steps", "label")
    s.formula("B6", f"={last_rmse}", run["rmse"][-1], W, "result")
    s.text("A7", "RMSE fit", "label")
    s.formula("B7", f"=SQRT(SUMPRODUCT({sq})/COUNT({rng(fit_first, fc, grid_last, fc, False)}))",
              un.fit_rmse(run["fits"][shown[-1]], run["target"]), W, "result")
    s.note("C6", f"after {epochs} epochs: the RMSE of the last epoch's steps, and of the net's output on the "
                 f"grid of x against SIN(x) (its chart: column {col_letter(cc)}, right of the tables)")

    # the charts: the fit against the target, the RMSE per epoch
    chart = wb.chart("scatter", "straight")
    cats = f"=universal!{rng(fit_first, fc, grid_last, fc)}"
    for j, name in enumerate(["SIN(x): the target"] + [f"after epoch {e}" for e in shown]):
        series = {"name": name, "categories": cats,
                  "values": f"=universal!{rng(fit_first, fc + 1 + j, grid_last, fc + 1 + j)}", "line": {"width": 1.5}}
        if j == 0:
            series["line"] = {"width": 3, "color": "#000000"}
        chart.add_series(series)
    chart.set_title({"name": f"{un.HIDDEN} ReLU units fitting sin(x), after 1 .. {epochs} epochs"})
    chart.set_x_axis({"name": "x", "min": un.X_MIN, "max": un.X_MAX})
    chart.set_y_axis({"name": "y", "min": -1.5, "max": 1.5})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 620, "height": 380})
    s.ws.insert_chart(top, cc, chart)
    rmse_chart = wb.chart("scatter", "straight")      # a numeric epoch axis: readable ticks
    rmse_chart.add_series({"name": "RMSE", "categories": f"=universal!{rng(A.first, ec, A.first + epochs - 1, ec)}",
                           "values": f"=universal!{rng(A.first, ec + 1, A.first + epochs - 1, ec + 1)}",
                           "line": {"width": 2}})
    rmse_chart.set_title({"name": "RMSE of the steps, per epoch"})
    rmse_chart.set_x_axis({"name": "epoch", "min": 1, "max": epochs})
    rmse_chart.set_y_axis({"name": "RMSE", "min": 0})
    rmse_chart.set_legend({"none": True})
    rmse_chart.set_size({"width": 620, "height": 260})
    s.ws.insert_chart(top + 20, cc, rmse_chart)

    s.widths(0, 0, 10)
    s.widths(1, 1, 6)
    s.widths(2, A.col, 6.5)
    A.narrow_gaps()
    s.widths(dc, fc + 1 + len(shown), 8)
    s.freeze((A.first - 1, 2))
    return {"rmse": last_rmse}
