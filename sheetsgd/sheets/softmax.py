"""neuralnet.xlsx's softmax and cross_entropy sheets: the lecture's entropy example.

softmax: an activation per class, exp, softmax, and the binary sigmoid exp/(1+exp) beside it (which
does not add up to 1). cross_entropy: -ln(softmax of the correct class), the class picked by its
index (MATCH, INDEX), and the same through a one-hot row; the binary isCat example. Every cached
value is computed by models.neuralnet in the formula's own order of additions (total).
"""
import numpy as np

from ..models import neuralnet as nn
from ..models.portable import exp, log
from ..writer import a1
from .blocks import NUM, formulas, numbers, rng, section

SM_FIRST = 5    # 0-based row of the first class


def softmax_sheet(wb, activations):
    """The entropy example: per image, output -> exp -> softmax, and the binary exp/(1+exp)."""
    activations = np.atleast_2d(np.asarray(activations, dtype=float))
    s = wb.sheet("softmax")
    s.title("A1", "softmax: turn a network's outputs into probabilities that add up to 1")
    s.note("A2", "softmax = exp(output) / the sum of exp over the classes: every one positive, the biggest "
                 "output gets the biggest share, and together they add up to 1 (one class per image).")
    s.note("A3", "Image 2's outputs are Image 1's minus a constant: the same softmax. Only differences "
                 "between outputs matter. binary = exp/(1+exp), a sigmoid per class: they do not add up to 1.")
    n = len(nn.CLASSES)
    s.header((SM_FIRST - 1, 0), "class")
    for i, cls in enumerate(nn.CLASSES):
        s.text((SM_FIRST + i, 0), cls, "rowhead")
    total_row = SM_FIRST + n
    pred_row = total_row + 1
    s.text((total_row, 0), "sum", "label")
    s.text((pred_row, 0), "predicted", "label")
    classes = rng(SM_FIRST, 0, SM_FIRST + n - 1, 0)
    charts = []
    for k, act in enumerate(activations):
        c = 1 + 5 * k
        section(s, (SM_FIRST - 2, c), f"Image {k + 1}")
        for j, h in enumerate(("output", "exp", "softmax", "binary")):
            s.header((SM_FIRST - 1, c + j), h)
        act = numbers(s, SM_FIRST, c, act[:, None], NUM)[:, 0]
        e = exp(act)
        total = float(nn.total(e))
        p = e / total
        b = e / (1 + e)
        sum_cell = a1(total_row, c + 1, True, True)
        for i in range(n):
            r = SM_FIRST + i
            s.formula((r, c + 1), f"=EXP({a1(r, c)})", e[i], NUM)
            s.formula((r, c + 2), f"={a1(r, c + 1)}/{sum_cell}", p[i], NUM)
            s.formula((r, c + 3), f"={a1(r, c + 1)}/(1+{a1(r, c + 1)})", b[i], NUM)
        for j, v in ((1, total), (2, float(nn.total(p))), (3, float(nn.total(b)))):
            s.formula((total_row, c + j), f"=SUM({rng(SM_FIRST, c + j, SM_FIRST + n - 1, c + j, False)})", v, NUM,
                      "result" if j == 2 else "formula")
        soft = rng(SM_FIRST, c + 2, SM_FIRST + n - 1, c + 2)
        s.formula((pred_row, c + 2), f"=INDEX({classes},MATCH(MAX({soft}),{soft},0))",
                  nn.CLASSES[int(np.argmax(p))], None, "result")
        charts.append((k, c))
    s.widths(0, 0, 11)
    s.widths(1, 5 * len(activations), 10)
    s.freeze((SM_FIRST, 1))

    chart = wb.chart("column")
    k, c = charts[0]
    cats = f"=softmax!{classes}"
    for j, name in ((2, "softmax"), (3, "binary")):
        chart.add_series({"name": f"Image 1 {name}", "categories": cats,
                          "values": f"=softmax!{rng(SM_FIRST, c + j, SM_FIRST + n - 1, c + j)}"})
    chart.set_title({"name": "Image 1: softmax shares 1 between the classes; binary does not"})
    chart.set_y_axis({"name": "probability", "min": 0, "max": 1})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 560, "height": 300})
    s.ws.insert_chart(pred_row + 2, 1, chart)
    return s


CE_FIRST = 6    # 0-based row of the first image


