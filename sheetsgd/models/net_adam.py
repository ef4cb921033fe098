"""Adam on the digits net: the math of the net_adam sheet.

The lesson's MNIST notebook swaps its hand-written SGD update for `optim.Adam(model.parameters(), lr)`
(lr 1e-3). PyTorch's Adam, per parameter p with gradient g, at step t = 1, 2, ...:

    m = beta1*m + (1-beta1)*g              the average gradient (momentum)
    v = beta2*v + (1-beta2)*g^2            the average squared gradient (RMSProp)
    bc1 = 1 - beta1^t,  bc2 = 1 - beta2^t  how much of each average is real gradients, not its 0 start
    p = p - (lr/bc1) * m / (sqrt(v)/sqrt(bc2) + eps)

in that order of operations (torch.optim.Adam's single-tensor update: step_size = lr/bc1, denom =
sqrt(v)/sqrt(bc2) + eps, p.addcdiv_(m, denom, value=-step_size)); the averages are written as the
lecture's sheets write them. No weight decay, as the notebook's Adam.

`train` runs Adam from the SGD net's start on the same shuffled mini-batches as models.neuralnet.train,
so the two runs differ only in the optimizer; it keeps the state before the step the sheet shows.
(The notebook creates the optimizer inside update(), so its Adam restarts at t = 1 every step: each
weight then moves by lr*g/(|g| + eps), about lr, whatever the size of its gradient.)
"""
import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import SheetsgdError
from . import layers as ly
from . import neuralnet as nn
from .portable import exp, matmul_stacked, seqsum

DEFAULTS = {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}   # the notebook's lr; PyTorch's defaults
# The comparison with SGD: the notebook's lr 1e-3 (for 780 mini-batches an epoch of MNIST; here 94),
# and fastai's default lr 3e-3; the first EPOCHS epochs, where the optimizers differ.
LRS = (1e-3, 3e-3)
EPOCHS = 10
NAMES = ("W1", "b1", "W2", "b2")


def check_hyper(hyper):
    h = dict(DEFAULTS, **(hyper or {}))
    for k, v in h.items():
        if k not in DEFAULTS:
            raise SheetsgdError(f"net_adam has no hyperparameter {k!r}; expected {', '.join(DEFAULTS)}")
        if not isinstance(v, (int, float)) or not math.isfinite(v):
            raise SheetsgdError(f"net_adam {k} {v!r} is not a finite number")
        if k in ("beta1", "beta2") and not 0 <= v < 1:
            raise SheetsgdError(f"net_adam {k} {v!r} must be in [0, 1)")
        if k in ("lr", "eps") and not v > 0:
            raise SheetsgdError(f"net_adam {k} {v!r} must be > 0")
    return h


def corrections(t, h):
    """(bc1, bc2) = (1 - beta1^t, 1 - beta2^t), as =1-beta1^t computes them."""
    return 1 - math.pow(h["beta1"], t), 1 - math.pow(h["beta2"], t)


def update(p, g, m, v, t, h):
    """One Adam update of one parameter array, element by element as the sheet's formulas:
    {"m", "v", "new"} (and the scalars "bc1", "bc2")."""
    bc1, bc2 = corrections(t, h)
    m = h["beta1"] * m + (1 - h["beta1"]) * g                       # =beta1*m_prev+(1-beta1)*g
    v = h["beta2"] * v + (1 - h["beta2"]) * (g * g)                   # =beta2*v_prev+(1-beta2)*g^2
    new = p - (h["lr"] / bc1) * m / (np.sqrt(v) / math.sqrt(bc2) + h["eps"])
    return {"m": m, "v": v, "new": new, "bc1": bc1, "bc2": bc2}


def as_layers(params):
    return [{"W": params["W1"], "b": params["b1"]}, {"W": params["W2"], "b": params["b2"]}]


def as_params(layers):
    return {"W1": layers[0]["W"], "b1": layers[0]["b"], "W2": layers[1]["W"], "b2": layers[1]["b"]}


@dataclass
class AdamRun:
    hyper: dict
    start: dict                                       # the SGD net's start
    shown_t: int                                      # the step the sheet shows
    shown_batch: np.ndarray = None                    # its mini-batch (dataset indices)
    shown_state: dict = None                          # params, m, v before it: {"p", "m", "v"} of NAMES
    valid_accuracy: list = field(default_factory=list)
    params: dict = None


def train(digits, train_idx, valid_idx, start, epochs=EPOCHS, bs=16, seed=nn.SEED, hyper=None, shown_t=None):
    """Adam on the net from `start`, with models.neuralnet.train's shuffles (the same mini-batches).
    shown_t: the step whose state is kept for the sheet (default: the first step of epoch 2)."""
    h = check_hyper(hyper)
    return train_many(digits, train_idx, valid_idx, start, [h["lr"]], epochs, bs, seed, h, shown_t)[0]


