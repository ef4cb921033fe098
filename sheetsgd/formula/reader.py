"""Read an .xlsx/.xlsm into a Book: a streaming reader that is safe on hostile files.

Why not openpyxl.load_workbook: the lecture's collab_filter.xlsx makes it raise TypeError
in its pivot-cache reader, and it takes ~14 s on a 100k-row workbook. This reader opens
only the parts formulas need (workbook.xml and its _rels, sharedStrings.xml, the
worksheets) and streams each with lxml.etree.iterparse: no DTD is loaded, no entity is
resolved, nothing is fetched from the network, and a part with a DOCTYPE is refused
(Excel never writes one). Chartsheets, pivot tables, drawings, styles and VBA are skipped.

What is kept: every worksheet in workbook order (a Sheet in its split form: constants as
plain values beside the formula Cells, see book.py); each cell's cached value (values.py
types); its formula with a leading "=" (shared formulas translated to each follower
cell, array formulas as master + array_ref, the rest of the range pointing at the
master); defined names, workbook- and sheet-scoped (localSheetId), hidden ones too,
with their text as written (`dotprod!$B$25:$F$39`, `#REF!`, `0.0001`).

Limits (each breach is a SheetsgdError: one line naming the file and the problem):
    MAX_FILE_BYTES     512 MiB   size of the .xlsx file itself
    MAX_ZIP_ENTRIES    100,000   members in the zip
    MAX_UNPACKED_BYTES 512 MiB   uncompressed bytes of the parts read, checked against the
                                 declared sizes before extracting and counted while reading
    MAX_CELLS          2,000,000 cells (<c> elements, plus the cells array ranges cover)
    MAX_FORMULA_CHARS  8,192     characters of one formula (Excel's own limit)
    Excel's grid:      1,048,576 rows x 16,384 columns (XFD); a reference outside is refused
"""
import gc
import io
import marshal
import os
import posixpath
import queue
import re
import signal
import struct
import threading
import zipfile
import zlib
from datetime import datetime
from itertools import chain, repeat
from operator import itemgetter

from lxml import etree

from ..errors import SheetsgdError
from .book import Book, Cell, Sheet
from .values import ExcelError

MAX_FILE_BYTES = 512 * 2**20
MAX_ZIP_ENTRIES = 100_000
MAX_UNPACKED_BYTES = 512 * 2**20
MAX_CELLS = 2_000_000
MAX_FORMULA_CHARS = 8192
MAX_ROW = 1_048_576
MAX_COL = 16_384

# Above this many bytes of worksheet XML (~100k cells at ~40-50 bytes each) the reader reports progress.
PROGRESS_BYTES = 4 * 2**20

_REL_WORKSHEET = "/worksheet"
_REL_OFFICE_DOCUMENT = "/officeDocument"
_REL_SHARED_STRINGS = "/sharedStrings"


class _Fail(Exception):
    """A problem found deep in the reader; read_book prefixes the file name."""


# ----------------------------------------------------------------- A1 references

def _col_letters(n):
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


COL_LETTERS = [""] + [_col_letters(n) for n in range(1, MAX_COL + 1)]   # 1 -> "A"
COL_NUMBER = {s: n for n, s in enumerate(COL_LETTERS) if n}             # "A" -> 1
_DIGITS = "0123456789"
_CELL_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})$")


def cell_name(row, col):
    """(1, 1) -> "A1"."""
    return f"{COL_LETTERS[col]}{row}"


def parse_cell(ref):
    """"$B$25" -> (25, 2); raises ValueError outside Excel's grid or when not a cell."""
    m = _CELL_REF.match(ref)
    if not m:
        raise ValueError(f"not a cell reference: {ref!r}")
    col = COL_NUMBER.get(m.group(1).upper())
    row = int(m.group(2))
    if col is None or not 1 <= row <= MAX_ROW:
        raise ValueError(f"{ref} is outside Excel's grid (A1:XFD1048576)")
    return row, col


def parse_range(ref):
    """"AE3:AI208" -> (3, 31, 208, 35), corners sorted; a single cell is a 1x1 range."""
    a, _, b = ref.partition(":")
    r1, c1 = parse_cell(a)
    r2, c2 = parse_cell(b) if b else (r1, c1)
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


# ------------------------------------------------------- shared formula translation

# One pass over a formula finds the references to move; strings, quoted sheet names and
# bracketed parts (tables, external books) are skipped whole, so "A1" inside them stays.
# A cell reference is not preceded by a name character and not followed by "(" (LOG10(
# is a function) or "!" (a sheet named like a cell is always quoted).
_FORMULA_TOKENS = re.compile(r"""
    (?P<skip> "(?:[^"]|"")*" | '(?:[^']|'')*' | \[(?:[^\[\]]|\[[^\]]*\])*\] )
  | (?<![A-Za-z0-9_.$\\]) (?P<cell> (\$?)([A-Za-z]{1,3})(\$?)([0-9]{1,7}) ) (?![A-Za-z0-9_.(!\[])
  | (?<![A-Za-z0-9_.$\\]) (?P<cols> (\$?)([A-Za-z]{1,3}):(\$?)([A-Za-z]{1,3}) ) (?![A-Za-z0-9_.(!\[])
  | (?<![A-Za-z0-9_.$\\:]) (?P<rows> (\$?)([0-9]{1,7}):(\$?)([0-9]{1,7}) ) (?![A-Za-z0-9_.(!:\[])
""", re.X)


