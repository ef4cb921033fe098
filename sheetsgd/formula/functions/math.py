"""Math and trigonometry functions (Excel's category "Math & Trig")."""
import math
from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Decimal

from ..ranges import charge, new_array
from ..values import DIV0, NA, NUM, VALUE, Array, ExcelError
from .args import grid, numbers, plain_sum
from .criteria import matching
from .operators import _power
from .registry import MS, registrar
from ..lazy_numpy import np
from ..vectorize import V, VR, Fallback, c_exp, c_ln, c_log10, each, num, sequential_sum, unary

function = registrar("math")


@function("ABS", "number", vector=unary(lambda x: np.abs(x)), doc=MS + "abs-function-3420200f-5628-4e8a-9b07-1d9cd26d4f2b")
def ABS(x):
    return abs(x)


@function("SQRT", "number", vector=unary(lambda x: np.sqrt(x)), doc=MS + "sqrt-function-654975c2-05c4-4831-9a24-2c65e4040fdf")
def SQRT(x):
    return NUM if x < 0 else math.sqrt(x)


@function("EXP", "number", vector=unary(lambda x: each(c_exp, x)), doc=MS + "exp-function-c578f034-2c45-4c37-bc8c-329660a63abe")
def EXP(x):
    return math.exp(x)              # OverflowError -> #NUM!


@function("LN", "number", vector=unary(lambda x: each(c_ln, x)), doc=MS + "ln-function-81fe1ed7-dac9-4acd-ba1d-07a142c6118f")
def LN(x):
    return NUM if x <= 0 else math.log(x)


@function("LOG10", "number", vector=unary(lambda x: each(c_log10, x)), doc=MS + "log10-function-c75b881b-49dd-44fb-b6f4-37e3486a0211")
def LOG10(x):
    return NUM if x <= 0 else math.log10(x)


@function("LOG", "number, number?", doc=MS + "log-function-4e82f196-1ca9-4747-8fb0-6c4a3abb3280")
def LOG(x, base=10.0):
    if x <= 0 or base <= 0:
        return NUM
    if base == 1:
        return DIV0
    return math.log10(x) if base == 10.0 else math.log(x) / math.log(base)


@function("POWER", "number, number", doc=MS + "power-function-d3f2908b-56f4-4c3f-895a-07fb519c362a")
def POWER(x, y):
    return _power(x, y)


@function("SIGN", "number", doc=MS + "sign-function-109c932d-fcdc-4023-91f1-2dd0e916a1d8")
def SIGN(x):
    return 1.0 if x > 0 else (-1.0 if x < 0 else 0.0)


@function("INT", "number", doc=MS + "int-function-a6c4af9e-356d-4369-ab6a-cb1fd9d343ef")
def INT(x):
    return float(math.floor(x))


@function("TRUNC", "number, number?", doc=MS + "trunc-function-8b86a64c-3127-43db-ba14-aa5ceb292721")
def TRUNC(x, digits=0.0):
    return _round_decimal(x, digits, ROUND_DOWN)


@function("MOD", "number, number", doc=MS + "mod-function-9b6cd169-b6ee-406a-a97b-edf2a9dc24f3")
def MOD(n, d):
    # MOD(n, d) = n - d*INT(n/d): the result has the sign of d
    if d == 0:
        return DIV0
    return n - d * math.floor(n / d)


@function("QUOTIENT", "number, number", doc=MS + "quotient-function-9f7bf099-2a18-4282-8fa4-65290cc99dee")
def QUOTIENT(n, d):
    if d == 0:
        return DIV0
    return float(math.trunc(n / d))


def _round_decimal(x, digits, rounding):
    digits = int(max(-400.0, min(400.0, digits)))   # Excel truncates num_digits; beyond +-400 nothing changes
    if digits >= 400:
        return x
    q = Decimal(1).scaleb(-digits)
    d = Decimal(repr(x))
    if d.adjusted() + digits + 1 > 28:               # past a float's 17 digits: nothing to round
        return x
    return float(d.quantize(q, rounding=rounding))