def train_many(digits, train_idx, valid_idx, start, lrs, epochs=EPOCHS, bs=16, seed=nn.SEED, hyper=None,
               shown_t=None):
    """train() at each of the learning rates lrs: the runs see the same mini-batches, so every step
    computes all of them at once (portable.matmul_stacked: the same bits as one run at a time).
    A list of AdamRun, one per lr."""
    hs = [check_hyper(dict(hyper or {}, lr=lr)) for lr in lrs]
    h = hs[0]
    x_train, y_train = nn.inputs(digits.pixels[train_idx]), digits.labels[train_idx]
    x_valid, y_valid = nn.inputs(digits.pixels[valid_idx]), digits.labels[valid_idx]
    shown_t = -(-len(train_idx) // bs) + 1 if shown_t is None else shown_t
    runs = [AdamRun(hh, {k: v.copy() for k, v in start.items()}, shown_t) for hh in hs]
    # every quantity one row per run, the parameters views into it: Adam's update is 8 array operations
    cuts = np.cumsum([0] + [start[k].size for k in NAMES])
    shapes = {k: start[k].shape for k in NAMES}
    views = lambda a: {k: a[..., cuts[i]:cuts[i + 1]].reshape(a.shape[:-1] + shapes[k]) for i, k in enumerate(NAMES)}
    flat = np.tile(np.concatenate([np.asarray(start[k], dtype=float).ravel() for k in NAMES]), (len(lrs), 1))
    m, v = np.zeros_like(flat), np.zeros_like(flat)
    lr = np.array([[hh["lr"]] for hh in hs])
    b1, b2, eps = h["beta1"], h["beta2"], h["eps"]
    rng = nn.stream(seed, "shuffle")
    t = 0
    for _ in range(epochs):
        order = rng.permutation(len(train_idx))
        for i in range(0, len(order), bs):
            batch = order[i:i + bs]
            t += 1
            if t == shown_t:
                for j, run in enumerate(runs):
                    run.shown_batch = np.asarray(train_idx)[batch]
                    run.shown_state = {part: views(q[j].copy()) for part, q in (("p", flat), ("m", m), ("v", v))}
            g = stacked_grads(views(flat), x_train[batch], y_train[batch])
            bc1, bc2 = corrections(t, h)
            m = b1 * m + (1 - b1) * g                  # update()'s operations, every parameter at once
            v = b2 * v + (1 - b2) * (g * g)
            flat = flat - (lr / bc1) * m / (np.sqrt(v) / math.sqrt(bc2) + eps)
        guess = np.argmax(stacked_logits(views(flat), x_valid), axis=2)
        for j, run in enumerate(runs):
            run.valid_accuracy.append(float(seqsum(guess[j] == y_valid)) / len(y_valid))
    for j, run in enumerate(runs):
        run.params = {k: a.copy() for k, a in views(flat[j]).items()}
    return runs


def stacked_logits(p, x):
    """The net's logits for each run's weights p[k][run] (layers.forward's operations, stacked)."""
    xs = np.broadcast_to(x, (p["W1"].shape[0],) + x.shape)
    z1 = matmul_stacked(xs, p["W1"]) + p["b1"][:, None, :]
    return matmul_stacked(np.maximum(0.0, z1), p["W2"]) + p["b2"][:, None, :]


def stacked_grads(p, x, labels):
    """The gradient of the mean cross-entropy, flat in NAMES order, for each run's weights p[k][run]:
    layers.grads's operations (the same bits, run by run; the tests compare), every run at once."""
    runs = p["W1"].shape[0]
    xs = np.broadcast_to(x, (runs,) + x.shape)
    z1 = matmul_stacked(xs, p["W1"]) + p["b1"][:, None, :]
    a1 = np.maximum(0.0, z1)
    z = matmul_stacked(a1, p["W2"]) + p["b2"][:, None, :]
    e = exp(z - z.max(axis=2, keepdims=True))
    dz = e / seqsum(e, axis=2)[:, :, None]
    rows = np.arange(len(labels))
    dz[:, rows, labels] -= 1.0
    dz /= len(labels)
    dz1 = matmul_stacked(dz, p["W2"].transpose(0, 2, 1)) * (z1 > 0)
    parts = {"W1": matmul_stacked(xs.transpose(0, 2, 1), dz1), "b1": seqsum(dz1, axis=1),
             "W2": matmul_stacked(a1.transpose(0, 2, 1), dz), "b2": seqsum(dz, axis=1)}
    return np.concatenate([parts[k].reshape(runs, -1) for k in NAMES], axis=1)


def sheet_step(state, pixels, labels, t, h):
    """The sheet's step: the net's forward and backward pass on the batch at the state's weights
    (layers.step, in the sheet's order), then Adam's update of every parameter."""
    r = ly.step(as_layers(state["p"]), nn.inputs(pixels), labels, nn.DIGITS, sheet=True)
    grads = as_params(r["grad"])
    r["adam"] = {k: update(state["p"][k], grads[k], state["m"][k], state["v"][k], t, h) for k in NAMES}
    return r
