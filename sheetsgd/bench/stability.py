"""Which numbers of the committed workbooks hang on the last bit: every input nudged by one ulp.

    python3 -m sheetsgd.bench.stability [--only graddesc|collab|neuralnet]

A spreadsheet program whose arithmetic is not bit-identical to ours (another pow, another order
of a sum) makes last-bit differences; a sheet whose results amplify them shows other numbers
there. So each input of a workbook (a data point, a learning rate, a start value, a weight) is
moved by one unit in the last place, up and down, and the models recompute every formula cell in
extended precision (np.longdouble, 64-bit mantissa). A cell has moved when it differs from the
workbook's value by more than ABSOLUTE and by more than RELATIVE of it; a highlighted result
(a final RMSE, a, b, a loss, an accuracy) by more than RELATIVE, whatever its size.
Printed per workbook: inputs tried, cells compared, the worst relative move and where.
"""
import argparse
import math
import sys
from dataclasses import dataclass, field

import numpy as np

RELATIVE = 1e-6
ABSOLUTE = 1e-9
LONG = np.longdouble


@dataclass
class Report:
    workbook: str
    inputs: int = 0
    compared: int = 0
    worst: float = 0.0          # the largest relative move of a cell past ABSOLUTE (or of a result)
    where: str = ""
    failures: list = field(default_factory=list)   # (input, what, base, perturbed)

    def summary(self):
        return (f"{self.workbook}: {self.inputs} inputs nudged by 1 ulp each way, {self.compared:,} values compared, "
                f"worst relative move {self.worst:.2g}" + (f" ({self.where})" if self.where else "") +
                f"; {len(self.failures)} moved past {RELATIVE:g} relative and {ABSOLUTE:g} absolute")

    def compare(self, label, what, base, other, result=False):
        """Every entry of base (float64, the workbook's) against other (longdouble, nudged)."""
        base = np.atleast_1d(np.asarray(base, dtype=object))
        other = np.atleast_1d(np.asarray(other, dtype=object))
        for i, (a, b) in enumerate(zip(base.ravel(), other.ravel())):
            self.compared += 1
            if not _number(a) or not _number(b):
                if _number(a) != _number(b) or (a != b and not (a is None and b is None)):
                    self._fail(label, f"{what}[{i}]", a, b, math.inf)
                continue
            a, b = float(a), LONG(b)
            if math.isnan(a) or np.isnan(b):
                if math.isnan(a) != bool(np.isnan(b)):
                    self._fail(label, f"{what}[{i}]", a, b, math.inf)
                continue
            d = abs(LONG(a) - b)
            rel = float(d / max(abs(LONG(a)), abs(b))) if d else 0.0
            if result or d > ABSOLUTE:
                if rel > self.worst:
                    self.worst, self.where = rel, f"{what}[{i}] with {label}"
                if rel > RELATIVE:
                    self._fail(label, f"{what}[{i}]", a, b, rel)

    def _fail(self, label, what, a, b, rel):
        self.failures.append((label, what, a, b))
        if rel > self.worst:
            self.worst, self.where = rel, f"{what} with {label}"


def _number(v):
    return isinstance(v, (int, float, np.floating, np.integer)) and not isinstance(v, bool)


def nudged(v, direction):
    """v moved by one unit in the last place (of the double it is), as a longdouble."""
    return LONG(np.nextafter(float(v), math.copysign(math.inf, direction)))


# ---------------------------------------------------------------- graddesc

