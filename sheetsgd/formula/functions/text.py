"""Text functions (Excel's category "Text"): pieces of text, case, codes, conversions.

Positions and counts are in characters, 1-based, as Excel counts them; a count below 0 or a
start below 1 is #VALUE!. The -B forms (LEFTB, FINDB, ...) count bytes in the double-byte
languages (Japanese, Chinese, Korean) and characters in every other: sheetsgd reads workbooks
as Excel in English does, so they are their plain forms. TEXT, FIXED and DOLLAR write numbers
through number formats (numfmt.py); TEXTJOIN, TEXTSPLIT, the REGEX functions and the other
newer ones are in textsplit.py.
"""
import re

from ..ranges import Range
from ..values import MISSING, NA, VALUE, Array, ExcelError, parse_number, to_number, to_text
from .operators import MAX_TEXT, concat
from .registry import MS, registrar

function = registrar("text")

ONLY_B = "the -B forms count bytes only in Excel set to a double-byte language; elsewhere they are their plain forms"


def _count(n):
    """A count of characters: below 0 #VALUE!, else an int."""
    return VALUE if n < 0 else int(n)


def _limit(s):
    """Text longer than a cell holds (32,767 characters) is #VALUE!."""
    return VALUE if len(s) > MAX_TEXT else s


# ---------------------------------------------------------------- joining and measuring
@function("CONCATENATE", "value...", doc=MS + "concatenate-function-8f8ae884-2ca8-4f7a-b093-75d702bea31d")
def CONCATENATE(*args):
    out = ""
    for v in args:
        out = concat(out, v)
        if type(out) is ExcelError:
            return out
    return out


@function("CONCAT", "values...", doc=MS + "concat-function-9b1a9a3f-94ff-41af-9736-694cbd6b4ca2",
          programs="excel libreoffice",
          differs="Google Sheets' CONCAT joins exactly two values (CONCAT(A1:A3) is an error there)")
def CONCAT(*args):
    out = ""
    for a in args:
        for v in (a.array().flat() if hasattr(a, "array") and type(a) is not str else [a]):
            if v is MISSING:
                continue
            out = concat(out, v)
            if type(out) is ExcelError:
                return out
    return out


@function("LEN LENB", "text", doc=MS + "len-lenb-functions-29236f94-cedc-429d-affd-b5e33d2c67cb")
def LEN(s):
    return float(len(s))


@function("LEFT LEFTB", "text, number?", doc=MS + "left-leftb-functions-9203d2d2-7960-479b-84c6-1ea52b99640c")
def LEFT(s, n=1.0):
    n = _count(n)
    return n if type(n) is ExcelError else s[:n]


@function("RIGHT RIGHTB", "text, number?", doc=MS + "right-rightb-functions-240267ee-9afa-4639-a02b-f19e1786cf2f")
def RIGHT(s, n=1.0):
    n = _count(n)
    if type(n) is ExcelError:
        return n
    return s[len(s) - n:] if n < len(s) else s


@function("MID MIDB", "text, number, number", doc=MS + "mid-midb-functions-d5f9e25c-d7d6-472e-b568-4ecb12433028")
def MID(s, start, n):
    if start < 1 or n < 0:
        return VALUE
    start = int(start)
    return s[start - 1:start - 1 + int(n)]


@function("REPT", "text, number", doc=MS + "rept-function-04c4d778-e712-43b4-9c15-d656582bb061")
def REPT(s, n):
    if n < 0 or len(s) * int(n) > MAX_TEXT:
        return VALUE
    return s * int(n)


@function("EXACT", "text, text", doc=MS + "exact-function-d3087698-fc15-4a15-9631-12575cf29926")
def EXACT(a, b):
    return a == b


# ---------------------------------------------------------------- finding and replacing
@function("FIND FINDB", "text, text, number?", doc=MS + "find-findb-functions-c7912941-af2a-4bdf-a553-d0d89b0a0628")
def FIND(needle, hay, start=1.0):
    # case-sensitive, no wildcards; start below 1 or past the text's end, or not found: #VALUE!
    if start < 1 or start > len(hay) + 1:
        return VALUE
    i = hay.find(needle, int(start) - 1)
    return VALUE if i < 0 else float(i + 1)


@function("SEARCH SEARCHB", "text, text, number?",
          doc=MS + "search-searchb-functions-9ab04538-0e55-4719-a72e-b6f54513b495")
