"""Text functions of Excel 2019 and later (Excel's category "Text"): joining and splitting on
delimiters, values and arrays written as text, regular expressions.

Delimiters may be arrays of texts (any of them delimits); positions count from the end when
negative. The regular expressions are PCRE2's in Excel; Python's re reads the common ones alike
(classes, anchors, groups, lazy quantifiers), and $1 in a replacement is the first group.
"""
import re

from ..ranges import Range, Union
from ..values import CALC, MISSING, NA, VALUE, Array, ExcelError, number_text, to_integer, to_text
from .args import flat
from .operators import MAX_TEXT
from .registry import MS, registrar

function = registrar("text")

EXCEL = "excel"
NEWER = "LibreOffice 7.x and Google Sheets do not have it (LibreOffice 24.8 has it)"


def _texts(v):
    """A delimiter argument: its texts (an array or range: each of its values)."""
    vals = flat(v) if type(v) in (Array, Range) else [v]
    out = []
    for x in vals:
        t = to_text(x)
        if type(t) is ExcelError:
            return t
        out.append(t)
    return out


def _flag(v, default=0):
    """A 0/1 switch (match_mode, match_end, case_sensitivity): truncated; other values #VALUE!."""
    if v is MISSING or v is None:
        return default
    if type(v) is str:
        return VALUE
    k = to_integer(v)
    if type(k) is ExcelError:
        return k
    return int(k) if k in (0.0, 1.0) else VALUE


# ---------------------------------------------------------------- joining
@function("TEXTJOIN", "values, logical, values...", doc=MS + "textjoin-function-357b449a-ec91-49d0-80c3-0e8fc845691c")
def TEXTJOIN(delimiter, ignore_empty, *texts):
    delims = _texts(delimiter)
    if type(delims) is ExcelError:
        return delims
    parts = []
    for a in texts:
        vals = flat(a) if type(a) in (Array, Range) else a.values() if type(a) is Union else [a]
        for v in vals:
            if v is MISSING:
                continue
            if type(v) is ExcelError:
                return v
            t = to_text(v)
            if ignore_empty and t == "":
                continue
            parts.append(t)
    out = []
    for i, p in enumerate(parts):
        if i:
            out.append(delims[(i - 1) % len(delims)] if delims else "")
        out.append(p)
    text = "".join(out)
    return VALUE if len(text) > MAX_TEXT else text


# ---------------------------------------------------------------- before, after, split
def _find_all(text, delims, ignore_case):
    """(start, end) of every delimiter occurrence, left to right, not overlapping."""
    hay = text.lower() if ignore_case else text
    keys = [d.lower() if ignore_case else d for d in delims if d != ""]
    out, i = [], 0
    while i <= len(hay) and keys:
        best = None
        for k in keys:
            j = hay.find(k, i)
            if j >= 0 and (best is None or j < best[0] or (j == best[0] and len(k) > best[1] - best[0])):
                best = (j, j + len(k))
        if best is None:
            break
        out.append(best)
        i = best[1]
    return out


def _around(after):
    def impl(text, delimiter, instance=MISSING, match_mode=MISSING, match_end=MISSING, if_not_found=MISSING):
        delims = _texts(delimiter)
        if type(delims) is ExcelError:
            return delims
        mode, end = _flag(match_mode), _flag(match_end)
        for x in (mode, end):
            if type(x) is ExcelError:
                return x
        if instance is MISSING:                      # left out or left empty: the first
            instance = 1.0
        n = to_integer(instance)                     # a blank cell is 0: #VALUE!
        if type(n) is ExcelError:
            return n
        n = int(n)
        if n == 0 or abs(n) > len(text):
            return VALUE
        if any(d == "" for d in delims):             # an empty delimiter: the text's start (end)
            cut = (0, 0) if n > 0 else (len(text), len(text))
        else:
            hits = _find_all(text, delims, mode == 1)
            if end:
                hits = hits + [(len(text), len(text))] if n > 0 else [(0, 0)] + hits
            if abs(n) > len(hits):
                return NA if if_not_found is MISSING else if_not_found
            cut = hits[n - 1] if n > 0 else hits[n]
        return text[cut[1]:] if after else text[:cut[0]]
    return impl


function("TEXTBEFORE", "text, values, value?, value?, value?, any?", programs=EXCEL, differs=NEWER,
         doc=MS + "textbefore-function-d099c28a-dba8-448e-ac6c-f086d0fa1b29")(_around(False))
function("TEXTAFTER", "text, values, value?, value?, value?, any?", programs=EXCEL, differs=NEWER,
         doc=MS + "textafter-function-c8db2546-5b51-416a-9690-c7e6722e90b4")(_around(True))


@function("TEXTSPLIT", "text, values, values?, logical?, value?, any?", programs=EXCEL, differs=NEWER,
          doc=MS + "textsplit-function-b1ca414e-4c21-4ca0-b1b7-bdecace8a6e7")
