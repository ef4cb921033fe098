"""Why a stack of linear layers and ReLUs can fit anything: the math of the universal sheet.

One input x, HIDDEN ReLU units, one output:

    a_j  = MAX(0, w_j*x + b_j)             unit j: a line, cut off below 0: a kink at x = -b_j/w_j
    pred = c + SUMPRODUCT(v, a)            the output: a weighted sum of the kinked lines
    e    = (pred - y)^2

A sum of k lines with kinks is a curve with k bends: with enough units it follows any curve as
closely as we like (the universal approximation theorem). SGD finds the weights, one data point (a
mini-batch of one) per step, as graddesc's sheets fit y = a*x + b, with g = de/dpred = 2*(pred - y):

    v_j -= lr * g * a_j
    c   -= lr * g
    w_j -= lr * IF(a_j > 0, g * v_j * x, 0)      (no gradient through a unit that is cut off)
    b_j -= lr * IF(a_j > 0, g * v_j, 0)

Each function below computes in the order of the sheet's formula, element by element, so its values
are the sheet's cached values (SIN within 1 ulp of the C library's: models.portable.sin).
"""
import math

import numpy as np

from ..errors import SheetsgdError
from .graddesc import rmse, sq
from .portable import sin as portable_sin

HIDDEN = 8
X_MIN, X_MAX = -3.0, 3.0
POINTS = 16                          # x = -3, -2.6, ..., 3: evenly spaced, visited in a seeded order
GRID = 61                            # the fit chart's x: -3, -2.9, ..., 3
DEFAULTS = {"lr": 0.01, "epochs": 40}
SNAPSHOTS = (1, 5, 15)               # the epochs whose fit the chart draws (and the last)
PARAMS = ("w", "b", "v")             # per unit; the output bias c besides


def target(x):
    """y = SIN(x), the wiggly curve to fit (models.portable's sin: the same bits on every CPU)."""
    return portable_sin(np.asarray(x, dtype=float))


def data_x(seed):
    """The POINTS evenly spaced x values, in a seeded order (the order of the steps in every epoch)."""
    grid = np.round(np.linspace(X_MIN, X_MAX, POINTS), 10)
    return np.random.default_rng([seed, 200]).permutation(grid)


def grid_x():
    return np.round(np.linspace(X_MIN, X_MAX, GRID), 10)


def start(seed, hidden=HIDDEN):
    """The starting weights: unit j's kink at the j-th of `hidden` evenly spaced points across the
    data (w = +1 or -1 in turn, b = -w * kink), output weights v seeded in +-1/hidden (2 decimals), c = 0."""
    kinks = X_MIN + (X_MAX - X_MIN) * (np.arange(hidden) + 0.5) / hidden
    w = np.where(np.arange(hidden) % 2 == 0, 1.0, -1.0)
    v = np.round(np.random.default_rng([seed, 201]).uniform(-1, 1, hidden) / hidden, 2)
    return {"w": w, "b": -w * kinks, "v": v, "c": 0.0}


def check_hyper(hyper):
    h = dict(DEFAULTS, **(hyper or {}))
    for k in h:
        if k not in DEFAULTS:
            raise SheetsgdError(f"universal has no hyperparameter {k!r}; expected {', '.join(DEFAULTS)}")
    if not (isinstance(h["lr"], (int, float)) and 0 < h["lr"] <= 1):
        raise SheetsgdError(f"universal lr {h['lr']!r} must be a number in (0, 1]")
    if not (isinstance(h["epochs"], int) and 1 <= h["epochs"] <= 200):
        raise SheetsgdError(f"universal epochs {h['epochs']!r} must be a whole number from 1 to 200")
    return h


def relu_units(x, p):
    """a_j = MAX(0, w_j*x + b_j) for one x."""
    return np.maximum(0.0, p["w"] * x + p["b"])


def sumproduct(u, w):
    """SUMPRODUCT(u, w): the products added left to right."""
    total = 0.0
    for a, b in zip(np.asarray(u, dtype=float).tolist(), np.asarray(w, dtype=float).tolist()):
        total += a * b
    return total


def row(x, y, p, lr):
    """One SGD step on one data point from the weights p: every column of the sheet's row."""
    a = relu_units(x, p)
    pred = p["c"] + sumproduct(p["v"], a)                        # =c+SUMPRODUCT(v, a)
    g = 2 * (pred - y)                                           # =2*(pred-y)
    on = a > 0
    return {"a": a, "pred": pred, "err2": sq(pred - y), "g": g,
            "w": p["w"] - lr * np.where(on, g * p["v"] * x, 0.0),   # =w-lr*IF(a>0,g*v*x,0)
            "b": p["b"] - lr * np.where(on, g * p["v"], 0.0),       # =b-lr*IF(a>0,g*v,0)
            "v": p["v"] - lr * g * a,                               # =v-lr*g*a
            "c": p["c"] - lr * g}                                   # =c-lr*g


def fit(x, p):
    """The net's output at each x with weights p, as the chart's formula adds it:
    =c+SUMPRODUCT(v, (w*x+b>0)*(w*x+b))."""
    return np.array([p["c"] + sumproduct(p["v"], (p["w"] * xi + p["b"] > 0) * (p["w"] * xi + p["b"]))
                     for xi in np.asarray(x, dtype=float).tolist()])


def fit_rmse(fit_values, target_values):
    """How far the fit is from the target on the grid: =SQRT(SUMPRODUCT((fit-target)^2)/COUNT(x))."""
    total = 0.0
    for f, t in zip(np.asarray(fit_values, dtype=float).tolist(), np.asarray(target_values, dtype=float).tolist()):
        total += sq(f - t)
    return math.sqrt(total / len(fit_values))


def run(seed, hyper=None, round_to=None):
    """epochs passes over the data, one step per point. {"x", "y", "start", "rows" (a list of row()
    dicts), "rmse" per epoch, "after" (the weights after each epoch), "grid", "target", "fits" (the
    chart's columns: the fit after each SNAPSHOTS epoch and the last)}."""
    h = check_hyper(hyper)
    round_to = round_to or (lambda a: a)
    x = round_to(data_x(seed))
    y = target(x)
    p0 = {k: (round_to(v) if k != "c" else float(round_to(v))) for k, v in start(seed).items()}
    p, rows, after, errs = dict(p0), [], [], []
    for _ in range(h["epochs"]):
        first = len(rows)
        for xi, yi in zip(x.tolist(), y.tolist()):
            r = row(xi, yi, p, h["lr"])
            rows.append(r)
            p = {k: r[k] for k in PARAMS + ("c",)}
        after.append(p)
        errs.append(rmse([r["err2"] for r in rows[first:]]))
    grid = round_to(grid_x())
    shown = [e for e in SNAPSHOTS if e < h["epochs"]] + [h["epochs"]]
    return {"hyper": h, "x": x, "y": y, "start": p0, "rows": rows, "rmse": np.array(errs), "after": after,
            "grid": grid, "target": target(grid), "snapshots": shown,
            "fits": {e: fit(grid, after[e - 1]) for e in shown}}
