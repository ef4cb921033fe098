"""Arithmetic that gives the same bits on every CPU: what the committed workbooks are computed with.

NumPy's elementwise +, -, *, /, sqrt, rint and ldexp are IEEE operations, correctly rounded, one
rounding each (no ufunc fuses a multiply and an add): their results are the same on every x86-64
and aarch64 machine. What is not the same from one CPU to the next:
- matrix products and dot products through BLAS (`@`, np.dot): OpenBLAS picks its kernels per CPU
  (block sizes, FMA or not, the order of the additions), and SciPy's L-BFGS-B calls BLAS inside;
- np.exp and np.log: NumPy has AVX512F code for them that other CPUs do not run (a last-bit difference);
- np.einsum's inner loops, which may use FMA where the build allows it (aarch64 always does).
A solve of hundreds of steps turns such a last-bit difference into a different 10th digit of the
fitted weights, and so into a different workbook. So the arithmetic a committed workbook depends on
goes through this module: sums in a fixed order (np.add.accumulate is sequential by definition), products as elementwise operations, and exp and log written here
from elementwise operations (fdlibm's algorithms, < 1 ulp from the true value).
"""
import numpy as np


def fdot(a, b):
    """sum(a * b), the products added one at a time in order (no BLAS): a float, the same everywhere."""
    return float(np.add.accumulate((a * b).ravel())[-1])


def seqsum(a, axis=None):
    """SUM as a spreadsheet adds: one term at a time, left to right (np.add.accumulate)."""
    a = np.asarray(a)
    if axis is None:
        a, axis = a.ravel(), 0
    if a.shape[axis] == 0:
        return np.zeros(np.delete(a.shape, axis), dtype=a.dtype)
    return np.take(np.add.accumulate(a, axis=axis), -1, axis=axis)


def matmul(a, b):
    """a @ b with each entry summed over k in order, k = 0, 1, ... (MMULT's order), no BLAS.

    The k products of every entry are laid out along the first axis and reduced along it: NumPy
    adds whole slabs one after the other (out = p[0], out += p[1], ...), so each entry's sum is
    taken in order of k; the test suite checks this against the plain loop. + 0.0 makes a sum of
    negative zeros +0, as the loop's start from 0 does."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    n, k, m = a.shape[0], a.shape[1], b.shape[1]
    if k == 0:
        return np.zeros((n, m))
    if n * k * m <= 4_000_000:
        return np.add.reduce(np.ascontiguousarray(a.T)[:, :, None] * b[:, None, :], axis=0) + 0.0
    at, out = np.ascontiguousarray(a.T), np.zeros((n, m))
    term = np.empty_like(out)
    for i in range(k):
        np.multiply(at[i][:, None], b[i], out=term)
        np.add(out, term, out=out)
    return out


# fdlibm (e_exp.c, e_log.c): the constants of its range reductions and polynomials
_LN2_HI = 6.93147180369123816490e-01    # ln 2 with its last 32 bits zero: k * _LN2_HI is exact
_LN2_LO = 1.90821492927058770002e-10
_INV_LN2 = 1.44269504088896338700e+00
_P = (1.66666666666666019037e-01, -2.77777777770155933842e-03, 6.61375632143793436117e-05,
      -1.65339022054652515390e-06, 4.13813679705723846039e-08)
_LG = (6.666666666666735130e-01, 3.999999999940941908e-01, 2.857142874366239149e-01,
       2.222219843214978396e-01, 1.818357216161805012e-01, 1.531383769920937332e-01,
       1.479819860511658591e-01)
_EXP_MAX = 709.782712893383973096       # above: inf
_EXP_MIN = -745.13321910194110842       # below: 0


def exp(x):
    """e**x from elementwise operations only (fdlibm's algorithm): < 1 ulp from the true value,
    and the same bits on every CPU (np.exp is not: its AVX512F code rounds otherwise)."""
    x = np.asarray(x, dtype=float)
    with np.errstate(over="ignore", invalid="ignore"):
        safe = np.where(np.isfinite(x), np.clip(x, -746.0, 710.0), 0.0)
        k = np.rint(safe * _INV_LN2)
        hi = safe - k * _LN2_HI
        lo = k * _LN2_LO
        r = hi - lo
        t = r * r
        c = r - t * (_P[0] + t * (_P[1] + t * (_P[2] + t * (_P[3] + t * _P[4]))))
        y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi)
        out = np.ldexp(y, k.astype(int))
    out = np.where(x > _EXP_MAX, np.inf, np.where(x < _EXP_MIN, 0.0, out))
    out = np.where(np.isnan(x), np.nan, np.where(x == np.inf, np.inf, np.where(x == -np.inf, 0.0, out)))
    return out if out.ndim else float(out)


def log(x):
    """The natural logarithm from elementwise operations only (fdlibm's algorithm): < 1 ulp from the
    true value, the same bits on every CPU; -inf at 0, NaN below 0."""
    x = np.asarray(x, dtype=float)
    ok = np.isfinite(x) & (x > 0)
    m, e = np.frexp(np.where(ok, x, 1.0))          # x = m * 2**e, 0.5 <= m < 1
    low = m < 0.7071067811865476
    m = np.where(low, m * 2.0, m)                  # sqrt(2)/2 <= m < sqrt(2)
    k = (e - low).astype(float)
    f = m - 1.0                                    # exact (Sterbenz)
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    t1 = w * (_LG[1] + w * (_LG[3] + w * _LG[5]))
    t2 = z * (_LG[0] + w * (_LG[2] + w * (_LG[4] + w * _LG[6])))
    R = t2 + t1
    hfsq = 0.5 * f * f
    out = k * _LN2_HI - ((hfsq - (s * (hfsq + R) + k * _LN2_LO)) - f)
    out = np.where(ok, out, np.where(x == 0, -np.inf, np.where(x == np.inf, np.inf, np.nan)))
    return out if out.ndim else float(out)
