"""Excel's cell values as Python values: the contract between reader, evaluator and checker.

    number   -> float            (Excel has one number type; ints are stored as float)
    text     -> str              ("" is an empty string, not a blank)
    boolean  -> bool             (TRUE/FALSE; note bool is checked before float everywhere)
    blank    -> None             (BLANK: an empty cell, or no cell at all)
    error    -> ExcelError       (#DIV/0!, #N/A, ...: a value that propagates, never raised)
"""

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
ERROR_CODES = {e.code: e for e in (DIV0, NA, VALUE, REF, NUM, NAME, NULL)}


def is_error(v):
    return isinstance(v, ExcelError)
