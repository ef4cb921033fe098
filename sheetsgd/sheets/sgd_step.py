"""neuralnet.xlsx's logistic_step and net_step: one SGD step of the lesson's training on the first
mini-batch, every intermediate a block of cells, starting from PyTorch's random init as training does.

The batch is a table of blocks, one row per image (sheets/blocks.py), each block written as
(key, title, heads, formula, number format, meaning); the values are models.neuralnet.step's
(its dict's key in the meaning). Below the batch, one band per weight matrix:
[W | gradient | 2 * wd * W | new W], the bias row under each matrix.
"""
import numpy as np

from ..models import neuralnet as nn
from ..models.portable import exp, log
from ..writer import a1
from .blocks import GRAD, NUM, Blocks, Offset, bold, rng, section
from .digits import DIGIT_HEADS, PIC_COL, hidden_heads, pixel_heads, weights_scale

# Heads: "digits" (0..9), "hidden" (h1..hN), "pixels" (0,0 .. 7,7), or a list.
# {W}, {b}, {W1}, ...: the start weights' ranges; {new W}, ...: the new ones'; {bs}: the batch size.
FORWARD = {
    "logistic": [
        ("z", "logits = MMULT(x, W) + b", "digits", "{{=MMULT({x$ all},{W})+{b}}}", NUM, "logits: z"),
    ],
    "net": [
        ("z1", "hidden = MMULT(x, W1) + b1", "hidden", "{{=MMULT({x$ all},{W1})+{b1}}}", NUM, "the hidden layer: z1"),
        ("a1", "ReLU = MAX(0, hidden)", "hidden", "=MAX(0,{z1})", NUM, "its ReLU: a1"),
        ("z", "logits = MMULT(ReLU, W2) + b2", "digits", "{{=MMULT({a1$ all},{W2})+{b2}}}", NUM, "logits: z"),
    ],
}
LOSS = [
    ("exp", "exp(logits)", "digits", "=EXP({z})", NUM, "exp"),
    ("sum", "sum", ["sum exp"], "=SUM({exp$ row})", NUM, "sum"),
    ("p", "softmax = exp / sum", "digits", "={exp}/{sum$}", NUM, "softmax: p"),
    ("pc", "p(label)", ["INDEX"], "=INDEX({p$ row},1,{label$}+1)", NUM, "the label's probability: p_correct"),
    ("nll", "loss", ["-LN(p)"], "=-LN({pc})", NUM, "cross-entropy per image: nll"),
    ("hot", "one-hot(label)", "digits", "=IF({label$}={head},1,0)", "0", "one_hot"),
    ("dz", "d loss/d logits = (softmax - one-hot) / bs", "digits", "=({p}-{hot})/{bs}", GRAD, "dz"),
]
BACKWARD = {
    "logistic": [],
    "net": [
        ("da1", "d loss/d ReLU = MMULT(dlogits, TRANSPOSE(W2))", "hidden", "{{=MMULT({dz$ all},TRANSPOSE({W2}))}}",
         GRAD, "da1"),
        ("dz1", "d loss/d hidden = IF(hidden > 0, d ReLU, 0)", "hidden", "=IF({z1}>0,{da1},0)", GRAD, "dz1"),
    ],
}
AFTER = {    # the batch scored again with the new weights
    "logistic": [
        ("zn", "after the step: logits with the new weights", "digits", "{{=MMULT({x$ all},{new W})+{new b}}}",
         NUM, "the trainer's logits after its first step"),
    ],
    "net": [
        ("z1n", "after the step: hidden with the new W1, b1", "hidden", "{{=MMULT({x$ all},{new W1})+{new b1}}}",
         NUM, "hidden after the step"),
        ("a1n", "ReLU", "hidden", "=MAX(0,{z1n})", NUM, "its ReLU"),
        ("zn", "after the step: logits with the new weights", "digits", "{{=MMULT({a1n$ all},{new W2})+{new b2}}}",
         NUM, "logits after the step"),
    ],
}
NEW_LOSS = ("nlln", "loss", ["new"], "=LN(SUMPRODUCT(EXP({zn$ row})))-INDEX({zn$ row},1,{label$}+1)", NUM,
            "cross-entropy after the step, as LN(SUM(EXP(z))) - z[label]")
