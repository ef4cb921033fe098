"""A workbook file written again with some cells' values changed, every other byte as it was
(Workbook.save in simulate.py: the inputs a student set and the new cached values of the formula
cells they reach).

Only what changed is rewritten: in each worksheet part, the <c> elements of the changed cells
(a formula keeps its <f> as written, shared and array formulas too; its <v> and type become the
new value's), a cell set where there was none is added in its row, and the chart parts' cached
numbers (<c:numCache>) of the changed cells. Styles, formats, charts, names and every other zip
member are copied as they are, in their order. The file is written atomically (atomic.py).

Works on the plain shape of <sheetData> every common writer uses (Excel, LibreOffice,
XlsxWriter, openpyxl); anything else (namespace prefixes, CDATA, comments inside it) is refused
with one line rather than written wrong.
"""
import re
import zipfile

from .atomic import atomic_path
from .errors import SheetsgdError
from .formula.refs import COL_LETTERS, COL_NUMBER, MAX_ROW, parse_range, split_sheet
from .formula.values import ExcelError

_SHEET_DATA = re.compile(rb"<sheetData\s*/>|<sheetData\b[^>]*>(.*?)</sheetData>", re.S)
_ROW = re.compile(rb"<row\b([^>]*?)(/>|>(.*?)</row>)", re.S)
_CELL = re.compile(rb"<c\b([^>]*?)(/>|>(.*?)</c>)", re.S)
_ATTR_R = re.compile(rb'\sr="([^"]*)"')
_ATTR_T = re.compile(rb'\st="[^"]*"')
_F = re.compile(rb"<f\b[^>]*/>|<f\b[^>]*>.*?</f>", re.S)
_DIMENSION = re.compile(rb'<dimension ref="([^"]*)"\s*/>')
_SPANS = re.compile(rb'\sspans="[^"]*"')
_CELL_REF = re.compile(rb"([A-Z]{1,3})([0-9]{1,7})$")
_NOT_PLAIN = re.compile(rb"<[A-Za-z_][\w.-]*:|<!--|<!\[CDATA\[")


class SaveError(SheetsgdError):
    """The file cannot be written again as asked: one line naming why."""


def resave(src, dst, new):
    """Copy the workbook `src` to `dst` with the cells new = {sheet name: {(row, col): value}}
    changed (value: float, str, bool, ExcelError, None for blank)."""
    from .formula.reader.package import Package
    from .formula.reader.limits import ReadError
    from .formula.reader.workbook import read_workbook, rels_of, workbook_part
    label = str(src)
    try:
        pkg = Package(label)
    except ReadError as e:
        raise SaveError(f"{label}: {e}") from None
    try:
        part = workbook_part(pkg)
        rels = rels_of(pkg, part)
        sheets, _, _ = read_workbook(pkg, part)
        parts = {}
        for name, rid in sheets:
            typ, target = rels.get(rid, ("", None))
            if name in new and new[name]:
                if not typ.endswith("/worksheet") or target is None:
                    raise SaveError(f"{label}: sheet {name!r} is not a worksheet in the file")
                parts[pkg.info(target).filename] = (name, target)
        patched = {}
        for member, (name, target) in parts.items():
            patched[member] = patch_sheet(bytes(pkg.read(target)), new[name], name)
        changed = {name: cells for name, cells in new.items() if cells}
        for info in pkg.zip.infolist():
            low = info.filename.lower()
            if low.startswith("xl/charts/") and low.endswith(".xml") and "/_rels/" not in low:
                data = bytes(pkg.read(info.filename))
                got = patch_chart(data, changed)
                if got is not data:
                    patched[info.filename] = got
        with atomic_path(dst) as tmp:
            with zipfile.ZipFile(tmp, "w") as out:
                for info in pkg.zip.infolist():
                    data = patched.get(info.filename)
                    if data is None:
                        data = bytes(pkg.read(info.filename, again=info.filename in parts))
                    out.writestr(_copy_info(info), data, compress_type=info.compress_type)
    except ReadError as e:
        raise SaveError(f"{label}: {e}") from None
    finally:
        pkg.close()


