"""Excel's criteria (COUNTIF, SUMIF, AVERAGEIF and their -IFS) over ranges that cost what they hold.

A criterion is a value or text: 23 (equal to the number 23: the text "23" does not match),
">=5", "<>1" (everything that is not 1: blanks, text and TRUE included), "apple", "a*e"
(wildcards * ? with ~ escaping), "=" (only truly empty cells), "<>" (every cell that holds
something, a formula's "" included), "" (blank or ""). Text compares without regard to case.

matching_positions() applies criteria to ranges of one shape, visiting only the cells that
hold something: a blank's verdict is decided once, so COUNTIF(A:A, "<>1") costs what A:A
holds, not a million cells.
"""
import re

from ..values import Array, ExcelError, parse_number, to_text
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
    if crit is None:
        crit = ""
    if type(crit) is ExcelError:
        return lambda v: v is crit
    if type(crit) is bool:
        return lambda v: type(v) is bool and v == crit
    if type(crit) is float:
        return lambda v: type(v) is float and v == crit
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


def _errors():
    from ..values import ERROR_CODES
    return {code.upper(): e for code, e in ERROR_CODES.items()}


_ERRORS = _errors()


def matching_positions(pairs):
    """The positions (i, j) that meet every (range or array, criterion) pair, with the count of
    blank positions that meet them all (their positions not listed: every range is blank
    there). Ranges of different shapes: None."""
    shape = None
    preds = []
    for rng, crit in pairs:
        if shape is None:
            shape = rng.shape
        elif rng.shape != shape:
            return None
        preds.append((rng, criterion(crit)))
    held = set()
    cells = []
    for rng, pred in preds:
        got = {(i, j): v for i, j, v in rng.cells()}
        cells.append(got)
        held.update(got)
    keep = []
    for pos in sorted(held):
        if all(pred(got.get(pos)) for (_, pred), got in zip(preds, cells)):
            keep.append(pos)
    blanks = 0
    if all(pred(None) for _, pred in preds):
        blanks = shape[0] * shape[1] - len(held)
    return keep, blanks, shape


def text_of(v):
    return to_text(v)
