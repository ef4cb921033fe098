"""graddesc.xlsx, continued: what PyTorch and fastai do beyond the lecture's five sheets.

Sheets (after compare): ewma, sgd_torch, adam_torch, one_cycle, lr_find, discriminative_lr.
Their NumPy twins are in sheetsgd.models.optim_more; every formula cell carries the value its twin
computed, and `sheetsgd check` compares the two. The layout follows the lecture's sheets (see
sheets/graddesc.py): title and notes on top, yellow inputs (named cells), the step table from row 8
with one row per step, the results in green, an epoch table and charts to the right.

Columns are written as in graddesc.py: (key, header, formula, meaning) with {key} for this row's
cell, {key^} for the row above's (or the start cell on the first row), {d} the data row, and for
the step sheets {lr} and {beta1}: a name, or (one_cycle) this row's scheduled value.
"""
import math

from .. import writer
from ..formula.values import NA
from ..models import optim_more as om
from ..writer import a1
from . import graddesc as sg

FIRST, HEADER, DATA_FIRST = sg.FIRST, sg.HEADER, sg.DATA_FIRST
MARK = '"' + om.SKIPPED + '"'    # what a skipped row shows
# (their lines on the about sheet are in graddesc.about_sheet)
SHEETS = ("ewma", "sgd_torch", "adam_torch", "one_cycle", "lr_find", "discriminative_lr")


# The lecture's per-row columns (x, y, b, a, pred, gradients) and squared error, shared with graddesc.py.
_HEAD, _ERR2 = sg._HEAD, sg._ERR2

SGD_TORCH = _HEAD + [
    ("buf_b", "buf de/db", "={buf_b^}*momentum+{dedb}", "PyTorch's buffer mu*buf + g (a sum, not an average)"),
    ("buf_a", "buf de/da", "={buf_a^}*momentum+{deda}", "the same for a"),
    ("new_b", "new b", "={b}-{lr}*{buf_b}", "step lr*buf"),
    ("new_a", "new a", "={a}-{lr}*{buf_a}", "step lr*buf"),
    _ERR2,
]

ADAM_TORCH = _HEAD + [
    ("m_b", "avg de/db", "={m_b^}*{beta1}+(1-{beta1})*{dedb}", "m: EWMA of de/db"),
    ("m_a", "avg de/da", "={m_a^}*{beta1}+(1-{beta1})*{deda}", "m: EWMA of de/da"),
    ("v_b", "avg de/db^2", "={v_b^}*beta2+(1-beta2)*{dedb}^2", "v: EWMA of (de/db)^2"),
    ("v_a", "avg de/da^2", "={v_a^}*beta2+(1-beta2)*{deda}^2", "v: EWMA of (de/da)^2"),
    ("mh_b", "m^ b", "={m_b}/(1-{beta1}^{t})", "bias-corrected m = m/(1-beta1^t)"),
    ("mh_a", "m^ a", "={m_a}/(1-{beta1}^{t})", "bias-corrected m"),
    ("vh_b", "v^ b", "={v_b}/(1-beta2^{t})", "bias-corrected v = v/(1-beta2^t)"),
    ("vh_a", "v^ a", "={v_a}/(1-beta2^{t})", "bias-corrected v"),
    ("new_b", "new b", "={b}-{lr}*{mh_b}/(SQRT({vh_b})+eps)", "step lr*m^/(sqrt(v^)+eps)"),
    ("new_a", "new a", "={a}-{lr}*{mh_a}/(SQRT({vh_a})+eps)", "step lr*m^/(sqrt(v^)+eps)"),
    _ERR2,
]

# fastai v1's annealing_cos(start, end, pct) = end + (start-end)/2*(cos(pi*pct)+1), i = t-1 iterations done.
_PHASE1 = "PI()*({t}-1)/MAX(warmup,1)"
_PHASE2 = "PI()*({t}-1-warmup)/(n_steps-warmup)"
ONE_CYCLE_LR = (f"=IF({{t}}-1<=warmup,lr_max+(low_lr-lr_max)/2*(COS({_PHASE1})+1),"
                f"final_lr+(lr_max-final_lr)/2*(COS({_PHASE2})+1))")
ONE_CYCLE_MOM = (f"=IF({{t}}-1<=warmup,mom_min+(mom_max-mom_min)/2*(COS({_PHASE1})+1),"
                 f"mom_max+(mom_min-mom_max)/2*(COS({_PHASE2})+1))")

