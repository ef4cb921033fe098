"""Lookup and reference functions (Excel's category "Lookup & Reference").

References stay references here (formula/ranges.py's Range): INDEX(A:A, 5) is the cell A5,
MATCH(x, A:A, 0) visits only the cells column A holds, OFFSET and INDIRECT make new ones.
"""
from ..ranges import Range, Union as RangeUnion
from ..refs import COL_LETTERS, MAX_COL, MAX_ROW
from ..values import MISSING, NA, REF, VALUE, Array, ExcelError, to_integer
from .args import grid
from .criteria import has_wildcards, wildcard_match
from .operators import compare, elementwise
from .registry import MS, registrar

function = registrar("lookup")


# ---------------------------------------------------------------- vector forms (vector.py)
def _row_vector(vx, args):
    import numpy as np
    from ..vectorize import V, Fallback
    if args:
        raise Fallback
    return V("num", np.arange(vx.r0, vx.r1 + 1, dtype=float))


def _column_vector(vx, args):
    from ..vectorize import V, Fallback
    if args:
        raise Fallback
    return V("num", float(vx.col))


def _index_vector(vx, args):
    """INDEX(fixed range, per-row row, [per-row column]) with NumPy fancy indexing."""
    import numpy as np
    from ..parser import Missing
    from ..vectorize import V, VR, Fallback
    if len(args) not in (2, 3) or type(args[1]) is Missing:
        raise Fallback
    sheet, r1, c1, r2, c2 = vx.abs_range(args[0])
    data, blank = vx.np_range(sheet, r1, c1, r2, c2)
    h, w = data.shape
    ri = vx.index_arg(args[1])
    ci = None if len(args) == 2 or type(args[2]) is Missing else vx.index_arg(args[2])
    if ci is None:
        if h == 1 and w > 1:
            ri, ci = np.ones_like(ri), ri
        elif w == 1:
            ci = np.ones_like(ri)
        else:
            raise Fallback
    if (ri > h).any() or (ci > w).any():
        raise Fallback          # #REF!
    ri, ci = np.broadcast_arrays(ri, ci)
    if ri.ndim == 0 and ci.ndim == 0:
        raise Fallback
    if (ci == 0).all() and (ri > 0).all():          # INDEX(block, row, 0): whole rows
        d = data[ri - 1][:, None, :]
        b = None if blank is None else blank[ri - 1][:, None, :]
        return VR(d, b if b is not None and b.any() else None)
    if (ri == 0).all() and (ci > 0).all():          # INDEX(block, 0, col): whole columns
        d = data[:, ci - 1].T[:, :, None]
        b = None if blank is None else blank[:, ci - 1].T[:, :, None]
        return VR(d, b if b is not None and b.any() else None)
    if (ri == 0).any() or (ci == 0).any():
        raise Fallback
    d = data[ri - 1, ci - 1]
    b = None if blank is None else blank[ri - 1, ci - 1]
    return V("num", d, b if b is not None and b.any() else None)


def _match_vector(vx, args):
    """MATCH of per-row numbers in a fixed sorted (or exact-matched) range of numbers."""
    import numpy as np
    from ..parser import Missing
    from ..vectorize import V, Fallback
    if len(args) not in (2, 3):
        raise Fallback
    look = vx.eval(args[0])
    if type(look) is not V or look.kind != "num" or look.blank is not None:
        raise Fallback
    sheet, r1, c1, r2, c2 = vx.abs_range(args[1])
    data, blank = vx.np_range(sheet, r1, c1, r2, c2)
    if (data.shape[0] != 1 and data.shape[1] != 1) or blank is not None:
        raise Fallback
    vals = data.ravel()
    mt = 1.0
    if len(args) == 3 and type(args[2]) is not Missing:
        m = vx.eval(args[2])
        if type(m) is not V or m.kind != "num" or isinstance(m.data, np.ndarray):
            raise Fallback
        mt = m.data
    x = np.asarray(look.data, float)
    if mt == 0:
        first = {}
        for i, v in enumerate(vals.tolist()):
            first.setdefault(v, i + 1)
        pos = np.array([first.get(v, 0) for v in np.atleast_1d(x).tolist()], dtype=float)
    elif mt > 0:
        if len(vals) > 1 and (np.diff(vals) < 0).any():
            raise Fallback      # unsorted: Excel's binary search, cell by cell
        pos = np.searchsorted(vals, np.atleast_1d(x), side="right").astype(float)
    else:
        raise Fallback
    if (pos == 0).any():
        raise Fallback          # #N/A somewhere
    return V("num", pos if pos.shape[0] == vx.n else float(pos[0]))