@function("ROUND", "number, number", doc=MS + "round-function-c018c5d8-40fb-4053-90b1-b3e7f61a213c")
def ROUND(x, digits):
    # half away from zero, on the decimal digits shown: ROUND(2.5,0)=3, ROUND(-2.5,0)=-3
    return _round_decimal(x, digits, ROUND_HALF_UP)


@function("ROUNDDOWN", "number, number", doc=MS + "rounddown-function-2ec94c73-241f-4b01-8c6f-17e6d7968f53")
def ROUNDDOWN(x, digits):
    return _round_decimal(x, digits, ROUND_DOWN)


@function("ROUNDUP", "number, number", doc=MS + "roundup-function-f8bc9b23-e795-47db-8703-db171d0c42a7")
def ROUNDUP(x, digits):
    return _round_decimal(x, digits, ROUND_UP)


@function("MROUND", "number, number", doc=MS + "mround-function-c299c3b0-15a5-426d-aa4b-d2d5b3baf427")
def MROUND(x, multiple):
    if multiple == 0:
        return 0.0
    if (x > 0 > multiple) or (x < 0 < multiple):
        return NUM
    return float(Decimal(repr(x / multiple)).quantize(Decimal(1), rounding=ROUND_HALF_UP)) * multiple


@function("CEILING", "number, number?", doc=MS + "ceiling-function-0a5cd7c8-0720-4f0a-bd2c-c943e510899f")
def CEILING(x, sig=1.0):
    if sig == 0:
        return 0.0
    if x > 0 and sig < 0:
        return NUM
    if x < 0 and sig < 0:      # both negative: away from zero, CEILING(-2.5,-2) = -4
        return -(math.ceil(-x / -sig) * -sig)
    return math.ceil(x / sig) * sig


@function("CEILING.MATH", "number, number?, number?",
          doc=MS + "ceiling-math-function-80f95d2f-b499-4eee-9f16-f795a8e306c8")
def CEILING_MATH(x, sig=1.0, mode=0.0):
    # the significance's sign is ignored; mode != 0 rounds negative numbers away from zero; a
    # significance of 0 gives 0 (ClosedXML's ceiling-floor.xlsx: CEILING.MATH(23.5,0) is 0)
    if sig == 0:
        return 0.0
    sig = abs(sig)
    if x < 0 and mode:
        return -(math.ceil(-x / sig) * sig)
    return math.ceil(x / sig) * sig


@function("CEILING.PRECISE ISO.CEILING", "number, number?",
          doc=MS + "ceiling-precise-function-f366a774-527a-4c92-ba49-af0a196e66cb")
def CEILING_PRECISE(x, sig=1.0):
    sig = abs(sig)
    return 0.0 if sig == 0 else math.ceil(x / sig) * sig


@function("FLOOR", "number, number?", doc=MS + "floor-function-14bb497c-24f2-4e04-b327-b0b4de5a8886")
def FLOOR(x, sig=1.0):
    if sig == 0:
        return DIV0 if x != 0 else 0.0
    if x > 0 and sig < 0:
        return NUM
    if x < 0 and sig < 0:
        return -(math.floor(-x / -sig) * -sig)
    return math.floor(x / sig) * sig


@function("FLOOR.MATH", "number, number?, number?", doc=MS + "floor-math-function-c302b599-fbdb-4177-ba19-2c2b1249a2f5")
def FLOOR_MATH(x, sig=1.0, mode=0.0):
    if sig == 0:                    # as CEILING.MATH: FLOOR.MATH(x, 0) is 0
        return 0.0
    sig = abs(sig)
    if x < 0 and mode:
        return -(math.floor(-x / sig) * sig)
    return math.floor(x / sig) * sig


@function("FLOOR.PRECISE", "number, number?", doc=MS + "floor-precise-function-f769b468-1452-4617-8dc3-02f842a0702e")
def FLOOR_PRECISE(x, sig=1.0):
    sig = abs(sig)
    return 0.0 if sig == 0 else math.floor(x / sig) * sig


