"""net_adam (issue 17): Adam on the digits net, one step as the sheet lays it out, and per epoch.

Numbers from outside the code under test: Adam as the paper writes it (m-hat, v-hat) coded here
from scratch, and torch.optim.Adam (float64) when PyTorch is installed, given the sheet's weights
and state, and running free from the same start on the same mini-batches.
"""
import math

import numpy as np
import pytest

from sheetsgd import writer
from sheetsgd.errors import SheetsgdError
from sheetsgd.models import layers as ly
from sheetsgd.models import net_adam as na
from sheetsgd.models import neuralnet as nn


@pytest.fixture(scope="module")
def digits():
    d = nn.load_digits()
    train_idx, valid_idx = nn.split(len(d.labels))
    return d, train_idx, valid_idx


@pytest.fixture(scope="module")
def start():
    return {k: writer.stored(v) for k, v in nn.init("net").items()}


@pytest.fixture(scope="module")
def run(digits, start):
    d, train_idx, valid_idx = digits
    return na.train(d, train_idx, valid_idx, start, epochs=2)


@pytest.fixture(scope="module")
def shown(digits, run):
    d = digits[0]
    return na.sheet_step(run.shown_state, d.pixels[run.shown_batch], d.labels[run.shown_batch], run.shown_t,
                         run.hyper)


def textbook_adam(p, g, m, v, t, lr, b1, b2, eps):
    """Kingma & Ba, Algorithm 1."""
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    m_hat = m / (1 - b1 ** t)
    v_hat = v / (1 - b2 ** t)
    return p - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def test_update_is_adam(run, shown):
    h, st = run.hyper, run.shown_state
    grads = na.as_params(shown["grad"])
    for k in na.NAMES:
        new, m, v = textbook_adam(st["p"][k], grads[k], st["m"][k], st["v"][k], run.shown_t, h["lr"],
                                  h["beta1"], h["beta2"], h["eps"])
        assert np.allclose(shown["adam"][k]["new"], new, rtol=1e-13, atol=1e-18), k
        assert np.allclose(shown["adam"][k]["m"], m, rtol=1e-15, atol=0), k
        assert np.allclose(shown["adam"][k]["v"], v, rtol=1e-15, atol=0), k
    bc1, bc2 = na.corrections(run.shown_t, h)
    assert math.isclose(bc1, 1 - 0.9 ** 95) and math.isclose(bc2, 1 - 0.999 ** 95)


def test_the_shown_step_is_the_first_of_epoch_2_and_the_next_state_is_the_trainer_s(digits, start, run, shown):
    d, train_idx, valid_idx = digits
    assert run.shown_t == 95                      # 1,497 images in batches of 16: 94 steps an epoch
    again = na.train(d, train_idx, valid_idx, start, epochs=2, shown_t=96)
    for k in na.NAMES:        # the state before step 96 = the sheet's step 95 (NumPy's order of additions)
        assert np.allclose(again.shown_state["p"][k], shown["adam"][k]["new"], rtol=1e-9, atol=1e-15), k
        assert np.allclose(again.shown_state["v"][k], shown["adam"][k]["v"], rtol=1e-9, atol=1e-20), k


def test_sgd_and_adam_see_the_same_mini_batches(digits, start, run):
    d, train_idx, valid_idx = digits
    sgd = nn.train("net", d, train_idx, valid_idx, hyper={"epochs": 2}, round_to=writer.stored)
    assert all(np.array_equal(sgd.start[k], run.start[k]) for k in na.NAMES)
    order = nn.stream(nn.SEED, "shuffle")
    order.permutation(len(train_idx))             # epoch 1
    assert np.array_equal(run.shown_batch, train_idx[order.permutation(len(train_idx))[:16]])
    assert np.array_equal(sgd.first_batch, train_idx[nn.stream(nn.SEED, "shuffle").permutation(len(train_idx))[:16]])


def test_adam_learns(run):
    assert run.valid_accuracy[-1] > 0.8 and run.valid_accuracy[-1] > run.valid_accuracy[0]


