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


def test_criteria_as_excel_documents_them():
    # COUNTIF: "=" matches only empty cells, "<>" every cell holding something ("" included),
    # "" blanks and "", "<>1" everything but the number 1 (blanks, text, TRUE included);
    # "1" and "=1" match the number and text that reads as it (Excel's cached COUNTIF(A2:A8, 23)
    # over 23 and "23" is 2 in IronCalc's COUNTIF.xlsx), ">0" only numbers; text ignores case;
    # wildcards * ? ~
    from sheetsgd.formula.functions.criteria import criterion
    from sheetsgd.formula.values import DIV0, NA
    values = ["train", "Train", "TRAIN ", "valid", None, "", 1.0, True, False, 0.0, NA, DIV0, "train", "tra*n", "1"]
    expect = {
        "train": [0, 1, 12], "TRAIN": [0, 1, 12], "tra*n": [0, 1, 12, 13], "tra~*n": [13],
        "=": [4], "<>": [i for i in range(len(values)) if i != 4], "": [4, 5],
        "<>1": [i for i in range(len(values)) if i != 6], "1": [6, 14], "=1": [6, 14], "TRUE": [7], ">0": [6],
        "#N/A": [10],
    }
    for crit, hits in expect.items():
        pred = criterion(crit)
        assert [i for i, v in enumerate(values) if pred(v)] == hits, crit
    # a criterion that is a value, not text: an empty cell is 0 ("the COUNTIFS function treats
    # the empty cell as a 0 value"), an error value counts that error
    for crit, hits in ((None, [9]), (1.0, [6, 14]), (NA, [10]), (True, [7])):
        pred = criterion(crit)
        assert [i for i, v in enumerate(values) if pred(v)] == hits, crit
    assert getattr(criterion("train"), "text_lower", None) == "train"
    assert getattr(criterion("tra*n"), "text_lower", None) is None   # wildcards: one by one
