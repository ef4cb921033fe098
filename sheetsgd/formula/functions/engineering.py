"""Engineering functions (Excel's category "Engineering"): number bases, bits, DELTA, GESTEP
and the error function. The Bessel functions are in bessel.py, the complex numbers (COMPLEX,
IM...) in complex.py, CONVERT's units in convert.py.

Like every function that came from the Analysis ToolPak, these take TRUE and FALSE as #VALUE!
(atp.py).
"""
import math

from ..values import NUM, ExcelError
from . import atp
from .registry import MS_EXCEL, registrar

function = registrar("engineering")

_GIVEN_NOT = object()        # an optional argument not written at all (not even empty)


# ---------------------------------------------------------------- number bases
# Every base is 10 digits wide and signed: the top half of the 10-digit numbers are negative
# (two's complement), so DEC2BIN takes -512..511, DEC2OCT -2^29..2^29-1, DEC2HEX -2^39..2^39-1.
_BASES = {"BIN": 2, "OCT": 8, "DEC": 10, "HEX": 16}
_DIGITS = "0123456789ABCDEF"


def _half(base):
    return base ** 10 // 2


def _parse_digits(v, base):
    """A BIN/OCT/HEX argument (text, or a number read as its digits) -> its signed value."""
    s = atp.text(v)
    if type(s) is ExcelError:
        return s
    if len(s) > 10:
        return NUM
    s = s.upper()
    if any(c not in _DIGITS[:base] for c in s):
        return NUM
    n = int(s, base) if s else 0
    if len(s) == 10 and n >= _half(base):
        n -= base ** 10
    return n


def _places(places):
    """The places argument: None when not given; 1..10 (truncated), else #NUM! (#VALUE! for text).
    Excel checks it before the number, and even where a negative number ignores it."""
    if places is _GIVEN_NOT:
        return None
    p = atp.integer(places)
    if type(p) is ExcelError:
        return p
    return NUM if p <= 0 or p > 10 else int(p)


def _format_digits(n, base, places):
    """n (an int) in `base`, 10 digits wide in two's complement when negative (places is then
    ignored), else padded with zeros to `places` characters (None: as few as needed)."""
    half = _half(base)
    if n < -half or n >= half:
        return NUM
    negative = n < 0
    if negative:
        n += base ** 10
    s = ""
    while True:
        n, d = divmod(n, base)
        s = _DIGITS[d] + s
        if n == 0:
            break
    if places is None or negative:
        return s
    return NUM if places < len(s) else s.rjust(places, "0")


def _convert_base(src, dst):
    sb, db = _BASES[src], _BASES[dst]
    name = f"{src}2{dst}"
    doc = MS_EXCEL + name.lower() + "-function"
    if dst == "DEC":
        @function(name, "values", context=True, doc=doc)
        @atp.scalars
        def to_dec(number):
            n = _parse_digits(number, sb)
            return n if type(n) is ExcelError else float(n)
        return to_dec
    if src == "DEC":
        @function(name, "values, values?", context=True, doc=doc)
        @atp.scalars
        def from_dec(number, places=_GIVEN_NOT):
            places = _places(places)
            if type(places) is ExcelError:
                return places
            x = atp.number(number)
            if type(x) is ExcelError:
                return x
            if abs(x) >= 1e15:
                return NUM
            return _format_digits(int(math.trunc(x)), db, places)
        return from_dec

    @function(name, "values, values?", context=True, doc=doc)
    @atp.scalars
    def convert(number, places=_GIVEN_NOT):
        places = _places(places)
        if type(places) is ExcelError:
            return places
        n = _parse_digits(number, sb)
        if type(n) is ExcelError:
            return n
        return _format_digits(n, db, places)
    return convert


for _src in _BASES:
    for _dst in _BASES:
        if _src != _dst:
            _convert_base(_src, _dst)


# ---------------------------------------------------------------- bits
# Excel 2013's own functions, not the ToolPak's: given arrays they apply to each element.
_BIT_LIMIT = 2 ** 48


def _bit_operand(v):
    """A BIT... argument: a whole number from 0 to 2^48 - 1, else #NUM!."""
    x = atp.number(v)
    if type(x) is ExcelError:
        return x
    if x < 0 or x != math.floor(x) or x >= _BIT_LIMIT:
        return NUM
    return int(x)


def _bitwise(name, op, slug):
    @function(name, "value, value", doc=MS_EXCEL + slug)
    def impl(a, b):
        x = _bit_operand(a)
        if type(x) is ExcelError:
            return x
        y = _bit_operand(b)
        if type(y) is ExcelError:
            return y
        return float(op(x, y))
    return impl


_bitwise("BITAND", lambda x, y: x & y, "bitand-function")
_bitwise("BITOR", lambda x, y: x | y, "bitor-function")
_bitwise("BITXOR", lambda x, y: x ^ y, "bitxor-function")


def _shift(name, direction, slug):
    @function(name, "value, value", doc=MS_EXCEL + slug)
    def impl(number, shift):
        x = _bit_operand(number)
        if type(x) is ExcelError:
            return x
        s = atp.integer(shift)
        if type(s) is ExcelError:
            return s
        if abs(s) > 53:
            return NUM
        s = int(s) * direction
        r = x << s if s >= 0 else x >> -s
        return NUM if r >= _BIT_LIMIT else float(r)
    return impl


_shift("BITLSHIFT", 1, "bitlshift-function")
_shift("BITRSHIFT", -1, "bitrshift-function")


# ---------------------------------------------------------------- tests and the error function
@function("DELTA", "values, values?", context=True, doc=MS_EXCEL + "delta-function")
@atp.scalars
def DELTA(a, b=0.0):
    xs = atp.numbers(a, b)
    if type(xs) is ExcelError:
        return xs
    return 1.0 if xs[0] == xs[1] else 0.0


@function("GESTEP", "values, values?", context=True, doc=MS_EXCEL + "gestep-function")
@atp.scalars
def GESTEP(number, step=0.0):
    xs = atp.numbers(number, step)
    if type(xs) is ExcelError:
        return xs
    return 1.0 if xs[0] >= xs[1] else 0.0


@function("ERF", "values, values?", context=True, doc=MS_EXCEL + "erf-function")
@atp.scalars
def ERF(lower, upper=_GIVEN_NOT):
    lo = atp.number(lower)
    if type(lo) is ExcelError:
        return lo
    if upper is _GIVEN_NOT:
        return math.erf(lo)
    up = atp.number(upper)
    if type(up) is ExcelError:
        return up
    return math.erf(up) - math.erf(lo)


@function("ERF.PRECISE", "values", context=True, doc=MS_EXCEL + "erf-precise-function", programs="excel libreoffice")
@atp.scalars
def ERF_PRECISE(x):
    x = atp.number(x)
    return x if type(x) is ExcelError else math.erf(x)


@function("ERFC", "values", context=True, doc=MS_EXCEL + "erfc-function")
@atp.scalars
def ERFC(x):
    x = atp.number(x)
    return x if type(x) is ExcelError else math.erfc(x)


@function("ERFC.PRECISE", "values", context=True, doc=MS_EXCEL + "erfc-precise-function", programs="excel libreoffice")
@atp.scalars
def ERFC_PRECISE(x):
    x = atp.number(x)
    return x if type(x) is ExcelError else math.erfc(x)

