"""What a student sees in a cell, estimated from the file alone: text cut off by its neighbour,
numbers that show as ###, General-format numbers showing every digit that fits.

Reads the workbook with openpyxl (read-only: values, number formats, fonts, alignment) and the
column widths from the sheet XML; widths in Excel's unit (the width of a "0" of the default font),
text measured with rough per-character widths of Calibri/Carlito 11. Run it on a file:

    python tests/presentation.py workbooks/graddesc.xlsx
"""
import math
import re
import sys
import zipfile

import openpyxl
from openpyxl.utils import get_column_letter

ROWS = 150            # what a screen or a preview shows, and then some
GENERAL_DIGITS = 6    # a General number showing more significant digits than this is "too many"


def char_width(ch):
    if ch.isdigit():
        return 1.0
    if ch == " ":
        return 0.45
    if ch in "il.,:;'|!()[]{}":
        return 0.45
    if ch in "ftrjI/-\\":
        return 0.6
    if ch.isupper() or ch in "mwMW@%":
        return 1.25
    return 0.9


def text_width(text, bold=False):
    return sum(map(char_width, text)) * (1.08 if bold else 1.0) + 0.3


def column_widths(path, sheet_index):
    """{column (1-based): width} and the default width of a sheet, from its <cols>."""
    with zipfile.ZipFile(path) as z:
        xml = z.read(f"xl/worksheets/sheet{sheet_index + 1}.xml")[:200_000].decode("utf-8", "replace")
    m = re.search(r'defaultColWidth="([0-9.]+)"', xml)
    default = float(m.group(1)) if m else 8.43
    widths = {}
    for col in re.findall(r"<col\b[^>]*/>", xml):
        lo, hi = int(re.search(r'min="(\d+)"', col).group(1)), int(re.search(r'max="(\d+)"', col).group(1))
        w = re.search(r'width="([0-9.]+)"', col)
        hidden = 'hidden="1"' in col
        for c in range(lo, min(hi, 2000) + 1):
            widths[c] = 0.0 if hidden else float(w.group(1)) if w else default
    return widths, default


def shown(value, fmt):
    """The text a number shows in number format fmt (the formats the builders use), or None
    for General (which adapts to the column)."""
    if fmt in (None, "General", "@"):
        return None
    sections = fmt.split(";")
    body = sections[0]
    m = re.match(r"\[([<>]=?)([-0-9.E]+)\](.*)", body)
    if m:
        op, limit, first = m.group(1), float(m.group(2)), m.group(3)
        hit = {"<": value < limit, "<=": value <= limit, ">": value > limit, ">=": value >= limit}[op]
        body = first if hit else (sections[1] if len(sections) > 1 else "General")
        if body == "General":
            return None
    elif value < 0 and len(sections) > 1:
        body = sections[1]
    if body.startswith(";;") or fmt == ";;;":
        return ""
    if "E+" in body:
        decimals = len(body.split(".")[1].split("E")[0]) if "." in body else 0
        return f"{value:.{decimals}E}"
    percent = body.endswith("%")
    core = body.rstrip("%")
    decimals = len(core.split(".")[1]) if "." in core else 0
    v = value * 100 if percent else value
    thousands = "," in core
    text = f"{v:,.{decimals}f}" if thousands else f"{v:.{decimals}f}"
    if "#" in core.split(".")[-1]:                     # 0.#### drops trailing zeros
        text = text.rstrip("0").rstrip(".") if "." in text else text
    return text + ("%" if percent else "")


def significant_digits(value):
    text = repr(float(value)).lower()
    if "e" in text:
        text = text.split("e")[0]
    digits = text.replace("-", "").replace(".", "").lstrip("0")
    return len(digits.rstrip("0")) if "." in repr(float(value)) else len(digits)


def problems(path, rows=ROWS):
    """[(sheet!cell, what)] of a workbook's first `rows` rows."""
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    out = []
    try:
        for index, ws in enumerate(wb.worksheets):
            widths, default = column_widths(path, index)
            grid = {}
            for row in ws.iter_rows(min_row=1, max_row=rows):
                for cell in row:
                    if cell.value is None or not hasattr(cell, "column"):
                        continue
                    grid[(cell.row, cell.column)] = cell
            for (r, c), cell in grid.items():
                width = widths.get(c, default)
                if width == 0:
                    continue
                where = f"{ws.title}!{get_column_letter(c)}{r}"
                value, fmt = cell.value, cell.number_format
                bold = bool(cell.font and cell.font.b)
                if isinstance(value, str):
                    if fmt == ";;;" or not value.strip():
                        continue
                    need = text_width(value, bold)
                    if need <= width:
                        continue
                    align = (cell.alignment.horizontal if cell.alignment else None) or "general"
                    right, left = grid.get((r, c + 1)), grid.get((r, c - 1))
                    if cell.alignment and cell.alignment.text_rotation:
                        continue
                    blocked = (right is not None if align in ("general", "left") else
                               left is not None if align == "right" else
                               right is not None or left is not None)
                    if blocked:
                        out.append((where, f"text {value!r} needs ~{need:.0f} of width {width:g}: cut off"))
                elif isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
                    text = shown(float(value), fmt)
                    if text is None:
                        if float(value) != int(value) if abs(value) < 1e15 else False:
                            if significant_digits(value) > GENERAL_DIGITS and width >= 7:
                                out.append((where, f"{value!r} in General format shows as many digits as fit"))
                    elif text and text_width(text, bold) > width:
                        out.append((where, f"{value!r} shows as '{text}', ~{text_width(text, bold):.0f} wide in "
                                           f"width {width:g}: ###"))
    finally:
        wb.close()
    return out


if __name__ == "__main__":
    for path in sys.argv[1:]:
        found = problems(path)
        by_sheet = {}
        for where, what in found:
            by_sheet.setdefault(where.split("!")[0], []).append((where, what))
        for sheet, items in by_sheet.items():
            print(f"{path} {sheet}: {len(items)}")
            for where, what in items[:6]:
                print(f"   {where}: {what}")
