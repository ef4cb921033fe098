"""A stack of linear layers with ReLUs between them, trained on the digits: the math the fine_tune
and net_adam sheets lay out.

    layer i    z_i = a_{i-1} @ W_i + b_i          (a_0 = x = pixels / 16)
               a_i = MAX(0, z_i)                  the ReLU, on every layer but the last
    loss       mean over the batch of -ln softmax(z_last)[label]      (cross-entropy)
    backward   dz_last = (softmax - one-hot) / batch size
               dW_i = a_{i-1}^T @ dz_i,  db_i = column sums of dz_i
               da_{i-1} = dz_i @ W_i^T,  dz_{i-1} = IF(z_{i-1} > 0, da_{i-1}, 0)

A model is a list of layers, each a dict {"W": (inputs, outputs), "b": (outputs,)}. With two layers
this is models.neuralnet's "net" to the last bit (the tests say so); fine_tune puts two new layers
on the first layer of that net.

As models.neuralnet, every product and sum adds in the spreadsheet's order (MMULT and SUM term by
term) and exp and log are models.portable's: the numbers are a workbook's cached values, and the
training gives the same bits on every CPU (no BLAS, no np.exp: see models/portable.py).
"""
import numpy as np

from . import neuralnet as nn
from .portable import exp, log, matmul, seqsum


def init(sizes, rng):
    """PyTorch's nn.Linear start for layers sizes[0] -> sizes[1] -> ...: W, then b, of each layer
    uniform in +-1/sqrt(inputs), drawn in that order (as models.neuralnet.init draws the net)."""
    layers = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1 / np.sqrt(fan_in)
        W = rng.uniform(-bound, bound, (fan_in, fan_out))
        layers.append({"W": W, "b": rng.uniform(-bound, bound, fan_out)})
    return layers


def copy(layers):
    return [{k: np.array(v, dtype=float) for k, v in layer.items()} for layer in layers]


def forward(layers, x, sheet=True):
    """(zs, acts): z_i of every layer, and the inputs of each layer (acts[0] = x, acts[i] = ReLU(z_i)).
    (sheet: kept for the callers; every path adds in the sheet's order.)"""
    acts, zs = [np.asarray(x, dtype=float)], []
    for i, layer in enumerate(layers):
        z = matmul(acts[-1], layer["W"]) + layer["b"]
        zs.append(z)
        if i < len(layers) - 1:
            acts.append(np.maximum(0.0, z))        # =MAX(0, z)
    return zs, acts


def logits(layers, x, sheet=True):
    return forward(layers, x, sheet)[0][-1]


def predict(layers, x, sheet=True):
    """The class with the largest logit (the first, on a tie: MATCH(MAX(row), row, 0) - 1)."""
    return np.argmax(logits(layers, x, sheet), axis=1)


def accuracy(layers, x, labels, sheet=True):
    return float(np.mean(predict(layers, x, sheet) == np.asarray(labels)))


def step(layers, x, labels, n_classes, sheet=True):
    """Forward and backward on a mini-batch: every intermediate in a dict (the sheet's blocks).

    "z", "a": lists per layer (a[i] = ReLU(z[i]), none for the last); "exp", "sum", "p" (softmax),
    "one_hot", "p_correct", "nll", "ce"; "dz", "da": lists per layer (da[i] = d loss/d a[i]);
    "grad": a list of {"W", "b"} per layer."""
    labels = np.asarray(labels)
    bs = float(len(labels))
    zs, acts = forward(layers, x, sheet)
    r = {"x": acts[0], "labels": labels, "bs": bs, "z": zs, "a": acts[1:]}
    z = zs[-1]
    r["exp"] = exp(z)
    r["sum"] = seqsum(r["exp"], axis=1)
    r["p"] = r["exp"] / r["sum"][:, None]
    r["one_hot"] = nn.one_hot(labels, n_classes)
    r["p_correct"] = r["p"][np.arange(len(labels)), labels]
    r["nll"] = -log(r["p_correct"])
    r["ce"] = float(seqsum(r["nll"])) / bs
    n = len(layers)
    dz = [None] * n
    da = [None] * (n - 1)
    grads = [None] * n
    dz[-1] = (r["p"] - r["one_hot"]) / bs
    for i in range(n - 1, -1, -1):
        grads[i] = {"W": matmul(acts[i].T, dz[i]), "b": seqsum(dz[i], axis=0)}
        if i:
            da[i - 1] = matmul(dz[i], layers[i]["W"].T)
            dz[i - 1] = np.where(zs[i - 1] > 0, da[i - 1], 0.0)   # =IF(z > 0, da, 0)
    r["dz"], r["da"], r["grad"] = dz, da, grads
    return r


def grads(layers, x, labels, n_classes, loss=True):
    """(mean cross-entropy, [{"W", "b"} per layer]): step() without its intermediates, for training.
    loss=False: None for the cross-entropy (its log is a third of the cost)."""
    zs, acts = forward(layers, x)
    z = zs[-1]
    e = exp(z - z.max(axis=1, keepdims=True))
    p = e / seqsum(e, axis=1)[:, None]
    rows = np.arange(len(labels))
    ce = float(seqsum(-log(p[rows, labels]))) / len(labels) if loss else None
    dz = p
    dz[rows, labels] -= 1.0
    dz /= len(labels)
    out = [None] * len(layers)
    for i in range(len(layers) - 1, -1, -1):
        out[i] = {"W": matmul(acts[i].T, dz), "b": seqsum(dz, axis=0)}
        if i:
            dz = matmul(dz, layers[i]["W"].T) * (zs[i - 1] > 0)
    return ce, out


def sgd(layers, grads, lrs):
    """p - lr * gradient, each layer at its own lr (a frozen layer: lr 0, so it stays exactly as it was)."""
    return [{k: layer[k] - lr * g[k] for k in ("W", "b")} for layer, g, lr in zip(layers, grads, lrs)]


def loss(layers, x, labels):
    """Mean cross-entropy, computed stably: for the finite-difference gradient check."""
    z = logits(layers, x)
    m = z.max(axis=1, keepdims=True)
    logp = z - m - log(seqsum(exp(z - m), axis=1))[:, None]
    return float(-seqsum(logp[np.arange(len(labels)), labels])) / len(labels)
