"""Optimizers beyond the lecture's sheets, in NumPy: the math of graddesc.xlsx's later sheets.

    ewma               avg = beta*avg + (1-beta)*value, and its bias correction avg / (1 - beta^t)
    sgd_torch          PyTorch's SGD with momentum:  buf = mu*buf + g;  w -= lr*buf   (no dampening)
    adam_torch         PyTorch's Adam:  m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g^2;
                       w -= lr * m_hat / (sqrt(v_hat) + eps),  m_hat = m/(1-b1^t), v_hat = v/(1-b2^t)
    one_cycle          adam_torch with fastai v1's fit_one_cycle schedule of lr and beta1
    lr_find            SGD steps at a learning rate growing 1e-7 -> 10, the smoothed loss, the stop
    discriminative_lr  what slice(start, stop) and slice(stop) give each layer group

The problem and data are the lecture's (models.graddesc): y = a*x + b, one step per data point,
e = (ax + b - y)^2. As there, every function computes in the order of the sheet's formula, a
value is a finite float or NaN for #NUM!, and "-" marks a row after lr_find's stop.
"""
import math

import numpy as np

from . import graddesc as gd
from .graddesc import LONG, NUM, _scalars, cell, excel_min, gt, num, power, sq, sqrt

DEFAULTS = {
    "ewma": {"beta": 0.9, "start": 0.0},
    # lr 1e-5 = the momentum sheet's 1e-4 * (1 - 0.9): the very same steps (see sgd_torch_row)
    "sgd_torch": {"lr": 1e-5, "momentum": 0.9},
    # PyTorch's betas and eps, at the lecture's lr 1 (its adam circles there; this one lands)
    "adam_torch": {"lr": 0.1, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
    # fastai v1: fit_one_cycle(lr_max), moms (0.95, 0.85), div_factor 25, pct_start 0.3, Adam betas (mom, 0.99)
    "one_cycle": {"lr_max": 0.07, "pct": 0.3, "div": 25.0, "final_div": 25e4, "mom_max": 0.95,
                  "mom_min": 0.85, "beta2": 0.99, "eps": 1e-8},
    # fastai v1: lr_find(start_lr=1e-7, end_lr=10, num_it=100), stop when smoothed > 4x best, smoothing 0.98
    "lr_find": {"start_lr": 1e-7, "end_lr": 10.0, "num_it": 100.0, "beta": 0.98, "stop_at": 4.0},
    # fastai v1 at the lesson's time: slice(1e-5, 1e-3) spaced geometrically; slice(1e-3): the others lr/3
    "discriminative_lr": {"n_groups": 3.0, "start": 1e-5, "stop": 1e-3, "lr": 1e-3, "other_div": 3.0},
}

EWMA_POINTS = 100       # the noisy series of the ewma sheet
MAX_GROUPS = 10         # rows of the discriminative_lr table
SKIPPED = "-"           # a row past lr_find's stop, a group past n_groups: a mark, not a number
# (not "": XlsxWriter stores an empty text result as no value at all, which `sheetsgd check` cannot check)


def hyper(name, overrides=None):
    out = dict(DEFAULTS[name])
    for k, v in (overrides or {}).items():
        if k not in out:
            raise ValueError(f"{name} has no hyperparameter {k!r}; expected {', '.join(out)}")
        out[k] = float(v)
    return out


# -- ewma: the moving average and its bias correction (the lecture's mom_bias.xlsx) ------------------

def noisy_series(n=EWMA_POINTS, seed=42):
    """A seeded noisy signal (written into the sheet as values): a slow wave around 10 plus noise,
    rounded to 2 decimals so the sheet reads easily."""
    rng = np.random.default_rng(seed)
    t = np.arange(1, n + 1)
    return np.round(10 + 3 * np.sin(2 * np.pi * t / 50) + rng.normal(0, 1, n), 2)


def ewma_series(values, beta, start=0.0, dtype=float):
    """{"avg", "correction", "corrected"} per point t = 1..n, as the sheet's columns compute them:
        avg = avg_prev*beta + (1-beta)*value      (avg_0 = start, 0 as in the lecture)
        correction = 1 - beta^t
        corrected = avg / correction
    Starting from 0, avg is pulled toward 0 for the first ~1/(1-beta) points; dividing by
    1 - beta^t (the total weight the average has given to real data) removes that bias exactly:
    a constant series c has avg_t = c*(1 - beta^t), so corrected = c."""
    f = num(dtype)
    avg, beta, out = f(start), f(beta), {"avg": [], "correction": [], "corrected": []}
    for t, v in enumerate(_scalars(np.asarray(values, dtype=dtype)), start=1):
        avg = cell(avg * beta + (1 - beta) * v)
        corr = cell(1 - power(beta, t))
        out["avg"].append(avg)
        out["correction"].append(corr)
        out["corrected"].append(cell(avg / corr) if corr != 0 else NUM)   # beta = 1 would be #DIV/0!
    return {k: np.array(v, dtype=dtype) for k, v in out.items()}


# -- one row of sgd_torch and adam_torch ------------------------------------------------------------

def sgd_torch_row(x, y, b, a, buf_b, buf_a, lr, momentum):
    """torch.optim.SGD(momentum=mu): buf = mu*buf + g (the first step's buf is g: buf starts at 0),
    w -= lr*buf. The lecture's momentum averages instead, m = beta*m + (1-beta)*g, so
    buf = m / (1 - beta): PyTorch at lr*(1-beta) takes the lecture's steps."""
    r = {"pred": gd.prediction(x, b, a)}
    r["dedb"], r["deda"] = gd.gradients(x, y, b, a)
    r["buf_b"] = cell(buf_b * momentum + r["dedb"])           # =buf^*momentum+g
    r["buf_a"] = cell(buf_a * momentum + r["deda"])
    r["new_b"] = cell(b - lr * r["buf_b"])                    # =b-lr*buf
    r["new_a"] = cell(a - lr * r["buf_a"])
    r["err2"] = cell(sq(y - r["pred"]))
    return r


def adam_torch_row(x, y, b, a, m_b, m_a, v_b, v_a, t, lr, beta1, beta2, eps):
    """torch.optim.Adam at step t (1, 2, ...): the lecture's two averages, each divided by the weight
    it has given to real gradients (1 - beta^t), and eps added to the root."""
    r = {"pred": gd.prediction(x, b, a)}
    r["dedb"], r["deda"] = gd.gradients(x, y, b, a)
    r["m_b"] = gd.ewma(m_b, beta1, r["dedb"])
    r["m_a"] = gd.ewma(m_a, beta1, r["deda"])
    r["v_b"] = gd.ewma(v_b, beta2, sq(r["dedb"]))
    r["v_a"] = gd.ewma(v_a, beta2, sq(r["deda"]))
    bc1, bc2 = cell(1 - power(beta1, t)), cell(1 - power(beta2, t))
    r["mh_b"], r["mh_a"] = cell(r["m_b"] / bc1), cell(r["m_a"] / bc1)       # =m/(1-beta1^t)
    r["vh_b"], r["vh_a"] = cell(r["v_b"] / bc2), cell(r["v_a"] / bc2)       # =v/(1-beta2^t)
    r["new_b"] = cell(b - lr * r["mh_b"] / cell(sqrt(r["vh_b"]) + eps))   # =b-lr*mh/(SQRT(vh)+eps)
    r["new_a"] = cell(a - lr * r["mh_a"] / cell(sqrt(r["vh_a"]) + eps))
    r["err2"] = cell(sq(y - r["pred"]))
    return r


# -- one_cycle: fastai v1's schedule ----------------------------------------------------------------

def cos_anneal(start, end, angle):
    """fastai's annealing_cos(start, end, pct) with angle = pi*pct, in the sheet's order:
    end + (start-end)/2*(COS(angle)+1): start at angle 0, end at angle pi."""
    c = np.cos(angle) if isinstance(angle, LONG) else math.cos(angle)
    return cell(end + (start - end) / 2 * (c + 1))


def warmup_steps(n_steps, pct):
    """fastai v1: a1 = int(n * pct_start) iterations of rising lr; here the nearest whole number
    (=ROUND(n_steps*pct,0)), the same a1 for the sheet's 2900 x 0.3 = 870. Truncation would hang
    on the last bit there: 0.3 one ulp lower gives 869.99999999999983 and a1 = 869, another schedule."""
    x = n_steps * pct
    return np.floor(x + 0.5) if isinstance(x, LONG) else float(math.floor(x + 0.5))


def one_cycle_at(t, n_steps, h):
    """(lr, beta1) used by step t = 1..n_steps: fastai v1's OneCycleScheduler after i = t-1 iterations.

    Phase 1 (i <= a1): lr from lr_max/div up to lr_max, beta1 from mom_max down to mom_min, by cosine.
    Phase 2: lr from lr_max down to lr_max/final_div, beta1 back up to mom_max, by cosine.
    In the sheet's order: the angle PI()*(t-1)/MAX(a1,1) (a1 = 0 leaves only phase 2)."""
    a1 = warmup_steps(n_steps, h["pct"])
    i = t - 1
    lo, end = cell(h["lr_max"] / h["div"]), cell(h["lr_max"] / h["final_div"])
    pi = LONG(math.pi) if isinstance(h["lr_max"], LONG) else math.pi   # the sheet's PI(), a double
    if i <= a1:
        angle = pi * i / max(a1, 1.0)
        return (cos_anneal(lo, h["lr_max"], angle), cos_anneal(h["mom_max"], h["mom_min"], angle))
    angle = pi * (i - a1) / (n_steps - a1)
    return cos_anneal(h["lr_max"], end, angle), cos_anneal(h["mom_min"], h["mom_max"], angle)


# -- many epochs of sgd_torch, adam_torch, one_cycle ------------------------------------------------

ROW_COLUMNS = {
    "sgd_torch": ("pred", "dedb", "deda", "buf_b", "buf_a", "new_b", "new_a", "err2"),
    "adam_torch": ("pred", "dedb", "deda", "m_b", "m_a", "v_b", "v_a", "mh_b", "mh_a", "vh_b", "vh_a",
                   "new_b", "new_a", "err2"),
}
ROW_COLUMNS["one_cycle"] = ROW_COLUMNS["adam_torch"]


def run(name, x, y, epochs, overrides=None, start=None, dtype=float):
    """`epochs` passes over (x, y), one step per point, as models.graddesc.run: a gd.Run whose rows
    also hold "t" (PyTorch's step count, 1.. over all epochs), and for one_cycle "lr" and "beta1"."""
    f = num(dtype)
    h = {k: f(v) for k, v in hyper(name, overrides).items()}
    s = dict(gd.START, m=0.0, v=0.0, **(start or {}))
    x, y = np.asarray(x, dtype=dtype), np.asarray(y, dtype=dtype)
    b, a = f(s["b"]), f(s["a"])
    m_b = m_a = v_b = v_a = f(0.0)  # PyTorch's state starts at zero (its first buf is g itself)
    n_steps = float(epochs * len(x))
    cols = {k: [] for k in ROW_COLUMNS[name] + ("x", "y", "b", "a", "t", "lr", "beta1")}
    ep = {k: [] for k in ("rmse", "a", "b", "lr")}
    t = 0
    for _ in range(epochs):
        first = len(cols["b"])
        for xi, yi in zip(_scalars(x), _scalars(y)):
            t += 1
            if name == "sgd_torch":
                lr, beta1 = h["lr"], h["momentum"]
                r = sgd_torch_row(xi, yi, b, a, m_b, m_a, lr, beta1)
                m_b, m_a = r["buf_b"], r["buf_a"]
            else:
                if name == "one_cycle":
                    lr, beta1 = one_cycle_at(t, n_steps, h)
                else:
                    lr, beta1 = h["lr"], h["beta1"]
                r = adam_torch_row(xi, yi, b, a, m_b, m_a, v_b, v_a, t, lr, beta1, h["beta2"], h["eps"])
                m_b, m_a, v_b, v_a = r["m_b"], r["m_a"], r["v_b"], r["v_a"]
            r.update(x=xi, y=yi, b=b, a=a, t=float(t), lr=lr, beta1=beta1)
            for k in cols:
                cols[k].append(r[k])
            b, a = r["new_b"], r["new_a"]
        ep["rmse"].append(gd.rmse(cols["err2"][first:]))
        ep["a"].append(a)
        ep["b"].append(b)
        ep["lr"].append(cols["lr"][-1])
    out = gd.Run(name, h, s, x, y)
    out.rows = {k: np.array(v, dtype=dtype) for k, v in cols.items()}
    out.epochs = {k: np.array(v, dtype=dtype) for k, v in ep.items()}
    return out


# -- lr_find ----------------------------------------------------------------------------------------

LR_FIND_COLUMNS = ("x", "y", "b", "a", "loss", "dedb", "deda", "new_b", "new_a", "avg", "smooth", "best",
                   "stop", "plot_loss", "plot_smooth")


def lr_at(i, h):
    """The learning rate of iteration i = 0, 1, ...: start_lr * (end_lr/start_lr)^(i/num_it),
    fastai's annealing_exp: equal ratios per step, 1e-7 to 10 in num_it steps."""
    return cell(h["start_lr"] * power(h["end_lr"] / h["start_lr"], i / h["num_it"]))


def data_loss(x, y, b, a):
    """The mean squared error over all the data at (b, a): a fresh evaluation, not noisy, in the
    sheet's order =SUMPRODUCT((b+a*data_x-data_y)^2)/COUNT(data_x) (summed left to right)."""
    total = 0.0
    for xi, yi in zip(x, y):
        total += sq((b + a * xi) - yi)
    return cell(total / len(x))


def lr_find(x, y, rows=None, overrides=None, start=None, dtype=float):
    """fastai's lr_find on the line: one plain SGD step per row, on the data points in turn, at a
    learning rate growing from 1e-7 to 10.

    Each row: `loss`, the MSE over all the data at this row's weights (before its step); the step;
    the loss's moving average (beta 0.98) and its bias-corrected value `smooth`; the best smooth so
    far; and `stop`, TRUE from the row whose smooth exceeds stop_at (4) times the best on (fastai
    v1's stop_div). Rows after the stop hold "-" (the sheet's IF(stopped,"-",...)); the chart's
    columns `plot_loss` and `plot_smooth` hold None (#N/A, not plotted) there.
    Returns {column: list} with "i" and "lr" too; NaN is #NUM!."""
    f = num(dtype)
    h = {k: f(v) for k, v in hyper("lr_find", overrides).items()}
    s = dict(gd.START, **(start or {}))
    x, y = _scalars(np.asarray(x, dtype=dtype)), _scalars(np.asarray(y, dtype=dtype))
    rows = int(h["num_it"]) if rows is None else rows
    b, a = f(s["b"]), f(s["a"])
    avg, best, done = f(0.0), None, False     # done: False, True, or NUM (an error above)
    out = {k: [] for k in ("i", "lr") + LR_FIND_COLUMNS}
    for i in range(rows):
        lr = lr_at(i, h)
        xi, yi = x[i % len(x)], y[i % len(y)]
        r = {"x": xi, "y": yi}
        if done is True:
            r.update({k: SKIPPED for k in LR_FIND_COLUMNS[2:]})
            r["stop"], r["plot_loss"], r["plot_smooth"] = True, None, None
        elif done is not False:                 # IF(#NUM!, ...) is #NUM!
            r.update({k: NUM for k in LR_FIND_COLUMNS[2:]})
        else:
            r["b"], r["a"] = b, a
            r["loss"] = data_loss(x, y, b, a)
            r["dedb"], r["deda"] = gd.gradients(xi, yi, b, a)
            r["new_b"], r["new_a"] = cell(b - r["dedb"] * lr), cell(a - r["deda"] * lr)
            avg = gd.ewma(avg, h["beta"], r["loss"])
            r["avg"] = avg
            r["smooth"] = cell(avg / cell(1 - power(h["beta"], i + 1)))
            best = r["smooth"] if best is None else excel_min(best, r["smooth"])
            r["best"] = best
            done = gt(r["smooth"], cell(h["stop_at"] * best))
            done = NUM if done is None else done
            r["stop"] = done
            r["plot_loss"], r["plot_smooth"] = r["loss"], r["smooth"]
            b, a = r["new_b"], r["new_a"]
        r.update(i=float(i), lr=lr)
        for k in out:
            out[k].append(r[k])
    return out


def lr_find_results(found):
    """What the sheet's result cells show: the last row computed (the stop), its lr, and the lowest
    loss and smoothed loss with the lr where each was reached (the first such row)."""
    n = sum(1 for v in found["loss"] if isinstance(v, (float, np.floating)))
    out = {"last_i": float(n - 1), "last_lr": found["lr"][n - 1]}
    for k in ("loss", "smooth"):
        vals = [v for v in found[k] if isinstance(v, (float, np.floating))]
        low = excel_min(*vals)
        out["min_" + k] = low
        out["lr_min_" + k] = NUM if math.isnan(low) else found["lr"][found[k].index(low)]
    return out


def stop_row(found):
    """The 0-based row where lr_find stopped (its stop is TRUE first), or None if it ran to the end."""
    for i, v in enumerate(found["stop"]):
        if v is True:
            return i
    return None


# -- discriminative_lr ------------------------------------------------------------------------------

def even_mults(start, stop, n):
    """fastai's even_mults, in the sheet's order: start*(stop/start)^((i-1)/(n-1)) for groups i = 1..n
    (one group: stop)."""
    if n == 1:
        return [cell(stop)]
    return [cell(start * power(stop / start, (i - 1) / (n - 1))) for i in range(1, int(n) + 1)]


def discriminative(overrides=None):
    """{"slice_range", "slice_stop", "single"} per group i = 1..MAX_GROUPS ("-" past n_groups):
    lr=slice(start, stop), lr=slice(stop) (last group stop, the others stop/other_div) and lr=number."""
    h = hyper("discriminative_lr", overrides)
    n = h["n_groups"]
    rng = even_mults(h["start"], h["stop"], n)
    out = {"slice_range": [], "slice_stop": [], "single": []}
    for i in range(1, MAX_GROUPS + 1):
        if i > n:
            for k in out:
                out[k].append(SKIPPED)
            continue
        out["slice_range"].append(rng[i - 1])
        out["slice_stop"].append(cell(h["stop"]) if i == n else cell(h["stop"] / h["other_div"]))
        out["single"].append(cell(h["lr"]))
    return out