def _int(v, default):
    if v is MISSING:
        return default
    x = to_integer(v)
    return x if type(x) is ExcelError else int(x)


@function("ROW", "address?", context=True, vector=_row_vector, doc=MS + "row-function-3a63b74a-c4d0-4093-b49a-e76eb49a6d8d")
def ROW(ctx, ref=MISSING):
    if ref is MISSING:
        return float(ctx.row)
    if type(ref) is not Range:
        return ref if type(ref) is ExcelError else VALUE
    if ref.r1 == ref.r2:
        return float(ref.r1)
    return Array([[float(r)] for r in range(ref.r1, ref.r2 + 1)])


@function("COLUMN", "address?", context=True, vector=_column_vector, doc=MS + "column-function-44e8c754-711c-4df3-9da4-47a55042554b")
def COLUMN(ctx, ref=MISSING):
    if ref is MISSING:
        return float(ctx.col)
    if type(ref) is not Range:
        return ref if type(ref) is ExcelError else VALUE
    if ref.c1 == ref.c2:
        return float(ref.c1)
    return Array([[float(c) for c in range(ref.c1, ref.c2 + 1)]])


@function("ROWS", "address", doc=MS + "rows-function-b592593e-3fc2-47f2-bec1-bda493811597")
def ROWS(ref):
    if type(ref) is RangeUnion:
        return REF
    if type(ref) in (Range, Array):
        return float(ref.shape[0])
    return ref if type(ref) is ExcelError else 1.0


@function("COLUMNS", "address", doc=MS + "columns-function-4e8e7b4e-e603-43e8-b177-956088fa48ca")
def COLUMNS(ref):
    if type(ref) is RangeUnion:
        return REF
    if type(ref) in (Range, Array):
        return float(ref.shape[1])
    return ref if type(ref) is ExcelError else 1.0


@function("AREAS", "address", doc=MS + "areas-function-8392ba32-7a41-43b3-96b0-3695d2ec6152")
def AREAS(ref):
    if type(ref) is RangeUnion:
        return float(len(ref.areas))
    if type(ref) is Range:
        return 1.0
    return ref if type(ref) is ExcelError else VALUE


@function("OFFSET", "address, value, value, value?, value?", context=True, reference=True,
          doc=MS + "offset-function-c8de19ae-dd79-4b9b-a14e-b4d906d11b66")
def OFFSET(ctx, ref, rows, cols, height=MISSING, width=MISSING):
    # a reference rows down and cols right of ref, height x width (default: ref's); off the grid #REF!
    if type(ref) is ExcelError:
        return ref
    if type(ref) is not Range:
        return VALUE
    nums = []
    for v, default in ((rows, 0), (cols, 0), (height, ref.shape[0]), (width, ref.shape[1])):
        if type(v) is Range:
            v = ctx.intersect(v)
        if type(v) is Array:
            return VALUE
        x = _int(v, default)
        if type(x) is ExcelError:
            return x
        nums.append(x)
    dr, dc, h, w = nums
    if h == 0 or w == 0:
        return REF
    r1, c1 = ref.r1 + dr, ref.c1 + dc
    r2, c2 = r1 + h - 1 if h > 0 else r1, c1 + w - 1 if w > 0 else c1
    if h < 0:
        r1, r2 = r1 + h + 1, r1
    if w < 0:
        c1, c2 = c1 + w + 1, c1
    if r1 < 1 or c1 < 1 or r2 > MAX_ROW or c2 > MAX_COL:
        return REF
    return Range(ref.grid, r1, c1, r2, c2)


@function("INDIRECT", "text, logical?", context=True, reference=True,
          doc=MS + "indirect-function-474b3a3a-8a26-4f44-b491-92b6306fa261")
def INDIRECT(ctx, text, a1=True):
    if not a1:
        text = _r1c1_to_a1(text, ctx.row, ctx.col)
        if text is None:
            return REF
    return ctx.reference(text)


