"""PNG previews of a workbook's sheets, through headless LibreOffice: what a student sees on opening it.

LibreOffice prints each sheet as one PDF page (SinglePageSheets), as large as the sheet. So that a
long sheet does not come out as a strip of unreadable dots, each sheet is first cut to a window, a
copy of the workbook being printed, never the file itself:

- rows 1..max_rows and the columns that fit in max_width characters, widened to take in each chart
  that starts inside the window, or in its first rows up to twice as far right (a chart further
  out is left out);
- the rows outside the window that a chart plots are kept but hidden, and the charts told to plot
  hidden cells, so every chart is drawn from all of its data; other rows outside are dropped;
- formulas are dropped, leaving the values the file caches: nothing is recalculated, so the
  preview shows the file's own numbers, and a big workbook prints in seconds;
- a saved scroll position and frozen panes are dropped (LibreOffice prints from them, blanking
  the top rows of the lecture's own files), as are print areas and print titles;
- the sheets not asked for (--sheet) are emptied but for the cells other sheets' charts plot.

The file is read through the same limits as `sheetsgd check` (sheetsgd.formula.reader's Package:
file size, zip members, a budget of unpacked bytes), XML parsed without DTDs or entities and a
DOCTYPE in any part refused, and every problem is one line naming the file.
"""
import os
import posixpath
import re
import tempfile
import zipfile
from pathlib import Path

from .errors import SheetsgdError

MAX_ROWS = 120        # a sheet's first rows in a preview (and whatever its charts need, hidden)
MAX_WIDTH = 420       # characters of column width (Excel's unit) across a preview
DPI = 60              # the PNGs' resolution
DEFAULT_COL_WIDTH = 8.43

_PDF_ONE_PAGE_PER_SHEET = 'pdf:calc_pdf_Export:{"SinglePageSheets":{"type":"boolean","value":"true"}}'
_REL_DRAWING = "/drawing"
_REL_CHART = "/chart"
_REL_WORKSHEET = "/worksheet"
_ROW = re.compile(rb'<row\b[^>]*?(?:/>|>.*?</row>)', re.S)
_ROW_NUMBER = re.compile(rb'<row\b[^>]*?\br="(\d+)"')
_FORMULA = re.compile(rb"<f\b[^>]*/>|<f\b[^>]*>[^<]*</f>")
_PANE = re.compile(rb"<pane\b[^>]*/>|<selection\b[^>]*/>")
_TOP_LEFT = re.compile(rb'\stopLeftCell="[^"]*"')
_COLS = re.compile(rb"<cols>.*?</cols>|<cols/>", re.S)
_COL = re.compile(rb"<col\b[^>]*/>")
_SHEET_DATA = re.compile(rb"<sheetData\s*/>|<sheetData>.*?</sheetData>", re.S)
_DIMENSION = re.compile(rb'<dimension\b[^>]*/>')
_DRAWING = re.compile(rb"<drawing\b[^>]*/>")
_BREAKS = re.compile(rb"<rowBreaks\b.*?</rowBreaks>|<colBreaks\b.*?</colBreaks>|<rowBreaks\b[^>]*/>|"
                     rb"<colBreaks\b[^>]*/>", re.S)
_CHART_RANGE = re.compile(r"(?:'((?:[^']|'')+)'|([^'!(),]+))!\$?([A-Za-z]{1,3})\$?(\d+)(?::\$?([A-Za-z]{1,3})\$?(\d+))?")
_ANCHOR = re.compile(rb"<xdr:(twoCellAnchor|oneCellAnchor|absoluteAnchor)\b.*?</xdr:\1>", re.S)


def _fail(path, problem):
    return SheetsgdError(f"{path}: {problem}")


def _col_number(letters):
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def _col_letters(n):
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


