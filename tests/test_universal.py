"""universal (issue 17): a 1-input ReLU net fits sin(x) by per-row SGD.

Numbers from outside the code under test: finite differences of the squared error, the net's output
written here with NumPy's matmul, and PyTorch (float64, torch.optim.SGD, one data point a step)
when it is installed.
"""
import math

import numpy as np
import pytest

from sheetsgd import writer
from sheetsgd.errors import SheetsgdError
from sheetsgd.models import universal as un


@pytest.fixture(scope="module")
def run():
    return un.run(42, round_to=writer.stored)


def test_the_data_and_the_start(run):
    assert sorted(run["x"]) == pytest.approx(np.linspace(-3, 3, un.POINTS), abs=1e-12)
    assert np.allclose(run["y"], np.sin(run["x"]), rtol=0, atol=1e-15)
    p = run["start"]
    kinks = -p["b"] / p["w"]                      # each unit's kink inside the data's range, evenly spaced
    assert np.allclose(np.diff(kinks), 6 / un.HIDDEN) and -3 < kinks.min() and kinks.max() < 3
    assert len(run["rows"]) == un.POINTS * un.DEFAULTS["epochs"]


def test_a_row_steps_against_the_finite_difference_gradient(run):
    p = {k: np.array(v, dtype=float) if k != "c" else v for k, v in run["after"][4].items()}
    x, y, lr = 0.7, math.sin(0.7), 0.01
    r = un.row(x, y, p, lr)

    def err(q):
        return float((q["c"] + np.maximum(0, q["w"] * x + q["b"]) @ q["v"] - y) ** 2)
    eps = 1e-7
    for k in un.PARAMS:
        for j in range(un.HIDDEN):
            up, down = {**p, k: p[k].copy()}, {**p, k: p[k].copy()}
            up[k][j] += eps
            down[k][j] -= eps
            numeric = (err(up) - err(down)) / (2 * eps)
            assert (p[k][j] - r[k][j]) / lr == pytest.approx(numeric, rel=1e-5, abs=1e-8), (k, j)
    numeric = (err({**p, "c": p["c"] + eps}) - err({**p, "c": p["c"] - eps})) / (2 * eps)
    assert (p["c"] - r["c"]) / lr == pytest.approx(numeric, rel=1e-6)


def test_fit_is_the_net_s_output(run):
    for e, fit in run["fits"].items():
        p = run["after"][e - 1]
        mine = np.maximum(0, np.outer(run["grid"], p["w"]) + p["b"]) @ p["v"] + p["c"]
        assert np.allclose(fit, mine, rtol=1e-12, atol=1e-14)


def test_sgd_fits_the_curve(run):
    """The fit's RMSE on the 61-point grid falls from ~0.45 after one epoch to ~0.1, and so does the
    per-epoch RMSE of the steps."""
    grid_rmse = {e: float(np.sqrt(np.mean((f - run["target"]) ** 2))) for e, f in run["fits"].items()}
    last = run["snapshots"][-1]
    assert grid_rmse[1] > 0.3 and grid_rmse[last] < 0.15
    assert list(grid_rmse.values()) == sorted(grid_rmse.values(), reverse=True)
    assert run["rmse"][-1] < run["rmse"][0] / 3


def test_bad_hyperparameters_are_one_line_errors():
    with pytest.raises(SheetsgdError, match="universal lr 2"):
        un.check_hyper({"lr": 2})
    with pytest.raises(SheetsgdError, match="universal epochs 0"):
        un.check_hyper({"epochs": 0})


def test_every_row_is_torch_s_sgd_step(run, capsys):
    """torch.optim.SGD on Linear(1, 8) -> ReLU -> Linear(8, 1), float64, one data point a step from
    the same start, compared with every row of the sheet's table (all 640 steps)."""
    torch = pytest.importorskip("torch")
    p = run["start"]
    hidden = torch.nn.Linear(1, un.HIDDEN, dtype=torch.float64)
    out = torch.nn.Linear(un.HIDDEN, 1, dtype=torch.float64)
    with torch.no_grad():
        hidden.weight.copy_(torch.tensor(p["w"]).reshape(-1, 1))
        hidden.bias.copy_(torch.tensor(p["b"]))
        out.weight.copy_(torch.tensor(p["v"]).reshape(1, -1))
        out.bias.fill_(p["c"])
    opt = torch.optim.SGD([*hidden.parameters(), *out.parameters()], lr=run["hyper"]["lr"])
    worst = 0.0
    xs, ys = run["x"].tolist(), run["y"].tolist()
    for n, r in enumerate(run["rows"]):
        x, y = xs[n % len(xs)], ys[n % len(ys)]
        opt.zero_grad()
        pred = out(torch.relu(hidden(torch.tensor([[x]], dtype=torch.float64))))
        ((pred - y) ** 2).sum().backward()
        opt.step()
        got = {"w": hidden.weight.detach().numpy()[:, 0], "b": hidden.bias.detach().numpy(),
               "v": out.weight.detach().numpy()[0], "c": out.bias.item()}
        for k in un.PARAMS + ("c",):
            diff = np.abs(np.asarray(r[k]) - got[k]) / np.maximum(np.abs(got[k]), 1e-300)
            worst = max(worst, float(np.max(diff)))
    with capsys.disabled():
        print(f"\n[torch] universal: {len(run['rows'])} SGD steps, max relative difference {worst:.2g}")
    assert worst < 1e-10


# ---------------------------------------------------------------- the sheet in neuralnet.xlsx

def test_the_chart_draws_every_point_of_the_fit(neuralnet_built):
    """Each fit series spans the whole 61-point grid (a preview cut at 70 rows must not hide it)."""
    import re
    import zipfile
    with zipfile.ZipFile(neuralnet_built[0]) as z:
        charts = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart")]
    fit = [c for c in charts if "fitting sin(x)" in c]
    assert len(fit) == 1
    spans = [int(b) - int(a) + 1 for a, b in re.findall(r"<c:f>universal!\$[A-Z]+\$(\d+):\$[A-Z]+\$(\d+)</c:f>", fit[0])]
    assert spans and all(n == un.GRID for n in spans)