X = ("x", "x = pixels / 16", "pixels", "={pixel}/16", NUM, "the inputs: x")

# One band per weight matrix: (block, title, formula of the matrix rows, of the bias row, format, meaning).
BAND = [
    ("start", "{w} (start), {b} under it", None, None, NUM, "the start weights (inputs)"),
    ("grad", "gradient d loss/d {w}, d{b}", "{{=MMULT(TRANSPOSE({inputs}),{delta$ all})}}", "=SUM({delta col})", GRAD,
     "dW = MMULT(TRANSPOSE(inputs), d loss/d outputs), db = its column sums: r['grad']"),
    ("decay", "2 * wd * {w}", "=2*wd*{start}", "=2*wd*{start}", GRAD, "weight decay's gradient: r['wd_grad']"),
    ("new", "new {w} = {w} - lr * (gradient + 2 * wd * {w})", "={start}-lr*({grad}+{decay})",
     "={start}-lr*({grad}+{decay})", NUM, "the SGD step: r['new']"),
]

STEP_TITLES = {
    "logistic": "logistic_step: one SGD step of nn.Linear(64, 10) on a mini-batch, every intermediate a cell",
    "net": "net_step: one SGD step of Linear(64, {h}) -> ReLU -> Linear({h}, 10), every intermediate a cell",
}
STEP_NOTES = {
    "logistic": [
        "Forward: x = pixels/16; logits = MMULT(x, W) + b; softmax; loss = -ln(softmax of the label) (cross-"
        "entropy), averaged over the batch, + wd * the sum of the squared weights (the lesson's weight decay).",
        "Backward: d loss / d logits = (softmax - one-hot) / batch size; dW = MMULT(TRANSPOSE(x), that), db = its "
        "column sums. Update: new = w - lr * (gradient + 2 * wd * w).",
        "The weights are the random start of training (PyTorch's nn.Linear init, seeded): the new weights equal "
        "the NumPy trainer's after its first step. The block at the right re-scores the batch with them.",
    ],
    "net": [
        "Forward: hidden = MMULT(x, W1) + b1; ReLU = MAX(0, hidden); logits = MMULT(relu, W2) + b2; softmax and "
        "cross-entropy + wd * sum of squares, as on logistic_step.",
        "Backward: dlogits = (softmax - one-hot)/bs; dW2 = MMULT(TRANSPOSE(relu), dlogits); d relu = MMULT(dlogits, "
        "TRANSPOSE(W2)); through the ReLU: IF(hidden > 0, d relu, 0); dW1 = MMULT(TRANSPOSE(x), that).",
        "From the trainer's random start: the new weights equal its weights after the first step. The parameter "
        "blocks are below the batch: W1 with b1, then W2 with b2.",
    ],
}


def heads_of(spec, hidden):
    if spec == "digits":
        return DIGIT_HEADS
    if spec == "hidden":
        return hidden_heads(hidden)
    if spec == "pixels":
        return pixel_heads()
    return spec


def forward(kind, x, params):
    """The forward pass's blocks in NumPy: {"z1", "a1", "z"} (net) or {"z"} (logistic regression)."""
    if kind == "net":
        z1 = nn.mmult(x, params["W1"]) + params["b1"]
        a1v = np.maximum(0.0, z1)
        return {"z1": z1, "a1": a1v, "z": nn.mmult(a1v, params["W2"]) + params["b2"]}
    return {"z": nn.mmult(x, params["W"]) + params["b"]}


def fill(A, table, values, names):
    """Write each block of the table: an array formula ("{=...}") or one formula per cell."""
    for key, _, _, formula, num_format, _ in table:
        if formula.startswith("{{="):
            A.array(key, formula, values[key], num_format, names)
        else:
            A.fill(key, formula, values[key], num_format, names=names)


