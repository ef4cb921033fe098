"""Text functions (Excel's category "Text")."""
from ..values import ExcelError, MISSING
from .operators import concat
from .registry import MS, registrar

function = registrar("text")


@function("CONCATENATE", "value...", doc=MS + "concatenate-function-8f8ae884-2ca8-4f7a-b093-75d702bea31d")
def CONCATENATE(*args):
    out = ""
    for v in args:
        out = concat(out, v)
        if type(out) is ExcelError:
            return out
    return out


@function("CONCAT", "values...", doc=MS + "concat-function-9b1a9a3f-94ff-41af-9736-694cbd6b4ca2",
          programs="excel libreoffice gsheets")
def CONCAT(*args):
    out = ""
    for a in args:
        for v in (a.array().flat() if hasattr(a, "array") and type(a) is not str else [a]):
            if v is MISSING:
                continue
            out = concat(out, v)
            if type(out) is ExcelError:
                return out
    return out


@function("LEN", "text", doc=MS + "len-lenb-functions-29236f94-cedc-429d-affd-b5e33d2c67cb")
def LEN(s):
    return float(len(s))