class SharedFormula:
    """A shared formula's master text, split once into literal text and movable references.

    translate(drow, dcol) gives the formula of the cell drow rows below and dcol columns
    right of the master: relative parts move, $-anchored parts stay, other-sheet references
    move the same way (Excel's own rule); a reference pushed off the grid becomes #REF!.
    """

    __slots__ = ("text", "parts")

    def __init__(self, text):
        self.text = text
        parts, pos = [], 0
        for m in _FORMULA_TOKENS.finditer(text):
            kind = m.lastgroup
            if kind == "skip":
                continue
            if kind == "cell":
                ca, col, ra, row = m.group(3, 4, 5, 6)
                c = COL_NUMBER.get(col.upper())
                if c is None or (ca and ra):     # not a column (e.g. "ABCD") or fully anchored
                    continue
                ref = ("cell", bool(ca), c, bool(ra), int(row))
            elif kind == "cols":
                a1, c1, a2, c2 = m.group(8, 9, 10, 11)
                n1, n2 = COL_NUMBER.get(c1.upper()), COL_NUMBER.get(c2.upper())
                if n1 is None or n2 is None or (a1 and a2):
                    continue
                ref = ("cols", bool(a1), n1, bool(a2), n2)
            else:
                a1, r1, a2, r2 = m.group(13, 14, 15, 16)
                if a1 and a2:
                    continue
                ref = ("rows", bool(a1), int(r1), bool(a2), int(r2))
            parts.append(text[pos:m.start()])
            parts.append(ref)
            pos = m.end()
        parts.append(text[pos:])
        self.parts = parts

    def translate_rows(self, drows, dcol):
        """translate(drow, dcol) for every drow of drows at once (an iterator of texts, made with
        map/zip, for the row templates), or None when any text would hold #REF! (a reference
        pushed off the grid) or be the master's own (drow = dcol = 0): translate() does those."""
        if dcol == 0 and 0 in drows:
            return None
        if len(self.parts) == 1:
            return repeat(self.text, len(drows))
        columns = []
        for part in self.parts:
            if part.__class__ is str:
                columns.append(repeat(part))
                continue
            kind, a1, x1, a2, x2 = part
            if kind == "cols":
                c1, c2 = (x1 if a1 else x1 + dcol), (x2 if a2 else x2 + dcol)
                if not (1 <= c1 <= MAX_COL and 1 <= c2 <= MAX_COL):
                    return None
                columns.append(repeat(f"{'$' if a1 else ''}{COL_LETTERS[c1]}:{'$' if a2 else ''}{COL_LETTERS[c2]}"))
                continue
            if kind == "cell":
                c = x1 if a1 else x1 + dcol
                if not 1 <= c <= MAX_COL:
                    return None
                heads = [f"{'$' if a1 else ''}{COL_LETTERS[c]}{'$' if a2 else ''}"]
                numbers = [(a2, x2)]
            else:                                  # rows, "5:7"
                heads = ["$" if a1 else "", ":" + ("$" if a2 else "")]
                numbers = [(a1, x1), (a2, x2)]
            for head, (anchored, x) in zip(heads, numbers):
                moved = [x] if anchored else list(map(x.__add__, drows))
                if min(moved) < 1 or max(moved) > MAX_ROW:
                    return None
                columns.append(repeat(head))
                columns.append(repeat(str(x)) if anchored else map(str, moved))
        return map("".join, zip(*columns))

    def translate(self, drow, dcol):
        if len(self.parts) == 1 or (drow == 0 and dcol == 0):
            return self.text
        out = []
        for p in self.parts:
            if p.__class__ is str:
                out.append(p)
                continue
            kind, a1, x1, a2, x2 = p
            if kind == "cell":
                c = x1 if a1 else x1 + dcol
                r = x2 if a2 else x2 + drow
                if not (1 <= c <= MAX_COL and 1 <= r <= MAX_ROW):
                    out.append("#REF!")
                else:
                    out.append(f"{'$' if a1 else ''}{COL_LETTERS[c]}{'$' if a2 else ''}{r}")
            elif kind == "cols":
                c1 = x1 if a1 else x1 + dcol
                c2 = x2 if a2 else x2 + dcol
                if not (1 <= c1 <= MAX_COL and 1 <= c2 <= MAX_COL):
                    out.append("#REF!")
                else:
                    out.append(f"{'$' if a1 else ''}{COL_LETTERS[c1]}:{'$' if a2 else ''}{COL_LETTERS[c2]}")
            else:
                r1 = x1 if a1 else x1 + drow
                r2 = x2 if a2 else x2 + drow
                if not (1 <= r1 <= MAX_ROW and 1 <= r2 <= MAX_ROW):
                    out.append("#REF!")
                else:
                    out.append(f"{'$' if a1 else ''}{r1}:{'$' if a2 else ''}{r2}")
        return "".join(out)


# ------------------------------------------------------------------ the zip package

def _size(n):
    return f"{n / 1e9:.1f} GB" if n >= 1e9 else f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n:,} bytes"


def _limit(n):
    """A limit as it is set: 512 MiB."""
    return f"{n >> 20} MiB" if n >= 2**20 and n % 2**20 == 0 else f"{n:,} bytes"


class _CappedStream:
    """A part's bytes as a file for the parser, never more than `cap` bytes (zip-bomb guard)."""

    def __init__(self, raw, name, cap):
        self.raw, self.name, self.left = raw, name, cap

    def read(self, n=-1):
        n = 1 << 20 if n is None or n < 0 else min(n, 1 << 20)
        try:
            data = self.raw.read(n)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as e:
            raise _Fail(f"{self.name} is damaged ({e})") from None
        self.left -= len(data)
        if self.left < 0:
            raise _Fail(f"{self.name} unpacks to more than its declared size, over the "
                        f"{_limit(MAX_UNPACKED_BYTES)} limit")
        return data


def _declared_members(path, size):
    """The member count the zip's end record declares, read before zipfile builds an object
    per member (millions of tiny members would exhaust memory first); None if not found."""
    with open(path, "rb") as fh:
        tail_at = max(0, size - (22 + 65535))
        fh.seek(tail_at)
        tail = fh.read()
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) < at + 22:
            return None
        count = struct.unpack_from("<H", tail, at + 10)[0]
        if count != 0xFFFF or at < 20 or tail[at - 20:at - 16] != b"PK\x06\x07":
            return count
        record_at = struct.unpack_from("<Q", tail, at - 20 + 8)[0]   # zip64: its own end record
        fh.seek(record_at)
        record = fh.read(56)
        if len(record) < 40 or record[:4] != b"PK\x06\x06":
            return None
        return struct.unpack_from("<Q", record, 32)[0]


class _Package:
    """The zip, with a budget of uncompressed bytes shared by every part read."""

    def __init__(self, path):
        try:
            size = os.path.getsize(path)
            with open(path, "rb") as fh:
                head = fh.read(8)
        except FileNotFoundError:
            raise _Fail("no such file") from None
        except IsADirectoryError:
            raise _Fail("is a directory, not a workbook") from None
        except OSError as e:
            raise _Fail(f"cannot be read ({e.strerror or e})") from None
        if size > MAX_FILE_BYTES:
            raise _Fail(f"is {_size(size)}, over the {_limit(MAX_FILE_BYTES)} limit")
        if head.startswith(b"\xd0\xcf\x11\xe0"):
            raise _Fail("is an old .xls or a password-protected workbook (OLE2), "
                        "not an .xlsx/.xlsm: save it as .xlsx without a password")
        members = _declared_members(path, size)
        if members is not None and members > MAX_ZIP_ENTRIES:
            raise _Fail(f"has {members:,} zip members, over the {MAX_ZIP_ENTRIES:,} limit")
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
            if head.startswith(b"PK\x03\x04"):
                raise _Fail("is a truncated or damaged zip file (no central directory)") from None
            raise _Fail("not an .xlsx/.xlsm (zip) file") from None
        infos = self.zip.infolist()
        if len(infos) > MAX_ZIP_ENTRIES:
            raise _Fail(f"has {len(infos):,} zip members, over the {MAX_ZIP_ENTRIES:,} limit")
        # Part names are case-insensitive in OPC; a leading "/" is optional in targets.
        self.parts = {i.filename.lstrip("/").lower(): i for i in infos}
        self.left = MAX_UNPACKED_BYTES

    def info(self, name):
        return self.parts.get(name.lstrip("/").lower())

    def size(self, name):
        info = self.info(name)
        return info.file_size if info else 0

    def check_sizes(self, names):
        """Refuse before extracting anything when the declared sizes are over the budget."""
        left = self.left
        for name in names:
            info = self.info(name)
            if info is None:
                raise _Fail(f"has no {name}")
            if info.file_size > MAX_UNPACKED_BYTES:
                raise _Fail(f"{name} would unpack to {_size(info.file_size)}, "
                            f"over the {_limit(MAX_UNPACKED_BYTES)} limit")
            if info.file_size > left:
                used = MAX_UNPACKED_BYTES - left + info.file_size
                raise _Fail(f"its parts would unpack to {_size(used)} in all (at {name}), "
                            f"over the {_limit(MAX_UNPACKED_BYTES)} limit")
            left -= info.file_size

    def open(self, name):
        self.check_sizes([name])
        info = self.info(name)
        if info.flag_bits & 0x1:
            raise _Fail(f"{name} is encrypted")
        try:
            raw = self.zip.open(info)
        except (zipfile.BadZipFile, NotImplementedError, zlib.error, EOFError, OSError) as e:
            raise _Fail(f"{name} cannot be unpacked ({e})") from None
        self.left -= info.file_size
        return _CappedStream(raw, name, info.file_size)

    def read(self, name):
        """The whole part (a bytearray), within the budget."""
        return _read_all(self.open(name))

    def close(self):
        self.zip.close()


