"""Excel's functions and operators on Python values, with Excel's documented semantics.

Values (see values.py): float, str, bool, None (blank), ExcelError; plus, while a formula is
being computed, Range (a reference: sheet and bounds, not yet read) and Array (a 2-D block
of values: a read range or a computed matrix). Errors are values: they propagate, they are
never raised. Any inf/nan result becomes #NUM! (Excel never holds inf).

Each function is registered with how its arguments arrive:
    scalar  ranges are read; the function is applied element by element over arrays
    values  ranges are read into Arrays (SUM, MMULT, ... see the whole block)
    refs    ranges stay references (ROW, OFFSET, INDEX can return references)
    lazy    the function gets the argument trees and evaluates what it needs (IF, IFERROR)
Implementations take (ctx, *args); ctx is the engine evaluating the current cell.
"""
import math
import re
from decimal import ROUND_HALF_UP, Decimal
from itertools import compress

import numpy as np

from .refs import MAX_COL, MAX_ROW
from .values import DIV0, NA, NAME, NUM, REF, VALUE, ExcelError

VOLATILE = frozenset({"RAND", "RANDBETWEEN", "NOW", "TODAY", "RANDARRAY"})


class Range:
    """A reference to a block of cells on a named sheet (bounds 1-based, inclusive)."""
    __slots__ = ("sheet", "r1", "c1", "r2", "c2")

    def __init__(self, sheet, r1, c1, r2, c2):
        self.sheet, self.r1, self.c1, self.r2, self.c2 = sheet, r1, c1, r2, c2

    @property
    def shape(self):
        return self.r2 - self.r1 + 1, self.c2 - self.c1 + 1

    def __repr__(self):
        return f"Range({self.sheet!r}, {self.r1}, {self.c1}, {self.r2}, {self.c2})"


class Array:
    """A 2-D block of values, row-major lists."""
    __slots__ = ("rows",)

    def __init__(self, rows):
        self.rows = rows

    @property
    def shape(self):
        return len(self.rows), len(self.rows[0]) if self.rows else 0

    def flat(self):
        return [v for row in self.rows for v in row]

    def __repr__(self):
        return f"Array({self.rows!r})"

    def __eq__(self, other):
        return isinstance(other, Array) and self.rows == other.rows


# ---------------------------------------------------------------- coercions
_NUMBER_TEXT = re.compile(r"^\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*%?\s*$")


def to_number(v):
    """Excel's conversion for arithmetic: blank -> 0, TRUE -> 1, "3" -> 3, "abc" and "" -> #VALUE!."""
    t = type(v)
    if t is float:
        return v
    if v is None:
        return 0.0
    if t is bool:
        return 1.0 if v else 0.0
    if t is int:
        return float(v)
    if t is str:
        if _NUMBER_TEXT.match(v):
            s = v.strip()
            if s.endswith("%"):
                return float(s[:-1]) / 100.0
            return float(s)
        return VALUE
    if t is ExcelError:
        return v
    return VALUE


def to_bool(v):
    """Excel's conversion for conditions: numbers are TRUE unless 0, blank is FALSE, text is #VALUE!."""
    t = type(v)
    if t is bool:
        return v
    if t is float or t is int:
        return v != 0
    if v is None:
        return False
    if t is str:
        up = v.upper()
        if up in ("TRUE", "FALSE"):
            return up == "TRUE"
        return VALUE
    return v if t is ExcelError else VALUE


def number_text(x):
    """A number as Excel's General format shows it in text: up to 15 significant digits."""
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    s = "%.15g" % x
    if "e" in s:
        mant, exp = s.split("e")
        if "." in mant:
            mant = mant.rstrip("0").rstrip(".")
        sign = "-" if exp[0] == "-" else "+"
        return f"{mant}E{sign}{int(exp[1:]):02d}"
    return s


def to_text(v):
    t = type(v)
    if t is str:
        return v
    if v is None:
        return ""
    if t is bool:
        return "TRUE" if v else "FALSE"
    if t is float or t is int:
        return number_text(float(v))
    return v  # an error


def num_result(x):
    """A float result, or #NUM! for inf/nan (Excel never holds them)."""
    if x != x or x in (math.inf, -math.inf):
        return NUM
    return x


# ---------------------------------------------------------------- operators
def _power(a, b):
    # Excel: 0^0 is #NUM!, 0^-1 is #DIV/0!, (-8)^(1/3) is #NUM! (no complex results)
    if a == 0.0:
        if b == 0.0:
            return NUM
        if b < 0:
            return DIV0
    if a < 0 and b != int(b):
        return NUM
    try:
        return num_result(math.pow(a, b))
    except (OverflowError, ValueError):
        return NUM


def arith(op, a, b):
    """a op b for scalars, Excel-style: convert, propagate the left error first."""
    x = a if type(a) is float else to_number(a)
    y = b if type(b) is float else to_number(b)
    if type(x) is ExcelError:
        return x
    if type(y) is ExcelError:
        return y
    if op == "+":
        r = x + y
    elif op == "-":
        r = x - y
    elif op == "*":
        r = x * y
    elif op == "/":
        if y == 0.0:
            return DIV0
        r = x / y
    else:
        return _power(x, y)
    if r - r != 0.0:    # inf or nan
        return NUM
    return r


