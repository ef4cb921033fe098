"""Collaborative filtering in NumPy: what the dotprod, movielens_* and bias sheets compute.

A rating is predicted as the dot product of a user's factors and a movie's factors (dotprod),
plus a user bias and a movie bias (bias). The loss is the RMSE over the rated cells only.
`fit` does what Excel's Solver did in the lecture: start from random weights and minimise
the RMSE, here with L-BFGS (models.lbfgs) and the analytic gradient.

Sums run in the order a spreadsheet adds them (factor 1, then 2, ...), so the cached values
written into the workbook match a formula evaluator to the last bit or nearly. Everything a solve
computes is elementwise or summed in a fixed order (models.portable), never through BLAS: the
fitted weights, and so the workbook, are the same bits on every CPU.
"""
import time
from dataclasses import dataclass, replace

import numpy as np

from . import lbfgs
from .portable import fdot, seqsum


@dataclass(frozen=True)
class Weights:
    """users: n_users x k (one row per user); movies: k x n_movies (one column per movie, as on the sheet).
    user_bias (n_users,) and movie_bias (n_movies,) only for the bias model (None for dotprod)."""
    users: np.ndarray
    movies: np.ndarray
    user_bias: np.ndarray = None
    movie_bias: np.ndarray = None

    @property
    def k(self):
        return self.users.shape[1]

    @property
    def has_bias(self):
        return self.user_bias is not None

    def flat(self):
        """All weights as one vector (what the optimiser moves)."""
        parts = [self.users.ravel(), self.movies.ravel()]
        if self.has_bias:
            parts += [self.user_bias, self.movie_bias]
        return np.concatenate(parts)

    def unflat(self, theta):
        """The inverse of flat(), shaped like self."""
        nu, k = self.users.shape
        nm = self.movies.shape[1]
        a, b = nu * k, nu * k + k * nm
        w = Weights(theta[:a].reshape(nu, k), theta[a:b].reshape(k, nm))
        if self.has_bias:
            w = replace(w, user_bias=theta[b:b + nu], movie_bias=theta[b + nu:b + nu + nm])
        return w

    def map(self, f):
        """The same weights with f applied to every array (e.g. writer.stored)."""
        return Weights(*(None if a is None else f(a) for a in
                         (self.users, self.movies, self.user_bias, self.movie_bias)))


def random_start(rng, n_users, n_movies, k, bias=False):
    """Uniform [0, 1) weights, like the lecture's =RAND() start. Draw order: users, movies, then biases."""
    users = rng.random((n_users, k))
    movies = rng.random((k, n_movies))
    if not bias:
        return Weights(users, movies)
    return Weights(users, movies, rng.random(n_users), rng.random(n_movies))


def dot(users, movies):
    """users @ movies, summed factor by factor left to right, as MMULT/SUMPRODUCT add them."""
    out = users[:, 0, None] * movies[None, 0, :]
    for f in range(1, users.shape[1]):
        out = out + users[:, f, None] * movies[None, f, :]
    return out


def predict(w):
    """Every user x movie prediction: dot product (+ movie bias + user bias, in the formula's order)."""
    p = dot(w.users, w.movies)
    if w.has_bias:
        p = (p + w.movie_bias[None, :]) + w.user_bias[:, None]
    return p


def squared_errors(ratings, preds):
    """(rating - prediction)^2 on rated cells, 0 elsewhere: the explicit mask of the RMSE formula."""
    return ratings.mask * (ratings.filled - preds) ** 2


def rmse(ratings, preds):
    """Root mean squared error over the rated cells only (the sheets' RMSE cell)."""
    return float(np.sqrt(squared_errors(ratings, preds).sum() / ratings.count))


def _forward(theta, start, ratings):
    """Weights, masked errors and RMSE of the flat weights theta.

    Elementwise products and sums in a fixed order, not `@` or einsum: BLAS kernels and einsum's
    inner loops differ from CPU to CPU in the last bit, and a solve amplifies that (models.portable)."""
    w = start.unflat(theta)
    err = ratings.mask * (predict(w) - ratings.filled)
    return w, err, np.sqrt(fdot(err, err) / ratings.count)


def rmse_and_grad(theta, start, ratings):
    """RMSE of the flat weights theta and its analytic gradient (what the solver calls).

    d RMSE / d pred = mask * (pred - rating) / (n * RMSE); the chain rule then gives
    users: G @ movies.T, movies: users.T @ G, user bias: row sums of G, movie bias: column sums."""
    w, err, loss = _forward(theta, start, ratings)
    g = err / (ratings.count * loss) if loss > 0 else err * 0.0
    return loss, chain(w, g)


def chain(w, g):
    """The gradient w.r.t. the flat weights, given g = d loss / d prediction for every cell:
    users g @ movies.T, movies users.T @ g, user bias the row sums of g, movie bias the column sums,
    each sum taken in order (no BLAS: the same bits on every CPU)."""
    grads = [seqsum(g[:, :, None] * w.movies.T[None, :, :], axis=1).ravel(),
             seqsum(w.users.T[:, :, None] * g[None, :, :], axis=1).ravel()]
    if w.has_bias:
        grads += [seqsum(g, axis=1), seqsum(g, axis=0)]
    return np.concatenate(grads)


def rmse_only(theta, start, ratings):
    """The same RMSE without its gradient (finite differences then estimate it: the benchmark's baseline)."""
    return float(_forward(theta, start, ratings)[2])


@dataclass(frozen=True)
class Fit:
    weights: Weights
    rmse: float
    iterations: int
    evaluations: int
    seconds: float
    message: str