STEP_SHEETS = {
    "sgd_torch": {
        "columns": SGD_TORCH, "start": {"buf_b": 0.0, "buf_a": 0.0},
        "title": "sgd_torch: PyTorch's SGD with momentum, on the lecture's data",
        "notes": [
            "torch.optim.SGD(momentum=0.9): buf = momentum*buf + g, then w -= lr*buf (no dampening). The lecture's "
            "momentum sheet averages instead: m = beta*m + (1-beta)*g, so buf = m/(1-beta), 10x larger.",
            "Hence lr 1e-5 here = lr 1e-4 there: the same steps, and the same RMSE per epoch (to rounding: "
            "compare the two RMSE columns). Moving a lecture lr to PyTorch: multiply by (1-beta).",
        ],
        "hyper": {"lr": "lr", "momentum": "momentum"},
        "lecture": "momentum",
    },
    "adam_torch": {
        "columns": ADAM_TORCH, "start": {"m_b": 0.0, "m_a": 0.0, "v_b": 0.0, "v_a": 0.0},
        "title": "adam_torch: PyTorch's Adam (bias correction, eps), on the lecture's data",
        "notes": [
            "torch.optim.Adam: the lecture's averages m and v start at 0, so early on they are too small; dividing "
            "by 1-beta^t (t = step count) corrects that, and eps (1e-8) keeps the step finite when v is ~0.",
            "lr 1, the lecture's: there its adam sheet circles the answer at RMSE ~18 (so it runs at 0.03, RMSE "
            "beside); this one lands, mostly thanks to beta2 0.999 (not 0.9): v remembers the early large "
            "gradients, so the steps shrink.",
        ],
        "hyper": {"lr": "lr", "beta1": "beta1", "beta2": "beta2", "eps": "eps"},
        "lecture": "adam",
    },
    "one_cycle": {
        "columns": ADAM_TORCH, "start": {"m_b": 0.0, "m_a": 0.0, "v_b": 0.0, "v_a": 0.0},
        "title": "one_cycle: fastai's fit_one_cycle schedule on PyTorch's Adam",
        "notes": [
            "lr rises from lr_max/div to lr_max over the first pct (30%) of the steps, then falls to lr_max/final_div, "
            "both by half a cosine; beta1 (momentum) falls 0.95 -> 0.85 and rises back (fastai v1).",
            "Big steps in the middle move fast, tiny ones at the end settle: compare with adam_torch at a constant "
            "lr of the same size. The schedule's formulas are the lr and beta1 columns.",
        ],
        "hyper": {"lr_max": "lr_max", "pct": "pct", "div": "div", "final_div": "final_div", "mom_max": "mom_max",
                  "mom_min": "mom_min", "beta2": "beta2", "eps": "eps"},
        "lecture": "adam_torch",
    },
}


def add_sheets(wb, x, y, runs, tables, epochs, seed, start):
    """graddesc.build's hook: write this module's sheets after compare. runs/tables: graddesc's."""
    st = {"a": start["a"], "b": start["b"]}
    more = {name: om.run(name, x, y, epochs, start=st) for name in STEP_SHEETS}
    ewma_sheet(wb, seed)
    tables = dict(tables)
    for name in STEP_SHEETS:
        lecture = STEP_SHEETS[name]["lecture"]
        lecture_run = more[lecture] if lecture in more else runs[lecture]
        tables[name] = step_sheet(wb, more[name], epochs, tables[lecture], lecture, lecture_run)
    lr_find_sheet(wb, x, y, st)
    discriminative_sheet(wb)
    return more


# -- ewma ---------------------------------------------------------------------------------------------

