"""Small books for the function tests: the example data of a Microsoft page, placed as the page
places it (A1 = the first cell of its table)."""
from sheetsgd.formula import evaluate_formula
from sheetsgd.formula.book import Book, Cell, Sheet
from sheetsgd.formula.refs import parse_cell


def book(cells, sheet="Sheet1"):
    """{"A1": value or "=formula"} -> a Book of one sheet."""
    s = Sheet(sheet)
    for ref, v in cells.items():
        r, c = parse_cell(ref)
        if isinstance(v, str) and v.startswith("="):
            s.cells[(r, c)] = Cell(formula=v)
        else:
            s.cells[(r, c)] = Cell(value=float(v) if type(v) is int else v)
        s.max_row, s.max_col = max(s.max_row, r), max(s.max_col, c)
    return Book(path="<test>", sheets={sheet: s})


def table(rows, top_left="A1"):
    """Rows of values -> {"A1": ..., "B1": ...} starting at top_left."""
    from sheetsgd.formula.refs import a1
    r0, c0 = parse_cell(top_left)
    return {a1(r0 + i, c0 + j): v for i, row in enumerate(rows) for j, v in enumerate(row) if v is not None}


def ev(text, cells=None):
    return evaluate_formula(text, book(cells) if cells is not None else None)


def close(got, want, rel=1e-9):
    if isinstance(want, float) and isinstance(got, float):
        return abs(got - want) <= rel * max(1.0, abs(want))
    return got == want and type(got) is type(want)
