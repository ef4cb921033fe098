"""Softmax, cross-entropy and a neural net from scratch: the math of neuralnet.xlsx.

The lecture's entropy example (softmax over a few image classes, the binary sigmoid beside it,
the cross-entropy of the correct class) and the lesson's MNIST section, on the 8x8 digits:

    logistic   z = x @ W + b                                  nn.Linear(64, 10)
    net        z = relu(x @ W1 + b1) @ W2 + b2                Linear -> ReLU -> Linear
    loss       mean(-ln softmax(z)[label]) + wd * sum(p^2)    cross-entropy + the lesson's weight decay
    step       p -= lr * (dloss/dp + 2 * wd * p)              SGD, weight decay in the update

with x = pixels / 16 (the pixels are 0..16) and dloss/dz = (softmax - one_hot) / batch size.

Every product and sum adds in the spreadsheet's order (MMULT and SUM add term by term, left to
right), and exp and log are models.portable's: the numbers are the sheet's to the last bit (the
cached values of neuralnet.xlsx), and training gives the same weights on every CPU (BLAS's `@`
and np.exp would not: their last bits depend on the CPU, and 60 epochs carry that into the weights).
"""
import gzip
from dataclasses import dataclass, field
from importlib import resources

import numpy as np

from ..errors import SheetsgdError
from .portable import exp, log, matmul

# The lecture's entropy example: one activation per class of image.
CLASSES = ("cat", "dog", "plane", "fish", "building")

# The lecture's own entropy example (fast.ai course-v3 files/xl/entropy_example.xlsx, Apache-2.0), for
# `sheetsgd build --lecture`: the softmax sheet's activations of two images (B3:B7 and G3:G7, in the
# order of CLASSES), and the entropy sheet's isCat labels and predictions, whose loss it takes with
# LOG, the logarithm to base 10 (ours: LN, in nats, as PyTorch).
LECTURE_ENTROPY = {
    "softmax": ((0.021789294543326676, -2.488055919486013, -1.7505557283129267, 2.070409245987718,
                 1.2502573466234175),
                (-1.4210496434287527, -3.9308948574580924, -3.1933946662850063, 0.6275703080156385,
                 -0.19258159134866187)),
    "is_cat": (1, 1, 0, 0, 1),
    "preds": (0.5, 0.98, 0.9, 0.5, 0.9),
    "log_base": 10,
}

DIGITS_FILE = "digits.csv.gz"   # UCI ML hand-written digits via scikit-learn, CC BY 4.0 (see data/digits.README.md)
PIXELS = 64                      # 8 x 8
SIDE = 8
MAX_PIXEL = 16.0                 # a pixel counts the on-bits of a 4x4 block: 0..16
DIGITS = 10

# The lesson's MNIST training, sized for 1,797 digits: seeded split, SGD with weight decay.
VALID = 300
SEED = 42
HIDDEN = 50          # the lesson's Mnist_NN: nn.Linear(784, 50) -> ReLU -> nn.Linear(50, 10)
# The lesson: lr 2e-2, wd 1e-5, bs 64 on 60,000 MNIST images. Here 1,497 images in batches of 16; measured
# over the splits of seeds 42..47, lr 0.2 for 60 epochs gives valid accuracy 95.7-97.7% (logistic) and
# 96.7-98.0% (net), where lr 0.1 for 30 epochs gave 94.0-98.0% and 94.7-97.7%: 300 images are a noisy judge.
DEFAULTS = {
    "logistic": {"lr": 0.2, "wd": 1e-4, "bs": 16, "epochs": 60},
    "net": {"lr": 0.2, "wd": 1e-4, "bs": 16, "epochs": 60},
}
MODELS = ("logistic", "net")


# -- spreadsheet arithmetic: sums term by term, in the sheet's order ---------------------------

