"""Taming the bias model in NumPy: what the weight_decay and y_range sheets compute.

weight_decay: about a fifth of the rated cells are held out (the validation set). The bias model,
plus the mean train rating (a constant, not a weight), is fitted on the rest by minimising
loss = MSE + wd * SUMSQ(every weight). With wd = 0 its 180 weights (k = 5) chase the 165 training
ratings and the held-out ratings come out wild; a wd chosen on the validation RMSE keeps the
weights small, so the predictions stay near the mean unless the ratings say otherwise: better
on the held-out ratings than no decay and than the mean alone.

y_range: the bias model's output x squashed into (lo, hi) = (0, 5.5) by a sigmoid,
lo + (hi - lo) * sigmoid(x), fitted on every rating like the bias sheet (with a tiny weight decay).

Arithmetic runs in the order the sheets' formulas run (see models.collab), so the cached values
written into the workbook match a formula evaluator to the last bit or nearly.
"""
from dataclasses import dataclass, replace

import numpy as np
from scipy.optimize import minimize_scalar

from ..errors import SheetsgdError
from . import collab as cf
from . import lbfgs
from .portable import exp, fdot

# ---------------------------------------------------------------- the validation split

VALID_FRACTION = 0.2


@dataclass(frozen=True)
class Split:
    """The same crosstab twice: train (held-out cells blank) and valid (only the held-out cells)."""
    train: object    # data.Ratings
    valid: object


def split(ratings, rng, fraction=VALID_FRACTION):
    """Hold out round(fraction * ratings) rated cells drawn by rng (at least one, and never all)."""
    rated = np.flatnonzero(ratings.mask.ravel())          # row by row, as the crosstab reads
    if len(rated) < 2:
        raise SheetsgdError(f"ratings: {len(rated)} rated cell(s); a validation split needs at least 2")
    n_valid = min(max(1, round(fraction * len(rated))), len(rated) - 1)
    held = np.zeros(ratings.mask.size, dtype=bool)
    held[rng.choice(rated, n_valid, replace=False)] = True
    held = held.reshape(ratings.mask.shape)
    blank = lambda keep: replace(ratings, matrix=np.where(keep, ratings.matrix, np.nan))
    return Split(train=blank(ratings.mask & ~held), valid=blank(held))


# ---------------------------------------------------------------- weight decay

def mse(ratings, preds):
    """Mean squared error over the rated cells (SUMPRODUCT(mask*(rating-pred)^2)/COUNT)."""
    return float(cf.squared_errors(ratings, preds).sum() / ratings.count)


def sumsq(w):
    """SUMSQ of every weight: factors and biases (what weight decay penalises)."""
    theta = w.flat()
    return fdot(theta, theta)


def decayed_loss(ratings, w, wd):
    """The loss cell: MSE + wd * SUMSQ(weights)."""
    return mse(ratings, cf.predict(w)) + wd * sumsq(w)


def decayed_loss_and_grad(theta, start, ratings, wd):
    """MSE + wd * theta.theta and its gradient: d MSE / d pred = 2 mask (pred - rating) / n,
    chained through the dot product and the biases as in models.collab; d/d theta of the decay = 2 wd theta."""
    w = start.unflat(theta)
    err = ratings.mask * (cf.predict(w) - ratings.filled)
    g = 2 * err / ratings.count
    grad = cf.chain(w, g)
    return fdot(err, err) / ratings.count + wd * fdot(theta, theta), grad + 2 * wd * theta


# Every weight-decay fit gets the same budget. With wd = 0 there is no minimum to reach: the loss
# keeps creeping down while a few weights grow without bound, so that fit stops at the budget.
DECAY_OPTIONS = {"maxiter": 1000, "maxfun": 2000, "ftol": 1e-13, "gtol": 1e-9}


@dataclass(frozen=True)
class DecayFit:
    wd: float
    weights: cf.Weights
    iterations: int
    message: str


def fit_decayed(ratings, start, wd, offset=0.0):
    """Minimise MSE + wd * SUMSQ from `start` with L-BFGS (models.lbfgs) and the analytic gradient.

    offset: a constant every prediction adds, not a weight (the weight_decay sheet's mean train
    rating): weight decay then pulls the predictions toward it instead of toward 0 stars."""
    if offset:
        ratings = replace(ratings, matrix=ratings.matrix - offset)
    res = lbfgs.minimize(decayed_loss_and_grad, start.flat(), (start, ratings, wd), **DECAY_OPTIONS)
    return DecayFit(wd, start.unflat(res.x), int(res.nit), str(res.message))


def predict_offset(w, offset):
    """The bias model's prediction + offset, added last (the formula's order: MMULT + biases + mean)."""
    return cf.predict(w) + offset


def valid_rmse(sp, w, offset=0.0):
    return cf.rmse(sp.valid, predict_offset(w, offset))


