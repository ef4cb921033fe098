"""Excel's cell values as Python values: the contract between reader, evaluator and checker.

    number   -> float            (Excel has one number type; ints are stored as float)
    text     -> str              ("" is an empty string, not a blank)
    boolean  -> bool             (TRUE/FALSE; note bool is checked before float everywhere)
    blank    -> None             (BLANK: an empty cell, or no cell at all)
    error    -> ExcelError       (#DIV/0!, #N/A, ...: a value that propagates, never raised)

While a formula is computed two more kinds of value exist: an Array (a 2-D block of values,
such as {1,2;3,4} or the result of MMULT) and a reference (formula/ranges.py). Both answer
the same questions: shape, get(i, j), cells() and values() (the non-blank ones), array().

The coercions Excel applies when a value of one type is used as another live here too:
to_number ("1,000" + 1 is 1001), to_text (1/3 & "" is "0.333333333333333"), to_bool.
"""
import math
import re

BLANK = None


class ExcelError:
    """An Excel error value. Interned: ExcelError('#N/A') is NA."""

    _interned = {}
    __slots__ = ("code",)

    def __new__(cls, code):
        err = cls._interned.get(code)
        if err is None:
            err = super().__new__(cls)
            err.code = code
            cls._interned[code] = err
        return err

    def __repr__(self):
        return self.code

    __str__ = __repr__

    def __reduce__(self):
        return (ExcelError, (self.code,))


DIV0 = ExcelError("#DIV/0!")
NA = ExcelError("#N/A")
VALUE = ExcelError("#VALUE!")
REF = ExcelError("#REF!")
NUM = ExcelError("#NUM!")
NAME = ExcelError("#NAME?")
NULL = ExcelError("#NULL!")
SPILL = ExcelError("#SPILL!")
CALC = ExcelError("#CALC!")
GETTING_DATA = ExcelError("#GETTING_DATA")
ERROR_CODES = {e.code: e for e in (DIV0, NA, VALUE, REF, NUM, NAME, NULL, SPILL, CALC, GETTING_DATA)}
for _code in ("#FIELD!", "#BLOCKED!", "#UNKNOWN!"):
    ERROR_CODES[_code] = ExcelError(_code)
# ERROR.TYPE's numbers, Excel's order
ERROR_NUMBERS = {"#NULL!": 1, "#DIV/0!": 2, "#VALUE!": 3, "#REF!": 4, "#NAME?": 5, "#NUM!": 6,
                 "#N/A": 7, "#GETTING_DATA": 8, "#SPILL!": 9, "#CALC!": 14}


def is_error(v):
    return isinstance(v, ExcelError)


class _Missing:
    """An argument left empty, as in IF(A1,,2) or ROUND(2.5,): not a blank cell."""
    __slots__ = ()

    def __repr__(self):
        return "<missing>"


MISSING = _Missing()


# ---------------------------------------------------------------- arrays
class Array:
    """A 2-D block of values, row-major lists: {1,2;3,4} is Array([[1.0, 2.0], [3.0, 4.0]])."""
    __slots__ = ("rows",)

    def __init__(self, rows):
        self.rows = rows

    @property
    def shape(self):
        return len(self.rows), len(self.rows[0]) if self.rows else 0

    @property
    def size(self):
        h, w = self.shape
        return h * w

    def get(self, i, j):
        return self.rows[i][j]

    def flat(self):
        """Every value, row by row, blanks (None) included."""
        return [v for row in self.rows for v in row]

    def values(self):
        """The non-blank values, row by row."""
        return [v for row in self.rows for v in row if v is not None]

    def cells(self):
        """(i, j, value) of the non-blank values, row by row."""
        return [(i, j, v) for i, row in enumerate(self.rows) for j, v in enumerate(row) if v is not None]

    def array(self):
        return self

    def clipped_shape(self):
        return self.shape

    def flat_part(self, h, w):
        """The values of the top-left h x w cells, row by row."""
        return [v for row in self.rows[:h] for v in row[:w]]

    def __repr__(self):
        return f"Array({self.rows!r})"

    def __eq__(self, other):
        return isinstance(other, Array) and self.rows == other.rows

    __hash__ = None


def scalar_array(v):
    return Array([[v]])