def _r1c1_to_a1(text, row, col):
    import re
    m = re.fullmatch(r"(?:(.+)!)?R(\[-?[0-9]+\]|[0-9]+)?C(\[-?[0-9]+\]|[0-9]+)?", text.strip(), re.I)
    if m is None:
        return None

    def part(s, here):
        if s is None:
            return here
        if s.startswith("["):
            return here + int(s[1:-1])
        return int(s)
    r, c = part(m.group(2), row), part(m.group(3), col)
    if not (1 <= r <= MAX_ROW and 1 <= c <= MAX_COL):
        return None
    return (m.group(1) + "!" if m.group(1) else "") + f"{COL_LETTERS[c]}{r}"


@function("INDEX", "values, value?, value?, value?", reference=True, vector=_index_vector, doc=MS + "index-function-a5dcf0dd-996d-40a4-a822-b56b061328bd")
def INDEX(ref, row=MISSING, col=MISSING, area=MISSING):
    # row or column 0 is the whole column or row; beyond the block #REF!, below 0 #VALUE!; a
    # one-row or one-column block takes a single index along it; a reference of several rows
    # and columns needs both (an array gives a whole row); (A1:B2,D1:E2): area picks one
    if type(ref) is ExcelError:
        return ref
    if type(ref) is RangeUnion:
        k = _int(area, 1)
        if type(k) is ExcelError:
            return k
        if not 1 <= k <= len(ref.areas):
            return REF if k >= 1 else VALUE
        ref = ref.areas[k - 1]
    elif area is not MISSING:
        k = _int(area, 1)
        if type(k) is ExcelError:
            return k
        if k != 1:
            return REF if k > 1 else VALUE
    if type(ref) not in (Range, Array):
        ref = Array([[ref]])
    h, w = ref.shape
    r, c = _int(row, None), _int(col, None)
    for x in (r, c):
        if type(x) is ExcelError:
            return x
    if (r is not None and r < 0) or (c is not None and c < 0):
        return VALUE
    if c is None and h == 1 and w > 1:
        r, c = 1, r     # INDEX(A1:E1, 3) is the 3rd column
    elif c is None and col is MISSING and h > 1 and w > 1 and type(ref) is Range:
        return REF      # the reference form needs the column of a block
    r = 0 if r is None else r
    c = 0 if c is None else c
    if c == 0 and w == 1:
        c = 1
    if r == 0 and h == 1:
        r = 1
    if r > h or c > w:
        return REF
    if type(ref) is Range:
        r1, r2 = (ref.r1, ref.r2) if r == 0 else (ref.r1 + r - 1,) * 2
        c1, c2 = (ref.c1, ref.c2) if c == 0 else (ref.c1 + c - 1,) * 2
        return Range(ref.grid, r1, c1, r2, c2)
    rows = ref.rows if r == 0 else [ref.rows[r - 1]]
    if c != 0:
        rows = [[row_[c - 1]] for row_ in rows]
    return rows[0][0] if len(rows) == 1 and len(rows[0]) == 1 else Array(rows)


def _same_kind(a, b):
    ta, tb = type(a), type(b)
    return ta is tb or (ta in (float, int) and tb in (float, int))


class _Vector:
    """A one-row or one-column Range or Array as a sequence: v[i], len(v), and its non-blank
    (i, value) pairs in order (a whole column: only what it holds)."""

    def __init__(self, a):
        self.a = a
        h, w = a.shape
        self.n = h * w
        self.down = w == 1

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return self.a.get(i, 0) if self.down else self.a.get(0, i)

    def held(self):
        return [((i if self.down else j), v) for i, j, v in self.a.cells()]


def match(lookup, array, match_type):
    """MATCH's position (1-based float) of lookup in a one-row or one-column block, or an error.

    Exact (0): the first equal value of the lookup's kind (text: no case, wildcards), an
    empty lookup value finds nothing. Approximate: an empty lookup value is 0; 1 is Excel's
    binary search (_binary_search), -1 a scan from the first value of the lookup's kind
    while the values are >= it (the corpus's cached values: MATCH(0.5,{0,1,2,3,4},-1) is
    #N/A, MATCH(-1,{0,1,2,3,4},-1) is 5)."""
    if type(lookup) is ExcelError:
        return lookup
    h, w = array.shape
    if h != 1 and w != 1:
        return NA
    vals = _Vector(array)
    if match_type == 0:
        if lookup is None or lookup is MISSING:
            return NA                           # an empty lookup value finds nothing
        if type(lookup) is str and has_wildcards(lookup):
            for i, v in vals.held():
                if type(v) is str and wildcard_match(lookup, v):
                    return float(i + 1)
            return NA
        low = lookup.lower() if type(lookup) is str else None
        for i, v in vals.held():
            if _same_kind(v, lookup) and (v == lookup if low is None else v.lower() == low):
                return float(i + 1)
        return NA
    if lookup is None or lookup is MISSING:
        lookup = 0.0
    if match_type < 0:
        return _descending_scan(vals, lookup)
    return _binary_search(vals, lookup)


