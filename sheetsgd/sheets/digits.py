"""neuralnet.xlsx's digits sheet: 8x8 handwritten digits as rows of 64 pixels, and as pictures;
and how pixels and weights look wherever they are drawn (the step and valid sheets too).
"""

from ..models import neuralnet as nn
from ..writer import a1
from .blocks import numbers, rng, section

BATCH_SHOWN = 16     # images of the valid set drawn as pictures on the digits sheet
PIXEL_WIDTH = 2.2    # columns of a picture: about as wide as a row is high
HIDE = ";;;"         # a pixel of a picture: the colour says it, the number is in the formula bar
DIGIT_HEADS = list(range(nn.DIGITS))


def pixel_heads():
    return [f"{k // nn.SIDE},{k % nn.SIDE}" for k in range(nn.PIXELS)]


def hidden_heads(h):
    return [f"h{j + 1}" for j in range(h)]


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
        return f"digits!{rng(first, PIC_COL, first + n - 1, PIC_COL + nn.PIXELS - 1)}"


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
    for k, head in enumerate(pixel_heads()):         # row,column of the pixel: upright over narrow columns
        s.text((lay.head, PIC_COL + k), head, "header_up")
    s.ws.set_row(lay.head, 24)
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
