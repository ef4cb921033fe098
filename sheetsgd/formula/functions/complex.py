"""Complex numbers as text (Excel's category "Engineering"): COMPLEX and the IM... functions.

Excel has no complex type: a complex number is text such as "3+4i", "-2.5j", "i" or "7"
(a number, or a blank, is its real part). The result is text again, each part written with 15
significant digits, and with the suffix (i or j) of the arguments; arguments with different
suffixes are an error. Text that is not a complex number is #NUM!.

Excel computes the powers and roots in polar form, so IMPOWER("i",2) is "-1+1.22464679914735E-16i"
and IMSQRT("-4") is "1.22464679914735E-16+2i"; we do the same.
"""
import math
import re

from ..values import DIV0, NUM, VALUE, ExcelError
from . import atp
from .args import flat
from .registry import MS_EXCEL, registrar

function = registrar("engineering")

_NUM = r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?"
_COMPLEX = re.compile(rf"(?P<re>[-+]?{_NUM})?(?:(?P<im>[-+]?(?:{_NUM})?)(?P<sfx>[ij]))?")


class Z:
    """A complex number read from text, with its suffix ("" when it had none)."""
    __slots__ = ("z", "sfx")

    def __init__(self, z, sfx):
        self.z, self.sfx = z, sfx


def parse(v):
    """A complex-number argument -> Z, or an error (#NUM! for text that is not one)."""
    s = atp.text(v)
    if type(s) is ExcelError:
        return s
    if s == "":
        return Z(0j, "")
    m = _COMPLEX.fullmatch(s)
    if m is None or (m.group("re") is None and m.group("sfx") is None):
        return NUM
    re_, im, sfx = m.group("re"), m.group("im"), m.group("sfx")
    if sfx and re_ is not None and im in ("", None) and s[len(re_):] == sfx:
        re_, im = None, re_           # "5i": the only number is the imaginary part
    elif sfx and re_ is not None and im in ("", None):
        return NUM
    real = float(re_) if re_ is not None else 0.0
    if sfx is None:
        return Z(complex(real, 0.0), "")
    imag = 1.0 if im in ("", "+") else -1.0 if im == "-" else float(im)
    return Z(complex(real, imag), sfx)


def _part(x):
    """One part as Excel writes it: 15 significant digits, plain up to 19 decimals, else
    scientific (1.2E-45)."""
    if x == 0:
        return "0"
    mant, exp = ("%.14e" % x).split("e")
    exp = int(exp)
    digits = mant.replace("-", "").replace(".", "").rstrip("0")
    sign = "-" if x < 0 else ""
    decimals = len(digits) - 1 - exp
    if decimals <= 19 and exp < 21:
        if decimals <= 0:
            return sign + digits + "0" * (-decimals)
        if exp >= 0:
            return sign + digits[:exp + 1] + "." + digits[exp + 1:]
        return sign + "0." + "0" * (-exp - 1) + digits
    m = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return f"{sign}{m}E{'-' if exp < 0 else '+'}{abs(exp):02d}"


def text(z, sfx="i"):
    """A complex result as Excel's text."""
    if type(z) is ExcelError:
        return z
    re_, im = z.real, z.imag
    if re_ - re_ != 0.0 or im - im != 0.0:
        return NUM
    sfx = sfx or "i"
    if im == 0:
        return _part(re_)
    if abs(im) == 1:
        ims = ("-" if im < 0 else "") + sfx
    else:
        ims = _part(im) + sfx
    if re_ == 0:
        return ims
    return _part(re_) + ("" if ims.startswith("-") else "+") + ims


def _suffix(zs, mismatch):
    """The suffix the arguments agree on (default i), or `mismatch` when they differ."""
    found = {z.sfx for z in zs if z.sfx}
    if len(found) > 1:
        return mismatch
    return found.pop() if found else "i"


DOC = MS_EXCEL


@function("COMPLEX", "values, values, values?", context=True, doc=DOC + "complex-function")
@atp.scalars
def COMPLEX(real, imag, suffix="i"):
    xs = atp.numbers(real, imag)
    if type(xs) is ExcelError:
        return xs
    sfx = atp.text(suffix)
    if type(sfx) is ExcelError:
        return sfx
    if sfx not in ("i", "j", ""):
        return VALUE
    return text(complex(xs[0], xs[1]), sfx)


def _unary(name, f, result="complex", programs="excel libreoffice gsheets"):
    """An IM... function of one complex number; f(z) -> complex (or a float, or an error)."""
    @function(name, "values", context=True, doc=DOC + name.lower().replace(".", "-") + "-function",
              programs=programs)
    @atp.scalars
    def impl(v):
        z = parse(v)
        if type(z) is ExcelError:
            return z
        try:
            r = f(z.z)
        except ZeroDivisionError:
            return DIV0 if f is _argument else NUM
        except (ValueError, OverflowError):
            return NUM
        if result == "complex":
            return text(r, z.sfx)
        return r
    return impl


def _polar_power(z, n):
    """z**n as Excel computes it: r^n (cos n.theta + i sin n.theta)."""
    if z == 0:
        if n <= 0:
            raise ValueError
        return 0j
    r, t = abs(z), math.atan2(z.imag, z.real)
    rn = r ** n
    return complex(rn * math.cos(n * t), rn * math.sin(n * t))


def _ln(z):
    if z == 0:
        raise ValueError
    return complex(math.log(abs(z)), math.atan2(z.imag, z.real))