def test_stacked_runs_are_each_run_to_the_last_bit(digits, start):
    """train_many computes its runs at once; each is the same bits as layers.grads one run at a time."""
    d, train_idx, _ = digits
    x, y = nn.inputs(d.pixels[train_idx[:16]]), d.labels[train_idx[:16]]
    rng = np.random.default_rng(9)
    p = {k: np.stack([v, v + rng.normal(0, 0.01, v.shape)]) for k, v in start.items()}
    g = na.stacked_grads(p, x, y)
    for j in range(2):
        grads = ly.grads(na.as_layers({k: a[j] for k, a in p.items()}), x, y, nn.DIGITS)[1]
        assert np.array_equal(g[j], np.concatenate([layer[k].ravel() for layer in grads for k in ("W", "b")]))


def test_bad_hyperparameters_are_one_line_errors():
    with pytest.raises(SheetsgdError, match="net_adam beta2 1"):
        na.check_hyper({"beta2": 1})
    with pytest.raises(SheetsgdError, match="no hyperparameter 'momentum'"):
        na.check_hyper({"momentum": 0.9})


# ---------------------------------------------------------------- PyTorch

def torch_net(torch, p):
    net = torch.nn.Sequential(torch.nn.Linear(nn.PIXELS, nn.HIDDEN, dtype=torch.float64), torch.nn.ReLU(),
                              torch.nn.Linear(nn.HIDDEN, nn.DIGITS, dtype=torch.float64))
    with torch.no_grad():
        for lin, k in ((net[0], "1"), (net[2], "2")):
            lin.weight.copy_(torch.tensor(p["W" + k].T))
            lin.bias.copy_(torch.tensor(p["b" + k]))
    return net


def torch_params(net):
    """(our name, PyTorch's tensor, to ours) for each parameter."""
    return [("W1", net[0].weight, lambda a: a.T), ("b1", net[0].bias, lambda a: a),
            ("W2", net[2].weight, lambda a: a.T), ("b2", net[2].bias, lambda a: a)]


def max_rel(ours, theirs):
    ours, theirs = np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float)
    scale = np.maximum(np.abs(ours), np.abs(theirs))
    return float(np.max(np.where(scale > 0, np.abs(ours - theirs) / np.where(scale > 0, scale, 1), 0)))


def test_the_sheet_s_step_is_torch_adam_s(digits, run, shown, capsys):
    """torch.optim.Adam given the sheet's weights, averages and step count takes the sheet's step."""
    torch = pytest.importorskip("torch")
    d = digits[0]
    h, st = run.hyper, run.shown_state
    net = torch_net(torch, st["p"])
    opt = torch.optim.Adam(net.parameters(), lr=h["lr"], betas=(h["beta1"], h["beta2"]), eps=h["eps"],
                           foreach=False)
    x = torch.tensor(nn.inputs(d.pixels[run.shown_batch]))
    y = torch.tensor(d.labels[run.shown_batch])
    torch.nn.functional.cross_entropy(net(x), y).backward()
    for k, p, back in torch_params(net):
        opt.state[p] = {"step": torch.tensor(float(run.shown_t - 1)), "exp_avg": torch.tensor(back(st["m"][k])),
                        "exp_avg_sq": torch.tensor(back(st["v"][k]))}
    opt.step()
    worst = {}
    for k, p, back in torch_params(net):
        worst[k] = max_rel(shown["adam"][k]["new"], back(p.detach().numpy()))
        assert max_rel(shown["adam"][k]["m"], back(opt.state[p]["exp_avg"].numpy())) < 1e-12, k
        assert max_rel(shown["adam"][k]["v"], back(opt.state[p]["exp_avg_sq"].numpy())) < 1e-12, k
    with capsys.disabled():
        print(f"\n[torch] net_adam step {run.shown_t}: max relative difference of the new weights "
              f"{max(worst.values()):.2g} ({', '.join(f'{k} {v:.2g}' for k, v in worst.items())})")
    assert max(worst.values()) < 1e-12


