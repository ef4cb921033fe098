"""The formula evaluator: Excel formula text -> values, for any .xlsx/.xlsm.

    from sheetsgd.formula import evaluate_workbook, evaluate_book, evaluate_formula
    evaluate_workbook("collab_filter.xlsx")[("dotprod", "V41")]   # 0.3930154712865702
    evaluate_formula("=-2^2")                                       # 4.0 (Excel's precedence)

parser.py turns text into a tree, functions.py holds Excel's functions and operators,
engine.py computes a Book (book.py) in dependency order. Values follow values.py.

Evaluation.values has every formula cell, each cell of an array range included, listed
column by column. Evaluation.uncheckable says why a value is not the formula's own:
"volatile RAND" (the cached value is kept), "circular reference: a!A1 -> a!B1 -> a!A1"
(cached value kept), "unsupported function FOO" and "unparsable formula: ..." (#NAME?),
"depends on a!A1 (unsupported function FOO)".
"""
import gc
from bisect import bisect_left
from dataclasses import dataclass, field
from itertools import repeat

from .parser import MAX_DEPTH, MAX_LENGTH, FormulaError, functions_used, parse

__all__ = ["Evaluation", "evaluate_book", "evaluate_workbook", "evaluate_formula", "parse",
           "FormulaError", "functions_used", "MAX_DEPTH", "MAX_LENGTH"]


@dataclass
class Evaluation:
    values: dict = field(default_factory=dict)       # {(sheet, "A1"): value} for every formula cell
    uncheckable: dict = field(default_factory=dict)  # {(sheet, "A1"): reason}


def evaluate_book(book, announce=None):
    """Compute every formula cell of a Book (array ranges: every cell of the range).
    announce: optional callable(number of formula cells), called before computing."""
    from .engine import evaluate
    from .refs import col_letters
    eng = evaluate(book, announce=announce)
    was_enabled = gc.isenabled()
    gc.disable()          # millions of new keys: no collector passes over them (see engine.evaluate)
    try:
        values = _values(eng)
    finally:
        if was_enabled:
            gc.enable()
    uncheckable = {(s, f"{col_letters(c)}{r}"): why for (s, r, c), why in eng.uncheckable.items()}
    return Evaluation(values, uncheckable)


def _values(eng):
    from .refs import col_letters
    values = {}
    for name, cols in eng.fcols.items():      # formula cells and array ranges, column by column
        get = eng.store[name].get
        for c, rows in cols.items():
            letters = col_letters(c)
            vals, pos = [], 0
            for r0, r1, block in eng.blocks.get((name, c), ((), ()))[1]:   # computed as columns
                i = bisect_left(rows, r0, pos)
                vals.extend(map(get, zip(rows[pos:i], repeat(c))))
                vals.extend(block)
                pos = i + r1 - r0 + 1
            vals.extend(map(get, zip(rows[pos:], repeat(c))))
            values.update(zip([(name, letters + str(r)) for r in rows], vals))
    return values


def evaluate_workbook(path):
    """{(sheet, "A1"): value} for every formula cell of the workbook file at path."""
    from .reader import read_book
    return evaluate_book(read_book(path)).values


def evaluate_formula(text, book=None, sheet=None):
    """One formula's value, computed as an array formula placed in A1 of `sheet` (default:
    the book's first sheet; with no book, an empty one). A multi-cell result comes back as
    a list of rows."""
    from .engine import evaluate_text
    return evaluate_text(text, book, sheet)