def TEXTSPLIT(text, col_delimiter, row_delimiter=MISSING, ignore_empty=False, match_mode=MISSING, pad_with=MISSING):
    cols = _texts(col_delimiter) if col_delimiter is not MISSING else []
    rows = _texts(row_delimiter) if row_delimiter is not MISSING else []
    for x in (cols, rows):
        if type(x) is ExcelError:
            return x
    cols, rows = [d for d in cols if d != ""], [d for d in rows if d != ""]
    if (not cols and not rows) or text == "":
        return VALUE
    mode = _flag(match_mode)
    if type(mode) is ExcelError:
        return mode

    def split(s, delims):
        if not delims:
            return [s]
        out, at = [], 0
        for a, b in _find_all(s, delims, mode == 1):
            out.append(s[at:a])
            at = b
        out.append(s[at:])
        return [p for p in out if p != ""] if ignore_empty else out
    table = [split(r, cols) for r in split(text, rows)]
    if not table:
        return CALC
    w = max(len(r) for r in table)
    pad = NA if pad_with is MISSING else pad_with
    return Array([r + [pad] * (w - len(r)) for r in table])


# ---------------------------------------------------------------- values as text
def _as_text(v, strict):
    if type(v) is str:
        return '"' + v.replace('"', '""') + '"' if strict else v
    if type(v) is ExcelError:
        return v.code
    if v is None:
        return ""
    if type(v) is bool:
        return "TRUE" if v else "FALSE"
    return number_text(v)


@function("VALUETOTEXT", "any, number?", programs=EXCEL, differs="Excel 365 only",
          doc=MS + "valuetotext-function-5fff61a2-301a-4ab2-9ffa-0a5242a08fea")
def VALUETOTEXT(v, fmt=0.0):
    if int(fmt) not in (0, 1):
        return VALUE
    return _as_text(v, int(fmt) == 1)


@function("ARRAYTOTEXT", "values, number?", programs=EXCEL, differs="Excel 365 only",
          doc=MS + "arraytotext-function-9cdcad46-2fa5-4c6b-ac92-14e7bc862b8b")
def ARRAYTOTEXT(a, fmt=0.0):
    strict = int(fmt)
    if strict not in (0, 1):
        return VALUE
    if type(a) is Range and a.size == 1:
        a = a.first()
        if a is None and strict:
            return VALUE
    if type(a) not in (Range, Array):
        a = Array([[a]])
    rows = a.array().rows
    if not strict:
        return ", ".join(_as_text(v, False) for row in rows for v in row)
    return "{" + ";".join(",".join(_as_text(v, True) for v in row) for row in rows) + "}"


# ---------------------------------------------------------------- regular expressions
def _regex(pattern, case):
    flags = re.IGNORECASE if case == 1 else 0
    try:
        return re.compile(pattern, flags)
    except (re.error, RecursionError, OverflowError):
        return VALUE


REGEX_DIFFERS = ("Google Sheets' REGEXEXTRACT/REGEXREPLACE take other arguments (REGEXEXTRACT gives "
                 "the first group, not the match); LibreOffice has REGEX() instead")


@function("REGEXTEST", "text, text, value?", programs=EXCEL, differs=REGEX_DIFFERS,
          doc=MS + "regextest-function-7d38200b-5e5c-4196-b4e6-9bff73afbd31")
def REGEXTEST(text, pattern, case=MISSING):
    case = _flag(case)
    if type(case) is ExcelError:
        return case
    rx = _regex(pattern, case)
    return rx if type(rx) is ExcelError else rx.search(text) is not None


@function("REGEXEXTRACT", "text, text, value?, value?", programs=EXCEL, differs=REGEX_DIFFERS,
          doc=MS + "regexextract-function-4b96c140-9205-4b6e-9fbe-6aa9e783ff57")
def REGEXEXTRACT(text, pattern, mode=MISSING, case=MISSING):
    case = _flag(case)
    if type(case) is ExcelError:
        return case
    mode = 0 if mode is MISSING or mode is None else to_integer(mode)
    if type(mode) is ExcelError:
        return mode
    if mode not in (0, 1, 2):
        return VALUE
    rx = _regex(pattern, case)
    if type(rx) is ExcelError:
        return rx
    if mode == 1:                                    # every match, in a row
        got = [m.group(0) for m in rx.finditer(text)]
        return Array([got]) if got else NA
    m = rx.search(text)
    if m is None:
        return NA
    if mode == 0:
        return m.group(0)
    groups = m.groups()                              # the first match's groups, in a row (one
    return Array([[g if g is not None else NA for g in groups]]) if groups else VALUE   # unmatched: #N/A)


@function("REGEXREPLACE", "text, text, text, value?, value?", programs=EXCEL, differs=REGEX_DIFFERS,
          doc=MS + "regexreplace-function-9c030bb2-5e47-4efc-bad5-4582d7100897")
def REGEXREPLACE(text, pattern, replacement, occurrence=MISSING, case=MISSING):
    case = _flag(case)
    if type(case) is ExcelError:
        return case
    n = 0 if occurrence is MISSING or occurrence is None else to_integer(occurrence)
    if type(n) is ExcelError:
        return n
    rx = _regex(pattern, case)
    if type(rx) is ExcelError:
        return rx
    repl = re.sub(r"\$(\d+)|\$\{(\d+)\}", lambda m: "\\g<" + (m.group(1) or m.group(2)) + ">",
                  replacement.replace("\\", "\\\\"))
    try:
        if n == 0:
            out = rx.sub(repl, text)
        else:
            hits = list(rx.finditer(text))
            if abs(int(n)) > len(hits):
                return text
            m = hits[int(n) - 1] if n > 0 else hits[int(n)]
            out = text[:m.start()] + m.expand(repl) + text[m.end():]
    except (re.error, IndexError):
        return VALUE
    return VALUE if len(out) > MAX_TEXT else out
