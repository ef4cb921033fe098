"""Books built by hand for the formula tests: {'Sheet1': {'A1': 1.0, 'B1': '=A1+1'}}."""
from sheetsgd.formula.book import Book, Cell, Sheet
from sheetsgd.formula.refs import parse_cell, parse_range


class ArrayFormula:
    """An array formula {=text} over the range ref, e.g. ArrayFormula('=MMULT(A1:B2,D1:D2)', 'F1:F2')."""

    def __init__(self, text, ref, cached=None):
        self.text, self.ref, self.cached = text, ref, cached


def make_book(sheets, names=None, sheet_names=None):
    book = Book(path="<test>", names={k.upper(): v for k, v in (names or {}).items()})
    for sname, cells in sheets.items():
        sheet = Sheet(sname, names={k.upper(): v for k, v in ((sheet_names or {}).get(sname) or {}).items()})
        for ref, v in cells.items():
            r, c = parse_cell(ref)
            if isinstance(v, ArrayFormula):
                r1, c1, r2, c2 = parse_range(v.ref)
                for rr in range(r1, r2 + 1):
                    for cc in range(c1, c2 + 1):
                        if (rr, cc) != (r1, c1):
                            sheet.cells[(rr, cc)] = Cell(array_master=(r1, c1))
                sheet.cells[(r1, c1)] = Cell(value=v.cached, formula=v.text, array_ref=v.ref)
            elif isinstance(v, tuple):          # (formula, cached value)
                sheet.cells[(r, c)] = Cell(value=v[1], formula=v[0])
            elif isinstance(v, str) and v.startswith("="):
                sheet.cells[(r, c)] = Cell(formula=v)
            else:
                sheet.cells[(r, c)] = Cell(value=float(v) if type(v) is int else v)
            sheet.max_row = max(sheet.max_row, r)
            sheet.max_col = max(sheet.max_col, c)
        book.sheets[sname] = sheet
    return book


def test_text_criterion_on_a_range_matches_cell_by_cell():
    from sheetsgd.formula import functions
    from sheetsgd.formula.values import DIV0, NA
    values = ["train", "Train", "TRAIN ", "valid", None, "", 1.0, True, False, 0.0, NA, DIV0, "train", "tra*n"]
    for crit in ["train", "TRAIN", "valid", "tra*n", "=train", "<>train", "", "1", "TRUE", "x"]:
        pred = functions._criterion(crit)
        assert functions._matching(pred, values) == [pred(v) for v in values], crit
    assert getattr(functions._criterion("train"), "text_lower", None) == "train"
    assert getattr(functions._criterion("tra*n"), "text_lower", None) is None   # wildcards: one by one


def test_sum_kept_first_error_and_numbers_only():
    from sheetsgd.formula import functions
    from sheetsgd.formula.values import DIV0, NA
    A = functions.Array
    assert functions._sum_kept(A([[1.0, "x", None, 2.0, True]]), [True] * 5) == 3.0
    assert functions._sum_kept(A([[1.0, NA, DIV0]]), [True, False, True]) is DIV0
    assert functions._sum_kept(A([[1.0, NA, DIV0]]), [True, True, True]) is NA
    assert functions._sum_kept(A([[1.0, 3.0]]), [True, True], average=True) == 2.0
    assert functions._sum_kept(A([["a"]]), [True], average=True) is DIV0
