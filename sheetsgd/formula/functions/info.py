"""Information functions (Excel's category "Information"): what kind of value something is."""
from ..ranges import Range, Union
from ..values import ERROR_NUMBERS, NA, ExcelError
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


@function("ISEVEN", "number", doc=MS + "iseven-function-aa15929a-d77b-4fbb-92f4-2f479af55356")
def ISEVEN(x):
    return int(x) % 2 == 0


@function("ISODD", "number", doc=MS + "isodd-function-1208a56d-4f10-4f44-a5fc-648cafd6c07a")
def ISODD(x):
    return int(x) % 2 == 1


@function("N", "any", doc=MS + "n-function-a624cad1-3635-4208-b54a-29733d1278c9")
def N(v):
    t = type(v)
    if t is float or t is ExcelError:
        return v
    if t is bool:
        return 1.0 if v else 0.0
    return 0.0


@function("NA", "", doc=MS + "na-function-5469c2d1-a90c-4fb5-9bbc-64bd9bb6b47c")
def NA_():
    return NA


@function("TYPE", "any", doc=MS + "type-function-45b4e688-4bc3-48b3-a105-ffa892995899")
def TYPE(v):
    t = type(v)
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
