"""The reader's limits on untrusted workbooks, and its one error type.

Each breach is a one-line SheetsgdError naming the file and the limit (read_book adds the file
name). README.md's limits table states the same numbers (a test holds them together).
"""
from ..refs import MAX_COL, MAX_ROW  # noqa: F401  (Excel's grid: refs.py is its home)

MAX_FILE_BYTES = 512 * 2**20          # the .xlsx file itself
MAX_ZIP_ENTRIES = 100_000             # members of the zip
MAX_UNPACKED_BYTES = 512 * 2**20      # uncompressed bytes of the parts read, all together
MAX_SHEETS = 10_000                   # worksheets (<sheet> entries) in the workbook
MAX_CELLS = 2_000_000                 # <c> elements, plus the cells array formulas cover
MAX_ROWS = 4_000_000                  # <row> elements, empty ones too (Excel writes formatted rows)
MAX_SHARED_STRINGS = 2_000_000        # <si> entries of the shared-strings part
MAX_DEFINED_NAMES = 1_000_000         # <definedName> entries
MAX_FORMULA_CHARS = 8_192             # one formula (Excel's own limit)
MAX_FORMULA_TEXT = 100_000_000        # formula text in all, shared formulas expanded to every cell
MAX_XML_ELEMENTS = 16_000_000         # elements parsed with lxml in all (the plain cells are not: see sheet_xml.py)
MAX_CHILDREN = 65_536                 # children of one element read whole (a row: 16,384 cells at most)


class ReadError(Exception):
    """A problem found deep in the reader; read_book prefixes the file name."""


def size_text(n):
    return f"{n / 1e9:.1f} GB" if n >= 1e9 else f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n:,} bytes"


def limit_text(n):
    """A byte limit as it is set: 512 MiB."""
    return f"{n >> 20} MiB" if n >= 2**20 and n % 2**20 == 0 else f"{n:,} bytes"
