"""neuralnet.xlsx's logistic_valid and net_valid: the trained weights (NumPy, models.neuralnet.train)
scored by formulas on the held-out images: logits, the guess by MATCH(MAX(row), row, 0), accuracy.

A table of blocks (sheets/blocks.py), one row per image: the forward pass as on the step sheets
(sheets/sgd_step.py), then the guess and whether it is right, each (key, title, heads, formula,
number format, meaning).
"""
import numpy as np

from ..models import neuralnet as nn
from ..writer import a1
from .blocks import NUM, Blocks, Offset, bold, rng, section
from .digits import DIGIT_HEADS, HIDE, PIXEL_WIDTH, hidden_heads, pixel_heads, weights_scale
from .sgd_step import FORWARD, fill, forward, heads_of

VALID = [
    ("pred", "guess", ["digit"], "=MATCH(MAX({z$ row}),{z$ row},0)-1", "0", "the digit with the biggest logit"),
    ("ok", "right?", ["1 = yes"], "=IF({pred}={label$},1,0)", "0", "1 when the guess is the label"),
]
VALID_TITLES = {"z": "logits", "a1": "ReLU"}    # shorter than the step sheets' (no gradients here)
CHART_ROW = 5          # the training chart, under the accuracy

VALID_NOTES = {
    "logistic": [
        "The weights after training (NumPy, models.neuralnet.train) on the {n_train:,} training images, scored "
        "here on the {n_valid} held-out images it never saw: logits = MMULT(pixels/16, W) + b; the guess is the "
        "digit with the biggest logit: MATCH(MAX(row), row, 0) - 1.",
        "(The biggest logit has the biggest softmax: no need for exp to pick the class.) accuracy = the share of "
        "guesses equal to the label. Each digit's 64 weights drawn as an 8x8 picture (beside the table): green "
        "ink votes for it.",
    ],
    "net": [
        "The 2-layer net after training on the {n_train:,} training images, scored here on the {n_valid} held-out "
        "images it never saw: hidden = MMULT(pixels/16, W1) + b1, ReLU, logits = MMULT(ReLU, W2) + b2, "
        "guess = MATCH(MAX(row), row, 0) - 1.",
        "accuracy = the share of guesses equal to the label. Edit a weight and the guesses recompute.",
    ],
}