class _Workbook:
    """The parts of an .xlsx that a preview rewrites, read within the reader's limits."""

    def __init__(self, path):
        from .formula.reader.limits import ReadError
        from .formula.reader.package import Package
        self.path = path
        self._Fail = ReadError
        try:
            self.pkg = Package(os.fspath(path))
        except ReadError as e:
            raise _fail(path, e) from None
        try:
            self._read()
        except ReadError as e:
            self.pkg.close()
            raise _fail(path, e) from None
        except BaseException:
            self.pkg.close()
            raise

    def close(self):
        self.pkg.close()

    # -- reading ------------------------------------------------------------------------------

    def part(self, name):
        """A part's bytes, within the reader's budget; an XML part declaring a DOCTYPE (entities,
        a DTD: a billion laughs) is refused, as the reader refuses it, before LibreOffice sees it."""
        data = bytes(self.pkg.read(name))
        if name.lower().endswith((".xml", ".rels", ".vml")):
            head = data[:1 << 16]
            root = re.search(rb"<[A-Za-z_]", head)
            if b"<!DOCTYPE" in (head[:root.start()] if root else head):
                raise self._Fail(f"{name} has a DOCTYPE (entity or DTD declarations), which workbooks never "
                                 "contain: refusing to read it")
        return data

    def xml(self, part):
        """A part parsed without DTDs, entities or network (defusedxml); a bad one is a _Fail."""
        from defusedxml import DefusedXmlException
        from defusedxml.ElementTree import ParseError, fromstring
        try:
            return fromstring(self.part(part))
        except ParseError as e:
            raise self._Fail(f"{part} is not well-formed XML ({e})") from None
        except DefusedXmlException as e:
            raise self._Fail(f"{part} declares entities or a DTD, which workbooks never contain "
                             f"({type(e).__name__}): refusing to read it") from None

    def rels(self, part):
        folder, base = posixpath.split(part)
        name = posixpath.join(folder, "_rels", base + ".rels")
        if self.pkg.info(name) is None:
            return {}
        out = {}
        for el in self.xml(name).iter():
            if el.tag.rpartition("}")[2] != "Relationship" or el.get("TargetMode") == "External":
                continue
            target = el.get("Target") or ""
            target = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
                posixpath.join(folder, target))
            out[el.get("Id")] = (el.get("Type") or "", target)
        return out

    def _read(self):
        from .formula.reader.workbook import workbook_part
        self.workbook_part = workbook_part(self.pkg)
        rels = self.rels(self.workbook_part)
        self.sheets = []                               # [(name, part or None for a chartsheet)]
        for el in self.xml(self.workbook_part).iter():
            if el.tag.rpartition("}")[2] != "sheet":
                continue
            rid = next((v for k, v in el.attrib.items() if k.rpartition("}")[2] == "id"), None)
            typ, target = rels.get(rid, ("", None))
            part = target if typ.endswith(_REL_WORKSHEET) and target and self.pkg.info(target) else None
            self.sheets.append((el.get("name") or "", part))
        if not self.sheets:
            raise self._Fail("has no sheets")
        sst = next((t for typ, t in rels.values() if typ.endswith("/sharedStrings") and self.pkg.info(t)), None)
        self.string_lengths = []                       # characters of each shared string (for overflow)
        if sst:
            for si in re.findall(rb"<si>(.*?)</si>", self.part(sst), re.S):
                self.string_lengths.append(sum(len(t) for t in re.findall(rb"<t\b[^>]*>([^<]*)</t>", si)))
        # Each worksheet's charts: [(anchor bytes, from (col, row), to (col, row), chart part)].
        self.drawings = {}
        for name, part in self.sheets:
            if part is None:
                continue
            for typ, target in self.rels(part).values():
                if typ.endswith(_REL_DRAWING) and self.pkg.info(target):
                    self.drawings[name] = (target, self._anchors(target))

    def _anchors(self, drawing):
        charts = {rid: target for rid, (typ, target) in self.rels(drawing).items()}
        self.xml(drawing)                              # well-formed and without entities, or refused
        out = []
        for m in _ANCHOR.finditer(self.part(drawing)):
            block = m.group(0)
            cells = [(int(c), int(r)) for c, r in re.findall(
                rb"<xdr:(?:from|to)>\s*<xdr:col>(\d+)</xdr:col>.*?<xdr:row>(\d+)</xdr:row>", block, re.S)]
            rid = re.search(rb'r:id="([^"]+)"', block)
            chart = charts.get(rid.group(1).decode()) if rid else None
            start = cells[0] if cells else (0, 0)
            end = cells[1] if len(cells) > 1 else (start[0] + 8, start[1] + 16)
            out.append((block, start, end, chart))
        return out

    def chart_ranges(self, chart):
        """[(sheet, col1, row1, col2, row2)] a chart plots (1-based, inclusive)."""
        if chart is None or self.pkg.info(chart) is None:
            return []
        out = []
        for f in re.findall(rb"<c:f>(.*?)</c:f>", self.part(chart), re.S):
            for m in _CHART_RANGE.finditer(f.decode("utf-8", "replace")):
                sheet = (m.group(1) or "").replace("''", "'") or m.group(2).strip()
                c1, r1 = _col_number(m.group(3)), int(m.group(4))
                c2, r2 = (_col_number(m.group(5)), int(m.group(6))) if m.group(5) else (c1, r1)
                out.append((sheet, c1, r1, c2, r2))
        return out


