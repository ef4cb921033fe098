"""graddesc.xlsx's lr_find sheet: fastai's learning-rate finder on the lecture's data.

Each row is one plain SGD step at a learning rate that grows geometrically, with the loss over all
the data, its bias-corrected EWMA (fastai's smoothing) and the stop once it blows up. Columns as
the optimizer sheets' (sheets/steps.py): (key, header, formula, meaning), the NumPy twin is
models.optim_more.lr_find (found[key] per row).
"""
import math

from ..formula.values import NA
from ..models import optim_more as om
from ..writer import a1
from . import steps
from .steps import DATA_FIRST, FIRST, HEADER

MARK = '"' + om.SKIPPED + '"'    # what a skipped row shows

LR_FIND = [
    ("x", "x", "=data!B{d}", "this row's data point"),
    ("y", "y", "=data!C{d}", "its target"),
    ("b", "b", "={new_b^}", "b where the last step left it"),
    ("a", "a", "={new_a^}", "a where the last step left it"),
    ("loss", "loss (all data)", "=SUMPRODUCT(({b}+{a}*data_x-data_y)^2)/COUNT(data_x)", "MSE over every point at b, a"),
    ("dedb", "de/db", "=2*({a}*{x}+{b}-{y})", "this point's gradient"),
    ("deda", "de/da", "={dedb}*{x}", "this point's gradient"),
    ("new_b", "new b", "={b}-{dedb}*{lr}", "plain SGD step at this row's lr"),
    ("new_a", "new a", "={a}-{deda}*{lr}", "plain SGD step"),
    ("avg", "avg loss", "={avg^}*beta+(1-beta)*{loss}", "EWMA of the loss"),
    ("smooth", "smoothed", "={avg}/(1-beta^({i}+1))", "bias-corrected: avg/(1-beta^(i+1))"),
    ("best", "best", "=MIN({best^},{smooth})", "lowest smoothed loss so far"),
    ("stop", "stopped?", "={smooth}>stop_at*{best}", "TRUE once smoothed > stop_at x best"),
]
FIRST_ROW = {"avg": "=(1-beta)*{loss}", "best": "={smooth}"}   # nothing above to average with
FORMATS = dict(steps.FORMATS, loss=steps.D2, avg=steps.D2, smooth=steps.D2, best=steps.D2)


