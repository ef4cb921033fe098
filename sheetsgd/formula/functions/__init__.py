"""Excel's functions, one registry entry each (registry.py), grouped by Excel's categories.

    from sheetsgd.formula.functions import REGISTRY
    REGISTRY["SQRT"].doc        # Microsoft's page
    REGISTRY["SQRT"].programs   # frozenset({'excel', 'libreoffice', 'gsheets'})

Adding a function: one @function entry in its category's module, and a test quoting
Microsoft's documented examples in tests/functions/test_<category>.py.
"""
from . import arrays, info, logical, lookup, math, statistical, text, textsplit, volatile  # noqa: F401  (they register)
from . import bessel, bonds, complex, convert, date, engineering, financial  # noqa: F401
from .registry import REGISTRY, check_registry, lookup as lookup_function

check_registry()

__all__ = ["REGISTRY", "lookup_function"]
