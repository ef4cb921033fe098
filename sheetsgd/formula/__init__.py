"""The formula evaluator: Excel formula text -> values, for any .xlsx/.xlsm.

    from sheetsgd.formula import evaluate_workbook, evaluate_formula
    results = evaluate_workbook("collab_filter.xlsx")
    results.values[("dotprod", "V41")]      # 0.3930154712865702: every formula cell
    results.uncheckable                     # {(sheet, "A1"): why the value is not the formula's}
    evaluate_formula("=-2^2")               # 4.0 (Excel's precedence)

The stable public API is evaluate_workbook, evaluate_book, evaluate_formula and the Results
they return (results.py). Inside: tokens.py and parser.py read formula text, functions/ holds
Excel's functions (one registry entry each), compiler.py turns a formula into a closure,
plan.py and runner.py order and compute the cells, engine.py holds their values.

Reasons a value is not checkable: "volatile RAND" (the cached value is kept), "circular
reference: a!A1 -> a!B1 -> a!A1" (cached value kept), "unsupported function FOO" and
"unparsable formula: ..." (#NAME?), "depends on a!A1 (unsupported function FOO)".
"""
from .parser import MAX_DEPTH, MAX_LENGTH, FormulaError, functions_used, parse
from .results import Results

__all__ = ["Results", "evaluate_book", "evaluate_workbook", "evaluate_formula", "parse",
           "FormulaError", "functions_used", "MAX_DEPTH", "MAX_LENGTH"]


def evaluate_book(book, announce=None):
    """Compute every formula cell of a Book (array ranges: every cell of the range): Results.
    announce: optional callable(number of formula cells), called before computing."""
    from .engine import evaluate
    return evaluate(book, announce=announce).results()


def evaluate_workbook(path):
    """Results (.values: {(sheet, "A1"): value}, .uncheckable) of the workbook file at path."""
    from .reader import read_book
    return evaluate_book(read_book(path))


def evaluate_formula(text, book=None, sheet=None):
    """One formula's value, computed as an array formula placed in A1 of `sheet` (default:
    the book's first sheet; with no book, an empty one). A multi-cell result comes back as
    a list of rows."""
    from .engine import evaluate_text
    return evaluate_text(text, book, sheet)