def ewma_sheet(wb, seed):
    h = om.hyper("ewma")
    values = writer.stored(om.noisy_series(om.EWMA_POINTS, seed))
    s = wb.sheet("ewma")
    s.title("A1", "ewma: an exponentially weighted moving average, and its bias correction")
    s.note("A2", "avg = beta*avg + (1-beta)*value: each point adds a (1-beta) share, older ones fade by beta per step "
                 "(momentum and Adam average the gradients this way).")
    s.note("A3", "avg starts at 0, so its first values are too small (it has seen only 1-beta^t of real data): "
                 "dividing by 1-beta^t removes that bias (a constant series gives exactly the constant).")
    s.text("B4", "beta", "label")
    beta = s.input("C4", h["beta"])
    s.define_name("beta", "ewma!$C$4")
    s.text("B5", "start avg", "label")
    avg0 = s.input("C5", h["start"])
    s.define_name("avg0", "ewma!$C$5")
    out = om.ewma_series(values, beta, avg0)
    heads = ["t", "value", "avg", "1-beta^t", "corrected avg"]
    for j, head in enumerate(heads):
        s.header((HEADER, j), head)
    s.note((HEADER - 1, 1), f"values: seeded noise (seed {seed}) around a slow wave")
    for i, v in enumerate(values):
        r = FIRST + i
        s.number((r, 0), i + 1, style="rowhead")
        s.input((r, 1), v)
        prev = "avg0" if i == 0 else a1(r - 1, 2)
        s.formula((r, 2), f"={prev}*beta+(1-beta)*{a1(r, 1)}", out["avg"][i], "0.0000")
        s.formula((r, 3), f"=1-beta^{a1(r, 0)}", out["correction"][i], "0.0000")
        s.formula((r, 4), f"={a1(r, 2)}/{a1(r, 3)}", out["corrected"][i], "0.0000",
                  style="result" if i < 3 else "formula")
    last = FIRST + len(values) - 1
    s.text("G4", "first value", "label")
    s.formula("H4", f"={a1(FIRST, 1)}", values[0])
    s.text("G5", "corrected avg at t=1", "label")
    s.formula("H5", f"={a1(FIRST, 4)}", out["corrected"][0], style="result")
    s.text("G6", "avg at t=1 (no correction)", "label")
    s.formula("H6", f"={a1(FIRST, 2)}", out["avg"][0])
    s.widths(0, 0, 6)
    s.widths(1, 4, 13)
    s.widths(5, 5, 3)
    s.widths(6, 6, 26)
    s.freeze((FIRST, 1))

    chart = wb.chart("scatter", "straight")
    t_range = f"=ewma!{a1(FIRST, 0, True, True)}:{a1(last, 0, True, True)}"
    for j, name, line in ((1, "value", None), (2, "avg (no correction)", "#C00000"), (4, "corrected avg", "#00B050")):
        series = {"name": name, "categories": t_range,
                  "values": f"=ewma!{a1(FIRST, j, True, True)}:{a1(last, j, True, True)}"}
        if line is None:
            series.update({"line": {"none": True}, "marker": {"type": "circle", "size": 4,
                                                               "fill": {"color": "#7F7F7F"}, "border": {"none": True}}})
        else:
            series.update({"line": {"color": line, "width": 2.25}, "marker": {"type": "none"}})
        chart.add_series(series)
    chart.set_title({"name": f"EWMA, beta {beta:g}: without correction it starts near 0"})
    chart.set_x_axis({"name": "t", "min": 0, "max": len(values)})
    chart.set_y_axis({"name": "value", "min": 0})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 640, "height": 380})
    s.ws.insert_chart(FIRST, 6, chart)
    return s


# -- sgd_torch, adam_torch, one_cycle: one step per row ----------------------------------------------

