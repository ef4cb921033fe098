"""Transfer learning as lesson 5 explains it, on the digits: the math of the fine_tune sheet.

    body        the first layer of the trained digits net (Linear(64, 50) -> ReLU): it learned from
                1,497 labelled images to tell the ten digits apart
    new task    odd or even? Two classes, and only per_class (25) labelled images of each
    new head    the old head (Linear(50, 10)) is thrown away; in its place two new weight matrices
                with a ReLU between them, Linear(50, 20) -> ReLU -> Linear(20, 2), randomly
                initialised as PyTorch does
    frozen      learn.freeze(): the body's lr is 0, so its update is 0 and it stays as it was; only
                the head learns (FROZEN_EPOCHS epochs of SGD)
    unfrozen    learn.unfreeze(); fit(lr=slice(lo, hi)): every layer group learns, at the
                discriminative_lr sheet's rate lo*(hi/lo)^((i-1)/(n-1)) for group i of n
                (models.optim_more.even_mults): the body slowest, the last layer fastest

Layer groups: fastai splits a ResNet into three (two halves of the body and the head); this body is
one layer, so the three groups are the body, the head's first layer and its last layer.

Beside the fine-tuned net, the same layers trained from scratch on the same few images: what the
body's pretraining is worth. Everything is seeded; the weights are rounded as the sheet stores them.
"""
from dataclasses import dataclass, field

import numpy as np

from ..errors import SheetsgdError
from . import layers as ly
from . import neuralnet as nn
from .optim_more import even_mults

CLASSES = ("even", "odd")
HEAD_HIDDEN = 20          # the new head's first layer: "some size"; its last: one output per class
GROUPS = ("body", "head layer 1", "head layer 2")
# SGD without weight decay: the frozen epochs at the digits net's lr, then the unfrozen ones at
# slice(lo, hi) = slice(lr/10, lr); per_class labelled images of each class of the new task.
# Measured over seeds 42..51 (valid accuracy on the 300 held-out images): before 46.1% (a random
# head: chance), head alone 87.4%, unfrozen 88.6% (gain -2.3..+7.0 points), from scratch 84.2%
# (the fine-tuned net ahead on every seed, by 0.3..10.7 points). 20 + 20 epochs: 88.9, 89.4, 85.3%.
DEFAULTS = {"per_class": 25, "lr": 0.2, "lo": 0.02, "hi": 0.2, "bs": 10, "frozen_epochs": 10, "unfrozen_epochs": 10}
STREAMS = ("images", "head", "shuffle", "scratch")


def task_labels(digits):
    """The new task's label of each digit: 0 = even, 1 = odd."""
    return np.asarray(digits) % 2


def stream(seed, purpose):
    """The fine-tuning's own random streams (apart from the digits net's in models.neuralnet)."""
    return np.random.default_rng([seed, 100 + STREAMS.index(purpose)])


def check_hyper(hyper):
    h = dict(DEFAULTS, **(hyper or {}))
    for k, v in h.items():
        if k not in DEFAULTS:
            raise SheetsgdError(f"fine_tune has no hyperparameter {k!r}; expected {', '.join(DEFAULTS)}")
        if k in ("lr", "lo", "hi") and not (isinstance(v, (int, float)) and 0 < v <= 10):
            raise SheetsgdError(f"fine_tune {k} {v!r} must be a number in (0, 10]")
        if k in ("per_class", "bs", "frozen_epochs", "unfrozen_epochs") and not (isinstance(v, int) and v >= 1):
            raise SheetsgdError(f"fine_tune {k} {v!r} must be a whole number >= 1")
    return h


def group_lrs(h):
    """{"frozen": [0, lr, lr], "unfrozen": slice(lo, hi) over the groups}, as the sheet's cells compute them."""
    return {"frozen": [0.0, float(h["lr"]), float(h["lr"])],
            "unfrozen": even_mults(h["lo"], h["hi"], len(GROUPS))}


