"""neuralnet.xlsx: softmax, cross-entropy and a neural net from scratch, on the 8x8 handwritten digits.

Sheets: about, softmax, cross_entropy, digits, logistic_step, logistic_valid, net_step, net_valid,
net_adam, fine_tune, universal.

    softmax         the lecture's entropy example: an activation per class, exp, softmax, and the
                    binary sigmoid exp/(1+exp) beside it (which does not add up to 1)
    cross_entropy   -ln(softmax of the correct class), the class picked by its index (MATCH, INDEX),
                    and the same through a one-hot row; the binary isCat example
    digits          the images: the first training mini-batch and the 300 held-out ones, 64 pixels
                    a row, and as 8x8 pictures
    *_step          one SGD step of the lesson's training on that mini-batch, every intermediate a
                    block of cells: x = pixels/16, logits by MMULT, exp, softmax, loss, one-hot,
                    softmax - one-hot, the gradients by MMULT(TRANSPOSE(...)), weight decay, the update,
                    and the loss after the step; starting from PyTorch's random init, as training does
    *_valid         the trained weights (NumPy, models.neuralnet.train) scored on the held-out images
                    by formulas: logits, argmax by MATCH(MAX(row), row, 0), accuracy
    net_adam        the net trained with PyTorch's Adam: one step (bias correction, eps) as cells, and
                    valid accuracy per epoch for SGD and Adam from the same start
    fine_tune       transfer learning: net_valid's first layer as the body, a new 2-layer head for odd or
                    even?, one SGD step frozen and unfrozen (slice(lo, hi) per layer group)
    universal       a 1-input ReLU net fits sin(x) by per-row SGD, epochs laid out, the fit charted

Every formula's cached value is computed by models.neuralnet in the formula's own order of
additions (mmult/total), from the inputs as the file stores them (writer.stored).

The sheets' modules: sheets/softmax.py (softmax, cross_entropy), sheets/digits.py, sheets/sgd_step.py
(*_step), sheets/validation.py (*_valid), sheets/net_adam.py, sheets/fine_tune.py, sheets/universal.py;
this module holds the workbook: training, about, build.
"""
import functools

import numpy as np

from .. import parallel, writer
from ..errors import SheetsgdError
from ..models import fine_tune as ft
from ..models import net_adam as na
from ..models import neuralnet as nn
from ..models import universal as un
from ..writer import Workbook
from .digits import digits_sheet
from .fine_tune import fine_tune_sheet
from .net_adam import net_adam_sheet
from .sgd_step import step_sheet
from .softmax import cross_entropy_sheet, softmax_sheet
from .universal import universal_sheet
from .validation import valid_sheet


# -- about ----------------------------------------------------------------------------------------