_TYPE_RANK = {float: 0, int: 0, str: 1, bool: 2}


def compare(op, a, b):
    """a op b, Excel's order: numbers < text < booleans; text case-insensitive; blank is 0, "" or FALSE."""
    if type(a) is ExcelError:
        return a
    if type(b) is ExcelError:
        return b
    if a is None:
        a = "" if type(b) is str else (False if type(b) is bool else 0.0)
    if b is None:
        b = "" if type(a) is str else (False if type(a) is bool else 0.0)
    ra, rb = _TYPE_RANK.get(type(a), 0), _TYPE_RANK.get(type(b), 0)
    if ra != rb:
        c = -1 if ra < rb else 1
    else:
        if ra == 1:
            a, b = a.lower(), b.lower()
        c = -1 if a < b else (1 if a > b else 0)
    if op == "=":
        return c == 0
    if op == "<>":
        return c != 0
    if op == "<":
        return c < 0
    if op == ">":
        return c > 0
    if op == "<=":
        return c <= 0
    return c >= 0


MAX_TEXT = 32767     # Excel's limit on the characters of one cell's text


def concat(a, b):
    x, y = to_text(a), to_text(b)
    if type(x) is ExcelError:
        return x
    if type(y) is ExcelError:
        return y
    if len(x) + len(y) > MAX_TEXT:
        return VALUE     # Excel: text longer than 32,767 characters is #VALUE! (and no doubling bomb)
    return x + y


def binary(op, a, b):
    if op in ("+", "-", "*", "/", "^"):
        return arith(op, a, b)
    if op == "&":
        return concat(a, b)
    return compare(op, a, b)


def broadcast(f, *args):
    """Apply scalar f element by element; Excel's array rules: 1x1 and single rows/columns
    stretch, otherwise the result is as large as the largest argument and #N/A outside."""
    arrays = [a for a in args if type(a) is Array]
    if not arrays:
        return f(*args)
    h = max(a.shape[0] for a in arrays)
    w = max(a.shape[1] for a in arrays)
    out = []
    for i in range(h):
        row = []
        for j in range(w):
            vals = []
            for a in args:
                if type(a) is Array:
                    ah, aw = a.shape
                    ii = 0 if ah == 1 else i
                    jj = 0 if aw == 1 else j
                    if ii >= ah or jj >= aw:
                        vals = None
                        break
                    vals.append(a.rows[ii][jj])
                else:
                    vals.append(a)
            row.append(NA if vals is None else f(*vals))
        out.append(row)
    return Array(out)


# ---------------------------------------------------------------- registry
FUNCTIONS = {}   # NAME -> (mode, impl)


def register(name, mode):
    def deco(impl):
        for n in name.split():
            FUNCTIONS[n] = (mode, impl)
        return impl
    return deco


def scalar_math(names, nargs_min=1, nargs_max=1):
    """Register f(*floats) -> float|ExcelError as a lifted scalar function with number conversion."""
    def deco(f):
        def impl(ctx, *args):
            if not nargs_min <= len(args) <= nargs_max:
                return VALUE
            return broadcast(lambda *vs: _apply_numbers(f, vs), *args)
        for n in names.split():
            FUNCTIONS[n] = ("scalar", impl)
        return f
    return deco


def _apply_numbers(f, vs):
    xs = []
    for v in vs:
        if v is _MISSING:
            xs.append(None)
            continue
        x = v if type(v) is float else to_number(v)
        if type(x) is ExcelError:
            return x
        xs.append(x)
    try:
        r = f(*xs)
    except (OverflowError, ValueError, ZeroDivisionError):
        return NUM
    return num_result(r) if type(r) is float else r


class _MissingArg:
    def __repr__(self):
        return "<missing>"


_MISSING = _MissingArg()    # an omitted argument (IF(A1,,2)), as functions see it
MISSING = _MISSING


# ---------------------------------------------------------------- math
@scalar_math("ABS")
def _abs(x):
    return abs(x)


@scalar_math("SQRT")
def _sqrt(x):
    return NUM if x < 0 else math.sqrt(x)


@scalar_math("EXP")
def _exp(x):
    return math.exp(x)   # OverflowError -> #NUM!


@scalar_math("LN")
def _ln(x):
    return NUM if x <= 0 else math.log(x)


@scalar_math("LOG10")
def _log10(x):
    return NUM if x <= 0 else math.log10(x)


@scalar_math("LOG", 1, 2)
def _log(x, base=None):
    if base is None:
        base = 10.0
    if x <= 0 or base <= 0:
        return NUM
    if base == 1:
        return DIV0
    return math.log10(x) if base == 10.0 else math.log(x) / math.log(base)


@scalar_math("POWER", 2, 2)
def _pow(x, y):
    return _power(x, y)


@scalar_math("SIGN")
def _sign(x):
    return 1.0 if x > 0 else (-1.0 if x < 0 else 0.0)


@scalar_math("INT")
def _int(x):
    return float(math.floor(x))


@scalar_math("MOD", 2, 2)
def _mod(n, d):
    # Excel: MOD(n, d) = n - d*INT(n/d); the result has the sign of d
    if d == 0:
        return DIV0
    return n - d * math.floor(n / d)


