"""neuralnet.xlsx's fine_tune sheet: transfer learning as lesson 5 explains it.

The body is net_valid's trained first layer; its head is thrown away and a new one put in: two new
weight matrices with a ReLU between them, sized for the new task (odd or even?). One SGD step on the
new task's first mini-batch as cells: the batch's forward and backward pass (a table of blocks as on
net_step, sheets/sgd_step.py's loss blocks), then one band per weight matrix (sheets/param_bands.py)
written as FT_BAND below: [W | gradient | frozen: update, new W | unfrozen: update, new W]. The layer
groups' learning rates on top: frozen, the body's is 0; unfrozen, slice(lo, hi) by the
discriminative_lr sheet's rule. Beside them, NumPy's accuracies on the new task. The twins:
models.fine_tune (run, sheet_step) and models.layers.
"""

from .. import writer
from ..models import fine_tune as ft
from ..writer import a1
from . import param_bands as pb
from .blocks import GRAD, NUM, Blocks, bold, rng, section
from .digits import weights_scale
from .sgd_step import LOSS, fill, heads_of

CLASS_HEADS = [0, 1]        # 0 = even, 1 = odd (the one-hot compares the class with these heads)
HEAD = "head"               # the new head's hidden units: heads g1, g2, ...

FT_FORWARD = [
    ("z1", "body: hidden = MMULT(x, W1) + b1", "hidden", "{{=MMULT({x$ all},{W1})+{b1}}}", NUM, "z[0]"),
    ("a1", "ReLU = MAX(0, hidden)", "hidden", "=MAX(0,{z1})", NUM, "a[0]"),
    ("z2", "new head: MMULT(ReLU, W2) + b2", HEAD, "{{=MMULT({a1$ all},{W2})+{b2}}}", NUM, "z[1]"),
    ("a2", "ReLU", HEAD, "=MAX(0,{z2})", NUM, "a[1]"),
    ("z", "logits = MMULT(ReLU, W3) + b3", CLASS_HEADS, "{{=MMULT({a2$ all},{W3})+{b3}}}", NUM, "z[2]"),
]
# net_step's loss blocks, for two classes and the new task's class
FT_LOSS = [(k, t, CLASS_HEADS if h == "digits" else h, f.replace("{label$}", "{cls$}"), fmt, m)
           for k, t, h, f, fmt, m in LOSS]
FT_BACKWARD = [
    ("da2", "d loss/d ReLU = MMULT(dlogits, TRANSPOSE(W3))", HEAD, "{{=MMULT({dz$ all},TRANSPOSE({W3}))}}", GRAD,
     "da[1]"),
    ("dz2", "d loss/d z2 = IF(z2 > 0, d ReLU, 0)", HEAD, "=IF({z2}>0,{da2},0)", GRAD, "dz[1]"),
    ("da1", "d loss/d body ReLU = MMULT(dz2, TRANSPOSE(W2))", "hidden", "{{=MMULT({dz2$ all},TRANSPOSE({W2}))}}",
     GRAD, "da[0]"),
    ("dz1", "d loss/d hidden = IF(hidden > 0, d ReLU, 0)", "hidden", "=IF({z1}>0,{da1},0)", GRAD, "dz[0]"),
]
CLS = ("cls", "odd? MOD(digit,2)", ["1 = odd"], "=MOD({label$},2)", "0", "the new task's class: 0 even, 1 odd")

