"""Information functions: each case is an example of Microsoft's page for the function (the
entry's doc link) with the result the page gives; then the corpus's cached values where Excel
does what no page says (the file and cell named)."""
import pytest
from cells import book, close, ev, table

from sheetsgd.formula import evaluate_book
from sheetsgd.formula.values import NA, VALUE

IS = table([["Data"], ["Gold"], ["Region1"], ["#REF!"], [330.92], ["#N/A"]])

DOCUMENTED = [
    # the IS functions' page
    ("=ISLOGICAL(TRUE)", None, True), ('=ISLOGICAL("TRUE")', None, False), ("=ISNUMBER(4)", None, True),
    ("=ISREF(G8)", None, True), ("=ISREF(XYZ1)", None, False),
    ("=ISBLANK(A2)", IS, False), ("=ISERROR(A4)", table([["x"], [None], [None], [1, None]]), False),
    ("=ISERROR(1/0)", None, True), ("=ISNA(NA())", None, True), ("=ISERR(NA())", None, False),
    ("=ISERR(1/0)", None, True), ("=ISNA(A6)", IS, False), ("=ISNUMBER(A5)", IS, True),
    ("=ISTEXT(A3)", IS, True), ("=ISNONTEXT(A5)", IS, True),
    # ISEVEN, ISODD
    ("=ISEVEN(-1)", None, False), ("=ISEVEN(2.5)", None, True), ("=ISEVEN(5)", None, False), ("=ISEVEN(0)", None, True),
    ("=ISODD(-1)", None, True), ("=ISODD(2.5)", None, False), ("=ISODD(5)", None, True),
    # N, TYPE, ERROR.TYPE, NA
    ("=N(7)", None, 7.0), ('=N("Even")', None, 0.0), ("=N(TRUE)", None, 1.0), ('=N("7")', None, 0.0),
    ("=TYPE(A2)", table([["Data"], ["Smith"]]), 2.0), ('=TYPE("MR. "&A2)', table([["Data"], ["Smith"]]), 2.0),
    ("=TYPE(2+A2)", table([["Data"], ["Smith"]]), 16.0), ("=TYPE({1,2;3,4})", None, 64.0),
    ("=ERROR.TYPE(#NULL!)", None, 1.0), ("=ERROR.TYPE(1/0)", None, 2.0), ("=ERROR.TYPE(12)", None, NA),
    ("=NA()", None, NA),
    # CELL
    ('=CELL("row",A20)', None, 20.0), ('=CELL("contents",A3)', table([["x"], [None], [2]]), 2.0),
    ('=CELL("type",A2)', table([["x"], ["text"]]), "l"), ('=CELL("address",B2)', None, "$B$2"),
]


@pytest.mark.parametrize("formula, cells, want", DOCUMENTED)
def test_documented_examples(formula, cells, want):
    assert close(ev(formula, cells), want)


def test_isformula_tells_formula_cells():
    # "=ISFORMULA(A2)" is TRUE where A2 holds =TODAY(); a constant is FALSE
    b = book({"A1": 3, "A2": "=1+1", "B1": "=ISFORMULA(A2)", "B2": "=ISFORMULA(A1)"})
    v = evaluate_book(b).values
    assert (v[("Sheet1", "B1")], v[("Sheet1", "B2")]) == (True, False)


CORPUS = [
    # the Analysis ToolPak's rules for ISEVEN/ISODD (formulas test.xlsx INFORMATION!Y9, AH9)
    ("=ISEVEN(TRUE)", VALUE), ('=ISODD("3")', True), ("=ISEVEN({1,2})", VALUE),
    # N and TYPE of a block: its first value, and 64 (INFORMATION!AH19, AG24)
    ("=N({4,1})", 4.0), ("=TYPE(B2:C2)", 64.0),
]


@pytest.mark.parametrize("formula, want", CORPUS)
def test_what_the_corpus_caches(formula, want):
    assert close(ev(formula, table([["a", "b"]], "B2")), want)
