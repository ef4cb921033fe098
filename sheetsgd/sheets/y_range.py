"""collab_filter.xlsx's y_range sheet: the bias model with every prediction squashed into (lo, hi)
by a sigmoid. Laid out like the bias sheet (sheets/crosstab.py); the NumPy twins are
models.collab_reg's predict_y_range and sumsq.
"""
import numpy as np

from ..models import collab as cf
from ..models import collab_reg as reg
from ..writer import a1, stored
from .crosstab import (SUMSQ, Y_RANGE, Grid, bias_blocks, fmt, notes, prediction_cells, prediction_format, rmse_cell,
                       solver_model, unrated, widths)


def add_sheet(wb, ratings, factors, y_rng, solve=True):
    """Fit (unless not solve) and write the y_range sheet; returns {"rmse", "cell", ...}."""
    lo, hi = (stored(x) for x in reg.Y_RANGE)
    if solve:
        y_run = reg.solve_y_range(ratings, y_rng, factors, lo, hi, stored(reg.Y_RANGE_WD))
        y_weights = y_run.best.weights
    else:
        nu, nm = ratings.matrix.shape
        y_run, y_weights = None, cf.random_start(y_rng, nu, nm, factors, bias=True)
    return y_range_sheet(wb, ratings, y_weights.map(stored), lo, hi, stored(reg.Y_RANGE_WD), y_run)


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
    prediction_cells(s, g, Y_RANGE, preds)
    prediction_format(s, g, unrated(g))
    value = rmse_cell(s, g, cf.rmse(ratings, preds))
    # What the fit (and Solver) minimises: MSE + wd * SUMSQ(weights), the MSE as RMSE^2.
    ss_row, loss_row = g.rmse_row + 1, g.rmse_row + 2
    ss = reg.sumsq(w)
    loss = value ** 2 + wd * ss
    s.text((ss_row, g.last_col - 1), "SUMSQ of every weight", "label")
    s.formula((ss_row, g.last_col), SUMSQ.format(movies=g.movies_range(True), users=g.users_range(True)), ss, "0.00")
    s.text((loss_row, g.last_col - 1), "loss = RMSE^2 + wd * SUMSQ", "label")
    s.ws.write_formula(loss_row, g.last_col, f"={a1(*g.rmse_cell())}^2+wd*{a1(ss_row, g.last_col)}",
                       fmt(s, "loss"), loss)
    solver_model(s, g, a1(loss_row, g.last_col, True, True))

    fitted = (f"Fitted on every rating (the best of {len(run.fits)} L-BFGS runs from random starts) by minimising"
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