def parameter_band(s, top, wk, n_in, n_out, hidden, values, names, delta):
    """[W | gradient | 2 * wd * W | new W] for one weight matrix wk, the bias row under each;
    delta: (the batch's Blocks, the key of d loss/d this layer's outputs). Returns the band's Blocks."""
    bk = "b" + wk[1:]
    what = {"W": "W and b", "W1": "W1 and b1", "W2": "W2 and b2"}[wk]
    section(s, (top, 0), f"{what}: the step")
    s.header((top + 2, 0), "input")
    for i, h in enumerate(pixel_heads() if wk in ("W", "W1") else hidden_heads(hidden)):
        s.text((top + 3 + i, 0), h, "rowhead")
    s.text((top + 3 + n_in, 0), "bias", "rowhead")
    B = Blocks(s, top + 1, top + 3, n_in + 1, col=1, title_format=bold(s))
    heads = DIGIT_HEADS if n_out == nn.DIGITS else hidden_heads(n_out)
    for key, title, *_ in BAND:
        B.add(key, title.format(w=wk, b=bk), heads)
    # start weights: inputs
    for i in range(n_in):
        for j in range(n_out):
            s.input((B.first + i, B.at["start"][0] + j), values["start"][wk][i, j], NUM)
    for j in range(n_out):
        s.input((B.first + n_in, B.at["start"][0] + j), values["start"][bk][j], NUM)
    A, dkey = delta
    names = dict(names, **{"delta$ all": A.whole(dkey)})
    for key, _, matrix, bias, num_format, _ in BAND[1:]:
        w_values, b_values = values[key][wk], values[key][bk]
        if matrix.startswith("{{="):
            B.array(key, matrix, w_values, num_format, names)
            c, _ = B.at[key]
            for j in range(n_out):     # db: one SUM a cell (the array covers the matrix rows only)
                s.formula((B.first + n_in, c + j), bias.format_map({"delta col": A.col_range(dkey, j)}),
                          b_values[j], num_format)
        else:
            B.fill(key, matrix, np.vstack([w_values, np.atleast_2d(b_values)]), num_format, names=names)
    for key, *_ in BAND:
        (r0, c0), (r1, c1) = B.corners(key)
        weights_scale(s, r0, c0, r1, c1)
    return B


