"""The weight_decay and y_range sheets of collab_filter.xlsx: taming the bias model.

weight_decay: the crosstab split into train ratings and held-out (valid) ratings; the bias model
fitted on the train ratings twice from the same start, once with wd = 0 and once with the wd
SciPy chose for the lowest valid RMSE; each block shows its loss (MSE + wd * SUMSQ(weights), what
Solver minimises), its train RMSE and its valid RMSE.
y_range: the bias model with every prediction squashed into (lo, hi) by a sigmoid.

Laid out like the bias sheet (sheets.collab.Grid: the crosstab at H2:V16 for the lecture's data,
user bias and factors in A..F, movie bias and factors above the predictions), and written beside
the NumPy twins in models.collab_reg: every cached value is the model's number, computed from the
weights exactly as the file stores them.
"""
import numpy as np

from ..models import collab as cf
from ..models import collab_reg as reg
from ..writer import a1, col_name, stored
from .collab import (PRED_FMT, RATINGS_FMT, RMSE_FMT, SOLVER_OPTIONS, Grid, bias_blocks, bias_inputs, crosstab,
                     factor_blocks, notes, widths)

# Without --no-solve's search, the wd block shows this wd (and the random start, like every sheet).
WD_UNSOLVED = 0.01

FORMATS = {
    "valid": {"bg_color": "#E4DFEC", "font_color": "#5B2C83", "border": 1, "border_color": "#BFBFBF"},
    "valid_blank": {"border": 1, "border_color": "#BFBFBF"},     # editable, but light: the ratings stand out
    "held_out": {"bg_color": "#E4DFEC"},                         # a held-out cell, blank in the train crosstab
    "valid_pred": {"bold": True, "font_color": "#5B2C83"},       # a prediction of a held-out rating
    "unrated": {"italic": True, "font_color": "#7F7F7F"},
    "loss": {"bold": True, "border": 2, "num_format": "0.0000"},
    "bold": {"bold": True},
}


def fmt(s, key, num_format=None):
    cache = s.book.__dict__.setdefault("_collab_reg_formats", {})
    if (key, num_format) not in cache:
        spec = dict(FORMATS[key], **({"num_format": num_format} if num_format else {}))
        cache[(key, num_format)] = s.book.wb.add_format(spec)
    return cache[(key, num_format)]


def streams(seed):
    """Three more independent streams from the build's seed: the split, the wd start, the y_range starts.
    (Children 3..5 of the seed; sheets.collab.generators uses children 0..2.)"""
    return tuple(np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(6)[3:])


def add_sheets(wb, ratings, factors=5, seed=42, solve=True):
    """Fit and write the weight_decay and y_range sheets into an open writer.Workbook.

    Returns {"weight_decay": {...}, "y_range": {"rmse": ..., "cell": (row, col)}} (the about sheet's results)."""
    split_rng, wd_rng, y_rng = streams(seed)
    sp = reg.split(ratings, split_rng)
    nu, nm = ratings.matrix.shape
    start = cf.random_start(wd_rng, nu, nm, factors, bias=True)
    lo, hi = (stored(x) for x in reg.Y_RANGE)
    if solve:
        none = reg.fit_decayed(sp.train, start, 0.0)
        search = reg.choose_wd(sp, start)
        tuned = search.fit
        y_run = reg.solve_y_range(ratings, y_rng, factors, lo, hi, stored(reg.Y_RANGE_WD))
        y_weights = y_run.best.weights
    else:
        none = tuned = search = y_run = None
        y_weights = cf.random_start(y_rng, nu, nm, factors, bias=True)
    blocks = [("no weight decay", "wd_0", 0.0, none.weights if solve else start, none),
              ("weight decay", "wd", search.wd if solve else WD_UNSOLVED, tuned.weights if solve else start, tuned)]
    decay = weight_decay_sheet(wb, sp, [(title, name, stored(wd), w.map(stored), run)
                                        for title, name, wd, w, run in blocks], search, seed)
    y = y_range_sheet(wb, ratings, y_weights.map(stored), lo, hi, stored(reg.Y_RANGE_WD), y_run)
    return {"weight_decay": decay, "y_range": y}


# ---------------------------------------------------------------- weight_decay

