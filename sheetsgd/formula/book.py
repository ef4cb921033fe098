"""What a workbook file is, to the evaluator: sheets of cells, formulas, defined names.

The reader (reader.py) builds a Book from an .xlsx/.xlsm; the engine computes it.
Rows and columns are 1-based, as in A1 notation.
"""
from dataclasses import dataclass, field
from typing import Dict, Optional, Tuple


@dataclass
class Cell:
    value: object = None            # the cached value (values.py types); None = blank / not stored
    formula: Optional[str] = None   # formula text with its leading "=", e.g. "=SUM(A1:A3)";
                                    # shared formulas already translated to this cell
    array_ref: Optional[str] = None # master cell of an array formula: the range it fills, "AE3:AI208"
    array_master: Optional[Tuple[int, int]] = None  # other cells of an array range: its master (row, col)


@dataclass
class Sheet:
    name: str
    cells: Dict[Tuple[int, int], Cell] = field(default_factory=dict)
    names: Dict[str, str] = field(default_factory=dict)   # sheet-scoped defined names (upper-case key)
    max_row: int = 0
    max_col: int = 0


@dataclass
class Book:
    path: str
    sheets: Dict[str, Sheet] = field(default_factory=dict)  # in workbook order
    names: Dict[str, str] = field(default_factory=dict)     # workbook-scoped defined names (upper-case key),
                                                            # value = the name's formula text, e.g. "dotprod!$B$25:$F$39"