def _round_decimal(x, digits, rounding):
    digits = int(max(-400.0, min(400.0, digits)))   # Excel truncates num_digits; beyond +-400 nothing changes
    if digits >= 400:
        return x
    q = Decimal(1).scaleb(-digits)
    return float(Decimal(repr(x)).quantize(q, rounding=rounding))


@scalar_math("ROUND", 2, 2)
def _round(x, digits):
    # Excel rounds half away from zero on the decimal digits shown: ROUND(2.5,0)=3, ROUND(-2.5,0)=-3
    return _round_decimal(x, digits, ROUND_HALF_UP)


@scalar_math("ROUNDDOWN", 2, 2)
def _rounddown(x, digits):
    from decimal import ROUND_DOWN
    return _round_decimal(x, digits, ROUND_DOWN)


@scalar_math("ROUNDUP", 2, 2)
def _roundup(x, digits):
    from decimal import ROUND_UP
    return _round_decimal(x, digits, ROUND_UP)


@scalar_math("CEILING", 1, 2)
def _ceiling(x, sig=None):
    # Excel CEILING(number, significance): positive number with negative significance is #NUM!
    if sig is None:
        sig = 1.0
    if sig == 0:
        return 0.0
    if x > 0 and sig < 0:
        return NUM
    if x < 0 and sig < 0:      # both negative: away from zero, CEILING(-2.5,-2) = -4
        return -(math.ceil(-x / -sig) * -sig)
    return math.ceil(x / sig) * sig


@scalar_math("CEILING.MATH CEILING.PRECISE ISO.CEILING", 1, 3)
def _ceiling_math(x, sig=None, mode=None):
    # CEILING.MATH(number, [significance=1], [mode]): the significance's sign is ignored;
    # negative numbers round toward zero unless mode is non-zero (then away from zero)
    sig = 1.0 if sig is None else abs(sig)
    if sig == 0:
        return 0.0
    if x < 0 and mode:
        return -math.ceil(-x / sig) * sig
    return math.ceil(x / sig) * sig


@scalar_math("FLOOR", 1, 2)
def _floor(x, sig=None):
    # Excel FLOOR(number, significance): positive number with negative significance is #NUM!
    if sig is None:
        sig = 1.0
    if sig == 0:
        return DIV0 if x != 0 else 0.0
    if x > 0 and sig < 0:
        return NUM
    if x < 0 and sig < 0:      # both negative: toward zero, FLOOR(-2.5,-2) = -2
        return -(math.floor(-x / -sig) * -sig)
    return math.floor(x / sig) * sig


@scalar_math("FLOOR.MATH FLOOR.PRECISE", 1, 3)
def _floor_math(x, sig=None, mode=None):
    sig = 1.0 if sig is None else abs(sig)
    if sig == 0:
        return 0.0
    if x < 0 and mode:
        return -math.floor(-x / sig) * sig
    return math.floor(x / sig) * sig


@scalar_math("TANH")
def _tanh(x):
    return math.tanh(x)


@scalar_math("SIN")
def _sin(x):
    return math.sin(x)


@scalar_math("COS")
def _cos(x):
    return math.cos(x)


@scalar_math("TAN")
def _tan(x):
    return math.tan(x)


@scalar_math("ATAN")
def _atan(x):
    return math.atan(x)


@scalar_math("PI", 0, 0)
def _pi():
    return math.pi


@register("TRUE", "values")
def _true(ctx):
    return True


@register("FALSE", "values")
def _false(ctx):
    return False


@register("NA", "values")
def _na(ctx):
    return NA   # NA(): "no value here" (charts leave a gap)


# ---------------------------------------------------------------- logic
def _branch(ctx, node):
    return 0.0 if node is None else ctx.eval_arg(node)


@register("IF", "lazy")
def _if(ctx, *nodes):
    if not 2 <= len(nodes) <= 3:
        return VALUE
    cond = ctx.value_of(ctx.eval_arg(nodes[0]))
    yes = nodes[1]
    no = nodes[2] if len(nodes) == 3 else None

    def pick(c, a, b):
        c = to_bool(c)
        if type(c) is ExcelError:
            return c
        return a if c else b

    if type(cond) is Array:
        a = ctx.value_of(_branch(ctx, yes))
        b = ctx.value_of(_branch(ctx, no)) if no is not None else False
        return broadcast(pick, cond, a, b)
    c = to_bool(cond)
    if type(c) is ExcelError:
        return c
    if c:
        return _branch(ctx, yes)
    return _branch(ctx, no) if no is not None else False


@register("IFERROR", "lazy")
def _iferror(ctx, *nodes):
    if len(nodes) != 2:
        return VALUE
    v = ctx.value_of(ctx.eval_arg(nodes[0]))
    if type(v) is Array:
        alt = ctx.value_of(_branch(ctx, nodes[1]))
        return broadcast(lambda x, y: y if type(x) is ExcelError else x, v, alt)
    if type(v) is ExcelError:
        return _branch(ctx, nodes[1])
    return v