def total(a, axis=None):
    """SUM as the sheet (and our evaluator) adds: left to right, one term at a time."""
    a = _floats(a)
    if axis is None:
        a = a.ravel()
        axis = 0
    if a.shape[axis] == 0:
        return np.zeros(np.delete(a.shape, axis))
    return np.take(np.cumsum(a, axis=axis), -1, axis=axis)


def mmult(a, b):
    """MMULT as the sheet computes it: each entry sum_k a[i,k]*b[k,j], added in order of k."""
    return matmul(a, b)


def _floats(a):
    """a as floats, or as np.longdouble if it is (the stability test computes in extended precision)."""
    a = np.asarray(a)
    return a if a.dtype == np.longdouble else a.astype(float)


def sumsq(*arrays):
    """SUMSQ(A, B, ...): the squares of every entry, row by row, array after array, added in order."""
    return float(total(np.concatenate([_floats(a).ravel() for a in arrays]) ** 2))


# -- the entropy example ----------------------------------------------------------------------

def softmax(activations):
    """exp(a) / sum(exp(a)) over the last axis, as the sheet lays it out (no max subtracted)."""
    e = exp(_floats(activations))
    return e / total(e, axis=-1)[..., None]


def sigmoid(activations):
    """The binary alternative, each class on its own: exp(a) / (1 + exp(a))."""
    e = exp(_floats(activations))
    return e / (1 + e)


def cross_entropy(activations, target):
    """-ln(softmax(a)[target]): the loss of one image whose correct class has index `target`."""
    return -log(softmax(activations)[..., target])


def binary_cross_entropy(is_class, pred, base=None):
    """-(y ln p + (1-y) ln(1-p)): the lecture's isCat example, in nats; base 10: as its sheet took
    it, -(y LOG(p) + (1-y) LOG(1-p)) (log10 x = ln x / ln 10, within 2 ulp of C's log10)."""
    y, p = _floats(is_class), _floats(pred)
    if base is None:
        return -y * log(p) - (1 - y) * log(1 - p)
    return -y * (log(p) / log(float(base))) - (1 - y) * (log(1 - p) / log(float(base)))


# -- the digits ------------------------------------------------------------------------------

@dataclass
class Digits:
    pixels: np.ndarray     # (n, 64) floats 0..16, row-major 8x8
    labels: np.ndarray     # (n,) ints 0..9


def load_digits():
    """The 1,797 8x8 digits shipped in sheetsgd/data (64 pixels then the label, per line)."""
    raw = resources.files("sheetsgd").joinpath("data", DIGITS_FILE).read_bytes()
    table = np.loadtxt(gzip.decompress(raw).decode("ascii").splitlines(), delimiter=",", dtype=float)
    if table.shape != (1797, PIXELS + 1):
        raise SheetsgdError(f"{DIGITS_FILE}: expected 1797 rows of 65 numbers, got {table.shape}")
    return Digits(table[:, :PIXELS], table[:, PIXELS].astype(int))


STREAMS = ("split", "init", "shuffle")


def stream(seed, purpose):
    """One seed, independent random streams: the split, the initial weights, the shuffles."""
    return np.random.default_rng([seed, STREAMS.index(purpose)])


def split(n, valid=VALID, seed=SEED):
    """(train, valid) indices: a seeded shuffle, the first `valid` held out (sorted, for the sheet)."""
    if not 0 < valid < n:
        raise SheetsgdError(f"valid {valid!r} must be between 1 and {n - 1} images")
    order = stream(seed, "split").permutation(n)
    return order[valid:], np.sort(order[:valid])


def inputs(pixels):
    """x = pixels / 16: 0..1, the lesson's normalised inputs."""
    return np.asarray(pixels, dtype=float) / MAX_PIXEL


def one_hot(labels, n=DIGITS):
    return (np.asarray(labels)[:, None] == np.arange(n)[None, :]).astype(float)


# -- the two models: parameters, forward, backward --------------------------------------------

def param_names(kind):
    return ("W", "b") if kind == "logistic" else ("W1", "b1", "W2", "b2")


