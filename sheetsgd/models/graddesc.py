"""Gradient descent on y = a*x + b, one data point per step: the math of graddesc.xlsx.

The lecture (fast.ai lesson 5, graddesc.xlsm) fits a line to 29 points with five flavours of
stochastic gradient descent, one row of the sheet per step on one data point:

    basic     b -= lr * de/db                      a -= lr * de/da
    momentum  m = beta*m + (1-beta)*g              w -= lr * m
    rmsprop   v = beta*v + (1-beta)*g^2            w -= lr * g / sqrt(v before this row)
    adam      m and v as above                     w -= lr * m / sqrt(v)   (no bias correction, no eps)
    adam_ann  adam, and between epochs lr /= 4 when the gradient norm grew past 2x its best

with e = (ax + b - y)^2, de/db = 2(ax + b - y), de/da = x * de/db.

Every function here computes in the same order as the sheet's formula, so the two agree to the
last bit or two. Excel's arithmetic has one more rule we copy: a result that overflows is the
error #NUM!, and an error propagates through everything computed from it. Here a cell's value is
a finite float or NaN, and NaN means #NUM! (the writer stores NaN as #NUM!). Comparisons and MIN
need care because Python's NaN compares False instead of propagating: see gt() and excel_min().
"""
import math
from dataclasses import dataclass, field

import numpy as np

TRUE_A = 2.0     # the slope the data is made from (the student pretends not to know it)
TRUE_B = 30.0    # the intercept
X_LOW, X_HIGH = 1, 100   # x is an integer drawn uniformly from 1..100, as RANDBETWEEN(1,100) did
BUMP = 0.01      # the finite-difference step of the basic sheet's "est de/db" and "est de/da"

OPTIMIZERS = ("basic", "momentum", "rmsprop", "adam", "adam_ann")

# Hyperparameters: the lecture's, but the adam sheets' lr (see STABLE_LR below).
DEFAULTS = {
    "basic": {"lr": 1e-4, "bump": BUMP},
    "momentum": {"lr": 1e-4, "beta": 0.9},
    "rmsprop": {"lr": 0.02, "beta": 0.9},
    "adam": {"lr": 0.025, "beta1": 0.9, "beta2": 0.9},
    "adam_ann": {"lr": 0.03, "beta1": 0.9, "beta2": 0.95, "anneal_at": 2.0, "anneal_by": 4.0},
}
# Why the adam sheets are not at the lecture's lr 1: without epsilon and bias correction, adam's step
# lr*m/sqrt(v) does not shrink as the gradients do, so once near the answer it circles it at a
# distance proportional to lr (RMSE ~18 at lr 1), and that circling is chaotic: a change in the last
# bit of any input grows until it is the whole number. Measured in double precision, the first epoch
# where some cell moves by more than 1e-6 when lr or one x moves by one ulp: adam lr 1: 2, 0.1: 38,
# 0.05: 56, 0.03: 84, 0.025: 104, 0.02: 129; adam_ann lr 1: 8, 0.1: 42, 0.05: 65, 0.03: 104. With
# adam 0.025 and adam_ann 0.03 every cell of their 100 epochs moves by at most 1.2e-9 and 7.6e-10
# in extended precision (python3 -m sheetsgd.bench.stability); adam_ann anneals 4 times and lands.
LECTURE_LR = {"adam": 1.0, "adam_ann": 1.0}

# The lecture's data: the 29 x values its step sheets hold (A4:A32 of every optimizer sheet of
# fast.ai course-v3 files/xl/graddesc.xlsm, Apache-2.0: the RANDBETWEEN(1,100) draws as cached);
# y = 2x + 30 by formula, as there.
LECTURE_X = (14, 86, 28, 51, 28, 29, 72, 62, 84, 15, 42, 62, 47, 35, 9, 38, 44, 99, 13, 21, 28, 20, 8, 64, 99,
             70, 27, 17, 8)
# Where every optimizer starts, as the original's "reset" button: a = b = 1, momentum 0,
# mean square 10000 (a large first guess of g^2 keeps the first steps of rmsprop small). The reset
# then ran two throw-away passes to warm the averages up; here epoch 1 simply starts from these,
# and adam_ann's "best gradient norm" starts as epoch 1's own (the reset took it after its warm-up).
START = {"a": 1.0, "b": 1.0, "m": 0.0, "v": 10000.0}

