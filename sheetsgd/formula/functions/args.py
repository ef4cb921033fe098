"""How functions read their "values", "array" and "range" arguments (see registry.py's kinds).

A "values" argument arrives as a reference (formula/ranges.py's Range or Union), an Array, a
single value, or MISSING (left empty). These helpers apply Excel's rules for each use, the
same for every function, so each function's code says only what is its own.
"""
from ..ranges import FloatList, Range, Union
from ..values import MISSING, VALUE, Array, ExcelError, to_number


def is_ref(v):
    t = type(v)
    return t is Range or t is Union


def grid(v):
    """A Range or Array as it is; a single value as a 1x1 Array."""
    t = type(v)
    if t is Range or t is Array:
        return v
    return Array([[v]])


def non_blank(v):
    """The non-blank values of an argument: a reference's or an array's, row by row; a single
    value as itself (MISSING: nothing)."""
    t = type(v)
    if t is Range or t is Union or t is Array:
        return v.values()
    if v is MISSING or v is None:
        return []
    return [v]


def numbers(args, direct_text=True):
    """The numbers of aggregate arguments (SUM, AVERAGE, MAX ...): in references and arrays only
    numbers count (text, TRUE/FALSE and blanks are skipped); typed directly, TRUE/FALSE and
    numeric text count and other text is #VALUE!. A list of floats, or the first error met."""
    out = []
    for a in args:
        t = type(a)
        if t is Range or t is Union or t is Array:
            vals = a.values()
            if type(vals) is FloatList:
                out.extend(vals)
                continue
            got = [v for v in vals if type(v) is float]
            if len(got) != len(vals):           # text, TRUE/FALSE skipped; an error stops
                err = first_error(vals)
                if err is not None:
                    return err
            out.extend(got)
        elif a is MISSING or a is None:
            continue
        else:
            x = to_number(a) if direct_text or type(a) is not str else VALUE
            if type(x) is ExcelError:
                return x
            out.append(x)
    return out


def numbers_a(args):
    """The numbers AVERAGEA, MAXA, COUNTA-style functions see: in references and arrays text
    counts as 0 and TRUE/FALSE as 1/0 (blanks skipped); typed directly as numbers() does."""
    out = []
    for a in args:
        t = type(a)
        if t is Range or t is Union or t is Array:
            for v in a.values():
                tv = type(v)
                if tv is float:
                    out.append(v)
                elif tv is bool:
                    out.append(1.0 if v else 0.0)
                elif tv is str:
                    out.append(0.0)
                elif tv is ExcelError:
                    return v
        elif a is MISSING or a is None:
            continue
        else:
            x = to_number(a)
            if type(x) is ExcelError:
                return x
            out.append(x)
    return out


def plain_sum(xs):
    """Left to right, as Excel adds (the cached values agree to the last bit)."""
    s = 0.0
    for x in xs:
        s += x
    return s


def flat(a):
    """Every value of a Range/Array row by row, blanks (None) included."""
    return grid(a).array().flat()


def first_error(values):
    for v in values:
        if type(v) is ExcelError:
            return v
    return None