@register("IFNA", "lazy")
def _ifna(ctx, *nodes):
    if len(nodes) != 2:
        return VALUE
    v = ctx.value_of(ctx.eval_arg(nodes[0]))
    if type(v) is Array:
        alt = ctx.value_of(_branch(ctx, nodes[1]))
        return broadcast(lambda x, y: y if x is NA else x, v, alt)
    return _branch(ctx, nodes[1]) if v is NA else v


def _logical_values(args):
    """AND/OR inputs: booleans and numbers; text and blanks in ranges are ignored; direct text is #VALUE!."""
    out = []
    for a in args:
        if type(a) is Array:
            for v in a.flat():
                if type(v) is ExcelError:
                    return v
                if type(v) is bool or type(v) is float:
                    out.append(bool(v))
        elif a is _MISSING:
            out.append(False)
        else:
            b = to_bool(a)
            if type(b) is ExcelError:
                return b
            out.append(b)
    return out if out else VALUE


@register("AND", "values")
def _and(ctx, *args):
    vs = _logical_values(args)
    return vs if type(vs) is ExcelError else all(vs)


@register("OR", "values")
def _or(ctx, *args):
    vs = _logical_values(args)
    return vs if type(vs) is ExcelError else any(vs)


@register("NOT", "scalar")
def _not(ctx, *args):
    if len(args) != 1:
        return VALUE

    def f(v):
        b = to_bool(v)
        return b if type(b) is ExcelError else not b
    return broadcast(f, args[0])


def _is(pred):
    def impl(ctx, *args):
        if len(args) != 1:
            return VALUE
        return broadcast(pred, args[0])
    return impl


FUNCTIONS["ISBLANK"] = ("scalar", _is(lambda v: v is None))
FUNCTIONS["ISNUMBER"] = ("scalar", _is(lambda v: type(v) is float or type(v) is int))
FUNCTIONS["ISTEXT"] = ("scalar", _is(lambda v: type(v) is str))
FUNCTIONS["ISNONTEXT"] = ("scalar", _is(lambda v: type(v) is not str))
FUNCTIONS["ISLOGICAL"] = ("scalar", _is(lambda v: type(v) is bool))
FUNCTIONS["ISERROR"] = ("scalar", _is(lambda v: type(v) is ExcelError))
FUNCTIONS["ISERR"] = ("scalar", _is(lambda v: type(v) is ExcelError and v is not NA))
FUNCTIONS["ISNA"] = ("scalar", _is(lambda v: v is NA))


# ---------------------------------------------------------------- aggregates
def _numbers(args, direct_text=True):
    """Numbers for SUM/AVERAGE/MAX...: in ranges and arrays only numbers count (text, booleans,
    blanks ignored); typed directly, booleans and numeric text count and other text is #VALUE!.
    Returns a list of floats or the first error met."""
    out = []
    for a in args:
        if type(a) is Array:
            for row in a.rows:
                for v in row:
                    t = type(v)
                    if t is float:
                        out.append(v)
                    elif t is ExcelError:
                        return v
        elif a is _MISSING or a is None:
            continue
        else:
            x = to_number(a)
            if type(x) is ExcelError:
                return x
            out.append(x)
    return out


def _aggregate(name):
    def deco(f):
        def impl(ctx, *args):
            xs = _numbers(args)
            if type(xs) is ExcelError:
                return xs
            try:
                r = f(xs)
            except (OverflowError, ValueError, ZeroDivisionError):
                return NUM
            return num_result(r) if type(r) is float else r
        for n in name.split():
            FUNCTIONS[n] = ("values", impl)
        return f
    return deco


def _plain_sum(xs):
    s = 0.0
    for x in xs:
        s += x
    return s


@_aggregate("SUM")
def _sum(xs):
    return _plain_sum(xs)


@_aggregate("SUMSQ")
def _sumsq(xs):
    return _plain_sum([x * x for x in xs])


@_aggregate("AVERAGE")
def _average(xs):
    return DIV0 if not xs else _plain_sum(xs) / len(xs)


@_aggregate("MAX")
def _max(xs):
    return max(xs) if xs else 0.0


@_aggregate("MIN")
def _min(xs):
    return min(xs) if xs else 0.0


@_aggregate("PRODUCT")
def _product(xs):
    p = 1.0
    for x in xs:
        p *= x
    return p if xs else 0.0


def _var_p(xs):
    if not xs:
        return DIV0
    mean = _plain_sum(xs) / len(xs)
    return _plain_sum([(x - mean) ** 2 for x in xs]) / len(xs)


def _var_s(xs):
    if len(xs) < 2:
        return DIV0
    mean = _plain_sum(xs) / len(xs)
    return _plain_sum([(x - mean) ** 2 for x in xs]) / (len(xs) - 1)


_aggregate("VAR.P VARP")(_var_p)
_aggregate("VAR.S VAR")(_var_s)


@_aggregate("STDEV.P STDEVP")
def _stdev_p(xs):
    v = _var_p(xs)
    return v if type(v) is ExcelError else math.sqrt(v)


@_aggregate("STDEV.S STDEV")
def _stdev_s(xs):
    v = _var_s(xs)
    return v if type(v) is ExcelError else math.sqrt(v)