def init(kind, seed=SEED, hidden=HIDDEN):
    """PyTorch's nn.Linear start: weights and biases uniform in +-1/sqrt(fan_in). Stored as
    (inputs, outputs) so the sheet multiplies x @ W, a row of images by a column of weights."""
    rng = stream(seed, "init")
    shapes = [(PIXELS, DIGITS)] if kind == "logistic" else [(PIXELS, hidden), (hidden, DIGITS)]
    params = {}
    for i, (fan_in, fan_out) in enumerate(shapes):
        bound = 1 / np.sqrt(fan_in)
        suffix = "" if kind == "logistic" else str(i + 1)
        params["W" + suffix] = rng.uniform(-bound, bound, (fan_in, fan_out))
        params["b" + suffix] = rng.uniform(-bound, bound, fan_out)
    return params


def step(kind, params, x, labels, lr, wd, sheet=False):
    """One SGD step on a mini-batch; returns every intermediate (the sheet's blocks) in a dict.

    Sums in the spreadsheet's order (see mmult/total). sheet: kept for the callers (both are the sheet's).
    """
    mm = mmult
    colsum = lambda a: total(a, axis=0)
    rowsum = lambda a: total(a, axis=1)
    x = _floats(x)
    labels = np.asarray(labels)
    bs = float(len(labels))
    r = {"x": x, "labels": labels, "bs": bs}
    # forward
    if kind == "logistic":
        r["z"] = mm(x, params["W"]) + params["b"]
    else:
        r["z1"] = mm(x, params["W1"]) + params["b1"]
        r["a1"] = np.maximum(0.0, r["z1"])                 # ReLU: =MAX(0, z1)
        r["z"] = mm(r["a1"], params["W2"]) + params["b2"]
    r["exp"] = exp(r["z"])
    r["sum"] = rowsum(r["exp"])
    r["p"] = r["exp"] / r["sum"][:, None]                  # softmax
    r["one_hot"] = one_hot(labels)
    r["p_correct"] = r["p"][np.arange(len(labels)), labels]
    r["nll"] = -log(r["p_correct"])
    r["ce"] = float(total(r["nll"])) / bs
    names = param_names(kind)
    r["w2"] = sumsq(*(params[k] for k in names))
    r["wd_loss"] = wd * r["w2"]
    r["loss"] = r["ce"] + r["wd_loss"]
    # backward: d(mean cross-entropy)/dz = (softmax - one_hot) / bs, then the chain rule
    r["dz"] = (r["p"] - r["one_hot"]) / bs
    grads = {}
    if kind == "logistic":
        grads["W"] = mm(x.T, r["dz"])
        grads["b"] = colsum(r["dz"])
    else:
        grads["W2"] = mm(r["a1"].T, r["dz"])
        grads["b2"] = colsum(r["dz"])
        r["da1"] = mm(r["dz"], params["W2"].T)
        r["dz1"] = np.where(r["z1"] > 0, r["da1"], 0.0)    # through the ReLU: =IF(z1>0, da1, 0)
        grads["W1"] = mm(x.T, r["dz1"])
        grads["b1"] = colsum(r["dz1"])
    r["grad"] = grads
    r["wd_grad"] = {k: 2 * wd * params[k] for k in names}  # d(wd * p^2)/dp
    r["new"] = {k: params[k] - lr * (grads[k] + r["wd_grad"][k]) for k in names}
    return r


def logits(kind, params, x, sheet=False):
    mm = mmult
    if kind == "logistic":
        return mm(x, params["W"]) + params["b"]
    hidden = np.maximum(0.0, mm(x, params["W1"]) + params["b1"])
    return mm(hidden, params["W2"]) + params["b2"]


def predict(kind, params, x, sheet=False):
    """The digit with the largest logit (the first, on a tie: MATCH(MAX(row), row, 0) - 1)."""
    return np.argmax(logits(kind, params, x, sheet), axis=1)


