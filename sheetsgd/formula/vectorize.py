"""The vocabulary of the NumPy path (vector.py), for functions' vector forms (registry's vector=).

A run of one shape, n rows, is computed at once: each node of its tree gives
    V    one value per row: data is a float/bool array of n (or one Python scalar for all);
         blank marks the rows whose value was read from a blank cell (their data is 0);
         kind is 'num', 'bool' or 'str'
    VR   one range per row: data of shape (n or 1, h, w), blank mask alike or None
The NumPy path is used only where it provably gives what cell-by-cell computing gives: on
anything it cannot prove (text, an error on the way, an unsorted MATCH...) a vector form
raises Fallback and the run is computed cell by cell instead.

The C library's pow, exp and log (what math calls, and so what the cell-by-cell path uses)
and NumPy's own vectorised versions differ in the last bit for a few inputs in a thousand;
the vector path calls the same functions as the cell path, element by element, so the two
paths agree exactly. (sqrt, abs, + - * / are exact in both.)
"""
import math

from .lazy_numpy import np


class Fallback(Exception):
    """The NumPy path cannot prove its answer equals the cell-by-cell one: compute cell by cell."""


class V:
    __slots__ = ("kind", "data", "blank")

    def __init__(self, kind, data, blank=None):
        self.kind, self.data, self.blank = kind, data, blank


class VR:
    __slots__ = ("data", "blank")

    def __init__(self, data, blank=None):
        self.data, self.blank = data, blank


def c_pow(x, y):
    try:
        return math.pow(x, y)
    except (OverflowError, ValueError, ZeroDivisionError):
        return math.nan


def c_exp(x):
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def c_ln(x):
    return math.log(x) if x > 0 else math.nan


def c_log10(x):
    return math.log10(x) if x > 0 else math.nan


def each(f, *args):
    """f (a C-library function of floats) applied element by element, NumPy in and out."""
    if not any(isinstance(a, np.ndarray) for a in args):
        return f(*[float(a) for a in args])
    arrays = np.broadcast_arrays(*[np.asarray(a, dtype=float) for a in args])
    flat = [a.ravel().tolist() for a in arrays]
    return np.fromiter(map(f, *flat), dtype=float, count=arrays[0].size).reshape(arrays[0].shape)


def finite(x):
    """x if it holds no inf/nan, else Fallback (an error the cell path would show)."""
    if isinstance(x, np.ndarray):
        if not np.isfinite(x).all():
            raise Fallback
    elif x - x != 0.0:
        raise Fallback
    return x


def num(v):
    """A V's numbers (booleans as 1/0); anything else: Fallback."""
    if type(v) is V:
        if v.kind == "num":
            return v.data
        if v.kind == "bool":
            return v.data.astype(float) if isinstance(v.data, np.ndarray) else float(v.data)
    raise Fallback


def sequential_sum(data):
    """Each row's block summed left to right, row by row, as SUM and SUMPRODUCT add."""
    flat = data.reshape(data.shape[0], -1)
    total = np.zeros(flat.shape[0])
    for j in range(flat.shape[1]):
        total = total + flat[:, j]
    return total


def unary(f):
    """The vector form of a one-number function f applied with NumPy (exact functions) or
    element by element (C-library functions, through each())."""
    def vector(vx, args):
        if len(args) != 1:
            raise Fallback
        x = vx.scalar_num(vx.eval(args[0]))
        r = f(x)
        return V("num", vx.fin(r if isinstance(r, np.ndarray) else float(r)))
    return vector