def about_sheet(wb, summary):
    s = wb.sheet("about")
    s.widths(0, 0, 16)
    s.widths(1, 1, 120)
    s.title("A1", "Softmax, cross-entropy and a neural net from scratch (fast.ai lesson 5), on handwritten digits")
    lines = [
        ("What", "How a classifier turns activations into probabilities (softmax), scores them against the "
                 "correct class (cross-entropy), and learns its weights by SGD: every step a formula."),
        ("softmax", "The lecture's entropy example: exp of each class's activation over their sum; the binary "
                    "sigmoid beside it."),
        ("cross_entropy", "The loss: -ln(probability of the correct class), the class picked by its index."),
        ("digits", "1,797 handwritten digits, 8x8 pixels of 0..16 (UCI, via scikit-learn, CC BY 4.0). "
                   f"Split with seed {summary['seed']}: {summary['n_train']:,} train, {summary['n_valid']} valid."),
        ("logistic_step", "One SGD step of nn.Linear(64, 10) on a mini-batch of "
                          f"{summary['bs']} images: forward, loss, backward, weight decay, update."),
        ("logistic_valid", f"The trained logistic model on the {summary['n_valid']} held-out images: accuracy "
                           f"{summary['logistic']:.1%}. Its weights drawn as 8x8 pictures, one per digit."),
        ("net_step", f"The same step for Linear(64, {summary['hidden']}) -> ReLU -> Linear({summary['hidden']}, "
                     "10): the gradient goes back through the ReLU."),
        ("net_valid", f"The trained 2-layer net on the held-out images: accuracy {summary['net']:.1%}."),
        ("net_adam", "The same net trained with PyTorch's Adam instead of SGD: one step (bias correction, eps) as "
                     "cells; accuracy per epoch for SGD and Adam from the same start."),
        ("fine_tune", "Transfer learning: net_valid's first layer as the body, a new head for a new task (odd or "
                      f"even?) from {summary['ft_images']} images: {summary['ft_before']:.1%} with a random head, "
                      f"{summary['ft_head']:.1%} after training the head, {summary['ft_unfrozen']:.1%} unfrozen."),
        ("universal", f"Why linear layers and ReLUs can fit anything: {un.HIDDEN} ReLU units fit sin(x) by SGD, "
                      "epochs laid out, the fit charted."),
        ("", ""),
        ("Training", f"In NumPy (sheetsgd.models.neuralnet), as the lesson's MNIST notebook: {summary['epochs']} "
                     f"epochs of SGD, mini-batches of {summary['bs']} (seeded shuffle), lr {summary['lr']:g}, "
                     f"weight decay {summary['wd']:g}: loss = cross-entropy + wd * sum(w^2), so each step "
                     "takes lr * (gradient + 2 * wd * w)."),
        ("", "x = pixels / 16, so inputs run from 0 to 1. Weights start as PyTorch's nn.Linear does: "
             "uniform in +-1/sqrt(inputs)."),
        ("", "The step sheets start from those random weights and take the first step of training: their "
             "'new' weights are exactly the trainer's after one step."),
        ("How to play", "Yellow cells are inputs: change an activation, lr, wd or a weight and every formula "
                        "recomputes. Green cells are the results."),
        ("", "Only functions Excel, LibreOffice and Google Sheets share: EXP, LN, SUM, SUMSQ, SUMPRODUCT, "
             "MMULT, TRANSPOSE, INDEX, MATCH, MAX, IF, AVERAGE. Nothing volatile, no macros."),
        ("Source", "fast.ai course-v3 lesson 5 (entropy_example.xlsx and the lesson5-sgd-mnist notebook); "
                   "built by sheetsgd (`sheetsgd build --only neuralnet`)."),
        ("Data", "E. Alpaydin, C. Kaynak, Optical Recognition of Handwritten Digits, UCI Machine Learning "
                 "Repository (1998), CC BY 4.0, as shipped in scikit-learn (sklearn/datasets/data/digits.csv.gz)."),
    ]
    for i, (head, text) in enumerate(lines):
        if head:
            s.text((i + 2, 0), head, "label")
        if text:
            s.text((i + 2, 1), text)
    return s


# -- the workbook -----------------------------------------------------------------------------------

def train_both(seed=nn.SEED, valid=nn.VALID, hyper=None, hidden=nn.HIDDEN, adam=False):
    """The digits, the seeded split and both models trained on it (weights rounded as stored).
    adam: also net_adam's Adam runs (runs["adam"] = {lr: models.net_adam.AdamRun}), from the net's
    start on its mini-batches, in a third process."""
    if not isinstance(seed, int) or seed < 0:
        raise SheetsgdError(f"seed {seed!r} is not a whole number >= 0")
    digits = nn.load_digits()
    train_idx, valid_idx = nn.split(len(digits.labels), valid, seed)
    hyper = hyper or {}
    # the models train at once, each in its own process (they share nothing; the bits are the same)
    jobs = [functools.partial(nn.train, kind, digits, train_idx, valid_idx, seed, hyper.get(kind),
                              round_to=writer.stored, hidden=hidden) for kind in nn.MODELS]
    if adam:
        start = {k: writer.stored(v) for k, v in nn.init("net", seed, hidden).items()}    # nn.train's start
        bs = nn.check_hyper("net", hyper.get("net"))["bs"]
        jobs.append(functools.partial(na.train_many, digits, train_idx, valid_idx, start, na.LRS, na.EPOCHS, bs,
                                      seed))
    trained = parallel.call_all(jobs)
    runs = dict(zip(nn.MODELS, trained))
    if adam:
        runs["adam"] = dict(zip(na.LRS, trained[-1]))
    return digits, train_idx, valid_idx, runs


def build(path, seed=nn.SEED, valid=nn.VALID, hyper=None, hidden=nn.HIDDEN, activations=None, lecture=False):
    """Write neuralnet.xlsx; return a one-line summary (both models' valid accuracy).
    lecture: the softmax and binary cross-entropy examples with the lecture's numbers and LOG."""
    return write(path, seed, valid, hyper, hidden, activations, lecture)["summary"]