NUM = float("nan")   # Excel's #NUM!

# Every function below also computes in extended precision when given np.longdouble numbers
# (run(..., dtype=np.longdouble)): the stability test recomputes the sheets that way, each input
# nudged by one unit in the last place, to see which results hang on the last bit.
LONG = np.longdouble


def num(dtype):
    """The scalar type a run computes with: float, or np.longdouble."""
    return LONG if dtype is LONG else float


# -- Excel arithmetic on floats: finite, or NaN for #NUM! --------------------------------------

def cell(v):
    """What a spreadsheet cell holds: the number, or #NUM! (NaN) if it overflowed."""
    if isinstance(v, LONG):
        return v if np.isfinite(v) else NUM
    v = float(v)
    return v if math.isfinite(v) else NUM


def sq(v):
    """v^2 as the spreadsheet's ^ computes it: pow(v, 2), which is not always v*v to the last bit
    (glibc's pow, used by LibreOffice and our evaluator, can be 1 ulp off the exact square, and
    the finite differences amplify that ulp ~1000x). Overflow is #NUM!, not an exception."""
    if isinstance(v, LONG):
        return v * v
    try:
        return math.pow(v, 2.0)
    except OverflowError:
        return NUM


def power(v, e):
    """v^e (the sheet's ^, C's pow); in extended precision for np.longdouble."""
    if isinstance(v, LONG) or isinstance(e, LONG):
        return LONG(v) ** LONG(e)
    return math.pow(v, e)


def sqrt(v):
    """SQRT: #NUM! for an error or a negative number."""
    if isinstance(v, LONG):
        return np.sqrt(v) if v >= 0 and np.isfinite(v) else NUM
    return math.sqrt(v) if v >= 0 and math.isfinite(v) else NUM


def gt(p, q):
    """p > q, or None (an error) when either side is #NUM!: IF() then gives #NUM! too."""
    if math.isnan(p) or math.isnan(q):
        return None
    return bool(p > q)


def excel_min(*vs):
    """MIN: the smallest, or #NUM! if any argument is #NUM!."""
    return NUM if any(math.isnan(v) for v in vs) else min(vs)


def excel_if(cond, then, other):
    return NUM if cond is None else (then if cond else other)


def rmse(err2):
    """SQRT(AVERAGE(err^2 column)): the root of the mean squared error over one epoch's steps.
    Summed left to right, as a spreadsheet's AVERAGE does (NumPy's pairwise sum differs in the
    last bit)."""
    total = 0.0
    for v in err2:
        total += v
    return sqrt(cell(total / len(err2)))


# -- the data sheet ------------------------------------------------------------------------------

def data_x(rows, seed):
    """x: `rows` integers from 1..100, drawn once from a seeded generator (not RANDBETWEEN)."""
    rng = np.random.default_rng(seed)
    return rng.integers(X_LOW, X_HIGH + 1, size=rows).astype(float)


def data_y(x, a=TRUE_A, b=TRUE_B):
    """y = b + x*a, in the order of the data sheet's formula."""
    x = np.asarray(x)
    x = x if x.dtype == LONG else x.astype(float)
    return np.array([cell(b + xi * a) for xi in x], dtype=x.dtype)


# -- one row of each sheet: one step on one data point -------------------------------------------

def prediction(x, b, a):
    return cell(b + a * x)                         # =C+D*A


def gradients(x, y, b, a):
    """de/db = 2(ax+b-y) and de/da = x*de/db, in the order of the momentum..adam sheets' formula."""
    dedb = cell(2 * (a * x + b - y))              # =2*(D*A+C-B)
    return dedb, cell(dedb * x)                   # =F*A