class Block(Grid):
    """One bias model below the crosstabs, from row `top`: its wd, weights, predictions, results."""
    RESULTS = ("mse", "sumsq", "loss", "train", "valid")

    def __init__(self, ratings, k, top):
        super().__init__(ratings, k, bias=True)
        self.top = top                                  # title and wd
        self.mb_row, self.mf_row0 = top + 1, top + 2    # movie bias, movie factors
        self.pred_row0 = top + 3 + k                    # below the header row of ids and f1..fk
        self.rmse_row = None
        self.result = {name: self.pred_row0 + self.nu + 1 + n for n, name in enumerate(self.RESULTS)}
        self.end = self.result["valid"] + 1

    def cell(self, name, absolute=False):
        return a1(self.result[name], self.last_col, absolute, absolute)


class DecayLayout:
    """Train crosstab where the bias sheet has its crosstab, the held-out crosstab under it, two blocks below."""

    def __init__(self, ratings, k):
        self.train = Grid(ratings, k, bias=True)
        g = self.train
        self.valid_head = g.rating(g.nu - 1, 0)[0] + 2      # one blank row, then the ids again
        self.valid_row0 = self.valid_head + 1
        first = Block(ratings, k, self.valid_row0 + g.nu + 1)
        self.blocks = [first, Block(ratings, k, first.end + 1)]

    def valid(self, i, j):
        return (self.valid_row0 + i, self.train.col0 + j)

    def ranges(self):
        g = self.train
        tr = f"{a1(*g.rating(0, 0), True, True)}:{a1(*g.rating(g.nu - 1, g.nm - 1), True, True)}"
        va = f"{a1(*self.valid(0, 0), True, True)}:{a1(*self.valid(g.nu - 1, g.nm - 1), True, True)}"
        return tr, va


def masked_mse(ratings_range, preds_range):
    return f'SUMPRODUCT(({ratings_range}<>"")*({ratings_range}-{preds_range})^2)/COUNT({ratings_range})'


def valid_crosstab(s, L, sp):
    """The held-out ratings, in their own colour (inputs: move a rating between the crosstabs to re-split)."""
    g = L.train
    s.header((L.valid_head, g.id_col), "held out")
    for j, m in enumerate(sp.valid.movie_ids):
        s.number((L.valid_head, g.col0 + j), m, style="header")
    cell, blank = fmt(s, "valid", RATINGS_FMT), fmt(s, "valid_blank", RATINGS_FMT)
    for i, u in enumerate(sp.valid.user_ids):
        s.number((L.valid_row0 + i, g.id_col), u, style="rowhead")
        for j in range(g.nm):
            if sp.valid.mask[i, j]:
                s.ws.write_number(*L.valid(i, j), stored(sp.valid.matrix[i, j]), cell)
            else:                              # blank: type a rating here to hold it out
                s.ws.write_blank(*L.valid(i, j), None, blank)
    # In the train crosstab, the held-out cells (blank there) take the same colour.
    r0, c0 = g.rating(0, 0)
    s.ws.conditional_format(r0, c0, r0 + g.nu - 1, g.last_col, {
        "type": "formula", "criteria": f"={a1(*L.valid(0, 0))}<>\"\"", "format": fmt(s, "held_out")})


def decay_block(s, L, b, sp, title, name, wd, w):
    """wd (named), the weights, the predictions and the five result cells of one fit; returns the results."""
    g = L.train
    s.title((b.top, 0), title)
    s.text((b.top, b.id_col), "wd", "label")
    s.input((b.top, b.col0), wd, "0.0000")
    s.define_name(name, f"{s.name}!{a1(b.top, b.col0, True, True)}")
    factor_blocks(s, b, sp.train, w)
    bias_inputs(s, b, w)

    preds = cf.predict(w)
    ur0, ur1, ub = col_name(b.uf_col0), col_name(b.uf_col0 + b.k - 1), col_name(b.ub_col)
    for i in range(b.nu):
        r = b.pred_row0 + i + 1
        for j in range(b.nm):
            c = col_name(b.col0 + j)
            s.formula(b.pred(i, j), f"=MMULT(${ur0}{r}:${ur1}{r},{c}${b.mf_row0 + 1}:{c}${b.mf_row0 + b.k})"
                      f"+{c}${b.mb_row + 1}+${ub}{r}", preds[i, j], PRED_FMT)
    s.color_scale(b.pred(0, 0), b.pred(b.nu - 1, b.nm - 1))
    top_train, top_valid = a1(*g.rating(0, 0)), a1(*L.valid(0, 0))
    r0, r1 = b.pred_row0, b.pred_row0 + b.nu - 1
    s.ws.conditional_format(r0, b.col0, r1, b.last_col, {
        "type": "formula", "criteria": f"={top_valid}<>\"\"", "format": fmt(s, "valid_pred")})
    s.ws.conditional_format(r0, b.col0, r1, b.last_col, {
        "type": "formula", "criteria": f"=AND({top_train}=\"\",{top_valid}=\"\")", "format": fmt(s, "unrated")})

    # The loss and the two RMSEs, each beside its NumPy twin.
    tr, va = L.ranges()
    pr = b.preds_range()
    out = {"mse": reg.mse(sp.train, preds), "sumsq": reg.sumsq(w)}
    out["loss"] = out["mse"] + wd * out["sumsq"]
    out["train"] = float(np.sqrt(out["mse"]))
    out["valid"] = cf.rmse(sp.valid, preds)
    formulas = {
        "mse": ("MSE on the train ratings", f"={masked_mse(tr, pr)}", None),
        "sumsq": ("SUMSQ of every weight", f"=SUMSQ({b.movies_range(True)},{b.users_range(True)})", "0.00"),
        "loss": ("loss = MSE + wd * SUMSQ", f"={b.cell('mse')}+{name}*{b.cell('sumsq')}", "loss"),
        "train": ("train RMSE", f"=SQRT({b.cell('mse')})", "result"),
        "valid": ("valid RMSE", f"=SQRT({masked_mse(va, pr)})", "result"),
    }
    for key, (label, text, style) in formulas.items():
        s.text((b.result[key], b.last_col - 1), label, "label")
        if style == "loss":
            s.ws.write_formula(b.result[key], b.last_col, text, fmt(s, "loss"), out[key])
        elif style == "0.00":
            s.formula((b.result[key], b.last_col), text, out[key], style)
        else:
            s.formula((b.result[key], b.last_col), text, out[key], RMSE_FMT, style=style or "formula")
    return out


