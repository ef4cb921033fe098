"""sheetsgd/display.py: what a file's text looks like on the terminal (issue 14)."""
import pytest

from sheetsgd.display import clean


@pytest.mark.parametrize("raw, shown", [
    ("plain text, accents é, CJK 表, emoji 👍🏽‍♀", "plain text, accents é, CJK 表, emoji 👍🏽‍♀"),
    ("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"),                    # ANSI colour
    ("\x1b]0;title\x07", "\\x1b]0;title\\x07"),                        # OSC: retitle the window
    ("two\nlines\r\tx", "two\\nlines\\r\\tx"),
    ("\x00\x7f", "\\x00\\x7f"),
    ("\x9b2J \x85", "\\x9b2J \\x85"),                                  # C1: CSI and NEL
    ("\u202eevil\u202c \u2066x\u2069 \u200f \u061c", "\\u202eevil\\u202c \\u2066x\\u2069 \\u200f \\u061c"),
    ("a\u2028b\u2029", "a\\u2028b\\u2029"),
    ("a\ud800b \udce9", "a\\ud800b \\udce9"),                          # lone surrogates (and surrogateescape)
    ("back\\slash", "back\\slash"),
])
def test_clean_escapes_what_a_terminal_would_act_on(raw, shown):
    assert clean(raw) == shown
    assert clean(shown) == shown                       # escaped text is printable as it is
    shown.encode("utf-8")                             # and encodable


def test_clean_takes_any_object():
    assert clean(12.5) == "12.5"
