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
    dtype = np.result_type(np.asarray(a), np.asarray(b), float)    # float, or np.longdouble
    a, b = np.asarray(a, dtype=dtype), np.asarray(b, dtype=dtype)
    n, k, m = a.shape[0], a.shape[1], b.shape[1]
    if k == 0:
        return np.zeros((n, m), dtype=dtype)
    if n * k * m <= 4_000_000:
        return np.add.reduce(np.ascontiguousarray(a.T)[:, :, None] * b[:, None, :], axis=0) + 0.0
    at, out = np.ascontiguousarray(a.T), np.zeros((n, m), dtype=dtype)
    term = np.empty_like(out)
    for i in range(k):
        np.multiply(at[i][:, None], b[i], out=term)
        np.add(out, term, out=out)
    return out


def matmul_stacked(a, b):
    """matmul of each pair a[r] @ b[r] (shapes (R, n, k) and (R, k, m)) at once, every entry summed
    in order of k as matmul sums it: the same bits as [matmul(a[r], b[r]) for r in range(R)]."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape[2] == 0:
        return np.zeros((a.shape[0], a.shape[1], b.shape[2]))
    return np.add.reduce(np.ascontiguousarray(a.transpose(2, 0, 1))[:, :, :, None]
                         * np.ascontiguousarray(b.transpose(1, 0, 2))[:, :, None, :], axis=0) + 0.0


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
    and the same bits on every CPU (np.exp is not: its AVX512F code rounds otherwise).
    np.longdouble in, np.exp's extended precision out (the stability test's)."""
    if np.asarray(x).dtype == np.longdouble:
        return np.exp(x)
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
    true value, the same bits on every CPU; -inf at 0, NaN below 0. np.longdouble: np.log's."""
    if np.asarray(x).dtype == np.longdouble:
        return np.log(x)
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


# fdlibm (k_sin.c, k_cos.c, e_rem_pio2.c): sin's polynomials and the reduction by pi/2 in three parts
_S = (-1.66666666666666324348e-01, 8.33333333332248946124e-03, -1.98412698298579493134e-04,
      2.75573137070700676789e-06, -2.50507602534068634195e-08, 1.58969099521155010221e-10)
_C = (4.16666666666666019037e-02, -1.38888888888741095749e-03, 2.48015872894767294178e-05,
      -2.75573143513906633035e-07, 2.08757232129817482790e-09, -1.13596475577881948265e-11)
_INV_PIO2 = 6.36619772367581382433e-01
_PIO2 = (1.57079632673412561417e+00, 6.07710050630396597660e-11, 2.02226624879595063154e-21)
_SIN_MAX = 1e6      # beyond: NaN (the two-step reduction is exact only for moderate x)


def _kernel_sin(x, y):
    z = x * x
    v = z * x
    r = _S[1] + z * (_S[2] + z * (_S[3] + z * (_S[4] + z * _S[5])))
    return np.where(y == 0, x + v * (_S[0] + z * r), x - ((z * (0.5 * y - v * r) - y) - v * _S[0]))


def _kernel_cos(x, y):
    z = x * x
    r = z * (_C[0] + z * (_C[1] + z * (_C[2] + z * (_C[3] + z * (_C[4] + z * _C[5])))))
    ax = np.abs(x)
    # |x| >= 0.3: qx = |x|/4 with its low 32 bits cleared (0.28125 above 0.78125), as fdlibm
    quarter = (ax.view(np.uint64) & np.uint64(0xFFFFFFFF00000000)).view(np.float64) * 0.25
    qx = np.where(ax > 0.78125, 0.28125, quarter)
    small = 1.0 - (0.5 * z - (z * r - x * y))
    return np.where(ax < 0.3, small, (1.0 - qx) - ((0.5 * z - qx) - (z * r - x * y)))


def sin(x):
    """sin(x) from elementwise operations only (fdlibm's kernels, x reduced by pi/2 in three parts):
    < 1 ulp from the true value for |x| < 1e6, the same bits on every CPU (np.sin has SIMD code of its
    own; the C library's has FMA variants)."""
    x = np.asarray(x, dtype=float)
    ax = np.where(np.isfinite(x) & (np.abs(x) < _SIN_MAX), np.abs(x), 0.0)
    fn = np.rint(ax * _INV_PIO2)
    r = ax - fn * _PIO2[0]                          # exact: pio2_1 has 33 bits, fn < 2**20
    t = r                                           # fdlibm's second step (pio2_2, its tail), always
    w = fn * _PIO2[1]
    r = t - w
    w = fn * _PIO2[2] - ((t - r) - w)
    y0 = r - w
    y1 = (r - y0) - w
    n = fn.astype(np.int64) & 3
    s, c = _kernel_sin(y0, y1), _kernel_cos(y0, y1)
    out = np.where(n == 0, s, np.where(n == 1, c, np.where(n == 2, -s, -c)))
    out = np.where(x < 0, -out, out)
    out = np.where(np.abs(x) < 2.0 ** -27, x, out)   # sin(x) = x to the last bit
    out = np.where(np.isfinite(x) & (np.abs(x) < _SIN_MAX), out, np.nan)
    return out if out.ndim else float(out)
