"""The engine on books built by hand: names, array formulas, order, cycles, volatile cells."""
import math
import time

from test_formula_helpers import ArrayFormula, make_book

from sheetsgd.formula import evaluate_book, evaluate_formula
from sheetsgd.formula.values import NA, NAME, REF, VALUE


def test_every_formula_cell_gets_a_value_keyed_by_sheet_and_a1():
    book = make_book({"data": {"A1": 2.0, "B1": "=A1*3"}, "my sheet": {"C3": "=data!B1+1", "D4": 5.0}})
    ev = evaluate_book(book)
    assert ev.values == {("data", "B1"): 6.0, ("my sheet", "C3"): 7.0}
    assert ev.uncheckable == {}
    assert evaluate_formula("='my sheet'!C3*2", book) == 14.0


def test_defined_names_workbook_and_sheet_scoped():
    book = make_book(
        {"basic": {"A1": 0.5, "B1": "=lr*2", "C1": "=const+1", "D1": "=SUM(factors)", "E1": "=bad+1",
                   "F1": "=other!lr"},
         "other": {"A1": 0.25, "B1": "=lr*2", "C1": "=SUM(factors)*tiny"}},
        names={"lr": "basic!$A$1", "factors": "other!$A$1:$B$1", "bad": "basic!#REF!", "tiny": "0.0001",
               "union": "basic!$A$1,other!$A$1"},
        sheet_names={"other": {"lr": "other!$A$1"}, "basic": {"const": "3"}})
    v = evaluate_book(book).values
    assert v[("basic", "B1")] == 1.0            # workbook-scoped lr -> basic!A1
    assert v[("other", "B1")] == 0.5            # sheet-scoped lr wins inside its sheet
    assert v[("basic", "F1")] == 0.25           # other!lr names the other sheet's lr
    assert v[("basic", "C1")] == 4.0            # a constant name
    assert v[("basic", "E1")] == REF            # a name pointing at #REF! is an error value
    assert v[("other", "C1")] == (0.25 + 0.5) * 0.0001
    assert v[("basic", "D1")] == 0.75
    assert evaluate_formula("=union", book, "basic") == VALUE


