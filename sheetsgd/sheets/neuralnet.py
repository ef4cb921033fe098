"""neuralnet.xlsx: softmax, cross-entropy and a neural net from scratch, on the 8x8 handwritten digits.

Sheets: about, softmax, cross_entropy, digits, logistic_step, logistic_valid, net_step, net_valid.

    softmax         the lecture's entropy example: an activation per class, exp, softmax, and the
                    binary sigmoid exp/(1+exp) beside it (which does not add up to 1)
    cross_entropy   -ln(softmax of the correct class), the class picked by its index (MATCH, INDEX),
                    and the same through a one-hot row; the binary isCat example
    digits          the images: the first training mini-batch and the 300 held-out ones, 64 pixels
                    a row, and as 8x8 pictures
    *_step          one SGD step of the lesson's training on that mini-batch, every intermediate a
                    block of cells: x = pixels/16, logits by MMULT, exp, softmax, loss, one-hot,
                    softmax - one-hot, the gradients by MMULT(TRANSPOSE(...)), weight decay, the update,
                    and the loss after the step; starting from PyTorch's random init, as training does
    *_valid         the trained weights (NumPy, models.neuralnet.train) scored on the held-out images
                    by formulas: logits, argmax by MATCH(MAX(row), row, 0), accuracy

Every formula's cached value is computed by models.neuralnet in the formula's own order of
additions (mmult/total), from the inputs as the file stores them (writer.stored).
"""
import numpy as np

from .. import writer
from ..errors import SheetsgdError
from ..models import neuralnet as nn
from ..writer import Workbook, a1

BATCH_SHOWN = 16     # images of the valid set drawn as pictures on the digits sheet
NUM = "0.0000"
GRAD = "0.000000"
PIXEL_WIDTH = 2.2    # columns of a picture: about as wide as a row is high
HIDE = ";;;"         # a pixel of a picture: the colour says it, the number is in the formula bar


# -- small layout helpers -------------------------------------------------------------------------

def rng_(r0, c0, r1, c1, absolute=True):
    return f"{a1(r0, c0, absolute, absolute)}:{a1(r1, c1, absolute, absolute)}"


def pixels_scale(s, r0, c0, r1, c1, dark="#1F1F1F"):
    """A 0..16 pixel block as a grey picture: white is 0, dark is 16."""
    s.ws.conditional_format(r0, c0, r1, c1, {"type": "2_color_scale", "min_type": "num", "min_value": 0,
                                             "min_color": "#FFFFFF", "max_type": "num", "max_value": 16,
                                             "max_color": dark})


def weights_scale(s, r0, c0, r1, c1):
    """Weights and gradients: red negative, white 0, green positive (the lecture's scale)."""
    s.ws.conditional_format(r0, c0, r1, c1, {"type": "3_color_scale", "min_color": "#F8696B",
                                             "mid_type": "num", "mid_value": 0, "mid_color": "#FFFFFF",
                                             "max_color": "#63BE7B"})


def formulas(s, r0, c0, texts, values, num_format=NUM, style="formula"):
    """A block of per-cell formulas: texts[i][j] with values[i][j]."""
    values = np.asarray(values, dtype=float).reshape(len(texts), len(texts[0]))
    for i, row in enumerate(texts):
        for j, t in enumerate(row):
            s.formula((r0 + i, c0 + j), t, values[i, j], num_format, style)


def numbers(s, r0, c0, values, num_format=NUM, style="input"):
    """A block of inputs; returns them as stored."""
    values = np.atleast_2d(np.asarray(values, dtype=float))
    out = np.empty_like(values)
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            out[i, j] = s.input((r0 + i, c0 + j), values[i, j], num_format, style)
    return out


def bold(s):
    """Bold, left-aligned: a block's title, running on over the block's empty title cells."""
    book = s.book
    if not hasattr(book, "_nn_bold"):
        book._nn_bold = book.wb.add_format({"bold": True, "font_color": "#1F3864"})
    return book._nn_bold


def section(s, cell, text):
    r, c = s._rc(cell)
    s.ws.write_string(r, c, text, bold(s))


def block_head(s, r, c, title, subheads):
    """A block's title above its first column, its column heads below."""
    s.ws.write_string(r, c, title, bold(s))
    for j, h in enumerate(subheads):
        if isinstance(h, str):
            s.header((r + 1, c + j), h)
        else:
            s.number((r + 1, c + j), h, style="header")


# -- about ----------------------------------------------------------------------------------------

