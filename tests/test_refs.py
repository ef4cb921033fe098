"""refs.py, the one home of A1 notation, Excel's grid and sheet-name quoting, against XlsxWriter's
and openpyxl's own helpers (independent implementations of the same rules)."""
import pytest
from openpyxl.utils import column_index_from_string, get_column_letter
from xlsxwriter.utility import quote_sheetname, xl_rowcol_to_cell

from sheetsgd import writer
from sheetsgd.errors import SheetsgdError
from sheetsgd.formula import refs


def test_every_column_both_ways():
    for n in range(1, refs.MAX_COL + 1):
        letters = get_column_letter(n)
        assert refs.COL_LETTERS[n] == refs.col_letters(n) == letters
        assert refs.COL_NUMBER[letters] == refs.col_number(letters) == column_index_from_string(letters)
    assert refs.col_number("XFE") == refs.MAX_COL + 1 and refs.col_number("xfd") == refs.MAX_COL


@pytest.mark.parametrize("row, col", [(1, 1), (25, 2), (1048576, 16384), (99, 703)])
def test_a1_and_back(row, col):
    for ra in (False, True):
        for ca in (False, True):
            text = refs.a1(row, col, ra, ca)
            assert text == xl_rowcol_to_cell(row - 1, col - 1, ra, ca)
            assert refs.parse_cell(text) == (row, col)
            assert writer.a1(row - 1, col - 1, ra, ca) == text and writer.rc(text) == (row - 1, col - 1)


@pytest.mark.parametrize("text, message", [
    ("ZZZZ9", "not a cell reference: 'ZZZZ9'"), ("", "not a cell reference"), ("B²", "not a cell reference"),
    ("A0", "'A0' is outside Excel's grid"), ("XFE1", "'XFE1' is outside Excel's grid"),
    ("A1048577", "outside Excel's grid"), ("A" + "9" * 5000, "not a cell reference"),
])
def test_a_bad_reference_is_one_line_naming_it(text, message):
    with pytest.raises(refs.RefError, match=message) as e:
        refs.parse_cell(text)
    assert isinstance(e.value, SheetsgdError) and isinstance(e.value, ValueError)


def test_ranges():
    assert refs.parse_range("AE3:AI208") == (3, 31, 208, 35)
    assert refs.parse_range("$B$9:A1") == (1, 1, 9, 2)
    assert refs.parse_range("C4") == (4, 3, 4, 3)
    with pytest.raises(refs.RefError, match="bad range"):
        refs.parse_range("A1:B2:C3")


NAMES = ["dotprod", "my sheet", "it's", "A1", "a1", "XFD1048576", "XFE1", "XFD1048577", "R1", "r12x", "C3",
         "RC4", "R", "c", "rc", "RCX", "Sheet.1", ".x", "1a", "données", "sheet-1", "adam_ann", "lr_find",
         "Sheet1 (2)", "R0", "C0", "C16385", "R1048577", "ABCD1", "_x", "Σ", "a²", "tab\tname", "[1]", "a!b"]


@pytest.mark.parametrize("name", NAMES)
def test_sheet_names_quoted_as_excel_and_xlsxwriter_quote_them(name):
    assert refs.quote_sheet(name) == quote_sheetname(name)
    assert refs.split_sheet(refs.sheet_ref(name, "B2")) == (name, "B2")
    assert writer.quote_sheet is refs.quote_sheet