def _widths(sheet_xml):
    """{column (1-based): width} from <cols>, and the sheet's default width."""
    m = re.search(rb'<sheetFormatPr\b[^>]*\bdefaultColWidth="([0-9.]+)"', sheet_xml)
    default = float(m.group(1)) if m else DEFAULT_COL_WIDTH
    widths = {}
    for col in _COL.findall(sheet_xml):
        lo, hi = re.search(rb'\bmin="(\d+)"', col), re.search(rb'\bmax="(\d+)"', col)
        w = re.search(rb'\bwidth="([0-9.]+)"', col)
        hidden = re.search(rb'\bhidden="(1|true)"', col)
        if lo and hi:
            for c in range(int(lo.group(1)), min(int(hi.group(1)), 16384) + 1):
                widths[c] = 0.0 if hidden else float(w.group(1)) if w else default
            if int(hi.group(1)) > 4096:               # "the rest of the sheet": stop counting
                break
    return widths, default


def _window_cols(sheet_xml, max_width):
    widths, default = _widths(sheet_xml)
    total, col = 0.0, 0
    while total < max_width and col < 16384:
        col += 1
        total += widths.get(col, default)
    return col


_TEXT_CELL = re.compile(rb'<c r="([A-Z]+)(\d+)"[^>]*?\bt="(s|str|inlineStr)"[^>]*>(.*?)</c>', re.S)


def _text_reach(sheet_xml, rows, string_lengths):
    """The last column (1-based) that text in rows 1..rows runs over (text spills into the columns
    to its right on screen; LibreOffice prints only up to the last cell with content)."""
    widths, default = _widths(sheet_xml)
    reach = 0
    for m in _TEXT_CELL.finditer(sheet_xml):
        if int(m.group(2)) > rows:
            continue
        body = m.group(4)
        if m.group(3) == b"s":
            v = re.search(rb"<v>(\d+)</v>", body)
            n = string_lengths[int(v.group(1))] if v and int(v.group(1)) < len(string_lengths) else 0
        else:
            n = sum(len(t) for t in re.findall(rb"<(?:t|v)\b[^>]*>([^<]*)</(?:t|v)>", body))
        col, room = _col_number(m.group(1).decode()), n * 1.05
        while room > widths.get(col, default) and col < 16384:
            room -= widths.get(col, default)
            col += 1
        reach = max(reach, col)
    return reach