def test_array_formula_is_computed_once_and_spread():
    # {=MMULT(A1:B3,D1:E2)} over G1:H3, as movielens_1hot's AE3:AI208; plus a range too large
    book = make_book({"S": {
        "A1": 1.0, "B1": 2.0, "A2": 3.0, "B2": 4.0, "A3": 5.0, "B3": 6.0,
        "D1": 1.0, "E1": 0.0, "D2": 0.0, "E2": 1.0,
        "G1": ArrayFormula("=MMULT(A1:B3,D1:E2)", "G1:H3"),
        "J1": ArrayFormula("=A1:A2*10", "J1:J3"),
        "K1": "=SUM(G1:H3)", "L1": "=H2",
    }})
    v = evaluate_book(book).values
    assert [[v[("S", f"{c}{r}")] for c in "GH"] for r in (1, 2, 3)] == [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
    assert (v[("S", "J1")], v[("S", "J2")], v[("S", "J3")]) == (10.0, 30.0, NA)   # beyond the result: #N/A
    assert v[("S", "K1")] == 21.0
    assert v[("S", "L1")] == 4.0


def test_dependency_order_does_not_depend_on_cell_order():
    # cells listed bottom-up: the engine must still compute precedents first
    cells = {f"A{r}": f"=A{r - 1}+1" for r in range(400, 1, -1)}
    cells["A1"] = 1.0
    cells["B1"] = "=SUM(A1:A400)"
    v = evaluate_book(make_book({"S": cells})).values
    assert v[("S", "A400")] == 400.0
    assert v[("S", "B1")] == 400 * 401 / 2


def test_long_sgd_like_chain_has_no_recursion_limit():
    # 29 rows x 100 epochs: each row uses the previous one, as graddesc's basic sheet does
    n = 2900
    cells = {"A1": 30.0, "B1": 2.0, "C1": 0.0001}
    for r in range(2, n + 2):
        cells[f"A{r}"] = f"=A{r - 1}-$C$1*2*(A{r - 1}+B{r - 1}*{r % 29 + 1}-(2*{r % 29 + 1}+30))"
        cells[f"B{r}"] = f"=B{r - 1}-$C$1*2*(A{r - 1}+B{r - 1}*{r % 29 + 1}-(2*{r % 29 + 1}+30))*{r % 29 + 1}"
    cells = dict(reversed(list(cells.items())))
    start = time.perf_counter()
    v = evaluate_book(make_book({"basic": cells})).values
    assert time.perf_counter() - start < 10
    a, b = 30.0, 2.0
    for r in range(2, n + 2):
        x = r % 29 + 1
        g = 2 * (a + b * x - (2 * x + 30))
        a, b = a - 0.0001 * g, b - 0.0001 * g * x
    assert math.isclose(v[("basic", f"A{n + 1}")], a, rel_tol=1e-12)
    assert math.isclose(v[("basic", f"B{n + 1}")], b, rel_tol=1e-12)


def test_dynamic_offset_chain_is_computed_without_deep_recursion():
    # each cell reads the one above through OFFSET: a dependency only known while computing
    n = 3000
    cells = {"A1": 1.0}
    for r in range(n, 1, -1):
        cells[f"A{r}"] = f"=OFFSET(A{r},-1,0)+1"
    v = evaluate_book(make_book({"S": cells})).values
    assert v[("S", f"A{n}")] == float(n)


def test_circular_references_are_named_not_hung():
    book = make_book({"S": {"A1": ("=B1+1", 5.0), "B1": ("=A1+1", 6.0), "C1": "=A1*2",
                            "D2": ("=SUM(D1:D3)", 0.0), "E1": ("=OFFSET(F1,0,-1)", 9.0)}})
    ev = evaluate_book(book)
    reason = ev.uncheckable[("S", "A1")]
    assert reason.startswith("circular reference: ")
    assert "S!A1" in reason and "S!B1" in reason and reason.count("->") == 2
    assert ev.uncheckable[("S", "B1")] == reason
    assert ev.uncheckable[("S", "D2")] == "circular reference: S!D2 -> S!D2"
    assert "circular reference" in ev.uncheckable[("S", "E1")]      # found while computing (OFFSET)
    # cells in a cycle keep their cached values, so the rest is computed from them; but what
    # is computed from a cycle is not checkable either (its inputs are not the formulas' own)
    assert ev.values[("S", "A1")] == 5.0
    assert ev.values[("S", "C1")] == 10.0
    assert ev.uncheckable[("S", "C1")].startswith("depends on S!")


def test_row_of_own_cell_is_not_circular():
    # mom_bias.xlsx: A4 =CEILING.MATH((ROW(A4)-3)/10): ROW only locates A4, it does not read it
    book = make_book({"S": {"A4": "=_xlfn.CEILING.MATH((ROW(A4)-3)/10)", "A15": "=ROW(A15)+COLUMN(A15)"}})
    ev = evaluate_book(book)
    assert ev.uncheckable == {}
    assert ev.values[("S", "A4")] == 1.0 and ev.values[("S", "A15")] == 16.0


def test_volatile_cells_keep_cached_values_and_are_uncheckable():
    book = make_book({"data": {"B5": ("=RANDBETWEEN(1,100)", 42.0), "C5": "=$C$1+B5*$C$2",
                               "C1": 30.0, "C2": 2.0, "D5": ("=RAND()*2", 0.5)}})
    ev = evaluate_book(book)
    assert ev.values[("data", "B5")] == 42.0
    assert ev.uncheckable[("data", "B5")] == "volatile RANDBETWEEN"
    assert ev.uncheckable[("data", "D5")] == "volatile RAND"
    assert ev.values[("data", "C5")] == 30.0 + 42.0 * 2.0     # computed from the cached draw
    assert ("data", "C5") not in ev.uncheckable


def test_unsupported_and_unparsable_cells_are_name_errors_and_uncheckable():
    book = make_book({"S": {"A1": ("=WEBSERVICE(\"x\")", 1.0), "A2": "=A1+1", "A3": "=1+",
                            "A4": "=" + "(" * 10_000 + "1" + ")" * 10_000, "A5": "=2"}})
    ev = evaluate_book(book)
    assert ev.values[("S", "A1")] == NAME
    assert ev.uncheckable[("S", "A1")] == "unsupported function WEBSERVICE"
    assert ev.values[("S", "A2")] == NAME
    assert ev.uncheckable[("S", "A2")].startswith("depends on S!A1")
    assert ev.values[("S", "A3")] == NAME
    assert ev.uncheckable[("S", "A3")].startswith("unparsable formula")
    assert ev.values[("S", "A4")] == NAME
    assert ev.values[("S", "A5")] == 2.0 and ("S", "A5") not in ev.uncheckable


def test_whole_columns_and_rows():
    book = make_book({"S": {"A1": 1.0, "A2": 2.0, "A3": "x", "B1": "=SUM(A:A)", "B2": "=COUNTA(1:1)",
                            "B3": "=MATCH(2,A:A,0)", "B4": "=INDEX(A:A,2)"}})
    v = evaluate_book(book).values
    assert v[("S", "B1")] == 3.0
    assert v[("S", "B2")] == 2.0
    assert v[("S", "B3")] == 2.0
    assert v[("S", "B4")] == 2.0


def test_hostile_workbooks_stay_bounded():
    # text doubling row after row would need 2^60 characters: Excel caps text at 32,767 (#VALUE!)
    cells = {"A1": "x"}
    for r in range(2, 62):
        cells[f"A{r}"] = f"=A{r - 1}&A{r - 1}"
    # a 300x300 by 300x300 MMULT, whole-sheet ranges, a wildcard made to backtrack
    for r in range(1, 301):
        cells[f"C{r}"] = float(r)
    cells["B1"] = ArrayFormula("=MMULT(OFFSET(C1,0,0,300,1)*TRANSPOSE(OFFSET(C1,0,0,300,1)),"
                               "OFFSET(C1,0,0,300,1)*TRANSPOSE(OFFSET(C1,0,0,300,1)))", "B1:B1")
    other = {"D1": "=SUM(S!C1:XFD1048576)", "D2": "=COUNTA(S!1:1048576)",
             "D3": "=MATCH(\"" + "*a" * 200 + "*c\",S!E1:E1,0)", "D4": "=ROUND(1.5,1E300)+OFFSET(S!C1,1E300,0)"}
    cells["E1"] = "a" * 30000
    start = time.perf_counter()
    ev = evaluate_book(make_book({"S": cells, "T": other}))
    assert time.perf_counter() - start < 20
    v = ev.values
    assert v[("S", "A15")] == "x" * 2 ** 14
    assert v[("S", "A16")] == VALUE and v[("S", "A61")] == VALUE      # 2^15 > 32,767 characters
    assert v[("S", "B1")] == float(sum(r * r for r in range(1, 301)))     # (c c^T)(c c^T) at [1,1]
    assert v[("T", "D1")] == 300 * 301 / 2
    assert v[("T", "D2")] == 61 + 1 + 300 + 1
    assert v[("T", "D3")] == NA
    assert v[("T", "D4")] == REF
    assert not ev.uncheckable


def test_a_range_over_its_own_cell_is_circular():
    ev = evaluate_book(make_book({"S": {"A1": 1.0, "D1": ("=SUM(A1:XFD1048576)", 7.0)}}))
    assert ev.uncheckable[("S", "D1")] == "circular reference: S!D1 -> S!D1"
    assert ev.values[("S", "D1")] == 7.0