@function("EVEN", "number", doc=MS + "even-function-197b5f06-c795-4c1e-8696-3c3b8a646cf9")
def EVEN(x):
    n = math.ceil(abs(x) / 2) * 2
    return float(n if x >= 0 else -n)


@function("ODD", "number", doc=MS + "odd-function-deae64eb-e08a-4c88-8b40-6d0b42575c98")
def ODD(x):
    n = math.ceil(abs(x))
    if n % 2 == 0:
        n += 1
    return float(n if x >= 0 else -n)


@function("FACT", "number", doc=MS + "fact-function-ca8588c2-15f2-41c0-8e8c-c11bd471a4f3")
def FACT(x):
    if x < 0:
        return NUM
    if x > 170:
        return NUM
    return float(math.factorial(int(x)))


@function("COMBIN", "number, number", doc=MS + "combin-function-12a3f276-0a21-423a-8de6-06990aaf638a")
def COMBIN(n, k):
    n, k = int(n), int(k)
    if n < 0 or k < 0 or k > n:
        return NUM
    return float(math.comb(n, k))


@function("GCD", "values...", doc=MS + "gcd-function-d5107a51-69e3-461f-8e4c-ddfc21b5073a")
def GCD(*args):
    xs = numbers(args)
    if type(xs) is ExcelError:
        return xs
    if any(x < 0 for x in xs):
        return NUM
    g = 0
    for x in xs:
        g = math.gcd(g, int(x))
    return float(g)


@function("LCM", "values...", doc=MS + "lcm-function-7152b67a-8bb5-4075-ae5c-06ede5563c94")
def LCM(*args):
    xs = numbers(args)
    if type(xs) is ExcelError:
        return xs
    if any(x < 0 for x in xs):
        return NUM
    m = 1
    for x in xs:
        x = int(x)
        if x == 0:
            return 0.0
        m = m * x // math.gcd(m, x)
    return float(m)


@function("PI", "", doc=MS + "pi-function-264199d0-a3ba-46b8-975a-c4a04608989b")
def PI():
    return math.pi


@function("SQRTPI", "number", doc=MS + "sqrtpi-function-1fb4e63f-9b51-46d6-ad68-b3e7a8b519b4")
def SQRTPI(x):
    return NUM if x < 0 else math.sqrt(x * math.pi)


@function("DEGREES", "number", doc=MS + "degrees-function-4d6ec4db-e694-4b94-ace0-1cc3f61f9ba1")
def DEGREES(x):
    return math.degrees(x)


@function("RADIANS", "number", doc=MS + "radians-function-ac409508-3d48-45f5-ac02-1497c92de5bf")
def RADIANS(x):
    return math.radians(x)


def _trig(name, f, doc, domain=None):
    @function(name, "number", doc=MS + doc)
    def impl(x):
        if domain is not None and not domain(x):
            return NUM
        return f(x)
    return impl


_trig("SIN", math.sin, "sin-function-cf0e3432-8b9e-483c-bc55-a76651c95602")
_trig("COS", math.cos, "cos-function-0fb808a5-95d6-4553-8148-22aebdce5f05")
_trig("TAN", math.tan, "tan-function-08851a40-179f-4052-b789-d7f699447401")
_trig("ASIN", math.asin, "asin-function-81fb95e5-6d6f-48c4-bc45-58f955c6d347", lambda x: -1 <= x <= 1)
_trig("ACOS", math.acos, "acos-function-cb73173f-d089-4582-afa1-76e5524b5d5b", lambda x: -1 <= x <= 1)
_trig("ATAN", math.atan, "atan-function-50746fa8-630a-406b-81d0-4a2aed395543")
_trig("SINH", math.sinh, "sinh-function-1e4e8b9f-2b65-43fc-ab8f-0a37f4081fa7")
_trig("COSH", math.cosh, "cosh-function-e460d426-ecfd-4dd2-9a97-5ccbba3e0c93")
_trig("TANH", math.tanh, "tanh-function-017222f0-a0c3-4f69-9787-b3202295dc6c")
_trig("ASINH", math.asinh, "asinh-function-4e00475a-067a-43cf-926a-765b0249717c")
_trig("ACOSH", math.acosh, "acosh-function-e3992cc1-103f-4e72-9f04-624b9ef5ebfe", lambda x: x >= 1)
_trig("ATANH", math.atanh, "atanh-function-3cd65768-0de7-4f1d-b312-d01c8c930d90", lambda x: -1 < x < 1)