def _copy_info(info):
    z = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    z.compress_type = info.compress_type
    z.external_attr = info.external_attr
    z.create_system = info.create_system
    return z


# ------------------------------------------------------------------------ worksheets

def patch_sheet(xml, cells, sheet="sheet"):
    """The worksheet XML with the cells {(row, col): value} rewritten (or added)."""
    m = _SHEET_DATA.search(xml)
    if m is None:
        raise SaveError(f"sheet {sheet!r}: no <sheetData> in its XML")
    body = m.group(1) or b""
    if _NOT_PLAIN.search(body):
        raise SaveError(f"sheet {sheet!r}: its XML is not in the plain shape sheetsgd rewrites "
                        f"(namespace prefixes, comments or CDATA in <sheetData>)")
    by_row = {}
    for (r, c), v in cells.items():
        by_row.setdefault(r, {})[c] = v
    rows = sorted(by_row)                             # the rows to write, in order; k: the next one
    out, last, row_no, k = [], 0, 0, 0
    for rm in _ROW.finditer(body):
        attrs = rm.group(1)
        got = _ATTR_R.search(attrs)
        row_no = int(got.group(1)) if got else row_no + 1
        if k < len(rows) and rows[k] < row_no:        # rows with no element yet, before this one
            out.append(body[last:rm.start()])
            while k < len(rows) and rows[k] < row_no:
                out.append(_new_row(rows[k], by_row[rows[k]]))
                k += 1
            last = rm.start()
        if k < len(rows) and rows[k] == row_no:
            out.append(body[last:rm.start()])
            out.append(_patch_row(attrs, rm.group(3) or b"", row_no, by_row[row_no], sheet))
            last = rm.end()
            k += 1
    out.append(body[last:])
    out.extend(_new_row(r, by_row[r]) for r in rows[k:])
    new_body = b"".join(out)
    head = xml[:m.start()]
    dm = _DIMENSION.search(head)
    if dm is not None:
        head = head[:dm.start()] + b'<dimension ref="' + _grow_dimension(dm.group(1), cells) + b'"/>' + head[dm.end():]
    return head + b"<sheetData>" + new_body + b"</sheetData>" + xml[m.end():]


def _patch_row(attrs, inner, row_no, todo, sheet):
    """A row's XML with the cells `todo` {col: value} rewritten, those it lacks added in column order."""
    out, last, col = [], 0, 0
    cols = sorted(todo)                      # the columns to write, in order; k: the next one
    k, added = 0, False
    for cm in _CELL.finditer(inner):
        got = _ATTR_R.search(cm.group(1))
        if got:
            ref = _CELL_REF.match(got.group(1))
            if ref is None:
                raise SaveError(f"sheet {sheet!r}: a cell of row {row_no} has r={got.group(1)[:20]!r}")
            col = COL_NUMBER.get(ref.group(1).decode())
        else:
            col += 1
        if k < len(cols) and cols[k] < col:  # cells the row lacks, before this one
            out.append(inner[last:cm.start()])
            while k < len(cols) and cols[k] < col:
                out.append(_cell(row_no, cols[k], b"", None, todo[cols[k]]))
                k += 1
            added, last = True, cm.start()
        if k < len(cols) and cols[k] == col:
            out.append(inner[last:cm.start()])
            f = _F.search(cm.group(3) or b"")
            out.append(_cell(row_no, col, _ATTR_T.sub(b"", cm.group(1)), f.group(0) if f else None, todo[col]))
            k += 1
            last = cm.end()
    out.append(inner[last:])
    if k < len(cols):
        out.extend(_cell(row_no, c, b"", None, todo[c]) for c in cols[k:])
        added = True
    attrs = _SPANS.sub(b"", attrs) if added else attrs      # spans is a hint: drop a stale one
    return b"<row" + attrs + b">" + b"".join(out) + b"</row>"


def _new_row(r, cells):
    return b'<row r="%d">' % r + b"".join(_cell(r, c, b"", None, cells[c]) for c in sorted(cells)) + b"</row>"


