"""README.md's "Limits on untrusted workbooks" table is the code's constants (issue 14).

Three checks, each both ways:
- every documented constant's value is written in its row of the table (DOCUMENTED);
- every number in the table's limit column is the value of a constant documented in that row
  (no number in the README without a home in the code);
- every limit-like constant in sheetsgd.formula (MAX_*, *_BUDGET) is either documented or listed
  in INTERNAL with the reason it is not a limit on files (a new limit cannot stay unstated).

Limits other engineers are adding (issue 14: the reader's counts, the engine's work budget) are
listed in PENDING: their tests are xfail(strict=True), so they start failing loudly the day the
constant and its README row are both on main; the owner then moves the entry to DOCUMENTED.
"""
import functools
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def mib(n):
    return f"{n >> 20} MiB" if n % 2**20 == 0 else f"{n:,}"


def plain(n):
    return f"{n:,}"


# (module, constant): (regular expression matching the row's "what" column, how the value is written)
DOCUMENTED = {
    ("sheetsgd.formula.reader", "MAX_FILE_BYTES"): (r"^file size", mib),
    ("sheetsgd.formula.reader", "MAX_UNPACKED_BYTES"): (r"^file size; uncompressed size", mib),
    ("sheetsgd.formula.reader", "MAX_ZIP_ENTRIES"): (r"^zip members$", plain),
    ("sheetsgd.formula.reader", "MAX_CELLS"): (r"^cells$", plain),
    ("sheetsgd.formula.reader", "MAX_FORMULA_CHARS"): (r"^one formula$", plain),
    ("sheetsgd.formula.parser", "MAX_LENGTH"): (r"^one formula$", plain),
    ("sheetsgd.formula.parser", "MAX_DEPTH"): (r"^one formula$", plain),
    ("sheetsgd.formula.refs", "MAX_ROW"): (r"^references$", plain),
    ("sheetsgd.formula.refs", "MAX_COL"): (r"^references$", plain),
    ("sheetsgd.formula.reader", "MAX_SHEETS"): (r"^worksheets$", plain),
    ("sheetsgd.formula.reader", "MAX_ROWS"): (r"^rows", plain),
    ("sheetsgd.formula.reader", "MAX_SHARED_STRINGS"): (r"^shared strings$", plain),
    ("sheetsgd.formula.reader", "MAX_DEFINED_NAMES"): (r"^defined names$", plain),
    ("sheetsgd.formula.reader", "MAX_FORMULA_TEXT"): (r"^formula text", plain),
    ("sheetsgd.formula.reader", "MAX_XML_ELEMENTS"): (r"^XML elements", plain),
    ("sheetsgd.formula.reader", "MAX_CHILDREN"): (r"^children of one element", plain),
    ("sheetsgd.formula.engine", "WORK_BUDGET"): (r"^work of one evaluation", plain),
    ("sheetsgd.formula.runner", "MAX_PARSED_CHARS"): (r"^distinct formula text", plain),
    ("sheetsgd.formula.ranges", "MAX_ARRAY_CELLS"): (r"^one array", plain),
    ("sheetsgd.formula.compiler", "MAX_NAME_DEPTH"): (r"^defined names inside", plain),
    ("sheetsgd.formula.compiler", "MAX_COMPILED_DEPTH"): (r"^defined names inside", plain),
}

# Being added for issue 14 (owner: reason). The row patterns are a guess: adjust them with the row.
PENDING = {
}

# Limit-like constants that are not limits on files, and why.
INTERNAL = {
    "MAX_TEXT": "Excel's own limit on one cell's text: a longer result is #VALUE!, as Excel computes it",
    "MAX_SERIAL": "Excel's last date (9999-12-31), a range of values, not of files",
    "MAX_CLIPPED_AREA": "how far a whole-column reference is clipped to the used area; nothing is refused",
    "MAX_BLOCK_VALUES": "when a filled-down block is computed cell by cell instead of at once; nothing is refused",
    "MAX_ARGS": "Excel's own limit on a function's arguments: a call with more is #VALUE!, as in Excel",
}