def _argument(z):
    if z == 0:
        raise ZeroDivisionError
    return math.atan2(z.imag, z.real)


def _inverse(f):
    def g(z):
        w = f(z)
        if w == 0:
            raise ZeroDivisionError
        return 1 / w
    return g


def _sin(z):
    a, b = z.real, z.imag
    return complex(math.sin(a) * math.cosh(b), math.cos(a) * math.sinh(b))


def _cos(z):
    a, b = z.real, z.imag
    return complex(math.cos(a) * math.cosh(b), -math.sin(a) * math.sinh(b))


def _sinh(z):
    a, b = z.real, z.imag
    return complex(math.sinh(a) * math.cos(b), math.cosh(a) * math.sin(b))


def _cosh(z):
    a, b = z.real, z.imag
    return complex(math.cosh(a) * math.cos(b), math.sinh(a) * math.sin(b))


def _tan(z):
    # (sin 2a + i sinh 2b) / (cos 2a + cosh 2b), as Excel computes it (a real number: tan a)
    if z.imag == 0:
        return complex(math.tan(z.real), 0.0)
    a, b = 2 * z.real, 2 * z.imag
    d = math.cos(a) + math.cosh(b)
    if d == 0:
        raise ZeroDivisionError
    return complex(math.sin(a) / d, math.sinh(b) / d)


def _cot(z):
    # (sin 2a - i sinh 2b) / (cosh 2b - cos 2a) (a real number: 1 / tan a)
    if z.imag == 0:
        return complex(1 / math.tan(z.real), 0.0)
    a, b = 2 * z.real, 2 * z.imag
    d = math.cosh(b) - math.cos(a)
    if d == 0:
        raise ZeroDivisionError
    return complex(math.sin(a) / d, -math.sinh(b) / d)


def _csc(z):
    # conj(sin z) / ((cosh 2b - cos 2a) / 2) (a real number: 1 / sin a)
    if z.imag == 0:
        return complex(1 / math.sin(z.real), 0.0)
    d = (math.cosh(2 * z.imag) - math.cos(2 * z.real)) / 2
    if d == 0:
        raise ZeroDivisionError
    s = _sin(z)
    return complex(s.real / d, -s.imag / d)


_unary("IMABS", abs, "float")
_unary("IMREAL", lambda z: z.real, "float")
_unary("IMAGINARY", lambda z: z.imag, "float")
_unary("IMARGUMENT", _argument, "float")
_unary("IMCONJUGATE", lambda z: z.conjugate())
_unary("IMEXP", lambda z: complex(math.exp(z.real) * math.cos(z.imag), math.exp(z.real) * math.sin(z.imag)))
_unary("IMLN", _ln)
_unary("IMLOG10", lambda z: _ln(z) / math.log(10))
_unary("IMLOG2", lambda z: _ln(z) / math.log(2))
_unary("IMSQRT", lambda z: _polar_power(z, 0.5) if z != 0 else 0j)
_unary("IMSIN", _sin)
_unary("IMCOS", _cos)
_unary("IMTAN", _tan)
_unary("IMCOT", _cot)
_unary("IMSEC", _inverse(_cos))
_unary("IMCSC", _csc)
_unary("IMSINH", _sinh)
_unary("IMCOSH", _cosh)
_unary("IMSECH", _inverse(_cosh))
_unary("IMCSCH", _inverse(_sinh))


@function("IMPOWER", "values, values", context=True, doc=DOC + "impower-function")
@atp.scalars
def IMPOWER(v, n):
    z = parse(v)
    if type(z) is ExcelError:
        return z
    n = atp.number(n)
    if type(n) is ExcelError:
        return n
    try:
        return text(_polar_power(z.z, n), z.sfx)
    except (ValueError, OverflowError):
        return NUM


def _binary(name, op):
    @function(name, "values, values", context=True, doc=DOC + name.lower() + "-function")
    @atp.scalars
    def impl(a, b):
        za = parse(a)
        if type(za) is ExcelError:
            return za
        zb = parse(b)
        if type(zb) is ExcelError:
            return zb
        sfx = _suffix([za, zb], NUM)
        if type(sfx) is ExcelError:
            return sfx
        try:
            return text(op(za.z, zb.z), sfx)
        except (ZeroDivisionError, OverflowError):
            return NUM
    return impl


def _divide(a, b):
    if b == 0:
        raise ZeroDivisionError
    return a / b


_binary("IMSUB", lambda a, b: a - b)
_binary("IMDIV", _divide)


def _all(args):
    """The complex numbers of IMSUM's and IMPRODUCT's arguments (ranges cell by cell)."""
    zs = []
    for a in args:
        for v in flat(a):
            if type(v) is ExcelError:
                return v
            z = parse(v)
            if type(z) is ExcelError:
                return z
            zs.append(z)
    return zs


@function("IMSUM", "values...", doc=DOC + "imsum-function")
def IMSUM(*args):
    zs = _all(args)
    if type(zs) is ExcelError:
        return zs
    sfx = _suffix(zs, VALUE)
    if type(sfx) is ExcelError:
        return sfx
    total = 0j
    for z in zs:
        total += z.z
    return text(total, sfx)


@function("IMPRODUCT", "values...", doc=DOC + "improduct-function")
def IMPRODUCT(*args):
    zs = _all(args)
    if type(zs) is ExcelError:
        return zs
    sfx = _suffix(zs, VALUE)
    if type(sfx) is ExcelError:
        return sfx
    p = 1 + 0j
    for z in zs:
        p *= z.z
    return text(p, sfx)