# (key, block title, formula of the matrix rows, of the bias row, number format, meaning);
# {lr frozen} / {lr unfrozen}: this layer group's learning rate under each rule
_UPD_F, _UPD_U = "={lr frozen}*{grad}", "={lr unfrozen}*{grad}"
FT_BAND = [
    ("start", "{w} {whence}, {b} under it", None, None, NUM, "the weights before the step"),
    ("grad", "gradient d loss/d {w}", "{{=MMULT(TRANSPOSE({inputs}),{delta$ all})}}", "=SUM({delta col})", GRAD,
     "as on net_step"),
    ("upd_f", "frozen: update = lr * gradient", _UPD_F, _UPD_F, GRAD, "0 for the body: its lr is 0"),
    ("new_f", "frozen: new {w} = {w} - update", "={start}-{upd_f}", "={start}-{upd_f}", NUM, "the body stays"),
    ("upd_u", "unfrozen: update = lr * gradient", _UPD_U, _UPD_U, GRAD, "each group at its own lr"),
    ("new_u", "unfrozen: new {w} = {w} - update", "={start}-{upd_u}", "={start}-{upd_u}", NUM, "every layer moves"),
]
# the last band is two columns wide: its blocks' titles short enough to fit above them
SHORT_TITLES = {"start": "{w} (new), {b} under", "grad": "gradient", "upd_f": "frozen: lr*g", "new_f": "frozen: new {w}",
                "upd_u": "unfrozen: lr*g", "new_u": "unfrozen: new {w}"}

TITLE = ("fine_tune: transfer learning: keep the trained body, throw away its head, put in a new one; "
         "train the head frozen, then unfreeze")
NOTES = [
    "The body: net_valid's trained first layer (64 pixels -> {hidden} ReLU units), learned from 1,497 labelled digits. "
    "The new task: odd or even? with only {n_images} labelled images ({per_class} of each).",
    "Its old head (Linear({hidden}, 10): one output per digit) is thrown away; in its place two new weight matrices "
    "with a ReLU between them: Linear({hidden}, {head}) -> ReLU -> Linear({head}, 2), random as PyTorch starts them.",
    "Frozen (learn.freeze()): the body's lr is 0, so its update is 0 and its weights stay as they are; only the "
    "head learns. Unfrozen (learn.unfreeze(), fit(lr=slice(lo, hi))): every layer group learns, the body slowest.",
    "Below: one SGD step on the new task's first mini-batch of {bs}, the same gradient under both rules. On the "
    "right, from NumPy: what {frozen} epochs frozen, then {unfrozen} unfrozen, do to the accuracy.",
]
GROUP_LAYERS = ("W1, b1 (the body)", "W2, b2 (new)", "W3, b3 (new)")


