"""L-BFGS with a strong-Wolfe line search, in deterministic arithmetic: the same steps on every CPU.

What the collab solves use instead of SciPy's L-BFGS-B. SciPy's gives a different trajectory on
different CPUs (its C code calls BLAS, whose kernels OpenBLAS picks per CPU), and hundreds of steps
later the fitted weights differ in their 10th digit: a committed workbook could not be reproduced
on another machine. Here every operation is an elementwise NumPy operation (IEEE, one rounding) or
a sum taken in a fixed order (models.portable.fdot), so the same start gives the same bits
on every x86-64 and aarch64 machine, whatever NumPy's or SciPy's version.

The method is the textbook one (Nocedal & Wright, Numerical Optimization, algorithms 7.4, 3.5, 3.6):
a memory of the last `memory` steps and gradient changes approximates the inverse Hessian; the
line search finds a step with sufficient decrease (c1) and a flattened slope (c2), zooming in by
safeguarded cubic interpolation. It stops as SciPy's L-BFGS-B does: when the objective's relative
decrease falls under ftol, when the largest gradient entry falls under gtol, or at maxiter/maxfun.
"""
import math
from dataclasses import dataclass

import numpy as np

from .portable import fdot

C1, C2 = 1e-4, 0.9        # sufficient decrease, curvature (the usual choice for quasi-Newton)
MAX_LINE_EVALS = 40


@dataclass(frozen=True)
class Result:
    x: np.ndarray
    fun: float
    nit: int
    nfev: int
    message: str


class _Budget(Exception):
    pass


def minimize(fun_and_grad, x0, args=(), maxiter=1000, maxfun=2000, ftol=1e-13, gtol=1e-9, memory=10):
    """Minimise fun_and_grad(x, *args) -> (f, gradient) from x0; a Result like SciPy's."""
    x = np.array(x0, dtype=float)
    nfev = [0]

    def evaluate(point):
        if nfev[0] >= maxfun:
            raise _Budget
        nfev[0] += 1
        f, g = fun_and_grad(point, *args)
        return float(f), np.asarray(g, dtype=float)

    f, g = evaluate(x)
    steps, changes, rhos = [], [], []
    message, nit = "STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT", 0
    try:
        while nit < maxiter:
            if float(np.max(np.abs(g))) <= gtol:
                message = "CONVERGENCE: NORM OF PROJECTED GRADIENT <= PGTOL"
                break
            d = -_two_loop(g, steps, changes, rhos)
            slope = fdot(g, d)
            if not slope < 0:                     # not a descent direction: forget the memory
                steps, changes, rhos = [], [], []
                d, slope = -g, -fdot(g, g)
            t0 = 1.0 if steps else min(1.0, 1.0 / math.sqrt(-slope))
            found = _line_search(evaluate, x, f, g, d, slope, t0)
            if found is None:
                message = "ABNORMAL_TERMINATION_IN_LNSRCH"
                break
            t, f_new, g_new = found
            x_new = x + t * d
            s, y = x_new - x, g_new - g
            sy = fdot(s, y)
            if sy > 1e-16 * fdot(y, y):           # keep only pairs that keep the approximation positive
                steps.append(s)
                changes.append(y)
                rhos.append(1.0 / sy)
                if len(steps) > memory:
                    del steps[0], changes[0], rhos[0]
            decrease = f - f_new
            x, f, g = x_new, f_new, g_new
            nit += 1
            if decrease <= ftol * max(abs(f), abs(f + decrease), 1.0):
                message = "CONVERGENCE: REL_REDUCTION_OF_F_<=_FACTR*EPSMCH"
                break
    except _Budget:
        message = "STOP: TOTAL NO. OF f AND g EVALUATIONS EXCEEDS LIMIT"
    return Result(x, f, nit, nfev[0], message)


def _two_loop(g, steps, changes, rhos):
    """H @ g for the L-BFGS approximation H of the inverse Hessian (Nocedal & Wright, algorithm 7.4)."""
    q = g.copy()
    alphas = []
    for s, y, rho in zip(reversed(steps), reversed(changes), reversed(rhos)):
        a = rho * fdot(s, q)
        alphas.append(a)
        q = q - a * y
    if steps:
        q = q * (fdot(steps[-1], changes[-1]) / fdot(changes[-1], changes[-1]))
    for (s, y, rho), a in zip(zip(steps, changes, rhos), reversed(alphas)):
        b = rho * fdot(y, q)
        q = q + (a - b) * s
    return q


def _line_search(evaluate, x, f0, g0, d, slope0, t):
    """A step t along d satisfying the strong Wolfe conditions: (t, f, g), or None if none is found."""
    def phi(step):
        f, g = evaluate(x + step * d)
        return f, g, fdot(g, d)

    prev = (0.0, f0, slope0, g0)
    for i in range(MAX_LINE_EVALS):
        f, g, sl = phi(t)
        if not (math.isfinite(f) and math.isfinite(sl)):
            t = prev[0] + (t - prev[0]) / 4       # stepped off into overflow: come back
            continue
        if f > f0 + C1 * t * slope0 or (i > 0 and f >= prev[1]):
            return _zoom(phi, f0, slope0, prev, (t, f, sl, g))
        if abs(sl) <= -C2 * slope0:
            return t, f, g
        if sl >= 0:
            return _zoom(phi, f0, slope0, (t, f, sl, g), prev)
        prev = (t, f, sl, g)
        t = 2.0 * t
    return None


def _zoom(phi, f0, slope0, lo, hi):
    """Shrink [lo, hi] (lo: the best point so far) around a strong-Wolfe step (algorithm 3.6)."""
    for _ in range(MAX_LINE_EVALS):
        (tl, fl, sl, _), (th, fh, sh, _) = lo, hi
        t = _cubic_min(tl, fl, sl, th, fh, sh)
        width = abs(th - tl)
        if width <= 1e-16 * max(abs(tl), abs(th)):
            break
        lo_edge, hi_edge = min(tl, th) + 0.1 * width, max(tl, th) - 0.1 * width
        if not lo_edge <= t <= hi_edge:           # safeguard: stay inside, away from the ends
            t = (tl + th) / 2
        f, g, s = phi(t)
        if not math.isfinite(f) or f > f0 + C1 * t * slope0 or f >= fl:
            hi = (t, f, s, g)
        else:
            if abs(s) <= -C2 * slope0:
                return t, f, g
            if s * (th - tl) >= 0:
                hi = lo
            lo = (t, f, s, g)
    t, f, _, g = lo
    return (t, f, g) if t > 0 and f < f0 else None


def _cubic_min(t1, f1, s1, t2, f2, s2):
    """The minimiser of the cubic through (t1, f1) and (t2, f2) with slopes s1 and s2 (or NaN)."""
    if t1 == t2 or not all(math.isfinite(v) for v in (f1, s1, f2, s2)):
        return math.nan
    d1 = s1 + s2 - 3 * (f1 - f2) / (t1 - t2)
    disc = d1 * d1 - s1 * s2
    if disc < 0:
        return math.nan
    d2 = math.copysign(math.sqrt(disc), t2 - t1)
    den = s2 - s1 + 2 * d2
    return t2 - (t2 - t1) * (s2 + d2 - d1) / den if den != 0 else math.nan