def basic_row(x, y, b, a, lr, bump=BUMP):
    """The basic sheet's row: prediction, error, finite differences, gradients, the step."""
    r = {}
    r["pred"] = prediction(x, b, a)                           # y_pred = b + a*x
    r["err2"] = cell(sq(y - r["pred"]))                      # err^2 = (y - y_pred)^2
    r["errb1"] = cell(sq(((b + bump) + x * a) - y))          # error with b bumped by 0.01
    r["est_dedb"] = cell((r["errb1"] - r["err2"]) / bump)     # forward difference in b
    r["erra1"] = cell(sq(((a + bump) * x + b) - y))          # error with a bumped by 0.01
    r["est_deda"] = cell((r["erra1"] - r["err2"]) / bump)     # forward difference in a
    r["dedb"] = cell(2 * (r["pred"] - y))                    # analytic de/db = 2(ax+b-y)
    r["deda"] = cell(r["dedb"] * x)                          # analytic de/da = x*de/db
    r["new_a"] = cell(a - r["deda"] * lr)
    r["new_b"] = cell(b - r["dedb"] * lr)
    return r


def ewma(prev, beta, g):
    """Exponentially weighted moving average: =prev*beta + (1-beta)*g."""
    return cell(prev * beta + (1 - beta) * g)


def momentum_row(x, y, b, a, m_b, m_a, lr, beta):
    r = {"pred": prediction(x, b, a)}
    r["dedb"], r["deda"] = gradients(x, y, b, a)
    r["m_b"] = ewma(m_b, beta, r["dedb"])                     # average of de/db
    r["m_a"] = ewma(m_a, beta, r["deda"])
    r["new_b"] = cell(b - r["m_b"] * lr)                     # step with the average, not g
    r["new_a"] = cell(a - r["m_a"] * lr)
    r["err2"] = cell(sq(y - r["pred"]))
    return r


def rmsprop_row(x, y, b, a, v_b, v_a, lr, beta):
    """As in the lecture's sheet, the step divides by the mean square *before* this row's g."""
    r = {"pred": prediction(x, b, a)}
    r["dedb"], r["deda"] = gradients(x, y, b, a)
    r["new_b"] = cell(b - r["dedb"] * lr / sqrt(v_b))          # =C-F*lr/SQRT(v_b above)
    r["new_a"] = cell(a - r["deda"] * lr / sqrt(v_a))
    r["v_b"] = ewma(v_b, beta, sq(r["dedb"]))                 # average of (de/db)^2
    r["v_a"] = ewma(v_a, beta, sq(r["deda"]))
    r["err2"] = cell(sq(y - r["pred"]))
    return r


def adam_row(x, y, b, a, m_b, m_a, v_b, v_a, lr, beta1, beta2):
    r = {"pred": prediction(x, b, a)}
    r["dedb"], r["deda"] = gradients(x, y, b, a)
    r["m_b"] = ewma(m_b, beta1, r["dedb"])
    r["m_a"] = ewma(m_a, beta1, r["deda"])
    r["v_b"] = ewma(v_b, beta2, sq(r["dedb"]))
    r["v_a"] = ewma(v_a, beta2, sq(r["deda"]))
    r["new_b"] = cell(b - r["m_b"] * lr / sqrt(r["v_b"]))      # momentum / RMS of g: this row's
    r["new_a"] = cell(a - r["m_a"] * lr / sqrt(r["v_a"]))
    r["err2"] = cell(sq(y - r["pred"]))
    return r


# -- adam_ann: the lecture's annealing between epochs --------------------------------------------

def grad_norm(v_b, v_a):
    """The original's avg_grad2: SQRT(v_b) + SQRT(v_a), the RMS gradients at an epoch's end."""
    return cell(sqrt(v_b) + sqrt(v_a))


def anneal(lr, norm, best, anneal_at=2.0, anneal_by=4.0):
    """One step of the original's macro between epochs.

    ratio = norm / best, the gradient norm at this epoch's end over the smallest norm of the
    epochs before (the macro's gradrat = avg_grad2 / prev_grad2); the next epoch's lr is
    lr/4 when the ratio exceeds 2; best then keeps the smallest norm seen (the macro copies
    avg_grad2 to prev_grad2 when it is smaller). Returns (ratio, next lr, new best).
    """
    ratio = cell(norm / best) if best != 0 else NUM   # best > 0 whenever the start v > 0
    next_lr = cell(excel_if(gt(ratio, anneal_at), lr / anneal_by, lr))
    return ratio, next_lr, excel_min(best, norm)


# -- many epochs --------------------------------------------------------------------------------