def summary(s, L, sp, results, tuned_name):
    """Top left, beside the train crosstab: the two fits' RMSEs side by side, and a baseline for scale."""
    g = L.train
    r = g.rating(0, 0)[0]
    b0, b1 = L.blocks
    c = g.id_col - 1                           # the last user-factor column (F)
    rows = [("wd = 0", None, None, "header"),
            ("train RMSE", f"={b0.cell('train', True)}", results[0]["train"], None),
            ("valid RMSE", f"={b0.cell('valid', True)}", results[0]["valid"], None),
            ("fitted wd", f"={tuned_name}", None, "header"),
            ("train RMSE", f"={b1.cell('train', True)}", results[1]["train"], None),
            ("valid RMSE", f"={b1.cell('valid', True)}", results[1]["valid"], None),
            ("baseline", None, None, "header"),
            ("mean train rating", None, None, None),
            ("its valid RMSE", None, None, None)]
    tr, va = L.ranges()
    mean = float(np.mean(sp.train.matrix[sp.train.mask]))
    mean_cell = a1(r + 7, c, True, True)
    baseline = cf.rmse(sp.valid, np.full(sp.valid.matrix.shape, mean))
    for n, (label, text, value, style) in enumerate(rows):
        if style is None:                      # left-aligned, so the label runs over the empty B..E
            s.text((r + n, 0), "   " + label)
        else:
            s.ws.write_string(r + n, 0, label, fmt(s, "bold"))
        if style == "header" and text:
            s.formula((r + n, c), text, results[1]["wd"], "0.0000")
        elif text:
            s.formula((r + n, c), text, value, RMSE_FMT, style="result")
    s.formula((r + 7, c), f"=AVERAGE({tr})", mean, "0.00")
    s.formula((r + 8, c), f"=SQRT(SUMPRODUCT(({va}<>\"\")*({va}-{mean_cell})^2)/COUNT({va}))", baseline, RMSE_FMT)
    return r + len(rows) + 1, baseline