def valid_sheet(wb, kind, lay, pixels, labels, training, hidden=nn.HIDDEN, n_train=None):
    """The trained model scored by formulas on the held-out images; returns its pred cells and values."""
    name = f"{kind}_valid"
    params = training.params
    n = len(labels)
    s = wb.sheet(name)
    s.title("A1", f"{name}: the trained {'logistic model' if kind == 'logistic' else '2-layer net'} on "
                  f"{n} held-out images")
    for i, text in enumerate(VALID_NOTES[kind]):
        s.note((1 + i, 0), text.format(n_valid=n, n_train=n_train))
    x = nn.inputs(pixels)
    top = CHART_ROW + 16              # the table, under the accuracy and the chart
    A = Blocks(s, top + 1, top + 3, n, title_format=bold(s))
    section(s, (top, 0), "held-out images: one row each")
    A.add("image", None, ["image"], col=0, gap=False)
    A.add("label", None, ["label"], col=1, gap=False)
    # the answer first, then how it was reached (formulas may point to their right)
    logits = [f for f in FORWARD[kind] if f[0] == "z"]
    table = VALID + logits + [f for f in FORWARD[kind] if f[0] != "z"]
    for key, title, heads, *_ in table:
        A.add(key, VALID_TITLES.get(key, title), heads_of(heads, hidden))

    # logistic regression: each digit's weights as a picture, beside the table (narrow columns)
    pictures = A.col + 1 if kind == "logistic" else None
    # the trained weights, to the right (of the pictures)
    pc = A.col + 1 if pictures is None else pictures + 5 * (nn.SIDE + 1) + 1
    shapes = {k: params[k].shape for k in nn.param_names(kind)}
    ptop = {}
    row = top
    for wk in [k for k in nn.param_names(kind) if k.startswith("W")]:
        ptop[wk] = row
        row += 3 + shapes[wk][0] + 1 + 2

    def prange(k):
        wk = "W" + k[1:]
        n_in, n_out = shapes[wk]
        r0 = ptop[wk] + 3 + (0 if k.startswith("W") else n_in)
        r1 = r0 + (n_in - 1 if k.startswith("W") else 0)
        return rng(r0, pc + 1, r1, pc + n_out)

    for wk in [k for k in nn.param_names(kind) if k.startswith("W")]:
        bk = "b" + wk[1:]
        n_in, n_out = shapes[wk]
        t = ptop[wk]
        W = Blocks(s, t + 1, t + 3, n_in + 1, col=pc + 1, title_format=bold(s))
        W.add(wk, f"{wk} (trained), {bk} under it", DIGIT_HEADS if n_out == nn.DIGITS else hidden_heads(n_out))
        s.header((t + 2, pc), "input")
        heads = pixel_heads() if wk in ("W", "W1") else hidden_heads(hidden)
        for i in range(n_in):
            s.text((t + 3 + i, pc), heads[i], "rowhead")
            for j in range(n_out):
                s.input((t + 3 + i, pc + 1 + j), params[wk][i, j], NUM)
        s.text((t + 3 + n_in, pc), "bias", "rowhead")
        for j in range(n_out):
            s.input((t + 3 + n_in, pc + 1 + j), params[bk][j], NUM)
        weights_scale(s, t + 3, pc + 1, t + 3 + n_in, pc + n_out)

    # the table
    A.fill("image", "={image on digits}", [training_index(training, i) for i in range(n)], "0", "rowhead",
           names={"image on digits": Offset("digits", lay.valid_row(0), 0)})
    A.fill("label", "={label on digits}", labels, "0", names={"label on digits": Offset("digits", lay.valid_row(0), 1)})
    names = {"x$ all": f"{lay.pixels(lay.valid0, n)}/16", **{k: prange(k) for k in nn.param_names(kind)}}
    values = forward(kind, x, params)
    fill(A, FORWARD[kind], values, names)
    values["pred"] = np.argmax(values["z"], axis=1)
    values["ok"] = (values["pred"] == labels).astype(float)
    fill(A, VALID, values, names)
    pred, ok = values["pred"], values["ok"]
    oc, _ = A.at["ok"]
    s.ws.conditional_format(A.first, oc, A.first + n - 1, oc, {
        "type": "cell", "criteria": "==", "value": 0, "format": wb.wb.add_format({"bg_color": "#FFC7CE"})})
    s.color_scale(*A.corners("z"))

    # the result at the top: the accuracy, and how many right out of how many (one text, so it fits)
    s.text((4, 0), "accuracy", "label")
    acc = float(nn.total(ok)) / n
    oks = A.col_range("ok", 0)
    s.formula((4, 1), f"=AVERAGE({oks})", acc, "0.0%", "result")
    s.formula((4, 2), f'=SUM({oks})&" right of "&COUNT({oks})&" held-out images"',
              f"{int(nn.total(ok))} right of {n} held-out images")
    s.note((4, 9), f"(the NumPy trainer's own accuracy on them: {training.final_accuracy:.2%}; its log per epoch, "
                   "charted below, is right of the weights)")

    # the trainer's log right of the weights; its chart at the top
    lc = pc + 2 + max(shapes[k][1] for k in shapes if k.startswith("W"))
    lt = top
    s.ws.write_string(lt + 1, lc, "training (NumPy): per epoch", bold(s))
    for j, h in enumerate(("epoch", "train loss", "valid accuracy")):
        s.header((lt + 2, lc + j), h)
    for e, (tl, va) in enumerate(zip(training.train_loss, training.valid_accuracy)):
        s.number((lt + 3 + e, lc), e + 1, "0", "rowhead")
        s.number((lt + 3 + e, lc + 1), tl, NUM)
        s.number((lt + 3 + e, lc + 2), va, "0.0%")
    last = lt + 2 + len(training.train_loss)
    chart = wb.chart("line")
    chart.add_series({"name": "train loss", "categories": f"={name}!{rng(lt + 3, lc, last, lc)}",
                      "values": f"={name}!{rng(lt + 3, lc + 1, last, lc + 1)}", "line": {"width": 2}})
    chart.add_series({"name": "valid accuracy", "categories": f"={name}!{rng(lt + 3, lc, last, lc)}",
                      "values": f"={name}!{rng(lt + 3, lc + 2, last, lc + 2)}", "y2_axis": True,
                      "line": {"width": 2}})
    chart.set_title({"name": f"{kind}: training loss and held-out accuracy per epoch"})
    chart.set_x_axis({"name": "epoch", "interval_unit": max(1, len(training.train_loss) // 10)})
    chart.set_y_axis({"name": "train loss (cross-entropy + wd)", "min": 0})
    chart.set_y2_axis({"name": "valid accuracy", "num_format": "0%", "max": 1})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 640, "height": 290})
    s.ws.insert_chart(CHART_ROW, 2, chart)

    s.widths(0, 0, 9)
    s.widths(1, 1, 6)
    if pictures is None:
        s.widths(2, lc + 2, 8.5)
    else:                   # not over the pictures' columns: overlapping widths do not mix
        s.widths(2, pictures - 1, 8.5)
        s.widths(pictures, pc - 1, PIXEL_WIDTH)
        s.widths(pc, lc + 2, 8.5)
        weight_pictures(s, top, pictures, ptop["W"] + 3, pc + 1, params["W"])
    s.widths(lc + 1, lc + 2, 13)
    A.narrow_gaps()
    s.freeze((A.first, 2))
    return {"cells": [a1(A.first + i, A.at["pred"][0], True, True) for i in range(n)], "pred": pred,
            "accuracy": acc, "accuracy_cell": a1(4, 1)}


def training_index(training, i):
    """The dataset index of the i-th held-out image."""
    return training.valid_idx[i]


def weight_pictures(s, top, col, w_first, wc, W):
    """Each digit's 64 weights as an 8x8 picture: formulas pointing at W (first cell at w_first, wc)."""
    s.ws.write_string(top + 1, col, "each digit's weights as a picture: green pixels vote for the digit, "
                                    "red against", bold(s))
    for d in range(nn.DIGITS):
        r = top + 3 + 10 * (d // 5)
        c = col + (nn.SIDE + 1) * (d % 5)
        section(s, (r, c), f"digit {d}")
        cells = [(f"={a1(w_first + k, wc + d)}", W[k, d]) for k in range(nn.PIXELS)]
        for k, (ref, v) in enumerate(cells):
            s.formula((r + 1 + k // nn.SIDE, c + k % nn.SIDE), ref, v, HIDE)
        weights_scale(s, r + 1, c, r + nn.SIDE, c + nn.SIDE - 1)
