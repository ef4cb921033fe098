"""Lookup & Reference functions: each case is an example of Microsoft's page for the function
(the entry's doc link) with the result the page gives; then the corpus's cached values where
Excel does what no page says (the file and cell named)."""
import pytest
from cells import close, ev, table

from sheetsgd.formula.functions import REGISTRY
from sheetsgd.formula.values import NA, REF, VALUE, ExcelError

FRUIT = table([["Product", "Count"], ["Bananas", 25], ["Oranges", 38], ["Apples", 40], ["Pears", 41]])
DENSITY = table([["Density", "Viscosity", "Temperature"], [0.457, 3.55, 500], [0.525, 3.25, 400],
                 [0.606, 2.93, 300], [0.675, 2.75, 250], [0.746, 2.57, 200], [0.835, 2.38, 150],
                 [0.946, 2.17, 100], [1.09, 1.95, 50], [1.29, 1.71, 0]])
AXLES = table([["Axles", "Bearings", "Bolts"], [4, 4, 9], [5, 7, 10], [6, 8, 11]])
COLORS = table([["Frequency", "Color"], [4.14, "red"], [4.19, "orange"], [5.17, "yellow"],
                [5.77, "green"], [6.39, "blue"]])
FRUIT2 = table([["Data", "Data"], ["Apples", "Lemons"], ["Bananas", "Pears"]])

DOCUMENTED = [
    # MATCH
    ("=MATCH(39,B2:B5,1)", FRUIT, 2.0), ("=MATCH(41,B2:B5,0)", FRUIT, 4.0),
    ("=MATCH(40,B2:B5,-1)", FRUIT, NA),          # "the values in B2:B5 are not in descending order"
    ('=MATCH("b",{"a","b","c"},0)', None, 2.0), ("=MATCH(25,{5;25;38},0)", None, 2.0),
    # VLOOKUP (the density table of its page)
    ("=VLOOKUP(1,A2:C10,2)", DENSITY, 2.17), ("=VLOOKUP(1,A2:C10,3,TRUE)", DENSITY, 100.0),
    ("=VLOOKUP(0.7,A2:C10,3,FALSE)", DENSITY, NA), ("=VLOOKUP(0.1,A2:C10,2,TRUE)", DENSITY, NA),
    ("=VLOOKUP(2,A2:C10,2,TRUE)", DENSITY, 1.71),
    # HLOOKUP
    ('=HLOOKUP("Axles",A1:C4,2,TRUE)', AXLES, 4.0), ('=HLOOKUP("Bearings",A1:C4,3,FALSE)', AXLES, 7.0),
    ('=HLOOKUP("B",A1:C4,3,TRUE)', AXLES, 5.0), ('=HLOOKUP("Bolts",A1:C4,4)', AXLES, 11.0),
    ('=HLOOKUP(3,{1,2,3;"a","b","c";"d","e","f"},2,TRUE)', None, "c"),
    # LOOKUP: vector form and array form
    ("=LOOKUP(4.19,A2:A6,B2:B6)", COLORS, "orange"), ("=LOOKUP(5.75,A2:A6,B2:B6)", COLORS, "yellow"),
    ("=LOOKUP(7.66,A2:A6,B2:B6)", COLORS, "blue"), ("=LOOKUP(0,A2:A6,B2:B6)", COLORS, NA),
    ('=LOOKUP("C",{"a","b","c","d";1,2,3,4})', None, 3.0), ('=LOOKUP("bump",{"a",1;"b",2;"c",3})', None, 2.0),
    # INDEX
    ("=INDEX(A2:B3,2,2)", FRUIT2, "Pears"), ("=INDEX(A2:B3,2,1)", FRUIT2, "Bananas"),
    ("=INDEX({1,2;3,4},0,2)", None, [[2.0], [4.0]]),
    # CHOOSE
    ("=CHOOSE(2,A2,A3,A4,A5)", table([["Data"], ["1st"], ["2nd"], ["3rd"], ["Finished"]]), "2nd"),
    ("=CHOOSE(4,B2,B3,B4,B5)", table([["Data", "Data"], [None, "Nails"], [None, "Screws"], [None, "Nuts"],
                                       [None, "Bolts"]]), "Bolts"),
    # ADDRESS
    ("=ADDRESS(2,3)", None, "$C$2"), ("=ADDRESS(2,3,2)", None, "C$2"), ("=ADDRESS(2,3,2,FALSE)", None, "R2C[3]"),
    ('=ADDRESS(2,3,1,FALSE,"[Book1]Sheet1")', None, "'[Book1]Sheet1'!R2C3"),
    ('=ADDRESS(2,3,1,FALSE,"EXCEL SHEET")', None, "'EXCEL SHEET'!R2C3"),
    # ROW, COLUMN, ROWS, COLUMNS
    ("=ROW(C10)", None, 10.0), ("=COLUMN(D10)", None, 4.0), ("=ROWS(C1:E4)", None, 4.0),
    ("=ROWS({1,2,3;4,5,6})", None, 2.0), ("=COLUMNS(C1:E4)", None, 3.0), ("=COLUMNS({1,2,3;4,5,6})", None, 3.0),
    # AREAS
    ("=AREAS(B2:D4)", None, 1.0), ("=AREAS((B2:D4,E5,F6:I9))", None, 3.0), ("=AREAS(B2:D4 B2)", None, 1.0),
]


