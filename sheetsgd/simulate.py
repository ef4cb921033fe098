"""What-if: change an input of a workbook and see what follows, computed by the workbook's own
formulas (the Python API behind `sheetsgd eval --set` and `sheetsgd sweep`).

    import sheetsgd
    wb = sheetsgd.open("workbooks/graddesc.xlsx")
    wb.set("adam!lr", 0.1)                  # a cell (adam!I4) or a defined name (sheet-scoped or global)
    wb["compare!E104"]                      # 1.7758157440369946: adam's RMSE after 100 epochs
    wb.range("compare!A4:F6")               # a list of rows (.to_frame() with pandas installed)
    wb.formula("adam!K8")                   # '=F8-M8*lr/SQRT(O8)'
    wb.sweep("adam!lr", [0.01, 0.1, 1], ["compare!E104"])   # a Sweep: one row per value
    wb.save("graddesc-lr0.1.xlsx")          # the changed workbook, with its new cached values

Only what the cells asked for need is read and computed: the sheets are read from the file
when a formula of the cells asked for (or of the cells they read, and so on) reads them
(reader.LazyBook), and of those sheets' formulas only the steps the cells need are computed
(formula/incremental.py). After a change, only the steps it reaches are computed again;
everything else is reused. Values are what a spreadsheet program shows after the same edit:
numbers as floats, text as str, TRUE/FALSE as bool, errors as ExcelError (str(e) is "#N/A"),
blank as None. Cells in a circular reference and volatile cells (RAND, NOW) keep the values
the file caches, as `sheetsgd check` does.
"""
import math
import os
import re

from .errors import SheetsgdError
from .formula.refs import COL_LETTERS, RefError, a1, parse_range, sheet_ref, split_sheet
from .formula.incremental import Incremental, step_keys
from .formula.values import ERROR_CODES, ExcelError

_NAME = re.compile(r"[A-Za-z_\\][\w.\\?]*$")
_CELL_LIKE = re.compile(r"\$?[A-Za-z]{1,3}\$?[0-9]+$")      # a cell, maybe outside the grid: never a name
_USE = "use SHEET!A1, SHEET!A1:B9 or a defined name, e.g. adam!I4 or adam!lr"
_UNSET = object()
MAX_CELLS = 1_000_000       # cells one range asked for may hold
VECTOR_CELLS = 50_000       # fewer cells than this in long runs: computed one by one, which costs less
                            # than importing NumPy for its path (~0.1 s; formula/lazy_numpy.py)
_SHEET_PREFIX = re.compile(r"'((?:[^']|'')+)'!|([^\W\d][\w.]*)!")      # a sheet named in formula text


class gc_paused:
    """The cyclic garbage collector paused in a with block (as check.py's _no_cyclic_gc): the book's
    many small objects hold no cycles, and each collection their allocations trigger would walk
    them all."""

    def __enter__(self):
        import gc
        self.was = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc):
        import gc
        if self.was:
            gc.enable()


def _gc_paused(method):
    """The cyclic garbage collector paused while the method reads and computes: the book's many
    small objects hold no cycles, and each collection their allocations trigger would walk them
    all (as check.py does); back on, as it was, when the method returns."""
    import functools
    import gc

    @functools.wraps(method)
    def paused(*args, **kwargs):
        was = gc.isenabled()
        gc.disable()
        try:
            return method(*args, **kwargs)
        finally:
            if was:
                gc.enable()
    return paused


class SimulateError(SheetsgdError, ValueError):
    """A bad reference or value: one line naming it (the CLI prints it, exit 2)."""