def _mark_column(sheet_xml, col):
    """A cell holding one space in row 1, column col: content, so LibreOffice prints up to it."""
    cell = b'<c r="%s1" t="inlineStr"><is><t xml:space="preserve"> </t></is></c>' % _col_letters(col).encode()
    first = re.search(rb'<row\b[^>]*?\br="1"[^>]*?(/>|>)', sheet_xml)
    if first is None:
        return _SHEET_DATA.sub(lambda m: b'<sheetData><row r="1">' + cell + b"</row>" + m.group(0)[len(b"<sheetData>"):]
                               if m.group(0).startswith(b"<sheetData>") else b'<sheetData><row r="1">' + cell
                               + b"</row></sheetData>", sheet_xml, count=1)
    if first.group(1) == b"/>":
        return sheet_xml[:first.start()] + first.group(0)[:-2] + b">" + cell + b"</row>" + sheet_xml[first.end():]
    end = sheet_xml.index(b"</row>", first.end())
    cols = [_col_number(c.decode()) for c in re.findall(rb'<c r="([A-Z]+)1"', sheet_xml[first.end():end])]
    if cols and max(cols) >= col:
        return sheet_xml
    return sheet_xml[:end] + cell + sheet_xml[end:]


def _hide_columns_after(sheet_xml, last):
    """<cols> with every column after `last` hidden."""
    specs = []
    for col in _COL.findall(sheet_xml):
        lo, hi = int(re.search(rb'\bmin="(\d+)"', col).group(1)), int(re.search(rb'\bmax="(\d+)"', col).group(1))
        if lo <= last:
            specs.append(re.sub(rb'\bmax="\d+"', b'max="%d"' % min(hi, last), col))
    specs.append(b'<col min="%d" max="16384" width="%s" hidden="1" customWidth="1"/>'
                 % (last + 1, str(DEFAULT_COL_WIDTH).encode()))
    cols = b"<cols>" + b"".join(specs) + b"</cols>"
    if _COLS.search(sheet_xml):
        return _COLS.sub(lambda m: cols, sheet_xml, count=1)
    return re.sub(rb"(<sheetData\b)", lambda m: cols + m.group(1), sheet_xml, count=1)


def _cut_rows(sheet_xml, last_row, keep):
    """Rows 1..last_row as they are; later rows in `keep` hidden; other later rows dropped."""
    def row(m):
        block = m.group(0)
        number = _ROW_NUMBER.search(block)
        if number is None or int(number.group(1)) <= last_row:
            return block
        return _hidden_row(block) if int(number.group(1)) in keep else b""
    return _ROW.sub(row, sheet_xml)


def _hidden_row(block):
    end = block.index(b">") + 1
    head = re.sub(rb'\shidden="[^"]*"', b"", block[:end]).replace(b"<row ", b'<row hidden="1" ', 1)
    return head + block[end:]