@pytest.mark.parametrize("formula, cells, want", DOCUMENTED)
def test_documented_examples(formula, cells, want):
    assert close(ev(formula, cells), want)


# What Excel caches in the corpus's files (../shared/corpus), where the pages say nothing
CORPUS = [
    # MATCH(..., -1): a scan from the first value of the lookup's kind while values are >= it
    # (pycel lookup.xlsx Lookup!B32:G32, formulas test.xlsx LOOKUP!R83:W90)
    ("=MATCH(-1,{0,1,2,3,4},-1)", 5.0), ("=MATCH(0.5,{0,1,2,3,4},-1)", NA), ("=MATCH(2,{0,1,2,3,4},-1)", NA),
    ("=MATCH(0,{0,1,2,3,4},-1)", 1.0), ('=MATCH(1.1,{"a",2.1,"c bau c",4.1},-1)', 4.0),
    # approximate: a value of another kind at the middle sends the search right first
    ("=MATCH(TRUE,{TRUE,4.1,FALSE,1.1})", 3.0), ('=LOOKUP("b",{"b",4.1,"a",1.1})', "a"),
    # an empty lookup value is 0 in approximate searches, nothing in exact ones
    ("=MATCH(A9,{-1.1,2.1,3.1,4.1})", 1.0), ("=MATCH(A9,{-1.1,2.1,3.1,4.1},0)", NA),
    ("=VLOOKUP(A9,{-1.1,5;2.1,6},2,TRUE)", 5.0),
    # INDEX: a block's row alone is #REF! for a reference, a negative index #VALUE!
    ("=INDEX(B2:C3,2)", REF), ("=INDEX(B2:C3,-1)", VALUE), ("=INDEX({2,3;4,5},2)", [[4.0, 5.0]]),
    ("=INDEX((B2:B3,C2:C3),1,1,2)", "c"), ("=INDEX((B2:B3,C2:C3),1,1,3)", REF),
    ("=COLUMNS((B2:B3,C2:C3))", REF),
    # LOOKUP's result vector must be one row or column (pycel lookup.xlsx Lookup!J30)
    ("=LOOKUP(2,{1;2},B2:C3)", NA),
    # a column number given as an array: its first (formulas test.xlsx LOOKUP!AH44)
    ("=VLOOKUP(2,{1,5,9;2,6,10},{2,3})", 6.0),
    # ADDRESS with a sheet argument, even empty, writes the "!" (formulas test.xlsx LOOKUP!S3)
    ('=ADDRESS(1,3,4,TRUE,"")', "!C1"),
]


@pytest.mark.parametrize("formula, want", CORPUS)
def test_what_the_corpus_caches(formula, want):
    assert close(ev(formula, table([["a", "c"], ["b", "d"]], "B2")), want)


def test_entries_link_their_pages():
    for name in ("MATCH", "INDEX", "VLOOKUP", "HLOOKUP", "LOOKUP", "CHOOSE", "ADDRESS", "ROWS", "COLUMNS"):
        assert REGISTRY[name].doc.startswith("https://support.microsoft.com/")


