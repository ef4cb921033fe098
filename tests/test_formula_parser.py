"""Parsing: Excel's precedence, references, limits on hostile text."""
import time

import pytest

from sheetsgd.formula import MAX_DEPTH, MAX_LENGTH, FormulaError, evaluate_formula, functions_used, parse
from sheetsgd.formula.parser import Binary, Const, Func, Name, Ref
from sheetsgd.formula.values import REF


# Excel's documented order ("Calculation operators and precedence in Excel", Microsoft support):
# : (range), negation, %, ^, * and /, + and -, &, comparisons. Negation before ^ is why
# =-2^2 is 4 in Excel (and -4 in mathematics); ^ is evaluated left to right: =2^3^2 is 64.
@pytest.mark.parametrize("text, expected", [
    ("=-2^2", 4.0),
    ("=2^3^2", 64.0),
    ("=0-2^2", -4.0),            # binary minus is below ^
    ("=2*3+4", 10.0),
    ("=2+3*4", 14.0),
    ("=(2+3)*4", 20.0),
    ("=10-4-3", 3.0),            # left to right
    ("=2^-1", 0.5),
    ("=50%", 0.5),
    ("=-50%^2", 0.25),           # negation, then %, then ^
    ("=2^50%", 2 ** 0.5),
    ("=1+2&3", "33"),            # & is below +
    ("=1+1=2", True),            # comparison is last
    ("=\"a\"&1+1=\"a2\"", True),
    ("=--1", 1.0),
    ("=---1", -1.0),
    ("=+1", 1.0),
    ("=1--1", 2.0),
])
def test_precedence(text, expected):
    assert evaluate_formula(text) == expected


def test_references_parse_to_bounds_sheets_and_anchors():
    r = parse("=$B25:$F25")
    assert (r.sheet, r.r1, r.c1, r.r2, r.c2) == (None, 25, 2, 25, 6)
    assert r.abs == (False, True, False, True)
    r = parse("='my sheet'!A1:B2")
    assert (r.sheet, r.r1, r.c1, r.r2, r.c2) == ("my sheet", 1, 1, 2, 2)
    r = parse("=dotprod!B25")
    assert (r.sheet, r.r1, r.c1) == ("dotprod", 25, 2)
    r = parse("='it''s'!C3")
    assert r.sheet == "it's"
    r = parse("=B3:A1")                      # normalised
    assert (r.r1, r.c1, r.r2, r.c2) == (1, 1, 3, 2)
    r = parse("=A:B")
    assert (r.r1, r.c1, r.r2, r.c2) == (1, 1, 1048576, 2)
    r = parse("=2:3")
    assert (r.r1, r.c1, r.r2, r.c2) == (2, 1, 3, 16384)


def test_names_functions_and_constants():
    assert parse("=lr") == Name("LR")
    assert parse("=basic!lr") == Name("LR", "basic")
    assert parse("=TRUE") == Const(True)
    assert parse("=movielens_1hot!#REF!") == Const(REF)
    f = parse("=_xlfn.CEILING.MATH(1.5)")
    assert isinstance(f, Func) and f.name == "CEILING.MATH"
    # LOG10 followed by "(" is a function, without it a cell (column LOG, row 10), as in Excel
    assert isinstance(parse("=LOG10(100)"), Func)
    assert isinstance(parse("=LOG10"), Ref)


def test_long_chains_are_one_wide_node():
    tree = parse("=" + "+".join(["A1"] * 2000))
    assert isinstance(tree, Binary) and len(tree.operands) == 2000
    # (1+2)+3 keeps its parentheses as structure: only chains built in one loop merge
    tree = parse("=1+(2+3)")
    assert len(tree.operands) == 2


def test_functions_used():
    assert functions_used('=IF(H2="",0,MMULT($B25:$F25,H$19:H$23))') == {"IF", "MMULT"}
    assert functions_used("=_xlfn.VAR.P(B4:B5)+SQRT(SUMSQ(A1:A3))") == {"VAR.P", "SQRT", "SUMSQ"}
    assert functions_used("=A1+1") == set()


@pytest.mark.parametrize("text", ["=1+", "=SUM(1", "=)", "=1 2", "=A1:", "={1,2;3}", "=", "=@#", "=\"abc",
                                  "=SUM(1,,", "=1+*2"])
def test_bad_text_is_a_formula_error(text):
    with pytest.raises(FormulaError):
        parse(text)


def test_hostile_nesting_and_length_fail_cleanly_and_fast():
    start = time.perf_counter()
    for text in ("=" + "(" * 10_000 + "1" + ")" * 10_000,       # 10,000 nested parentheses
                 "=" + "1+" * 50_000 + "1",                      # 100k characters
                 "=" + "ABS(" * 10_000 + "1" + ")" * 10_000,
                 "=" + "-(" * 3000 + "1" + ")" * 3000):
        with pytest.raises(FormulaError) as e:
            parse(text)
        assert "limit" in str(e.value) or "deeper" in str(e.value)
    assert time.perf_counter() - start < 1.0


def test_limits_are_excel_sized_and_usable_up_to_the_limit():
    assert MAX_LENGTH == 8192 and MAX_DEPTH == 256
    deep = "=" + "(" * (MAX_DEPTH - 1) + "1" + ")" * (MAX_DEPTH - 1)
    assert evaluate_formula(deep) == 1.0
    nested = "=" + "ABS(" * 200 + "-1" + ")" * 200
    assert evaluate_formula(nested) == 1.0
    with pytest.raises(FormulaError):
        parse("=" + "(" * MAX_DEPTH + "1" + ")" * MAX_DEPTH)
    wide = "=" + "+".join(["1"] * 4000)                           # 7999 characters: allowed
    assert evaluate_formula(wide) == 4000.0