# A coarse grid over four decades, then a bounded search around its best point (in log10 wd).
WD_GRID = tuple(10.0 ** e for e in np.arange(-3, 0.01, 0.5))
WD_DIGITS = 2   # the chosen wd is shown (and refitted) rounded to 2 significant digits


@dataclass(frozen=True)
class WdSearch:
    wd: float            # the chosen wd, rounded to WD_DIGITS significant digits
    fit: DecayFit        # the fit at exactly that wd
    tried: tuple         # ((wd, valid RMSE), ...) in the order tried


def choose_wd(sp, start, grid=WD_GRID, offset=0.0):
    """The wd whose fit (from `start`, on sp.train) has the lowest valid RMSE: grid, then SciPy's bounded search."""
    tried = {}

    def score(log_wd):
        wd = 10.0 ** log_wd
        if wd not in tried:
            tried[wd] = valid_rmse(sp, fit_decayed(sp.train, start, wd, offset).weights, offset)
        return tried[wd]

    logs = np.log10(grid)
    scores = [score(x) for x in logs]
    best = int(np.argmin(scores))
    lo, hi = logs[max(best - 1, 0)], logs[min(best + 1, len(logs) - 1)]
    res = minimize_scalar(score, bounds=(lo, hi), method="bounded", options={"xatol": 0.01})
    x = res.x if res.fun <= scores[best] else logs[best]
    wd = float(f"{10.0 ** x:.{WD_DIGITS}g}")
    return WdSearch(wd, fit_decayed(sp.train, start, wd, offset), tuple(tried.items()))


# ---------------------------------------------------------------- y_range

Y_RANGE = (0.0, 5.5)


def sigmoid(x):
    """1/(1+EXP(-x)), as the sheet writes it (exp: models.portable's, the same bits on every CPU)."""
    return 1 / (1 + exp(-x))


def squash(x, lo, hi):
    """lo + (hi - lo) * sigmoid(x), in the formula's order: lo+(hi-lo)/(1+EXP(-x))."""
    return lo + (hi - lo) / (1 + exp(-x))


def predict_y_range(w, lo, hi):
    return squash(cf.predict(w), lo, hi)


# The y_range model is fitted with a tiny weight decay too: without it the fit drives some x to
# +-100s, where the sigmoid is flat, their predictions stick at exactly lo or hi and the gradient
# vanishes (measured: the plain RMSE's polish never converges, max |x| 140..190).
Y_RANGE_WD = 1e-3


def y_range_loss(ratings, w, lo, hi, wd):
    """The y_range sheet's loss cell: RMSE^2 + wd * SUMSQ(weights)."""
    return cf.rmse(ratings, predict_y_range(w, lo, hi)) ** 2 + wd * sumsq(w)


def y_range_loss_and_grad(theta, start, ratings, lo, hi, wd):
    """MSE of the squashed predictions + wd * theta.theta, and its gradient: d MSE / d pred as for
    weight decay, times d pred / d x = (hi - lo) * s * (1 - s), s = sigmoid(x)."""
    w = start.unflat(theta)
    s = sigmoid(cf.predict(w))
    err = ratings.mask * ((lo + (hi - lo) * s) - ratings.filled)
    g = 2 * err / ratings.count
    loss = fdot(err, err) / ratings.count + wd * fdot(theta, theta)
    return loss, cf.chain(w, g * (hi - lo) * s * (1 - s)) + 2 * wd * theta


@dataclass(frozen=True)
class YRangeFit:
    weights: cf.Weights
    loss: float
    rmse: float
    iterations: int
    message: str


def fit_y_range(ratings, start, lo, hi, wd=Y_RANGE_WD):
    """Minimise MSE + wd * SUMSQ of the squashed model from `start` (L-BFGS, analytic gradient)."""
    res = lbfgs.minimize(y_range_loss_and_grad, start.flat(), (start, ratings, lo, hi, wd), **cf.FIT_OPTIONS)
    w = start.unflat(res.x)
    return YRangeFit(w, float(res.fun), cf.rmse(ratings, predict_y_range(w, lo, hi)), int(res.nit), str(res.message))


@dataclass(frozen=True)
class YRangeSolve:
    start: cf.Weights
    best: YRangeFit
    fits: tuple


def solve_y_range(ratings, rng, k, lo, hi, wd=Y_RANGE_WD, max_starts=cf.MAX_STARTS):
    """Fits from random starts until the lowest loss has been reached twice (as models.collab.solve)."""
    nu, nm = ratings.matrix.shape
    first = cf.random_start(rng, nu, nm, k, bias=True)
    fits = [fit_y_range(ratings, first, lo, hi, wd)]
    while len(fits) < max_starts:
        best = min(f.loss for f in fits)
        if sum(abs(f.loss - best) <= cf.SAME_RMSE * best for f in fits) >= 2:
            break
        fits.append(fit_y_range(ratings, cf.random_start(rng, nu, nm, k, bias=True), lo, hi, wd))
    return YRangeSolve(first, min(fits, key=lambda f: f.loss), tuple(fits))