def step_sheet(wb, kind, digits_info, start, lr, wd, hidden=nn.HIDDEN):
    """One SGD step on the first mini-batch; returns the step's values (for the tests and summary)."""
    lay, pixels, labels, index = digits_info
    name = f"{kind}_step"
    s = wb.sheet(name)
    s.title("A1", STEP_TITLES[kind].format(h=hidden))
    for i, text in enumerate(STEP_NOTES[kind]):
        s.note((1 + i, 0), text)
    lr = s.input("B6", lr, "0.####")
    s.text("A6", "lr", "label")
    s.define_name("lr", f"{name}!$B$6")
    s.text("A7", "wd", "label")
    wd = s.input("B7", wd, "0.######")
    s.define_name("wd", f"{name}!$B$7")
    s.text("A8", "batch size", "label")
    n = len(labels)
    x = nn.inputs(pixels)
    r = nn.step(kind, start, x, labels, lr, wd, sheet=True)
    params = nn.param_names(kind)
    new = r["new"]

    # The batch: one row per image, the blocks side by side.
    top = 10
    section(s, (top, 0), "the mini-batch, forward and backward: one row per image")
    A = Blocks(s, top + 1, top + 3, n, title_format=bold(s))
    A.add("image", None, ["image"], col=0, gap=False)
    A.add("label", None, ["label"], col=1, gap=False)
    A.fill("image", "={image on digits}", index, "0", "rowhead",
           names={"image on digits": Offset("digits", lay.batch_row(0), 0)})
    A.fill("label", "={label on digits}", labels, "0",
           names={"label on digits": Offset("digits", lay.batch_row(0), 1)})
    s.formula("B8", f"=COUNT({A.whole('label')})", float(n), "0")

    # The parameter bands' cells, known before writing them (formulas refer forward).
    shapes = {k: start[k].shape for k in params}
    band_top, row = {}, A.first + n + 2
    for wk in [k for k in params if k.startswith("W")]:
        band_top[wk] = row
        row += 3 + shapes[wk][0] + 1 + 2

    def prange(k, block):
        """Parameter k's cells in block 0 (start) .. 3 (new) of its band: absolute."""
        wk = "W" + k[1:]
        n_in, n_out = shapes[wk]
        r0 = band_top[wk] + 3 + (0 if k.startswith("W") else n_in)
        c0 = 1 + block * (n_out + 1)
        return rng(r0, c0, r0 + (n_in - 1 if k.startswith("W") else 0), c0 + n_out - 1)

    table = FORWARD[kind] + LOSS + BACKWARD[kind] + AFTER[kind] + [NEW_LOSS, X]
    for key, title, heads, *_ in table:
        A.add(key, title, heads_of(heads, hidden))
    names = {"bs": "$B$8", "pixel": Offset("digits", lay.batch_row(0), PIC_COL)}
    names.update({k: prange(k, 0) for k in params})
    names.update({f"new {k}": prange(k, 3) for k in params})
    after = {f"{k}n": v for k, v in forward(kind, x, new).items()}
    nlln = log(nn.total(exp(after["zn"]), axis=1)) - after["zn"][np.arange(n), labels]
    values = {"x": x, "pc": r["p_correct"], "hot": r["one_hot"], "nlln": nlln, **after,
              **{k: r[k] for k in ("z1", "a1", "z", "exp", "sum", "p", "nll", "dz", "da1", "dz1") if k in r}}
    fill(A, [X] + FORWARD[kind] + LOSS + BACKWARD[kind], values, names)
    s.color_scale(*A.corners("p"))
    weights_scale(s, *A.corners("dz")[0], *A.corners("dz")[1])

    # The bands: [P | gradient | 2 * wd * P | new P], the bias row under its matrix.
    inputs = {"W": A.whole("x"), "W1": A.whole("x"), "W2": A.whole("a1") if kind == "net" else None}
    delta = {"W": "dz", "W1": "dz1", "W2": "dz"}
    band_values = {"start": start, "grad": r["grad"], "decay": r["wd_grad"], "new": new}
    bands = []
    for wk in [k for k in params if k.startswith("W")]:
        n_in, n_out = shapes[wk]
        bands.append(parameter_band(s, band_top[wk], wk, n_in, n_out, hidden, band_values,
                                    {"inputs": inputs[wk]}, (A, delta[wk])))
    fill(A, AFTER[kind] + [NEW_LOSS], values, names)

    # The losses, before and after, at the top
    sq_before = ",".join(prange(k, 0) for k in params)
    sq_after = ",".join(prange(k, 3) for k in params)
    ce_n = float(nn.total(nlln)) / n
    w2_n = nn.sumsq(*(new[k] for k in params))
    cols = (("before", r["ce"], r["w2"], A.col_range("nll", 0), sq_before),
            ("after", ce_n, w2_n, A.col_range("nlln", 0), sq_after))
    for i, h in enumerate(("cross-entropy", "wd * sum(w^2)", "loss")):
        s.text((5 + i, 4), h, "label")
    for j, (label, ce, w2, nll, sq) in enumerate(cols):
        c = 5 + j
        s.header((4, c), label)
        s.formula((5, c), f"=AVERAGE({nll})", ce, NUM)
        s.formula((6, c), f"=wd*SUMSQ({sq})", wd * w2, "0.000000")
        s.formula((7, c), f"={a1(5, c)}+{a1(6, c)}", ce + wd * w2, NUM, "result")
    s.widths(0, 0, 9)
    s.widths(1, 1, 6)
    s.widths(2, A.col, 8.5)
    used, gaps = set(A.used), set(A.gaps)
    for B in bands:
        used.update(B.used)
        gaps.update(B.gaps)
    for g in sorted(gaps - used):
        s.widths(g, g, 1.5)
    s.freeze((A.first, 2))
    return {"step": r, "after": {"z": after["zn"], "nll": nlln, "ce": ce_n, "loss": ce_n + wd * w2_n},
            "cells": {k: prange(k, 3) for k in params}}
