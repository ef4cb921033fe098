"""Shared formulas: a master's text, moved to each follower cell as Excel moves it.

Excel writes a filled range once: the master <f t="shared" ref="B1:C90" si="0">A1*2</f>, then
<f t="shared" si="0"/> in every other cell of the range. A follower's formula is the master's
with its relative references moved by the follower's offset (tokens.movable_parts splits the
text once; $-anchored parts stay, other-sheet references move the same way; a reference pushed
off the grid becomes #REF!).
"""
import re
from itertools import repeat

from ..refs import COL_LETTERS, MAX_COL, MAX_ROW
from ..tokens import movable_parts

_F_ATTR = re.compile(r'([A-Za-z:]+)="([^"]*)"')


def f_attributes(fattrs):
    """' t="shared" si="0"' -> {"t": "shared", "si": "0"}."""
    return dict(_F_ATTR.findall(fattrs))


class SharedFormula:
    """A shared formula's master text, split once into literal text and movable references.

    translate(drow, dcol) gives the formula of the cell drow rows below and dcol columns right of
    the master; translate_rows does that for many rows of one column at once."""

    __slots__ = ("text", "parts")

    def __init__(self, text):
        self.text = text
        self.parts = [p if p.__class__ is str else (p.kind, p.a1, p.x1, p.a2, p.x2)
                      for p in movable_parts(text)]

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
                c, r = (x1 if a1 else x1 + dcol), (x2 if a2 else x2 + drow)
                ok = 1 <= c <= MAX_COL and 1 <= r <= MAX_ROW
                text = ok and f"{'$' if a1 else ''}{COL_LETTERS[c]}{'$' if a2 else ''}{r}"
            elif kind == "cols":
                c1, c2 = (x1 if a1 else x1 + dcol), (x2 if a2 else x2 + dcol)
                ok = 1 <= c1 <= MAX_COL and 1 <= c2 <= MAX_COL
                text = ok and f"{'$' if a1 else ''}{COL_LETTERS[c1]}:{'$' if a2 else ''}{COL_LETTERS[c2]}"
            else:
                r1, r2 = (x1 if a1 else x1 + drow), (x2 if a2 else x2 + drow)
                ok = 1 <= r1 <= MAX_ROW and 1 <= r2 <= MAX_ROW
                text = ok and f"{'$' if a1 else ''}{r1}:{'$' if a2 else ''}{r2}"
            out.append(text if ok else "#REF!")
        return "".join(out)

    def translate_rows(self, drows, dcol):
        """translate(drow, dcol) for every drow of drows at once (an iterator of texts, made with
        map/zip), or None when any text would hold #REF! (a reference pushed off the grid) or be
        the master's own (drow = dcol = 0): translate() does those."""
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


class Follower:
    """A template cell that follows a shared formula: its texts are the master's, moved to each
    row exactly as SharedFormula.translate moves them."""

    __slots__ = ("si", "master")

    def __init__(self, si, master):
        self.si, self.master = si, master    # master: (row, col, SharedFormula), as in SheetReader.masters

    def texts(self, col, rows):
        """Each row's formula text, or None when translate would write #REF! in one of them."""
        mr, mc, shared = self.master
        moved = shared.translate_rows(list(map((-mr).__add__, rows)), col - mc)
        return None if moved is None else map("=".__add__, moved)

    def length(self):
        return len(self.master[2].text) + 1


def follower(fattrs, ftext, masters):
    """A Follower for <f t="shared" si="N"/> with no text of its own whose master was read; else None."""
    if not masters or ftext or ' t="shared"' not in fattrs:
        return None
    a = f_attributes(fattrs)
    si = a.get("si")
    if a.get("t") != "shared" or "ref" in a or si not in masters:
        return None
    return Follower(si, masters[si])