@function("ATAN2", "number, number", doc=MS + "atan2-function-c04592ab-b9e3-4908-b428-c96b3a565033")
def ATAN2(x, y):
    if x == 0 and y == 0:
        return DIV0
    return math.atan2(y, x)


# ---------------------------------------------------------------- sums and products
def _sum_vector(vx, args):
    """SUM of per-row values and ranges, each range added left to right as the cell path adds."""
    total = None
    for a in args:
        from ..parser import Missing
        if type(a) is Missing:
            continue
        v = vx.eval(a, array=True)
        if type(v) is V and v.blank is not None:
            raise Fallback   # a blank typed as an argument: not worth the special case
        part = vx.fin(sequential_sum(v.data)) if type(v) is VR else num(v)
        total = part if total is None else total + part
    return V("num", vx.fin(0.0 if total is None else total))


def _sumproduct_vector(vx, args):
    n = vx.n
    datas = []
    for a in args:
        v = vx.eval(a, array=True)
        if type(v) is VR:
            if v.data.dtype != float:
                raise Fallback
            datas.append(v.data)
        else:
            if v.kind != "num":
                raise Fallback
            datas.append(np.broadcast_to(np.asarray(v.data, float).reshape(-1, 1, 1), (n, 1, 1))
                         if isinstance(v.data, np.ndarray) else np.full((1, 1, 1), v.data))
    if not datas or len({d.shape[1:] for d in datas}) != 1:
        raise Fallback      # different shapes: #VALUE!
    prod = datas[0]
    for d in datas[1:]:
        prod = prod * d
    return V("num", vx.fin(sequential_sum(prod)))


def _mmult_vector(vx, args):
    if len(args) != 2:
        raise Fallback
    a, b = vx.eval(args[0], array=True), vx.eval(args[1], array=True)
    if type(a) is not VR or type(b) is not VR or a.blank is not None or b.blank is not None:
        raise Fallback       # blanks in MMULT are #VALUE!
    if a.data.shape[1] != 1 or b.data.shape[2] != 1 or a.data.shape[2] != b.data.shape[1]:
        raise Fallback
    total = 0.0
    for j in range(a.data.shape[2]):        # in order, as the cell-by-cell MMULT adds
        total = total + a.data[:, 0, j] * b.data[:, j, 0]
    return V("num", vx.fin(total))


@function("SUM", "values...", vector=_sum_vector, doc=MS + "sum-function-043e1c7d-7726-4e80-8f32-07b23e057f89")
def SUM(*args):
    xs = numbers(args)
    return xs if type(xs) is ExcelError else plain_sum(xs)


@function("SUMSQ", "values...", doc=MS + "sumsq-function-e3313c02-51cc-4963-aae6-31442d9ec307")
def SUMSQ(*args):
    xs = numbers(args)
    return xs if type(xs) is ExcelError else plain_sum([x * x for x in xs])


@function("PRODUCT", "values...", doc=MS + "product-function-8e6b5b24-90ee-4650-aeec-80982a0512ce")
def PRODUCT(*args):
    xs = numbers(args)
    if type(xs) is ExcelError:
        return xs
    p = 1.0
    for x in xs:
        p *= x
    return p if xs else 0.0


