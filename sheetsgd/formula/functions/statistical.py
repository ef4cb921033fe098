"""Statistical functions (Excel's category "Statistical")."""
import math

from ..values import DIV0, NUM, VALUE, Array, ExcelError, to_number
from .args import non_blank, numbers, numbers_a, plain_sum
from .criteria import matching
from .math import sum_if, sum_ifs
from .registry import MS, registrar
from ..vectorize import V, VR, Fallback

function = registrar("statistical")


def _extreme_vector(largest):
    """MAX/MIN of per-row values and ranges with NumPy (no blanks: they are skipped cell by cell)."""
    def vector(vx, args):
        import numpy as np
        parts = []
        for a in args:
            v = vx.eval(a, array=True)
            if type(v) is VR:
                if v.blank is not None:
                    raise Fallback
                d = v.data.reshape(v.data.shape[0], -1)
                parts.append(d.max(axis=1) if largest else d.min(axis=1))
            else:
                if v.kind != "num" or v.blank is not None:
                    raise Fallback
                parts.append(v.data)
        if not parts:
            raise Fallback
        f = np.maximum if largest else np.minimum
        r = parts[0]
        for p in parts[1:]:
            r = f(r, p)
        return V("num", r)
    return vector


def _aggregate(names, doc, a=False, vector=None):
    """Register f(list of floats) as an aggregate over its arguments' numbers."""
    def deco(f):
        @function(names, "values...", vector=vector, doc=MS + doc)
        def impl(*args):
            xs = numbers_a(args) if a else numbers(args)
            if type(xs) is ExcelError:
                return xs
            return f(xs)
        return f
    return deco


@_aggregate("AVERAGE", "average-function-047bac88-d466-426c-a32b-8f33eb960cf6")
def AVERAGE(xs):
    return DIV0 if not xs else plain_sum(xs) / len(xs)


@_aggregate("AVERAGEA", "averagea-function-f5f84098-d453-4f4c-bbba-3d2c66356091", a=True)
def AVERAGEA(xs):
    return DIV0 if not xs else plain_sum(xs) / len(xs)


@_aggregate("MAX", "max-function-e0012414-9ac8-4b34-9a47-73e662c08098", vector=_extreme_vector(True))
def MAX(xs):
    return max(xs) if xs else 0.0


@_aggregate("MIN", "min-function-61635d12-920f-4ce2-a70f-96f202dcc152", vector=_extreme_vector(False))
def MIN(xs):
    return min(xs) if xs else 0.0


@_aggregate("MAXA", "maxa-function-814bda1e-3840-4bff-9365-2f59ac2ee62d", a=True)
def MAXA(xs):
    return max(xs) if xs else 0.0


@_aggregate("MINA", "mina-function-245a6f46-7ca5-4dc7-ab49-805341bc31d3", a=True)
def MINA(xs):
    return min(xs) if xs else 0.0


def _var(xs, sample):
    n = len(xs)
    if n < (2 if sample else 1):
        return DIV0
    mean = plain_sum(xs) / n
    return plain_sum([(x - mean) ** 2 for x in xs]) / (n - 1 if sample else n)


@_aggregate("VAR.S VAR", "var-s-function-913633de-136b-449d-813e-65a00b2b990b")
def VAR_S(xs):
    return _var(xs, True)


@_aggregate("VAR.P VARP", "var-p-function-73d1285c-108c-4843-ba5d-a51f90656f3a")
def VAR_P(xs):
    return _var(xs, False)


@_aggregate("STDEV.S STDEV", "stdev-s-function-7d69cf97-0c1f-4acf-be27-f3e83904cc23")
def STDEV_S(xs):
    v = _var(xs, True)
    return v if type(v) is ExcelError else math.sqrt(v)


@_aggregate("STDEV.P STDEVP", "stdev-p-function-6e917c05-31a0-496f-ade7-4f4e7462f285")
def STDEV_P(xs):
    v = _var(xs, False)
    return v if type(v) is ExcelError else math.sqrt(v)


