"""Excel's operators on single values: + - * / ^ & = <> < > <= >= , unary minus and %.

The one home of their semantics; the compiler (formula/compiler.py) calls these, with a fast
path for two floats, and applies them element by element to arrays (elementwise()).

    arithmetic   operands converted to numbers (blank 0, TRUE 1, "3" 3, "abc" #VALUE!); the
                 left operand's error first; x/0 #DIV/0!; 0^0 and (-8)^(1/3) #NUM!; 0^-1
                 #DIV/0!; a result that is infinite or NaN #NUM! (Excel never holds one)
    &            both converted to text (1/3 & "" is "0.333333333333333"); past 32,767
                 characters #VALUE! (Excel's limit on a cell's text)
    comparisons  numbers < text < TRUE/FALSE whatever their values; text without regard to
                 case; a blank compares as 0, "" or FALSE, whichever the other side is
"""
import math

from ..ranges import new_array
from ..values import DIV0, NA, NUM, Array, ExcelError, to_number, to_text

MAX_TEXT = 32767     # Excel's limit on the characters of one cell's text


def _power(a, b):
    if a == 0.0:
        if b == 0.0:
            return NUM
        if b < 0:
            return DIV0
    if a < 0 and b != int(b):
        return NUM
    try:
        r = math.pow(a, b)
    except (OverflowError, ValueError):
        return NUM
    return r if r - r == 0.0 else NUM


def arith(op, a, b):
    """a op b for single values, op one of + - * / ^."""
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
    return r if r - r == 0.0 else NUM


_TYPE_RANK = {float: 0, int: 0, str: 1, bool: 2}


def compare(op, a, b):
    """a op b for single values, op one of = <> < > <= >=: TRUE/FALSE or an error."""
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


def concat(a, b):
    x, y = to_text(a), to_text(b)
    if type(x) is ExcelError:
        return x
    if type(y) is ExcelError:
        return y
    if len(x) + len(y) > MAX_TEXT:
        from ..values import VALUE
        return VALUE
    return x + y


def binary(op, a, b):
    """Any binary operator on single values."""
    if op in ("+", "-", "*", "/", "^"):
        return arith(op, a, b)
    if op == "&":
        return concat(a, b)
    return compare(op, a, b)


def negate(v):
    x = to_number(v)
    return x if type(x) is ExcelError else 0.0 - x


def percent(v):
    return arith("/", v, 100.0)


def plus(v):
    """Unary plus: Excel leaves the value as it is (=+"a" is "a")."""
    return v


def elementwise(f, *args):
    """f applied element by element when some arguments are Arrays (Excel's array rules:
    1x1 and single rows/columns stretch; past the end of a smaller array #N/A)."""
    arrays = [a for a in args if type(a) is Array]
    if not arrays:
        return f(*args)
    h = max(a.shape[0] for a in arrays)
    w = max(a.shape[1] for a in arrays)
    new_array(h, w)
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