def step_sheet(wb, run, epochs, lecture_table, lecture, lecture_run):
    """A step table as the lecture's optimizer sheets, with PyTorch's step count t (and, for
    one_cycle, the scheduled lr and beta1 per row); the epoch table beside the lecture sheet's RMSE."""
    name = run.optimizer
    spec = STEP_SHEETS[name]
    cols = spec["columns"]
    nrows = len(run.x)
    s = wb.sheet(name)
    s.title("A1", spec["title"])
    s.note("A2", spec["notes"][0])
    s.note("A3", spec["notes"][1])
    s.text("B4", "start b", "label")
    s.input("C4", run.start["b"])
    s.text("B5", "start a", "label")
    s.input("C5", run.start["a"])
    start_cells = {"new_b": "$C$4", "new_a": "$C$5"}
    for k in spec["start"]:
        start_cells[k] = "0"          # PyTorch's state starts at zero: a constant in the first row
    for i, (k, label) in enumerate(spec["hyper"].items()):
        r, c = 3 + i % 2, 4 + 3 * (i // 2)
        s.text((r, c), label, "label")
        s.input((r, c + 1), run.hyper[k])
        s.define_name(k, f"{name}!{a1(r, c + 1, True, True)}")

    cycle = name == "one_cycle"
    lead = ["epoch", "step", "t"] + (["lr", "beta1"] if cycle else [])
    where = {k: len(lead) + j for j, (k, *_) in enumerate(cols)}
    where["t"] = 2
    if cycle:
        where["lr"], where["beta1"] = 3, 4
    ncols = len(lead) + len(cols)
    for j, head in enumerate(lead):
        s.header((HEADER, j), head)
    for k, head, _, _ in cols:
        s.header((HEADER, where[k]), head)

    e0 = ncols + 1
    ecols = ["epoch", "RMSE", "a", "b", "lr", f"{lecture} RMSE"]
    ec = {k: e0 + j for j, k in enumerate(ecols)}
    for k in ecols:
        s.header((HEADER, ec[k]), k)

    n = 0
    for e in range(epochs):
        for i in range(nrows):
            r = FIRST + n
            s.number((r, 0), e + 1, style="rowhead")
            s.number((r, 1), i + 1, style="rowhead")
            s.number((r, 2), n + 1, style="rowhead")
            refs = {k: a1(r, c) for k, c in where.items()}
            for k in where:
                refs[k + "^"] = a1(r - 1, where[k]) if n else start_cells.get(k)
            refs["d"] = DATA_FIRST + i + 1
            if cycle:
                s.formula((r, 3), ONE_CYCLE_LR.format_map(refs), run.rows["lr"][n])
                s.formula((r, 4), ONE_CYCLE_MOM.format_map(refs), run.rows["beta1"][n])
            else:
                refs["lr"], refs["beta1"] = "lr", "beta1"
            for k, _, f, _ in cols:
                s.formula((r, where[k]), f.format_map(refs), run.rows[k][n])
            n += 1
        first, last = FIRST + e * nrows, FIRST + (e + 1) * nrows - 1
        r = FIRST + e
        s.number((r, ec["epoch"]), e + 1, style="rowhead")
        s.formula((r, ec["RMSE"]), f"=SQRT(AVERAGE({a1(first, where['err2'])}:{a1(last, where['err2'])}))",
                  run.epochs["rmse"][e])
        s.formula((r, ec["a"]), f"={a1(last, where['new_a'])}", run.epochs["a"][e])
        s.formula((r, ec["b"]), f"={a1(last, where['new_b'])}", run.epochs["b"][e])
        s.formula((r, ec["lr"]), f"={a1(last, 3)}" if cycle else "=lr", run.epochs["lr"][e])
        s.formula((r, ec[f"{lecture} RMSE"]), f"={writer.quote_sheet(lecture)}!{lecture_table['RMSE'][e]}",
                  lecture_run.epochs["rmse"][e])

    last_e = FIRST + epochs - 1
    s.text((3, e0), f"after {epochs} epochs:", "label")
    for j, k in enumerate(("RMSE", "a", "b")):
        s.text((4, e0 + 1 + j), k, "label")
        s.formula((5, e0 + 1 + j), f"={a1(last_e, ec[k])}", run.epochs[{"RMSE": "rmse"}.get(k, k)][-1],
                  style="result")
    s.ws.conditional_format(FIRST, 0, FIRST + n - 1, ncols - 1, {
        "type": "formula", "criteria": f"=MOD({a1(FIRST, 0, False, True)},2)=0",
        "format": wb.wb.add_format({"bg_color": "#F2F2F2"})})
    s.widths(0, 2, 6)
    s.widths(3, ncols - 1, 11)
    s.widths(ncols, ncols, 3)
    s.widths(e0, e0 + len(ecols) - 1, 12)
    s.widths(e0 + len(ecols) - 1, e0 + len(ecols) - 1, 16)
    s.freeze((FIRST, 3))

    chart_col = e0 + len(ecols) + 1
    chart = wb.chart("scatter", "straight")     # a numeric epoch axis: readable ticks at any length
    cat = f"={name}!{a1(FIRST, ec['epoch'], True, True)}:{a1(last_e, ec['epoch'], True, True)}"
    for k, color in (("RMSE", "#2E75B6"), (f"{lecture} RMSE", "#A5A5A5")):
        chart.add_series({"name": f"{name} RMSE" if k == "RMSE" else k, "categories": cat,
                          "values": f"={name}!{a1(FIRST, ec[k], True, True)}:{a1(last_e, ec[k], True, True)}",
                          "marker": {"type": "none"},
                          "line": {"width": 2, "color": color, **({"dash_type": "dash"} if k != "RMSE" else {})}})
    chart.set_title({"name": f"RMSE per epoch (log scale)"})
    chart.set_x_axis({"name": "epoch", "min": 0, "max": epochs})
    chart.set_y_axis({"name": "RMSE", "log_base": 10})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 560, "height": 320})
    s.ws.insert_chart(FIRST, chart_col, chart)
    if cycle:
        schedule_block(wb, s, run, n, chart_col)
    return {k: [a1(FIRST + e, ec[k], True, True) for e in range(epochs)] for k in ("RMSE", "a", "b", "lr")}