@register("COUNT", "values")
def _count(ctx, *args):
    # COUNT: numbers in ranges; typed directly, numbers, booleans and numeric text count
    n = 0
    for a in args:
        if type(a) is Array:
            n += sum(1 for v in a.flat() if type(v) is float)
        elif a is not _MISSING and a is not None and type(a) is not ExcelError:
            n += type(to_number(a)) is float
    return float(n)


@register("COUNTA", "values")
def _counta(ctx, *args):
    # COUNTA: every non-blank value, "" and errors included
    n = 0
    for a in args:
        if type(a) is Array:
            n += sum(1 for v in a.flat() if v is not None)
        elif a is not _MISSING:
            n += 1
    return float(n)


@register("COUNTBLANK", "values")
def _countblank(ctx, *args):
    # COUNTBLANK: blank cells and cells holding "" count
    if len(args) != 1 or type(args[0]) is not Array:
        return VALUE
    return float(sum(1 for v in args[0].flat() if v is None or v == ""))


def _as_array(a):
    if type(a) is Array:
        return a
    return Array([[a]])


@register("SUMPRODUCT", "values")
def _sumproduct(ctx, *args):
    # SUMPRODUCT: arrays of one shape (else #VALUE!); non-numeric entries count as 0; errors propagate
    if not args:
        return VALUE
    arrays = [_as_array(a) for a in args]
    shape = arrays[0].shape
    if any(a.shape != shape for a in arrays):
        return VALUE
    flats = [a.flat() for a in arrays]
    total = 0.0
    for vals in zip(*flats):
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
    return num_result(total)


def _pairs(x, y, f):
    """SUMXMY2 and friends: pairs in row-major order; a pair with a blank, text or boolean is
    skipped; different counts of values -> #N/A; errors propagate."""
    a, b = _as_array(x).flat(), _as_array(y).flat()
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
    return num_result(total)


@register("SUMXMY2", "values")
def _sumxmy2(ctx, x, y):
    return _pairs(x, y, lambda u, v: (u - v) ** 2)


@register("SUMX2MY2", "values")
def _sumx2my2(ctx, x, y):
    return _pairs(x, y, lambda u, v: u * u - v * v)


@register("SUMX2PY2", "values")
def _sumx2py2(ctx, x, y):
    return _pairs(x, y, lambda u, v: u * u + v * v)


@register("MMULT", "values")
def _mmult(ctx, *args):
    # MMULT: columns of a = rows of b, else #VALUE!; an empty or text cell is #VALUE!
    if len(args) != 2:
        return VALUE
    a, b = _as_array(args[0]), _as_array(args[1])
    (n, k), (k2, m) = a.shape, b.shape
    if k != k2:
        return VALUE
    for v in a.flat() + b.flat():
        if type(v) is ExcelError:
            return v
        if type(v) is not float:
            return VALUE
    if n * k * m > 100_000:    # large: NumPy (a hostile file must not take minutes)
        prod = np.array(a.rows, dtype=float) @ np.array(b.rows, dtype=float)
        return Array([[num_result(x) for x in row] for row in prod.tolist()])
    bcols = [[b.rows[i][j] for i in range(k)] for j in range(m)]
    out = []
    for arow in a.rows:
        row = []
        for bcol in bcols:
            s = 0.0
            for u, v in zip(arow, bcol):
                s += u * v
            row.append(num_result(s))
        out.append(row)
    return Array(out)


@register("TRANSPOSE", "values")
def _transpose(ctx, a):
    a = _as_array(a)
    return Array([list(col) for col in zip(*a.rows)])


# ---------------------------------------------------------------- lookup and reference
def _int_arg(v):
    x = to_number(v)
    if type(x) is ExcelError:
        return x
    return int(math.floor(x)) if x >= 0 else int(math.ceil(x))


@register("ROW", "refs")
def _row(ctx, ref=_MISSING):
    if ref is _MISSING:
        return float(ctx.row)
    if type(ref) is not Range:
        return VALUE
    if ref.r1 == ref.r2 or not ctx.array_mode:
        return float(ref.r1)
    return Array([[float(r)] for r in range(ref.r1, ref.r2 + 1)])


@register("COLUMN", "refs")
def _column(ctx, ref=_MISSING):
    if ref is _MISSING:
        return float(ctx.col)
    if type(ref) is not Range:
        return VALUE
    if ref.c1 == ref.c2 or not ctx.array_mode:
        return float(ref.c1)
    return Array([[float(c) for c in range(ref.c1, ref.c2 + 1)]])


@register("ROWS", "refs")
def _rows(ctx, ref):
    if type(ref) in (Range, Array):
        return float(ref.shape[0])
    return ref if type(ref) is ExcelError else 1.0


@register("COLUMNS", "refs")
def _columns(ctx, ref):
    if type(ref) in (Range, Array):
        return float(ref.shape[1])
    return ref if type(ref) is ExcelError else 1.0