def _read_all(stream):
    out = bytearray()               # one growing buffer, not a list of chunks joined into a copy
    while True:
        chunk = stream.read(1 << 20)
        if not chunk:
            return out
        out += chunk


class _Prefetch:
    """A big part unpacked in a thread while the sheets before it are read (zlib lets go of the
    GIL while it inflates); result() gives its bytes, or raises what reading them raised."""

    def __init__(self, pkg, name):
        self.stream = pkg.open(name)            # the budget and checks, here in the caller's thread
        self.data = self.error = None
        self.thread = threading.Thread(target=self._run, name="sheetsgd-unzip", daemon=True)
        self.thread.start()

    def _run(self):
        try:
            self.data = _read_all(self.stream)
        except BaseException as e:              # handed to the reading thread by result()
            self.error = e

    def result(self):
        self.thread.join()
        if self.error is not None:
            raise self.error
        data, self.data = self.data, None       # the reader frees it once decoded
        return data


def _iterparse(stream, name, **kw):
    """iterparse a part safely: no DTD loading, no entities, no network, no huge trees."""
    stream = _refuse_doctype_prolog(stream, name)
    ctx = etree.iterparse(stream, resolve_entities=False, no_network=True, load_dtd=False,
                          huge_tree=False, remove_comments=True, remove_pis=True, **kw)
    checked = False
    try:
        for event, el in ctx:
            if not checked:
                _refuse_dtd(el, name)
                checked = True
            yield event, el
        if not checked and ctx.root is not None:
            _refuse_dtd(ctx.root, name)
    except etree.XMLSyntaxError as e:
        raise _Fail(f"{name} is not well-formed XML ({e.msg or e})") from None


class _Prepended:
    """A stream with its first bytes already read back in front."""

    def __init__(self, head, rest):
        self.head, self.rest = head, rest

    def read(self, n=-1):
        if self.head:
            n = len(self.head) if n is None or n < 0 else n
            out, self.head = self.head[:n], self.head[n:]
            return out
        return self.rest.read(n)


def _refuse_doctype_prolog(stream, name):
    """Refuse a DOCTYPE before libxml2 sees it, so the message says what the file holds.
    (libxml2 with these options neither expands nor fetches entities either way.)"""
    head = stream.read(1 << 16)
    root = re.search(rb"<[A-Za-z_]", head)
    if b"<!DOCTYPE" in (head[:root.start()] if root else head):
        raise _Fail(_DOCTYPE.format(name=name))
    return _Prepended(head, stream)


_DOCTYPE = ("{name} has a DOCTYPE (entity or DTD declarations), which workbooks never contain: "
            "refusing to read it")


def _safe_parser():
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                           remove_comments=True, remove_pis=True)


def _refuse_dtd(el, name):
    info = el.getroottree().docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise _Fail(_DOCTYPE.format(name=name))


def _local(tag):
    return tag.rpartition("}")[2] if tag.__class__ is str else ""


# --------------------------------------------------------- workbook, names, strings

def _rels(pkg, part):
    """The relationships of `part`: {rId: (type, target part name)}; {} when it has none."""
    folder, base = posixpath.split(part.lstrip("/"))
    rels_name = posixpath.join(folder, "_rels", base + ".rels")
    if pkg.info(rels_name) is None:
        return {}
    out = {}
    for _, el in _iterparse(pkg.open(rels_name), rels_name, events=("end",), tag="{*}Relationship"):
        if el.get("TargetMode") == "External":
            continue
        target = el.get("Target") or ""
        target = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        out[el.get("Id")] = (el.get("Type") or "", target)
        el.clear()
    return out


def _workbook_part(pkg):
    for typ, target in _rels(pkg, "").values():
        if typ.endswith(_REL_OFFICE_DOCUMENT) and pkg.info(target):
            return target
    if pkg.info("xl/workbook.xml"):
        return "xl/workbook.xml"
    if pkg.info("xl/workbook.bin"):
        raise _Fail("is an .xlsb (binary) workbook: save it as .xlsx")
    raise _Fail("has no xl/workbook.xml: not an Excel workbook")


_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _unescape(s):
    """OOXML writes control characters as _xHHHH_ (e.g. _x000D_ for CR)."""
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), s) if "_x" in s else s


def _inline_text(raw):
    """An inline string's text as it stands in <is><t>: entities, line ends and _xHHHH_ replaced."""
    return _unescape(_xml_text(raw)) if "&" in raw or "\r" in raw or "_x" in raw else raw


def _rich_text(el, t_tag, r_tag):
    """Text of an <si> or <is>: its <t>, or its runs' <t> concatenated; phonetic runs skipped."""
    parts = []
    for child in el:
        if child.tag == t_tag:
            parts.append(child.text or "")
        elif child.tag == r_tag:
            for t in child:
                if t.tag == t_tag:
                    parts.append(t.text or "")
    return _unescape("".join(parts))


def _shared_strings(pkg, name):
    if not name or pkg.info(name) is None:
        return []
    out = []
    for _, el in _iterparse(pkg.open(name), name, events=("end",), tag="{*}si"):
        ns = el.tag[:el.tag.index("}") + 1] if el.tag.startswith("{") else ""
        out.append(_rich_text(el, ns + "t", ns + "r"))
        el.clear()
        while el.getprevious() is not None:
            del el.getparent()[0]
    return out


def _workbook(pkg, part):
    """[(name, rId)] of <sheets> in order, and [(name, localSheetId or None, text)] of names."""
    sheets, names = [], []
    for _, el in _iterparse(pkg.open(part), part, events=("end",)):
        tag = _local(el.tag)
        if tag == "sheet":
            rid = next((v for k, v in el.attrib.items() if _local(k) == "id"), None)
            sheets.append((el.get("name") or "", rid))
        elif tag == "definedName":
            local = el.get("localSheetId")
            names.append((el.get("name") or "", int(local) if local and local.isdigit() else None,
                          el.text or ""))
        elif tag in ("sheets", "definedNames"):
            el.clear()
    return sheets, names


# ------------------------------------------------------------------------- sheets

_EXCEL_EPOCH = datetime(1899, 12, 30)


def _iso_date(text):
    """t="d" cells (ISO 8601) as Excel serial numbers; an unreadable one stays text."""
    try:
        d = datetime.fromisoformat(text.rstrip("Z"))
    except ValueError:
        return text
    return (d - _EXCEL_EPOCH).total_seconds() / 86400.0


# The fast path: Excel, LibreOffice, openpyxl and XlsxWriter all write <sheetData> in one
# plain shape (no prefixes, double quotes, single spaces, r= on every cell). One regular
# expression reads that shape ~3x faster than any XML parser; the matches must tile the
# whole of <sheetData>, so anything else in it (comments, CDATA, prefixes, rich inline
# strings, unknown entities) sends the sheet to the lxml path instead, which reads all XML.
_PLAIN_ATTR = r' (?!t=)[A-Za-z:]+="[^"<&]*"'
_PLAIN_SHEET_DATA = re.compile(
    r'[ \t\r\n]*(?:'
    r'<c r="([A-Z]{1,4})([0-9]{1,8})"(?:%(a)s)*(?: t="([A-Za-z]+)")?(?:%(a)s)* ?'
    r'(?:/>|>'
    r'(?:<f((?: [A-Za-z:]+="[^"<&]*")*) ?(?:/>|>([^<]*)</f>))?'
    r'(?:<v>([^<]*)</v>|<v ?/>)?'
    r'(?:<is><t(?: xml:space="preserve")?>([^<]*)</t></is>)?'
    r'</c>)'
    r'|<row(?: r="([0-9]{1,8})")?(?: [A-Za-z0-9:]+="[^"<&]*")* ?/?>'
    r'|</row>)' % {"a": _PLAIN_ATTR})
