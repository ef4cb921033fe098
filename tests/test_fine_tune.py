"""fine_tune (issue 17): transfer learning on the digits, the lesson's way.

Numbers from outside the code under test: finite differences of the loss, the discriminative_lr
rule written out here, and PyTorch (float64, torch.optim.SGD with one param group per layer group,
the body's requires_grad off while frozen) when it is installed.
"""
import math

import numpy as np
import pytest

from sheetsgd import writer
from sheetsgd.errors import SheetsgdError
from sheetsgd.models import fine_tune as ft
from sheetsgd.models import layers as ly
from sheetsgd.models import neuralnet as nn


@pytest.fixture(scope="module")
def digits():
    d = nn.load_digits()
    train_idx, valid_idx = nn.split(len(d.labels))
    return d, train_idx, valid_idx


@pytest.fixture(scope="module")
def body(digits):
    """The trained digits net's first layer, as neuralnet.xlsx stores it."""
    d, train_idx, valid_idx = digits
    net = nn.train("net", d, train_idx, valid_idx, round_to=writer.stored)
    return {"W": net.params["W1"], "b": net.params["b1"]}


@pytest.fixture(scope="module")
def tuned(digits, body):
    d, train_idx, valid_idx = digits
    return ft.run(d, train_idx, valid_idx, body, round_to=writer.stored)


@pytest.fixture(scope="module")
def shown(digits, tuned):
    d = digits[0]
    return ft.sheet_step(tuned.start, d.pixels[tuned.first_batch], d.labels[tuned.first_batch], tuned.lrs)


# ---------------------------------------------------------------- the layers

def test_two_layers_are_the_digits_net_to_the_last_bit(digits):
    d = digits[0]
    params = nn.init("net")
    layers = ly.init([nn.PIXELS, nn.HIDDEN, nn.DIGITS], nn.stream(nn.SEED, "init"))
    assert np.array_equal(layers[0]["W"], params["W1"]) and np.array_equal(layers[1]["b"], params["b2"])
    x, y = nn.inputs(d.pixels[:16]), d.labels[:16]
    ours = ly.step(layers, x, y, nn.DIGITS, sheet=True)
    theirs = nn.step("net", params, x, y, lr=0.1, wd=0.0, sheet=True)
    for i, k in enumerate(("1", "2")):
        assert np.allclose(ours["grad"][i]["W"], theirs["grad"]["W" + k], rtol=1e-13, atol=1e-17)
        assert np.allclose(ours["grad"][i]["b"], theirs["grad"]["b" + k], rtol=1e-13, atol=1e-17)
    ce, grads = ly.grads(layers, x, y, nn.DIGITS)             # the trainers' lean path
    assert math.isclose(ce, ours["ce"], rel_tol=1e-13)
    assert all(np.allclose(g["W"], o["W"], rtol=1e-12, atol=1e-17) for g, o in zip(grads, ours["grad"]))


def test_three_layer_gradients_match_finite_differences():
    rng = np.random.default_rng(0)
    layers = ly.init([7, 5, 4, 3], rng)
    x = rng.uniform(0, 1, (6, 7))
    y = np.array([0, 2, 1, 1, 0, 2])
    r = ly.step(layers, x, y, 3)
    eps = 1e-6
    for i, layer in enumerate(layers):
        for k, p in layer.items():
            numeric = np.zeros_like(p)
            for j in np.ndindex(p.shape):
                old = p[j]
                p[j] = old + eps
                up = ly.loss(layers, x, y)
                p[j] = old - eps
                down = ly.loss(layers, x, y)
                p[j] = old
                numeric[j] = (up - down) / (2 * eps)
            assert np.allclose(r["grad"][i][k], numeric, rtol=1e-6, atol=1e-9), (i, k)


# ---------------------------------------------------------------- the new task

def test_the_new_task_is_odd_or_even_with_few_labelled_images(digits, tuned):
    d, train_idx, valid_idx = digits
    assert list(ft.task_labels(range(10))) == [0, 1, 0, 1, 0, 1, 0, 1, 0, 1]
    labels = ft.task_labels(d.labels[tuned.images])
    assert np.bincount(labels).tolist() == [25, 25]
    assert set(tuned.images) <= set(train_idx) and not set(tuned.images) & set(valid_idx)
    assert set(tuned.first_batch) <= set(tuned.images) and len(tuned.first_batch) == ft.DEFAULTS["bs"]


def test_group_lrs_follow_the_discriminative_lr_rule():
    lrs = ft.group_lrs(ft.DEFAULTS)
    lo, hi = ft.DEFAULTS["lo"], ft.DEFAULTS["hi"]
    assert lrs["frozen"] == [0.0, ft.DEFAULTS["lr"], ft.DEFAULTS["lr"]]
    # slice(lo, hi) over 3 groups: lo, the geometric mean, hi (fastai's even_mults)
    assert np.allclose(lrs["unfrozen"], [lo, math.sqrt(lo * hi), hi], rtol=1e-15, atol=0)


