"""Excel's criteria (COUNTIF, SUMIF, AVERAGEIF and their -IFS) over ranges that cost what they hold.

A criterion is a value or text: 23 (equal to the number 23, or to text that reads as 23: "23"
matches, TRUE does not; a reference to an empty cell is 0),
">=5", "<>1" (everything that is not 1: blanks, text and TRUE included), "apple", "a*e"
(wildcards * ? with ~ escaping), "=" (only truly empty cells), "<>" (every cell that holds
something, a formula's "" included), "" (blank or ""). Text compares without regard to case.

matching() applies criteria to ranges of one shape, reading only the part of them inside the
used area (beyond it every cell is blank, and a blank's verdict is decided once), so
COUNTIF(A:A, "<>1") costs what the sheet holds, not a million cells.
"""
import re
from operator import and_

from ..values import MISSING, Array, ExcelError, parse_number, to_text
from .operators import compare

_CRITERION = re.compile(r"^(<=|>=|<>|=|<|>)?(.*)$", re.DOTALL)


def wildcard_match(pattern, text):
    """Excel's wildcards (* any run, ? one character, ~ escapes), case-insensitive, matched
    with two pointers in O(len(pattern) * len(text)): no regular expression to backtrack."""
    p, t = [], text.lower()
    i, pat = 0, pattern.lower()
    while i < len(pat):
        ch = pat[i]
        if ch == "~" and i + 1 < len(pat):
            p.append(("lit", pat[i + 1]))
            i += 2
            continue
        p.append(("star",) if ch == "*" else ("any",) if ch == "?" else ("lit", ch))
        i += 1
    pi = ti = 0
    star, mark = -1, 0
    while ti < len(t):
        if pi < len(p) and (p[pi][0] == "any" or (p[pi][0] == "lit" and p[pi][1] == t[ti])):
            pi += 1
            ti += 1
        elif pi < len(p) and p[pi][0] == "star":
            star, mark = pi, ti
            pi += 1
        elif star >= 0:
            pi = star + 1
            mark += 1
            ti = mark
        else:
            return False
    while pi < len(p) and p[pi][0] == "star":
        pi += 1
    return pi == len(p)


def has_wildcards(s):
    return any(ch in s for ch in "*?~")


def criterion(crit):
    """A criterion value -> predicate(cell value) -> bool. predicate.text_lower is set for a
    plain text criterion ("train": a range's few distinct texts can be tested once)."""
    if type(crit) is Array:
        crit = crit.rows[0][0]
    if crit is None or crit is MISSING:
        crit = 0.0                  # "If the criteria argument is a reference to an empty cell,
                                    # the COUNTIFS function treats the empty cell as a 0 value."
    if type(crit) is ExcelError:
        return lambda v: v is crit
    if type(crit) is bool:
        return lambda v: type(v) is bool and v == crit
    if type(crit) is float:
        return _equal_number(crit)
    m = _CRITERION.match(crit)
    op, operand = m.group(1), m.group(2)
    if op is None:
        op = "="
        if operand == "":
            return lambda v: v is None or v == ""             # "" matches blanks and ""
    elif operand == "":
        if op == "=":
            return lambda v: v is None                         # "=": truly empty cells only
        if op == "<>":
            return lambda v: v is not None                     # "<>": anything held, "" too
        return lambda v: False
    up = operand.upper()
    if up in ("TRUE", "FALSE"):
        target = up == "TRUE"
        if op == "<>":
            return lambda v: not (type(v) is bool and v == target)
        return lambda v: type(v) is bool and compare(op, v, target) is True
    if up in _ERRORS:
        err = _ERRORS[up]
        return (lambda v: v is err) if op == "=" else (lambda v: v is not err) if op == "<>" else (lambda v: False)
    x = parse_number(operand)
    if x is not None:
        if op == "<>":
            return lambda v: not (type(v) is float and v == x)
        if op == "=":
            return _equal_number(x)
        return lambda v: type(v) is float and compare(op, v, x) is True
    if op in ("=", "<>"):
        wild = has_wildcards(operand)
        low = operand.lower()

        def eq(v):
            if type(v) is not str:
                return False
            return wildcard_match(operand, v) if wild else v.lower() == low
        if op == "=":
            if not wild:
                eq.text_lower = low
            return eq
        return lambda v: not eq(v)
    return lambda v: type(v) is str and compare(op, v, operand) is True


def _equal_number(x):
    """Equal to the number x: numbers, and text that reads as x (Excel counts the text "23"
    with COUNTIF(A:A, 23) and with "=23", though not with "<>23", ">=23"...)."""
    def eq(v):
        t = type(v)
        if t is float:
            return v == x
        return t is str and parse_number(v) == x
    return eq


def _errors():
    from ..values import ERROR_CODES
    return {code.upper(): e for code, e in ERROR_CODES.items()}


_ERRORS = _errors()


def matching(pairs):
    """Criteria applied to ranges (or arrays) of one shape. Returns (keep, blanks, (h, w)):
    keep[k] tells whether the k-th cell, row by row, of the top-left h x w block meets every
    criterion, the block being as large as the ranges' used areas reach (beyond it every range
    is blank); blanks counts the cells beyond it, all blank, that meet them all. None when the
    ranges differ in shape.

    A range's values are read once; a criterion is decided once per distinct value, so 100k
    cells holding "train" and "valid" cost two tests and a lookup each."""
    shape = pairs[0][0].shape
    if any(rng.shape != shape for rng, _ in pairs):
        return None
    h = w = 0
    for rng, _ in pairs:
        ch, cw = rng.clipped_shape()
        h, w = max(h, ch), max(w, cw)
    keep = None
    all_blank = True
    for rng, crit in pairs:
        pred = criterion(crit)
        vals = _flat(rng, h, w)
        ok = _decide(pred, vals)
        keep = ok if keep is None else list(map(and_, keep, ok))
        all_blank = all_blank and pred(None)
    blanks = shape[0] * shape[1] - h * w if all_blank else 0
    return keep if keep is not None else [], blanks, (h, w)


def _flat(rng, h, w):
    return rng.flat(h, w) if hasattr(rng, "flat") and not hasattr(rng, "rows") else rng.flat_part(h, w)


def _decide(pred, values):
    """[pred(v) for v in values], deciding once per distinct value where the values allow."""
    typed = list(zip(map(type, values), values))    # TRUE and 1.0 are one key in a set: not here
    try:
        distinct = set(typed)
    except TypeError:
        return [pred(v) for v in values]
    if len(distinct) * 4 > len(values):
        return [pred(v) for v in values]
    hits = {tv for tv in distinct if pred(tv[1])}
    return list(map(hits.__contains__, typed))


def text_of(v):
    return to_text(v)
