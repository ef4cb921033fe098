"""graddesc.xlsx's sgd_torch, adam_torch and one_cycle: PyTorch's optimizers and fastai's schedule,
on the lecture's data, laid out as the lecture's optimizer sheets (sheets/steps.py).

Each column is (key, header, formula, meaning); the NumPy twins are in models.optim_more
(run.rows[key] per step). Beyond the lecture's {key}, {key^}, {d}: {t} is PyTorch's step count,
{lr} and {beta1} a name, or (one_cycle) this row's scheduled value.
"""
from .. import writer
from ..models import optim_more as om
from ..writer import a1
from . import steps
from .steps import ERR2, FIRST, HEAD, HEADER

SGD_TORCH = HEAD + [
    ("buf_b", "buf de/db", "={buf_b^}*momentum+{dedb}", "PyTorch's buffer mu*buf + g (a sum, not an average)"),
    ("buf_a", "buf de/da", "={buf_a^}*momentum+{deda}", "the same for a"),
    ("new_b", "new b", "={b}-{lr}*{buf_b}", "step lr*buf"),
    ("new_a", "new a", "={a}-{lr}*{buf_a}", "step lr*buf"),
    ERR2,
]

ADAM_TORCH = HEAD + [
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
    ERR2,
]

# fastai v1's annealing_cos(start, end, pct) = end + (start-end)/2*(cos(pi*pct)+1), i = t-1 iterations done.
_PHASE1 = "PI()*({t}-1)/MAX(warmup,1)"
_PHASE2 = "PI()*({t}-1-warmup)/(n_steps-warmup)"
ONE_CYCLE_LR = (f"=IF({{t}}-1<=warmup,lr_max+(low_lr-lr_max)/2*(COS({_PHASE1})+1),"
                f"final_lr+(lr_max-final_lr)/2*(COS({_PHASE2})+1))")
ONE_CYCLE_MOM = (f"=IF({{t}}-1<=warmup,mom_min+(mom_max-mom_min)/2*(COS({_PHASE1})+1),"
                 f"mom_max+(mom_min-mom_max)/2*(COS({_PHASE2})+1))")
# one_cycle's schedule, two columns before Adam's: this step's lr and beta1.
SCHEDULE = [
    ("lr", "lr", ONE_CYCLE_LR, "lr: up from lr_max/div to lr_max by half a cosine, then down to lr_max/final_div"),
    ("beta1", "beta1", ONE_CYCLE_MOM, "momentum: down from mom_max to mom_min, then back up"),
]

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
            "lr 0.1: it lands, mostly thanks to beta2 0.999 (not 0.9): v remembers the early large gradients, so "
            "the steps shrink. At the lecture's lr 1 it lands too, but then circles chaotically (eps is tiny).",
        ],
        "hyper": {"lr": "lr", "beta1": "beta1", "beta2": "beta2", "eps": "eps"},
        "lecture": "adam",
    },
    "one_cycle": {
        "columns": SCHEDULE + ADAM_TORCH, "start": {"m_b": 0.0, "m_a": 0.0, "v_b": 0.0, "v_a": 0.0},
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
    start_cells = steps.start_inputs(s, run.start)
    for k in spec["start"]:
        start_cells[k] = "0"          # PyTorch's state starts at zero: a constant in the first row
    steps.named_inputs(s, spec["hyper"], run.hyper, 4)

    cycle = name == "one_cycle"
    lead = ["epoch", "step", "t"]
    where = {k: len(lead) + j for j, (k, *_) in enumerate(cols)}
    where["t"] = 2
    ncols = len(lead) + len(cols)
    steps.headers(s, lead, cols, where)

    e0 = ncols + 1
    ecols = steps.EPOCH[:4] + [("lr", "lr", "={last lr}" if cycle else "=lr", "lr"),
                               (f"{lecture} RMSE", f"{lecture} RMSE", "={lecture_rmse}", "lecture_rmse")]
    ec = {k: e0 + j for j, (k, *_) in enumerate(ecols)}
    for k, head, _, _ in ecols:
        s.header((HEADER, ec[k]), head)

    n = steps.step_rows(s, cols, where, run.rows, nrows, epochs, start_cells, {"lr": "lr", "beta1": "beta1"},
                        count=True)
    values = dict(run.epochs, lecture_rmse=lecture_run.epochs["rmse"])
    steps.epoch_rows(s, ecols, ec, epochs, nrows, where, values,
                     extra=lambda e: {"lecture_rmse": f"{writer.quote_sheet(lecture)}!{lecture_table['RMSE'][e]}"})
    steps.results_on_top(s, e0, epochs, ec, run)
    steps.shade_epochs(s, n, ncols)
    s.widths(0, 2, 6)
    s.widths(3, ncols - 1, 11)
    s.widths(ncols, ncols, 3)
    s.widths(e0, e0 + len(ecols) - 1, 12)
    s.widths(e0 + len(ecols) - 1, e0 + len(ecols) - 1, 16)
    s.freeze((FIRST, 3))

    last_e = FIRST + epochs - 1
    chart_col = e0 + len(ecols) + 1
    chart = wb.chart("scatter", "straight")     # a numeric epoch axis: readable ticks at any length
    cat = f"={name}!{a1(FIRST, ec['epoch'], True, True)}:{a1(last_e, ec['epoch'], True, True)}"
    for k, color in (("RMSE", "#2E75B6"), (f"{lecture} RMSE", "#A5A5A5")):
        chart.add_series({"name": f"{name} RMSE" if k == "RMSE" else k, "categories": cat,
                          "values": f"={name}!{a1(FIRST, ec[k], True, True)}:{a1(last_e, ec[k], True, True)}",
                          "marker": {"type": "none"},
                          "line": {"width": 2, "color": color, **({"dash_type": "dash"} if k != "RMSE" else {})}})
    chart.set_title({"name": "RMSE per epoch (log scale)"})
    chart.set_x_axis({"name": "epoch", "min": 0, "max": epochs})
    chart.set_y_axis({"name": "RMSE", "log_base": 10})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 560, "height": 320})
    s.ws.insert_chart(FIRST, chart_col, chart)
    if cycle:
        schedule_block(wb, s, run, n, chart_col)
    return steps.epoch_cells(ec, epochs)


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
    derived = [("warmup", "warm-up steps", "=ROUND(n_steps*pct,0)", warm),
               ("low_lr", "start lr", "=lr_max/div", writer.stored(h["lr_max"]) / h["div"]),
               ("final_lr", "final lr", "=lr_max/final_div", h["lr_max"] / h["final_div"])]
    for j, (nm, label, f, v) in enumerate(derived):
        r = r0 + 2 + j
        s.text((r, col), label, "label")
        s.formula((r, col + 1), f, v, "0" if nm == "warmup" else "0.00E+00")
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
            s.formula((rr, col + 1), f, t, "0")
        lr, mom = om.one_cycle_at(t, n_steps, h)
        refs = {"t": a1(rr, col + 1)}
        s.formula((rr, col + 2), ONE_CYCLE_LR.format_map(refs), lr, "0.00E+00", style="result")
        s.formula((rr, col + 3), ONE_CYCLE_MOM.format_map(refs), mom, "0.000", style="result")
    s.widths(col, col, 14)
    s.widths(col + 1, col + 3, 11)

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