def _descending_scan(vals, lookup):
    best = -1
    for i, v in vals.held():
        if not _same_kind(v, lookup):
            continue
        if compare("=", v, lookup) is True:
            return float(i + 1)
        if compare("<", v, lookup) is True:
            break
        best = i
    return NA if best < 0 else float(best + 1)


def _binary_search(vals, lookup):
    """Excel's approximate MATCH: a binary search over the values of the lookup's kind, as if
    sorted ascending; at a value of another kind it looks right for one of the lookup's kind,
    then left (MATCH(TRUE,{TRUE,4.1,FALSE,1.1}) is 3); an exact hit returns the last of its run
    of equal values (MATCH(1,{1,0}) is 1, MATCH(1,{0,1}) is 2, as the lecture's files cache)."""
    n = len(vals)
    lo, hi, best = 0, n - 1, -1

    def ok(m):
        v = vals[m]
        return v is not None and _same_kind(v, lookup)
    while lo <= hi:
        mid = (lo + hi) // 2
        m = mid
        while m <= hi and not ok(m):
            m += 1
        if m > hi:
            m = mid - 1
            while m >= lo and not ok(m):
                m -= 1
            if m < lo:
                break
        v = vals[m]
        if compare("=", v, lookup) is True:
            while m + 1 < n and ok(m + 1) and compare("=", vals[m + 1], lookup) is True:
                m += 1
            return float(m + 1)
        if compare("<", v, lookup) is True:
            best = m
            lo = m + 1
        else:
            hi = m - 1
    return NA if best < 0 else float(best + 1)


@function("MATCH", "value, values, number?", vector=_match_vector, doc=MS + "match-function-e8dffd45-c762-47d6-bf89-533f4a37673a")
def MATCH(lookup, array, match_type=1.0):
    if type(array) is ExcelError:
        return array
    return match(lookup, grid(array), match_type)


def _table_lookup(vertical):
    # VLOOKUP(lookup, table, col_index, [range_lookup=TRUE]): MATCH on the first column (type 1
    # when range_lookup is TRUE, else exact), then that row's col_index-th value;
    # col_index < 1 -> #VALUE!, beyond the table -> #REF!, not found -> #N/A (HLOOKUP: rows)
    def impl(lookup, table, index, approximate=True):
        if type(table) is ExcelError:
            return table
        table = grid(table)
        k = to_integer(index.rows[0][0] if type(index) is Array else index)
        if type(k) is ExcelError:
            return k
        k = int(k)
        h, w = table.shape
        if k < 1:
            return VALUE
        if k > (w if vertical else h):
            return REF
        if approximate is MISSING:
            approximate = False
        keys = _first(table, vertical)
        pos = match(lookup, keys, 1.0 if approximate else 0.0)
        if type(pos) is ExcelError:
            return pos
        i = int(pos) - 1
        return table.get(i, k - 1) if vertical else table.get(k - 1, i)
    return impl


def _first(table, vertical):
    """A table's first column (VLOOKUP) or row (HLOOKUP)."""
    if type(table) is Range:
        if vertical:
            return Range(table.grid, table.r1, table.c1, table.r2, table.c1)
        return Range(table.grid, table.r1, table.c1, table.r1, table.c2)
    if vertical:
        return Array([[row[0]] for row in table.rows])
    return Array([table.rows[0]])


# the column (row) number is one number: an array gives its first (the corpus: HLOOKUP(C44:Q44,
# {...}, {2,1}, 0) in an array formula reads row 2 for every lookup value)
function("VLOOKUP", "value, values, array, logical?",
         doc=MS + "vlookup-function-0bbc8083-26fe-4963-8ab8-93a18ad188a1")(_table_lookup(True))
function("HLOOKUP", "value, values, array, logical?",
         doc=MS + "hlookup-function-a3034eec-b719-4ba3-bb65-e1ad662ed95f")(_table_lookup(False))