def SEARCH(needle, hay, start=1.0):
    # no regard to case; ? one character, * any run, ~ escapes them
    if start < 1 or start > len(hay) + 1:
        return VALUE
    start = int(start) - 1
    if not any(ch in needle for ch in "?*~"):
        i = hay.lower().find(needle.lower(), start)
        return VALUE if i < 0 else float(i + 1)
    from .criteria import wildcard_match
    pattern = needle + "*"
    for i in range(start, len(hay) + 1):
        if wildcard_match(pattern, hay[i:]):
            return float(i + 1)
    return VALUE


@function("SUBSTITUTE", "text, text, text, value?",
          doc=MS + "substitute-function-6434944e-a904-4336-a9b0-1e58df3bc332")
def SUBSTITUTE(s, old, new, instance=MISSING):
    if instance is not MISSING:             # a number; TRUE is #VALUE! (the corpus: CORE!AB14)
        instance = VALUE if type(instance) is bool or instance is None else to_number(instance)
        if type(instance) is ExcelError:
            return instance
        if instance < 1:
            return VALUE
    if old == "":
        return s
    if instance is MISSING:
        return _limit(s.replace(old, new))
    k, at = int(instance), -1
    for _ in range(k):
        at = s.find(old, at + 1)
        if at < 0:
            return s
    return _limit(s[:at] + new + s[at + len(old):])


@function("REPLACE REPLACEB", "text, number, number, text",
          doc=MS + "replace-replaceb-functions-8d799074-2425-4a8a-84bc-82472868878a")
def REPLACE(s, start, n, new):
    if start < 1 or n < 0:
        return VALUE
    start = int(start) - 1
    return _limit(s[:start] + new + s[start + int(n):])


# ---------------------------------------------------------------- case and cleaning
@function("UPPER", "text", doc=MS + "upper-function-c11f29b3-d1a3-4537-8df6-04d0049963d6")
def UPPER(s):
    return s.upper()


@function("LOWER", "text", doc=MS + "lower-function-3f21df02-a80c-44b2-afaf-81358f9fdeb4")
def LOWER(s):
    return s.lower()


@function("PROPER", "text", doc=MS + "proper-function-52a5a283-e8b2-49be-8506-b2887b889f94")
def PROPER(s):
    # "the first letter in text and any other letters that follow any character other than a letter"
    out, prev = [], False
    for ch in s:
        out.append((ch.lower() if prev else ch.upper()) if ch.isalpha() else ch)
        prev = ch.isalpha()
    return "".join(out)


@function("TRIM", "text", doc=MS + "trim-function-410388fa-c5df-49c6-b16c-9e5630b479f9")
def TRIM(s):
    # spaces (character 32) only: the leading and trailing ones, and runs inside made one
    return " ".join(w for w in s.split(" ") if w)


@function("CLEAN", "text", doc=MS + "clean-function-26f3d7c5-475f-4a9c-90e5-4b8ba987ba41")
def CLEAN(s):
    return "".join(ch for ch in s if ord(ch) >= 32)


@function("ASC", "text", programs="excel libreoffice gsheets",
          doc=MS + "asc-function-0b6abf1c-c663-4004-a964-ebc00b723266",
          differs="converts full-width (double-byte) letters only in Excel set to a double-byte language")
def ASC(s):
    return s


@function("T", "values", doc=MS + "t-function-fb83aeec-45e7-4924-af95-53e073541228")
def T(v):
    # a reference or an array: its first value (the corpus: {=T(I42:Q42)} over four cells is
    # I42's text in each)
    if type(v) in (Array, Range):
        v = v.get(0, 0)
    if type(v) is ExcelError or type(v) is str:
        return v
    return ""


# ---------------------------------------------------------------- character codes
def _code_page(codec):
    """The 256 characters of a code page (codes it leaves unused: the Unicode character of the
    same number)."""
    out = []
    for n in range(256):
        try:
            out.append(bytes([n]).decode(codec))
        except UnicodeDecodeError:
            out.append(chr(n))
    return out, {ch: n for n, ch in reversed(list(enumerate(out)))}


# "The character set used by your computer": Windows ANSI (code page 1252) in Excel for Windows
# in English, the Macintosh character set in Excel for Mac (a file's docProps/app.xml says which
# saved it: book.mac)
_WINDOWS = _code_page("cp1252")
_MAC = _code_page("mac_roman")


def _charset(ctx):
    return _MAC if getattr(ctx.engine.book, "mac", False) else _WINDOWS


@function("CHAR", "number", context=True, doc=MS + "char-function-bbd249c8-b36e-4a91-8017-1c133f9b837a",
          differs="LibreOffice and Google Sheets read codes 128-255 as Unicode (CHAR(128) is not \u20ac there)")