def _print_copy(wb, src_bytes, selected, max_rows, max_width):
    """{part: new bytes} for the copy to print, and the window of each selected sheet."""
    changed, windows = {}, {}
    # 1. Each selected sheet's window, and the charts kept in it.
    kept_charts = {}
    for name, part in wb.sheets:
        if part is None or name not in selected:
            continue
        xml = src_bytes(part)
        rows, cols = max_rows, _window_cols(xml, max_width)
        reach = min(_text_reach(xml, rows, wb.string_lengths), cols)
        drawing = wb.drawings.get(name)
        kept = []
        if drawing:
            # A chart that starts inside the window (0-based anchors) is printed whole; one that starts
            # further right in the first rows widens the window, up to twice its width.
            wide = _window_cols(xml, 2 * max_width)
            for block, (c0, r0), (c1, r1), chart in sorted(drawing[1], key=lambda a: a[1][0]):
                if r0 < rows and (c0 < cols or c1 < wide):
                    kept.append((block, chart))
                    rows, cols = max(rows, r1 + 1), max(cols, c1 + 1)
        windows[name] = (rows, cols, reach)
        kept_charts[name] = kept
    # 2. The rows those charts plot, on whichever sheet they are.
    plotted = {}
    for name, kept in kept_charts.items():
        for _, chart in kept:
            for sheet, _, r1, _, r2 in wb.chart_ranges(chart):
                plotted.setdefault(sheet, set()).update(range(r1, min(r2, 1_048_576) + 1))
    # 3. The sheets rewritten.
    for name, part in wb.sheets:
        if part is None:
            continue
        xml = src_bytes(part)
        xml = _FORMULA.sub(b"", xml)
        xml = _PANE.sub(b"", xml)
        xml = _TOP_LEFT.sub(b"", xml)
        xml = _BREAKS.sub(b"", xml)
        keep = plotted.get(name, set())
        if name in windows:
            rows, cols, reach = windows[name]
            xml = _cut_rows(xml, rows, keep)
            if reach:
                xml = _mark_column(xml, reach)
            xml = _hide_columns_after(xml, cols)
            xml = _DIMENSION.sub(b'<dimension ref="A1:%s%d"/>' % (_col_letters(cols).encode(), rows), xml, count=1)
            if not _ROW.search(xml) and name not in wb.drawings:    # an empty sheet still gets its page
                xml = _SHEET_DATA.sub(lambda m: b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>'
                                      b'(empty sheet)</t></is></c></row></sheetData>', xml, count=1)
            if name in wb.drawings:
                drawing, anchors = wb.drawings[name]
                kept = {block for block, _ in kept_charts[name]}
                body = src_bytes(drawing)
                changed[drawing] = _ANCHOR.sub(lambda m: m.group(0) if m.group(0) in kept else b"", body)
        else:
            xml = _cut_rows(xml, 0, keep)                 # only what selected sheets' charts plot, hidden
            xml = _DRAWING.sub(b"", xml)
        changed[part] = xml
    # 4. Charts plot hidden cells too (the rows kept outside the windows).
    for name, kept in kept_charts.items():
        for _, chart in kept:
            if chart and wb.pkg.info(chart):
                changed[chart] = re.sub(rb'<c:plotVisOnly val="(1|true)"\s*/>', b'<c:plotVisOnly val="0"/>',
                                        src_bytes(chart))
    # 5. The workbook: every sheet visible (a hidden one asked for still gets its page), no print
    #    areas or titles, no pivot-table refresh (see libreoffice.without_pivot_tables).
    book = src_bytes(wb.workbook_part)
    book = re.sub(rb'(<sheet\b[^>]*?)\sstate="[^"]*"', rb"\1", book)
    book = re.sub(rb'<definedName\b[^>]*name="_xlnm\.(?:Print_Area|Print_Titles)"[^>]*>[^<]*</definedName>', b"", book)
    changed[wb.workbook_part] = book
    return changed, windows