def write(path, seed=nn.SEED, valid=nn.VALID, hyper=None, hidden=nn.HIDDEN, activations=None, lecture=False):
    """build(), returning what the sheets hold: {"summary", "runs", "steps", "preds", "split"}."""
    digits, train_idx, valid_idx, runs = train_both(seed, valid, hyper, hidden, adam=True)
    adam_runs = runs.pop("adam")
    batch_idx = runs["logistic"].first_batch
    assert np.array_equal(batch_idx, runs["net"].first_batch)   # one shuffle seed: the same first batch
    h = runs["logistic"].hyper
    acts = example_activations(seed) if activations is None else activations
    net = runs["net"]      # the rest of lesson 5: Adam on the same net, fine-tuning its first layer, sin(x)
    assert all(np.array_equal(run.start[k], net.start[k]) for run in adam_runs.values() for k in net.start)
    tuned = ft.run(digits, train_idx, valid_idx, {"W": net.params["W1"], "b": net.params["b1"]}, seed,
                   round_to=writer.stored)
    fit = un.run(seed, round_to=writer.stored)
    if lecture:
        acts = dict(acts, softmax=np.array(nn.LECTURE_ENTROPY["softmax"]), is_cat=list(nn.LECTURE_ENTROPY["is_cat"]),
                    preds=list(nn.LECTURE_ENTROPY["preds"]), log_base=nn.LECTURE_ENTROPY["log_base"])
    with Workbook(path, title="Softmax, cross-entropy and a neural net, lesson 5",
                  subject="softmax, cross-entropy, SGD on 8x8 handwritten digits") as wb:
        about_sheet(wb, {"seed": seed, "n_train": len(train_idx), "n_valid": len(valid_idx), "bs": h["bs"],
                         "logistic": runs["logistic"].final_accuracy, "net": runs["net"].final_accuracy,
                         "hidden": hidden, "epochs": h["epochs"], "lr": h["lr"], "wd": h["wd"],
                         "ft_images": len(tuned.images), "ft_before": tuned.accuracy["before"],
                         "ft_head": tuned.accuracy["head"], "ft_unfrozen": tuned.accuracy["unfrozen"]})
        softmax_sheet(wb, acts["softmax"])
        cross_entropy_sheet(wb, acts["ce"], acts["targets"], acts["is_cat"], acts["preds"], acts.get("log_base"))
        s, lay, stored_pixels, draw_valid = digits_sheet(wb, digits, batch_idx, valid_idx, seed)
        batch_pixels = np.array([stored_pixels[lay.batch_row(i)] for i in range(len(batch_idx))])
        valid_pixels = np.array([stored_pixels[lay.valid_row(i)] for i in range(len(valid_idx))])
        info = (lay, batch_pixels, digits.labels[batch_idx], batch_idx)
        preds, steps = {}, {}
        for kind in nn.MODELS:
            h = runs[kind].hyper
            steps[kind] = step_sheet(wb, kind, info, runs[kind].start, h["lr"], h["wd"], hidden)
            preds[kind] = valid_sheet(wb, kind, lay, valid_pixels, digits.labels[valid_idx], runs[kind], hidden,
                                      n_train=len(train_idx))
        draw_valid(preds)
        steps["net_adam"] = net_adam_sheet(wb, digits, net, adam_runs, hidden)
        steps["fine_tune"] = fine_tune_sheet(wb, digits, tuned)
        steps["universal"] = universal_sheet(wb, fit)
    return {"summary": summary(runs, preds), "runs": runs, "steps": steps, "preds": preds,
            "split": (train_idx, valid_idx), "adam": adam_runs, "fine_tune": tuned, "universal": fit}


def summary(runs, preds):
    return "; ".join(f"{k} valid accuracy {preds[k]['accuracy']:.1%}" for k in nn.MODELS)


def example_activations(seed=nn.SEED):
    """Our own numbers for the softmax and cross_entropy sheets (seeded, two decimals)."""
    rng = np.random.default_rng(seed)
    first = np.round(rng.normal(0, 1.5, len(nn.CLASSES)), 2)
    ce = np.round(rng.normal(0, 2, (len(nn.CLASSES), len(nn.CLASSES))), 2)
    return {
        "softmax": np.array([first, first - 1.5]),
        "ce": ce,
        "targets": rng.permutation(len(nn.CLASSES)),
        "is_cat": [1, 1, 0, 0, 1],
        "preds": [0.6, 0.99, 0.8, 0.3, 0.95],
    }