@function("CHOOSE", "value, lazy...", context=True, reference=True,
          doc=MS + "choose-function-fc5c184f-cb62-4ec7-a46e-38653b98f5bc")
def CHOOSE(ctx, index, *options):
    if type(index) is Array:        # an array of indexes: every option computed, chosen element by element
        got = [_deref(ctx, 0.0 if v is MISSING else v()) for v in options]
        return elementwise(lambda i, *xs: _pick(i, xs), index, *got)
    k = _choice(index, len(options))
    if type(k) is ExcelError:
        return k
    v = options[k - 1]
    return 0.0 if v is MISSING else v()


def _choice(index, n):
    k = to_integer(index)
    if type(k) is ExcelError:
        return k
    k = int(k)
    return k if 1 <= k <= n else VALUE


def _pick(index, values):
    k = _choice(index, len(values))
    if type(k) is ExcelError:
        return k
    v = values[k - 1]
    return 0.0 if v is None else v


def _deref(ctx, v):
    """A value computed as a reference, where a value is wanted: in an array formula every cell
    (an Array), else the cell on the formula's row or column."""
    t = type(v)
    if t is Range and ctx.array:
        return v.array() if v.size > 1 else v.first()
    if t is Range or t is RangeUnion:
        return ctx.intersect(v)
    return v


@function("ADDRESS", "integer, integer, integer?, logical?, text?",
          doc=MS + "address-function-d0c26c0d-3991-446b-8de4-ab46431d4f89")
def ADDRESS(row, col, abs_num=1.0, a1=True, sheet=None):
    r, c, mode = int(row), int(col), int(abs_num)
    if not (1 <= r <= MAX_ROW and 1 <= c <= MAX_COL) or mode not in (1, 2, 3, 4):
        return VALUE
    if a1 is MISSING:
        a1 = True
    if a1:
        text = (("$" if mode in (1, 3) else "") + COL_LETTERS[c] + ("$" if mode in (1, 2) else "") + str(r))
    else:
        rr = f"R{r}" if mode in (1, 2) else f"R[{r}]"
        cc = f"C{c}" if mode in (1, 3) else f"C[{c}]"
        text = rr + cc
    if sheet is not None:               # given, even empty: ADDRESS(1,3,1,TRUE,"") is "!$C$1"
        # quoted when the name needs it; in A1 style a leading [Book] does not (Apache POI's
        # FormulaEvalTestData caches ADDRESS(2,3,3,TRUE,"[Book1]Sheet1") as [Book1]Sheet1!$C2,
        # Microsoft's page ADDRESS(2,3,1,FALSE,"[Book1]Sheet1") as '[Book1]Sheet1'!R2C3)
        name = sheet.split("]", 1)[1] if a1 and sheet.startswith("[") and "]" in sheet else sheet
        plain = not name or name.replace("_", "").replace(".", "").isalnum()
        text = (sheet if plain else "'" + sheet.replace("'", "''") + "'") + "!" + text
    return text


@function("LOOKUP", "value, values, values?", doc=MS + "lookup-function-446d94af-663b-451d-8251-369d5e3864cb")
def LOOKUP(lookup, vector, result=MISSING):
    if type(vector) is ExcelError:
        return vector
    g = grid(vector)
    h, w = g.shape
    if h == 1 or w == 1:
        keys, out = g, g
    elif w > h:                   # array form: search the first row, return from the last
        keys, out = _first(g, False), _last(g, False)
    else:                         # square or taller: the first column, return from the last
        keys, out = _first(g, True), _last(g, True)
    if result is not MISSING:     # vector form: a block given as the lookup vector is searched
        out = grid(result)        # as the array form searches it; the result must be one row
        if out.shape[0] != 1 and out.shape[1] != 1:             # or column
            return NA
    pos = match(lookup, keys, 1.0)
    if type(pos) is ExcelError:
        return pos
    i = int(pos) - 1
    oh, ow = out.shape
    if oh == 1:
        return out.get(0, i) if i < ow else NA
    return out.get(i, 0) if i < oh else NA


def _last(table, vertical):
    if type(table) is Range:
        if vertical:
            return Range(table.grid, table.r1, table.c2, table.r2, table.c2)
        return Range(table.grid, table.r2, table.c1, table.r2, table.c2)
    if vertical:
        return Array([[row[-1]] for row in table.rows])
    return Array([table.rows[-1]])