def graddesc(rows=None, seed=42, epochs=None, hyper=None, directions=(1, -1)):
    """Every data point, the true a and b, every hyperparameter and start value of every sheet."""
    from .. import writer
    from ..models import graddesc as gd
    from ..models import optim_more as om
    from ..sheets import graddesc as sheet
    rows = sheet.ROWS if rows is None else rows
    epochs = sheet.EPOCHS if epochs is None else epochs
    x = writer.stored(gd.data_x(rows, seed))
    a_true, b_true = writer.stored(gd.TRUE_A), writer.stored(gd.TRUE_B)
    st = {k: writer.stored(v) for k, v in gd.START.items()}
    hyper = hyper or {}
    hypers = {n: {k: writer.stored(v) for k, v in dict(gd.DEFAULTS[n], **hyper.get(n, {})).items()}
              for n in gd.OPTIMIZERS}
    more = ("sgd_torch", "adam_torch", "one_cycle")
    report = Report("graddesc.xlsx")

    def runs(x, a_true, b_true, hypers, st, only=None, dtype=float):
        y = gd.data_y(x, a_true, b_true)
        out = {"data": {"rows": {"y": y}, "epochs": {}}}
        for n in gd.OPTIMIZERS:
            if only in (None, n):
                r = gd.run(n, x, y, epochs, hypers[n], st, dtype=dtype)
                out[n] = {"rows": r.rows, "epochs": r.epochs}
        ab = {"a": st["a"], "b": st["b"]}             # the later sheets start from a and b alone
        for n in more:
            if only in (None, n):
                r = om.run(n, x, y, epochs, hypers.get(n), ab, dtype=dtype)
                out[n] = {"rows": r.rows, "epochs": r.epochs}
        if only in (None, "lr_find"):
            found = om.lr_find(x, y, None, hypers.get("lr_find"), ab, dtype=dtype)
            out["lr_find"] = {"rows": found, "epochs": om.lr_find_results(found)}
        return out

    base = runs(x, a_true, b_true, hypers, st)

    def check(label, other):
        report.inputs += 1
        for name, got in other.items():
            for part in ("rows", "epochs"):
                for key, values in got[part].items():
                    report.compare(label, f"{name}!{key}", base[name][part][key], values)
            ep = got["epochs"]
            for key in ("rmse", "a", "b"):             # the highlighted results: where the last epoch ended
                if key in ep and name != "lr_find":
                    report.compare(label, f"{name}!final {key}", base[name]["epochs"][key][-1], ep[key][-1], result=True)
            if name == "lr_find":
                for key, v in ep.items():
                    report.compare(label, f"lr_find!{key}", base[name]["epochs"][key], v, result=True)

    xl = x.astype(LONG)
    hl = {n: {k: LONG(v) for k, v in h.items()} for n, h in hypers.items()}
    stl = {k: LONG(v) for k, v in st.items()}
    for d in directions:
        for i in range(rows):
            xi = xl.copy()
            xi[i] = nudged(x[i], d)
            check(f"data x{i + 1} {d:+d} ulp", runs(xi, LONG(a_true), LONG(b_true), hl, stl, dtype=LONG))
        check(f"true a {d:+d} ulp", runs(xl, nudged(a_true, d), LONG(b_true), hl, stl, dtype=LONG))
        check(f"true b {d:+d} ulp", runs(xl, LONG(a_true), nudged(b_true, d), hl, stl, dtype=LONG))
        for n in list(gd.OPTIMIZERS) + list(more) + ["lr_find"]:
            h = hypers.get(n) or {k: writer.stored(v) for k, v in om.DEFAULTS[n].items()}
            for k, v in h.items():
                if k in ("num_it",):           # a count, not a number to nudge
                    continue
                hh = dict(hl, **{n: dict({kk: LONG(vv) for kk, vv in h.items()}, **{k: nudged(v, d)})})
                check(f"{n} {k} {d:+d} ulp", runs(xl, LONG(a_true), LONG(b_true), hh, stl, only=n, dtype=LONG))
        for k, v in st.items():
            check(f"start {k} {d:+d} ulp", runs(xl, LONG(a_true), LONG(b_true), hl, dict(stl, **{k: nudged(v, d)}),
                                                dtype=LONG))
    ewma(report, seed, directions)
    return report


def ewma(report, seed, directions):
    """The ewma sheet: its noisy series, beta and the start value."""
    from .. import writer
    from ..models import optim_more as om
    h = {k: writer.stored(v) for k, v in om.DEFAULTS["ewma"].items()}
    values = writer.stored(om.noisy_series(om.EWMA_POINTS, seed))
    base = om.ewma_series(values, h["beta"], h["start"])
    vl = values.astype(LONG)
    for d in directions:
        trials = [(f"ewma value{i + 1} {d:+d} ulp", np.where(np.arange(len(values)) == i, nudged(values[i], d), vl),
                   LONG(h["beta"]), LONG(h["start"])) for i in range(len(values))]
        trials += [(f"ewma beta {d:+d} ulp", vl, nudged(h["beta"], d), LONG(h["start"])),
                   (f"ewma start {d:+d} ulp", vl, LONG(h["beta"]), nudged(h["start"], d))]
        for label, v, beta, start in trials:
            report.inputs += 1
            got = om.ewma_series(v.astype(LONG), beta, start, dtype=LONG)
            for k in base:
                report.compare(label, f"ewma!{k}", base[k], got[k])


# ---------------------------------------------------------------- collab

