"""The lesson's MovieLens model in NumPy: fastai v1's ``collab_learner`` trained with ``fit_one_cycle``.

The notebook after the 15x15 sheet does::

    learn = collab_learner(data, n_factors=40, y_range=(0, 5.5), wd=0.1)
    learn.fit_one_cycle(5, 5e-3)            # valid MSE 0.81 in the lesson

and this module is that, line for line, with analytic gradients instead of autograd:

- model (fastai v1 ``EmbeddingDotBias``): ``pred = sigmoid(u_i . m_j + b_i + c_j) * (hi - lo) + lo``,
  embeddings and biases initialised ``normal().fmod(2) * 0.01`` (fastai's ``trunc_normal_``);
- loss: mean squared error over the batch;
- weight decay: fastai v1's ``true_wd``: ``w *= 1 - lr * wd`` on every parameter (biases too,
  ``bn_wd=True``) before the optimiser step, decoupled from Adam (AdamW);
- optimiser: PyTorch 1.x ``Adam`` as fastai v1 builds it (``AdamW = partial(optim.Adam,
  betas=(0.9, 0.99))``, eps left at PyTorch's 1e-8), beta1 replaced each step by the
  one-cycle momentum. Embedding gradients are dense in PyTorch (zeros off the batch), so
  Adam moves *every* row every step with its running averages: we do exactly that, on the
  full tables. A lazy "only the batch's rows" Adam is a different optimiser: measured on
  ml-100k it ends at valid MSE 0.859 instead of 0.804, and is no faster in NumPy;
- schedule (fastai v1 ``OneCycleScheduler``): ``n = steps_per_epoch * epochs``, a1 = int(0.3 n)
  steps of cosine lr_max/25 -> lr_max and beta1 0.95 -> 0.85, then cosine down to
  lr_max/(25 * 1e4) and beta1 back to 0.95; batch 64, shuffled, last partial batch dropped;
- data (fastai v1 ``split_by_rand_pct``): ``np.random.seed(42); permutation[:int(0.1 n)]`` is
  the validation set; users and movies are indexed from the training set only, and an id
  seen only in validation predicts with zero factors and biases (fastai's ``#na#`` row,
  which only weight decay ever touches, shrinks towards zero the same way).
Float64 throughout.
"""
import math
import time
from dataclasses import dataclass, field
from typing import Callable, List, NamedTuple, Optional

import numpy as np
from scipy.special import expit as sigmoid

from ..errors import SheetsgdError

Y_RANGE = (0.0, 5.5)


# ---------------------------------------------------------------- parameters and prediction

@dataclass
class Params:
    """Row i of U and bu belongs to user_ids[i]; row j of M and bm to movie_ids[j]."""
    user_ids: np.ndarray
    movie_ids: np.ndarray
    U: np.ndarray          # (users, factors)
    M: np.ndarray          # (movies, factors)
    bu: np.ndarray         # (users,)  user bias
    bm: np.ndarray         # (movies,) movie bias
    y_range: tuple = Y_RANGE

    def rows(self, ids, known):
        """Row of each id in `known` (sorted), -1 for an id not seen in training."""
        ids = np.asarray(ids)
        pos = np.searchsorted(known, ids).clip(0, len(known) - 1)
        return np.where(known[pos] == ids, pos, -1)

    def predict(self, users, movies):
        """Predicted stars for each (user id, movie id) pair; unseen ids count as zero factors."""
        iu, im = self.rows(users, self.user_ids), self.rows(movies, self.movie_ids)
        zero_u, zero_m = (iu < 0)[:, None], (im < 0)[:, None]
        U = np.where(zero_u, 0.0, self.U[iu])
        M = np.where(zero_m, 0.0, self.M[im])
        bu = np.where(iu < 0, 0.0, self.bu[iu])
        bm = np.where(im < 0, 0.0, self.bm[im])
        return dotprod_bias(U, M, bu, bm, self.y_range)


def dotprod_bias(Ub, Mb, bub, bmb, y_range=Y_RANGE):
    """The lesson's prediction for rows already looked up: sigmoid(dotprod + biases) into y_range."""
    lo, hi = y_range
    return sigmoid(np.einsum("ij,ij->i", Ub, Mb) + bub + bmb) * (hi - lo) + lo


def batch_grads(U, M, bu, bm, u, m, y, y_range=Y_RANGE):
    """MSE of one batch and its gradient for each example's looked-up rows.

    Returns (loss, dU rows, dM rows, d bias) where example k's rows are U[u[k]], M[m[k]],
    bu[u[k]], bm[m[k]]; the caller adds them into the tables (a row used twice gets both)."""
    lo, hi = y_range
    Ub, Mb = U[u], M[m]
    s = sigmoid(np.einsum("ij,ij->i", Ub, Mb) + bu[u] + bm[m])
    err = s * (hi - lo) + lo - y
    loss = np.dot(err, err) / len(y)
    dz = (2.0 / len(y)) * err * (hi - lo) * s * (1.0 - s)     # chain rule through the sigmoid
    return loss, dz[:, None] * Mb, dz[:, None] * Ub, dz