def _cell(r, c, attrs, f, v):
    """One <c> element: attrs (without t), the formula element as it was (None: a constant), v."""
    if not _ATTR_R.search(attrs):
        attrs = b' r="%s%d"' % (COL_LETTERS[c].encode(), r) + attrs
    attrs = attrs.rstrip()
    f = f or b""
    if v is None:
        return b"<c" + attrs + (b">" + f + b"</c>" if f else b"/>")
    if isinstance(v, bool):
        t, body = b' t="b"', b"<v>%d</v>" % v
    elif isinstance(v, float):
        t, body = b"", b"<v>" + repr(v).encode() + b"</v>"
    elif isinstance(v, ExcelError):
        t, body = b' t="e"', b"<v>" + v.code.encode() + b"</v>"
    elif isinstance(v, str):
        text = _xml_escape(v)
        if f:
            t, body = b' t="str"', b"<v>" + text + b"</v>"
        else:
            t, body = b' t="inlineStr"', b'<is><t xml:space="preserve">' + text + b"</t></is>"
    else:
        raise SaveError(f"{COL_LETTERS[c]}{r}: cannot store {v!r} in a cell")
    return b"<c" + attrs + t + b">" + f + body + b"</c>"


def _xml_escape(text):
    """Text as XML character data: & < > escaped, characters XML 1.0 forbids as OOXML's _xHHHH_
    (and a literal _xHHHH_ protected by escaping its underscore, as Excel does)."""
    text = re.sub(r"_(x[0-9A-Fa-f]{4}_)", r"_x005F_\1", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]", lambda m: f"_x{ord(m.group()):04X}_", text)
    return text.encode("utf-8")


def _grow_dimension(ref, cells):
    try:
        r1, c1, r2, c2 = parse_range(ref.decode())
    except Exception:
        return ref
    for r, c in cells:
        r1, c1, r2, c2 = min(r1, r), min(c1, c), max(r2, r), max(c2, c)
    a, b = f"{COL_LETTERS[c1]}{r1}", f"{COL_LETTERS[c2]}{r2}"
    return (a if a == b else f"{a}:{b}").encode()


# ------------------------------------------------------------------------ charts

_NUM_REF = re.compile(rb"(<(\w+:|)numRef>\s*<\2f>)(.*?)(</\2f>)(.*?)(</\2numRef>)", re.S)
_PT = re.compile(rb'(<(\w+:|)pt idx="([0-9]+)"[^>]*>\s*<\2v>)(.*?)(</\2v>)', re.S)


def patch_chart(xml, changed):
    """A chart part with the cached numbers of changed cells replaced (the same bytes when none
    of its series reads a changed cell). changed: {sheet: {(row, col): value}}."""
    lower = {name.lower(): cells for name, cells in changed.items()}
    hit = False

    def one(m):
        nonlocal hit
        cells = _series_cells(m.group(3).decode("utf-8", "replace"), lower)
        if cells is None:
            return m.group(0)

        def pt(p):
            nonlocal hit
            i = int(p.group(3))
            if i >= len(cells) or cells[i] is None:
                return p.group(0)
            v = cells[i]
            if isinstance(v, bool) or not isinstance(v, float):
                return p.group(0)
            hit = True
            return p.group(1) + repr(v).encode() + p.group(5)
        return m.group(1) + m.group(3) + m.group(4) + _PT.sub(pt, m.group(5)) + m.group(6)
    out = _NUM_REF.sub(one, xml)
    return out if hit else xml


def _series_cells(ref, lower):
    """[new value or None] per point of a one-row or one-column reference, None if it reads no
    changed cell (or is not such a reference)."""
    sheet, part = split_sheet(ref.strip())
    if sheet is None or sheet.lower() not in lower:
        return None
    try:
        r1, c1, r2, c2 = parse_range(part.replace("$", ""))
    except Exception:
        return None
    if r1 != r2 and c1 != c2 or r2 > MAX_ROW:
        return None
    cells = lower[sheet.lower()]
    keys = [(r, c1) for r in range(r1, r2 + 1)] if c1 == c2 else [(r1, c) for c in range(c1, c2 + 1)]
    got = [cells.get(k) for k in keys]
    return got if any(v is not None for v in got) else None