def lr_find_sheet(wb, x, y, start):
    h = om.hyper("lr_find")
    rows = int(h["num_it"])
    found = om.lr_find(x, y, rows, start=start)
    res = om.lr_find_results(found)
    s = wb.sheet("lr_find")
    s.title("A1", "lr_find: train with a growing learning rate, stop when the loss blows up")
    s.note("A2", "Each row: lr = start_lr*(end_lr/start_lr)^(i/num_it); one plain SGD step on the next data point; "
                 "the loss over all the data; its EWMA (beta 0.98) with bias correction, as fastai smooths it.")
    s.note("A3", "It stops once the smoothed loss exceeds 4x its lowest (rows after: -). On the chart pick an lr "
                 "where the loss still falls steeply, before the bottom: 1e-5 to 3e-5 here (the basic sheet's 1e-4 "
                 "is the edge). The smoothed curve lags ~50 steps: fastai smooths because its batch losses are noisy.")
    steps.named_inputs(s, {"start_lr": "start lr", "end_lr": "end lr", "num_it": "num_it", "beta": "beta",
                           "stop_at": "stop at x best"}, h, 4)
    start_cells = steps.start_inputs(s, start)
    npts = len(x)
    s.define_name("data_x", f"data!$B${DATA_FIRST + 1}:$B${DATA_FIRST + npts}")
    s.define_name("data_y", f"data!$C${DATA_FIRST + 1}:$C${DATA_FIRST + npts}")

    where = {"i": 0, "lr": 1}
    where.update({k: 2 + j for j, (k, *_) in enumerate(LR_FIND)})
    plot = {"plot_loss": len(where) + 1, "plot_smooth": len(where) + 2}
    s.header((HEADER, 0), "i")
    s.header((HEADER, 1), "lr")
    for k, head, _, _ in LR_FIND:
        s.header((HEADER, where[k]), head)
    s.header((HEADER, plot["plot_loss"]), "chart: loss")
    s.header((HEADER, plot["plot_smooth"]), "chart: smoothed")
    s.note((HEADER - 1, plot["plot_loss"]), "#N/A: not plotted")
    for i in range(rows):
        r = FIRST + i
        s.number((r, 0), i, style="rowhead")
        refs = {k: a1(r, c) for k, c in where.items()}
        for k, c in where.items():
            refs[k + "^"] = a1(r - 1, c) if i else start_cells.get(k)
        refs["d"] = DATA_FIRST + 1 + i % npts
        s.formula((r, 1), f"=start_lr*(end_lr/start_lr)^({refs['i']}/num_it)", found["lr"][i], "0.00E+00")
        for k, _, f, _ in LR_FIND:
            if i == 0:
                f = FIRST_ROW.get(k, f)
            f = f.format_map(refs)
            if i and k not in ("x", "y"):           # after the stop: "-" (and stopped? stays TRUE)
                f = f"=IF({refs['stop^']},{'TRUE' if k == 'stop' else MARK},{f[1:]})"
            s.formula((r, where[k]), f, found[k][i], FORMATS.get(k))
        for k, c in plot.items():
            src = refs[k.split("_")[1] if k == "plot_loss" else "smooth"]
            f = f"={src}" if i == 0 else f"=IF({refs['stop^']},NA(),{src})"
            v = found[k][i]
            s.formula((r, c), f, NA if v is None else v, steps.D2)
    last = FIRST + rows - 1

    # results, beside the inputs
    rc0 = plot["plot_smooth"] + 2
    col_range = {k: f"{a1(FIRST, c, True, True)}:{a1(last, c, True, True)}" for k, c in where.items()}
    results = [
        ("stopped at i", f"=COUNT({col_range['loss']})-1", res["last_i"]),
        ("lr there", f"=INDEX({col_range['lr']},COUNT({col_range['loss']}))", res["last_lr"]),
        ("lowest loss", f"=MIN({col_range['loss']})", res["min_loss"]),
        ("at lr", f"=INDEX({col_range['lr']},MATCH(MIN({col_range['loss']}),{col_range['loss']},0))",
         res["lr_min_loss"]),
        ("lowest smoothed", f"=MIN({col_range['smooth']})", res["min_smooth"]),
        ("at lr", f"=INDEX({col_range['lr']},MATCH(MIN({col_range['smooth']}),{col_range['smooth']},0))",
         res["lr_min_smooth"]),
    ]
    for j, (label, f, v) in enumerate(results):
        s.text((HEADER + j, rc0), label, "label")
        s.formula((HEADER + j, rc0 + 1), f, v, "0.00E+00" if "lr" in label else steps.D2 if "loss" in label
                  or "smoothed" in label else "0", style="result")
    s.ws.conditional_format(FIRST, 0, last, plot["plot_smooth"], {
        "type": "formula", "criteria": f"={a1(FIRST, where['stop'], False, True)}=TRUE",
        "format": wb.wb.add_format({"font_color": "#A6A6A6"})})
    s.widths(0, 0, 5)
    s.widths(1, plot["plot_smooth"], 11)
    s.widths(plot["plot_loss"], plot["plot_smooth"], 15)
    s.widths(rc0, rc0, 15)
    s.widths(rc0 + 1, rc0 + 1, 11)
    s.freeze((FIRST, 2))
    for c in (1,):
        s.ws.set_column(c, c, 11, wb.fmt("formula", "0.00E+00"))

    chart = wb.chart("scatter", "straight")
    lr_range = f"=lr_find!{col_range['lr']}"
    for k, name, color in (("plot_loss", "loss (all data)", "#A5A5A5"), ("plot_smooth", "smoothed loss", "#2E75B6")):
        chart.add_series({"name": name, "categories": lr_range,
                          "values": f"=lr_find!{a1(FIRST, plot[k], True, True)}:{a1(last, plot[k], True, True)}",
                          "line": {"color": color, "width": 2.25}, "marker": {"type": "none"}})
    chart.set_title({"name": "lr_find: loss against the learning rate"})
    # x up to a decade past the stop (fixed when built: after editing the inputs, widen it in the chart's axis)
    x_max = 10.0 ** math.ceil(math.log10(res["last_lr"])) if res["last_lr"] == res["last_lr"] else h["end_lr"]
    chart.set_x_axis({"name": "learning rate (log scale)", "log_base": 10, "min": h["start_lr"],
                      "max": min(h["end_lr"], x_max), "num_format": "0E+0"})
    chart.set_y_axis({"name": "loss (log scale)", "log_base": 10})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 640, "height": 380})
    s.ws.insert_chart(HEADER + len(results) + 1, rc0, chart)
    return found