def fine_tune_sheet(wb, digits, tuned):
    """tuned: models.fine_tune.run(...). Returns what the sheet shows, for the tests."""
    h, lrs = tuned.hyper, tuned.lrs
    start = [{k: writer.stored(v) for k, v in layer.items()} for layer in tuned.start]
    index = tuned.first_batch
    pixels, labels = digits.pixels[index], digits.labels[index]
    r = ft.sheet_step(start, pixels, labels, lrs)
    n, n_hidden, n_head = len(labels), start[0]["W"].shape[1], start[1]["W"].shape[1]
    s = wb.sheet("fine_tune")
    s.title("A1", TITLE)
    for i, text in enumerate(NOTES):
        s.note((1 + i, 0), text.format(n_images=len(tuned.images), per_class=h["per_class"], head=n_head, hidden=n_hidden,
                                       bs=h["bs"], frozen=h["frozen_epochs"], unfrozen=h["unfrozen_epochs"]))

    # inputs, named: lr of the frozen phase, slice(lo, hi)
    top_in = 7
    for i, (k, label) in enumerate((("lr", "lr (frozen)"), ("lo", "slice lo"), ("hi", "slice hi"))):
        s.text((top_in + i, 0), label, "label")
        s.input((top_in + i, 1), h[k], "0.###")
        s.define_name(k, f"fine_tune!{a1(top_in + i, 1, True, True)}")
    s.text((top_in + 3, 0), "layer groups", "label")
    s.number((top_in + 3, 1), float(len(ft.GROUPS)), "0")
    s.define_name("n_groups", f"fine_tune!{a1(top_in + 3, 1, True, True)}")
    bs_row = top_in + 4
    s.text((bs_row, 0), "batch size", "label")

    # the layer groups' lrs
    gc, gr = 3, top_in - 1
    section(s, (gr - 1, gc), "layer groups' lr: frozen, and unfrozen = lo*(hi/lo)^((group-1)/(groups-1))")
    for j, head in enumerate(("group", "layers", "", "frozen", "unfrozen")):
        if head:
            s.header((gr, gc + j), head)
    lr_cells = {}
    for i, layers in enumerate(GROUP_LAYERS):
        row = gr + 1 + i
        s.number((row, gc), i + 1, "0", "rowhead")
        s.text((row, gc + 1), layers)
        if i == 0:
            s.input((row, gc + 3), 0.0, "0.###")
        else:
            s.formula((row, gc + 3), "=lr", lrs["frozen"][i], "0.###")
        s.formula((row, gc + 4), f"=lo*(hi/lo)^(({a1(row, gc)}-1)/(n_groups-1))", lrs["unfrozen"][i], "0.####")
        lr_cells[i] = {"lr frozen": a1(row, gc + 3, True, True), "lr unfrozen": a1(row, gc + 4, True, True)}
    s.note((gr + 4, gc), "frozen: the body's lr is 0 (learn.freeze()); the head's groups learn at lr.")

    # the batch, below NumPy's table (results(): its title, 4 lines, a gap, heads, one row per epoch)
    top = gr + 7 + h["frozen_epochs"] + h["unfrozen_epochs"]
    section(s, (top, 0), "the new task's first mini-batch, forward and backward: one row per image")
    A = Blocks(s, top + 1, top + 3, n, title_format=bold(s))
    A.add("image", None, ["image"], col=0, gap=False)
    A.add("label", None, ["digit"], col=1, gap=False)
    for i in range(n):
        s.number((A.first + i, 0), int(index[i]), "0", "rowhead")
        s.input((A.first + i, 1), int(labels[i]), "0")
    s.formula((bs_row, 1), f"=COUNT({A.whole('label')})", float(n), "0")
    shapes = [(layer["W"].shape) for layer in start]
    bands, row = [], A.first + n + 2
    for n_in, n_out in shapes:
        bands.append(pb.Band(row, n_in, n_out, FT_BAND))
        row += bands[-1].height
    table = [CLS] + FT_FORWARD + FT_LOSS + FT_BACKWARD + [pb.X, pb.PIXELS]
    for key, title, heads, *_ in table:
        A.add(key, title, head_names(heads, n_head, n_hidden))
    pb.write_pixels(s, A, pixels)
    names = {"bs": a1(bs_row, 1, True, True)}
    for i, band in enumerate(bands):
        names.update({f"W{i + 1}": band.matrix("start"), f"b{i + 1}": band.bias("start")})
    values = {"cls": ft.task_labels(labels), "x": r["x"], "z1": r["z"][0], "a1": r["a"][0], "z2": r["z"][1],
              "a2": r["a"][1], "z": r["z"][2], "exp": r["exp"], "sum": r["sum"], "p": r["p"], "pc": r["p_correct"],
              "nll": r["nll"], "hot": r["one_hot"], "dz": r["dz"][2], "da2": r["da"][1], "dz2": r["dz"][1],
              "da1": r["da"][0], "dz1": r["dz"][0]}
    fill(A, [CLS, pb.X] + FT_FORWARD + FT_LOSS + FT_BACKWARD, values, names)
    s.color_scale(*A.corners("p"))
    weights_scale(s, *A.corners("dz")[0], *A.corners("dz")[1])

    # the bands
    inputs = [A.whole("x"), A.whole("a1"), A.whole("a2")]
    deltas = ["dz1", "dz2", "dz"]
    whence = ["(net_valid's, trained)", "(new: random)", "(new: random)"]
    rows_of = ["pixels", "hidden", HEAD]
    cols_of = ["hidden", HEAD, CLASS_HEADS]
    written = [A]
    for i, band in enumerate(bands):
        w, b = f"W{i + 1}", f"b{i + 1}"
        g = r["grad"][i]
        upd = {rule: {k: lrs[rule][i] * g[k] for k in ("W", "b")} for rule in ("frozen", "unfrozen")}
        new = {rule: r["new"][rule][i] for rule in ("frozen", "unfrozen")}
        vals = {"start": (start[i]["W"], start[i]["b"]), "grad": (g["W"], g["b"]),
                "upd_f": (upd["frozen"]["W"], upd["frozen"]["b"]), "new_f": (new["frozen"]["W"], new["frozen"]["b"]),
                "upd_u": (upd["unfrozen"]["W"], upd["unfrozen"]["b"]),
                "new_u": (new["unfrozen"]["W"], new["unfrozen"]["b"])}
        table_b = [(k, (SHORT_TITLES[k] if band.n_out < 4 else title).format(w=w, b=b, whence=whence[i]), *rest)
                   for k, title, *rest in FT_BAND]
        title = f"group {i + 1}: {w} and {b}, {GROUP_LAYERS[i].split(' (')[-1].rstrip(')')}"
        written.append(pb.write_band(s, band, table_b, title, head_names(rows_of[i], n_head, n_hidden),
                                     head_names(cols_of[i], n_head, n_hidden), vals, dict(lr_cells[i], inputs=inputs[i]),
                                     (A, deltas[i])))

    # NumPy's accuracies on the new task, and per epoch
    results(wb, s, gr - 1, gc + 7, tuned)
    pb.widths(s, written)
    s.widths(0, 0, 13)
    s.widths(1, 1, 7)
    s.freeze((0, 2))
    return {"step": r, "start": start, "bands": bands, "pixels": A.whole("pixels"), "labels": A.whole("label"),
            "lr_cells": lr_cells}