@function("SUMPRODUCT", "array...", vector=_sumproduct_vector, doc=MS + "sumproduct-function-16753e75-9f68-4874-94ac-4d2145a2fd2e")
def SUMPRODUCT(*arrays):
    # arrays of one shape (else #VALUE!); non-numeric entries count as 0; errors propagate
    shape = arrays[0].shape
    if any(a.shape != shape for a in arrays):
        return VALUE
    total = 0.0
    for vals in zip(*[a.flat() for a in arrays]):
        p = 1.0
        for v in vals:
            t = type(v)
            if t is float:
                p *= v
            elif t is ExcelError:
                return v
            else:
                p = 0.0
        total += p
    return total


def _pairs(x, y, f):
    """SUMXMY2 and friends: pairs in row-major order; a pair with a blank, text or boolean is
    skipped; different counts of values -> #N/A; errors propagate."""
    a, b = x.flat(), y.flat()
    if len(a) != len(b):
        return NA
    total = 0.0
    for u, v in zip(a, b):
        if type(u) is ExcelError:
            return u
        if type(v) is ExcelError:
            return v
        if type(u) is float and type(v) is float:
            total += f(u, v)
    return total


_PAIRWISE_LO = ("LibreOffice counts a blank as 0 (Excel skips the pair): the result differs "
                "where a blank meets a value")
_PAIRWISE_GS = "Google Sheets is not known to skip pairs with a blank as Excel does: the result may differ"


@function("SUMXMY2", "array, array", differs=_PAIRWISE_LO,
          doc=MS + "sumxmy2-function-9d144ac1-4d79-43de-b524-e2ecee23b299")
def SUMXMY2(x, y):
    return _pairs(x, y, lambda u, v: (u - v) ** 2)


@function("SUMX2MY2", "array, array", differs=_PAIRWISE_GS,
          doc=MS + "sumx2my2-function-9e599cc5-5399-48e9-a5e0-e37812dfa3e9")
def SUMX2MY2(x, y):
    return _pairs(x, y, lambda u, v: u * u - v * v)


@function("SUMX2PY2", "array, array", differs=_PAIRWISE_GS,
          doc=MS + "sumx2py2-function-826b60b4-0aa2-4e5e-81d2-be704d3d786f")
def SUMX2PY2(x, y):
    return _pairs(x, y, lambda u, v: u * u + v * v)


# ---------------------------------------------------------------- matrices
def _numeric_matrix(a):
    """An Array's values as a float matrix; an error inside, or #VALUE! for a blank or text."""
    rows = a.rows
    for row in rows:
        for v in row:
            if type(v) is not float:
                return v if type(v) is ExcelError else VALUE
    return rows


@function("MMULT", "array, array", vector=_mmult_vector, doc=MS + "mmult-function-40593ed7-a3cd-4b6b-b9a3-e4ad3c7245eb")
def MMULT(a, b):
    # columns of a = rows of b, else #VALUE!; an empty or text cell is #VALUE!
    (n, k), (k2, m) = a.shape, b.shape
    if k != k2:
        return VALUE
    new_array(n, m)
    charge(n * k * m)              # the products to add
    ra, rb = _numeric_matrix(a), _numeric_matrix(b)
    if type(ra) is ExcelError:
        return ra
    if type(rb) is ExcelError:
        return rb
    if n * k * m > 100_000:    # large: NumPy, adding in the same order (BLAS's order depends on the CPU)
        x, y = np.array(ra, dtype=float), np.array(rb, dtype=float)
        prod = np.zeros((n, m))
        for j in range(k):
            prod = prod + x[:, j:j + 1] * y[j:j + 1, :]
        return Array([[v if v - v == 0.0 else NUM for v in row] for row in prod.tolist()])
    bcols = [[rb[i][j] for i in range(k)] for j in range(m)]
    out = []
    for arow in ra:
        row = []
        for bcol in bcols:
            s = 0.0
            for u, v in zip(arow, bcol):
                s += u * v
            row.append(s if s - s == 0.0 else NUM)
        out.append(row)
    return Array(out)


