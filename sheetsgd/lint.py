"""Portability lint: formulas that compute differently in Excel, LibreOffice and Google Sheets.

A workbook that gives one answer in Excel and another in LibreOffice teaches the wrong lesson
to half its readers. The lecture's own collab_filter.xlsx does it: bias!V42 is 0.319 in Excel
and 0.858 in LibreOffice, because SUMXMY2 skips a pair with a blank in Excel but counts the
blank as 0 in LibreOffice, and the bias sheet predicts a non-zero rating where none was given.

    lint_book(book) -> [(sheet, "A1", why)]

Two checks, both from the formula text and the cells it points at (nothing is evaluated):
  - SUMXMY2 / SUMX2MY2 / SUMX2PY2 whose two ranges pair a blank (or text) with a value;
  - any function outside PORTABLE, the functions all three programs have and compute alike.
"""
import re

from .formula.functions import REGISTRY
from .formula.functions.registry import ALL_PROGRAMS
from .formula.parser import FormulaError, Func, Name, Ref, parse, strip_prefix
from .formula.refs import a1

# The functions Excel, LibreOffice Calc (7.x) and Google Sheets all have, under the same name
# and with the same arguments: each function's registry entry says which programs have it
# (sheetsgd/formula/functions/). A function outside this set is flagged.
PORTABLE = frozenset(name for name, f in REGISTRY.items() if f.programs == ALL_PROGRAMS)

# Excel writes functions newer than Excel 2007 with a prefix in the file: _xlfn.IFNA, _xlfn._xlws.FILTER.
_PREFIXES = ("_XLFN.", "_XLWS.")

# Functions some program computes differently from Excel (the entry's `differs`): SUMXMY2 and its
# kin skip a pair with a blank in Excel, not in LibreOffice (measured on 7.4) or Google Sheets.
PAIRWISE = {name: f.differs for name, f in REGISTRY.items()
            if f.differs and name in ("SUMXMY2", "SUMX2MY2", "SUMX2PY2")}


def lint_book(book):
    """Warnings for every formula cell of `book` that may compute differently across programs.

    Returns [(sheet, "A1", why)] in sheet order, then row, then column; one entry per problem.
    """
    warnings = []
    for sheet_name, sheet in book.sheets.items():
        for (row, col) in sorted(_maybe_unportable(sheet)):
            for why in lint_formula(book, sheet_name, sheet.cell(row, col).formula):
                warnings.append((sheet_name, a1(row, col), why))
    return warnings


# A formula filled down 100k rows is one text with other digits in each row: with every digit
# masked (#), the sheet has a handful of distinct texts, each scanned for function names once.
# Exact: masking maps a digit to #, and a name found in a masked text with no # in it is the
# name the unmasked text has there; a masked name with # in it (LOG10 -> LOG##) sends the cells
# of that text to the one-by-one check.
_MASK_DIGITS = str.maketrans("0123456789", "##########")
_CALLED_MASKED = re.compile(r'([A-Za-z_#][A-Za-z0-9_.#]*)\s*\(')


def _maybe_unportable(sheet, chunk=65536):
    """The (row, col) of the formula cells whose text is not surely portable."""
    found = []
    batch = []
    for key, cell in sheet.items_with_formulas():
        if cell.formula is not None:
            batch.append((key, cell.formula))
            if len(batch) == chunk:             # a chunk at a time: the masked copies stay small
                found.extend(_doubtful_keys(batch))
                batch = []
    found.extend(_doubtful_keys(batch))
    return found


def _doubtful_keys(batch):
    if not batch:
        return []
    texts = [text for _, text in batch]
    # "\0" cannot occur in XML text: it keeps every masked text apart in one joined string
    masked = "\0".join(texts).translate(_MASK_DIGITS).split("\0")
    if len(masked) != len(texts):            # a formula built by hand holding "\0": no shortcut
        return [key for key, _ in batch]
    doubtful = {text for text in set(masked) if not _surely_portable_masked(text)}
    if not doubtful:
        return []
    return [key for (key, _), text in zip(batch, masked) if text in doubtful]


def _surely_portable_masked(masked):
    names = {function_name(n) for n in _CALLED_MASKED.findall(_QUOTED.sub("", masked))}
    return not any("#" in n for n in names) and names <= PORTABLE and names.isdisjoint(PAIRWISE)


# Fast path for the common case (a workbook has 10^5 formulas; tokenizing each costs ~40 us):
# names followed by "(", outside "text" literals and 'quoted sheet names'.
_QUOTED = re.compile(r'"[^"]*"|\'[^\']*\'')
_CALLED = re.compile(r'([A-Za-z_][A-Za-z0-9_.]*)\s*\(')


def _surely_portable(formula):
    names = {function_name(n) for n in _CALLED.findall(_QUOTED.sub("", formula))}
    return names <= PORTABLE and names.isdisjoint(PAIRWISE)


