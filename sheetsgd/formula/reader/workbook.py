"""The workbook around the sheets: its part and relationships, workbook.xml (sheet list, defined
names, date system), the shared strings, the tables; and read_book, which reads them all.

Only the parts formulas need are opened: workbook.xml and its _rels, sharedStrings.xml, the
worksheets, their _rels and table parts. Chartsheets, pivot tables, drawings, styles and VBA
are skipped.
"""
import gc
import os
import posixpath
import re

from ..book import Book, Sheet, Table
from ..refs import MAX_COL, parse_range
from . import limits
from .limits import ReadError, size_text
from .package import Package
from .safe_xml import elements, local, namespace, rich_text, unescape
from .sheet_xml import SheetReader

# Above this many bytes of worksheet XML (~100k cells at ~40-50 bytes each) the reader reports progress.
PROGRESS_BYTES = 4 * 2**20

_REL_WORKSHEET = "/worksheet"
_REL_OFFICE_DOCUMENT = "/officeDocument"
_REL_SHARED_STRINGS = "/sharedStrings"
_REL_TABLE = "/table"
_NUMBER = re.compile(r"[0-9]{1,7}")
_TRUE = ("1", "true", "TRUE", "True")


def rels_of(pkg, part, count=None):
    """The relationships of `part`: {rId: (type, target part name)}; {} when it has none."""
    folder, base = posixpath.split(part.lstrip("/"))
    rels_name = posixpath.join(folder, "_rels", base + ".rels")
    if pkg.info(rels_name) is None:
        return {}
    out = {}
    for el in elements(pkg.open(rels_name), rels_name, "Relationships", {"Relationship"}, count=count):
        if el.get("TargetMode") != "External":
            target = el.get("Target") or ""
            target = (target.lstrip("/") if target.startswith("/")
                      else posixpath.normpath(posixpath.join(folder, target)))
            out[el.get("Id")] = (el.get("Type") or "", target)
    return out


def workbook_part(pkg, count=None):
    for typ, target in rels_of(pkg, "", count).values():
        if typ.endswith(_REL_OFFICE_DOCUMENT) and pkg.info(target):
            return target
    if pkg.info("xl/workbook.xml"):
        return "xl/workbook.xml"
    if pkg.info("xl/workbook.bin"):
        raise ReadError("is an .xlsb (binary) workbook: save it as .xlsx")
    raise ReadError("has no xl/workbook.xml: not an Excel workbook")


def read_workbook(pkg, part, count=None):
    """([(name, rId)] of <sheets> in order, [(name, localSheetId or None, text)] of the defined
    names, date1904)."""
    sheets, names, date1904 = [], [], False
    for el in elements(pkg.open(part), part, "workbook", {"sheet", "definedName", "workbookPr"}, count=count):
        tag = local(el.tag)
        if tag == "sheet":
            if len(sheets) == limits.MAX_SHEETS:
                raise ReadError(f"has over {limits.MAX_SHEETS:,} sheets, the limit")
            rid = next((v for k, v in el.attrib.items() if local(k) == "id"), None)
            sheets.append((el.get("name") or "", rid))
        elif tag == "definedName":
            if len(names) == limits.MAX_DEFINED_NAMES:
                raise ReadError(f"has over {limits.MAX_DEFINED_NAMES:,} defined names, the limit")
            name, scope = el.get("name") or "", el.get("localSheetId")
            if scope is not None and not _NUMBER.fullmatch(scope):
                raise ReadError(f"defined name {name[:40]!r} has localSheetId {scope[:20]!r}, not a sheet number")
            names.append((name, None if scope is None else int(scope), el.text or ""))
        else:
            date1904 = el.get("date1904") in _TRUE
    return sheets, names, date1904


def shared_strings(pkg, name, count=None):
    if not name or pkg.info(name) is None:
        return []
    out, t_tag, r_tag = [], None, None
    for el in elements(pkg.open(name), name, "sst", {"si"}, count=count):
        if len(out) == limits.MAX_SHARED_STRINGS:
            raise ReadError(f"{name} has over {limits.MAX_SHARED_STRINGS:,} strings, the limit")
        if t_tag is None:
            ns = namespace(el)
            t_tag, r_tag = ns + "t", ns + "r"
        if len(el) == 1 and el[0].tag == t_tag:      # <si><t>text</t></si>, the common case
            text = el[0].text or ""
            out.append(unescape(text) if "_x" in text else text)
        else:
            out.append(rich_text(el, t_tag, r_tag))
    return out