_F_ATTR = re.compile(r'([A-Za-z:]+)="([^"]*)"')
_PLAIN_F = {"": True}


class _Shared:
    """A template cell that follows a shared formula: its texts are the master's, moved to each
    row exactly as SharedFormula.translate moves them."""

    __slots__ = ("si", "master")

    def __init__(self, si, master):
        self.si, self.master = si, master    # master: (row, col, SharedFormula), as in _SheetReader.masters

    def texts(self, col, rows):
        """Each row's formula text, or None when translate would write #REF! in one of them."""
        mr, mc, shared = self.master
        moved = shared.translate_rows(list(map((-mr).__add__, rows)), col - mc)
        return None if moved is None else map("=".__add__, moved)


def _follower(fattrs, ftext, masters):
    """A _Shared for <f t="shared" si="N"/> with no text of its own whose master was read; else None."""
    if not masters or ftext or ' t="shared"' not in fattrs:
        return None
    a = dict(_F_ATTR.findall(fattrs))
    si = a.get("si")
    if a.get("t") != "shared" or "ref" in a or si not in masters:
        return None
    return _Shared(si, masters[si])


def _plain_f(fattrs):
    """Are the attributes of an <f> those of a plain formula? Only t= makes a formula shared, an
    array or a data table; LibreOffice writes aca="false" on every formula, Excel ca="1" on some
    (recalculate always): they change nothing here. Memoised: a sheet has a few distinct ones."""
    plain = _PLAIN_F.get(fattrs)
    if plain is None:
        plain = dict(_F_ATTR.findall(fattrs)).get("t", "normal") == "normal"
        if len(_PLAIN_F) < 1000:
            _PLAIN_F[fattrs] = plain
    return plain
_XML_ESCAPE = re.compile(r"&(#[0-9]{1,7}|#x[0-9A-Fa-f]{1,6}|lt|gt|amp|quot|apos);|&")
_XML_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}


class _NotPlain(Exception):
    """The sheet is not in the plain shape: read it with lxml."""


def _xml_char(m):
    e = m.group(1)
    if e is None:
        raise _NotPlain                            # a bare "&" or an undeclared entity
    if e[0] != "#":
        return _XML_NAMED[e]
    try:
        return chr(int(e[2:], 16) if e[1] == "x" else int(e[1:]))
    except (ValueError, OverflowError):
        raise _NotPlain from None


def _xml_text(s):
    """Character data as an XML parser gives it: entities replaced, line ends normalised."""
    if "&" in s:
        s = _XML_ESCAPE.sub(_xml_char, s)
    if "\r" in s:
        s = s.replace("\r\n", "\n").replace("\r", "\n")
    return s


def _decode_plain(data):
    """The part as text when it is UTF-8 (as Excel writes it); None sends it to lxml."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if data.startswith(b"<?xml"):
        decl = data[:data.find(b"?>")]
        m = re.search(rb"""encoding=["']([A-Za-z0-9._-]+)""", decl)
        if m and m.group(1).lower() not in (b"utf-8", b"utf8"):
            return None
    elif not data.lstrip()[:1] == b"<":
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


# Rows written by a program repeat one shape: the same cells with the same styles, formulas
# filled down (each relative reference on the row's own row), only the row number and the
# cached values changing. A _RowTemplate is one row turned into a regular expression whose
# holes are exactly those: the row number (matched once, then required by back-reference
# wherever the row's own number stands) and each <v> and inline text. Each following row it
# matches is one C-level match, and its cells are made column by column with map() and zip()
# instead of a Python loop per cell. What the template makes is, by construction, the text
# the file holds: the formula of a matched row is its literal pieces joined by that row's
# number, which the match has just seen in those places. A row of any other shape is read
# cell by cell as before; so are sheets below TEMPLATE_MIN_CHARS of <sheetData>.
TEMPLATE_MIN_CHARS = 1 << 20
TEMPLATE_MAX_CELLS = 512       # a row's regular expression takes ~0.1 s to compile per 2,000 cells
_ROW_START = re.compile(r"[ \t\r\n]*<row[ />]")
_TEMPLATE_TYPES = (None, "n", "s", "str", "b", "e", "inlineStr")


class _RowTemplate:
    """One row's shape: its regular expression and, per cell, how to make its value and text."""

    __slots__ = ("regex", "cells", "first_col", "last_col")

    def __init__(self, regex, cells):
        self.regex = regex
        self.cells = cells                   # (col, t, v group, inline group, formula pieces or None)
        self.first_col, self.last_col = cells[0][0], cells[-1][0]

    @classmethod
    def build(cls, text, pos, j, masters=None):
        """The template of the row starting at text[pos] (its <row r="N"> and cells, up to and
        with its </row>), or None when that row is not one a template can stand for.
        masters: the sheet's shared formulas read so far (si -> (row, col, SharedFormula)), for
        rows of shared-formula followers (<f t="shared" si="0"/>, as Excel writes a filled range)."""
        sc = _PLAIN_SHEET_DATA.scanner(text, pos, j)
        m = sc.match()
        if m is None or m.group(8) is None or m.group(0).endswith("/>"):
            return None
        row = m.group(8)
        out = [re.escape(text[pos:m.start(8)]), r"([0-9]{1,8})"]
        at = m.end(8)
        groups, cells, last_col = 1, [], 0

        def literal(upto):
            out.append(re.escape(text[at:upto]))

        while True:
            m = sc.match()
            if m is None:
                return None
            letters, digits, t, fattrs, ftext, v, inline, _ = m.groups()
            if letters is None:                    # </row> (a nested <row> is not plain)
                if m.group(0).lstrip(" \t\r\n") != "</row>" or not cells:
                    return None
                literal(m.end())
                return cls(re.compile("".join(out)), cells)
            col = COL_NUMBER.get(letters)
            if digits != row or col is None or col <= last_col or t not in _TEMPLATE_TYPES \
                    or len(cells) == TEMPLATE_MAX_CELLS:
                return None
            last_col = col
            literal(m.start(2))
            out.append(r"(?:\1)")
            at = m.end(2)
            pieces = None
            follower = _follower(fattrs, ftext, masters) if fattrs else None
            if follower is not None:               # its text: the master's, moved to each row
                pieces = follower
            elif fattrs is not None:               # a formula: only plain ones (no array, no master)
                if not ftext or not _plain_f(fattrs):
                    return None
                literal(m.start(5))
                raw, k = [""], 0                   # the XML text between the row's own numbers
                for tok in _FORMULA_TOKENS.finditer(ftext):
                    if tok.lastgroup == "rows" and row in (tok.group(14), tok.group(16)):
                        return None                # a whole-row reference: not worth a template
                    if tok.lastgroup != "cell" or tok.group(5) or tok.group(6) != row:
                        continue                   # only relative references to the row's own row
                    a, b = tok.span(6)
                    out.append(re.escape(ftext[k:a]) + r"(?:\1)")
                    raw[-1] += ftext[k:a]
                    raw.append("")
                    k = b
                out.append(re.escape(ftext[k:]))
                raw[-1] += ftext[k:]
                at = m.end(5)
                # Each piece's entities (&gt;) and line ends are its own: a number inside an entity
                # leaves a bare "&" in a piece, which _xml_text refuses (_NotPlain).
                try:
                    pieces = [_xml_text(p) for p in raw]
                except _NotPlain:
                    return None
                if row.join(pieces) != _xml_text(ftext) \
                        or len(pieces[0]) + sum(map(len, pieces[1:])) + 8 * (len(pieces) - 1) > MAX_FORMULA_CHARS:
                    return None
                pieces[0] = "=" + pieces[0]
            vg = ig = None
            if v is not None:
                literal(m.start(6))
                out.append(r"([^<]*)")
                groups += 1
                vg, at = groups, m.end(6)
            if inline is not None:
                literal(m.start(7))
                out.append(r"([^<]*)")
                groups += 1
                ig, at = groups, m.end(7)
            literal(m.end())
            at = m.end()
            cells.append((col, t, vg, ig, pieces))

    def rows(self, text, pos, j):
        """The groups of each row it matches from text[pos], one after another, and where they end."""
        found = []
        match = self.regex.scanner(text, pos, j).match
        m = None
        for m in iter(match, None):
            found.append(m.groups())
        return found, (pos if m is None else m.end())