def accuracy(kind, params, x, labels, sheet=False):
    return float(np.mean(predict(kind, params, x, sheet) == np.asarray(labels)))


def loss(kind, params, x, labels, wd=0.0):
    """Mean cross-entropy (+ wd * sum of squares): for the finite-difference gradient check."""
    z = logits(kind, params, x)
    m = z.max(axis=1, keepdims=True)
    logp = z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))
    ce = -logp[np.arange(len(labels)), labels].mean()
    return float(ce + wd * sum((params[k] ** 2).sum() for k in param_names(kind)))


# -- training ----------------------------------------------------------------------------------

@dataclass
class Training:
    kind: str
    hyper: dict
    start: dict                    # the weights before the first step (as stored in the sheet)
    first_batch: np.ndarray        # dataset indices of the first mini-batch (the sheet's step)
    first_step: dict               # step(...) on it from `start` (NumPy order)
    params: dict                   # the trained weights, rounded as the sheet stores them
    train_loss: list = field(default_factory=list)   # mean batch loss per epoch
    valid_accuracy: list = field(default_factory=list)  # per epoch
    final_accuracy: float = 0.0    # of `params` on the validation images
    valid_idx: np.ndarray = None   # the held-out images (dataset indices)


def check_hyper(kind, hyper):
    if kind not in MODELS:
        raise SheetsgdError(f"model {kind!r}: expected one of {', '.join(MODELS)}")
    h = dict(DEFAULTS[kind], **(hyper or {}))
    for k in h:
        if k not in DEFAULTS[kind]:
            raise SheetsgdError(f"{kind} has no hyperparameter {k!r}; expected {', '.join(DEFAULTS[kind])}")
    if not (isinstance(h["lr"], (int, float)) and 0 < h["lr"] <= 10):
        raise SheetsgdError(f"{kind} lr {h['lr']!r} must be a number in (0, 10]")
    if not (isinstance(h["wd"], (int, float)) and 0 <= h["wd"] <= 1):
        raise SheetsgdError(f"{kind} wd {h['wd']!r} must be a number in [0, 1]")
    for k in ("bs", "epochs"):
        if not (isinstance(h[k], int) and h[k] >= 1):
            raise SheetsgdError(f"{kind} {k} {h[k]!r} must be a whole number >= 1")
    return h


def train(kind, digits, train_idx, valid_idx, seed=SEED, hyper=None, round_to=None, hidden=HIDDEN):
    """The lesson's loop: each epoch, shuffle (seeded) and step through mini-batches of bs.

    round_to: a function applied to the start and the final weights (the writer's `stored`),
    so the numbers the sheet shows are the numbers trained from and scored.
    """
    h = check_hyper(kind, hyper)
    round_to = round_to or (lambda a: a)
    rng = stream(seed, "shuffle")
    params = {k: round_to(v) for k, v in init(kind, seed, hidden).items()}
    start = {k: v.copy() for k, v in params.items()}
    x_train, y_train = inputs(digits.pixels[train_idx]), digits.labels[train_idx]
    x_valid, y_valid = inputs(digits.pixels[valid_idx]), digits.labels[valid_idx]
    out = Training(kind, h, start, None, None, None, valid_idx=np.asarray(valid_idx))
    for epoch in range(h["epochs"]):
        order = rng.permutation(len(train_idx))
        losses = []
        for i in range(0, len(order), h["bs"]):
            batch = order[i:i + h["bs"]]
            r = step(kind, params, x_train[batch], y_train[batch], h["lr"], h["wd"])
            if out.first_step is None:
                out.first_batch, out.first_step = train_idx[batch], r
            params = r["new"]
            losses.append(r["loss"])
        out.train_loss.append(float(np.mean(losses)))
        out.valid_accuracy.append(accuracy(kind, params, x_valid, y_valid))
    out.params = {k: round_to(v) for k, v in params.items()}
    out.final_accuracy = accuracy(kind, out.params, x_valid, y_valid, sheet=True)
    return out
