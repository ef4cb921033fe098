"""Runs of one formula filled down, as the planner finds them."""
from test_formula_helpers import make_book

from sheetsgd.formula import evaluate_book
from sheetsgd.formula.engine import Engine
from sheetsgd.formula.plan import build_units


def test_a_run_stops_at_a_gap_in_the_rows():
    # the same text in rows 1-24 and 34-60 (a formula that names no row reads alike in every
    # row): two runs, not one over the empty rows between (the 2022 lesson's conv-example.xlsx,
    # its =RAND() column, computed an empty cell and stopped)
    cells = {f"A{r}": "=1+1" for r in list(range(1, 25)) + list(range(34, 61))}
    book = make_book({"Sheet1": cells})
    runs = sorted((u.r0, u.r1) for u in build_units(Engine(book)))
    assert runs == [(1, 24), (34, 60)]
    v = evaluate_book(book).values
    assert v[("Sheet1", "A60")] == 2.0 and ("Sheet1", "A30") not in v
