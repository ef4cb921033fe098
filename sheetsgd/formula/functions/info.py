"""Information functions (Excel's category "Information"): what kind of value something is."""
from ..ranges import Range, Union
from ..values import ERROR_NUMBERS, MISSING, NA, VALUE, Array, ExcelError
from . import atp
from .registry import MS, registrar

function = registrar("info")


def _is(name, doc, pred):
    function(name, "any", doc=MS + doc)(pred)


_is("ISBLANK", "is-functions-0f2d7971-6019-40a0-a171-f2d869135665", lambda v: v is None)
_is("ISNUMBER", "is-functions-0f2d7971-6019-40a0-a171-f2d869135665", lambda v: type(v) is float)
_is("ISTEXT", "is-functions-0f2d7971-6019-40a0-a171-f2d869135665", lambda v: type(v) is str)
_is("ISNONTEXT", "is-functions-0f2d7971-6019-40a0-a171-f2d869135665", lambda v: type(v) is not str)
_is("ISLOGICAL", "is-functions-0f2d7971-6019-40a0-a171-f2d869135665", lambda v: type(v) is bool)
_is("ISERROR", "is-functions-0f2d7971-6019-40a0-a171-f2d869135665", lambda v: type(v) is ExcelError)
_is("ISERR", "is-functions-0f2d7971-6019-40a0-a171-f2d869135665", lambda v: type(v) is ExcelError and v is not NA)
_is("ISNA", "is-functions-0f2d7971-6019-40a0-a171-f2d869135665", lambda v: v is NA)


@function("ISREF", "address", doc=MS + "is-functions-0f2d7971-6019-40a0-a171-f2d869135665")
def ISREF(v):
    return type(v) is Range or type(v) is Union


# ISEVEN and ISODD began in the Analysis ToolPak: TRUE is #VALUE!, no element by element
# (the corpus: ISEVEN(TRUE) and {=ISEVEN(C9:J9)} are #VALUE!)
@function("ISEVEN", "values", context=True, doc=MS + "iseven-function-aa15929a-d77b-4fbb-92f4-2f479af55356")
@atp.scalars
def ISEVEN(x):
    x = atp.integer(x)
    return x if type(x) is ExcelError else int(x) % 2 == 0


@function("ISODD", "values", context=True, doc=MS + "isodd-function-1208a56d-4f10-4f44-a5fc-648cafd6c07a")
@atp.scalars
def ISODD(x):
    x = atp.integer(x)
    return x if type(x) is ExcelError else int(x) % 2 == 1


@function("ISFORMULA", "address", context=True, programs="excel libreoffice gsheets",
          doc=MS + "isformula-function-e4d1355f-7121-4ef2-801e-3839bfd6b1e5")
def ISFORMULA(ctx, ref):
    # does the cell hold a formula (an array formula's cells too)? A block: each of its cells
    if type(ref) is not Range:
        return ref if type(ref) is ExcelError else VALUE
    eng = ctx.engine

    def holds(r, c):
        key = (ref.sheet, r, c)
        return eng.formula_cell(*key) is not None or key in eng.members
    rows = [[holds(r, c) for c in range(ref.c1, ref.c2 + 1)] for r in range(ref.r1, ref.r2 + 1)]
    return rows[0][0] if ref.size == 1 else Array(rows)


class NotComputed(NotImplementedError):
    """What the file does not hold (column widths, Excel's version): the cell is not checkable."""


@function("CELL", "text, values?", context=True, programs="excel libreoffice gsheets",
          differs="the info types beyond address, col, row, contents and type, and the results "
                  "without a reference, depend on the program and its window",
          doc=MS + "cell-function-51bd39a5-f338-4dbe-a33f-955d67c2b2cf")
def CELL(ctx, info, ref=MISSING):
    info = info.lower()
    if info not in _CELL_TYPES:
        return VALUE
    if ref is MISSING or info not in ("address", "col", "row", "contents", "type"):
        raise NotComputed(f'CELL("{info}") without a reference, or of what the window shows, '
                          "is not in the file")
    if type(ref) is ExcelError:
        return ref
    if type(ref) is not Range:
        return VALUE
    if info == "col":
        return float(ref.c1)
    if info == "row":
        return float(ref.r1)
    if info == "address":
        from ..refs import COL_LETTERS
        text = f"${COL_LETTERS[ref.c1]}${ref.r1}"
        if ref.sheet.lower() != ctx.sheet.lower():      # another sheet: [Book.xlsx]Sheet2!$A$1
            text = f"[{_book_name(ctx)}]{ref.sheet}!{text}"
            if not ref.sheet.replace("_", "").isalnum():
                text = "'" + text.split("!")[0].replace("'", "''") + "'!" + text.split("!", 1)[1]
        return text
    v = ref.first()
    if info == "contents":
        return 0.0 if v is None else v
    return "b" if v is None else "l" if type(v) is str else "v"


def _book_name(ctx):
    import os
    return os.path.basename(getattr(ctx.engine.book, "path", ""))


_CELL_TYPES = {"address", "col", "color", "contents", "filename", "format", "parentheses", "prefix",
               "protect", "row", "type", "width"}


@function("INFO", "text", context=True, programs="excel libreoffice",
          differs="describes the program and the computer it runs on",
          doc=MS + "info-function-725f259a-0e4b-49b3-8b52-58815c69acae")
def INFO(ctx, what):
    what = what.lower()
    if what == "system":                    # "mac" for Excel for Mac, "pcdos" for Excel for Windows
        return "mac" if getattr(ctx.engine.book, "mac", False) else "pcdos"
    if what in ("directory", "numfile", "origin", "osversion", "recalc", "release"):
        raise NotComputed(f'INFO("{what}") describes the computer that computed the file')
    return VALUE


@function("N", "values", doc=MS + "n-function-a624cad1-3635-4208-b54a-29733d1278c9")
def N(v):
    # a reference or an array: its first value (the corpus: {=N(C19:Q19)} is C19's number in each cell)
    if type(v) in (Range, Array):
        v = v.get(0, 0)
    elif type(v) is Union:
        return VALUE
    t = type(v)
    if t is float or t is ExcelError:
        return v
    if t is bool:
        return 1.0 if v else 0.0
    return 0.0


@function("NA", "", doc=MS + "na-function-5469c2d1-a90c-4fb5-9bbc-64bd9bb6b47c")
def NA_():
    return NA


@function("TYPE", "values", doc=MS + "type-function-45b4e688-4bc3-48b3-a105-ffa892995899")
def TYPE(v):
    # an array, or a reference to several cells, is 64 (TYPE({1,2;3,4}) and TYPE(C24:Q24))
    if type(v) is Range and v.size == 1:
        v = v.first()
    t = type(v)
    if t in (Range, Union, Array):
        return 64.0
    if t is float or v is None:
        return 1.0
    if t is str:
        return 2.0
    if t is bool:
        return 4.0
    if t is ExcelError:
        return 16.0
    return 64.0


@function("ERROR.TYPE", "any", doc=MS + "error-type-function-10958677-7c8d-44f7-ae77-b9a9ee6eefaa")
def ERROR_TYPE(v):
    if type(v) is not ExcelError:
        return NA
    n = ERROR_NUMBERS.get(v.code)
    return NA if n is None else float(n)
