"""How the functions that began in Excel's Analysis ToolPak read their arguments.

The engineering functions (BIN2DEC, BESSELJ, CONVERT, IMSUM ...), the bond and date functions
(YEARFRAC, EDATE, ACCRINT ...) and a few others came into Excel as an add-in, and they still
read their arguments the add-in's way, not as SUM or ROUND do: TRUE and FALSE are #VALUE!
(DEC2BIN(TRUE) and, in a cell, =DEC2BIN(A1) with A1 TRUE), a blank is 0, numeric text is read.
Nor do they apply themselves to each element of an array: given a range of several cells in
an array formula, or an array, they are #VALUE! (in a plain cell a range is intersected with
the formula's row or column, as for any function). Their registry entries take such arguments
as "values" with the context, and @scalars turns each into one value:

    @function("BESSELJ", "values, values", context=True, doc=...)
    @atp.scalars
    def BESSELJ(x, n):
        x = atp.number(x)
        ...
"""
import functools
import math

from ..ranges import Range, Union
from ..values import MISSING, NUM, VALUE, Array, ExcelError, number_text, to_number


def scalar(ctx, v):
    """One argument as one value: a one-cell reference its value; a larger one the cell on
    the formula's row or column in a plain cell, #VALUE! in an array formula; an array of
    more than one value #VALUE!."""
    t = type(v)
    if t is Range:
        if v.r1 == v.r2 and v.c1 == v.c2:
            return v.grid.value(v.r1, v.c1)
        return VALUE if ctx.array else ctx.intersect(v)
    if t is Array:
        return v.rows[0][0] if len(v.rows) == 1 and len(v.rows[0]) == 1 else VALUE
    if t is Union:
        return VALUE
    return v


def scalars(impl):
    """impl called with every argument as one value (scalar()); the first error value among
    them is the result."""
    @functools.wraps(impl)
    def wrapped(ctx, *args):
        vals = [scalar(ctx, a) for a in args]
        for v in vals:
            if type(v) is ExcelError:
                return v
        return impl(*vals)
    return wrapped


def number(v):
    """A number argument: blank 0, TRUE/FALSE #VALUE!, text read as a number (else #VALUE!)."""
    t = type(v)
    if t is float:
        return v
    if v is None or v is MISSING:
        return 0.0
    if t is bool:
        return VALUE
    return to_number(v)


def integer(v):
    """A number argument truncated toward zero."""
    x = number(v)
    if type(x) is ExcelError:
        return x
    return float(math.trunc(x)) if x - x == 0.0 else NUM


def text(v):
    """A text argument (a digit string, a complex number): numbers as General writes them,
    blank "", TRUE/FALSE #VALUE!."""
    t = type(v)
    if t is str:
        return v
    if v is None or v is MISSING:
        return ""
    if t is float:
        return number_text(v)
    if t is bool:
        return VALUE
    return v if t is ExcelError else VALUE


def numbers(*vals):
    """number() of each; the first error met, or the list."""
    out = []
    for v in vals:
        x = number(v)
        if type(x) is ExcelError:
            return x
        out.append(x)
    return out