def lint_formula(book, sheet_name, formula):
    """Warnings (text) for one formula written on `sheet_name`."""
    if _surely_portable(formula):
        return []
    try:
        tree = parse(formula)
    except FormulaError as e:
        return [f"formula cannot be parsed ({e}); no program may read it the same way"]
    warnings = []
    for node in _calls_in_order(tree):
        name = node.name
        if name not in PORTABLE:
            warnings.append(f"{name} is not in every spreadsheet program (Excel, LibreOffice, Google Sheets)")
        if name in PAIRWISE:
            warnings.extend(_pairwise_blanks(book, sheet_name, name, node.args))
    return warnings


def _calls_in_order(tree):
    """The function calls of a tree in the order they are written."""
    out, stack = [], [tree]
    while stack:
        node = stack.pop()
        if type(node) is Func:
            out.append(node)
        stack.extend(reversed(list(node.children())))
    return out


def function_name(func_token):
    """'_xlfn._xlws.FILTER(' -> 'FILTER'; 'sum(' -> 'SUM'."""
    return strip_prefix(func_token.rstrip("("))


# ---------------------------------------------------------------- SUMXMY2 and kin

def _pairwise_blanks(book, sheet_name, name, args):
    """Warn when the two ranges pair a blank (or a text) cell with a cell that is not blank or 0.

    An argument that is not a plain range (an expression, an array constant) has no blanks:
    Excel and LibreOffice both turn a blank into 0 inside an expression. A blank paired with a
    0 (like dotprod's predictions, =IF(H2="",0,...)) gives the same sum either way.
    """
    if len(args) != 2:
        return []
    cells = [_range_cells(book, sheet_name, arg) for arg in args]
    if cells[0] is None and cells[1] is None:
        return []
    shapes = [(len(c), len(c[0])) if c else None for c in cells]
    if None not in shapes and shapes[0] != shapes[1]:
        return []  # both programs give an error for ranges of different shapes
    rows, cols = shapes[0] or shapes[1]
    for r in range(rows):
        for c in range(cols):
            pair = [grid[r][c] if grid is not None else _EXPRESSION for grid in cells]
            for mine, other in (pair, pair[::-1]):
                kind = _skipped_kind(mine)
                if kind == "text" and name == "SUMXMY2":
                    return [f"SUMXMY2 meets text in {_describe(mine)}: Excel skips the pair, "
                            f"LibreOffice gives #VALUE!"]
                if kind and _counts(other):
                    return [f"{name} pairs {kind} {mine[0]} with {_describe(other)}: {PAIRWISE[name]}"]
    return []


_EXPRESSION = ("an array element", None)   # an element of an expression or array constant: never blank


def _range_cells(book, sheet_name, arg):
    """A plain range argument as a grid of (label, Cell or None); None when not a plain range."""
    resolved = _resolve(book, sheet_name, arg)
    if resolved is None:
        return None
    target, (r1, c1, r2, c2) = resolved
    sheet = book.sheets[target]
    prefix = "" if target == sheet_name else f"{target}!"
    return [[(f"{prefix}{a1(r, c)}", sheet.cell(r, c)) for c in range(c1, c2 + 1)]
            for r in range(r1, r2 + 1)]


def _resolve(book, sheet_name, node, depth=0):
    """A Ref node or a defined name -> (sheet, bounds); None if not one area of this book."""
    if depth > 5:
        return None
    if type(node) is Ref:
        if node.book is not None or node.sheet2 is not None:
            return None
        target = sheet_name if node.sheet is None else _sheet_named(book, node.sheet)
        if target is None:
            return None
        return target, (node.r1, node.c1, node.r2, node.c2)
    if type(node) is Name and node.book is None:
        scope = sheet_name if node.sheet is None else _sheet_named(book, node.sheet)
        if scope is None:
            return None
        definition = book.sheets[scope].names.get(node.name) or book.names.get(node.name)
        if definition is None:
            return None
        try:
            tree = parse(definition if definition.startswith("=") else "=" + definition)
        except FormulaError:
            return None
        return _resolve(book, scope, tree, depth + 1)
    return None


def _sheet_named(book, name):
    """The book's spelling of a sheet name (Excel matches sheet names ignoring case), or None."""
    if name in book.sheets:
        return name
    return next((s for s in book.sheets if s.upper() == name.upper()), None)


def _skipped_kind(entry):
    """'blank' / 'text' when Excel would skip this element of a pair, else None."""
    label, cell = entry
    if label == _EXPRESSION[0]:
        return None
    if cell is None or (cell.formula is None and cell.array_master is None and cell.value is None):
        return "blank"
    if isinstance(cell.value, str):   # a text constant, or a formula that now yields text
        return "text"
    return None


def _counts(entry):
    """True when the partner's value would change the sum if the pair were counted.

    A formula cell is never blank; its cached value says what it holds now (unknown counts).
    """
    label, cell = entry
    if label == _EXPRESSION[0]:
        return True
    if _skipped_kind(entry):
        return False
    value = cell.value
    return not (isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0)


def _describe(entry):
    label, cell = entry
    if cell is None:
        return label
    if cell.formula is not None or cell.array_master is not None:
        return f"formula cell {label} (= {cell.value!r})"
    return f"{label} (= {cell.value!r})"
