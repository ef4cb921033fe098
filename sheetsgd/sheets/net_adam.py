"""neuralnet.xlsx's net_adam sheet: the digits net trained with PyTorch's Adam instead of SGD.

One Adam step as cells: the batch's forward and backward pass as on net_step (sheets/sgd_step.py's
blocks), then one band per weight matrix (sheets/param_bands.py) written as ADAM_BAND below:
[W | gradient | m before | v before | m | v | new W], bias correction and epsilon as
torch.optim.Adam does them. On top, the NumPy table and chart of valid accuracy per epoch for SGD
(net_valid's training) and Adam from the same start on the same mini-batches. The twins:
models.net_adam (update, sheet_step, train) and models.layers (the forward and backward pass).
"""
import numpy as np

from ..models import layers as ly
from ..models import net_adam as na
from ..models import neuralnet as nn
from ..models.portable import exp, log, seqsum
from .. import writer
from ..writer import a1
from . import param_bands as pb
from .blocks import GRAD, NUM, Blocks, bold, rng, section
from .digits import weights_scale
from .sgd_step import AFTER, BACKWARD, FORWARD, LOSS, NEW_LOSS, fill, heads_of

STATE = "0.000E+00"      # v: the squares of gradients are tiny

# (key, block title, formula of the matrix rows, of the bias row, number format, meaning)
ADAM_BAND = [
    ("start", "{w} after {steps} steps (from NumPy), {b} under it", None, None, NUM, "the weights before the step"),
    ("grad", "gradient g = d loss/d {w}", "{{=MMULT(TRANSPOSE({inputs}),{delta$ all})}}", "=SUM({delta col})", GRAD,
     "as on net_step: MMULT(TRANSPOSE(inputs), d loss/d outputs), column sums for the bias"),
    ("m0", "m before: average of g", None, None, GRAD, "Adam's state after the steps before"),
    ("v0", "v before: average of g^2", None, None, STATE, "Adam's state after the steps before"),
    ("m", "m = beta1*m + (1-beta1)*g", "=beta1*{m0}+(1-beta1)*{grad}", "=beta1*{m0}+(1-beta1)*{grad}", GRAD,
     "momentum: the average gradient"),
    ("v", "v = beta2*v + (1-beta2)*g^2", "=beta2*{v0}+(1-beta2)*{grad}^2", "=beta2*{v0}+(1-beta2)*{grad}^2", STATE,
     "RMSProp: the average squared gradient"),
    ("new", "new {w} = {w} - (lr/bc_1)*m / (SQRT(v)/SQRT(bc_2) + eps)",
     "={start}-(lr/bc_1)*{m}/(SQRT({v})/SQRT(bc_2)+eps)", "={start}-(lr/bc_1)*{m}/(SQRT({v})/SQRT(bc_2)+eps)", NUM,
     "PyTorch's order: step_size = lr/bc_1, denom = sqrt(v)/sqrt(bc_2) + eps"),
]

TITLE = "net_adam: the digits net trained with Adam instead of SGD: one Adam step as cells, and accuracy per epoch"
NOTES = [
    "The lesson's notebook swaps its SGD update for optim.Adam(model.parameters(), lr). Adam keeps two averages "
    "for every weight: m of its gradients (momentum) and v of their squares (RMSProp), and steps lr * m / sqrt(v).",
    "Both averages start at 0, so early on they are too small: PyTorch divides them by bc_1 = 1 - beta1^t and "
    "bc_2 = 1 - beta2^t (t counts the steps), as step_size = lr/bc_1 and sqrt(v)/sqrt(bc_2) + eps.",
    "This is step t = {t}, the first of epoch 2: the weights, m and v (yellow) are where {steps} steps of Adam left "
    "them. bc_1 is ~1 by now, bc_2 only {bc2:.2f}: beta2 = 0.999 remembers ~1000 steps. (The notebook makes a new "
    "optim.Adam in every update(), so its t is always 1: each weight then moves by about lr, whatever its gradient.)",
    "On the right, from NumPy: accuracy on the 300 held-out images per epoch, SGD (net_valid's training, lr {sgd_lr:g}, "
    "weight decay {wd:g}) and Adam (no weight decay) from the same start, on the same mini-batches.",
]
HYPER = [("lr", "lr", "0.####"), ("beta1", "beta1", "0.###"), ("beta2", "beta2", "0.#####"),
         ("eps", "eps", "0.E+00"), ("t", "step t", "0")]