ROW_COLUMNS = {
    "basic": ("pred", "err2", "errb1", "est_dedb", "erra1", "est_deda", "dedb", "deda", "new_a", "new_b"),
    "momentum": ("pred", "dedb", "deda", "new_b", "new_a", "m_b", "m_a", "err2"),
    "rmsprop": ("pred", "dedb", "deda", "new_b", "new_a", "v_b", "v_a", "err2"),
    "adam": ("pred", "dedb", "deda", "new_b", "new_a", "m_b", "m_a", "v_b", "v_a", "err2"),
}
ROW_COLUMNS["adam_ann"] = ROW_COLUMNS["adam"]


@dataclass
class Run:
    """Every row's values (arrays of epochs*rows, epoch-major) and every epoch's summary."""
    optimizer: str
    hyper: dict
    start: dict
    x: np.ndarray
    y: np.ndarray
    rows: dict = field(default_factory=dict)     # column -> array over all steps; also "x", "y", "b", "a", "lr"
    epochs: dict = field(default_factory=dict)   # "rmse", "a", "b", "lr" (+ "norm", "best", "ratio", "next_lr")

    @property
    def diverged_at(self):
        """The first epoch (1-based) whose RMSE is #NUM! (the numbers overflowed), or None.

        Only plain SGD and momentum can overflow: Adam's and RMSProp's steps are divided by the
        RMS of the gradients, so a too-large lr makes them bounce far from the answer (a large
        RMSE) but never overflow."""
        bad = np.flatnonzero(np.isnan(self.epochs["rmse"]))
        return int(bad[0]) + 1 if bad.size else None


def check_hyper(optimizer, hyper):
    """The hyperparameters of one optimizer, defaults filled in; unknown ones are an error."""
    if optimizer not in DEFAULTS:
        raise ValueError(f"unknown optimizer {optimizer!r}; expected one of {', '.join(OPTIMIZERS)}")
    out = dict(DEFAULTS[optimizer])
    for k, v in (hyper or {}).items():
        if k not in out:
            raise ValueError(f"{optimizer} has no hyperparameter {k!r}; expected {', '.join(out)}")
        out[k] = float(v)
    return out


def run(optimizer, x, y, epochs, hyper=None, start=None, dtype=float, macro=False):
    """Run `epochs` passes over (x, y), one step per point, each epoch starting where the last ended.

    start: {"a", "b", "m", "v"} (defaults START), or per weight "m_b", "m_a", "v_b", "v_a";
    adam_ann: "best", the gradient norm the first epoch's is compared with (default: its own).

    The state carried from one epoch to the next is everything the last row holds: a, b,
    the averages m and v, and (adam_ann) the learning rate after annealing.
    macro: the original's "run" macro instead, which copied the last row's a and b from *before*
    its step (each epoch loses its last step) and the averages from after it (see lecture_start).
    dtype: float, or np.longdouble to compute every cell in extended precision.
    """
    h = check_hyper(optimizer, hyper)
    s = dict(START, **(start or {}))
    f = num(dtype)
    h = {k: f(v) for k, v in h.items()}
    x = np.asarray(x, dtype=dtype)
    y = np.asarray(y, dtype=dtype)
    b, a = f(s["b"]), f(s["a"])
    m_b, m_a = f(s.get("m_b", s["m"])), f(s.get("m_a", s["m"]))   # one start value for both,
    v_b, v_a = f(s.get("v_b", s["v"])), f(s.get("v_a", s["v"]))   # or each its own
    lr = h["lr"]
    best = f(s["best"]) if "best" in s else None   # the smallest gradient norm so far
    cols = {k: [] for k in ROW_COLUMNS[optimizer] + ("x", "y", "b", "a", "lr")}
    ep = {k: [] for k in ("rmse", "a", "b", "lr", "norm", "best", "ratio", "next_lr")}
    for _ in range(epochs):
        first = len(cols["b"])
        for xi, yi in zip(_scalars(x), _scalars(y)):   # Python floats: overflow gives inf, not a warning
            if optimizer == "basic":
                r = basic_row(xi, yi, b, a, lr, h["bump"])
            elif optimizer == "momentum":
                r = momentum_row(xi, yi, b, a, m_b, m_a, lr, h["beta"])
                m_b, m_a = r["m_b"], r["m_a"]
            elif optimizer == "rmsprop":
                r = rmsprop_row(xi, yi, b, a, v_b, v_a, lr, h["beta"])
                v_b, v_a = r["v_b"], r["v_a"]
            else:
                r = adam_row(xi, yi, b, a, m_b, m_a, v_b, v_a, lr, h["beta1"], h["beta2"])
                m_b, m_a, v_b, v_a = r["m_b"], r["m_a"], r["v_b"], r["v_a"]
            r.update(x=xi, y=yi, b=b, a=a, lr=lr)
            for k in cols:
                cols[k].append(r[k])
            b, a = r["new_b"], r["new_a"]
        if macro:                                  # LASTCONST, LASTSLOPE: the last row's b and a
            b, a = r["b"], r["a"]
        ep["rmse"].append(rmse(cols["err2"][first:]))
        ep["a"].append(a)
        ep["b"].append(b)
        ep["lr"].append(lr)
        if optimizer == "adam_ann":
            norm = grad_norm(v_b, v_a)
            ratio, lr, best = anneal(lr, norm, norm if best is None else best, h["anneal_at"], h["anneal_by"])
            ep["norm"].append(norm)
            ep["best"].append(best)
            ep["ratio"].append(ratio)
            ep["next_lr"].append(lr)
    out = Run(optimizer, h, s, x, y)
    out.rows = {k: np.array(v, dtype=dtype) for k, v in cols.items()}
    out.epochs = {k: np.array(v, dtype=dtype) for k, v in ep.items() if v}
    return out


