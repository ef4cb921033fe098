"""collab_filter.xlsx's weight_decay sheet: the bias model overfits; weight decay tames it.

The crosstab is split into train ratings and held-out (valid) ratings; the bias model is fitted on
the train ratings twice from the same start, once with wd = 0 and once with the wd SciPy chose for
the lowest valid RMSE; each block shows its loss (MSE + wd * SUMSQ(weights), what Solver
minimises), its train RMSE and its valid RMSE. Laid out like the bias sheet (sheets/crosstab.py),
each result cell a (key, label, formula, meaning) row beside its NumPy twin in models.collab_reg.
"""
import numpy as np

from ..models import collab as cf
from ..models import collab_reg as reg
from ..writer import a1, stored
from .crosstab import (BIAS, MASKED_MSE, RATINGS_FMT, RMSE, RMSE_FMT, SUMSQ, Grid, bias_inputs, crosstab, factor_blocks,
                       fmt, notes, prediction_cells, prediction_format, solver_model, widths)

# Without --no-solve's search, the wd block shows this wd (and the random start, like every sheet).
WD_UNSOLVED = 0.01

WEIGHT_SPAN = 2.0      # the weights' colour scale: -2 red, 0 white, +2 green

# A prediction here: the bias model's, plus the mean train rating. Weight decay pulls every weight
# toward 0, so it pulls the predictions toward that mean (the baseline), not toward 0 stars.
DECAYED = ("decayed", BIAS[1] + "+mean_train",
           "the bias model's prediction + the mean train rating (models.collab_reg.predict_offset)")

# A block's results, under its predictions: (key, label, formula, meaning). {train}, {valid}: the two
# crosstabs; {preds}: this block's predictions; {wd}: its wd's name; {mse}, {sumsq}: its cells.
RESULTS = [
    ("mse", "MSE on the train ratings", "=" + MASKED_MSE.replace("{ratings}", "{train}"),
     "mean squared error over the train cells only"),
    ("sumsq", "SUMSQ of every weight", SUMSQ, "the sum of every weight squared, biases and factors"),
    ("loss", "loss = MSE + wd * SUMSQ", "={mse}+{wd}*{sumsq}", "what the fit (and Solver) minimises"),
    ("train", "train RMSE", "=SQRT({mse})", "the RMSE on the ratings it was fitted to"),
    ("valid", "valid RMSE", "=SQRT(" + MASKED_MSE.replace("{ratings}", "{valid}") + ")",
     "the RMSE on ratings no fit has seen"),
]
RESULT_STYLE = {"mse": (RMSE_FMT, "formula"), "sumsq": ("0.00", "formula"), "loss": None,
                "train": (RMSE_FMT, "result"), "valid": (RMSE_FMT, "result")}


def add_sheet(wb, ratings, factors, split_rng, wd_rng, seed, solve=True):
    """Split, fit (unless not solve) and write the weight_decay sheet; returns what the about sheet reads."""
    sp = reg.split(ratings, split_rng)
    nu, nm = ratings.matrix.shape
    start = cf.random_start(wd_rng, nu, nm, factors, bias=True)
    mean = train_mean(sp.train)
    if solve:
        none = reg.fit_decayed(sp.train, start, 0.0, mean)
        search = reg.choose_wd(sp, start, offset=mean)
        tuned = search.fit
    else:
        none = tuned = search = None
    blocks = [("no weight decay", "wd_0", 0.0, none.weights if solve else start, none),
              ("weight decay", "wd", search.wd if solve else WD_UNSOLVED, tuned.weights if solve else start, tuned)]
    return weight_decay_sheet(wb, sp, [(title, name, stored(wd), w.map(stored), run)
                                       for title, name, wd, w, run in blocks], search, seed, mean)


def train_mean(train):
    """=AVERAGE(the train crosstab), added as AVERAGE adds: row by row."""
    total = 0.0
    for v in train.matrix[train.mask].tolist():
        total += v
    return total / train.count


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


def decay_block(s, L, b, sp, title, name, wd, w, mean):
    """wd (named), the weights, the predictions and the five result cells of one fit; returns the results."""
    g = L.train
    s.title((b.top, 0), title)
    s.text((b.top, b.id_col), "wd", "label")
    s.input((b.top, b.col0), wd, "0.0000")
    s.define_name(name, f"{s.name}!{a1(b.top, b.col0, True, True)}")
    # One scale for both blocks, 0 white: decayed weights near 0 look near 0 (not red and green).
    factor_blocks(s, b, sp.train, w, span=WEIGHT_SPAN)
    bias_inputs(s, b, w, span=WEIGHT_SPAN)

    preds = reg.predict_offset(w, mean)
    prediction_cells(s, b, DECAYED, preds)
    top_train, top_valid = a1(*g.rating(0, 0)), a1(*L.valid(0, 0))
    prediction_format(s, b, f"={top_valid}<>\"\"", "valid_pred")
    prediction_format(s, b, f"=AND({top_train}=\"\",{top_valid}=\"\")")

    # The loss and the two RMSEs, each beside its NumPy twin.
    out = {"mse": reg.mse(sp.train, preds), "sumsq": reg.sumsq(w)}
    out["loss"] = out["mse"] + wd * out["sumsq"]
    out["train"] = float(np.sqrt(out["mse"]))
    out["valid"] = cf.rmse(sp.valid, preds)
    tr, va = L.ranges()
    names = {"train": tr, "valid": va, "preds": b.preds_range(), "wd": name, "mse": b.cell("mse"),
             "sumsq": b.cell("sumsq"), "movies": b.movies_range(True), "users": b.users_range(True)}
    for key, label, formula, _ in RESULTS:
        s.text((b.result[key], b.last_col - 1), label, "label")
        text = formula.format_map(names)
        if RESULT_STYLE[key] is None:
            s.ws.write_formula(b.result[key], b.last_col, text, fmt(s, "loss"), out[key])
        else:
            num_format, style = RESULT_STYLE[key]
            s.formula((b.result[key], b.last_col), text, out[key], num_format, style=style)
    return out


