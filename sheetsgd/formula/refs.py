"""A1 references, Excel's grid and sheet-name quoting: the one home of these facts.

Rows and columns are 1-based, as in A1 notation. Excel's grid is 1,048,576 rows x 16,384
columns (A1:XFD1048576); whole-column references like A:A are clipped to a sheet's used area
by the engine, not here. The reader, the engine, check, lint and the writer (which speaks
XlsxWriter's 0-based numbers and converts) all take these from here.
"""
import re

from ..errors import SheetsgdError

MAX_ROW = 1_048_576
MAX_COL = 16_384


def _letters(n):
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


COL_LETTERS = [""] + [_letters(n) for n in range(1, MAX_COL + 1)]   # 1 -> "A", 16384 -> "XFD"
COL_NUMBER = {s: n for n, s in enumerate(COL_LETTERS) if n}         # "A" -> 1 (upper case only)

_CELL = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})$")


class RefError(SheetsgdError, ValueError):
    """A bad A1 reference: one line naming it (a SheetsgdError for the CLI, a ValueError for callers
    that test text)."""


def col_number(letters):
    """'A' -> 1, 'Z' -> 26, 'AA' -> 27, 'XFD' -> 16384; past XFD the number anyway (the caller
    checks it against MAX_COL)."""
    n = COL_NUMBER.get(letters)
    if n is not None:
        return n
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - 64)
    return n


def col_letters(col):
    """1 -> 'A', 27 -> 'AA' (1 <= col <= MAX_COL)."""
    return COL_LETTERS[col]


def a1(row, col, row_abs=False, col_abs=False):
    """(25, 2) -> 'B25'; with row_abs/col_abs, '$B$25'."""
    return f"{'$' if col_abs else ''}{COL_LETTERS[col]}{'$' if row_abs else ''}{row}"


cell_name = a1


def parse_cell(text):
    """'B25' or '$B$25' -> (25, 2). A bad reference or one outside Excel's grid is a RefError
    naming it."""
    m = _CELL.match(text.strip())
    if not m:
        raise RefError(f"not a cell reference: {text!r}")
    row, col = int(m.group(2)), COL_NUMBER.get(m.group(1).upper())
    if col is None or not 1 <= row <= MAX_ROW:
        raise RefError(f"{text.strip()!r} is outside Excel's grid (A1:XFD1048576)")
    return row, col


def parse_range(text):
    """'AE3:AI208' -> (3, 31, 208, 35) as (row1, col1, row2, col2), corners sorted; 'B2' -> (2, 2, 2, 2)."""
    parts = text.split(":")
    if len(parts) > 2:
        raise RefError(f"bad range {text!r}: expected A1:B3")
    r1, c1 = parse_cell(parts[0])
    r2, c2 = parse_cell(parts[1]) if len(parts) == 2 else (r1, c1)
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


# Excel's rules for a sheet name in a reference (as XlsxWriter's quote_sheetname states them):
# quoted when it holds anything but word characters and ".", starts with a digit or ".", is an
# A1 cell inside the grid, or starts with an R1C1-style reference (R12, C3, RC4, R, C, RC).
_NEEDS_QUOTES = re.compile(r"[^\w.]|^[\d.]", re.UNICODE)
_A1_NAME = re.compile(r"([A-Za-z]{1,3})([0-9]+)$")
_R1_NAME = re.compile(r"R([0-9]+)", re.I)
_C1_NAME = re.compile(r"R?C([0-9]+)", re.I)


def _needs_quotes(name):
    if _NEEDS_QUOTES.search(name):
        return True
    m = _A1_NAME.match(name)
    if m:
        col = COL_NUMBER.get(m.group(1).upper())
        return col is not None and len(m.group(2)) <= 7 and 1 <= int(m.group(2)) <= MAX_ROW
    m = _R1_NAME.match(name) or _C1_NAME.match(name)
    if m:
        n = m.group(1)
        return len(n) <= 7 and 0 < int(n) <= (MAX_ROW if m.re is _R1_NAME else MAX_COL)
    return name.upper() in ("R", "C", "RC")


def quote_sheet(name):
    """A sheet name as it stands in a reference: dotprod, 'my sheet', 'it''s', 'A1'."""
    return "'" + name.replace("'", "''") + "'" if _needs_quotes(name) else name


def sheet_ref(sheet, ref):
    """dotprod!V41, 'my sheet'!B2."""
    return f"{quote_sheet(sheet)}!{ref}"


def split_sheet(text):
    """"'my sheet'!A1" -> ('my sheet', 'A1'); 'A1' -> (None, 'A1')."""
    if "!" not in text:
        return None, text
    sheet, _, ref = text.rpartition("!")
    if sheet.startswith("'") and sheet.endswith("'") and len(sheet) >= 2:
        sheet = sheet[1:-1].replace("''", "'")
    return sheet, ref
