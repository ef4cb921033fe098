"""Read an .xlsx/.xlsm into a Book (book.py): a streaming reader that is safe on hostile files.

    from sheetsgd.formula.reader import read_book
    book = read_book("collab_filter.xlsx")

Why not openpyxl.load_workbook: the lecture's collab_filter.xlsx makes it raise TypeError in
its pivot-cache reader, and it takes ~14 s on a 100k-row workbook. One file, one job each:

    package.py    the zip: regular files only, size and member limits, a budget of unpacked bytes
    safe_xml.py   lxml without DTDs, entities or network; XML and OOXML text rules
    workbook.py   workbook.xml (sheets, defined names, date system), relationships, shared
                  strings, table parts; read_book
    sheet_xml.py  one worksheet's cells: the fast regular-expression path and the lxml path
    slices.py     a worksheet streamed: <sheetData>'s inside in slices, the rest checked as XML
    plain.py      the plain shape of <sheetData> that the fast path reads
    templates.py  row templates: rows of one shape read many at a time
    shared.py     shared formulas moved to each follower cell
    limits.py     the limits (MAX_*), stated in README.md's table

What is kept: every worksheet in workbook order (a Sheet in its split form: constants as plain
values beside the formula Cells); each cell's cached value (values.py types); its formula with
a leading "=" (shared formulas translated to each follower cell, array formulas as master +
array_ref, the rest of the range pointing at the master; references to other workbooks,
[1]Sheet1!A1, as written); defined names, workbook- and sheet-scoped (localSheetId), hidden
ones too, with their text as written; the tables (Book.tables) and the date system
(Book.date1904).
"""
from .limits import (MAX_CELLS, MAX_CHILDREN, MAX_COL, MAX_DEFINED_NAMES, MAX_FILE_BYTES, MAX_FORMULA_CHARS,  # noqa: F401
                     MAX_FORMULA_TEXT, MAX_ROW, MAX_ROWS, MAX_SHARED_STRINGS, MAX_SHEETS, MAX_UNPACKED_BYTES,
                     MAX_XML_ELEMENTS, MAX_ZIP_ENTRIES)
from .shared import SharedFormula  # noqa: F401
from .workbook import LazyBook, read_book

__all__ = ["read_book", "LazyBook", "SharedFormula"]