def weight_decay_sheet(wb, sp, blocks, search, seed):
    s = wb.sheet("weight_decay")
    k = blocks[0][3].k
    L = DecayLayout(sp.train, k)
    g = L.train
    s.title((0, 0), "weight_decay")
    crosstab(s, g, sp.train)
    valid_crosstab(s, L, sp)
    results = []
    for b, (title, name, wd, w, run) in zip(L.blocks, blocks):
        out = decay_block(s, L, b, sp, f"{title}: wd = {wd:g}" if wd else f"{title}: wd = 0", name, wd, w)
        results.append(dict(out, wd=wd, run=run))
    note_row, baseline = summary(s, L, sp, results, blocks[1][1])
    # Data > Solver opens on the weight-decay block: minimise its loss by changing its weights.
    b1 = L.blocks[1]
    s.define_name("solver_adj", f"{s.name}!{b1.movies_range(True)},{s.name}!{b1.users_range(True)}")
    s.define_name("solver_opt", f"{s.name}!{b1.cell('loss', True)}")
    for name, value in SOLVER_OPTIONS.items():
        s.define_name(name, value)

    b0 = L.blocks[0]
    n_weights = blocks[0][3].flat().size
    run0 = results[0]["run"]
    if run0 is not None:
        stop = (f"L-BFGS-B stopped at its budget of {run0.iterations} steps, the loss still creeping down:"
                if run0.iterations >= reg.DECAY_OPTIONS["maxiter"] else
                f"L-BFGS-B stopped after {run0.iterations} steps:")
        how = [stop, f"nothing holds the weights back (SUMSQ {results[0]['sumsq']:.0f}). The held-out predictions",
               "(bold purple) come out wild: a small train RMSE, a huge valid RMSE."]
        chosen = [f"wd = {results[1]['wd']:g}: where SciPy found the lowest valid RMSE in {len(search.tried)} fits (a grid from",
                  "0.001 to 1, then minimize_scalar's bounded search; each from the same start), to 2 digits."]
    else:
        how = ["Not fitted yet (built with --no-solve): the random start. Run Solver on each block."]
        chosen = [f"wd {results[1]['wd']:g}: a guess (--no-solve chose none). Try others and watch the valid RMSE."]
    notes(s, g, [
        (g.rating(0, 0)[0], [f"Train ratings (data): {sp.train.count} of the {sp.train.count + sp.valid.count} "
                             "ratings; both models below are fitted on these only.",
                             "The lavender blanks are the held-out cells (below)."]),
        (L.valid_row0, [f"Held-out (valid) ratings: {sp.valid.count} cells, about a fifth, drawn at random "
                        f"(seed {seed}).",
                        "No fit sees them: their RMSE says how well a model predicts ratings it has not seen.",
                        "Move a rating between the two crosstabs to change the split."]),
        (b0.top, ["The bias model (as on the bias sheet) fitted on the train ratings, wd = 0: loss = MSE.",
                  f"{n_weights} weights for {sp.train.count} train ratings: enough to bend to almost every one."]
         + how),
        (b0.result["mse"], ["MSE over the train cells only (the mask drops blanks, as on dotprod);",
                            "SUMSQ of every weight, biases and factors; loss = MSE + wd * SUMSQ.",
                            "train RMSE = SQRT(MSE); valid RMSE over the held-out cells, masked the same way."]),
        (b1.top, ["The same model from the same random start, with loss = MSE + wd * SUMSQ(weights):",
                  "every weight now costs loss, so the fit keeps them small unless the ratings need them."]
         + chosen),
        (b1.result["mse"], ["With weight decay the train RMSE rises and the valid RMSE falls: many parameters",
                            "overfit, weight decay tames them.",
                            "Data > Solver: minimise the loss by changing this block's weights (already set up);",
                            "for the wd = 0 block, set the objective and the weights to its cells."]),
    ])
    for n, line in enumerate(["wd was chosen on these same held-out",
                              "ratings, which flatters its valid",
                              "RMSE a little. For scale, the",
                              "baseline predicts the mean train",
                              "rating for every held-out cell: with",
                              "this little data, hard to beat."]):
        s.note((note_row + n, 0), line)
    widths(s, g)
    s.widths(0, g.id_col - 1, 7)
    s.widths(g.col0, g.last_col, 7)          # wd = 0 predicts held-out ratings far outside 1..5
    s.freeze(g.rating(0, 0))
    return {"results": [{key: v for key, v in r.items() if key != "run"} for r in results],
            "baseline": baseline, "split": sp, "blocks": L.blocks,
            "rmse": results[1]["valid"], "cell": (b1.result["valid"], b1.last_col)}


# ---------------------------------------------------------------- y_range