def net_adam_sheet(wb, digits, sgd_run, adam_runs, hidden=nn.HIDDEN):
    """adam_runs: {lr: models.net_adam.train(...)}; the step shown is the first run's (the notebook's lr)."""
    run = next(iter(adam_runs.values()))
    h, t = run.hyper, run.shown_t
    st = {part: {k: writer.stored(v) for k, v in arrays.items()} for part, arrays in run.shown_state.items()}
    pixels, labels, index = digits.pixels[run.shown_batch], digits.labels[run.shown_batch], run.shown_batch
    r = na.sheet_step(st, pixels, labels, t, h)
    bc1, bc2 = na.corrections(t, h)
    s = wb.sheet("net_adam")
    s.title("A1", TITLE)
    for i, text in enumerate(NOTES):
        s.note((1 + i, 0), text.format(t=t, steps=t - 1, bc2=bc2, sgd_lr=sgd_run.hyper["lr"], wd=sgd_run.hyper["wd"]))

    # inputs (named) and the bias corrections
    top_in = 8
    for i, (k, label, fmt) in enumerate(HYPER):
        s.text((top_in + i, 0), label, "label")
        s.input((top_in + i, 1), float(t) if k == "t" else h[k], fmt)
        s.define_name(k, f"net_adam!{a1(top_in + i, 1, True, True)}")
    n_h = len(HYPER)
    # (named bc_1 and bc_2: "bc1" would be a cell of column BC)
    for i, (k, text, v) in enumerate((("bc_1", "=1-beta1^t", bc1), ("bc_2", "=1-beta2^t", bc2))):
        s.text((top_in + n_h + i, 0), f"{k} = {text[1:]}", "label")
        s.formula((top_in + n_h + i, 1), text, v, "0.00000")
        s.define_name(k, f"net_adam!{a1(top_in + n_h + i, 1, True, True)}")
    bs_row = top_in + n_h + 2
    s.text((bs_row, 0), "batch size", "label")
    n = len(labels)
    table_rows = per_epoch_table(wb, s, top_in - 1, 3, sgd_run, adam_runs)

    # the batch: one row per image, below the table
    top = max(bs_row + 4, top_in - 1 + table_rows + 2)
    section(s, (top, 0), f"the mini-batch of step {t}, forward and backward: one row per image")
    A = Blocks(s, top + 1, top + 3, n, title_format=bold(s))
    A.add("image", None, ["image"], col=0, gap=False)
    A.add("label", None, ["label"], col=1, gap=False)
    for i in range(n):
        s.number((A.first + i, 0), int(index[i]), "0", "rowhead")
        s.input((A.first + i, 1), int(labels[i]), "0")
    s.formula((bs_row, 1), f"=COUNT({A.whole('label')})", float(n), "0")

    # where the bands lie (formulas refer forward to them)
    shapes = {"W1": (nn.PIXELS, hidden), "W2": (hidden, nn.DIGITS)}
    bands, row = {}, A.first + n + 2
    for wk, (n_in, n_out) in shapes.items():
        bands[wk] = pb.Band(row, n_in, n_out, ADAM_BAND)
        row += bands[wk].height

    table = FORWARD["net"] + LOSS + BACKWARD["net"] + AFTER["net"] + [NEW_LOSS, pb.X, pb.PIXELS]
    for key, title, heads, *_ in table:
        A.add(key, title, heads_of(heads, hidden))
    pb.write_pixels(s, A, pixels)
    names = {"bs": a1(bs_row, 1, True, True)}
    for wk, band in bands.items():
        bk = "b" + wk[1:]
        names.update({wk: band.matrix("start"), bk: band.bias("start"),
                      f"new {wk}": band.matrix("new"), f"new {bk}": band.bias("new")})
    new_layers = [{"W": r["adam"][k]["new"], "b": r["adam"]["b" + k[1:]]["new"]} for k in ("W1", "W2")]
    zs, acts = ly.forward(new_layers, r["x"], sheet=True)
    rows = np.arange(n)
    nlln = log(seqsum(exp(zs[1]), axis=1)) - zs[1][rows, labels]
    values = {"x": r["x"], "z1": r["z"][0], "a1": r["a"][0], "z": r["z"][1], "exp": r["exp"], "sum": r["sum"],
              "p": r["p"], "pc": r["p_correct"], "nll": r["nll"], "hot": r["one_hot"], "dz": r["dz"][1],
              "da1": r["da"][0], "dz1": r["dz"][0], "z1n": zs[0], "a1n": acts[1], "zn": zs[1], "nlln": nlln}
    fill(A, [pb.X] + FORWARD["net"] + LOSS + BACKWARD["net"], values, names)
    s.color_scale(*A.corners("p"))
    weights_scale(s, *A.corners("dz")[0], *A.corners("dz")[1])

    # the bands
    grads = na.as_params(r["grad"])
    inputs = {"W1": A.whole("x"), "W2": A.whole("a1")}
    delta = {"W1": "dz1", "W2": "dz"}
    written = [A]
    for wk, band in bands.items():
        bk = "b" + wk[1:]
        u = r["adam"]
        vals = {"start": (st["p"][wk], st["p"][bk]), "grad": (grads[wk], grads[bk]), "m0": (st["m"][wk], st["m"][bk]),
                "v0": (st["v"][wk], st["v"][bk]), "m": (u[wk]["m"], u[bk]["m"]), "v": (u[wk]["v"], u[bk]["v"]),
                "new": (u[wk]["new"], u[bk]["new"])}
        table_b = [(k, title.format(w=wk, b=bk, steps=t - 1), *rest) for k, title, *rest in ADAM_BAND]
        what = {"W1": "W1 and b1: 64 pixels -> 50 hidden units", "W2": "W2 and b2: 50 hidden units -> 10 digits"}[wk]
        written.append(pb.write_band(s, band, table_b, f"{what}: Adam's step", heads_of("pixels" if wk == "W1" else
                                     "hidden", hidden), heads_of("hidden" if wk == "W1" else "digits", hidden),
                                     vals, {"inputs": inputs[wk]}, (A, delta[wk])))
    fill(A, AFTER["net"] + [NEW_LOSS], values, names)

    # the loss on the batch before and after the step: the result
    ce_after = float(nn.total(nlln)) / n
    for j, (label, key, v) in enumerate((("loss before", "nll", r["ce"]), ("loss after", "nlln", ce_after))):
        s.text((bs_row + 1 + j, 0), label, "label")
        s.formula((bs_row + 1 + j, 1), f"=AVERAGE({A.col_range(key, 0)})", v, NUM, "result" if j else "formula")

    pb.widths(s, written)
    s.widths(0, 0, 17)
    s.widths(1, 1, 8)
    s.freeze((0, 2))
    return {"step": r, "after": {"ce": ce_after}, "t": t, "state": st, "bands": bands,
            "pixels": A.whole("pixels"), "labels": A.whole("label"), "loss": (a1(bs_row + 1, 1), a1(bs_row + 2, 1))}


