"""The plain shape of <sheetData>, as Excel, LibreOffice, openpyxl and XlsxWriter write it.

No prefixes, double quotes, single spaces, r= on every cell: one regular expression reads a
cell, a <row> or a </row> per match. An element's attributes are one group (no two ways to
split them: linear time on any text); a cell's t= is found in that group by CELL_TYPES, which
remembers the few distinct attribute strings a sheet has.
"""
import re

from .safe_xml import NotPlain
from .shared import f_attributes

_ATTR = re.compile(r'([A-Za-z:]+)="([^"]*)"')

PLAIN = re.compile(
    r'[ \t\r\n]*(?:'
    r'<c r="([A-Z]{1,3})([0-9]{1,7})"((?: [A-Za-z:]+="[^"<&]*")*) ?'
    r'(?:/>|>'
    r'(?:<f((?: [A-Za-z:]+="[^"<&]*")*) ?(?:/>|>([^<]*)</f>))?'
    r'(?:<v>([^<]*)</v>|<v ?/>())?'
    r'(?:<is><t(?: xml:space="preserve")?>([^<]*)</t></is>)?'
    r'</c>)'
    r'|<row(?: r="([0-9]{1,7})")?((?: (?!r=)[A-Za-z0-9:]+="[^"<&]*")*) ?/?>'
    r'|</row>)')
# group numbers of PLAIN
G_LETTERS, G_DIGITS, G_CATTRS, G_FATTRS, G_FTEXT, G_V, G_VEMPTY, G_INLINE, G_ROW_R, G_ROW_ATTRS = range(1, 11)


class _CellTypes(dict):
    """A cell's attribute string -> its t= (None: a number); NotPlain when t= is odd."""

    def __missing__(self, attrs):
        pairs = _ATTR.findall(attrs)
        if len({k for k, _ in pairs}) != len(pairs):   # an attribute twice: not well-formed
            raise NotPlain
        t = dict(pairs).get("t")
        if len(self) < 10_000:
            self[attrs] = t
        return t


CELL_TYPES = _CellTypes()
_PLAIN_F = {"": True}


def plain_f(fattrs):
    """Are the attributes of an <f> those of a plain formula? Only t= makes a formula shared, an
    array or a data table; LibreOffice writes aca="false" on every formula, Excel ca="1" on some
    (recalculate always): they change nothing here. Memoised: a sheet has a few distinct ones."""
    plain = _PLAIN_F.get(fattrs)
    if plain is None:
        plain = f_attributes(fattrs).get("t", "normal") == "normal"
        if len(_PLAIN_F) < 1000:
            _PLAIN_F[fattrs] = plain
    return plain