def CHAR(ctx, n):
    if not 1 <= n < 256:
        return VALUE
    return _charset(ctx)[0][int(n)]


@function("CODE", "text", context=True, doc=MS + "code-function-c32b692b-2ed0-4a04-bdd9-75640144b928",
          differs="LibreOffice and Google Sheets give Unicode numbers past 127 (CODE(\"\u20ac\") is 128 only in Excel)")
def CODE(ctx, s):
    if s == "":
        return VALUE
    return float(_charset(ctx)[1].get(s[0], 63))      # outside the character set: "?"


@function("UNICHAR", "number", doc=MS + "unichar-function-ffeb64f5-f131-44c6-b332-5cd72f0659b8")
def UNICHAR(n):
    n = int(n)
    if not 1 <= n <= 0x10FFFF:
        return VALUE
    if 0xD800 <= n <= 0xDFFF:
        return NA                               # half of a surrogate pair
    return chr(n)


@function("UNICODE", "text", doc=MS + "unicode-function-adb74aaa-a2a5-4dde-aff6-966e4e81f16f")
def UNICODE(s):
    return VALUE if s == "" else float(ord(s[0]))


# ---------------------------------------------------------------- text -> number
@function("VALUE", "value", doc=MS + "value-function-257d0108-07dc-437d-ae1c-bc2d3953d8c2")
def VALUE_(v):
    t = type(v)
    if t is float:
        return v
    if v is None:
        return 0.0
    if t is str:
        x = parse_number(v)
        return VALUE if x is None else x
    return VALUE                                # TRUE and FALSE are not text that reads as a number


@function("NUMBERVALUE", "text, text?, text?", programs="excel libreoffice",
          doc=MS + "numbervalue-function-1b05c8cf-2bfa-4437-af70-596c7ea7d879")
def NUMBERVALUE(s, decimal=MISSING, group=MISSING):
    # spaces anywhere ignored; group separators only before the decimal one; trailing %s each
    # divide by 100; (x) is negative; an exponent E+n after the digits; "" is 0; a separator
    # given empty is #VALUE!
    if decimal == "" or group == "":
        return VALUE
    dec = "." if decimal is MISSING else decimal[0]
    grp = group[0] if group is not MISSING else ("," if dec != "," else ".")
    if dec == grp:
        return VALUE
    text = "".join(s.split())
    if text == "":
        return 0.0
    pct = len(text) - len(text.rstrip("%"))
    text = text[:len(text) - pct]
    neg = text.startswith("(") and text.endswith(")")
    if neg:
        text = text[1:-1]
        pct += len(text) - len(text.rstrip("%"))
        text = text.rstrip("%")
    m = re.fullmatch(r"([-+]?)([^eE]*?)(?:[eE]([-+]?[0-9]+))?", text)
    if m is None or (neg and m.group(1)):
        return VALUE
    head, sep, tail = m.group(2).partition(dec)
    if grp in tail:
        return VALUE
    head = head.replace(grp, "")
    body = head + ("." + tail if sep else "")
    if not re.fullmatch(r"[0-9]*\.?[0-9]*", body) or not re.search(r"[0-9]", body):
        return VALUE
    x = float(body) * 10.0 ** int(m.group(3) or 0)
    if m.group(1) == "-" or neg:
        x = -x
    return x / 100.0 ** pct


# ---------------------------------------------------------------- numbers -> text (numfmt.py)
@function("TEXT", "value, text", context=True, doc=MS + "text-function-20d5ac4d-7b94-49fd-bb38-93d29371225c",
          differs="number format codes (dates, fractions, conditions) are read differently by "
                  "LibreOffice and Google Sheets in places")
def TEXT(ctx, v, fmt):
    from .numfmt import format_value
    if type(v) is str:
        x = parse_number(v) if v != "" else None
        v = x if x is not None else v
    got = format_value(v, fmt, ctx.date1904)
    return got if type(got) is ExcelError else _limit(got)


@function("FIXED", "number, number?, logical?", doc=MS + "fixed-function-ffd5723c-324c-45e9-8b96-e41be2a8274a")
def FIXED(x, decimals=2.0, no_commas=False):
    from .numfmt import fixed
    return fixed(x, int(decimals) if decimals is not MISSING else 2, bool(no_commas), "")


@function("DOLLAR", "number, number?", doc=MS + "dollar-function-a6cd05d9-9740-4ad3-a469-8109d18ff611",
          differs="the currency symbol is the program's locale's")
def DOLLAR(x, decimals=2.0):
    from .numfmt import fixed
    return fixed(x, int(decimals), False, "$")