# ---------------------------------------------------------------- numbers as text
def number_text(x):
    """A number as Excel's General format writes it in text: up to 15 significant digits; a
    number below 1 plainly while that takes at most 19 decimals ("0.00001": SEARCH(1, 1E-05)
    is 7 in Apache POI's FormulaEvalTestData; 1.28233995888454E-06 needs 20)."""
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    if abs(x) < 1:
        mant, exp = ("%.14e" % x).split("e")
        digits = mant.replace("-", "").replace(".", "").rstrip("0")
        if len(digits) - 1 - int(exp) <= 19:
            return ("-" if x < 0 else "") + "0." + "0" * (-int(exp) - 1) + digits
    s = "%.15g" % x
    if "e" in s:
        mant, exp = s.split("e")
        if "." in mant:
            mant = mant.rstrip("0").rstrip(".")
        sign = "-" if exp[0] == "-" else "+"
        return f"{mant}E{sign}{int(exp[1:]):02d}"
    return s


def num_result(x):
    """A float result, or #NUM! for inf/nan (Excel never holds them)."""
    if x - x != 0.0:
        return NUM
    return x


# ---------------------------------------------------------------- text -> number
# What Excel's VALUE (and arithmetic on text) reads as a number, in the en-US locale:
# "1,000" "$5" "(3)" "-$1,234.5" "50%" "1e3" " 7 " and times and dates ("3:00", "2020-01-01").
_PLAIN_NUMBER = re.compile(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_NUMBER = re.compile(r"""^\s*
    (?P<open>\()?\s*
    (?P<sign1>[-+])?\s*(?P<cur>\$)?\s*(?P<sign2>[-+])?\s*
    (?P<num>(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]*)?|\.[0-9]+)
    (?P<exp>[eE][-+]?[0-9]+)?\s*
    (?P<pct>%)?\s*
    (?P<close>\))?\s*$""", re.VERBOSE)


def parse_number(s):
    """Text as Excel reads it for arithmetic: a float, or None when it is not a number.
    Dates and times are read by formula/serial.py's parse_datetime (tried after this)."""
    m = _PLAIN_NUMBER.fullmatch(s)
    if m is not None:
        return float(s)
    m = _NUMBER.match(s)
    if m is None:
        from .serial import parse_datetime
        return parse_datetime(s)
    if bool(m.group("open")) != bool(m.group("close")):
        return None
    if m.group("sign1") and m.group("sign2"):
        return None
    if m.group("open") and (m.group("sign1") or m.group("sign2")):
        return None
    x = float(m.group("num").replace(",", "") + (m.group("exp") or ""))
    if m.group("pct"):
        x /= 100.0
    if m.group("open") or "-" in (m.group("sign1") or "") + (m.group("sign2") or ""):
        x = -x
    return x if math.isfinite(x) else None


def to_number(v):
    """Excel's conversion for arithmetic: blank -> 0, TRUE -> 1, "3" -> 3, "abc" and "" -> #VALUE!."""
    t = type(v)
    if t is float:
        return v
    if v is None or v is MISSING:
        return 0.0
    if t is bool:
        return 1.0 if v else 0.0
    if t is int:
        return float(v)
    if t is str:
        x = parse_number(v)
        return VALUE if x is None else x
    if t is ExcelError:
        return v
    return VALUE


def to_bool(v):
    """Excel's conversion for conditions: numbers are TRUE unless 0, blank is FALSE, "TRUE"/"FALSE"
    text is read, other text is #VALUE!."""
    t = type(v)
    if t is bool:
        return v
    if t is float or t is int:
        return v != 0
    if v is None or v is MISSING:
        return False
    if t is str:
        up = v.upper()
        if up in ("TRUE", "FALSE"):
            return up == "TRUE"
        return VALUE
    return v if t is ExcelError else VALUE


def to_text(v):
    """Excel's conversion to text: numbers in General format, TRUE/FALSE, blank is ""."""
    t = type(v)
    if t is str:
        return v
    if v is None or v is MISSING:
        return ""
    if t is bool:
        return "TRUE" if v else "FALSE"
    if t is float or t is int:
        return number_text(float(v))
    return v if t is ExcelError else VALUE


def to_integer(v):
    """A number argument Excel truncates toward zero (LEFT's count, INDEX's row, ...)."""
    x = to_number(v)
    if type(x) is ExcelError:
        return x
    if x != x or x in (math.inf, -math.inf):
        return NUM
    return float(math.trunc(x))