def test_bad_hyperparameters_are_one_line_errors():
    with pytest.raises(SheetsgdError, match="fine_tune lo -1"):
        ft.check_hyper({"lo": -1})
    with pytest.raises(SheetsgdError, match="no hyperparameter 'momentum'"):
        ft.check_hyper({"momentum": 0.9})


# ---------------------------------------------------------------- the step and the training

def test_frozen_step_leaves_the_body_as_it_was_and_moves_the_head(tuned, shown):
    frozen, unfrozen = shown["new"]["frozen"], shown["new"]["unfrozen"]
    for k in ("W", "b"):
        assert np.array_equal(frozen[0][k], tuned.start[0][k])       # lr 0: to the last bit
        assert not np.array_equal(unfrozen[0][k], tuned.start[0][k])
        for i in (1, 2):
            assert not np.array_equal(frozen[i][k], tuned.start[i][k])
    assert np.abs(shown["grad"][0]["W"]).max() > 0                   # the body has a gradient; frozen, it is not used


def test_the_trainer_s_first_step_is_the_sheet_s(digits, tuned, shown):
    d = digits[0]
    x, y = nn.inputs(d.pixels[tuned.first_batch]), ft.task_labels(d.labels[tuned.first_batch])
    first = ly.sgd(tuned.start, ly.grads(tuned.start, x, y, 2)[1], tuned.lrs["frozen"])
    for ours, theirs in zip(shown["new"]["frozen"], first):
        assert np.allclose(ours["W"], theirs["W"], rtol=1e-12, atol=1e-16)


def test_accuracies_tell_the_lesson_s_story(tuned):
    """A random head guesses (~50% on two classes); training the head alone on 50 images makes the
    body's features useful; unfreezing adds a little; the same net from scratch on the same images
    does worse (seed 42; the spread over other seeds is in models/fine_tune.py)."""
    acc = tuned.accuracy
    assert 0.3 < acc["before"] < 0.7
    assert acc["head"] > 0.8 and acc["unfrozen"] > 0.8
    assert acc["unfrozen"] > acc["scratch"]
    assert len(tuned.per_epoch["fine_tune"]) == len(tuned.per_epoch["scratch"]) == 20


# ---------------------------------------------------------------- PyTorch

def torch_net(torch, layers):
    """nn.Sequential(Linear, ReLU, Linear, ReLU, Linear) in float64 holding our weights (PyTorch's
    Linear keeps W as (outputs, inputs): the transpose of ours)."""
    mods = []
    for i, layer in enumerate(layers):
        lin = torch.nn.Linear(*layer["W"].shape, dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.tensor(layer["W"].T))
            lin.bias.copy_(torch.tensor(layer["b"]))
        mods.append(lin)
        if i < len(layers) - 1:
            mods.append(torch.nn.ReLU())
    return torch.nn.Sequential(*mods)


def torch_layers(net):
    lins = [m for m in net if hasattr(m, "weight")]
    return [{"W": m.weight.detach().numpy().T.copy(), "b": m.bias.detach().numpy().copy()} for m in lins]


def torch_sgd(torch, net, lrs, frozen):
    """learn.freeze() / unfreeze() and lr=slice(...): one param group per layer group."""
    lins = [m for m in net if hasattr(m, "weight")]
    for p in lins[0].parameters():
        p.requires_grad_(not frozen)
    groups = [{"params": list(m.parameters()), "lr": lr} for m, lr in zip(lins, lrs) if not (frozen and lr == 0)]
    return torch.optim.SGD(groups, lr=lrs[-1])


def max_rel(ours, theirs):
    ours, theirs = np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float)
    scale = np.maximum(np.abs(ours), np.abs(theirs))
    return float(np.max(np.where(scale > 0, np.abs(ours - theirs) / np.where(scale > 0, scale, 1), 0)))


@pytest.mark.parametrize("rule", ["frozen", "unfrozen"])
def test_the_sheet_s_step_is_torch_s(digits, tuned, shown, rule, capsys):
    torch = pytest.importorskip("torch")
    d = digits[0]
    net = torch_net(torch, tuned.start)
    opt = torch_sgd(torch, net, tuned.lrs[rule], rule == "frozen")
    x = torch.tensor(nn.inputs(d.pixels[tuned.first_batch]))
    y = torch.tensor(ft.task_labels(d.labels[tuned.first_batch]))
    torch.nn.functional.cross_entropy(net(x), y).backward()
    opt.step()
    got = torch_layers(net)
    worst = max(max_rel(o[k], g[k]) for o, g in zip(shown["new"][rule], got) for k in ("W", "b"))
    with capsys.disabled():
        print(f"\n[torch] fine_tune {rule} step: max relative difference {worst:.2g}")
    assert worst < 1e-12
    if rule == "frozen":
        assert np.array_equal(got[0]["W"], tuned.start[0]["W"])