@register("OFFSET", "refs")
def _offset(ctx, ref, rows=_MISSING, cols=_MISSING, height=_MISSING, width=_MISSING):
    # OFFSET(reference, rows, cols, [height], [width]): a reference; off the grid -> #REF!
    if type(ref) is ExcelError:
        return ref
    if type(ref) is not Range:
        return VALUE
    nums = []
    for v, default in ((rows, 0), (cols, 0), (height, ref.shape[0]), (width, ref.shape[1])):
        if v is _MISSING:
            nums.append(default)
            continue
        v = ctx.value_of(v)
        if type(v) is Array:
            return VALUE
        x = _int_arg(v)
        if type(x) is ExcelError:
            return x
        nums.append(x)
    dr, dc, h, w = nums
    if h == 0 or w == 0:
        return REF
    r1, c1 = ref.r1 + dr, ref.c1 + dc
    r2, c2 = r1 + h - 1 if h > 0 else r1, c1 + w - 1 if w > 0 else c1
    if h < 0:
        r1, r2 = r1 + h + 1, r1
    if w < 0:
        c1, c2 = c1 + w + 1, c1
    if r1 < 1 or c1 < 1 or r2 > MAX_ROW or c2 > MAX_COL:
        return REF
    return Range(ref.sheet, r1, c1, r2, c2)


@register("INDEX", "refs")
def _index(ctx, ref, row=_MISSING, col=_MISSING, area=_MISSING):
    # INDEX(array, row_num, [column_num]): row or column 0 means the whole column or row;
    # out of range -> #REF!; a one-row or one-column block takes a single index along it
    if type(ref) is ExcelError:
        return ref
    if type(ref) not in (Range, Array):
        ref = Array([[ref]])
    h, w = ref.shape
    idx = []
    for v in (row, col):
        if v is _MISSING:
            idx.append(None)
            continue
        v = ctx.value_of(v)
        if type(v) is Array:
            return VALUE
        x = _int_arg(v)
        if type(x) is ExcelError:
            return x
        idx.append(x)
    r, c = idx
    if c is None and (h == 1) and w > 1:
        r, c = 1, r     # INDEX(A1:E1, 3) is the 3rd column
    r = 0 if r is None else r
    c = 0 if c is None else c
    if c == 0 and w == 1:
        c = 1
    if r == 0 and h == 1:
        r = 1
    if r < 0 or c < 0 or r > h or c > w:
        return REF
    if type(ref) is Range:
        r1, r2 = (ref.r1, ref.r2) if r == 0 else (ref.r1 + r - 1,) * 2
        c1, c2 = (ref.c1, ref.c2) if c == 0 else (ref.c1 + c - 1,) * 2
        return Range(ref.sheet, r1, c1, r2, c2)
    rows = ref.rows if r == 0 else [ref.rows[r - 1]]
    if c != 0:
        rows = [[row[c - 1]] for row in rows]
    return rows[0][0] if len(rows) == 1 and len(rows[0]) == 1 else Array(rows)


def _wildcard_match(pattern, text):
    """Excel's wildcards (* any run, ? one character, ~ escapes), case-insensitive, matched
    with two pointers in O(len(pattern) * len(text)): no regular expression to backtrack."""
    p, t = [], text.lower()
    i, pat = 0, pattern.lower()
    while i < len(pat):          # tokens: ("*",), ("?",) or a literal character
        ch = pat[i]
        if ch == "~" and i + 1 < len(pat):
            p.append(("lit", pat[i + 1]))
            i += 2
            continue
        p.append(("star",) if ch == "*" else ("any",) if ch == "?" else ("lit", ch))
        i += 1
    pi = ti = 0
    star, mark = -1, 0
    while ti < len(t):
        if pi < len(p) and (p[pi][0] == "any" or (p[pi][0] == "lit" and p[pi][1] == t[ti])):
            pi += 1
            ti += 1
        elif pi < len(p) and p[pi][0] == "star":
            star, mark = pi, ti
            pi += 1
        elif star >= 0:
            pi = star + 1
            mark += 1
            ti = mark
        else:
            return False
    while pi < len(p) and p[pi][0] == "star":
        pi += 1
    return pi == len(p)


def _same_kind(a, b):
    ta, tb = type(a), type(b)
    return (ta is tb) or (ta in (float, int) and tb in (float, int))