def about_sheet(wb, summary):
    s = wb.sheet("about")
    s.widths(0, 0, 16)
    s.widths(1, 1, 120)
    s.title("A1", "Softmax, cross-entropy and a neural net from scratch (fast.ai lesson 5), on handwritten digits")
    lines = [
        ("What", "How a classifier turns activations into probabilities (softmax), scores them against the "
                 "correct class (cross-entropy), and learns its weights by SGD: every step a formula."),
        ("softmax", "The lecture's entropy example: exp of each class's activation over their sum; the binary "
                    "sigmoid beside it."),
        ("cross_entropy", "The loss: -ln(probability of the correct class), the class picked by its index."),
        ("digits", "1,797 handwritten digits, 8x8 pixels of 0..16 (UCI, via scikit-learn, CC BY 4.0). "
                   f"Split with seed {summary['seed']}: {summary['n_train']:,} train, {summary['n_valid']} valid."),
        ("logistic_step", "One SGD step of nn.Linear(64, 10) on a mini-batch of "
                          f"{summary['bs']} images: forward, loss, backward, weight decay, update."),
        ("logistic_valid", f"The trained logistic model on the {summary['n_valid']} held-out images: accuracy "
                           f"{summary['logistic']:.1%}. Its weights drawn as 8x8 pictures, one per digit."),
        ("net_step", f"The same step for Linear(64, {summary['hidden']}) -> ReLU -> Linear({summary['hidden']}, "
                     "10): the gradient goes back through the ReLU."),
        ("net_valid", f"The trained 2-layer net on the held-out images: accuracy {summary['net']:.1%}."),
        ("", ""),
        ("Training", f"In NumPy (sheetsgd.models.neuralnet), as the lesson's MNIST notebook: {summary['epochs']} "
                     f"epochs of SGD, mini-batches of {summary['bs']} (seeded shuffle), lr {summary['lr']:g}, "
                     f"weight decay {summary['wd']:g}: loss = cross-entropy + wd * sum(w^2), so each step "
                     "takes lr * (gradient + 2 * wd * w)."),
        ("", "x = pixels / 16, so inputs run from 0 to 1. Weights start as PyTorch's nn.Linear does: "
             "uniform in +-1/sqrt(inputs)."),
        ("", "The step sheets start from those random weights and take the first step of training: their "
             "'new' weights are exactly the trainer's after one step."),
        ("How to play", "Yellow cells are inputs: change an activation, lr, wd or a weight and every formula "
                        "recomputes. Green cells are the results."),
        ("", "Only functions Excel, LibreOffice and Google Sheets share: EXP, LN, SUM, SUMSQ, SUMPRODUCT, "
             "MMULT, TRANSPOSE, INDEX, MATCH, MAX, IF, AVERAGE. Nothing volatile, no macros."),
        ("Source", "fast.ai course-v3 lesson 5 (entropy_example.xlsx and the lesson5-sgd-mnist notebook); "
                   "built by sheetsgd (`sheetsgd build --only neuralnet`)."),
        ("Data", "E. Alpaydin, C. Kaynak, Optical Recognition of Handwritten Digits, UCI Machine Learning "
                 "Repository (1998), CC BY 4.0, as shipped in scikit-learn (sklearn/datasets/data/digits.csv.gz)."),
    ]
    for i, (head, text) in enumerate(lines):
        if head:
            s.text((i + 2, 0), head, "label")
        if text:
            s.text((i + 2, 1), text)
    return s


# -- softmax --------------------------------------------------------------------------------------

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
    classes = rng_(SM_FIRST, 0, SM_FIRST + n - 1, 0)
    charts = []
    for k, act in enumerate(activations):
        c = 1 + 5 * k
        section(s, (SM_FIRST - 2, c), f"Image {k + 1}")
        for j, h in enumerate(("output", "exp", "softmax", "binary")):
            s.header((SM_FIRST - 1, c + j), h)
        act = numbers(s, SM_FIRST, c, act[:, None], NUM)[:, 0]
        e = np.exp(act)
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
            s.formula((total_row, c + j), f"=SUM({rng_(SM_FIRST, c + j, SM_FIRST + n - 1, c + j, False)})", v, NUM,
                      "result" if j == 2 else "formula")
        soft = rng_(SM_FIRST, c + 2, SM_FIRST + n - 1, c + 2)
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
                          "values": f"=softmax!{rng_(SM_FIRST, c + j, SM_FIRST + n - 1, c + j)}"})
    chart.set_title({"name": "Image 1: softmax shares 1 between the classes; binary does not"})
    chart.set_y_axis({"name": "probability", "min": 0, "max": 1})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 560, "height": 300})
    s.ws.insert_chart(pred_row + 2, 1, chart)
    return s


# -- cross-entropy --------------------------------------------------------------------------------

CE_FIRST = 6    # 0-based row of the first image