def schedule_block(wb, s, run, n, col):
    """one_cycle's derived cells (warm-up steps, lowest lrs), a calculator at step t, and the chart."""
    h = run.hyper
    n_steps = float(n)
    r0 = FIRST + 18          # below the RMSE chart
    s.text((r0, col), "the schedule", "label")
    s.text((r0 + 1, col), "total steps", "label")
    s.input((r0 + 1, col + 1), n_steps)
    s.define_name("n_steps", f"one_cycle!{a1(r0 + 1, col + 1, True, True)}")
    warm = om.warmup_steps(n_steps, h["pct"])
    derived = [("warmup", "warm-up steps", "=INT(n_steps*pct)", warm),
               ("low_lr", "start lr", "=lr_max/div", writer.stored(h["lr_max"]) / h["div"]),
               ("final_lr", "final lr", "=lr_max/final_div", h["lr_max"] / h["final_div"])]
    for j, (nm, label, f, v) in enumerate(derived):
        r = r0 + 2 + j
        s.text((r, col), label, "label")
        s.formula((r, col + 1), f, v)
        s.define_name(nm, f"one_cycle!{a1(r, col + 1, True, True)}")
    # the schedule at a few steps t: fastai's start, peak and end, and any t the student types
    r = r0 + 6
    for j, head in enumerate(("at step t", "t", "lr", "beta1")):
        s.header((r, col + j), head)
    points = [("start", "=1", 1.0), ("peak", "=warmup+1", warm + 1), ("after the last", "=n_steps+1", n_steps + 1),
              ("your t", None, 1000.0)]
    for j, (label, f, t) in enumerate(points):
        rr = r + 1 + j
        s.text((rr, col), label, "label")
        if f is None:
            s.input((rr, col + 1), t)
            s.define_name("step_t", f"one_cycle!{a1(rr, col + 1, True, True)}")
        else:
            s.formula((rr, col + 1), f, t)
        lr, mom = om.one_cycle_at(t, n_steps, h)
        refs = {"t": a1(rr, col + 1)}
        s.formula((rr, col + 2), ONE_CYCLE_LR.format_map(refs), lr, style="result")
        s.formula((rr, col + 3), ONE_CYCLE_MOM.format_map(refs), mom, style="result")
    s.widths(col, col, 14)

    chart = wb.chart("scatter", "straight")
    last = FIRST + n - 1
    cat = f"=one_cycle!{a1(FIRST, 2, True, True)}:{a1(last, 2, True, True)}"
    for c, series, color in ((3, "lr", "#2E75B6"), (4, "beta1 (right axis)", "#ED7D31")):
        chart.add_series({"name": series, "categories": cat,
                          "values": f"=one_cycle!{a1(FIRST, c, True, True)}:{a1(last, c, True, True)}",
                          "line": {"width": 2.25, "color": color}, "marker": {"type": "none"}, "y2_axis": c == 4})
    chart.set_title({"name": "fit_one_cycle: lr and beta1 per step"})
    chart.set_x_axis({"name": "step t", "min": 0, "max": n})
    chart.set_y_axis({"name": "lr", "min": 0})
    chart.set_y2_axis({"name": "beta1", "min": 0.8, "max": 1.0})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 560, "height": 320})
    s.ws.insert_chart(r0 + 12, col, chart)


