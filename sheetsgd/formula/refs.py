"""A1 reference helpers: column letters <-> numbers, "B25" <-> (25, 2), "A1:B3" -> bounds.

Rows and columns are 1-based, as in A1 notation. Excel's grid is 1,048,576 rows x 16,384
columns (XFD); whole-column references like A:A are clipped to a sheet's used area by the
engine, not here.
"""
import re

from ..errors import SheetsgdError

MAX_ROW = 1_048_576
MAX_COL = 16_384

COL_LETTERS = [""]              # 1 -> "A" ... 16384 -> "XFD" (filled below)
COL_NUMBER = {}                 # "A" -> 1 ... "XFD" -> 16384 (upper case)
_CELL = re.compile(r"^\$?([A-Za-z]{1,3})\$?([0-9]{1,7})$")
_COL_LETTERS = {}


def col_number(letters):
    """'A' -> 1, 'Z' -> 26, 'AA' -> 27, 'XFD' -> 16384."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - 64)
    return n


def col_letters(col):
    """1 -> 'A', 27 -> 'AA' (cached: the engine names every formula cell)."""
    s = _COL_LETTERS.get(col)
    if s is None:
        n, out = col, ""
        while n > 0:
            n, rem = divmod(n - 1, 26)
            out = chr(65 + rem) + out
        s = _COL_LETTERS[col] = out
    return s


for _n in range(1, MAX_COL + 1):
    COL_LETTERS.append(col_letters(_n))
    COL_NUMBER[COL_LETTERS[_n]] = _n
del _n


def a1(row, col):
    """(25, 2) -> 'B25'."""
    return f"{col_letters(col)}{row}"


def parse_cell(text):
    """'B25' or '$B$25' -> (25, 2); a bad cell name is a SheetsgdError naming it."""
    m = _CELL.match(text.strip())
    if not m:
        raise SheetsgdError(f"bad cell reference {text!r}: expected A1 style like B25 or $B$25")
    row, col = int(m.group(2)), col_number(m.group(1))
    if not (1 <= row <= MAX_ROW and 1 <= col <= MAX_COL):
        raise SheetsgdError(f"cell reference {text!r} is outside Excel's grid (A1:XFD1048576)")
    return row, col


def parse_range(text):
    """'AE3:AI208' -> (3, 31, 208, 35) as (row1, col1, row2, col2), normalised; 'B2' -> (2, 2, 2, 2)."""
    parts = text.split(":")
    if len(parts) == 1:
        r, c = parse_cell(parts[0])
        return r, c, r, c
    if len(parts) != 2:
        raise SheetsgdError(f"bad range {text!r}: expected A1:B3")
    r1, c1 = parse_cell(parts[0])
    r2, c2 = parse_cell(parts[1])
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


def split_sheet(text):
    """"'my sheet'!A1" -> ('my sheet', 'A1'); 'A1' -> (None, 'A1')."""
    if "!" not in text:
        return None, text
    sheet, _, ref = text.rpartition("!")
    if sheet.startswith("'") and sheet.endswith("'") and len(sheet) >= 2:
        sheet = sheet[1:-1].replace("''", "'")
    return sheet, ref