def cross_entropy_sheet(wb, activations, targets, is_cat, preds):
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
    head = {name: rng_(hr, cols[name], hr, cols[name] + n - 1) for name, _ in blocks}
    losses = []
    for i, (act, tgt) in enumerate(zip(activations, targets)):
        r = CE_FIRST + i
        s.number((r, c_img), i + 1, style="rowhead")
        s.input((r, c_tgt), nn.CLASSES[tgt])
        act = numbers(s, r, cols["outputs"], act[None, :], NUM)[0]
        e = np.exp(act)
        tot = float(nn.total(e))
        p = e / tot
        logp = np.log(p)
        hot = (np.arange(n) == tgt).astype(float)
        row = lambda name: rng_(r, cols[name], r, cols[name] + n - 1, False)
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
        s.formula((r, cols["loss"]), f"=-INDEX({row('ln softmax')},{idx})", loss, NUM)
        s.formula((r, cols["loss1h"]), f"=-SUMPRODUCT({row('one-hot')},{row('ln softmax')})",
                  -float(nn.total(hot * logp)), NUM)
        losses.append(loss)
    last = CE_FIRST + len(activations) - 1
    mean_row = last + 1
    s.text((mean_row, cols["index"]), "mean", "label")
    for key in ("loss", "loss1h"):
        s.formula((mean_row, cols[key]), f"=AVERAGE({rng_(CE_FIRST, cols[key], last, cols[key], False)})",
                  float(nn.total(losses)) / len(losses), NUM, "result")
    s.color_scale(a1(CE_FIRST, cols["softmax"]), a1(last, cols["softmax"] + n - 1))

    # The lecture's binary example: is it a cat?
    br = mean_row + 3
    section(s, (br, 0), "binary: is it a cat?")
    s.note((br, 2), "One probability per image, the chance it is a cat. loss = -(y ln p + (1-y) ln(1-p)): "
                    "the same -ln(probability of the correct answer), written without IF.")
    for j, h in enumerate(("image", "isCat", "pred", "loss", "loss (IF)")):
        s.header((br + 1, j), h)
    bl, cells = [], []
    for i, (y, p) in enumerate(zip(is_cat, preds)):
        r = br + 2 + i
        s.number((r, 0), i + 1, style="rowhead")
        y = s.input((r, 1), y, "0")
        p = s.input((r, 2), p, NUM)
        yc, pc = a1(r, 1), a1(r, 2)
        v = float(nn.binary_cross_entropy(y, p))
        s.formula((r, 3), f"=-{yc}*LN({pc})-(1-{yc})*LN(1-{pc})", v, NUM)
        cells.append(a1(r, 3))
        s.formula((r, 4), f"=-IF({yc}=1,LN({pc}),LN(1-{pc}))", -(np.log(p) if y == 1 else np.log(1 - p)), NUM)
        bl.append(v)
    bm = br + 2 + len(bl)
    s.text((bm, 2), "mean", "label")
    s.formula((bm, 3), f"=AVERAGE({rng_(br + 2, 3, bm - 1, 3, False)})", float(nn.total(bl)) / len(bl), NUM, "result")
    s.widths(0, 0, 8)
    s.widths(1, 1, 13)
    s.widths(2, cols["loss1h"], 9)
    s.widths(cols["loss"], cols["loss1h"], 13)
    s.freeze((CE_FIRST, 2))
    return {"binary_loss": cells}


# -- digits ---------------------------------------------------------------------------------------


PIC_TOP = 5          # 0-based row of the first picture's caption
PIC_COL = 2          # first column of the pictures (the table's pixel columns too)
PER_ROW = 8          # pictures side by side