def read_table(pkg, part, sheet, count=None):
    """A table part (xl/tables/tableN.xml) as a Table of `sheet`."""
    table, columns = {}, []
    for el in elements(pkg.open(part), part, "table", {"tableColumn"}, root=True, count=count):
        if el.getparent() is None:
            if local(el.tag) != "table":
                raise ReadError(f"{part} is not a table part")
            table = dict(el.attrib)
        elif len(columns) == MAX_COL:
            raise ReadError(f"{part} has more columns than Excel's grid")
        else:
            columns.append(unescape(el.get("name") or ""))
    name = table.get("displayName") or table.get("name") or ""
    try:
        r1, c1, r2, c2 = parse_range(table.get("ref") or "")
    except ValueError as e:
        raise ReadError(f"table {name[:40]!r} ({part}): {e}") from None
    counts = []
    for attr, default in (("headerRowCount", "1"), ("totalsRowCount", "0")):
        v = table.get(attr, default)
        if v not in ("0", "1"):
            raise ReadError(f"table {name[:40]!r} ({part}): {attr}={v[:20]!r}, not 0 or 1")
        counts.append(int(v))
    if not name:
        raise ReadError(f"{part}: a table without a name")
    if len(columns) != c2 - c1 + 1:
        raise ReadError(f"table {name[:40]!r} ({part}): {len(columns):,} columns for its range {table['ref']!r}")
    return Table(name, sheet, r1, c1, r2, c2, counts[0], counts[1], columns)


class BookReader:
    def __init__(self, pkg, progress):
        self.pkg = pkg
        self.progress = progress
        self.cells = self.rows = self.formula_chars = self.xml_elements = 0
        self.sst = []
        self.date1904 = False
        self.parts = {}          # sheet name -> worksheet part, for the sheets not read yet

    def counters(self):
        return self.cells, self.rows, self.formula_chars, self.xml_elements

    def restore(self, counted):
        self.cells, self.rows, self.formula_chars, self.xml_elements = counted

    def count_xml(self, n, part):
        """Elements about to be parsed with lxml, refused past MAX_XML_ELEMENTS in all."""
        self.xml_elements += n
        if self.xml_elements > limits.MAX_XML_ELEMENTS:
            raise ReadError(f"over the {limits.MAX_XML_ELEMENTS:,}-element limit of XML read with a parser "
                            f"(at {part})")

    def count(self, cells, rows, chars, sheet, row, ahead=False):
        """Add cells, <row> elements and formula characters to the book's counts, refused past a
        limit (ahead: only check that they would fit)."""
        c, r, t = self.cells + cells, self.rows + rows, self.formula_chars + chars
        where = f"(at sheet {sheet!r}, row {row:,})"
        if c > limits.MAX_CELLS:
            raise ReadError(f"over the {limits.MAX_CELLS:,}-cell limit {where}")
        if r > limits.MAX_ROWS:
            raise ReadError(f"over the {limits.MAX_ROWS:,}-row limit (<row> elements) {where}")
        if t > limits.MAX_FORMULA_TEXT:
            raise ReadError(f"its formulas, shared ones moved to every cell, come to over the "
                            f"{limits.MAX_FORMULA_TEXT:,}-character limit {where}")
        if not ahead:
            self.cells, self.rows, self.formula_chars = c, r, t

    def read(self, path):
        """The whole book: open() then load() of every sheet."""
        book = self.open(path)
        self.load(book, list(self.parts))
        return book

    def open(self, path):
        """The book with every worksheet empty (names, tables, date system read): load() fills them."""
        pkg = self.pkg
        xml = self.count_xml
        part = workbook_part(pkg, xml)
        rels = rels_of(pkg, part, xml)
        sheets, names, date1904 = read_workbook(pkg, part, xml)
        sst_part = next((t for typ, t in rels.values() if typ.endswith(_REL_SHARED_STRINGS)), None)
        if sst_part is None and pkg.info("xl/sharedStrings.xml"):
            sst_part = "xl/sharedStrings.xml"
        self.sst = shared_strings(pkg, sst_part, xml)
        self.date1904 = date1904

        book = Book(path=path, date1904=date1904, mac=saved_on_mac(pkg))
        parts = []
        for name, rid in sheets:
            typ, target = rels.get(rid, ("", None))
            if not typ.endswith(_REL_WORKSHEET):
                continue                              # chartsheet, dialog or macro sheet
            if target is None or pkg.info(target) is None:
                raise ReadError(f"sheet {name!r} points at {target or rid}, which is not in the file")
            book.sheets[name] = Sheet(name=name)
            parts.append((name, target))
        by_index = [name for name, _ in sheets]       # localSheetId counts every sheet
        for name, scope, text in names:
            if scope is None:
                book.names[name.upper()] = text
            elif scope < len(by_index) and by_index[scope] in book.sheets:
                book.sheets[by_index[scope]].names[name.upper()] = text
        self.read_tables(book, parts)

        pkg.check_sizes([t for _, t in parts])
        self.parts = dict(parts)                      # sheet name -> its part, while not read
        return book

    def load(self, book, names):
        """Read the worksheets `names` (in workbook order) into the book's empty Sheets, each once."""
        pkg = self.pkg
        wanted = set(names)
        todo = [(name, target) for name, target in self.parts.items() if name in wanted]
        total = sum(pkg.size(t) for _, t in todo)
        report = self.progress if self.progress is not None and total > PROGRESS_BYTES else None
        for name, target in todo:
            if report:
                report(f"reading {name} ({size_text(pkg.size(target))} of XML)...")
            SheetReader(self, book.sheets[name]).read(target)
            del self.parts[name]

    def read_tables(self, book, parts):
        """book.tables from each worksheet's table parts; a table name is the workbook's own."""
        seen = set()
        for name, target in parts:
            for typ, table_part in rels_of(self.pkg, target, self.count_xml).values():
                if not typ.endswith(_REL_TABLE) or table_part.lower() in seen:
                    continue
                seen.add(table_part.lower())
                if self.pkg.info(table_part) is None:
                    raise ReadError(f"sheet {name!r} points at {table_part}, which is not in the file")
                table = read_table(self.pkg, table_part, name, self.count_xml)
                key = table.name.upper()
                if key in book.tables:
                    raise ReadError(f"has two tables named {table.name[:40]!r}")
                book.tables[key] = table