def render(workbook, out_dir, dpi=DPI, max_rows=MAX_ROWS, max_width=MAX_WIDTH, sheets=None, timeout=None):
    """One PNG per sheet of `workbook` (or of `sheets`) in out_dir, named `<stem>-<sheet>.png`;
    returns [(sheet, path)]. Each PNG appears complete or not at all."""
    from . import libreoffice
    workbook = Path(workbook)
    wb = _Workbook(workbook)
    try:
        names = [name for name, _ in wb.sheets]
        unknown = [name for name in sheets or () if name not in names]
        if unknown:
            raise _fail(workbook, f"no sheet named {unknown[0]!r}; it has {', '.join(names)}")
        selected = set(sheets or names)
        libreoffice.soffice_executable()
        pdftoppm = libreoffice._pdftoppm_executable()
        cache = {}

        def src_bytes(part):
            if part not in cache:
                cache[part] = wb.part(part)
            return cache[part]

        try:                               # every part read and checked before anything is written
            changed, _ = _print_copy(wb, src_bytes, selected, max_rows, max_width)
            parts = []
            for info in wb.pkg.zip.infolist():
                name = info.filename.lstrip("/")
                parts.append((info.filename, changed[name] if name in changed else
                              src_bytes(name) if info.file_size else b""))
        except wb._Fail as e:
            raise _fail(workbook, e) from None
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".sheetsgd-render-", dir=out_dir) as work:
            copy = Path(work) / "in" / (workbook.stem + ".xlsx")
            copy.parent.mkdir()
            with zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED) as dst:
                for name, data in parts:
                    dst.writestr(name, data)
            unlinked = Path(work) / "unlinked" / copy.name
            unlinked.parent.mkdir()
            if libreoffice.without_pivot_tables(copy, unlinked):
                copy = unlinked
            pdf = libreoffice._convert(copy, _PDF_ONE_PAGE_PER_SHEET, work, timeout or libreoffice.DEFAULT_TIMEOUT,
                                       label=workbook, recalc=False)
            # pdftoppm's own PNGs cost ~1 s of CPU a page (libpng); its PPM and our encoder, ~0.15 s
            code, _, err = libreoffice._run([pdftoppm, "-r", str(int(dpi)), str(pdf), str(Path(work) / "page")],
                                            timeout or libreoffice.DEFAULT_TIMEOUT, f"pdftoppm on {pdf.name}")
            pages = sorted(Path(work).glob("page-*.ppm"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
            if code != 0 or not pages:
                raise SheetsgdError(f"pdftoppm could not render {workbook}: "
                                    f"{libreoffice._one_line(err) or f'exit code {code}'}")
            if len(pages) != len(names):
                raise _fail(workbook, f"LibreOffice printed {len(pages)} pages for {len(names)} sheets; "
                                      f"cannot tell which page is which sheet")
            out = []
            for page, name in zip(pages, names):
                if name not in selected:
                    continue
                target = out_dir / f"{workbook.stem}-{libreoffice._file_safe(name)}.png"
                png = page.with_suffix(".png")
                png.write_bytes(ppm_to_png(page.read_bytes()))
                os.replace(png, target)
                out.append((name, target))
        return out
    finally:
        wb.close()


def ppm_to_png(ppm):
    """pdftoppm's binary PPM (P6, 8 bits) as a PNG: rows unfiltered, deflated at zlib's default level."""
    import struct
    import zlib
    fields, pos = [], 0
    while len(fields) < 4:                         # magic, width, height, maxval; "#" starts a comment
        while ppm[pos:pos + 1].isspace():
            pos += 1
        if ppm[pos:pos + 1] == b"#":
            pos = ppm.index(b"\n", pos)
            continue
        end = pos
        while end < len(ppm) and not ppm[end:end + 1].isspace():
            end += 1
        fields.append(ppm[pos:end])
        pos = end
    magic, width, height, maxval = fields[0], int(fields[1]), int(fields[2]), int(fields[3])
    pixels = ppm[pos + 1:]
    stride = width * 3
    if magic != b"P6" or maxval != 255 or len(pixels) < stride * height:
        raise SheetsgdError("pdftoppm wrote an image this reader does not know (not an 8-bit P6 PPM)")
    raw = b"".join(b"\x00" + pixels[i * stride:(i + 1) * stride] for i in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


def index_page(out_dir, rendered, max_rows=MAX_ROWS):
    """README.md in out_dir: every preview, workbook by workbook, sheet by sheet (GitHub shows it
    when the folder is opened). rendered: [(workbook path, [(sheet, png path)])]."""
    lines = ["# Previews", "",
             "Every sheet of the workbooks, as LibreOffice prints it (`sheetsgd render`): the first "
             f"{max_rows} rows and the columns that fit on a screen or two; charts drawn from all their data.", ""]
    for workbook, pngs in rendered:
        stem = Path(workbook).stem
        lines += [f"## {stem}", "", " · ".join(f"[{name}](#{_anchor(stem, name)})" for name, _ in pngs), ""]
        for name, png in pngs:
            lines += [f"### {stem}: {name}", "", f"![{stem} {name}]({Path(png).name})", ""]
    path = Path(out_dir) / "README.md"
    tmp = path.with_suffix(".md.tmp")
    tmp.write_text("\n".join(lines), encoding="utf-8")
    os.replace(tmp, path)
    return path


def _anchor(stem, name):
    """GitHub's heading anchor of "### stem: name"."""
    text = f"{stem}: {name}".lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")