@register("MATCH", "values")
def _match(ctx, lookup, array, match_type=1.0):
    # MATCH(lookup, array, [type]): 1 -> largest value <= lookup (sorted ascending, binary
    # search like Excel), 0 -> first exact match (text case-insensitive, wildcards * ?),
    # -1 -> smallest value >= lookup (sorted descending). Not found -> #N/A.
    if type(lookup) is Array:
        lookup = lookup.rows[0][0] if lookup.shape == (1, 1) else VALUE
    if type(lookup) is ExcelError:
        return lookup
    if lookup is None:
        lookup = 0.0
    if type(array) is not Array:
        array = Array([[array]])
    h, w = array.shape
    if h != 1 and w != 1:
        return NA
    vals = array.flat()
    mt = to_number(ctx.value_of(match_type)) if match_type is not _MISSING else 1.0
    if type(mt) is ExcelError:
        return mt
    if mt == 0:
        if type(lookup) is str and any(ch in lookup for ch in "*?~"):
            for i, v in enumerate(vals):
                if type(v) is str and _wildcard_match(lookup, v):
                    return float(i + 1)
            return NA
        for i, v in enumerate(vals):
            if v is not None and _same_kind(v, lookup) and compare("=", v, lookup) is True:
                return float(i + 1)
        return NA
    # binary search over the values of the lookup's kind, as Excel does on sorted data; an
    # exact hit at a probe returns the last of its run of equal values (Excel's observed
    # behaviour: MATCH(1,{1,0}) is 1 and MATCH(1,{0,1}) is 2, as entropy_example.xlsx caches)
    desc = mt < 0
    better = ">" if desc else "<"
    lo, hi, best = 0, len(vals) - 1, -1
    while lo <= hi:
        mid = (lo + hi) // 2
        m = mid      # skip values of another kind (text among numbers), looking left then right
        while m >= lo and not (vals[m] is not None and _same_kind(vals[m], lookup)):
            m -= 1
        if m < lo:
            m = mid + 1
            while m <= hi and not (vals[m] is not None and _same_kind(vals[m], lookup)):
                m += 1
            if m > hi:
                break
        v = vals[m]
        if compare("=", v, lookup) is True:
            while m + 1 < len(vals) and vals[m + 1] is not None and _same_kind(vals[m + 1], lookup) \
                    and compare("=", vals[m + 1], lookup) is True:
                m += 1
            return float(m + 1)
        if compare(better, v, lookup) is True:
            best = m
            lo = m + 1
        else:
            hi = m - 1
    return NA if best < 0 else float(best + 1)


@register("CHOOSE", "lazy")
def _choose(ctx, *nodes):
    if len(nodes) < 2:
        return VALUE
    i = ctx.value_of(ctx.eval_arg(nodes[0]))
    if type(i) is Array:
        return VALUE
    k = _int_arg(i)
    if type(k) is ExcelError:
        return k
    if not 1 <= k < len(nodes):
        return VALUE
    return _branch(ctx, nodes[k])


# ---------------------------------------------------------------- more lookups, conditional aggregates, text
def _lookup(vertical):
    # VLOOKUP(lookup, table, col_index, [range_lookup=TRUE]): MATCH on the first column (type 1
    # when range_lookup is TRUE, else exact), then that row's col_index-th value;
    # col_index < 1 -> #VALUE!, beyond the table -> #REF!, not found -> #N/A (HLOOKUP: rows)
    def impl(ctx, lookup, table, index, approximate=True):
        if type(table) is not Array:
            table = Array([[table]])
        k = _int_arg(ctx.value_of(index))
        if type(k) is ExcelError:
            return k
        h, w = table.shape
        if k < 1:
            return VALUE
        if k > (w if vertical else h):
            return REF
        approx = approximate if approximate is not _MISSING else True
        approx = to_bool(approx)
        if type(approx) is ExcelError:
            return approx
        keys = Array([[row[0]] for row in table.rows]) if vertical else Array([table.rows[0]])
        pos = _match(ctx, lookup, keys, 1.0 if approx else 0.0)
        if type(pos) is ExcelError:
            return pos
        i = int(pos) - 1
        return table.rows[i][k - 1] if vertical else table.rows[k - 1][i]
    return impl


FUNCTIONS["VLOOKUP"] = ("values", _lookup(True))
FUNCTIONS["HLOOKUP"] = ("values", _lookup(False))

_CRITERION = re.compile(r"^(<=|>=|<>|=|<|>)?(.*)$", re.DOTALL)


def _criterion(crit):
    """Excel's criteria (COUNTIF, SUMIF ...): a value means equal; text may start with
    = <> < > <= >=; "=" with text uses wildcards * ? ~; case is ignored. Returns a predicate."""
    if type(crit) is Array:
        crit = crit.rows[0][0]
    if crit is None:
        crit = ""
    if type(crit) is not str:
        return lambda v: type(v) is type(crit) and v == crit if type(crit) is bool else \
            (type(v) is float and v == crit)
    m = _CRITERION.match(crit)
    op, operand = m.group(1) or "=", m.group(2)
    x = to_number(operand) if operand.strip() != "" else VALUE
    number = type(x) is float
    if operand.upper() in ("TRUE", "FALSE"):
        target = operand.upper() == "TRUE"
        cmp = lambda v: type(v) is bool and compare(op, v, target) is True  # noqa: E731
        return cmp
    if operand == "":
        if op == "=":
            return lambda v: v is None or v == ""
        if op == "<>":
            return lambda v: not (v is None or v == "")
        return lambda v: False
    if number:
        return lambda v: type(v) is float and compare(op, v, x) is True
    if op in ("=", "<>"):
        wild = any(ch in operand for ch in "*?~")
        low = operand.lower()

        def eq(v):
            if type(v) is not str:
                return False
            return _wildcard_match(operand, v) if wild else v.lower() == low
        if op == "=" and not wild:
            eq.text_lower = low         # see _matching: a range's few distinct texts tested once
        return eq if op == "=" else (lambda v: not eq(v))
    return lambda v: type(v) is str and compare(op, v, operand) is True


