"""Structured references (Excel tables), as Microsoft documents them in "Using structured
references with Excel tables": [#This Row] is the formula's own row of the named columns,
wherever the formula is; outside the table's data rows it is #VALUE!."""
from test_formula_helpers import make_book

from sheetsgd.formula import evaluate_book
from sheetsgd.formula.book import Table
from sheetsgd.formula.values import VALUE


def book_with_table():
    # data: A1:D4 on sheet "data" (header row 1), Table1 = Name, Age, Fare, Twice (=[@Age]*2)
    data = {"A1": "Name", "B1": "Age", "C1": "Fare", "D1": "Twice",
            "A2": "a", "B2": 10.0, "C2": 1.0,
            "A3": "b", "B3": 20.0, "C3": 2.0,
            "A4": "c", "B4": 30.0, "C4": 3.0,
            "D2": "=[@Age]*2", "D3": "=[@Age]*2", "D4": "=[@Age]*2",
            "F2": "=SUMPRODUCT(Table1[[#This Row],[Age]:[Fare]],{1,100})",
            "F3": "=SUMPRODUCT(Table1[[#This Row],[Age]:[Fare]],{1,100})",
            **{f"F{r}": "=SUMPRODUCT(Table1[[#This Row],[Age]:[Fare]],{1,100})" for r in range(4, 9)},
            "G1": "=MAX(Table1[Age])", "G2": "=ROWS(Table1[#All])", "G3": "=Table1[[#Headers],[Fare]]"}
    other = {"B3": "=Table1[[#This Row],[Age]]+1", "B9": "=Table1[[#This Row],[Age]]+1",
             "C4": "=SUM(Table1[[#This Row],[Age]:[Fare]])"}
    book = make_book({"data": data, "other": other})
    book.tables["TABLE1"] = Table("Table1", "data", 1, 1, 4, 4, 1, 0, ["Name", "Age", "Fare", "Twice"])
    return book


def test_this_row_is_the_formulas_row_of_the_columns_on_any_sheet():
    v = evaluate_book(book_with_table()).values
    assert [v[("data", f"D{r}")] for r in (2, 3, 4)] == [20.0, 40.0, 60.0]
    # several columns of this row: a row of the table, even from a column outside it
    assert v[("data", "F2")] == 10.0 + 100.0
    assert v[("data", "F3")] == 20.0 + 200.0
    assert v[("other", "B3")] == 21.0            # Table1 is on another sheet: still row 3
    assert v[("other", "C4")] == 33.0
    # a row the table's data does not hold: #VALUE!
    assert v[("data", "F4")] == 330.0            # filled down past the table's last row:
    assert [v[("data", f"F{r}")] for r in range(5, 9)] == [VALUE] * 4
    assert v[("other", "B9")] == VALUE
    assert (v[("data", "G1")], v[("data", "G2")], v[("data", "G3")]) == (30.0, 4.0, "Fare")