CHART_HEIGHT = 320       # pixels: 16 rows of 20


def per_epoch_table(wb, s, top, col, sgd_run, adam_runs):
    """Valid accuracy per epoch, SGD and Adam (NumPy's numbers), and its chart beside; returns the rows
    both take from `top` (what lies below starts after them)."""
    epochs = len(next(iter(adam_runs.values())).valid_accuracy)
    section(s, (top - 2, col), "accuracy on the 300 held-out images after each epoch (NumPy)")
    heads = ["epoch", "SGD"] + ["Adam"] * len(adam_runs)
    lrs = [""] + [f"lr {sgd_run.hyper['lr']:g}"] + [f"lr {lr:g}" for lr in adam_runs]
    for j, (head, lr) in enumerate(zip(heads, lrs)):
        s.header((top - 1, col + j), head)
        s.header((top, col + j), lr)
    columns = [sgd_run.valid_accuracy[:epochs]] + [run.valid_accuracy for run in adam_runs.values()]
    for e in range(epochs):
        s.number((top + 1 + e, col), e + 1, "0", "rowhead")
        for j, accs in enumerate(columns):
            s.number((top + 1 + e, col + 1 + j), accs[e], "0.0%")
    last = top + epochs
    chart = wb.chart("scatter", "straight")
    for j, head in enumerate(heads[1:]):
        chart.add_series({"name": f"{head} {lrs[1 + j]}", "categories": f"=net_adam!{rng(top + 1, col, last, col)}",
                          "values": f"=net_adam!{rng(top + 1, col + 1 + j, last, col + 1 + j)}",
                          "line": {"width": 2}, "marker": {"type": "circle", "size": 4}})
    chart.set_title({"name": "SGD and Adam from the same start: valid accuracy per epoch"})
    chart.set_x_axis({"name": "epoch", "min": 1, "max": epochs})
    chart.set_y_axis({"name": "accuracy", "num_format": "0%", "min": 0.75, "max": 1})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 560, "height": CHART_HEIGHT})
    s.ws.insert_chart(top, col + len(heads) + 1, chart)
    return max(epochs + 1, -(-CHART_HEIGHT // 20))
