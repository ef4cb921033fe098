"""Text from a file, made safe to print: the one home of terminal escaping.

A workbook is text nobody here wrote. Its sheet names, cell text, formulas and defined names
reach the terminal in check's report, eval's values, lint warnings and error messages; raw, an
ESC sequence could retitle the window or move the cursor, a newline would forge a report
line, a bidi override would reorder what is read, and a lone surrogate (an OOXML "_xD800_")
cannot be encoded at all (UnicodeEncodeError). `clean` replaces each of those characters with a
visible Python-style escape, so the text stays on one line and says what the file holds:

    C0 controls, DEL        \\x1b  \\n  \\t  \\x7f
    C1 controls             \\x9b  (CSI: ESC[ on an 8-bit terminal)
    bidi controls           \\u202e  \\u2066 ... (reorder what follows them)
    line/paragraph sep.     \\u2028  \\u2029  (a line break to some terminals)
    lone surrogates         \\ud800  (also a file name's undecodable byte: \\udce9)

Everything else, accents, CJK and emoji included, is printed as it is. A backslash is left as it
is too (cell text is full of them), so `\\x1b` in the output is either an ESC or those four
characters: the point is that the terminal never receives a control character from a file.
"""
import re

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(m):
    ch = m.group()
    if ch in _SHORT:
        return _SHORT[ch]
    o = ord(ch)
    return f"\\x{o:02x}" if o < 0x100 else f"\\u{o:04x}"


def clean(text):
    """`text` with every control, bidi, line-separator and lone-surrogate character escaped visibly."""
    text = str(text)
    return _UNSAFE.sub(_escape, text) if _UNSAFE.search(text) else text