_APPLICATION = re.compile(rb"<(?:\w+:)?Application>([^<]{0,200})</(?:\w+:)?Application>")


def saved_on_mac(pkg):
    """Was the file saved by Excel for Mac? (docProps/app.xml: <Application>Microsoft Macintosh
    Excel</Application>); its CHAR and CODE read the Mac character set."""
    info = pkg.info("docProps/app.xml")
    if info is None or info.file_size > 1 << 20:
        return False
    m = _APPLICATION.search(bytes(pkg.read("docProps/app.xml")))
    return m is not None and b"Macintosh" in m.group(1)


class LazyBook:
    """A workbook whose worksheets are read when asked for (what-if evaluation reads only the
    sheets the cells asked for depend on; sheetsgd/simulate.py):

        with LazyBook(path) as lazy:      # workbook.xml, names, tables: every sheet empty
            lazy.load(["adam", "data"])   # those sheets read, through the same limits as read_book
            lazy.book, lazy.unread        # the Book; names of the sheets not read yet

    The file stays open until close(); every error is a one-line SheetsgdError naming the file."""

    def __init__(self, path, progress=None):
        self.label = os.fspath(path)
        self.pkg = None
        with _reading(self.label):
            self.pkg = Package(self.label)
            try:
                self.reader = BookReader(self.pkg, progress)
                self.book = self.reader.open(self.label)
            except BaseException:
                self.close()
                raise

    @property
    def unread(self):
        return set(self.reader.parts) if self.pkg is not None else set()

    def load(self, names):
        if self.pkg is None:
            raise ValueError("LazyBook is closed")
        with _reading(self.label):
            self.reader.load(self.book, names)

    def load_all(self):
        self.load(list(self.unread))

    def close(self):
        if self.pkg is not None:
            self.pkg.close()
            self.pkg = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _reading:
    """ReadError and MemoryError as one-line SheetsgdErrors naming the file; the cyclic GC paused
    (millions of new Cells would trigger it again and again: ~30% of the time; a Book holds no
    reference cycles, so collection can wait until it is built)."""

    def __init__(self, label):
        self.label = label

    def __enter__(self):
        self.gc = gc.isenabled()
        gc.disable()

    def __exit__(self, typ, e, tb):
        if self.gc:
            gc.enable()
        from ...errors import SheetsgdError
        if typ is not None and issubclass(typ, ReadError):
            raise SheetsgdError(f"{self.label}: {e}") from None
        if typ is not None and issubclass(typ, MemoryError):
            raise SheetsgdError(f"{self.label}: ran out of memory reading it") from None
        return False


def read_book(path, progress=None):
    """Read an .xlsx/.xlsm into a Book; any problem is a one-line SheetsgdError naming the file.

    progress: optional callable(str), told which sheet is being read when the worksheets
    hold more than ~4 MB of XML (roughly 100k cells).
    """
    from ...errors import SheetsgdError
    label = os.fspath(path)
    try:
        pkg = Package(label)
    except ReadError as e:
        raise SheetsgdError(f"{label}: {e}") from None
    # Millions of new Cells would trigger the cyclic GC again and again (~30% of the time);
    # a Book holds no reference cycles, so collection can wait until it is built.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return BookReader(pkg, progress).read(label)
    except ReadError as e:
        raise SheetsgdError(f"{label}: {e}") from None
    except MemoryError:
        raise SheetsgdError(f"{label}: ran out of memory reading it") from None
    finally:
        pkg.close()
        if gc_was_enabled:
            gc.enable()