def test_torch_fine_tunes_to_the_same_accuracies(digits, tuned):
    """The whole schedule in PyTorch (float64, the same mini-batches): freeze, fit, unfreeze, fit."""
    torch = pytest.importorskip("torch")
    d, train_idx, valid_idx = digits
    h = tuned.hyper
    x = torch.tensor(nn.inputs(d.pixels[tuned.images]))
    y = torch.tensor(ft.task_labels(d.labels[tuned.images]))
    xv = torch.tensor(nn.inputs(d.pixels[valid_idx]))
    yv = ft.task_labels(d.labels[valid_idx])
    net = torch_net(torch, tuned.start)
    rng = ft.stream(nn.SEED, "shuffle")
    log = []
    for rule, n_epochs in (("frozen", h["frozen_epochs"]), ("unfrozen", h["unfrozen_epochs"])):
        opt = torch_sgd(torch, net, tuned.lrs[rule], rule == "frozen")
        for _ in range(n_epochs):
            order = rng.permutation(len(y))
            for i in range(0, len(order), h["bs"]):
                b = torch.tensor(order[i:i + h["bs"]])
                opt.zero_grad()
                torch.nn.functional.cross_entropy(net(x[b]), y[b]).backward()
                opt.step()
            with torch.no_grad():
                log.append(float(np.mean(net(xv).argmax(1).numpy() == yv)))
    assert log == tuned.per_epoch["fine_tune"]
    final = torch_layers(net)
    assert max(max_rel(o[k], f[k]) for o, f in zip(tuned.final, final) for k in ("W", "b")) < 1e-9


# ---------------------------------------------------------------- the sheet in neuralnet.xlsx

def block(evaluated, ref):
    from openpyxl.utils import get_column_letter, range_boundaries
    c0, r0, c1, r1 = range_boundaries(ref.replace("$", ""))
    return np.array([[evaluated.values[("fine_tune", f"{get_column_letter(c)}{r}")] for c in range(c0, c1 + 1)]
                     for r in range(r0, r1 + 1)], dtype=float)


def sheet_inputs(book, ref):
    from openpyxl.utils import range_boundaries
    c0, r0, c1, r1 = range_boundaries(ref.replace("$", ""))
    cells = book.sheets["fine_tune"].cells
    return np.array([[cells[(r, c)].value for c in range(c0, c1 + 1)] for r in range(r0, r1 + 1)], dtype=float)


def test_frozen_the_body_s_update_cells_are_0_and_its_weights_unchanged(neuralnet_built, neuralnet_book,
                                                                         neuralnet_evaluated):
    body = neuralnet_built[1]["steps"]["fine_tune"]["bands"][0]
    start = sheet_inputs(neuralnet_book, body.matrix("start"))
    assert np.all(block(neuralnet_evaluated, body.matrix("upd_f")) == 0)
    assert np.all(block(neuralnet_evaluated, body.bias("upd_f")) == 0)
    assert np.array_equal(block(neuralnet_evaluated, body.matrix("new_f")), start)
    assert not np.array_equal(block(neuralnet_evaluated, body.matrix("new_u")), start)
    assert np.abs(block(neuralnet_evaluated, body.matrix("grad"))).max() > 0
    # and the body's weights are net_valid's trained first layer, as the sheet says
    assert np.array_equal(start, neuralnet_built[1]["runs"]["net"].params["W1"])


@pytest.mark.parametrize("rule,key", [("frozen", "new_f"), ("unfrozen", "new_u")])
def test_the_sheet_s_step_is_torch_s_on_the_sheet_s_own_numbers(neuralnet_built, neuralnet_book, neuralnet_evaluated,
                                                                  rule, key, capsys):
    torch = pytest.importorskip("torch")
    info = neuralnet_built[1]["steps"]["fine_tune"]
    start = [{"W": sheet_inputs(neuralnet_book, b.matrix("start")), "b": sheet_inputs(neuralnet_book, b.bias("start"))[0]}
             for b in info["bands"]]
    lrs = [cell_value(neuralnet_book, neuralnet_evaluated, c[f"lr {rule}"]) for c in info["lr_cells"].values()]
    pixels = sheet_inputs(neuralnet_book, info["pixels"])
    digits = sheet_inputs(neuralnet_book, info["labels"])[:, 0].astype(int)
    net = torch_net(torch, start)
    opt = torch_sgd(torch, net, lrs, rule == "frozen")
    torch.nn.functional.cross_entropy(net(torch.tensor(pixels / 16)), torch.tensor(digits % 2)).backward()
    opt.step()
    got = torch_layers(net)
    worst = max(max_rel(block(neuralnet_evaluated, getattr(b, part)(key)).reshape(g[k].shape), g[k])
                for b, g in zip(info["bands"], got) for part, k in (("matrix", "W"), ("bias", "b")))
    with capsys.disabled():
        print(f"\n[torch] fine_tune sheet, {rule} step: max relative difference {worst:.2g}")
    assert worst < 1e-12


def cell_value(book, evaluated, ref):
    """A cell of fine_tune: the evaluator's value of a formula, the file's of an input."""
    from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
    ref = ref.replace("$", "")
    if ("fine_tune", ref) in evaluated.values:
        return evaluated.values[("fine_tune", ref)]
    col, row = coordinate_from_string(ref)
    return book.sheets["fine_tune"].cells[(row, column_index_from_string(col))].value
