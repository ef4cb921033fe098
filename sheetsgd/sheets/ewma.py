"""graddesc.xlsx's ewma sheet: an exponentially weighted moving average, and its bias correction
(what momentum and Adam do to the gradients). The NumPy twin is models.optim_more.ewma_series."""
from .. import writer
from ..models import optim_more as om
from ..writer import a1
from .steps import FIRST, HEADER


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
        s.input((r, 1), v, "0.00")
        prev = "avg0" if i == 0 else a1(r - 1, 2)
        s.formula((r, 2), f"={prev}*beta+(1-beta)*{a1(r, 1)}", out["avg"][i], "0.0000")
        s.formula((r, 3), f"=1-beta^{a1(r, 0)}", out["correction"][i], "0.0000")
        s.formula((r, 4), f"={a1(r, 2)}/{a1(r, 3)}", out["corrected"][i], "0.0000",
                  style="result" if i < 3 else "formula")
    last = FIRST + len(values) - 1
    s.text("G4", "first value", "label")
    s.formula("H4", f"={a1(FIRST, 1)}", values[0], "0.0000")
    s.text("G5", "corrected avg at t=1", "label")
    s.formula("H5", f"={a1(FIRST, 4)}", out["corrected"][0], "0.0000", style="result")
    s.text("G6", "avg at t=1 (no correction)", "label")
    s.formula("H6", f"={a1(FIRST, 2)}", out["avg"][0], "0.0000")
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