# ---------------------------------------------------------------- dynamic arrays (Excel 365)
DYNAMIC = [
    ("=XMATCH(4,{5,4,3,2,1})", 2.0), ("=XMATCH(4.5,{5,4,3,2,1},1)", 1.0),
    ('=XMATCH("Gra*",{"Apple","Grape","Pear"},2)', 2.0),
    ('=XLOOKUP("b",{"a";"b";"c"},{1;2;3})', 2.0), ('=XLOOKUP("z",{"a";"b"},{1;2},"none")', "none"),
    ("=XLOOKUP(2.5,{1;2;3},{10;20;30},,-1)", 20.0), ("=XLOOKUP(2.5,{1;2;3},{10;20;30},,1)", 30.0),
    ("=XLOOKUP(2,{1;2;3},{1,2;3,4;5,6})", [[3.0, 4.0]]),
    ("=SEQUENCE(2,3)", [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), ("=SEQUENCE(3,1,10,-5)", [[10.0], [5.0], [0.0]]),
    ("=SORT({3;1;2})", [[1.0], [2.0], [3.0]]), ("=SORT({3;1;2},1,-1)", [[3.0], [2.0], [1.0]]),
    ('=SORT({"b",2;"a",1},2)', [["a", 1.0], ["b", 2.0]]),
    ('=SORTBY({"x";"y";"z"},{3;1;2})', [["y"], ["z"], ["x"]]),
    ("=UNIQUE({1;1;2})", [[1.0], [2.0]]), ("=UNIQUE({1;1;2},FALSE,TRUE)", 2.0),
    ('=UNIQUE({"a";"A";"b"})', [["a"], ["b"]]),
    ("=FILTER({1;2;3},{TRUE;FALSE;TRUE})", [[1.0], [3.0]]), ('=FILTER({1;2},{FALSE;FALSE},"none")', "none"),
    ("=VSTACK({1,2},{3})", [[1.0, 2.0], [3.0, NA]]), ("=HSTACK({1;2},{3})", [[1.0, 3.0], [2.0, NA]]),
    ("=TAKE({1,2,3;4,5,6;7,8,9},2)", [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), ("=TAKE({1,2,3;4,5,6;7,8,9},-1,-2)", [[8.0, 9.0]]),
    ("=DROP({1,2,3;4,5,6;7,8,9},2)", [[7.0, 8.0, 9.0]]), ("=DROP({1,2,3;4,5,6;7,8,9},,-2)", [[1.0], [4.0], [7.0]]),
    ("=CHOOSECOLS({1,2,3;4,5,6},3,1)", [[3.0, 1.0], [6.0, 4.0]]), ("=CHOOSEROWS({1,2;3,4;5,6},-1)", [[5.0, 6.0]]),
    ("=TOCOL({1,2;3,4})", [[1.0], [2.0], [3.0], [4.0]]), ("=TOROW({1,2;3,4},0,TRUE)", [[1.0, 3.0, 2.0, 4.0]]),
    ('=WRAPROWS({"A","B","C","D","E","F","G"},3)', [["A", "B", "C"], ["D", "E", "F"], ["G", NA, NA]]),
    ("=WRAPCOLS({1,2,3},2)", [[1.0, 3.0], [2.0, NA]]), ("=EXPAND({1,2;3,4},3,3,0)", [[1.0, 2.0, 0.0], [3.0, 4.0, 0.0], [0.0, 0.0, 0.0]]),
]


@pytest.mark.parametrize("formula, want", DYNAMIC)
def test_dynamic_arrays_as_their_pages_describe(formula, want):
    assert close(ev(formula), want)


DYNAMIC_CORPUS = [
    # XMATCH orders kinds as SORT does and puts an empty lookup value last (formulas test.xlsx
    # LOOKUP!W173, X173, R175, R183)
    ("=XMATCH(A9,{FALSE,2.1,TRUE,4.1},-1)", 3.0), ('=XMATCH("b",{FALSE,2.1,TRUE,4.1},-1)', 4.0),
    ('=XMATCH(1.1,{"c bau c",4.1,"a",1.1},0,2)', NA), ("=XMATCH(1,{1,2},2,2)", VALUE),
    # errors sort in ERROR.TYPE's order (LOOKUP!U118); empty results are #VALUE! (LOOKUP!U16, R140)
    ("=SORT({#N/A,#NULL!,#DIV/0!},1,1,TRUE)", [[ExcelError("#NULL!"), ExcelError("#DIV/0!"), NA]]),
    ("=DROP({1;2},2)", VALUE), ("=TAKE({1;2},0)", VALUE), ("=UNIQUE({1;1},FALSE,TRUE)", VALUE),
    # FILTER with one include value for a row: TRUE keeps it, a blank cell is #VALUE! (LOOKUP!W22, Y22)
    ("=FILTER({1,2},TRUE)", [[1.0, 2.0]]), ("=FILTER({1,2},A9)", VALUE),
]


@pytest.mark.parametrize("formula, want", DYNAMIC_CORPUS)
def test_dynamic_arrays_as_the_corpus_caches(formula, want):
    assert close(ev(formula, table([["a"]], "B2")), want)