def _conditional(ctx, pairs):
    """The cells (as flat indices) meeting every (range, criterion) pair; #VALUE! on shape mismatch."""
    shape, keep = None, None
    for rng, crit in pairs:
        if type(rng) is not Array:
            return VALUE
        if shape is None:
            shape = rng.shape
        elif rng.shape != shape:
            return VALUE
        pred = _criterion(ctx.value_of(crit))
        ok = _matching(pred, rng.flat())
        keep = ok if keep is None else [a and b for a, b in zip(keep, ok)]
    return keep


def _matching(pred, values):
    """[pred(v) for v in values]; for a plain text criterion ("train"), the distinct texts of the
    range are tested once and each cell looked up (100k cells holding two texts: ~20x faster).
    A value equals one of those texts only if it is that text (floats, bools, errors never do)."""
    low = getattr(pred, "text_lower", None)
    if low is None:
        return [pred(v) for v in values]
    try:
        distinct = set(values)
    except TypeError:
        return [pred(v) for v in values]
    hits = {v for v in distinct if type(v) is str and v.lower() == low}
    return list(map(hits.__contains__, values))


@register("COUNTIF", "values")
def _countif(ctx, rng, crit):
    keep = _conditional(ctx, [(rng, crit)])
    return keep if type(keep) is ExcelError else float(sum(keep))


@register("COUNTIFS", "values")
def _countifs(ctx, *args):
    if not args or len(args) % 2:
        return VALUE
    keep = _conditional(ctx, list(zip(args[::2], args[1::2])))
    return keep if type(keep) is ExcelError else float(sum(keep))


def _sum_kept(values, keep, average=False):
    xs = list(compress(values.flat(), keep))
    kinds = set(map(type, xs))
    if ExcelError in kinds:             # the first error kept, in the range's order
        return next(v for v in xs if type(v) is ExcelError)
    if kinds - {float}:
        xs = [v for v in xs if type(v) is float]
    if average:
        return DIV0 if not xs else num_result(_plain_sum(xs) / len(xs))
    return num_result(_plain_sum(xs))


def _sumif(average):
    def impl(ctx, rng, crit, sum_range=_MISSING):
        # SUMIF(range, criteria, [sum_range]): sum_range defaults to range (same shape used)
        keep = _conditional(ctx, [(rng, crit)])
        if type(keep) is ExcelError:
            return keep
        values = rng if sum_range is _MISSING else sum_range
        if type(values) is not Array or values.shape != rng.shape:
            return VALUE
        return _sum_kept(values, keep, average)
    return impl


FUNCTIONS["SUMIF"] = ("values", _sumif(False))
FUNCTIONS["AVERAGEIF"] = ("values", _sumif(True))


def _sumifs(average):
    def impl(ctx, values, *args):
        # SUMIFS(sum_range, range1, criteria1, ...): every range the shape of sum_range
        if not args or len(args) % 2 or type(values) is not Array:
            return VALUE
        pairs = list(zip(args[::2], args[1::2]))
        if any(type(r) is not Array or r.shape != values.shape for r, _ in pairs):
            return VALUE
        keep = _conditional(ctx, pairs)
        return keep if type(keep) is ExcelError else _sum_kept(values, keep, average)
    return impl


FUNCTIONS["SUMIFS"] = ("values", _sumifs(False))
FUNCTIONS["AVERAGEIFS"] = ("values", _sumifs(True))


def _kth(largest):
    def impl(ctx, array, k):
        # LARGE/SMALL(array, k): numbers only; k < 1 or beyond the count -> #NUM!
        xs = _numbers([array if type(array) is Array else Array([[array]])])
        if type(xs) is ExcelError:
            return xs
        kk = to_number(ctx.value_of(k))
        if type(kk) is ExcelError:
            return kk
        kk = math.ceil(kk)
        if kk < 1 or kk > len(xs):
            return NUM
        return sorted(xs, reverse=largest)[kk - 1]
    return impl


FUNCTIONS["LARGE"] = ("values", _kth(True))
FUNCTIONS["SMALL"] = ("values", _kth(False))


@_aggregate("MEDIAN")
def _median(xs):
    if not xs:
        return NUM
    ys = sorted(xs)
    n = len(ys)
    return ys[n // 2] if n % 2 else (ys[n // 2 - 1] + ys[n // 2]) / 2


@register("CONCATENATE CONCAT", "values")
def _concatenate(ctx, *args):
    out = ""
    for a in args:
        for v in (a.flat() if type(a) is Array else [a]):
            if v is _MISSING:
                continue
            out = concat(out, v)
            if type(out) is ExcelError:
                return out
    return out


@register("LEN", "scalar")
def _len(ctx, *args):
    if len(args) != 1:
        return VALUE

    def f(v):
        t = to_text(v)
        return t if type(t) is ExcelError else float(len(t))
    return broadcast(f, args[0])


@register("N", "scalar")
def _n(ctx, *args):
    if len(args) != 1:
        return VALUE
    return broadcast(lambda v: v if type(v) in (float, ExcelError) else (float(v) if type(v) is bool else 0.0),
                     args[0])


# ---------------------------------------------------------------- volatile (never computed here)
@register("RAND RANDBETWEEN NOW TODAY RANDARRAY", "values")
def _volatile(ctx, *args):
    return NAME   # the engine keeps the cell's cached value instead; see VOLATILE


SUPPORTED = frozenset(FUNCTIONS)
