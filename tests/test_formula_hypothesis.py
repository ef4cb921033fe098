"""Property tests: random expressions equal what Python's math computes directly under Excel's
documented rules (error cases included), and random text never raises anything but FormulaError."""
import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_formula_helpers import make_book

from sheetsgd.formula import FormulaError, evaluate_formula, parse
from sheetsgd.formula.values import DIV0, NUM, ExcelError

CELL_VALUES = {"A1": 0.0, "A2": 1.5, "A3": -2.0, "A4": 3.0, "A5": 1000.0, "A6": -0.25}   # A7: blank
BLANK = "A7"
BOOK = make_book({"Sheet1": dict(CELL_VALUES, B1="text", B2=True)}, names={"lr": "Sheet1!$A$2"})

# ---------------------------------------------------------------- the oracle
# An expression is (text, value, is_blank_ref); value is float, bool or ExcelError.


def _num(v):
    return (1.0 if v else 0.0) if isinstance(v, bool) else v


def _arith(op, a, b):
    if isinstance(a, ExcelError):
        return a
    if isinstance(b, ExcelError):
        return b
    x, y = _num(a), _num(b)
    if op == "/":
        if y == 0:
            return DIV0                         # "#DIV/0! when a number is divided by zero"
        r = x / y
    elif op == "^":
        if x == 0 and y == 0:
            return NUM                          # Excel: 0^0 is #NUM!
        if x == 0 and y < 0:
            return DIV0
        if x < 0 and y != int(y):
            return NUM                          # no complex results
        try:
            r = math.pow(x, y)
        except OverflowError:
            return NUM
    else:
        r = x + y if op == "+" else x - y if op == "-" else x * y
    return NUM if math.isinf(r) or math.isnan(r) else r


def _rank(v):
    return 2 if isinstance(v, bool) else 0    # numbers < booleans (no text in these expressions)


def _compare(op, a, b):
    if isinstance(a, ExcelError):
        return a
    if isinstance(b, ExcelError):
        return b
    if _rank(a) != _rank(b):
        c = -1 if _rank(a) < _rank(b) else 1
    else:
        c = (a > b) - (a < b)
    return {"=": c == 0, "<": c < 0, ">": c > 0}[op]


def _func1(name, a):
    if isinstance(a, ExcelError):
        return a
    x = _num(a)
    if name == "ABS":
        return abs(x)
    if name == "SQRT":
        return NUM if x < 0 else math.sqrt(x)
    if name == "LN":
        return NUM if x <= 0 else math.log(x)
    try:
        return math.exp(x)
    except OverflowError:
        return NUM


def _agg(name, args):
    xs = []
    for v, blank_ref in args:
        if isinstance(v, ExcelError):
            return v
        if blank_ref:
            continue                            # a reference to a blank cell is ignored
        xs.append(_num(v))
    if name == "SUM":
        r = 0.0
        for x in xs:
            r += x
        return NUM if math.isinf(r) or math.isnan(r) else r
    if not xs:
        return 0.0                              # MAX/MIN of no numbers is 0
    return max(xs) if name == "MAX" else min(xs)


leaf = st.one_of(
    st.sampled_from(sorted(CELL_VALUES)).map(lambda ref: (ref, CELL_VALUES[ref], False)),
    st.just((BLANK, None, True)),
    st.just(("lr", 1.5, False)),
    st.sampled_from([0.0, 1.0, 2.0, 0.5, 10.0, 2.25, 1e3, 700.0]).map(lambda x: (repr(x), x, False)),
    st.sampled_from([True, False]).map(lambda b: ("TRUE" if b else "FALSE", b, False)),
)


def _value(e):
    return 0.0 if e[2] else e[1]    # a blank read as an operand is 0


def _extend(children):
    binop = st.tuples(st.sampled_from("+-*/^"), children, children).map(
        lambda t: (f"({t[1][0]}{t[0]}{t[2][0]})", _arith(t[0], _value(t[1]), _value(t[2])), False))
    cmp = st.tuples(st.sampled_from(["=", "<", ">"]), children, children).map(
        lambda t: (f"({t[1][0]}{t[0]}{t[2][0]})",
                   _compare(t[0], False if t[1][2] and isinstance(_value(t[2]), bool) else _value(t[1]),
                            False if t[2][2] and isinstance(_value(t[1]), bool) else _value(t[2])), False))
    neg = children.map(lambda e: (f"-{e[0]}" if e[0][0] != "-" else f"-({e[0]})",
                                  e[1] if isinstance(e[1], ExcelError) else 0.0 - _num(_value(e)), False))
    f1 = st.tuples(st.sampled_from(["ABS", "SQRT", "EXP", "LN"]), children).map(
        lambda t: (f"{t[0]}({t[1][0]})", _func1(t[0], _value(t[1])), False))
    agg = st.tuples(st.sampled_from(["SUM", "MAX", "MIN"]), st.lists(children, min_size=1, max_size=3)).map(
        lambda t: (f"{t[0]}({','.join(e[0] for e in t[1])})", _agg(t[0], [(e[1], e[2]) for e in t[1]]), False))
    return st.one_of(binop, cmp, neg, f1, agg)


expressions = st.recursive(leaf, _extend, max_leaves=12)


def _same(ours, expected):
    if isinstance(expected, ExcelError) or isinstance(ours, ExcelError):
        return ours is expected
    if isinstance(expected, bool) or isinstance(ours, bool):
        return ours is expected
    return ours == expected or abs(ours - expected) <= 1e-12 * max(abs(ours), abs(expected))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions)
def test_random_expressions_match_math(expr):
    text, expected, blank_ref = expr
    if blank_ref:
        expected = 0.0                      # =A7 (a blank cell) shows 0
    ours = evaluate_formula("=" + text, BOOK, "Sheet1")
    assert _same(ours, expected), (text, ours, expected)


TOKENS = ["SUM(", "IF(", "A1", "$B$2", "Sheet1!", "'my sheet'!", "1", "2.5", "1E5", '"x"', "#N/A", "TRUE",
          ",", "(", ")", "+", "-", "*", "/", "^", "&", "=", "<>", "<", ">=", "%", ":", "{", "}", ";",
          "OFFSET(", "INDEX(", "MATCH(", "MMULT(", "SUMPRODUCT(", "A:A", "1:1", "lr", " ", "B1", "B2",
          "ROW(", "_xlfn.VAR.P(", "SQRT(", "FOO(", "#REF!", "'", '"', "!"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.lists(st.sampled_from(TOKENS), max_size=25).map("".join),
                 st.text(alphabet="=+-*/^&%(),;:{}<>\"'!$#.ABCabc0123 _", max_size=40)))
def test_random_text_only_raises_formula_error(text):
    try:
        parse("=" + text)
    except FormulaError:
        return
    value = evaluate_formula("=" + text, BOOK, "Sheet1")
    assert value is None or isinstance(value, (float, str, bool, ExcelError, list))