def table():
    """{what: limit} of the README's limits table, in order."""
    text = README.read_text()
    section = text.split("## Limits on untrusted workbooks", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if len(cells) == 2 and cells[0] != "what" and not set(cells[0]) <= set("-: "):
            rows[cells[0]] = cells[1]
    assert rows, "no limits table in README.md"
    return rows


def value(module, name):
    """The constant from `module`, or from whichever sheetsgd.formula module now defines it (the
    module named here is where it was when this test was written: code moves)."""
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        found = limit_like_constants().get(name)
        return None if found is None else getattr(importlib.import_module(found), name)


def row_of(pattern):
    hits = [(what, limit) for what, limit in table().items() if re.search(pattern, what, re.IGNORECASE)]
    assert len(hits) == 1, f"{len(hits)} rows of README's limits table match {pattern!r}: {hits}"
    return hits[0]


def check_stated(module, name, pattern, written):
    v = value(module, name)
    assert isinstance(v, int), f"{module}.{name} is not on main"
    what, limit = row_of(pattern)
    assert re.search(rf"(?<![\d,.]){re.escape(written(v))}(?![\d,])", limit), \
        f"README's row {what!r} says {limit!r}, the code's {name} is {written(v)}"


@pytest.mark.parametrize("module, name", list(DOCUMENTED))
def test_each_documented_constant_is_in_its_row(module, name):
    pattern, written = DOCUMENTED[module, name]
    check_stated(module, name, pattern, written)


@pytest.mark.parametrize("module, name", [
    pytest.param(m, n, marks=pytest.mark.xfail(strict=True, reason=PENDING[m, n][2])) for m, n in PENDING])
def test_each_pending_constant_is_in_its_row(module, name):
    pattern, written, _ = PENDING[module, name]
    check_stated(module, name, pattern, written)


NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(\s*MiB)?")


def test_every_number_in_the_table_is_a_constant_of_its_row():
    constants = {**{k: v[:2] for k, v in DOCUMENTED.items()}, **{k: v[:2] for k, v in PENDING.items()}}
    for what, limit in table().items():
        ours = {written(value(m, n)) for (m, n), (pattern, written) in constants.items()
                if isinstance(value(m, n), int) and re.search(pattern, what, re.IGNORECASE)}
        for found in NUMBER.finditer(limit):
            number = found.group(1) + (" MiB" if found.group(2) else "")
            assert number in ours, (f"README's limits row {what!r} says {number}, which is no constant "
                                    f"documented for it (its constants: {sorted(ours)})")


@functools.lru_cache(maxsize=None)
def limit_like_constants():
    """{name: module} of every MAX_* or *_BUDGET int at the top of a sheetsgd.formula module."""
    import sheetsgd.formula as formula
    found = {}
    for info in pkgutil.walk_packages(formula.__path__, formula.__name__ + "."):
        module = importlib.import_module(info.name)
        for name, v in vars(module).items():
            if re.fullmatch(r"MAX_[A-Z0-9_]+|[A-Z0-9_]*BUDGET", name) and isinstance(v, int) \
                    and not isinstance(v, bool):
                found.setdefault(name, info.name)
    return found


def test_no_limit_in_the_code_is_left_unstated():
    known = {n for _, n in DOCUMENTED} | {n for _, n in PENDING} | set(INTERNAL)
    unknown = {n: m for n, m in limit_like_constants().items() if n not in known}
    assert unknown == {}, ("limits in the code that README's table does not state: add each to DOCUMENTED "
                           "(and the README) or to INTERNAL with the reason it limits no file")


def test_the_movielens_figure_is_the_codes():
    """The README's "at most N ratings fit" is check_fits' arithmetic for MovieLens 100k (943 users,
    1,682 movies) and the lesson's 40 factors."""
    from sheetsgd.formula.reader import MAX_CELLS
    from sheetsgd.sheets import movielens as ml
    fit = (MAX_CELLS - ml.workbook_cells(0, 943, 1682, 40)) // ml.CELLS_PER_RATING
    assert f"at most {fit:,} ratings fit" in " ".join(README.read_text().split())
    with pytest.raises(Exception, match=f"at most {fit:,} ratings fit"):
        ml.check_fits(fit + 1, 943, 1682, 40)
    ml.check_fits(fit, 943, 1682, 40)