@_aggregate("MEDIAN", "median-function-d0916313-4753-414c-8537-ce85bdd967d2")
def MEDIAN(xs):
    if not xs:
        return NUM
    ys = sorted(xs)
    n = len(ys)
    return ys[n // 2] if n % 2 else (ys[n // 2 - 1] + ys[n // 2]) / 2


@_aggregate("DEVSQ", "devsq-function-8b739616-8376-4df5-8bd0-cfe0a6caf444")
def DEVSQ(xs):
    if not xs:
        return NUM
    mean = plain_sum(xs) / len(xs)
    return plain_sum([(x - mean) ** 2 for x in xs])


# ---------------------------------------------------------------- counting
@function("COUNT", "values...", doc=MS + "count-function-a59cd7fc-b623-4d93-87a4-d23bf411294c")
def COUNT(*args):
    # numbers in references and arrays; typed directly, numbers, TRUE/FALSE and numeric text
    n = 0
    for a in args:
        t = type(a)
        if t is Array or hasattr(a, "values") and t is not str:
            n += sum(1 for v in a.values() if type(v) is float)
        elif type(a) is not ExcelError and a is not None:
            n += type(to_number(a)) is float
    return float(n)


@function("COUNTA", "values...", doc=MS + "counta-function-7dc98875-d5c1-46f1-9a82-53f3219e2509")
def COUNTA(*args):
    # every value that is not blank, "" and errors included; an empty argument counts too
    n = 0
    for a in args:
        if hasattr(a, "values") and type(a) is not str:
            n += len(a.values())
        else:
            n += 1
    return float(n)


@function("COUNTBLANK", "range", doc=MS + "countblank-function-6a92d772-675c-4bee-b346-24af6bd3ac22")
def COUNTBLANK(rng):
    # blank cells, and cells holding "" (a formula's empty text) count
    held = rng.values()
    return float(rng.size - len(held) + sum(1 for v in held if v == ""))


@function("COUNTIF", "range, any", doc=MS + "countif-function-e0de10c6-f885-4e71-abb4-1f464816df34")
def COUNTIF(rng, crit):
    keep, blanks, _ = matching([(rng, crit)])
    return float(sum(keep) + blanks)


@function("COUNTIFS", "(range, any)...", doc=MS + "countifs-function-dda3dc6e-f74e-4aee-88bc-aa8c2a866842")
def COUNTIFS(*args):
    got = matching(list(zip(args[::2], args[1::2])))
    if got is None:
        return VALUE
    keep, blanks, _ = got
    return float(sum(keep) + blanks)


@function("AVERAGEIF", "range, any, range?", doc=MS + "averageif-function-faec8e2e-0dec-4308-af69-f5576d8ac642")
def AVERAGEIF(rng, crit, avg_range=None):
    return sum_if(rng, crit, avg_range, True)


@function("AVERAGEIFS", "range, (range, any)...", doc=MS + "averageifs-function-48910c45-1fc0-4389-a028-f7c5c3001690")
def AVERAGEIFS(values, *args):
    return sum_ifs(values, list(zip(args[::2], args[1::2])), True)


# ---------------------------------------------------------------- order statistics
def _kth(largest):
    def impl(array, k):
        xs = numbers([array])
        if type(xs) is ExcelError:
            return xs
        kk = math.ceil(k)
        if kk < 1 or kk > len(xs):
            return NUM
        return sorted(xs, reverse=largest)[kk - 1]
    return impl


function("LARGE", "values, number", doc=MS + "large-function-3af0af19-1190-42bb-bb8b-01672ec00a64")(_kth(True))
function("SMALL", "values, number", doc=MS + "small-function-17da8222-7c82-42b2-961b-14c45384df07")(_kth(False))


def _rank(average):
    def impl(x, ref, order=0.0):
        xs = [v for v in non_blank(ref) if type(v) is float]
        if x not in xs:
            return NA_
        if order:
            below = sum(1 for v in xs if v < x)
        else:
            below = sum(1 for v in xs if v > x)
        if not average:
            return float(below + 1)
        ties = xs.count(x)
        return below + (ties + 1) / 2
    return impl


from ..values import NA as NA_  # noqa: E402

function("RANK.EQ RANK", "number, range, number?", doc=MS + "rank-eq-function-284858ce-8ef6-450e-b662-26245be04a40")(_rank(False))
function("RANK.AVG", "number, range, number?", doc=MS + "rank-avg-function-bd406a6f-eb38-4d73-aa8e-6d1c3c72e83a")(_rank(True))