def summary(s, L, sp, results, tuned_name, mean):
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
    s.formula((r + 8, c), RMSE.format(ratings=va, preds=mean_cell), baseline, RMSE_FMT)
    return r + len(rows) + 1, baseline


def weight_decay_sheet(wb, sp, blocks, search, seed, mean):
    s = wb.sheet("weight_decay")
    k = blocks[0][3].k
    L = DecayLayout(sp.train, k)
    g = L.train
    s.title((0, 0), "weight_decay")
    crosstab(s, g, sp.train)
    valid_crosstab(s, L, sp)
    # The mean train rating (in the summary, top left) is part of every prediction below.
    s.define_name("mean_train", f"{s.name}!{a1(g.rating(0, 0)[0] + 7, g.id_col - 1, True, True)}")
    results = []
    for b, (title, name, wd, w, run) in zip(L.blocks, blocks):
        out = decay_block(s, L, b, sp, f"{title}: wd = {wd:g}" if wd else f"{title}: wd = 0", name, wd, w, mean)
        results.append(dict(out, wd=wd, run=run))
    note_row, baseline = summary(s, L, sp, results, blocks[1][1], mean)
    # Data > Solver opens on the weight-decay block: minimise its loss by changing its weights.
    b1 = L.blocks[1]
    solver_model(s, b1, b1.cell("loss", True))

    b0 = L.blocks[0]
    n_weights = blocks[0][3].flat().size
    tuned, none = results[1]["valid"], results[0]["valid"]
    verdict = (f" Held out: {tuned:.3f} against {none:.3f} without decay and {baseline:.3f} for the mean alone."
               if results[1]["run"] is not None else "")
    run0 = results[0]["run"]
    if run0 is not None:
        stop = (f"L-BFGS stopped at its budget of {run0.iterations} steps, the loss still creeping down:"
                if run0.iterations >= reg.DECAY_OPTIONS["maxiter"] else
                f"L-BFGS stopped after {run0.iterations} steps:")
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
        (b0.top, ["The bias model (as on the bias sheet) + the mean train rating (mean_train, top left), fitted on the",
                  f"train ratings with wd = 0: loss = MSE. {n_weights} weights for {sp.train.count} train ratings: "
                  "enough to bend to almost every one."]
         + how),
        (b0.result["mse"], ["MSE over the train cells only (the mask drops blanks, as on dotprod);",
                            "SUMSQ of every weight, biases and factors (not the mean: it is data); loss = MSE + wd * SUMSQ.",
                            "train RMSE = SQRT(MSE); valid RMSE over the held-out cells, masked the same way."]),
        (b1.top, ["The same model from the same random start, with loss = MSE + wd * SUMSQ(weights):",
                  "every weight now costs loss, so the fit keeps them small unless the ratings need them,",
                  "and small weights leave a prediction near the mean rating."]
         + chosen),
        (b1.result["mse"], ["With weight decay the train RMSE rises and the valid RMSE falls: many parameters",
                            "overfit, weight decay tames them." + verdict,
                            "Data > Solver: minimise the loss by changing this block's weights (already set up);",
                            "for the wd = 0 block, set the objective and the weights to its cells."]),
    ])
    for n, line in enumerate(["The baseline predicts the mean train",
                              "rating for every held-out cell: what",
                              "a model with all weights 0 predicts",
                              "here, and what a large wd tends to.",
                              "wd was chosen on these same held-out",
                              "ratings, which flatters its valid",
                              "RMSE a little."]):
        s.note((note_row + n, 0), line)
    widths(s, g)
    s.widths(0, g.id_col - 1, 7)
    s.widths(g.col0, g.last_col, 7)          # wd = 0 predicts held-out ratings far outside 1..5
    s.freeze(g.rating(0, 0))
    return {"results": [{key: v for key, v in r.items() if key != "run"} for r in results],
            "baseline": baseline, "split": sp, "blocks": L.blocks,
            "rmse": results[1]["valid"], "cell": (b1.result["valid"], b1.last_col)}