def head_names(spec, n_head, n_hidden):
    """Column heads: the new head's units g1, g2, ..., else as net_step's (pixels, hidden units, a list)."""
    if spec == HEAD:
        return [f"g{j + 1}" for j in range(n_head)]
    return heads_of(spec, n_hidden)


def results(wb, s, top, col, tuned):
    """NumPy's accuracies on the 300 held-out images (odd or even?), and per epoch with a chart."""
    h, acc = tuned.hyper, tuned.accuracy
    section(s, (top, col), "accuracy on odd or even?, the 300 held-out images (NumPy)")
    lines = [("a random head (before)", acc["before"], "formula"),
             (f"head trained {h['frozen_epochs']} epochs, body frozen", acc["head"], "result"),
             (f"then {h['unfrozen_epochs']} epochs unfrozen, slice(lo, hi)", acc["unfrozen"], "result"),
             (f"the same layers from scratch, {h['frozen_epochs'] + h['unfrozen_epochs']} epochs", acc["scratch"],
              "formula")]
    for i, (label, v, style) in enumerate(lines):
        s.text((top + 1 + i, col), label)
        s.number((top + 1 + i, col + 5), v, "0.0%", "result" if style == "result" else "text")
    t0 = top + 6
    for j, head in enumerate(("epoch", "fine-tuned", "scratch")):
        s.header((t0, col + j), head)
    per = tuned.per_epoch
    for e, (a, b) in enumerate(zip(per["fine_tune"], per["scratch"])):
        s.number((t0 + 1 + e, col), e + 1, "0", "rowhead")
        s.number((t0 + 1 + e, col + 1), a, "0.0%")
        s.number((t0 + 1 + e, col + 2), b, "0.0%")
    last = t0 + len(per["fine_tune"])
    chart = wb.chart("scatter", "straight")
    for j, name in ((1, "fine-tuned: frozen, then unfrozen"), (2, "from scratch")):
        chart.add_series({"name": name, "categories": f"=fine_tune!{rng(t0 + 1, col, last, col)}",
                          "values": f"=fine_tune!{rng(t0 + 1, col + j, last, col + j)}", "line": {"width": 2},
                          "marker": {"type": "circle", "size": 4}})
    chart.set_title({"name": "odd or even? accuracy per epoch on 300 held-out images"})
    chart.set_x_axis({"name": f"epoch (unfrozen from epoch {h['frozen_epochs'] + 1})", "min": 1,
                      "max": len(per["fine_tune"])})
    chart.set_y_axis({"name": "accuracy", "num_format": "0%", "min": 0.5, "max": 1})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 520, "height": 320})
    s.ws.insert_chart(t0, col + 4, chart)