def dense_grads(U, M, bu, bm, u, m, y, y_range=Y_RANGE):
    """(loss, gU, gM, gbu, gbm) with whole-table gradients, zero off the batch (as PyTorch's)."""
    loss, dU, dM, db = batch_grads(U, M, bu, bm, u, m, y, y_range)
    gU, gM, gbu, gbm = np.zeros_like(U), np.zeros_like(M), np.zeros_like(bu), np.zeros_like(bm)
    np.add.at(gU, u, dU)
    np.add.at(gM, m, dM)
    np.add.at(gbu, u, db)
    np.add.at(gbm, m, db)
    return loss, gU, gM, gbu, gbm


def trunc_normal(rng, shape, std=0.01):
    """fastai v1's embedding init: x.normal_().fmod_(2).mul_(std)."""
    return np.fmod(rng.standard_normal(shape), 2.0) * std


# ---------------------------------------------------------------- schedules

def annealing_cos(start, end, pct):
    """fastai's cosine annealing from `start` (pct 0) to `end` (pct 1)."""
    return end + (start - end) / 2 * (math.cos(math.pi * pct) + 1)


def one_cycle(total, lr_max, div_factor=25.0, pct_start=0.3, moms=(0.95, 0.85), final_div=None):
    """(lr, beta1) used at each of `total` steps, exactly as fastai v1's OneCycleScheduler sets them.

    Step 0 uses the start values; after each step both schedules advance by one
    (phase 1: a1 = int(total * pct_start) steps, phase 2: the rest)."""
    final_div = div_factor * 1e4 if final_div is None else final_div
    a1 = int(total * pct_start)
    a2 = total - a1
    phases = [((lr_max / div_factor, lr_max), moms, max(1, a1)),
              ((lr_max, lr_max / final_div), (moms[1], moms[0]), max(1, a2))]
    lrs, betas = [phases[0][0][0]], [moms[0]]
    for (lr0, lr1), (b0, b1), n in phases:
        for k in range(1, n + 1):
            lrs.append(annealing_cos(lr0, lr1, k / n))
            betas.append(annealing_cos(b0, b1, k / n))
    return np.array(lrs[:total]), np.array(betas[:total])


# ---------------------------------------------------------------- training

@dataclass
class Result:
    params: Params
    train_mse: List[float]        # per epoch: mean of the batch losses (each before its step)
    valid_mse: List[float]        # per epoch: MSE over the whole validation set after the epoch
    valid: np.ndarray             # indices (into the ratings) of the validation set
    smooth_loss: List[float] = field(default_factory=list)   # per epoch: fastai's printed train_loss
    epoch_seconds: List[float] = field(default_factory=list)

    def predict(self, users, movies):
        return self.params.predict(users, movies)


def split_valid(n, valid_pct=0.1, seed=42):
    """fastai v1's split_by_rand_pct: np.random.seed(seed); the first int(pct*n) of a permutation."""
    rand_idx = np.random.RandomState(seed).permutation(n)
    cut = int(valid_pct * n)
    return np.sort(rand_idx[:cut]), np.sort(rand_idx[cut:])


def _check_args(n, n_factors, epochs, lr_max, wd, bs, valid_pct):
    checks = [(isinstance(n_factors, (int, np.integer)) and n_factors >= 1, f"n_factors={n_factors}", "a whole number >= 1"),
              (isinstance(epochs, (int, np.integer)) and epochs >= 1, f"epochs={epochs}", "a whole number >= 1"),
              (isinstance(bs, (int, np.integer)) and bs >= 1, f"bs={bs}", "a whole number >= 1"),
              (lr_max > 0 and math.isfinite(lr_max), f"lr_max={lr_max}", "a number > 0"),
              (wd >= 0 and math.isfinite(wd), f"wd={wd}", "a number >= 0"),
              (0 <= valid_pct < 1, f"valid_pct={valid_pct}", "a fraction in [0, 1)")]
    for ok, bad, accepted in checks:
        if not ok:
            raise SheetsgdError(f"train: {bad}, expected {accepted}")
    if n - int(valid_pct * n) < bs:
        raise SheetsgdError(f"train: {n} ratings leave fewer training ratings than one batch (bs={bs})")


