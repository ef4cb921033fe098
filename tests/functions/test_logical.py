"""Logical functions: each case is an example of Microsoft's page for the function (the entry's
doc link) with the result the page gives; then the corpus's cached values where Excel does what
no page says (the file and cell named)."""
import pytest
from cells import close, ev, table

from sheetsgd.formula.values import DIV0, NA, REF, VALUE, ExcelError

SCORES = table([["Score"], [93], [89], [53], [71]])
DAYS = table([["Value"], [2], [99], [99], [2], [3]])
BUDGET = table([["Quota", "Units"], [210, 35], [55, 0], [None, 23]])

DOCUMENTED = [
    # IF
    ('=IF(A2>B2,"Over Budget","OK")', table([["Actual", "Budget"], [1500, 900]]), "Over Budget"),
    ('=IF(A2=1,"Yes","No")', table([["x"], [2]]), "No"),
    # IFS: "=IFS(A2>89,"A",A2>79,"B",A2>69,"C",A2>59,"D",TRUE,"F")"
    ('=IFS(A2>89,"A",A2>79,"B",A2>69,"C",A2>59,"D",TRUE,"F")', SCORES, "A"),
    ('=IFS(A3>89,"A",A3>79,"B",A3>69,"C",A3>59,"D",TRUE,"F")', SCORES, "B"),
    ('=IFS(A4>89,"A",A4>79,"B",A4>69,"C",A4>59,"D",TRUE,"F")', SCORES, "F"),
    ('=IFS(A5>89,"A",A5>79,"B",A5>69,"C",A5>59,"D",TRUE,"F")', SCORES, "C"),
    ('=IFS(A4>89,"A")', SCORES, NA),                      # "no TRUE conditions are found: #N/A"
    # SWITCH
    ('=SWITCH(A3,1,"Sunday",2,"Monday",3,"Tuesday")', DAYS, NA),
    ('=SWITCH(A4,1,"Sunday",2,"Monday",3,"Tuesday","No match")', DAYS, "No match"),
    ('=SWITCH(A5,1,"Sunday",7,"Saturday","weekday")', DAYS, "weekday"),
    ('=SWITCH(A6,1,"Sunday",2,"Monday",3,"Tuesday","No match")', DAYS, "Tuesday"),
    # AND, OR, XOR, NOT
    ("=AND(TRUE,TRUE)", None, True), ("=AND(TRUE,FALSE)", None, False), ("=AND(2+2=4,2+3=5)", None, True),
    ("=OR(TRUE)", None, True), ("=OR(1+1=1,2+2=5)", None, False), ("=OR(TRUE,FALSE,TRUE)", None, True),
    ("=XOR(3>0,2<9)", None, False), ("=XOR(3>12,4>6)", None, False), ("=XOR(3>0,2>9)", None, True),
    ("=NOT(A2>100)", table([["x"], [50]]), True), ("=NOT(FALSE)", None, True),
    # IFERROR, IFNA
    ('=IFERROR(A2/B2,"Error in calculation")', BUDGET, 6.0),
    ('=IFERROR(A3/B3,"Error in calculation")', BUDGET, "Error in calculation"),
    ('=IFERROR(A4/B4,"Error in calculation")', BUDGET, 0.0),
    ('=IFNA(VLOOKUP("Seattle",A2:B4,2,FALSE),"Not found")', BUDGET, "Not found"),
]


@pytest.mark.parametrize("formula, cells, want", DOCUMENTED)
def test_documented_examples(formula, cells, want):
    assert close(ev(formula, cells), want)


# What Excel caches in the corpus's files (../shared/corpus), where the pages say nothing
CORPUS = [
    # AND/OR/XOR: text typed directly is skipped (formulas test.xlsx LOGICAL!AP3:AT3)
    ('=AND(TRUE,"0")', True), ('=AND(TRUE,"0",#REF!)', REF), ('=OR(TRUE,"ciao",#REF!)', REF),
    ('=AND("TRUE",1)', True), ("=AND(B2:B3)", VALUE),
    # SWITCH: a blank is the number 0 (pycel logical.xlsx Switch!C29:C41); a case that is a
    # reference is read as a value (Switch!C14)
    ("=SWITCH(A9,0,1)", 1.0), ('=SWITCH(A9,"",1)', NA), ("=SWITCH(A9,FALSE,1)", NA),
    ('=SWITCH(B2,B2,"same")', "same"),
    # element by element in an array formula (Switch!A44, Logical!O26)
    ("=SWITCH({FALSE,TRUE},FALSE,0,TRUE,1)", [[0.0, 1.0]]),
    ("=IFS({1,0,0},1,{0,0,1},2)", [[1.0, NA, 2.0]]),
    ('=IFS({1,"x"},1)', [[1.0, VALUE]]), ("=IFS(1/0,1)", DIV0),
]


@pytest.mark.parametrize("formula, want", CORPUS)
def test_what_the_corpus_caches(formula, want):
    assert close(ev(formula, table([["text", "more"]], "B2")), want)


# ---------------------------------------------------------------- LAMBDA and its helpers
SIX = table([[1, 2, 3], [4, 5, 6]])
LAMBDAS = [
    ("=LAMBDA(x, x+122)(1)", None, 123.0),
    ("=BYROW(A1:C2, LAMBDA(array, MAX(array)))", SIX, [[3.0], [6.0]]),
    ("=BYCOL(A1:C2, LAMBDA(array, MAX(array)))", SIX, [[4.0, 5.0, 6.0]]),
    ("=MAP(A1:C2, LAMBDA(a, IF(a>4,a*a,+a)))", SIX, [[1.0, 2.0, 3.0], [4.0, 25.0, 36.0]]),
    ("=REDUCE(, A1:C2, LAMBDA(a,b,a+b^2))", SIX, 91.0),
    ('=SCAN("",{"a","b","c"},LAMBDA(a,b,a&b))', None, [["a", "ab", "abc"]]),
    ("=SCAN(1,{1,2,3},LAMBDA(a,b,a*b))", None, [[1.0, 2.0, 6.0]]),
    ("=MAKEARRAY(2,3,LAMBDA(r,c,r*c))", None, [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0]]),
    ('=LAMBDA(x,y,IF(ISOMITTED(y),"y param is missing",x+y))(1)', None, "y param is missing"),
    ("=LET(f,LAMBDA(x,x*2),f(3))", None, 6.0), ("=LAMBDA(x,ROWS(x))(A1:C2)", SIX, 2.0),
    ("=BYROW(A1:C2,_xleta.SUM)", SIX, [[6.0], [15.0]]), ("=LAMBDA(x,x)", None, ExcelError("#CALC!")),
]


@pytest.mark.parametrize("formula, cells, want", LAMBDAS)
def test_lambdas(formula, cells, want):
    assert close(ev(formula, cells), want)


def test_a_defined_name_bound_to_a_lambda_is_called():
    # formulas test.xlsx: MYLAMBDA = LAMBDA(x,y,z, SUM(x*2, y*3, -z, ...)), =MYLAMBDA(2,1,2)
    from cells import book
    from sheetsgd.formula import evaluate_formula
    b = book({"A1": 1})
    b.names["TWICE"] = "_xlfn.LAMBDA(_xlpm.x,_xlpm.x*2)"
    assert evaluate_formula("=TWICE(21)", b) == 42.0