def y_range_sheet(wb, ratings, w, lo, hi, wd, run):
    s = wb.sheet("y_range")
    g = Grid(ratings, w.k, bias=True)
    s.title((0, 0), "y_range")
    bias_blocks(s, g, ratings, w)

    # lo, hi and wd: named inputs at the top left, beside the crosstab.
    r = g.rating(0, 0)[0] + 1
    for n, (name, value, num_format) in enumerate((("lo", lo, "0.0"), ("hi", hi, "0.0"), ("wd", wd, "0.000"))):
        s.text((r + n, 0), name, "rowhead")
        s.input((r + n, 1), value, num_format)
        s.define_name(name, f"{s.name}!{a1(r + n, 1, True, True)}")
    for n, line in enumerate(["prediction =", "lo + (hi - lo) * sigmoid(x),", "sigmoid(x) = 1/(1+EXP(-x)),",
                              "x = the bias sheet's", "prediction (dot product", "+ movie bias + user bias)"]):
        s.note((r + 4 + n, 0), line)

    preds = reg.predict_y_range(w, lo, hi)
    ur0, ur1, ub = col_name(g.uf_col0), col_name(g.uf_col0 + g.k - 1), col_name(g.ub_col)
    for i in range(g.nu):
        rr = g.pred_row0 + i + 1
        for j in range(g.nm):
            c = col_name(g.col0 + j)
            x = f"MMULT(${ur0}{rr}:${ur1}{rr},{c}${g.mf_row0 + 1}:{c}${g.mf_row0 + g.k})+{c}${g.mb_row + 1}+${ub}{rr}"
            s.formula(g.pred(i, j), f"=lo+(hi-lo)/(1+EXP(-({x})))", preds[i, j], PRED_FMT)
    s.color_scale(g.pred(0, 0), g.pred(g.nu - 1, g.nm - 1))
    s.ws.conditional_format(g.pred_row0, g.col0, g.pred_row0 + g.nu - 1, g.last_col, {
        "type": "formula", "criteria": f"={a1(*g.rating(0, 0))}=\"\"", "format": fmt(s, "unrated")})

    rr, pr = g.ratings_range(), g.preds_range()
    value = cf.rmse(ratings, preds)
    s.text((g.rmse_row, g.last_col - 1), "RMSE", "label")
    s.formula(g.rmse_cell(), f"=SQRT({masked_mse(rr, pr)})", value, RMSE_FMT, style="result")
    # What the fit (and Solver) minimises: MSE + wd * SUMSQ(weights), the MSE as RMSE^2.
    ss_row, loss_row = g.rmse_row + 1, g.rmse_row + 2
    ss = reg.sumsq(w)
    loss = value ** 2 + wd * ss
    s.text((ss_row, g.last_col - 1), "SUMSQ of every weight", "label")
    s.formula((ss_row, g.last_col), f"=SUMSQ({g.movies_range(True)},{g.users_range(True)})", ss, "0.00")
    s.text((loss_row, g.last_col - 1), "loss = RMSE^2 + wd * SUMSQ", "label")
    s.ws.write_formula(loss_row, g.last_col, f"={a1(*g.rmse_cell())}^2+wd*{a1(ss_row, g.last_col)}",
                       fmt(s, "loss"), loss)
    s.define_name("solver_adj", f"{s.name}!{g.movies_range(True)},{s.name}!{g.users_range(True)}")
    s.define_name("solver_opt", f"{s.name}!{a1(loss_row, g.last_col, True, True)}")
    for name, v in SOLVER_OPTIONS.items():
        s.define_name(name, v)

    fitted = (f"Fitted on every rating (the best of {len(run.fits)} L-BFGS-B runs from random starts) by minimising"
              if run is not None else "The random start (built with --no-solve): Solver fits it by minimising")
    top = float(ratings.matrix[ratings.mask].max())
    x_top = float(np.log((top - lo) / (hi - top))) if lo < top < hi else None
    notes(s, g, [
        (g.rating(0, 0)[0], ["Ratings (data): the same crosstab as on dotprod and bias."]),
        (g.mb_row, ["Biases and factors (weights), as on the bias sheet, fitted for this model."]),
        (g.pred_row0, ["Predictions: x = dot product + movie bias + user bias, then squashed into (lo, hi):",
                       "lo + (hi - lo) / (1 + EXP(-x)). Whatever the weights, a prediction stays inside (lo, hi):",
                       "no 6.2 stars, no -0.5: the model need not learn the range of the ratings, it is built in.",
                       f"Why hi = {hi:g} and not {top:g}: a sigmoid never reaches its asymptotes,",
                       f"so a prediction of {hi:g} would need x = +infinity. "
                       + (f"With hi = {hi:g}, a {top:g} needs only x = {x_top:.2f};" if lo < top < hi else
                          f"Your ratings reach {top:g}: set hi a little above that;"),
                       f"lo = {lo:g} below the lowest rating does the same at the bottom."]),
        (g.rmse_row, ["RMSE over the rated cells, as on the bias sheet.", fitted,
                      f"the loss = MSE + wd * SUMSQ, with a tiny wd = {wd:g}: without it the fit drives some x to",
                      "+-100s where the sigmoid is flat, their predictions stick at exactly lo or hi and",
                      "the gradient vanishes. Data > Solver: minimise the loss by changing the weights (set up)."]),
    ])
    widths(s, g)
    s.freeze(g.rating(0, 0))
    return {"rmse": value, "cell": g.rmse_cell(), "grid": g, "preds": preds}