def collab(seed=42, factors=5, directions=(1, -1)):
    """Every rating and every weight of dotprod, bias, the two weight_decay blocks and y_range:
    their predictions, RMSEs, losses (the long sheets compute dotprod's numbers again)."""
    from ..data import lecture_ratings
    from ..models import collab as cf
    from ..models import collab_reg as reg
    from ..sheets import collab as sheet
    from ..writer import stored
    ratings = lecture_ratings()
    dot_rng, bias_rng, _ = sheet.generators(seed)
    chosen, _ = sheet.fitted_weights(ratings, factors, dot_rng, bias_rng)
    split_rng, wd_rng, y_rng = sheet.streams(seed)
    sp = reg.split(ratings, split_rng)
    nu, nm = ratings.matrix.shape
    start = cf.random_start(wd_rng, nu, nm, factors, bias=True)
    search = reg.choose_wd(sp, start)
    lo, hi = (stored(v) for v in reg.Y_RANGE)
    y_wd = stored(reg.Y_RANGE_WD)
    y_weights = reg.solve_y_range(ratings, y_rng, factors, lo, hi, y_wd).best.weights
    blocks = {"dotprod": (chosen["dotprod"], None), "bias": (chosen["bias"], None),
              "weight_decay wd=0": (reg.fit_decayed(sp.train, start, 0.0).weights, 0.0),
              "weight_decay": (search.fit.weights, stored(search.wd)), "y_range": (y_weights, y_wd)}
    report = Report("collab_filter.xlsx")

    def cells(name, w, wd, rt):
        """What a block's formulas compute from its weights w and ratings rt: {what: (values, result?)}."""
        long = w.users.dtype == LONG
        if name == "y_range":
            p = reg.squash(cf.predict(w), LONG(lo) if long else lo, LONG(hi) if long else hi)
            e = cf.squared_errors(rt, p)
            mse = e.sum() / rt.count
            return {"pred": (p, False), "RMSE": (np.sqrt(mse), True), "loss": (mse + wd * _sumsq(w), True)}
        p = cf.predict(w)
        if wd is None:
            return {"pred": (p, False), "RMSE": (np.sqrt(cf.squared_errors(rt, p).sum() / rt.count), True)}
        mse = cf.squared_errors(sp.train if rt is ratings else rt, p).sum() / sp.train.count
        valid = np.sqrt(cf.squared_errors(sp.valid, p).sum() / sp.valid.count)
        return {"pred": (p, False), "MSE": (mse, True), "SUMSQ": (_sumsq(w), True),
                "loss": (mse + wd * _sumsq(w), True), "train RMSE": (np.sqrt(mse), True), "valid RMSE": (valid, True)}

    def as_long(w):
        return w.map(lambda a: np.asarray(a, dtype=LONG))

    rl = ratings
    for name, (w, wd) in blocks.items():
        w = w.map(stored)
        base = cells(name, w, wd, ratings)
        flat = w.flat()
        for d in directions:
            for i in range(flat.size):
                theta = flat.astype(LONG)
                theta[i] = nudged(flat[i], d)
                _check(report, f"{name} weight {i} {d:+d} ulp", name, base,
                       cells(name, as_long(w).unflat(theta), wd, rl))
            if wd:
                _check(report, f"{name} wd {d:+d} ulp", name, base, cells(name, as_long(w), nudged(wd, d), rl))
            rated = np.argwhere(ratings.mask)
            for r, c in rated[:: max(1, len(rated) // 40)]:     # a spread of the ratings, each nudged
                m = ratings.matrix.astype(LONG)
                m[r, c] = nudged(ratings.matrix[r, c], d)
                rt = _Ratings(m, ratings.mask)
                if wd is not None and name.startswith("weight_decay"):
                    continue                                       # the split's crosstabs: see the train/valid blocks
                _check(report, f"{name} rating ({r + 1},{c + 1}) {d:+d} ulp", name, base,
                       cells(name, as_long(w), wd, rt))
    return report


class _Ratings:
    """A crosstab in extended precision, as models.collab reads one (filled, mask, count)."""

    def __init__(self, matrix, mask):
        self.mask, self.count = mask, int(mask.sum())
        self.filled = np.where(mask, matrix, 0)


def _sumsq(w):
    theta = w.flat()
    return (theta * theta).sum()


def _check(report, label, name, base, other):
    report.inputs += 1
    for what, (values, result) in base.items():
        report.compare(label, f"{name}!{what}", values, other[what][0], result=result)


# ---------------------------------------------------------------- neuralnet

def neuralnet(seed=42, draws=3, directions=(1, -1)):
    """The step sheets (every intermediate of one SGD step), the valid sheets (logits, the predicted
    digit, accuracy) and the softmax/cross-entropy examples: each scalar input nudged alone, the
    weights and pixels all at once in random directions (`draws` times each way)."""
    from ..models import neuralnet as nn
    from ..sheets import neuralnet as sheet
    from ..writer import stored
    digits, train_idx, valid_idx, runs = sheet.train_both(seed)
    batch = runs["logistic"].first_batch
    xb = nn.inputs(stored(digits.pixels[batch]))
    xv = nn.inputs(stored(digits.pixels[valid_idx]))
    yb, yv = digits.labels[batch], digits.labels[valid_idx]
    report = Report("neuralnet.xlsx")
    rng = np.random.default_rng(0)

    def cells(kind, start, x, lr, wd, params, x_valid):
        r = nn.step(kind, start, x, yb, lr, wd, sheet=True)
        out = {k: (r[k], k in ("ce", "loss")) for k in ("z", "exp", "sum", "p", "p_correct", "nll", "ce", "w2",
                                                         "loss", "dz") + (("z1", "a1", "da1", "dz1") if kind == "net" else ())}
        for k in r["new"]:
            out[f"grad {k}"] = (r["grad"][k], False)
            out[f"new {k}"] = (r["new"][k], False)
        out["logits after the step"] = (nn.logits(kind, r["new"], x, sheet=True), False)
        z = nn.logits(kind, params, x_valid, sheet=True)
        out["valid logits"] = (z, False)
        out["valid digit"] = (np.argmax(z, axis=1).astype(float), True)
        out["valid accuracy"] = (float(np.mean(np.argmax(z, axis=1) == yv)), True)
        return out

    for kind in nn.MODELS:
        run = runs[kind]
        h = run.hyper
        base = cells(kind, run.start, xb, h["lr"], h["wd"], run.params, xv)
        lng = lambda p: {k: v.astype(LONG) for k, v in p.items()}
        args = dict(start=lng(run.start), x=xb.astype(LONG), lr=LONG(h["lr"]), wd=LONG(h["wd"]),
                    params=lng(run.params), x_valid=xv.astype(LONG))
        for d in directions:
            for k in ("lr", "wd"):
                _check(report, f"{kind} {k} {d:+d} ulp", kind, base, cells(kind, **dict(args, **{k: nudged(h[k], d)})))
            for t in range(draws):
                def jolt(p):
                    return {k: v.astype(LONG) * (1 + LONG(d) * rng.choice([-1, 1], v.shape) * LONG(2.0 ** -53))
                            for k, v in p.items()}
                moved = dict(args, start=jolt(run.start), params=jolt(run.params),
                             x=args["x"] * (1 + rng.choice([-1, 1], xb.shape) * LONG(2.0 ** -53)),
                             x_valid=args["x_valid"] * (1 + rng.choice([-1, 1], xv.shape) * LONG(2.0 ** -53)))
                _check(report, f"{kind} every weight and pixel, draw {t + 1} {d:+d}", kind, base, cells(kind, **moved))
    acts = sheet.example_activations(seed)
    soft = np.asarray(acts["softmax"], dtype=float)
    base = {"softmax": (nn.softmax(soft), False)}
    for d in directions:
        for i in np.ndindex(soft.shape):
            a = soft.astype(LONG)
            a[i] = nudged(soft[i], d)
            _check(report, f"softmax activation {i} {d:+d} ulp", "softmax", base, {"softmax": (nn.softmax(a), False)})
    ce = np.asarray(acts["ce"], dtype=float)
    base = {"loss": (np.array([nn.cross_entropy(row, t) for row, t in zip(ce, acts["targets"])]), True)}
    for d in directions:
        for i in np.ndindex(ce.shape):
            a = ce.astype(LONG)
            a[i] = nudged(ce[i], d)
            _check(report, f"cross_entropy activation {i} {d:+d} ulp", "cross_entropy", base,
                   {"loss": (np.array([nn.cross_entropy(row, t) for row, t in zip(a, acts["targets"])]), True)})
    return report


WORKBOOKS = {"graddesc": graddesc, "collab": collab, "neuralnet": neuralnet}


def main(argv=None):
    p = argparse.ArgumentParser(prog="python3 -m sheetsgd.bench.stability", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", choices=list(WORKBOOKS), action="append", help="one workbook (repeatable)")
    p.add_argument("--show", type=int, default=5, help="moved cells to list per workbook (default 5)")
    args = p.parse_args(argv)
    bad = 0
    for name in args.only or list(WORKBOOKS):
        report = WORKBOOKS[name]()
        print(report.summary())
        for label, what, a, b in report.failures[:args.show]:
            print(f"  {what}: {a!r} -> {float(b)!r} with {label}")
        bad += bool(report.failures)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