# Tight enough that the fitted RMSE no longer moves in its 6th decimal; bounded so a build is quick.
FIT_OPTIONS = {"maxiter": 3000, "maxfun": 6000, "ftol": 1e-13, "gtol": 1e-9}
# Without any penalty some starts drift along a valley where a few weights grow without bound and
# the RMSE creeps down forever (0.4015 after 3000 steps). A first pass with a tiny weight decay
# closes that valley; the second pass then minimises the plain RMSE, the number on the sheet.
WEIGHT_DECAY = 1e-3
FIRST_PASS_FTOL = 1e-10
POLISH_ITERATIONS = 500


def _decayed(theta, start, ratings):
    loss, grad = rmse_and_grad(theta, start, ratings)
    return loss + WEIGHT_DECAY * fdot(theta, theta), grad + 2 * WEIGHT_DECAY * theta


def finite_difference(theta, f, *args, h=1.49e-8):
    """f and its gradient by forward differences, one more f per weight (the benchmark's baseline)."""
    f0 = f(theta, *args)
    grad = np.empty_like(theta)
    for i in range(theta.size):
        bumped = theta.copy()
        bumped[i] += h
        grad[i] = (f(bumped, *args) - f0) / h
    return f0, grad


def _decayed_only(theta, start, ratings):
    return rmse_only(theta, start, ratings) + WEIGHT_DECAY * fdot(theta, theta)


def fit(ratings, start, analytic_gradient=True):
    """Minimise the RMSE from `start` with L-BFGS, as Solver's GRG Nonlinear did in the lecture.

    analytic_gradient=False estimates the gradient by finite differences instead (one extra
    RMSE per weight per step): the baseline of `python3 -m sheetsgd.bench.collab_solve`."""
    return _fit(ratings, start, analytic_gradient)


def _fit(ratings, start, analytic_gradient):
    t0 = time.perf_counter()
    first_opts = dict(FIT_OPTIONS, ftol=FIRST_PASS_FTOL)
    polish_opts = dict(FIT_OPTIONS, maxiter=POLISH_ITERATIONS)
    if analytic_gradient:
        first = lbfgs.minimize(_decayed, start.flat(), (start, ratings), **first_opts)
        res = lbfgs.minimize(rmse_and_grad, first.x, (start, ratings), **polish_opts)
    else:
        first = lbfgs.minimize(finite_difference, start.flat(), (_decayed_only, start, ratings), **first_opts)
        res = lbfgs.minimize(finite_difference, first.x, (rmse_only, start, ratings), **polish_opts)
    seconds = time.perf_counter() - t0
    w = start.unflat(res.x)
    return Fit(w, rmse(ratings, predict(w)), int(first.nit + res.nit), int(first.nfev + res.nfev),
               seconds, str(res.message))


@dataclass(frozen=True)
class Solve:
    """The best of several fits. start: the first random start (what --no-solve writes)."""
    start: Weights
    best: Fit
    fits: tuple

    @property
    def seconds(self):
        return sum(f.seconds for f in self.fits)


MAX_STARTS = 8
SAME_RMSE = 1e-7   # relative: two fits that end this close found the same minimum
EXACT_FIT = 1e-4   # an RMSE this small reproduces every rating to well under a star


def solve(ratings, rng, k, bias=False, analytic_gradient=True, max_starts=MAX_STARTS):
    """Fit from random starts drawn from rng until the best RMSE has been reached twice.

    Like Solver's Multistart: about one start in five of the bias model ends in a local minimum
    (RMSE 0.3224 instead of 0.3187). Two fits agreeing on the best value is the evidence we
    accept that it is the minimum; the typical cost is two or three fits."""
    nu, nm = ratings.matrix.shape
    first = random_start(rng, nu, nm, k, bias)
    fits = [_fit(ratings, first, analytic_gradient)]
    while len(fits) < max_starts:
        best = min(f.rmse for f in fits)
        if best < EXACT_FIT:       # enough factors to reproduce every rating: nothing left to find
            break
        if sum(abs(f.rmse - best) <= SAME_RMSE * best for f in fits) >= 2:
            break
        fits.append(_fit(ratings, random_start(rng, nu, nm, k, bias), analytic_gradient))
    best = min(fits, key=lambda f: f.rmse)
    return Solve(first, best, tuple(fits))


# --- the long form: movielens_1hot and movielens_emb ---------------------------------------

def one_hot(idx, n):
    """Rows of a one-hot matrix: 1 in column idx-1 (1-based idx, as MATCH returns), 0 elsewhere."""
    idx = np.asarray(idx)
    return (idx[:, None] == np.arange(1, n + 1)[None, :]).astype(float)


def activations(onehot, weights):
    """one-hot @ weights, summed term by term: exactly the looked-up rows (adding zeros is exact)."""
    out = onehot[:, 0, None] * weights[None, 0, :]
    for j in range(1, onehot.shape[1]):
        out = out + onehot[:, j, None] * weights[None, j, :]
    return out


def long_predictions(user_rows, movie_rows):
    """SUMPRODUCT of each row's user and movie embedding, factor by factor."""
    out = user_rows[:, 0] * movie_rows[:, 0]
    for f in range(1, user_rows.shape[1]):
        out = out + user_rows[:, f] * movie_rows[:, f]
    return out


def long_rmse(ratings_long, preds):
    """SQRT(AVERAGE(squared errors)) over the long form."""
    return float(np.sqrt(((preds - ratings_long) ** 2).mean()))