def pick_images(labels, train_idx, seed, per_class):
    """The new task's few labelled images: per_class of each class from the training split (seeded)."""
    rng = stream(seed, "images")
    new = task_labels(labels[train_idx])
    chosen = [rng.permutation(np.asarray(train_idx)[new == c])[:per_class] for c in range(len(CLASSES))]
    return np.sort(np.concatenate(chosen))


@dataclass
class FineTune:
    hyper: dict
    lrs: dict                      # group_lrs(hyper)
    images: np.ndarray             # dataset indices of the new task's labelled images
    start: list                    # [body, head 1, head 2] before any step (as stored in the sheet)
    first_batch: np.ndarray        # dataset indices of the first mini-batch (the sheet's step)
    accuracy: dict = field(default_factory=dict)    # "before", "head", "unfrozen", "scratch"
    per_epoch: dict = field(default_factory=dict)   # "fine_tune", "scratch": valid accuracy per epoch
    final: list = None


def epochs(model, x, y, n_epochs, lrs, bs, rng, x_valid, y_valid, log):
    """n_epochs of SGD (seeded shuffles), each layer at its lr; the valid accuracy after each goes to log."""
    for _ in range(n_epochs):
        order = rng.permutation(len(y))
        for i in range(0, len(order), bs):
            batch = order[i:i + bs]
            model = ly.sgd(model, ly.grads(model, x[batch], y[batch], len(CLASSES), loss=False)[1], lrs)
        log.append(ly.accuracy(model, x_valid, y_valid))
    return model


def run(digits, train_idx, valid_idx, body, seed=nn.SEED, hyper=None, round_to=None):
    """Fine-tune: body = {"W", "b"} of the trained net's first layer (as stored). Returns a FineTune."""
    h = check_hyper(hyper)
    round_to = round_to or (lambda a: a)
    lrs = group_lrs(h)
    images = pick_images(digits.labels, train_idx, seed, h["per_class"])
    x, y = nn.inputs(digits.pixels[images]), task_labels(digits.labels[images])
    x_valid, y_valid = nn.inputs(digits.pixels[valid_idx]), task_labels(digits.labels[valid_idx])
    hidden = body["W"].shape[1]
    head = [{k: round_to(v) for k, v in layer.items()}
            for layer in ly.init([hidden, HEAD_HIDDEN, len(CLASSES)], stream(seed, "head"))]
    start = ly.copy([body] + head)
    out = FineTune(h, lrs, images, start, None)
    out.accuracy["before"] = ly.accuracy(start, x_valid, y_valid)
    rng = stream(seed, "shuffle")
    out.first_batch = images[rng.permutation(len(y))[:h["bs"]]]
    rng = stream(seed, "shuffle")         # the same draw again: the training's first batch is the sheet's
    log = out.per_epoch.setdefault("fine_tune", [])
    model = epochs(start, x, y, h["frozen_epochs"], lrs["frozen"], h["bs"], rng, x_valid, y_valid, log)
    out.accuracy["head"] = log[-1]
    model = epochs(model, x, y, h["unfrozen_epochs"], lrs["unfrozen"], h["bs"], rng, x_valid, y_valid, log)
    out.accuracy["unfrozen"] = log[-1]
    out.final = model
    # the same layers from scratch (PyTorch's init for all three), every group at lr, as many epochs
    scratch = ly.init([nn.PIXELS, hidden, HEAD_HIDDEN, len(CLASSES)], stream(seed, "scratch"))
    log = out.per_epoch.setdefault("scratch", [])
    epochs(scratch, x, y, h["frozen_epochs"] + h["unfrozen_epochs"], [h["lr"]] * len(GROUPS), h["bs"],
           stream(seed, "shuffle"), x_valid, y_valid, log)
    out.accuracy["scratch"] = log[-1]
    return out


def sheet_step(start, pixels, labels, lrs):
    """The sheet's step on its mini-batch, in the sheet's order of additions: the forward and backward
    pass (layers.step) and the new weights under both rules, {"frozen": [...], "unfrozen": [...]}."""
    r = ly.step(start, nn.inputs(pixels), task_labels(labels), len(CLASSES), sheet=True)
    r["new"] = {rule: ly.sgd(start, r["grad"], lrs[rule]) for rule in ("frozen", "unfrozen")}
    return r