# -- lr_find ------------------------------------------------------------------------------------------

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
    names = {"start_lr": "start lr", "end_lr": "end lr", "num_it": "num_it", "beta": "beta",
             "stop_at": "stop at x best"}
    for i, (k, label) in enumerate(names.items()):
        r, c = 3 + i % 2, 4 + 3 * (i // 2)
        s.text((r, c), label, "label")
        s.input((r, c + 1), h[k])
        s.define_name(k, f"lr_find!{a1(r, c + 1, True, True)}")
    s.text("B4", "start b", "label")
    s.input("C4", start["b"])
    s.text("B5", "start a", "label")
    s.input("C5", start["a"])
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
            refs[k + "^"] = a1(r - 1, c) if i else {"new_b": "$C$4", "new_a": "$C$5"}.get(k)
        refs["d"] = DATA_FIRST + 1 + i % npts
        s.formula((r, 1), f"=start_lr*(end_lr/start_lr)^({refs['i']}/num_it)", found["lr"][i])
        for k, _, f, _ in LR_FIND:
            if i == 0:
                f = FIRST_ROW.get(k, f)
            f = f.format_map(refs)
            if i and k not in ("x", "y"):           # after the stop: "-" (and stopped? stays TRUE)
                f = f"=IF({refs['stop^']},{'TRUE' if k == 'stop' else MARK},{f[1:]})"
            s.formula((r, where[k]), f, found[k][i])
        for k, c in plot.items():
            src = refs[k.split("_")[1] if k == "plot_loss" else "smooth"]
            f = f"={src}" if i == 0 else f"=IF({refs['stop^']},NA(),{src})"
            v = found[k][i]
            s.formula((r, c), f, NA if v is None else v)
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
        s.formula((HEADER + j, rc0 + 1), f, v, num_format="0.00E+00" if "lr" in label else None, style="result")
    s.ws.conditional_format(FIRST, 0, last, plot["plot_smooth"], {
        "type": "formula", "criteria": f"={a1(FIRST, where['stop'], False, True)}=TRUE",
        "format": wb.wb.add_format({"font_color": "#A6A6A6"})})
    s.widths(0, 0, 5)
    s.widths(1, plot["plot_smooth"], 11)
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


# -- discriminative_lr ----------------------------------------------------------------------------------

def discriminative_sheet(wb):
    h = om.hyper("discriminative_lr")
    out = om.discriminative()
    s = wb.sheet("discriminative_lr")
    s.title("A1", "discriminative_lr: one learning rate per layer group")
    s.note("A2", "fit(lr=slice(start, stop)): the groups' lrs are spaced evenly on a log scale, "
                 "start*(stop/start)^((i-1)/(n-1)): "
                 "early layers (general features, pretrained) move slowly, the head fast.")
    s.note("A3", "slice(stop): the last group gets stop, the others stop/3 (fastai v1 at the time of the lesson; "
                 "later versions /10). A plain number: every group the same lr.")
    labels = {"n_groups": "layer groups", "start": "slice start", "stop": "slice stop", "lr": "plain lr",
              "other_div": "slice(stop): others stop /"}
    names = {"n_groups": "n_groups", "start": "lr_start", "stop": "lr_stop", "lr": "lr", "other_div": "other_div"}
    for i, (k, label) in enumerate(labels.items()):
        r = 3 + i
        s.text((r, 1), label, "label")
        s.input((r, 2), h[k])
        s.define_name(names[k], f"discriminative_lr!{a1(r, 2, True, True)}")
    top = 10
    heads = ["group", "slice(start, stop)", "slice(stop)", "lr (a number)"]
    for j, head in enumerate(heads):
        s.header((top, j), head)
    f_range = "=IF({i}>n_groups,\"-\",IF(n_groups=1,lr_stop,lr_start*(lr_stop/lr_start)^(({i}-1)/(n_groups-1))))"
    f_stop = "=IF({i}>n_groups,\"-\",IF({i}=n_groups,lr_stop,lr_stop/other_div))"
    f_single = "=IF({i}>n_groups,\"-\",lr)"
    for i in range(om.MAX_GROUPS):
        r = top + 1 + i
        s.number((r, 0), i + 1, style="rowhead")
        refs = {"i": a1(r, 0)}
        for j, (f, k) in enumerate(((f_range, "slice_range"), (f_stop, "slice_stop"), (f_single, "single"))):
            s.formula((r, 1 + j), f.format_map(refs), out[k][i], num_format="0.00E+00", style="result")
    s.note((top + om.MAX_GROUPS + 2, 0),
           "One group: fastai's even_mults divides by n-1 = 0 and fails; here the group gets stop.")
    s.widths(0, 0, 8)
    s.widths(1, 1, 26)
    s.widths(2, 3, 16)
    s.freeze((top + 1, 0))
    return s