@function("TRANSPOSE", "array", doc=MS + "transpose-function-ed039415-ed8a-4a81-93e9-4b6dfac76027")
def TRANSPOSE(a):
    return Array([list(col) for col in zip(*a.rows)])


@function("MDETERM", "array", doc=MS + "mdeterm-function-e7bfa857-3834-422b-b871-0ffd03717020")
def MDETERM(a):
    h, w = a.shape
    rows = _numeric_matrix(a)
    if type(rows) is ExcelError:
        return rows
    if h != w:
        return VALUE
    return float(np.linalg.det(np.array(rows, dtype=float)))


@function("MINVERSE", "array", doc=MS + "minverse-function-11f55086-adde-4c9f-8eb9-59da2d72efc6")
def MINVERSE(a):
    h, w = a.shape
    rows = _numeric_matrix(a)
    if type(rows) is ExcelError:
        return rows
    if h != w:
        return VALUE
    m = np.array(rows, dtype=float)
    if abs(np.linalg.det(m)) == 0:
        return NUM
    return Array(np.linalg.inv(m).tolist())


# ---------------------------------------------------------------- conditional sums
def _resized(sum_range, rng):
    """SUMIF's sum_range is read from its top-left cell with the criteria range's shape."""
    from ..ranges import Range
    if type(sum_range) is Range and sum_range.shape != rng.shape:
        h, w = rng.shape
        return Range(sum_range.grid, sum_range.r1, sum_range.c1, sum_range.r1 + h - 1, sum_range.c1 + w - 1)
    return sum_range


def _sum_kept(values, keep, h, w, average=False):
    """SUMIF's sum (or AVERAGEIF's mean) of the numbers among values' cells where keep is TRUE;
    the first error among the kept cells is the result."""
    from itertools import compress
    kept = list(compress(values.flat(h, w) if hasattr(values, "grid") else values.flat_part(h, w), keep))
    xs = [v for v in kept if type(v) is float]
    if len(xs) != len(kept):
        err = next((v for v in kept if type(v) is ExcelError), None)
        if err is not None:
            return err
    if average:
        return DIV0 if not xs else plain_sum(xs) / len(xs)
    return plain_sum(xs)


def sum_if(rng, crit, sum_range, average):
    values = rng if sum_range is None else _resized(grid(sum_range), rng)
    got = matching([(rng, crit)])
    if got is None:
        return VALUE
    keep, _, (h, w) = got
    return _sum_kept(values, keep, h, w, average)


def sum_ifs(values, pairs, average):
    if any(r.shape != values.shape for r, _ in pairs):
        return VALUE
    got = matching(pairs)
    if got is None:
        return VALUE
    keep, _, (h, w) = got
    return _sum_kept(values, keep, h, w, average)


@function("SUMIF", "range, any, range?", doc=MS + "sumif-function-169b8c99-c05c-4483-a712-1697a653039b")
def SUMIF(rng, crit, sum_range=None):
    return sum_if(rng, crit, sum_range, False)


@function("SUMIFS", "range, (range, any)...", doc=MS + "sumifs-function-c9e748f5-7ea7-455d-9406-611cebce642b")
def SUMIFS(values, *args):
    return sum_ifs(values, list(zip(args[::2], args[1::2])), False)


@function("SUBTOTAL", "integer, values...", doc=MS + "subtotal-function-7b027003-f060-4ade-9040-e478765b9939")
def SUBTOTAL(fn, *refs):
    from .registry import REGISTRY, call
    names = {1: "AVERAGE", 2: "COUNT", 3: "COUNTA", 4: "MAX", 5: "MIN", 6: "PRODUCT", 7: "STDEV.S",
             8: "STDEV.P", 9: "SUM", 10: "VAR.S", 11: "VAR.P"}
    name = names.get(int(fn) % 100)
    if name is None or int(fn) > 111 or int(fn) < 1:
        return VALUE
    return call(REGISTRY[name], list(refs))