def cross_entropy_sheet(wb, activations, targets, is_cat, preds, log_base=None):
    """Multi-class cross-entropy picked by index (and by one-hot), and the binary isCat example."""
    activations = np.atleast_2d(np.asarray(activations, dtype=float))
    n = len(nn.CLASSES)
    s = wb.sheet("cross_entropy")
    s.title("A1", "cross-entropy: the loss is -ln(the probability the model gave the correct class)")
    s.note("A2", "Each row is an image: the network's outputs per class, softmax, and the correct class. "
                 "MATCH finds the class's index, INDEX picks its ln(probability): loss = -that.")
    s.note("A3", "The same through a one-hot row: -SUMPRODUCT(one-hot, ln softmax) keeps only the correct "
                 "class's term. Near-certain and right: loss ~0; confident and wrong: a big loss.")
    s.note("A4", "Natural log (ln), as PyTorch's cross_entropy; the lecture's sheet used LOG (base 10), "
                 "which is ln / ln(10): the same ranking, other units.")
    blocks = [("outputs", 0), ("exp", 0), ("softmax", 0), ("ln softmax", 0), ("one-hot", 0)]
    c_img, c_tgt = 0, 1
    cols = {}
    c = 2
    for name, _ in blocks:
        cols[name] = c
        c += n
        if name == "exp":
            cols["sum"] = c
            c += 1
    cols["index"], cols["loss"], cols["loss1h"] = c, c + 1, c + 2
    hr = CE_FIRST - 1
    s.header((hr, c_img), "image")
    s.header((hr, c_tgt), "correct class")
    for name, _ in blocks:
        section(s, (hr - 1, cols[name]), name)
        for j, cls in enumerate(nn.CLASSES):
            s.header((hr, cols[name] + j), cls)
    s.header((hr, cols["sum"]), "sum exp")
    s.header((hr, cols["index"]), "index")
    s.header((hr, cols["loss"]), "loss (INDEX)")
    s.header((hr, cols["loss1h"]), "loss (one-hot)")
    head = {name: rng(hr, cols[name], hr, cols[name] + n - 1) for name, _ in blocks}
    losses = []
    for i, (act, tgt) in enumerate(zip(activations, targets)):
        r = CE_FIRST + i
        s.number((r, c_img), i + 1, style="rowhead")
        s.input((r, c_tgt), nn.CLASSES[tgt])
        act = numbers(s, r, cols["outputs"], act[None, :], NUM)[0]
        e = exp(act)
        tot = float(nn.total(e))
        p = e / tot
        logp = log(p)
        hot = (np.arange(n) == tgt).astype(float)
        row = lambda name: rng(r, cols[name], r, cols[name] + n - 1, False)
        sum_cell = a1(r, cols["sum"], False, True)
        formulas(s, r, cols["exp"], [[f"=EXP({a1(r, cols['outputs'] + j)})" for j in range(n)]], e)
        s.formula((r, cols["sum"]), f"=SUM({row('exp')})", tot, NUM)
        formulas(s, r, cols["softmax"], [[f"={a1(r, cols['exp'] + j)}/{sum_cell}" for j in range(n)]], p)
        formulas(s, r, cols["ln softmax"], [[f"=LN({a1(r, cols['softmax'] + j)})" for j in range(n)]], logp)
        formulas(s, r, cols["one-hot"], [[f"=IF({a1(hr, cols['one-hot'] + j, True)}={a1(r, c_tgt, False, True)},1,0)"
                                          for j in range(n)]], hot, "0")
        idx = a1(r, cols["index"])
        s.formula(idx, f"=MATCH({a1(r, c_tgt)},{head['outputs']},0)", tgt + 1, "0")
        loss = -logp[tgt]
        s.formula((r, cols["loss"]), f"=-INDEX({row('ln softmax')},1,{idx})", loss, NUM)
        s.formula((r, cols["loss1h"]), f"=-SUMPRODUCT({row('one-hot')},{row('ln softmax')})",
                  -float(nn.total(hot * logp)), NUM)
        losses.append(loss)
    last = CE_FIRST + len(activations) - 1
    mean_row = last + 1
    s.text((mean_row, cols["index"]), "mean", "label")
    for key in ("loss", "loss1h"):
        s.formula((mean_row, cols[key]), f"=AVERAGE({rng(CE_FIRST, cols[key], last, cols[key], False)})",
                  float(nn.total(losses)) / len(losses), NUM, "result")
    s.color_scale(a1(CE_FIRST, cols["softmax"]), a1(last, cols["softmax"] + n - 1))

    # The lecture's binary example: is it a cat?
    br = mean_row + 3
    section(s, (br, 0), "binary: is it a cat?")
    ln = "LN" if log_base is None else "LOG"      # the lecture's sheet took it to base 10 (LOG)
    s.note((br, 2), "One probability per image, the chance it is a cat. loss = -(y ln p + (1-y) ln(1-p)): "
                    "the same -ln(probability of the correct answer), written without IF." +
                    ("" if log_base is None else " As in the lecture, with LOG, the logarithm to base 10."))
    for j, h in enumerate(("image", "isCat", "pred", "loss", "loss (IF)")):
        s.header((br + 1, j), h)
    bl, cells = [], []
    for i, (y, p) in enumerate(zip(is_cat, preds)):
        r = br + 2 + i
        s.number((r, 0), i + 1, style="rowhead")
        y = s.input((r, 1), y, "0")
        p = s.input((r, 2), p, NUM)
        yc, pc = a1(r, 1), a1(r, 2)
        v = float(nn.binary_cross_entropy(y, p, log_base))
        s.formula((r, 3), f"=-{yc}*{ln}({pc})-(1-{yc})*{ln}(1-{pc})", v, NUM)
        cells.append(a1(r, 3))
        logb = (lambda q: log(q)) if log_base is None else (lambda q: log(q) / log(float(log_base)))
        s.formula((r, 4), f"=-IF({yc}=1,{ln}({pc}),{ln}(1-{pc}))", -(logb(p) if y == 1 else logb(1 - p)), NUM)
        bl.append(v)
    bm = br + 2 + len(bl)
    s.text((bm, 2), "mean", "label")
    s.formula((bm, 3), f"=AVERAGE({rng(br + 2, 3, bm - 1, 3, False)})", float(nn.total(bl)) / len(bl), NUM, "result")
    s.widths(0, 0, 8)
    s.widths(1, 1, 13)
    s.widths(2, cols["loss1h"], 9)
    s.widths(cols["loss"], cols["loss1h"], 13)
    s.freeze((CE_FIRST, 2))
    return {"binary_loss": cells}