def test_torch_adam_runs_to_the_same_state(digits, start, run, capsys):
    """Free-running: torch.optim.Adam from the same start on the same mini-batches, to the sheet's step."""
    torch = pytest.importorskip("torch")
    d, train_idx, _ = digits
    h = run.hyper
    net = torch_net(torch, start)
    opt = torch.optim.Adam(net.parameters(), lr=h["lr"], betas=(h["beta1"], h["beta2"]), eps=h["eps"],
                           foreach=False)
    x, y = torch.tensor(nn.inputs(d.pixels[train_idx])), torch.tensor(d.labels[train_idx])
    rng = nn.stream(nn.SEED, "shuffle")
    t = 0
    while t < run.shown_t - 1:
        order = rng.permutation(len(train_idx))
        for i in range(0, len(order), 16):
            if t == run.shown_t - 1:
                break
            b = torch.tensor(order[i:i + 16])
            opt.zero_grad()
            torch.nn.functional.cross_entropy(net(x[b]), y[b]).backward()
            opt.step()
            t += 1
    worst = max(max_rel(run.shown_state["p"][k], back(p.detach().numpy())) for k, p, back in torch_params(net))
    with capsys.disabled():
        print(f"\n[torch] net_adam: after {t} free-running steps, max relative difference {worst:.2g}")
    assert worst < 1e-8


# ---------------------------------------------------------------- the sheet in neuralnet.xlsx

def block(evaluated, ref):
    """The evaluator's values of a range on net_adam ("$B$10:$K$73") as a 2-D array."""
    from openpyxl.utils import get_column_letter, range_boundaries
    c0, r0, c1, r1 = range_boundaries(ref.replace("$", ""))
    return np.array([[evaluated.values[("net_adam", f"{get_column_letter(c)}{r}")] for c in range(c0, c1 + 1)]
                     for r in range(r0, r1 + 1)], dtype=float)


def sheet_inputs(book, ref):
    from openpyxl.utils import range_boundaries
    c0, r0, c1, r1 = range_boundaries(ref.replace("$", ""))
    cells = book.sheets["net_adam"].cells
    return np.array([[cells[(r, c)].value for c in range(c0, c1 + 1)] for r in range(r0, r1 + 1)], dtype=float)


def test_the_sheet_s_step_is_torch_s_on_the_sheet_s_own_numbers(neuralnet_built, neuralnet_book, neuralnet_evaluated,
                                                                  capsys):
    """torch.optim.Adam given what the sheet holds (its yellow weights, m, v, the batch's pixels and
    labels, t) takes the step the sheet's formulas compute, as LibreOffice and the evaluator compute them."""
    torch = pytest.importorskip("torch")
    info = neuralnet_built[1]["steps"]["net_adam"]
    bands, run = info["bands"], neuralnet_built[1]["adam"][na.LRS[0]]
    h = run.hyper
    get = {part: {} for part in ("start", "m0", "v0", "new")}
    for wk, band in bands.items():
        for part in get:                  # the yellow inputs as the file holds them, the new weights computed
            read = (lambda ref: block(neuralnet_evaluated, ref)) if part == "new" else \
                (lambda ref: sheet_inputs(neuralnet_book, ref))
            get[part][wk] = read(band.matrix(part))
            get[part]["b" + wk[1:]] = read(band.bias(part))[0]
    pixels = sheet_inputs(neuralnet_book, info["pixels"])
    labels = sheet_inputs(neuralnet_book, info["labels"])[:, 0].astype(int)
    net = torch_net(torch, get["start"])
    opt = torch.optim.Adam(net.parameters(), lr=h["lr"], betas=(h["beta1"], h["beta2"]), eps=h["eps"], foreach=False)
    torch.nn.functional.cross_entropy(net(torch.tensor(pixels / 16)), torch.tensor(labels)).backward()
    for k, p, back in torch_params(net):
        opt.state[p] = {"step": torch.tensor(float(info["t"] - 1)), "exp_avg": torch.tensor(back(get["m0"][k])),
                        "exp_avg_sq": torch.tensor(back(get["v0"][k]))}
    opt.step()
    worst = max(max_rel(get["new"][k], back(p.detach().numpy())) for k, p, back in torch_params(net))
    with capsys.disabled():
        print(f"\n[torch] net_adam sheet, step {info['t']}: max relative difference {worst:.2g}")
    assert worst < 1e-12
    before, after = (neuralnet_evaluated.values[("net_adam", c)] for c in info["loss"])
    assert after < before          # the step lowered the batch's loss


def test_adam_at_fastai_s_lr_is_ahead_of_sgd_early(neuralnet_built):
    """The per-epoch table's story: Adam at 3e-3 is ahead of SGD (lr 0.2) after the first epoch."""
    info = neuralnet_built[1]
    sgd, fast = info["runs"]["net"].valid_accuracy, info["adam"][3e-3].valid_accuracy
    assert fast[0] > sgd[0] and len(fast) == na.EPOCHS