def _scalars(a):
    """The entries of a 1-d array as Python floats (float arrays) or np.longdouble scalars."""
    return list(a) if a.dtype == LONG else a.tolist()


def lecture_start(optimizer, x, y, hyper=None, start=None, dtype=float):
    """The start values after the original's "reset" button: a = b = 1, momentum 0, mean square
    10000, then the averages warmed up by throw-away passes over the data from a = b = 1, as its
    macros did (momentum: one pass; rmsprop: two; adam: v, then m, then v, then m, each from a pass
    with the others' latest values; adam_ann: both at once, twice, and the best gradient norm is
    the warmed-up one). Returns start values for run(..., macro=True): per weight m_b, m_a, v_b, v_a."""
    s = dict(START, **(start or {}))
    st = {"a": s["a"], "b": s["b"], "m_b": s["m"], "m_a": s["m"], "v_b": s["v"], "v_a": s["v"]}

    def last_row(state):                    # one pass from state; its last row's averages
        r = run(optimizer, x, y, 1, hyper, state, dtype, macro=True).rows
        return {k: r[k][-1] for k in ("m_b", "m_a", "v_b", "v_a") if k in r}

    def take(state, keys):
        got = last_row(state)
        return dict(state, **{k: got[k] for k in keys})

    m, v = ("m_b", "m_a"), ("v_b", "v_a")
    if optimizer == "momentum":
        st = take(st, m)
    elif optimizer == "rmsprop":
        st = take(take(st, v), v)
    elif optimizer == "adam":
        st = take(take(take(take(st, v), m), v), m)
    elif optimizer == "adam_ann":
        st = take(take(st, m + v), m + v)
        st["best"] = grad_norm(st["v_b"], st["v_a"])
    return st


def run_all(x, y, epochs, hypers=None, start=None):
    """Every optimizer on the same data: {name: Run}."""
    hypers = hypers or {}
    return {name: run(name, x, y, epochs, hypers.get(name), start) for name in OPTIMIZERS}


# -- the finite differences, and how far they may be from the gradient --------------------------

def forward_difference_bias(x, bump=BUMP):
    """The exact gap between the forward differences and the analytic gradients.

    With r = ax + b - y and e = r^2, bumping b by h gives (r + h)^2 = r^2 + 2rh + h^2, so
        (e(b+h) - e(b)) / h = 2r + h          = de/db + h
    and bumping a by h moves r by h*x:
        (e(a+h) - e(a)) / h = 2rx + h*x^2     = de/da + h*x^2.
    The estimates are high by exactly h and h*x^2 (0.01 and 0.01*x^2 for the lecture's bump),
    up to rounding. Returns (gap in de/db, gap in de/da).
    """
    x = np.asarray(x, dtype=float)
    return np.full_like(x, bump), bump * x * x