class Workbook:
    """A workbook file, its inputs changeable, its formulas computed on demand (sheetsgd.open).
    Close it (or use it in a with block) to release the file. progress: optional callable(str),
    told which sheet is read when many megabytes are read at once."""

    def __init__(self, path, progress=None):
        from .formula.reader import LazyBook
        self.path = os.fspath(path)
        self._lazy = LazyBook(self.path, progress)
        self._book = self._lazy.book
        self._by_lower = {name.lower(): name for name in self._book.sheets}
        self._changes = {}          # (sheet, row, col) -> value set there (None: made blank)
        self._originals = {}        # (sheet, row, col) -> the file's value of a cell set: the engine's store
                                    # is the book's own dict of constants (no copy of 100k rows), changed
                                    # in place, and holds computed values that stay valid from one engine
                                    # to the next (each change forgets what it reaches)
        self._eng = self._inc = None
        self._scanned = set()       # sheets whose formula text _named_sheets has read
        self._wanted = set()        # every cell asked for: what the plan covers
        self._full = False          # plan the whole book (save: every cell a change reaches)
        self.engines = 0            # engines built (each after sheets were read)
        self.steps_run = 0          # plan steps computed, over the Workbook's life

    # ------------------------------------------------------------ the public API
    @property
    def sheets(self):
        return list(self._book.sheets)

    @property
    def changes(self):
        """{"adam!I4": 0.1, ...}: every input set so far."""
        return {sheet_ref(s, a1(r, c)): v for (s, r, c), v in self._changes.items()}

    @_gc_paused
    def set(self, ref, value):
        """Put `value` (a number, text, True/False, an ExcelError, or None for blank) in the input
        cell `ref`: a cell ("adam!I4") or a defined name of one cell ("adam!lr", "TRUE_A").
        A formula cell is refused: it has no input to change."""
        key = self.input_cell(ref)
        value = check_value(value, ref)
        self._originals.setdefault(key, self._file_value(key))
        self._changes[key] = value
        self._apply({key: value})
        return self

    @_gc_paused
    def reset(self, ref=None):
        """Undo set() of one input (or of all): the value the file holds comes back."""
        keys = list(self._changes) if ref is None else [self.input_cell(ref)]
        back = {}
        for key in keys:
            if self._changes.pop(key, _UNSET) is not _UNSET:
                back[key] = self._file_value(key)
        if back:
            self._apply(back)
        return self

    def __getitem__(self, ref):
        """One cell's value; a range gives rows (as range())."""
        sheet, r1, c1, r2, c2, _ = self.target(ref)
        if (r1, c1) != (r2, c2):
            return self.range(ref)
        return self.values([(sheet, r1, c1)])[0]

    def range(self, ref):
        """The values of a range ("compare!A4:F104") as a list of rows (Rows: .to_frame())."""
        sheet, r1, c1, r2, c2, _ = self.block(ref)
        keys = [(sheet, r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]
        flat = self.values(keys)
        w = c2 - c1 + 1
        rows = Rows(flat[i:i + w] for i in range(0, len(flat), w))
        rows.index = list(range(r1, r2 + 1))
        rows.columns = [COL_LETTERS[c] for c in range(c1, c2 + 1)]
        return rows

    def formula(self, ref):
        """A cell's formula text ('=F8-M8*lr/SQRT(O8)'), None for an input or a blank cell; a cell
        of an array formula's range gives the array formula's text."""
        sheet, r, c = self.cell(ref)
        self._load({sheet})
        cell = self._book.sheets[sheet].cell(r, c)
        if cell is not None and cell.array_master is not None:
            cell = self._book.sheets[sheet].cell(*cell.array_master)
        return cell.formula if cell is not None else None

    def reason(self, ref):
        """Why a cell's value is not the formula's own (a cycle, a volatile or unsupported function),
        or None."""
        sheet, r, c = self.cell(ref)
        self.values([(sheet, r, c)])
        return self._eng.reasons.get((sheet, r, c))

    @_gc_paused
    def sweep(self, ref, values, watch, progress=None):
        """Set the input `ref` to each of `values` in turn and read the `watch` cells (cells or ranges)
        each time: a Sweep. Each step computes only what the input reaches; the input is restored."""
        from .sweep import Sweep
        key = self.input_cell(ref)
        values = [check_value(v, ref) for v in values]
        cells = []                              # (label, key) of every watched cell
        for w in ([watch] if isinstance(watch, str) else watch):
            sheet, r1, c1, r2, c2, _ = self.block(w)
            cells.extend((sheet_ref(sheet, a1(r, c)), (sheet, r, c))
                         for r in range(r1, r2 + 1) for c in range(c1, c2 + 1))
        before = self._changes.get(key, _UNSET)
        out = []
        try:
            self._originals.setdefault(key, self._file_value(key))
            for i, v in enumerate(values):
                self._changes[key] = v
                self._apply({key: v})
                out.append(self.values([k for _, k in cells]))
                if progress is not None:
                    progress(i + 1, len(values))
        finally:
            if before is _UNSET:
                self.reset(sheet_ref(key[0], a1(key[1], key[2])))
            else:
                self.set(sheet_ref(key[0], a1(key[1], key[2])), before)
        return Sweep(sheet_ref(key[0], a1(key[1], key[2])), str(ref), values, [label for label, _ in cells], out,
                     [self.header(k) for _, k in cells])

    def header(self, ref, most=200):
        """The text a student reads as a cell's name: the first text above it in its column (within
        `most` rows, at most 24 characters: compare!E104 -> "adam"), or None."""
        sheet, r, c = ref if isinstance(ref, tuple) else self.cell(ref)
        self._load({sheet})
        at = self._book.sheets[sheet].cell
        for row in range(r - 1, max(0, r - most), -1):
            cell = at(row, c)
            if cell is not None and cell.formula is None and isinstance(cell.value, str):
                return cell.value if 0 < len(cell.value) <= 24 else None
        return None

    @_gc_paused
    def save(self, path):
        """Write the workbook with the inputs set and the new cached values of every formula cell they
        reach (what a spreadsheet program recalculates after the same edits); every other part of the
        file as it was. Written atomically; the file type (.xlsx, .xlsm) stays the source's."""
        from .resave import resave
        src_ext, ext = os.path.splitext(self.path)[1].lower(), os.path.splitext(os.fspath(path))[1].lower()
        if ext != src_ext:
            raise SimulateError(f"{os.fspath(path)}: save as {src_ext or 'the source file type'} "
                                f"(the source is {os.path.basename(self.path)}), not {ext or 'no extension'}")
        self._load(set(self._book.sheets))
        if not self._full:
            self._full, self._inc = True, None
        new = {}
        if self._changes:
            self._ready(list(self._changes))
            inc, p = self._inc, self._inc.plan
            steps = inc.reached(self._changes)
            keys = [k for i in steps for k in step_keys(p.steps[i])]
            values = self.values(keys)
            for (s, r, c), v in zip(keys, values):
                new.setdefault(s, {})[(r, c)] = v
            for (s, r, c), v in self._changes.items():
                new.setdefault(s, {})[(r, c)] = v
        resave(self.path, path, new)
        return os.fspath(path)

    def close(self):
        """Release the file (what was computed stays readable; nothing more can be read)."""
        self._lazy.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return f"<sheetsgd Workbook {self.path!r}, {len(self._changes)} input(s) set>"

    # ------------------------------------------------------------ references
    def block(self, ref):
        """target() of a range no larger than MAX_CELLS (a whole sheet's A1:XFD1048576 is 17 billion
        cells, not a question to answer cell by cell)."""
        got = self.target(ref)
        n = (got[3] - got[1] + 1) * (got[4] - got[2] + 1)
        if n > MAX_CELLS:
            raise SimulateError(f"{ref!r} is {n:,} cells, more than {MAX_CELLS:,}: ask for a smaller range")
        return got

    def target(self, ref):
        """"adam!I4", "compare!A4:F104", "adam!lr", "TRUE_A", "'my sheet'!B2" -> (sheet, r1, c1, r2, c2,
        name or None). A cell without a sheet is on the first sheet. Errors name the reference."""
        text = str(ref).strip()
        if not self._book.sheets:
            raise SimulateError(f"{ref!r}: {os.path.basename(self.path)} has no worksheets")
        sheet, part = split_sheet(text)
        if sheet is not None and not sheet:
            raise SimulateError(f"{ref!r}: no sheet name before '!'; use SHEET!A1, e.g. adam!I4")
        home = self.sheet_name(sheet, ref) if sheet is not None else None
        try:
            r1, c1, r2, c2 = parse_range(part)
            return (home or next(iter(self._book.sheets)), r1, c1, r2, c2, None)
        except RefError as e:
            if not _NAME.match(part) or ":" in part or _CELL_LIKE.match(part):
                raise SimulateError(f"{ref!r}: {e}; {_USE}") from None
        return self._name_target(ref, home, part)

    def cell(self, ref):
        """(sheet, row, col) of a reference to one cell."""
        sheet, r1, c1, r2, c2, name = self.target(ref)
        if (r1, c1) != (r2, c2):
            what = f"names {sheet_ref(sheet, a1(r1, c1) + ':' + a1(r2, c2))}" if name else "is a range"
            raise SimulateError(f"{ref!r} {what}; expected one cell, e.g. adam!I4")
        return sheet, r1, c1

    @_gc_paused
    def input_cell(self, ref):
        """(sheet, row, col) of a cell that may be set: not a formula cell nor part of an array formula."""
        sheet, r, c = self.cell(ref)
        self._load({sheet})
        cell = self._book.sheets[sheet].cell(r, c)
        if cell is not None and (cell.formula is not None or cell.array_master is not None):
            text = cell.formula if cell.formula is not None else "part of an array formula"
            where = sheet_ref(sheet, a1(r, c))
            shown = f"{ref!r} ({where})" if str(ref).strip() != where else repr(ref)
            raise SimulateError(f"{shown} is a formula cell ({_short(text)}), not an input: set one of the "
                                f"cells it reads")
        return sheet, r, c

    def sheet_name(self, sheet, ref):
        name = self._by_lower.get(sheet.lower())
        if name is None:
            raise SimulateError(f"{ref!r}: {os.path.basename(self.path)} has no sheet named {sheet!r} "
                                f"(its sheets: {', '.join(self._book.sheets) or 'none'})")
        return name

    def _name_target(self, ref, home, name):
        from .formula.parser import FormulaError, Ref, parse
        key = name.upper()
        text = self._book.sheets[home].names.get(key) if home is not None else None
        scope = home
        if text is None:
            text, scope = self._book.names.get(key), None
        if text is None:
            scoped = [sheet_ref(s, n) for s, sh in self._book.sheets.items() for n in sh.names if n == key]
            hint = f"; sheet-scoped ones: {', '.join(scoped[:5])}" if scoped and home is None else ""
            if home is not None and self._book.sheets[home].names:
                hint = f" (its names: {', '.join(sorted(self._book.sheets[home].names)[:12])})"
            where = f"sheet {home!r} and the workbook have" if home is not None else "the workbook has"
            raise SimulateError(f"{ref!r}: not a cell reference, and {where} no defined name {name!r}{hint}; {_USE}")
        try:
            tree = parse(text if text.startswith("=") else "=" + text)
        except FormulaError:
            tree = None
        if type(tree) is not Ref or tree.book is not None or tree.sheet2 is not None:
            raise SimulateError(f"{ref!r}: the defined name {name!r} is ={_short(text.lstrip('='))}, not a reference "
                                f"to cells")
        sheet = tree.sheet or scope or home or next(iter(self._book.sheets))
        return (self.sheet_name(sheet, ref), tree.r1, tree.c1, tree.r2, tree.c2, name)

    # ------------------------------------------------------------ computing
    @_gc_paused
    def values(self, keys):
        """The values of cells [(sheet, row, col)], computed as needed (sheet names as the book has them).
        A workbook whose formulas ask for more work than one evaluation may do is refused (the work
        budget, README's limits): a SheetsgdError naming the file."""
        from .formula.engine import _computing
        from .formula.ranges import BudgetExceeded
        keys = list(keys)
        if not keys:
            return []
        try:
            self._ready(keys)
        except BudgetExceeded as e:
            raise SheetsgdError(f"{self.path}: {e}") from None
        eng = self._eng
        out = []
        for key in keys:
            sheet, r, c = key
            store = eng.grids[sheet].store
            v = store.get((r, c), _UNSET)
            if v is _UNSET:
                master = eng.members.get(key, key)
                if eng.formula_cell(*master) is not None:
                    with _computing(eng.budget):
                        eng.compute_stacked(master)
                v = store.get((r, c))
            out.append(v)
        return out

    def _ready(self, keys):
        """Read the sheets the cells need, then compute the steps they need that are not computed
        yet. Which sheets: those the formula text of the cells names, and those each of these
        sheets' formulas name, and so on (a guess: names and INDIRECT are not followed); then
        planning says exactly which sheets the steps read, and any not read yet is read and the
        book planned again."""
        self._load({k[0] for k in keys} | {k[0] for k in self._changes})
        if self._eng is None:
            self._load(self._named_sheets(keys))
        while True:
            if self._eng is None:
                self._build()
            if self._inc is None or not self._inc.covers(keys):
                self._wanted.update(keys)           # plans only grow: what was computed stays planned
                self._inc = Incremental(self._eng, None if self._full else list(self._wanted))
                self._eng.vectorize = self._inc.run_cells() >= VECTOR_CELLS
            steps = self._inc.needs(keys)
            read, dynamic = self._inc.sheets_read(steps)
            unread = self._lazy.unread
            if not unread:
                break
            missing = unread if dynamic else {self._by_lower[s] for s in read if s in self._by_lower} & unread
            if not missing:
                break
            self._load(missing)
        self.steps_run += self._inc.compute(keys)

    def _named_sheets(self, keys):
        """The sheets the formulas of `keys` name (their own sheet's formulas too when they name no
        other), and those named by these sheets' formulas, and so on; read here."""
        book, unread = self._book, self._lazy.unread
        texts = []        # (sheets loaded here are new to the engine: the caller plans again)
        for s, r, c in keys:
            cell = book.sheets[s].cell(r, c)
            if cell is not None and cell.formula is not None:
                texts.append(cell.formula)
        named = self._sheets_in(texts)
        own = {k[0] for k in keys}
        if texts and not named - own:                 # they read only their own sheet(s): guess that
            named |= own                              # sheet's formulas lead where they go
        found, todo = set(), named - self._scanned
        while todo:
            self._lazy.load(todo & unread)
            found |= todo & unread
            self._scanned |= todo
            texts = [t for name in todo for t in _sample_texts(book.sheets[name])]
            todo = self._sheets_in(texts) - self._scanned
        return found

    def _sheets_in(self, texts):
        by_lower, out = self._by_lower, set()
        for quoted, plain in set(_SHEET_PREFIX.findall("\n".join(t for t in texts if "!" in t))):
            name = by_lower.get((quoted.replace("''", "'") if quoted else plain).lower())
            if name is not None:
                out.add(name)
        return out

    def _apply(self, cells):
        """Changed inputs {key: value} into the engine: what they reach is forgotten."""
        if self._inc is not None:
            self._inc.change(cells)
        else:
            self._eng = None                    # nothing planned to follow them through: start afresh

    def _load(self, sheets):
        missing = set(sheets) & self._lazy.unread
        if missing:
            self._lazy.load(missing)
            self._eng = self._inc = None        # planned without those sheets: plan again

    def _build(self):
        from .formula.engine import Engine
        eng = Engine(self._book, own_constants=True)      # its store is the book's constants: see _originals
        for (sheet, r, c), v in self._changes.items():
            eng.set_input(sheet, r, c, v)
        self._eng, self._inc = eng, None
        self.engines += 1

    def _file_value(self, key):
        if key in self._originals:
            return self._originals[key]
        sheet, r, c = key
        cell = self._book.sheets[sheet].cell(r, c)
        return cell.value if cell is not None else None


def _sample_texts(sheet, per_column=64):
    """The formula texts of a sheet's first `per_column` formula cells of each column: enough to
    guess which sheets it reads (filled-down formulas name the same sheets all the way down)."""
    seen, out = {}, []
    for (_, c), cell in sheet.items_with_formulas():
        if cell.formula is not None:
            n = seen.get(c, 0)
            if n < per_column:
                seen[c] = n + 1
                out.append(cell.formula)
    return out


class Rows(list):
    """Rows of values (lists), as range() gives them; index: their row numbers, columns: their
    column letters."""
    index = ()
    columns = ()

    def to_frame(self):
        """A pandas DataFrame (pandas is not a dependency: install it to use this)."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("to_frame() needs pandas: pip install pandas") from None
        return pd.DataFrame([list(r) for r in self], index=list(self.index) or None,
                            columns=list(self.columns) or None)


def check_value(value, ref="value"):
    """A Python value as a cell value: float (ints too), str, bool, ExcelError or None; anything
    else, NaN and infinities are refused (no cell holds them)."""
    if value is None or isinstance(value, (bool, str, ExcelError)):
        return value
    try:
        import numbers
        if isinstance(value, numbers.Real):
            v = float(value)
            if math.isfinite(v):
                return v
            raise SimulateError(f"{ref}: {value!r} is not a finite number (no cell holds it)")
    except (TypeError, ValueError, OverflowError) as e:
        if isinstance(e, SimulateError):
            raise
    raise SimulateError(f"{ref}: {value!r} is not a cell value; expected a number, text, True/False or None")


def parse_value(text):
    """A value typed on the command line, as a spreadsheet reads what is typed into a cell:
    0.1, -2e-3, 50% (0.5), TRUE, FALSE, #N/A, "quoted text", or nothing (blank)."""
    t = text.strip()
    if t == "":
        return None
    if t.upper() in ("TRUE", "FALSE"):
        return t.upper() == "TRUE"
    if t.upper() in ERROR_CODES:
        return ERROR_CODES[t.upper()]
    if len(t) >= 2 and t[0] == t[-1] == '"':
        return t[1:-1].replace('""', '"')
    number = t[:-1] if t.endswith("%") else t
    try:
        v = float(number.replace("_", "x"))     # float() takes 1_000; a spreadsheet does not
    except ValueError:
        raise SimulateError(f"{text!r} is not a number, TRUE/FALSE, an error like #N/A or "
                            f"\"quoted text\"") from None
    if not math.isfinite(v):
        raise SimulateError(f"{text!r} is not a finite number")
    return v / 100 if t.endswith("%") else v


def _short(text, most=60):
    text = str(text)
    return text if len(text) <= most else text[:most - 3] + "..."