class _Templates:
    """The row templates of one scan: the last few that matched, tried first; a new one built
    when none fits. Building is paid for: compiling a row's expression costs ~60 times what
    reading its text cell by cell does, so the characters of the rows built from may not
    outgrow FREE_CHARS plus 1/256 of the characters templates have read, and templates that
    keep failing (rows that refer to the row above, say) stop the building for good. A
    sheet of ever-new shapes is then read by the per-cell loop at nearly its own speed."""

    KEEP, BUDGET = 4, 8
    FREE_CHARS, MAX_ROW_CHARS = 32 * 1024, 16 * 1024

    def __init__(self, reader, texts):
        self.reader, self.texts = reader, texts
        self.known, self.failures, self.successes = [], 0, 0
        self.spent = self.earned = 0                  # characters built from, characters read by templates
        self.live = True

    def take(self, text, pos, j):
        """(end, figures) of the rows at text[pos] one template reads, all added; None: read the
        next row cell by cell."""
        for tpl in self.known:
            found, end = tpl.rows(text, pos, j)
            if found:
                break
        else:
            if not _ROW_START.match(text, pos, j):   # the end of <sheetData>, or not plain
                return None
            row_end = text.find("</row>", pos, min(j, pos + self.MAX_ROW_CHARS))
            self.spent += self.MAX_ROW_CHARS if row_end < 0 else row_end - pos
            tpl = _RowTemplate.build(text, pos, j, self.reader.masters) if row_end >= 0 else None
            found, end = tpl.rows(text, pos, j) if tpl is not None else ([], pos)
            if len(found) < 2:
                self.failures += 1
            else:
                self.successes += 1
                self.known.insert(0, tpl)
                del self.known[self.KEEP:]
            self.live = (self.failures <= self.BUDGET + self.successes
                         and self.spent <= self.FREE_CHARS + self.earned // 256)
            if not found:
                return None
        figures = self.reader.add_rows(tpl, found, self.texts)
        if figures is None:                           # a value the per-cell loop must judge
            self.live = False
            return None
        self.earned += end - pos
        return end, figures


class _SheetReader:
    """Reads one worksheet's <sheetData> into a Sheet."""

    def __init__(self, book_reader, sheet):
        self.br = book_reader
        self.sheet = sheet
        self.reset()

    def reset(self):
        self.bounds = None     # (max row, max col) when the cells came in order, each once
        self.consts = {}       # (row, col) -> value of a constant cell (no Cell object: most cells)
        self.others = {}       # (row, col) -> Cell of a formula cell (or an array range's member)
        self.masters = {}      # si -> (row, col, SharedFormula)
        self.followers = []    # (row, col, si) seen before their master
        self.arrays = []       # (row, col, ref)
        self.runs = {}         # col -> [[first row, last row, values]]: template rows' constants as columns

    def fail_at(self, row, col, problem):
        where = f"{self.sheet.name}!{COL_LETTERS[col]}{row}" if 0 < col <= MAX_COL else self.sheet.name
        raise _Fail(f"{where}: {problem}")

    def read(self, part, data=None):
        if data is None:
            data = self.br.pkg.read(part)
        text = _decode_plain(data)
        if text is not None:
            del data                                  # one copy of the part in memory, not two
            try:
                plain = self.read_plain(text, part)
            except _NotPlain:
                plain = False
            if plain:
                self.finish()
                return
            data = text.encode("utf-8")
            del text
        self.reset()
        self.read_xml(io.BytesIO(data), part)
        del data
        self.finish()

    def raw_value(self, t, v, inline, r, col):
        """value() of a <v> and inline text as they stand in the file (entities not yet replaced)."""
        if v is not None and t != "n" and "&" in v:
            v = _xml_text(v)
        if inline is not None:
            inline = _unescape(_xml_text(inline))
        return self.value(t, v, inline, r, col)

    def value(self, t, v, inline, r, col):
        """A cell's cached value from its type t and the text of its <v> (None: no <v>)."""
        if t is None or t == "n":
            try:
                return float(v) if v else None
            except ValueError:
                self.fail_at(r, col, f"the number cell's value {v[:40]!r} is not a number")
        if t == "s":
            try:
                i = int(v)
                if i >= 0:                            # (-1 is not the last string)
                    return self.br.sst[i]
            except (ValueError, IndexError, TypeError):
                pass
            self.fail_at(r, col, f"shared string {v!r} does not exist")
        if t == "str":
            return None if v is None else _unescape(v)
        if t == "inlineStr":
            return inline if inline is not None else (None if v is None else _unescape(v))
        if t == "b":
            return v in ("1", "true", "TRUE") if v else None
        if t == "e":
            return ExcelError(v.strip()) if v else None
        if t == "d":
            return _iso_date(v) if v else None
        self.fail_at(r, col, f"unknown cell type t={t!r}")

    def read_plain(self, text, part):
        """The fast path; False (or _NotPlain) when the sheet is not in the plain shape."""
        start = text.find("<sheetData>")
        if start < 0:
            return False
        i = start + len("<sheetData>")
        j = text.find("</sheetData>", i)
        if j < 0:
            return False
        # Everything around <sheetData> must itself be well-formed, DTD-free XML in which
        # this <sheetData> is the worksheet's own (not inside a comment, not foreign).
        _check_frame(text[:i] + text[j:], part)
        room = MAX_CELLS - self.br.cells
        cuts = _split_points(text, i, j)
        got = self.scan(text, i, j, room) if cuts is None else self.scan_in_two(text, i, cuts, j, room)
        if got is None:
            return False
        n, ordered, _, _, top, max_col = got
        self.br.count_cells(n, self.sheet.name, 0)
        if ordered:                                   # as every program writes: no cell twice, the last row last
            self.bounds = (top, max_col)
        return True

    def scan(self, text, i, j, room, texts=None):
        """Read the cells of text[i:j] (whole rows) into the sheet's dicts; None when that text is
        not in the plain shape. Else (cells, ordered, first (row, col), last (row, col), top, max col):
        ordered when no cell came twice and rows and columns only went forward.

        texts: a list for scan_in_two's child, which keeps a formula cell's value in sheet.others
        and its text in texts, and stops (_NotSimple) at any formula that is not plain."""
        consts, cells = self.consts, self.others
        n = 0
        first = None
        last_digits, r, last_col, ordered = None, 0, MAX_COL, True
        top, max_col = 0, 0                           # bounds of the cells kept
        col_number = COL_NUMBER.get
        shapes = _Templates(self, texts) if j - i >= TEMPLATE_MIN_CHARS else None
        pos = i
        while True:
            while shapes is not None and shapes.live:   # rows of a known shape, many at a time
                got = shapes.take(text, pos, j)
                if got is None:
                    break
                pos, (k, in_order, start, last, kept_to, kept_col) = got
                n += k
                if n > room:
                    self.br.count_cells(n, self.sheet.name, last[0])
                ordered = ordered and in_order and start[0] > r
                first = first or start
                (r, last_col), last_digits = last, None
                top = kept_to or top
                max_col = max(max_col, kept_col)
            m = None
            # scanner().match anchors each match where the last one ended: the matches tile
            # <sheetData> from pos, and stop at the first thing not in the plain shape.
            for m in iter(_PLAIN_SHEET_DATA.scanner(text, pos, j).match, None):
                letters, digits, t, fattrs, ftext, v, inline, row_r = m.groups()
                if letters is None:
                    if row_r is not None:
                        if not 1 <= int(row_r) <= MAX_ROW:
                            return None               # the lxml path names the error
                    elif shapes is not None and shapes.live:
                        break                         # </row>: a template may read the next rows
                    continue
                col = col_number(letters)
                if col is None:
                    return None
                if digits != last_digits:             # the cells of a row share its number
                    last_r = r
                    r = int(digits)
                    if not 1 <= r <= MAX_ROW:
                        return None
                    last_digits = digits
                    ordered = ordered and r > last_r
                    if first is None:
                        first = (r, col)
                elif col <= last_col:
                    ordered = False
                last_col = col
                n += 1
                if n > room:
                    self.br.count_cells(n, self.sheet.name, r)
                if t is None:                         # a number, the common case, inlined
                    try:
                        value = float(v) if v else None
                    except ValueError:
                        self.fail_at(r, col, f"the number cell's value {v[:40]!r} is not a number")
                elif t == "inlineStr" and v is None and inline is not None:   # text, as XlsxWriter writes it
                    value = _inline_text(inline)
                else:
                    value = self.raw_value(t, v, inline, r, col)
                if fattrs is None:
                    if value is not None:
                        consts[(r, col)] = value
                        top = r
                        if col > max_col:
                            max_col = col
                    continue
                top = r
                if col > max_col:
                    max_col = col
                if ftext is not None and ("&" in ftext or "\r" in ftext):
                    ftext = _xml_text(ftext)
                if ftext and (not fattrs or _plain_f(fattrs)) and len(ftext) <= MAX_FORMULA_CHARS:
                    if texts is None:
                        cells[(r, col)] = Cell(value, "=" + ftext)   # a plain formula, the common case
                    else:                             # scan_in_two's child: columns, no Cells
                        cells[(r, col)] = value
                        texts.append("=" + ftext)
                    continue
                if texts is not None:
                    raise _NotSimple
                cells[(r, col)] = cell = Cell(value)
                if fattrs:
                    a = dict(_F_ATTR.findall(fattrs))
                    self.formula(cell, a.get("t"), ftext, a.get("ref"), a.get("si"), r, col)
                else:
                    self.formula(cell, None, ftext, None, None, r, col)
            else:                                     # no more matches: the end, or not plain
                if m is not None:
                    pos = m.end()
                break
            pos = m.end()
        if text[pos:j].strip(" \t\r\n"):
            return None
        return n, ordered, first, (r, last_col), top, max_col

    def add_rows(self, tpl, found, texts):
        """Add the cells of the rows a template matched (found: each row's groups), column by
        column with C-level map/zip, in the order scan() adds them (row by row). Returns scan()'s
        figures for these rows, or None, with nothing added, when a value needs the per-cell
        loop's judgement (an empty or unreadable number, an error to report at its cell)."""
        cols = list(zip(*found))
        digits = cols[0]
        rows = list(map(int, digits))
        if min(rows) < 1 or max(rows) > MAX_ROW:
            return None
        const_keys, const_vals, const_cols, f_keys, f_vals, f_texts = [], [], [], [], [], []
        for col, t, vg, ig, pieces in tpl.cells:
            if vg is None and ig is None and t in (None, "n"):
                if pieces is None:
                    continue                          # a blank (styled) cell: nothing kept
                vals = [None] * len(rows)
            else:
                vals = self._template_values(t, cols[vg - 1] if vg else None,
                                             cols[ig - 1] if ig else None, rows, col)
                if vals is None:
                    return None
            keys = zip(rows, repeat(col))
            if pieces is None:
                if None in vals:
                    return None
                const_keys.append(keys)
                const_vals.append(vals)
                const_cols.append(col)
                continue
            if pieces.__class__ is _Shared:
                if texts is not None or self.masters.get(pieces.si) is not pieces.master:
                    return None                       # the child keeps no masters; a master read since
                formulas = pieces.texts(col, rows)
                if formulas is None:
                    return None
            else:
                formulas = (map(str.join, digits, repeat(pieces)) if len(pieces) > 1
                            else repeat(pieces[0], len(rows)))
            f_keys.append(keys)
            f_vals.append(vals)
            f_texts.append(formulas)
        ordered = ordered_rows(rows)
        if ordered and rows[-1] - rows[0] + 1 == len(rows):
            for col, vals in zip(const_cols, const_vals):
                self.add_run(col, rows[0], rows[-1], vals)
        # row by row, as scan() adds them: zip(*columns) gives each row's cells in column order
        self.consts.update(zip(chain.from_iterable(zip(*const_keys)),
                               chain.from_iterable(zip(*const_vals))))
        keys, vals = chain.from_iterable(zip(*f_keys)), chain.from_iterable(zip(*f_vals))
        texts_in_order = chain.from_iterable(zip(*f_texts))
        if texts is None:
            self.others.update(zip(keys, map(Cell, vals, texts_in_order)))
        else:                                         # scan_in_two's child: values here, texts apart
            self.others.update(zip(keys, vals))
            texts.extend(texts_in_order)
        kept = bool(const_keys or f_keys)
        max_col = max([k for k, t, vg, ig, p in tpl.cells if p is not None or vg or ig] or [0])
        return (len(rows) * len(tpl.cells), ordered, (rows[0], tpl.first_col),
                (rows[-1], tpl.last_col), rows[-1] if kept else 0, max_col)

    def add_run(self, col, r0, r1, vals):
        """Keep rows r0..r1 of column col as one list too, joined to the run above it if adjacent."""
        runs = self.runs.setdefault(col, [])
        if runs and runs[-1][1] + 1 == r0:
            runs[-1][1] = r1
            runs[-1][2].extend(vals)
        else:
            runs.append([r0, r1, list(vals)])

    def _template_values(self, t, vs, inlines, rows, col):
        """The cached values of one template column, exactly as scan() makes each; None when
        one is not a plain value (scan() then reads these rows and reports it)."""
        try:
            if t in (None, "n") and inlines is None:  # numbers (LibreOffice writes t="n" on each)
                return None if "" in vs else list(map(float, vs))
            if t == "s" and inlines is None:          # shared strings, as Excel and LibreOffice write text
                at = list(map(int, vs))
                return None if min(at) < 0 else list(map(self.br.sst.__getitem__, at))
            if t == "inlineStr" and vs is None and inlines is not None:
                return list(map(_inline_text, inlines))
            n = len(rows)
            return list(map(self.raw_value, repeat(t, n), vs or repeat(None, n), inlines or repeat(None, n),
                            rows, repeat(col, n)))
        except (ValueError, IndexError, _Fail, _NotPlain):
            return None

    def scan_in_two(self, text, i, cuts, j, room):
        """scan() of text[i:j] in two processes (the machine's second core; LibreOffice uses both
        too): this one reads the rows up to cuts[0], a forked child reads the rest, one piece
        between cuts at a time, and sends each piece's cells back as columns through a pipe
        (marshal: numbers, text and tuples only, made by our own code from the parsed cells, never
        the file's bytes) while it reads the next; this process adds each piece to the sheet as it
        comes. When the child meets anything but plain constants and formulas (shared or array
        formulas, error values) it stops, and this process reads the rest itself: the result is
        always scan(text, i, j)'s."""
        pieces = list(zip(cuts, cuts[1:] + [j]))
        try:
            rfd, wfd = os.pipe()
            pid = os.fork()
        except OSError:
            return self._scan_rest(self.scan(text, i, cuts[0], room), text, cuts[0], j, room)
        if pid == 0:                                  # the child: never returns into the caller
            code = 1
            try:
                os.close(rfd)
                self._send_pieces(text, pieces, room, wfd)
                code = 0
            finally:
                os._exit(code)
        os.close(wfd)
        got = None
        try:
            got = self.scan(text, i, cuts[0], room)
            with os.fdopen(rfd, "rb") as inp:
                rfd = None
                for a, _ in pieces:
                    if got is None:
                        break
                    head = inp.read(8)
                    size = int.from_bytes(head, "little") if len(head) == 8 else 0
                    data = inp.read(size) if size else b""
                    if len(data) != size:
                        data = b""                    # cut short: read the rest here
                    piece = _from_columns(data, room - got[0])
                    if piece is None:                 # the child stopped here: read the rest here
                        got = self._scan_rest(got, text, a, j, room)
                        break
                    piece_got, const_keys, consts, keys, values, texts, runs = piece
                    self.consts.update(zip(const_keys, consts))
                    for col, col_runs in runs.items():
                        for r0, r1, vals in col_runs:
                            self.add_run(col, r0, r1, vals)
                    self.others.update(zip(keys, map(Cell, values, texts)))
                    got = _joined(got, piece_got)
        finally:
            if rfd is not None:
                os.close(rfd)
            os.kill(pid, signal.SIGKILL)              # done or not needed: never left running
            os.waitpid(pid, 0)
        return got

    def _send_pieces(self, text, pieces, room, fd):
        """The child's side of scan_in_two: a thread writes each piece while the next is read."""
        out = queue.Queue()

        def writer():
            with os.fdopen(fd, "wb") as pipe:
                while True:
                    data = out.get()
                    if data is None:
                        return
                    pipe.write(len(data).to_bytes(8, "little"))
                    pipe.write(data)
                    pipe.flush()
        thread = threading.Thread(target=writer)
        thread.start()
        try:
            for a, b in pieces:
                self.reset()
                texts = []
                try:
                    got = self.scan(text, a, b, room, texts)
                except (_NotSimple, _Fail):
                    got = None
                data = _columns(self, got, texts)
                out.put(data)
                if not data:
                    break
        finally:
            out.put(None)
            thread.join()

    def _scan_rest(self, head, text, k, j, room):
        if head is None:
            return None
        tail = self.scan(text, k, j, room - head[0])
        return None if tail is None else _joined(head, tail)

    def read_xml(self, stream, part):
        """The general path: any well-formed worksheet XML, through lxml's iterparse."""
        consts, cells = self.consts, self.others
        ns = None
        V = F = IS = T = R = None
        row_no = 0
        for _, row in _iterparse(stream, part, events=("end",), tag="{*}row"):
            if ns is None:
                ns = row.tag[:row.tag.index("}") + 1] if row.tag.startswith("{") else ""
                V, F, IS, T, R = ns + "v", ns + "f", ns + "is", ns + "t", ns + "r"
            r_attr = row.get("r")
            if r_attr is not None:
                if not r_attr.isdigit() or not 1 <= int(r_attr) <= MAX_ROW:
                    raise _Fail(f"{self.sheet.name}: row {r_attr!r} is outside Excel's 1..1,048,576 rows")
                row_no = int(r_attr)
            else:
                row_no += 1
            col = 0
            self.br.count_cells(len(row), self.sheet.name, row_no)
            for c in row:
                ref = c.get("r")
                r = row_no
                if ref is None:
                    col += 1
                    if col > MAX_COL:
                        raise _Fail(f"{self.sheet.name}: row {row_no} has a cell beyond column XFD")
                else:
                    letters = ref.rstrip(_DIGITS)
                    col = COL_NUMBER.get(letters, 0)
                    digits = ref[len(letters):]
                    r = int(digits) if digits.isdigit() else 0
                    if col == 0 or not 1 <= r <= MAX_ROW:
                        raise _Fail(f"{self.sheet.name}: cell reference {ref!r} is outside Excel's grid "
                                    f"(A1:XFD1048576)")
                v = f = inline = None
                for child in c:
                    tag = child.tag
                    if tag == V:
                        v = child.text or ""
                    elif tag == F:
                        f = child
                    elif tag == IS:
                        inline = _rich_text(child, T, R)
                value = self.value(c.get("t"), v, inline, r, col)
                if f is None:
                    if value is not None:
                        consts[(r, col)] = value
                    continue
                cells[(r, col)] = cell = Cell(value)
                self.formula(cell, f.get("t"), f.text, f.get("ref"), f.get("si"), r, col)
            row.clear()
            while row.getprevious() is not None:
                del row.getparent()[0]

    def formula(self, cell, kind, text, ref, si, r, col):
        if text is not None and len(text) > MAX_FORMULA_CHARS:
            self.fail_at(r, col, f"a formula of {len(text):,} characters, over Excel's "
                                 f"{MAX_FORMULA_CHARS:,}-character limit")
        if kind == "shared":
            if text:                                  # the master (or a follower written out)
                if ref is not None:
                    self.masters[si] = (r, col, SharedFormula(text))
                cell.formula = "=" + text
            elif si in self.masters:
                mr, mc, shared = self.masters[si]
                cell.formula = "=" + shared.translate(r - mr, col - mc)
            else:
                self.followers.append((r, col, si))
        elif kind == "array":
            if text:
                cell.formula = "=" + text
                cell.array_ref = ref or cell_name(r, col)
                self.arrays.append((r, col, cell.array_ref))
        elif kind == "dataTable":
            pass                                      # a What-If table: Excel fills it, no formula
        elif text:
            cell.formula = "=" + text

    def finish(self):
        consts, cells = self.consts, self.others
        if self.bounds is None and not consts.keys().isdisjoint(cells):
            for key in cells:                          # a cell written twice (no program does): the formula's
                consts.pop(key, None)
        for r, col, si in self.followers:
            if si not in self.masters:
                self.fail_at(r, col, f"shared formula si={si!r} has no master cell")
            mr, mc, shared = self.masters[si]
            cells[(r, col)].formula = "=" + shared.translate(r - mr, col - mc)
        for mr, mc, ref in self.arrays:
            try:
                r1, c1, r2, c2 = parse_range(ref)
            except ValueError as e:
                self.fail_at(mr, mc, f"array formula range {ref!r}: {e}")
            self.br.count_cells((r2 - r1 + 1) * (c2 - c1 + 1) - 1, self.sheet.name, mr)
            for r in range(r1, r2 + 1):
                for c in range(c1, c2 + 1):
                    if (r, c) == (mr, mc):
                        continue
                    cell = cells.get((r, c))
                    if cell is None:
                        cells[(r, c)] = cell = Cell(consts.pop((r, c), None))
                    cell.array_master = (mr, mc)
        if self.bounds is not None and not self.arrays:
            self.sheet.max_row, self.sheet.max_col = self.bounds
        elif consts or cells:
            self.sheet.max_row = max(max(consts, default=(0, 0))[0], max(cells, default=(0, 0))[0])
            self.sheet.max_col = max(max(map(itemgetter(1), consts), default=0),
                                     max(map(itemgetter(1), cells), default=0))
        # the runs mirror consts only when no cell came twice and no array range took a constant
        runs = self.runs if self.bounds is not None and not self.arrays else None
        self.sheet.set_split(consts, cells, runs)


# Above this many characters of <sheetData>, its second half is read by a child process.
PARALLEL_CHARS = 16 * 2**20


# This process reads the first PARENT_SHARE of the rows (it also adds the child's cells to the
# sheet), the child the rest, in CHILD_PIECES pieces sent as each is read.
PARENT_SHARE = 0.45
CHILD_PIECES = 4


def _split_points(text, i, j):
    """Where the child's pieces of <sheetData> start (each at a <row tag), when it is big enough
    to read in two processes on a machine with two cores or more; else None."""
    if j - i < PARALLEL_CHARS or not hasattr(os, "fork"):
        return None
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if cores < 2:
        return None
    first = i + int((j - i) * PARENT_SHARE)
    cuts = []
    for q in range(CHILD_PIECES):
        k = text.find("<row", first + (j - first) * q // CHILD_PIECES, j)
        if k > i and (not cuts or k > cuts[-1]):
            cuts.append(k)
    return cuts or None


def ordered_rows(rows):
    """Each row number above the one before."""
    return all(map(int.__lt__, rows, rows[1:]))


def _joined(head, tail):
    """scan()'s figures for two runs of rows, one after the other."""
    n1, ordered1, first1, last1, top1, col1 = head
    n2, ordered2, first2, last2, top2, col2 = tail
    ordered = ordered1 and ordered2 and (first2 is None or first2 > last1)
    return (n1 + n2, ordered, first1 or first2, last2 if first2 is not None else last1,
            max(top1, top2), max(col1, col2))


_PLAIN_VALUE_TYPES = {float, str, bool}


class _NotSimple(Exception):
    """scan_in_two's child met a cell it does not send back: the parent reads those rows."""


def _columns(reader, got, texts):
    """The child's cells as marshal bytes: b"" when its rows were not all plain (see scan_in_two).
    Ordered rows (no cell twice) keep the formula values and texts aligned. Keys and values go
    as lists, so the parent inserts each key once (no dict of them made on the way)."""
    if got is None or not got[1] or reader.masters or reader.followers or reader.arrays:
        return b""
    consts, values = reader.consts, reader.others
    if not (set(map(type, consts.values())) <= _PLAIN_VALUE_TYPES
            and set(map(type, values.values())) <= _PLAIN_VALUE_TYPES | {type(None)}):
        return b""
    return marshal.dumps((got, list(consts), list(consts.values()), list(values),
                          list(values.values()), texts, reader.runs))


def _from_columns(data, room):
    """_columns's bytes back: (figures, constant keys, constants, formula keys, formula values,
    formula texts); None if empty, cut short or over the cell limit (the parent's own read
    then says so)."""
    if not data:
        return None
    try:
        got, const_keys, consts, keys, values, texts, runs = marshal.loads(data)
    except (EOFError, ValueError, TypeError):        # cut short (a child killed while writing)
        return None
    if got[0] > room or len(values) != len(texts) or len(keys) != len(values) \
            or len(const_keys) != len(consts):
        return None
    return got, const_keys, consts, keys, values, texts, runs


def _check_frame(text, part):
    """The worksheet with its <sheetData> emptied: well-formed, no DTD, sheetData in place."""
    try:
        root = etree.fromstring(text.encode("utf-8"), _safe_parser())
    except etree.XMLSyntaxError:
        raise _NotPlain from None
    _refuse_dtd(root, part)
    ns = root.tag[:root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    found = [el for el in root if el.tag == ns + "sheetData"]
    if len(found) != 1 or len(found[0]) or found[0].text:
        raise _NotPlain


class _BookReader:
    def __init__(self, pkg, progress):
        self.pkg = pkg
        self.progress = progress
        self.cells = 0
        self.sst = []

    def count_cells(self, n, sheet, row):
        self.cells += n
        if self.cells > MAX_CELLS:
            raise _Fail(f"over the {MAX_CELLS:,}-cell limit (at sheet {sheet!r}, row {row:,})")

    def read(self, path):
        pkg = self.pkg
        part = _workbook_part(pkg)
        rels = _rels(pkg, part)
        sheets, names = _workbook(pkg, part)
        sst_part = next((t for typ, t in rels.values() if typ.endswith(_REL_SHARED_STRINGS)), None)
        if sst_part is None and pkg.info("xl/sharedStrings.xml"):
            sst_part = "xl/sharedStrings.xml"
        self.sst = _shared_strings(pkg, sst_part)

        book = Book(path=path)
        parts = []
        for name, rid in sheets:
            typ, target = rels.get(rid, ("", None))
            if not typ.endswith(_REL_WORKSHEET):
                continue                              # chartsheet, dialog or macro sheet
            if target is None or pkg.info(target) is None:
                raise _Fail(f"sheet {name!r} points at {target or rid}, which is not in the file")
            book.sheets[name] = Sheet(name=name)
            parts.append((name, target))
        by_index = [name for name, _ in sheets]       # localSheetId counts every sheet
        for name, local, text in names:
            if local is None:
                book.names[name.upper()] = text
            elif local < len(by_index) and by_index[local] in book.sheets:
                book.sheets[by_index[local]].names[name.upper()] = text

        pkg.check_sizes([t for _, t in parts])
        total = sum(pkg.size(t) for _, t in parts)
        report = self.progress if self.progress is not None and total > PROGRESS_BYTES else None
        # The biggest sheet, when others come before it, is unpacked meanwhile in a thread.
        big = max(range(len(parts)), key=lambda k: pkg.size(parts[k][1]), default=0)
        early = (_Prefetch(pkg, parts[big][1]) if big > 0 and pkg.size(parts[big][1]) > PARALLEL_CHARS
                 else None)
        try:
            for k, (name, target) in enumerate(parts):
                if report:
                    report(f"reading {name} ({_size(pkg.size(target))} of XML)...")
                _SheetReader(self, book.sheets[name]).read(     # no name kept for the bytes: freed once decoded
                    target, early.result() if early is not None and k == big else None)
        finally:
            if early is not None:
                early.thread.join()               # never leave it reading a closed zip
        return book


def read_book(path, progress=None):
    """Read an .xlsx/.xlsm into a Book; any problem is a one-line SheetsgdError naming the file.

    progress: optional callable(str), told which sheet is being read when the worksheets
    hold more than ~4 MB of XML (roughly 100k cells).
    """
    label = os.fspath(path)
    try:
        pkg = _Package(label)
    except _Fail as e:
        raise SheetsgdError(f"{label}: {e}") from None
    # Millions of new Cells would trigger the cyclic GC again and again (~30% of the time);
    # a Book holds no reference cycles, so collection can wait until it is built.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _BookReader(pkg, progress).read(label)
    except _Fail as e:
        raise SheetsgdError(f"{label}: {e}") from None
    except MemoryError:
        raise SheetsgdError(f"{label}: ran out of memory reading it") from None
    finally:
        pkg.close()
        if gc_was_enabled:
            gc.enable()
