"""The batch's pixels and the parameter bands of the fine_tune and net_adam sheets: one band per weight matrix, its blocks side by
side ([W | gradient | ... | new W]), the bias row under each matrix, written from a table of
(key, title, formula of the matrix rows, of the bias row, number format, meaning) as
sheets/sgd_step.py's BAND. A formula None: the block is inputs (yellow), its values given.

In a formula: {key} is this cell's cell in another block of the band, {inputs} the layer's inputs'
range on the batch's table, {delta$ all} its d loss/d outputs (the whole block), {delta col} the
column of it under this bias cell, and anything passed in `names` (a text, or f(i, j) -> a text).
"""
import numpy as np

from ..models import neuralnet as nn
from ..writer import a1
from .blocks import NUM, Blocks, bold, rng, section
from .digits import pixels_scale, weights_scale

# The batch table's last two blocks: x from the pixels, and the pixels themselves (data: images of the
# training set, which the digits sheet does not list).
X = ("x", "x = pixels / 16", "pixels", "={pixels}/16", NUM, "the inputs: x")
PIXELS = ("pixels", "pixels (0..16) of the batch's images", "pixels", None, "0", "data")


def write_pixels(s, A, pixels):
    """The pixels block of the batch's table A (placed by A.add), as numbers shaded grey."""
    pc, _ = A.at["pixels"]
    for i in range(len(pixels)):
        for j in range(nn.PIXELS):
            s.number((A.first + i, pc + j), pixels[i, j], "0")
    pixels_scale(s, A.first, pc, A.first + len(pixels) - 1, pc + nn.PIXELS - 1, dark="#8EA9DB")


class Band:
    """Where one weight matrix's band lies: top row, the matrix's shape, and its blocks."""

    def __init__(self, top, n_in, n_out, table, col=1):
        self.top, self.n_in, self.n_out, self.col = top, n_in, n_out, col
        self.keys = [k for k, *_ in table]
        self.first = top + 3                       # the matrix's first row; its bias row at first + n_in

    @property
    def height(self):
        return 3 + self.n_in + 1 + 2               # title, block titles, heads, rows, bias, a gap

    def block_col(self, key):
        return self.col + self.keys.index(key) * (self.n_out + 1)

    def matrix(self, key):
        c = self.block_col(key)
        return rng(self.first, c, self.first + self.n_in - 1, c + self.n_out - 1)

    def bias(self, key):
        c = self.block_col(key)
        return rng(self.first + self.n_in, c, self.first + self.n_in, c + self.n_out - 1)


def write_band(s, band, table, title, row_heads, col_heads, values, names, delta):
    """Write one band. values: {block key: (matrix values, bias values)}; delta: (the batch's Blocks,
    the key of d loss/d this layer's outputs); names: more names for the formulas."""
    section(s, (band.top, 0), title)
    s.header((band.top + 2, 0), "input")
    for i, h in enumerate(row_heads):
        s.text((band.first + i, 0), h, "rowhead")
    s.text((band.first + band.n_in, 0), "bias", "rowhead")
    B = Blocks(s, band.top + 1, band.first, band.n_in + 1, col=band.col, title_format=bold(s))
    for key, block_title, *_ in table:
        B.add(key, block_title, col_heads)
    A, dkey = delta
    names = dict(names, **{"delta$ all": A.whole(dkey)})
    for key, _, matrix, bias, num_format, _ in table:
        w_values, b_values = values[key]
        c, _ = B.at[key]
        if matrix is None:
            for i in range(band.n_in):
                for j in range(band.n_out):
                    s.input((band.first + i, c + j), w_values[i, j], num_format)
            for j in range(band.n_out):
                s.input((band.first + band.n_in, c + j), b_values[j], num_format)
        elif matrix.startswith("{{="):
            B.array(key, matrix, w_values, num_format, names)
            for j in range(band.n_out):     # db: one SUM a cell (the array covers the matrix rows only)
                s.formula((band.first + band.n_in, c + j), bias.format_map({"delta col": A.col_range(dkey, j)}),
                          b_values[j], num_format)
        else:
            B.fill(key, matrix, np.vstack([w_values, np.atleast_2d(b_values)]), num_format, names=names)
        weights_scale(s, band.first, c, band.first + band.n_in, c + band.n_out - 1)
    return B


def widths(s, blocks, first_col=2, last_col=None, width=8.5, gap=1.5):
    """Column widths for a sheet of a batch table and bands: `width`, thin gaps between blocks."""
    used, gaps = set(), set()
    for B in blocks:
        used.update(B.used)
        gaps.update(B.gaps)
    last = max(used | gaps | {first_col}) if last_col is None else last_col
    s.widths(first_col, last, width)
    for g in sorted(gaps - used):
        s.widths(g, g, gap)


def cell_of(band, key, i, j):
    return a1(band.first + i, band.block_col(key) + j)