class DigitsLayout:
    """Where the digits sheet keeps each image: the batch rows, then the valid rows."""

    def __init__(self, n_batch, n_valid, n_pics):
        pic_rows = -(-n_batch // PER_ROW) + -(-n_pics // PER_ROW)
        self.head = PIC_TOP + 10 * pic_rows + 1
        self.batch0 = self.head + 2
        self.valid0 = self.batch0 + n_batch + 1
        self.n_batch, self.n_valid, self.n_pics = n_batch, n_valid, n_pics

    def batch_row(self, i):
        return self.batch0 + i

    def valid_row(self, i):
        return self.valid0 + i

    def pixels(self, first, n):
        """Absolute range of n images' 64 pixels from table row `first`, on the digits sheet."""
        return f"digits!{rng_(first, PIC_COL, first + n - 1, PIC_COL + nn.PIXELS - 1)}"


def picture(s, r, c, cells, caption, caption_value, fmt=HIDE):
    """An 8x8 picture at (r, c): a caption formula, then 64 cells, `cells` = [(formula, value)] in pixel order."""
    s.formula((r, c), caption, caption_value)
    for k, (ref, v) in enumerate(cells):
        s.formula((r + 1 + k // nn.SIDE, c + k % nn.SIDE), ref, v, fmt)


def digits_sheet(wb, digits, batch_idx, valid_idx, seed):
    """The images as data (one row of 64 pixels each) and as 8x8 pictures."""
    n_pics = min(BATCH_SHOWN, len(valid_idx))
    lay = DigitsLayout(len(batch_idx), len(valid_idx), n_pics)
    s = wb.sheet("digits")
    s.title("A1", "digits: 8x8 handwritten digits, each a row of 64 pixels (0 = white .. 16 = black)")
    s.note("A2", "UCI ML hand-written digits (E. Alpaydin, C. Kaynak, 1998; CC BY 4.0), the copy scikit-learn "
                 f"ships. Shuffled with seed {seed}: the first {len(valid_idx)} of the shuffle are held out (valid).")
    s.note("A3", "A pixel counts the inked bits of a 4x4 block of the 32x32 scan: 0..16. The pictures below "
                 "are formulas pointing at the table, coloured by value: edit a pixel and its picture changes.")
    # the table
    s.header((lay.head, 0), "image")
    s.header((lay.head, 1), "label")
    for k in range(nn.PIXELS):
        s.header((lay.head, PIC_COL + k), f"{k // nn.SIDE},{k % nn.SIDE}")
    section(s, (lay.batch0 - 1, 0), f"the first mini-batch of training ({len(batch_idx)} images): the *_step sheets")
    section(s, (lay.valid0 - 1, 0), f"held out ({len(valid_idx)} images): the *_valid sheets")
    stored_pixels = {}
    for rows, idx in ((range(lay.batch0, lay.batch0 + len(batch_idx)), batch_idx),
                      (range(lay.valid0, lay.valid0 + len(valid_idx)), valid_idx)):
        for r, i in zip(rows, idx):
            s.number((r, 0), int(i), style="rowhead")
            s.input((r, 1), int(digits.labels[i]), "0")
            stored_pixels[r] = numbers(s, r, PIC_COL, digits.pixels[i][None, :], "0", "text")[0]
    last = lay.valid0 + len(valid_idx) - 1
    pixels_scale(s, lay.batch0, PIC_COL, last, PIC_COL + nn.PIXELS - 1, dark="#8EA9DB")

    # the pictures: the batch with its labels, then the first valid images with both models' guesses
    def draw(k, top, r_table, caption, caption_value):
        row, col = top + 10 * (k // PER_ROW), PIC_COL + (nn.SIDE + 1) * (k % PER_ROW)
        cells = [(f"={a1(r_table, PIC_COL + j)}", stored_pixels[r_table][j]) for j in range(nn.PIXELS)]
        picture(s, row, col, cells, caption, caption_value)
        pixels_scale(s, row + 1, col, row + nn.SIDE, col + nn.SIDE - 1)

    section(s, (PIC_TOP - 1, 0), "mini-batch")
    for k in range(len(batch_idx)):
        r = lay.batch_row(k)
        draw(k, PIC_TOP, r, f'="label "&{a1(r, 1)}', f"label {int(digits.labels[batch_idx[k]])}")
    vtop = PIC_TOP + 10 * (-(-len(batch_idx) // PER_ROW))
    section(s, (vtop - 1, 0), "the first held-out images, captioned: label: the logistic model's guess / the net's")

    def draw_valid(preds):
        """The first valid images, captioned with each model's guess (written once the valid sheets exist)."""
        for k in range(n_pics):
            r = lay.valid_row(k)
            lab = int(digits.labels[valid_idx[k]])
            text = '="label "&{}&": "&logistic_valid!{}&" / "&net_valid!{}'.format(
                a1(r, 1), preds["logistic"]["cells"][k], preds["net"]["cells"][k])
            value = f"label {lab}: {preds['logistic']['pred'][k]} / {preds['net']['pred'][k]}"
            draw(k, vtop, r, text, value)
    s.widths(0, 0, 11)
    s.widths(1, 1, 6)
    s.widths(PIC_COL, PIC_COL + (nn.SIDE + 1) * PER_ROW, PIXEL_WIDTH)
    s.freeze((0, 2))    # columns only: the pictures above the table are taller than a screen
    return s, lay, stored_pixels, draw_valid


# -- the step sheets --------------------------------------------------------------------------------

class Blocks:
    """Blocks of columns side by side over the same rows: a title, column heads, a gap after each."""

    def __init__(self, s, title_row, first_row, nrows, col=2):
        self.s, self.title_row, self.first, self.nrows, self.col = s, title_row, first_row, nrows, col
        self.at = {}
        self.gaps = []
        self.used = set()

    def add(self, key, title, subheads):
        c = self.col
        block_head(self.s, self.title_row, c, title, subheads)
        self.at[key] = (c, len(subheads))
        self.col = c + len(subheads) + 1
        self.gaps.append(self.col - 1)
        self.used.update(range(c, c + len(subheads)))
        return c

    def narrow_gaps(self, width=1.5):
        """Call after the sheet's column widths: a thin empty column between blocks."""
        for g in self.gaps:
            self.s.widths(g, g, width)

    def cell(self, key, i, j=0, row_abs=False, col_abs=False):
        c, _ = self.at[key]
        return a1(self.first + i, c + j, row_abs, col_abs)

    def row(self, key, i):
        """One row of a block, columns anchored: $C12:$L12."""
        c, w = self.at[key]
        return f"{a1(self.first + i, c, False, True)}:{a1(self.first + i, c + w - 1, False, True)}"

    def col_range(self, key, j, nrows=None):
        c, _ = self.at[key]
        n = nrows or self.nrows
        return rng_(self.first, c + j, self.first + n - 1, c + j, False)

    def whole(self, key, nrows=None):
        c, w = self.at[key]
        n = nrows or self.nrows
        return rng_(self.first, c, self.first + n - 1, c + w - 1)

    def corners(self, key, nrows=None):
        c, w = self.at[key]
        n = nrows or self.nrows
        return (self.first, c), (self.first + n - 1, c + w - 1)

    def array(self, key, text, values, num_format=NUM):
        first, last = self.corners(key, len(values))
        self.s.array_formula(first, last, text, values, num_format)

    def each(self, key, text, values, num_format=NUM, style="formula"):
        """Per-cell formulas: text(i, j) -> formula."""
        c, w = self.at[key]
        values = np.asarray(values, dtype=float).reshape(-1, w)
        formulas(self.s, self.first, c, [[text(i, j) for j in range(w)] for i in range(len(values))], values,
                 num_format, style)


DIGIT_HEADS = list(range(nn.DIGITS))


def pixel_heads():
    return [f"{k // nn.SIDE},{k % nn.SIDE}" for k in range(nn.PIXELS)]


def hidden_heads(h):
    return [f"h{j + 1}" for j in range(h)]


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


def forward_cells(A, kind, x, X, params, weights, tag=""):
    """The forward pass as cells, beside its NumPy twin: z1 = MMULT(X, W1) + b1, a1 = MAX(0, z1),
    z = MMULT(a1, W2) + b2 for the net, z = MMULT(X, W) + b for logistic regression. X is the
    inputs' range and x their values; weights(name) is a parameter's range. Returns z."""
    if kind == "net":
        z1 = nn.mmult(x, params["W1"]) + params["b1"]
        a1v = np.maximum(0.0, z1)
        A.array(f"z1{tag}", f"=MMULT({X},{weights('W1')})+{weights('b1')}", z1)
        A.each(f"a1{tag}", lambda i, j: f"=MAX(0,{A.cell(f'z1{tag}', i, j)})", a1v)
        z = nn.mmult(a1v, params["W2"]) + params["b2"]
        A.array(f"z{tag}", f"=MMULT({A.whole(f'a1{tag}')},{weights('W2')})+{weights('b2')}", z)
    else:
        z = nn.mmult(x, params["W"]) + params["b"]
        A.array(f"z{tag}", f"=MMULT({X},{weights('W')})+{weights('b')}", z)
    return z


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
    bs = len(labels)
    x = nn.inputs(pixels)
    r = nn.step(kind, start, x, labels, lr, wd, sheet=True)
    names = nn.param_names(kind)
    new = r["new"]

    # Band A: one row per image of the batch
    top = 10
    n = bs
    section(s, (top, 0), "the mini-batch, forward and backward: one row per image")
    A = Blocks(s, top + 1, top + 3, n)
    s.header((top + 2, 0), "image")
    s.header((top + 2, 1), "label")
    for i in range(n):
        s.formula((A.first + i, 0), f"=digits!{a1(lay.batch_row(i), 0)}", float(index[i]), "0", "rowhead")
        s.formula((A.first + i, 1), f"=digits!{a1(lay.batch_row(i), 1)}", float(labels[i]), "0")
    labels_range = rng_(A.first, 1, A.first + n - 1, 1)
    s.formula("B8", f"=COUNT({labels_range})", float(bs), "0")
    bs_cell = "$B$8"
    lab = lambda i: a1(A.first + i, 1, False, True)

    # the parameter bands' cells, known before writing them (formulas refer forward)
    pband = {}
    ptop = A.first + n + 2
    shapes = {k: start[k].shape for k in names}
    for k in names:
        if k.startswith("W"):
            pband[k] = ptop
            ptop += 3 + shapes[k][0] + 1 + 2
    def pcell(k, block, i, j, absolute=True):
        """Cell (i, j) of parameter k's block (0 = P, 1 = grad, 2 = wd term, 3 = new)."""
        wk = "W" + k[1:]
        n_out = shapes[wk][1]
        row = pband[wk] + 3 + (i if k.startswith("W") else shapes[wk][0])
        return a1(row, 1 + block * (n_out + 1) + j, absolute, absolute)

    def prange(k, block):
        if k.startswith("W"):
            n_in, n_out = shapes[k]
            return f"{pcell(k, block, 0, 0)}:{pcell(k, block, n_in - 1, n_out - 1)}"
        n_out = shapes[k][0]
        return f"{pcell(k, block, 0, 0)}:{pcell(k, block, 0, n_out - 1)}"

    if kind == "net":
        A.add("z1", "hidden = MMULT(x, W1) + b1", hidden_heads(hidden))
        A.add("a1", "ReLU = MAX(0, hidden)", hidden_heads(hidden))
        A.each("a1", lambda i, j: f"=MAX(0,{A.cell('z1', i, j)})", r["a1"])
    A.add("z", "logits = MMULT(x, W) + b" if kind == "logistic" else "logits = MMULT(ReLU, W2) + b2", DIGIT_HEADS)
    A.add("exp", "exp(logits)", DIGIT_HEADS)
    A.add("sum", "sum", ["sum exp"])
    A.add("p", "softmax = exp / sum", DIGIT_HEADS)
    A.add("pc", "p(label)", ["INDEX"])
    A.add("nll", "loss", ["-LN(p)"])
    A.add("hot", "one-hot(label)", DIGIT_HEADS)
    A.add("dz", "d loss/d logits = (softmax - one-hot) / bs", DIGIT_HEADS)
    if kind == "net":
        A.add("da1", "d loss/d ReLU = MMULT(dlogits, TRANSPOSE(W2))", hidden_heads(hidden))
        A.add("dz1", "d loss/d hidden = IF(hidden > 0, d ReLU, 0)", hidden_heads(hidden))
    if kind == "net":
        A.add("z1n", "after the step: hidden with the new W1, b1", hidden_heads(hidden))
        A.add("a1n", "ReLU", hidden_heads(hidden))
    A.add("zn", "after the step: logits with the new weights", DIGIT_HEADS)
    A.add("nlln", "loss", ["new"])
    A.add("x", "x = pixels / 16", pixel_heads())

    # the batch's x, then everything that reads it
    A.each("x", lambda i, j: f"=digits!{a1(lay.batch_row(i), PIC_COL + j)}/16", x)
    X = A.whole("x")
    if kind == "net":
        A.array("z1", f"=MMULT({X},{prange('W1', 0)})+{prange('b1', 0)}", r["z1"])
        A.array("z", f"=MMULT({A.whole('a1')},{prange('W2', 0)})+{prange('b2', 0)}", r["z"])
    else:
        A.array("z", f"=MMULT({X},{prange('W', 0)})+{prange('b', 0)}", r["z"])
    A.each("exp", lambda i, j: f"=EXP({A.cell('z', i, j)})", r["exp"])
    A.each("sum", lambda i, j: f"=SUM({A.row('exp', i)})", r["sum"])
    sumc = lambda i: A.cell("sum", i, 0, False, True)
    A.each("p", lambda i, j: f"={A.cell('exp', i, j)}/{sumc(i)}", r["p"])
    A.each("pc", lambda i, j: f"=INDEX({A.row('p', i)},{lab(i)}+1)", r["p_correct"])
    A.each("nll", lambda i, j: f"=-LN({A.cell('pc', i)})", r["nll"])
    hc, _ = A.at["hot"]
    A.each("hot", lambda i, j: f"=IF({lab(i)}={a1(A.title_row + 1, hc + j, True)},1,0)", r["one_hot"], "0")
    A.each("dz", lambda i, j: f"=({A.cell('p', i, j)}-{A.cell('hot', i, j)})/{bs_cell}", r["dz"], GRAD)
    if kind == "net":
        A.array("da1", f"=MMULT({A.whole('dz')},TRANSPOSE({prange('W2', 0)}))", r["da1"], GRAD)
        A.each("dz1", lambda i, j: f"=IF({A.cell('z1', i, j)}>0,{A.cell('da1', i, j)},0)", r["dz1"], GRAD)
    s.color_scale(*A.corners("p"))
    weights_scale(s, *A.corners("dz")[0], *A.corners("dz")[1])

    # the parameter bands: [P | gradient | 2 * wd * P | new P], the bias row under its matrix
    grad_of = {"W": (X, "dz"), "W1": (X, "dz1"), "W2": (A.whole("a1") if kind == "net" else None, "dz")}
    for wk in [k for k in names if k.startswith("W")]:
        bk = "b" + wk[1:]
        n_in, n_out = shapes[wk]
        top_w = pband[wk]
        what = {"W": "W and b", "W1": "W1 and b1", "W2": "W2 and b2"}[wk]
        section(s, (top_w, 0), f"{what}: the step")
        heads_rows = pixel_heads() if wk in ("W", "W1") else hidden_heads(hidden)
        s.header((top_w + 2, 0), "input")
        for i, h in enumerate(heads_rows):
            s.text((top_w + 3 + i, 0), h, "rowhead")
        s.text((top_w + 3 + n_in, 0), "bias", "rowhead")
        heads_cols = DIGIT_HEADS if n_out == nn.DIGITS else hidden_heads(n_out)
        titles = (f"{wk} (start), {bk} under it", f"gradient d loss/d {wk}, d{bk}", f"2 * wd * {wk}",
                  f"new {wk} = {wk} - lr * (gradient + 2 * wd * {wk})")
        for blk, t in enumerate(titles):
            block_head(s, top_w + 1, 1 + blk * (n_out + 1), t, heads_cols)
        # start weights: inputs
        for i in range(n_in):
            for j in range(n_out):
                s.input(pcell(wk, 0, i, j, False), start[wk][i, j], NUM)
        for j in range(n_out):
            s.input(pcell(bk, 0, 0, j, False), start[bk][j], NUM)
        # gradients
        src, dkey = grad_of[wk]
        s.array_formula(rc_(pcell(wk, 1, 0, 0)), rc_(pcell(wk, 1, n_in - 1, n_out - 1)),
                        f"=MMULT(TRANSPOSE({src}),{A.whole(dkey)})", r["grad"][wk], GRAD)
        for j in range(n_out):
            s.formula(pcell(bk, 1, 0, j, False), f"=SUM({A.col_range(dkey, j)})", r["grad"][bk][j], GRAD)
        # weight decay and update, cell by cell
        for k, rows in ((wk, n_in), (bk, 1)):
            vals_wd = np.atleast_2d(r["wd_grad"][k])
            vals_new = np.atleast_2d(new[k])
            for i in range(rows):
                for j in range(n_out):
                    p, g = pcell(k, 0, i, j, False), pcell(k, 1, i, j, False)
                    w2 = pcell(k, 2, i, j, False)
                    s.formula(w2, f"=2*wd*{p}", vals_wd[i, j], GRAD)
                    s.formula(pcell(k, 3, i, j, False), f"={p}-lr*({g}+{w2})", vals_new[i, j], NUM)
        for blk in range(4):
            r0, c0 = rc_(pcell(wk, blk, 0, 0))
            weights_scale(s, r0, c0, r0 + n_in, c0 + n_out - 1)

    # After the step: the same batch scored with the new weights
    newr = {k: new[k] for k in names}
    zn = forward_cells(A, kind, x, X, newr, lambda k: prange(k, 3), tag="n")
    nlln = np.log(nn.total(np.exp(zn), axis=1)) - zn[np.arange(n), labels]
    A.each("nlln", lambda i, j: f"=LN(SUMPRODUCT(EXP({A.row('zn', i)})))-INDEX({A.row('zn', i)},{lab(i)}+1)", nlln)

    # The losses, before and after, at the top
    sq_before = ",".join(prange(k, 0) for k in names)
    sq_after = ",".join(prange(k, 3) for k in names)
    ce_n = float(nn.total(nlln)) / n
    w2_n = nn.sumsq(*(newr[k] for k in names))
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
    for wk in [k for k in names if k.startswith("W")]:
        n_out = shapes[wk][1]
        for blk in range(4):
            c = 1 + blk * (n_out + 1)
            used.update(range(c, c + n_out))
            gaps.add(c + n_out)
    for g in sorted(gaps - used):
        s.widths(g, g, 1.5)
    s.freeze((A.first, 2))
    return {"step": r, "after": {"z": zn, "nll": nlln, "ce": ce_n, "loss": ce_n + wd * w2_n},
            "cells": {k: prange(k, 3) for k in names}}


def rc_(ref):
    return writer.rc(ref.replace("$", ""))


# -- the valid sheets -------------------------------------------------------------------------------

VALID_NOTES = {
    "logistic": [
        "The weights after training (NumPy, models.neuralnet.train) on the {n_valid} held-out images: logits = "
        "MMULT(pixels/16, W) + b; the guess is the digit with the biggest logit: MATCH(MAX(row), row, 0) - 1.",
        "(The biggest logit has the biggest softmax: no need for exp to pick the class.) accuracy = the share of "
        "guesses equal to the label. Each digit's 64 weights drawn as an 8x8 picture: green ink votes for it.",
    ],
    "net": [
        "The 2-layer net after training on the {n_valid} held-out images: hidden = MMULT(pixels/16, W1) + b1, "
        "ReLU, logits = MMULT(ReLU, W2) + b2, guess = MATCH(MAX(row), row, 0) - 1.",
        "accuracy = the share of guesses equal to the label. Edit a weight and the guesses recompute.",
    ],
}


def valid_sheet(wb, kind, lay, pixels, labels, training, hidden=nn.HIDDEN):
    """The trained model scored by formulas on the held-out images; returns its pred cells and values."""
    name = f"{kind}_valid"
    params = training.params
    n = len(labels)
    s = wb.sheet(name)
    s.title("A1", f"{name}: the trained {'logistic model' if kind == 'logistic' else '2-layer net'} on "
                  f"{n} held-out images")
    for i, text in enumerate(VALID_NOTES[kind]):
        s.note((1 + i, 0), text.format(n_valid=n))
    x = nn.inputs(pixels)
    top = 7
    A = Blocks(s, top + 1, top + 3, n)
    section(s, (top, 0), "held-out images: one row each")
    s.header((top + 2, 0), "image")
    s.header((top + 2, 1), "label")
    # the answer first, then how it was reached (formulas may point to their right)
    A.add("pred", "guess", ["digit"])
    A.add("ok", "right?", ["1 = yes"])
    A.add("z", "logits", DIGIT_HEADS)
    if kind == "net":
        A.add("z1", "hidden = MMULT(x, W1) + b1", hidden_heads(hidden))
        A.add("a1", "ReLU", hidden_heads(hidden))

    # the trained weights, to the right of the table
    pc = A.col + 1
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
        return rng_(r0, pc + 1, r1, pc + n_out)

    for wk in [k for k in nn.param_names(kind) if k.startswith("W")]:
        bk = "b" + wk[1:]
        n_in, n_out = shapes[wk]
        t = ptop[wk]
        block_head(s, t + 1, pc + 1, f"{wk} (trained), {bk} under it",
                   DIGIT_HEADS if n_out == nn.DIGITS else hidden_heads(n_out))
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
    for i in range(n):
        s.formula((A.first + i, 0), f"=digits!{a1(lay.valid_row(i), 0)}", float(training_index(training, i)),
                  "0", "rowhead")
        s.formula((A.first + i, 1), f"=digits!{a1(lay.valid_row(i), 1)}", float(labels[i]), "0")
    X = f"{lay.pixels(lay.valid0, n)}/16"
    z = forward_cells(A, kind, x, X, params, prange)
    pred = np.argmax(z, axis=1)
    ok = (pred == labels).astype(float)
    A.each("pred", lambda i, j: f"=MATCH(MAX({A.row('z', i)}),{A.row('z', i)},0)-1", pred, "0")
    A.each("ok", lambda i, j: f"=IF({A.cell('pred', i)}={a1(A.first + i, 1, False, True)},1,0)", ok, "0")
    oc, _ = A.at["ok"]
    s.ws.conditional_format(A.first, oc, A.first + n - 1, oc, {
        "type": "cell", "criteria": "==", "value": 0, "format": wb.wb.add_format({"bg_color": "#FFC7CE"})})
    s.color_scale(*A.corners("z"))

    # the result at the top
    s.text((4, 0), "accuracy", "label")
    acc = float(nn.total(ok)) / n
    s.formula((4, 1), f"=AVERAGE({A.col_range('ok', 0)})", acc, "0.0%", "result")
    s.text((4, 2), "right", "label")
    s.formula((4, 3), f"=SUM({A.col_range('ok', 0)})", float(nn.total(ok)), "0")
    s.text((4, 4), "of", "label")
    s.formula((4, 5), f"=COUNT({A.col_range('ok', 0)})", float(n), "0")
    s.note((4, 7), f"the NumPy trainer's own accuracy on these images: {training.final_accuracy:.2%}")

    # the trainer's log and its chart, right of the weights
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
    chart.add_series({"name": "train loss", "categories": f"={name}!{rng_(lt + 3, lc, last, lc)}",
                      "values": f"={name}!{rng_(lt + 3, lc + 1, last, lc + 1)}", "line": {"width": 2}})
    chart.add_series({"name": "valid accuracy", "categories": f"={name}!{rng_(lt + 3, lc, last, lc)}",
                      "values": f"={name}!{rng_(lt + 3, lc + 2, last, lc + 2)}", "y2_axis": True,
                      "line": {"width": 2}})
    chart.set_title({"name": f"{kind}: loss and accuracy per epoch"})
    chart.set_x_axis({"name": "epoch", "interval_unit": max(1, len(training.train_loss) // 10)})
    chart.set_y_axis({"name": "train loss (cross-entropy + wd)", "min": 0})
    chart.set_y2_axis({"name": "valid accuracy", "num_format": "0%", "max": 1})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 560, "height": 320})
    s.ws.insert_chart(lt + 1, lc + 4, chart)

    s.widths(0, 0, 9)
    s.widths(1, 1, 6)
    s.widths(2, lc + 12, 8.5)        # not over the pictures' columns: overlapping widths do not mix
    s.widths(lc + 1, lc + 2, 13)
    A.narrow_gaps()
    if kind == "logistic":   # right of the chart, on narrow columns: square pixels
        first = lc + 13
        weight_pictures(s, top, first, ptop["W"] + 3, pc + 1, params["W"])
        s.widths(first, first + 5 * (nn.SIDE + 1), PIXEL_WIDTH)
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


# -- the workbook -----------------------------------------------------------------------------------

def train_both(seed=nn.SEED, valid=nn.VALID, hyper=None, hidden=nn.HIDDEN):
    """The digits, the seeded split and both models trained on it (weights rounded as stored)."""
    if not isinstance(seed, int) or seed < 0:
        raise SheetsgdError(f"seed {seed!r} is not a whole number >= 0")
    digits = nn.load_digits()
    train_idx, valid_idx = nn.split(len(digits.labels), valid, seed)
    hyper = hyper or {}
    runs = {kind: nn.train(kind, digits, train_idx, valid_idx, seed, hyper.get(kind), round_to=writer.stored,
                           hidden=hidden)
            for kind in nn.MODELS}
    return digits, train_idx, valid_idx, runs


def build(path, seed=nn.SEED, valid=nn.VALID, hyper=None, hidden=nn.HIDDEN, activations=None):
    """Write neuralnet.xlsx; return a one-line summary (both models' valid accuracy)."""
    return write(path, seed, valid, hyper, hidden, activations)["summary"]


def write(path, seed=nn.SEED, valid=nn.VALID, hyper=None, hidden=nn.HIDDEN, activations=None):
    """build(), returning what the sheets hold: {"summary", "runs", "steps", "preds", "split"}."""
    digits, train_idx, valid_idx, runs = train_both(seed, valid, hyper, hidden)
    batch_idx = runs["logistic"].first_batch
    assert np.array_equal(batch_idx, runs["net"].first_batch)   # one shuffle seed: the same first batch
    h = runs["logistic"].hyper
    acts = example_activations(seed) if activations is None else activations
    with Workbook(path, title="Softmax, cross-entropy and a neural net, lesson 5",
                  subject="softmax, cross-entropy, SGD on 8x8 handwritten digits") as wb:
        about_sheet(wb, {"seed": seed, "n_train": len(train_idx), "n_valid": len(valid_idx), "bs": h["bs"],
                         "logistic": runs["logistic"].final_accuracy, "net": runs["net"].final_accuracy,
                         "hidden": hidden, "epochs": h["epochs"], "lr": h["lr"], "wd": h["wd"]})
        softmax_sheet(wb, acts["softmax"])
        cross_entropy_sheet(wb, acts["ce"], acts["targets"], acts["is_cat"], acts["preds"])
        s, lay, stored_pixels, draw_valid = digits_sheet(wb, digits, batch_idx, valid_idx, seed)
        batch_pixels = np.array([stored_pixels[lay.batch_row(i)] for i in range(len(batch_idx))])
        valid_pixels = np.array([stored_pixels[lay.valid_row(i)] for i in range(len(valid_idx))])
        info = (lay, batch_pixels, digits.labels[batch_idx], batch_idx)
        preds, steps = {}, {}
        for kind in nn.MODELS:
            h = runs[kind].hyper
            steps[kind] = step_sheet(wb, kind, info, runs[kind].start, h["lr"], h["wd"], hidden)
            preds[kind] = valid_sheet(wb, kind, lay, valid_pixels, digits.labels[valid_idx], runs[kind], hidden)
        draw_valid(preds)
    return {"summary": summary(runs, preds), "runs": runs, "steps": steps, "preds": preds,
            "split": (train_idx, valid_idx)}


def summary(runs, preds):
    return "; ".join(f"{k} valid accuracy {preds[k]['accuracy']:.1%}" for k in nn.MODELS)


def example_activations(seed=nn.SEED):
    """Our own numbers for the softmax and cross_entropy sheets (seeded, two decimals)."""
    rng = np.random.default_rng(seed)
    first = np.round(rng.normal(0, 1.5, len(nn.CLASSES)), 2)
    ce = np.round(rng.normal(0, 2, (len(nn.CLASSES), len(nn.CLASSES))), 2)
    return {
        "softmax": np.array([first, first - 1.5]),
        "ce": ce,
        "targets": rng.permutation(len(nn.CLASSES)),
        "is_cat": [1, 1, 0, 0, 1],
        "preds": [0.6, 0.99, 0.8, 0.3, 0.95],
    }