def train(ratings, n_factors=40, epochs=5, lr_max=5e-3, wd=0.1, bs=64, valid_pct=0.1, seed=42,
          y_range=Y_RANGE, beta2=0.99, eps=1e-8, progress: Optional[Callable] = None,
          init_seed: Optional[int] = None) -> Result:
    """Train the lesson's model on a sheetsgd.ratings.Ratings; see the module docstring.

    seed picks the validation split and, unless init_seed is given, the initial weights and
    the shuffling too (init_seed: the same split, another start).

    progress(epoch, step, total, smooth_loss) is called about every 1% of the `total` steps
    (epoch from 0, step counts all steps done so far, smooth_loss is fastai's debiased
    exponential average of the batch losses, beta 0.98)."""
    y_all = np.asarray(ratings.ratings, np.float64)
    n = len(y_all)
    _check_args(n, n_factors, epochs, lr_max, wd, bs, valid_pct)
    valid, trn = split_valid(n, valid_pct, seed)
    users, movies = np.asarray(ratings.users), np.asarray(ratings.movies)
    user_ids, u_trn = np.unique(users[trn], return_inverse=True)
    movie_ids, m_trn = np.unique(movies[trn], return_inverse=True)
    y_trn = y_all[trn]
    nu, nm, nf = len(user_ids), len(movie_ids), n_factors

    # all parameters in one flat vector, so weight decay and Adam are a few whole-array ops
    rng = np.random.default_rng(seed if init_seed is None else init_seed)
    sizes = [nu * nf, nm * nf, nu, nm]
    theta = np.concatenate([trunc_normal(rng, s) for s in sizes])
    grad, avg, avg_sq = np.zeros_like(theta), np.zeros_like(theta), np.zeros_like(theta)
    work = np.empty_like(theta)

    def views(v):
        a, b, c = np.cumsum(sizes[:3])
        return v[:a].reshape(nu, nf), v[a:b].reshape(nm, nf), v[b:c], v[c:]
    U, M, bu, bm = views(theta)
    gU, gM, gbu, gbm = views(grad)
    params = Params(user_ids, movie_ids, U, M, bu, bm, tuple(y_range))

    steps = len(y_trn) // bs                   # fastai drops the last partial training batch
    total = steps * epochs
    lrs, beta1s = one_cycle(total, lr_max)
    every = max(1, math.ceil(total / 100))    # ~1% of the run between progress calls
    smooth, t = 0.0, 0
    train_mse, valid_mse, smoothed, seconds = [], [], [], []
    for epoch in range(epochs):
        start = time.perf_counter()
        order = rng.permutation(len(y_trn))
        losses = np.empty(steps)
        for s in range(steps):
            b = order[s * bs:(s + 1) * bs]
            u, m = u_trn[b], m_trn[b]
            loss, dU, dM, db = batch_grads(U, M, bu, bm, u, m, y_trn[b], y_range)
            losses[s] = loss
            grad.fill(0.0)
            np.add.at(gU, u, dU)
            np.add.at(gM, m, dM)
            np.add.at(gbu, u, db)
            np.add.at(gbm, m, db)
            lr, beta1 = lrs[t], beta1s[t]
            t += 1
            theta *= 1.0 - lr * wd             # fastai v1 true_wd, before the optimiser step
            adam_step(theta, grad, avg, avg_sq, work, lr, beta1, beta2, eps, t)
            smooth = 0.98 * smooth + 0.02 * loss
            if progress is not None and (t % every == 0 or t == total):
                progress(epoch, t, total, smooth / (1 - 0.98 ** t))
        train_mse.append(float(losses.mean()))
        smoothed.append(smooth / (1 - 0.98 ** t))
        valid_mse.append(mse(params, users[valid], movies[valid], y_all[valid]) if len(valid) else math.nan)
        seconds.append(time.perf_counter() - start)
    return Result(params, train_mse, valid_mse, valid, smoothed, seconds)


def adam_step(theta, grad, avg, avg_sq, work, lr, beta1, beta2, eps, t):
    """PyTorch 1.x Adam, in place: running averages of grad and grad^2, then the bias-corrected step.

    `work` is scratch space the size of theta (no temporaries: this runs ~7000 times)."""
    avg *= beta1
    avg += np.multiply(grad, 1.0 - beta1, out=work)
    avg_sq *= beta2
    np.multiply(grad, 1.0 - beta2, out=work)
    avg_sq += np.multiply(work, grad, out=work)
    np.sqrt(avg_sq, out=work)
    work += eps
    np.divide(avg, work, out=work)
    work *= lr * math.sqrt(1.0 - beta2 ** t) / (1.0 - beta1 ** t)
    theta -= work


def mse(params, users, movies, y):
    err = params.predict(users, movies) - y
    return float(np.dot(err, err) / len(err))


# ---------------------------------------------------------------- reading the model

def movie_pca(M, k=3):
    """The movie factors' first k principal components, one row per movie (fastai's `pca`).

    Centre the factors, take the top-k right singular vectors, project. A component's sign
    is arbitrary; we make its largest loading positive so runs are comparable."""
    X = np.asarray(M, np.float64)
    X = X - X.mean(axis=0)
    _, _, Vt = np.linalg.svd(X, full_matrices=False)
    V = Vt[:k].T
    V = V * np.sign(V[np.abs(V).argmax(axis=0), np.arange(V.shape[1])])
    return X @ V
