"""Dynamic-array functions of Excel 365 (Excel's category "Lookup & Reference", SEQUENCE from
"Math & Trig"): XLOOKUP, XMATCH, FILTER, SORT, SORTBY, UNIQUE, SEQUENCE, VSTACK, HSTACK,
CHOOSEROWS, CHOOSECOLS, TAKE, DROP, TOCOL, TOROW, WRAPROWS, WRAPCOLS, EXPAND, TRIMRANGE,
ANCHORARRAY.

Their results are arrays that Excel spills into the cells below and right of the formula; a
file records the spill as an array formula over those cells (<f t="array" ref=... cm="1">), so
the engine spreads the result as it spreads any array formula's.

XMATCH and XLOOKUP order values across kinds as SORT does: numbers < text < FALSE < TRUE, text
without regard to case; an empty lookup value comes after everything (the corpus's cached
values: XMATCH(blank,{FALSE,2.1,TRUE,4.1},-1) is 3); text is compared as Unicode folds case
("ß" is "ss"), which MATCH does not. An empty result is #VALUE! in the corpus's Excel (FILTER,
TAKE, DROP, UNIQUE; Microsoft's pages now say #CALC!).
"""
from ..ranges import Range, new_array
from ..values import CALC, ERROR_NUMBERS, MISSING, NA, NUM, REF, VALUE, Array, ExcelError, to_bool, to_integer, to_number
from .args import grid
from .criteria import wildcard_match
from .lookup import _Vector
from .registry import MS, registrar

function = registrar("lookup")
math_function = registrar("math")

DYNAMIC = "excel gsheets"
DYNAMIC_DIFFERS = "LibreOffice 7.x does not have it (LibreOffice 24.8 does)"
EXCEL_ONLY = "excel"


def _rows(a):
    """An array argument's rows (an Array's, a single value as 1x1)."""
    return a.rows if type(a) is Array else [[a]]


def _shape(rows):
    return len(rows), len(rows[0]) if rows else 0


def _int_arg(v, default):
    if v is MISSING:
        return default                      # left out; a blank cell is 0
    k = to_integer(v.rows[0][0] if type(v) is Array else v)
    return k if type(k) is ExcelError else int(k)


# ---------------------------------------------------------------- ordering across kinds
_RANK = {float: 0, int: 0, str: 1, bool: 2}


def order_key(v):
    """SORT's and XMATCH's order: numbers, text (no case), FALSE, TRUE; then errors, blanks."""
    t = type(v)
    if v is None:
        return (5, 0)
    if t is ExcelError:
        return (4, ERROR_NUMBERS.get(v.code, 99))       # errors in ERROR.TYPE's order
    r = _RANK.get(t, 3)
    return (r, v.casefold() if t is str else v)       # XMATCH("ß", {"ss"}) is 1


# ---------------------------------------------------------------- XMATCH, XLOOKUP
def xmatch(lookup, vals, match_mode=0, search_mode=1):
    """0-based position of lookup in the sequence vals (_Vector or list), or an error."""
    n = len(vals)
    if match_mode not in (-1, 0, 1, 2, 3) or search_mode not in (-2, -1, 1, 2):
        return VALUE
    if match_mode >= 2 and search_mode in (2, -2):
        return VALUE                        # wildcards cannot be binary-searched
    if match_mode == 3:                     # a regular expression (Excel 2024)
        return _regex_match(lookup, vals, search_mode)
    blank = lookup is None or lookup is MISSING
    if blank and match_mode in (0, 2):
        return NA
    key = (9, 0) if blank else order_key(lookup)
    if search_mode in (2, -2):
        return _binary(vals, key, match_mode, search_mode == -2)
    order = range(n) if search_mode == 1 else range(n - 1, -1, -1)
    wild = match_mode == 2 and type(lookup) is str
    best, best_key = None, None
    for i in order:
        v = vals[i]
        if v is None or type(v) is ExcelError:
            continue
        if wild:
            if type(v) is str and wildcard_match(lookup, v):
                return i
            continue
        k = order_key(v)
        if k == key:
            return i
        if match_mode == -1 and k < key and (best_key is None or k > best_key):
            best, best_key = i, k
        elif match_mode == 1 and k > key and (best_key is None or k < best_key):
            best, best_key = i, k
    return NA if best is None else best


def _regex_match(lookup, vals, search_mode):
    import re
    from ..values import to_text
    try:
        rx = re.compile(to_text(lookup))
    except (re.error, TypeError):
        return VALUE
    order = range(len(vals)) if search_mode == 1 else range(len(vals) - 1, -1, -1)
    for i in order:
        v = vals[i]
        if v is not None and type(v) is not ExcelError and rx.search(to_text(v)):
            return i
    return NA


def _binary(vals, key, match_mode, descending):
    lo, hi, best = 0, len(vals) - 1, None
    while lo <= hi:
        mid = (lo + hi) // 2
        v = vals[mid]
        k = (5, 0) if v is None else order_key(v)
        if k == key:
            return mid
        smaller = k < key
        if smaller:
            if match_mode == -1:
                best = mid
        elif match_mode == 1:
            best = mid
        if smaller != descending:
            lo = mid + 1
        else:
            hi = mid - 1
    return NA if best is None else best


def _vector(a):
    """A one-row or one-column lookup array as a sequence, or None for a block."""
    g = grid(a)
    h, w = g.shape
    return _Vector(g) if h == 1 or w == 1 else None


@function("XMATCH", "value, values, integer?, integer?", programs=DYNAMIC, differs=DYNAMIC_DIFFERS,
          doc=MS + "xmatch-function-d966da31-7a6b-4a13-a1c6-5a33ed6a0312")
def XMATCH(lookup, array, match_mode=0.0, search_mode=1.0):
    if type(lookup) is ExcelError:
        return lookup
    if type(array) is ExcelError:
        return array
    vals = _vector(array)
    if vals is None:
        return VALUE
    i = xmatch(lookup, vals, int(match_mode), int(search_mode))
    return i if type(i) is ExcelError else float(i + 1)


@function("XLOOKUP", "value, values, values, any?, integer?, integer?", reference=True, programs=DYNAMIC,
          differs=DYNAMIC_DIFFERS, doc=MS + "xlookup-function-b7fd680e-6d10-43e6-84f9-88eae8bf5929")
def XLOOKUP(lookup, array, result, if_not_found=MISSING, match_mode=0.0, search_mode=1.0):
    if type(lookup) is ExcelError:
        return lookup
    for a in (array, result):
        if type(a) is ExcelError:
            return a
    vals = _vector(array)
    if vals is None:
        return VALUE
    res = grid(result)
    rh, rw = res.shape
    if (rh if vals.down else rw) != len(vals):
        return VALUE
    i = xmatch(lookup, vals, int(match_mode), int(search_mode))
    if type(i) is ExcelError:
        return i if i is not NA or if_not_found is MISSING else if_not_found
    if type(res) is Range:
        if vals.down:
            return Range(res.grid, res.r1 + i, res.c1, res.r1 + i, res.c2)
        return Range(res.grid, res.r1, res.c1 + i, res.r2, res.c1 + i)
    rows = res.rows
    out = [rows[i]] if vals.down else [[row[i]] for row in rows]
    return out[0][0] if len(out) == 1 and len(out[0]) == 1 else Array(out)


# ---------------------------------------------------------------- choosing, sorting, unique
@function("FILTER", "array, array, any?", programs=DYNAMIC, differs=DYNAMIC_DIFFERS,
          doc=MS + "filter-function-f4f7cb66-82eb-4767-8f7c-4877ad80c759")
def FILTER(array, include, if_empty=MISSING):
    for a in (array, include):
        if type(a) is ExcelError:
            return a
    rows = _rows(array)
    h, w = _shape(rows)
    inc = _rows(include)
    ih, iw = _shape(inc)
    if ih == 1 and iw == 1 and (h > 1) != (w > 1):   # one value for a row or column: TRUE keeps
        f = inc[0][0]                                 # all, a blank cell is #VALUE! (the corpus)
        b = VALUE if f is None or type(f) is str else to_bool(f)
        if type(b) is ExcelError:
            return b
        return Array([list(r) for r in rows]) if b else (VALUE if if_empty is MISSING else if_empty)
    by_rows = iw == 1 and ih == h and (h > 1 or w == 1)       # one row: the include must be as wide
    if by_rows:
        flags = [row[0] for row in inc]
    elif ih == 1 and iw == w:
        flags = inc[0]
    else:
        return VALUE
    keep = []
    for f in flags:
        b = to_bool(f) if type(f) is not str else VALUE
        if type(b) is ExcelError:
            return b
        keep.append(b)
    if by_rows:
        out = [row for row, k in zip(rows, keep) if k]
    else:
        out = [[v for v, k in zip(row, keep) if k] for row in rows]
        out = out if out and out[0] else []
    if not out:
        return VALUE if if_empty is MISSING else if_empty
    return Array(out)


def _sorted_rows(rows, keys, by_col):
    """rows (or columns) sorted by keys: [(index, ascending)]; stable, Excel's order."""
    if by_col:
        rows = [list(c) for c in zip(*rows)]
    for idx, asc in reversed(keys):
        rows = sorted(rows, key=lambda r: _sort_key(r[idx], asc))
    return [list(c) for c in zip(*rows)] if by_col else rows


def _sort_key(v, asc):
    k = order_key(v)
    if asc or k[0] >= 4:                   # errors and blanks last either way
        return (k[0] >= 4, k)
    return (False, _Desc(k))


class _Desc:
    __slots__ = ("k",)

    def __init__(self, k):
        self.k = k

    def __lt__(self, other):
        return other.k < self.k

    def __eq__(self, other):
        return self.k == other.k


@function("SORT", "array, array?, array?, logical?", programs=DYNAMIC, differs=DYNAMIC_DIFFERS,
          doc=MS + "sort-function-22f63bd0-ccc8-492f-953d-c20e8e44b86c")
def SORT(array, index=MISSING, order=MISSING, by_col=False):
    if type(array) is ExcelError:
        return array
    rows = _rows(array)
    h, w = _shape(rows)
    idx = [1] if index is MISSING else [_int_arg(v, 1) for v in index.flat()]
    ords = [1] if order is MISSING else [_int_arg(v, 1) for v in order.flat()]
    for v in idx + ords:
        if type(v) is ExcelError:
            return v
    if len(ords) == 1:
        ords = ords * len(idx)
    if len(ords) != len(idx) or any(o not in (1, -1) for o in ords):
        return VALUE
    if any(not 1 <= i <= (h if by_col else w) for i in idx):
        return VALUE
    return Array(_sorted_rows(rows, [(i - 1, o == 1) for i, o in zip(idx, ords)], bool(by_col)))


@function("SORTBY", "array, (array, array)...", programs=DYNAMIC, differs=DYNAMIC_DIFFERS,
          doc=MS + "sortby-function-cd2d7a62-1b93-435c-b561-d6a35134f28f")
def SORTBY(array, *pairs):
    if type(array) is ExcelError:
        return array
    rows = _rows(array)
    h, w = _shape(rows)
    if len(pairs) % 2:
        pairs = pairs + (MISSING,)
    keys, by_col = [], None
    for by, order in zip(pairs[::2], pairs[1::2]):
        if type(by) is ExcelError:
            return by
        brows = _rows(by)
        bh, bw = _shape(brows)
        col = bw == 1 and bh == h
        row = bh == 1 and bw == w and not col
        if not (col or row) or (by_col is not None and by_col != row):
            return VALUE
        by_col = row
        o = 1 if order is MISSING else _int_arg(order, 1)
        if o not in (1, -1):
            return VALUE
        keys.append(([r[0] for r in brows] if col else brows[0], o == 1))
    items = list(zip(*rows)) if by_col else rows
    n = len(items)
    order_ = list(range(n))
    for vals, asc in reversed(keys):
        order_ = sorted(order_, key=lambda i: _sort_key(vals[i], asc))
    out = [list(items[i]) for i in order_]
    return Array([list(c) for c in zip(*out)] if by_col else out)


def _same_key(v):
    return (type(v) is str, v.lower()) if type(v) is str else (type(v) is str, (type(v).__name__, v))


@function("UNIQUE", "array, logical?, logical?", programs=DYNAMIC, differs=DYNAMIC_DIFFERS,
          doc=MS + "unique-function-c5ab87fd-30a3-4ce9-9d1a-40204fb85e1e")
def UNIQUE(array, by_col=False, exactly_once=False):
    if type(array) is ExcelError:
        return array
    rows = _rows(array)
    items = [list(c) for c in zip(*rows)] if by_col else rows
    counts, first = {}, []
    for it in items:
        k = tuple(_same_key(v) for v in it)
        if k not in counts:
            counts[k] = 0
            first.append((k, it))
        counts[k] += 1
    out = [it for k, it in first if not exactly_once or counts[k] == 1]
    if not out:
        return VALUE
    return Array([list(c) for c in zip(*out)] if by_col else out)


@math_function("SEQUENCE", "integer, integer?, number?, number?", programs=DYNAMIC, differs=DYNAMIC_DIFFERS,
               doc=MS + "sequence-function-57467a98-57e0-4817-9f14-2eb78519ca90")
def SEQUENCE(rows, cols=1.0, start=1.0, step=1.0):
    h, w = int(rows), int(cols) if cols is not MISSING else 1
    if h < 0 or w < 0:
        return VALUE
    if h == 0 or w == 0:
        return CALC
    new_array(h, w)
    return Array([[start + step * (i * w + j) for j in range(w)] for i in range(h)])


# ---------------------------------------------------------------- reshaping
def _pad(rows, h, w, pad):
    return [list(r) + [pad] * (w - len(r)) for r in rows] + [[pad] * w for _ in range(h - len(rows))]


@function("VSTACK", "array...", programs=DYNAMIC, differs=DYNAMIC_DIFFERS,
          doc=MS + "vstack-function-a4b86897-be0f-48fc-adca-fcc10d795a9c")
def VSTACK(*arrays):
    parts = []
    for a in arrays:
        if type(a) is ExcelError:
            return a
        parts.append(_rows(a))
    w = max(_shape(p)[1] for p in parts)
    return Array([r for p in parts for r in _pad(p, len(p), w, NA)])


@function("HSTACK", "array...", programs=DYNAMIC, differs=DYNAMIC_DIFFERS,
          doc=MS + "hstack-function-98c4ab76-10fe-4b4f-8d5f-af1c125fe8c2")
def HSTACK(*arrays):
    parts = []
    for a in arrays:
        if type(a) is ExcelError:
            return a
        parts.append(_rows(a))
    h = max(len(p) for p in parts)
    padded = [_pad(p, h, _shape(p)[1], NA) for p in parts]
    return Array([[v for p in padded for v in p[i]] for i in range(h)])


def _choose(cols):
    def impl(array, *nums):
        if type(array) is ExcelError:
            return array
        rows = _rows(array)
        items = [list(c) for c in zip(*rows)] if cols else rows
        picked = []
        for a in nums:
            if type(a) is ExcelError:
                return a
            ah, aw = a.shape if type(a) is Array else (1, 1)
            if ah > 1 and aw > 1:
                return VALUE                    # the numbers: one row or one column
            for v in (a.flat() if type(a) is Array else [a]):
                k = _int_arg(v, 0)
                if type(k) is ExcelError:
                    return k
                if k == 0 or abs(k) > len(items):
                    return VALUE
                picked.append(items[k - 1] if k > 0 else items[k])
        return Array([list(c) for c in zip(*picked)] if cols else picked)
    return impl


function("CHOOSECOLS", "array, array...", programs=DYNAMIC, differs=DYNAMIC_DIFFERS,
         doc=MS + "choosecols-function-bf117976-2722-4466-9b9a-1c01ed9aebff")(_choose(True))
function("CHOOSEROWS", "array, array...", programs=DYNAMIC, differs=DYNAMIC_DIFFERS,
         doc=MS + "chooserows-function-51ace882-9bab-4a44-9625-7274ef7507a3")(_choose(False))


def _take_drop(take):
    def impl(array, rows=MISSING, cols=MISSING):
        if type(array) is ExcelError:
            return array
        data = _rows(array)
        h, w = _shape(data)
        r = _int_arg(rows, h if take else 0)
        c = _int_arg(cols, w if take else 0)
        for x in (r, c):
            if type(x) is ExcelError:
                return x
        if take and (r == 0 or c == 0):
            return VALUE

        def span(k, n):
            if take:
                return (0, min(k, n)) if k > 0 else (max(n + k, 0), n)
            return (min(k, n), n) if k >= 0 else (0, max(n + k, 0))
        a, b = span(r, h)
        p, q = span(c, w)
        out = [row[p:q] for row in data[a:b]]
        return Array(out) if out and out[0] else VALUE
    return impl


function("TAKE", "array, value?, value?", programs=DYNAMIC, differs=DYNAMIC_DIFFERS,
         doc=MS + "take-function-25382ff1-5da1-4f78-ab43-f33bd2e4e003")(_take_drop(True))
function("DROP", "array, value?, value?", programs=DYNAMIC, differs=DYNAMIC_DIFFERS,
         doc=MS + "drop-function-1cb4e151-9e17-4838-abe5-9ba48d8c6a34")(_take_drop(False))


def _flatten(array, ignore, by_col):
    rows = _rows(array)
    seq = [v for c in zip(*rows) for v in c] if by_col else [v for r in rows for v in r]
    if ignore in (1, 3):
        seq = [v for v in seq if v is not None]
    if ignore in (2, 3):
        seq = [v for v in seq if type(v) is not ExcelError]
    return seq


def _to_line(as_col):
    def impl(array, ignore=0.0, by_col=False):
        if type(array) is ExcelError:
            return array
        if int(ignore) not in (0, 1, 2, 3):
            return VALUE
        seq = _flatten(array, int(ignore), bool(by_col))
        if not seq:
            return CALC
        return Array([[v] for v in seq] if as_col else [seq])
    return impl


function("TOCOL", "array, integer?, logical?", programs=DYNAMIC, differs=DYNAMIC_DIFFERS,
         doc=MS + "tocol-function-22839d9b-0b55-4fc1-b4e6-2761f8f122ed")(_to_line(True))
function("TOROW", "array, integer?, logical?", programs=DYNAMIC, differs=DYNAMIC_DIFFERS,
         doc=MS + "torow-function-b90d0964-a7d9-44b7-816b-ffa5c2fe2289")(_to_line(False))


def _wrap(rows_first):
    def impl(vector, count, pad=MISSING):
        if type(vector) is ExcelError:
            return vector
        data = _rows(vector)
        h, w = _shape(data)
        if h != 1 and w != 1:
            return VALUE
        seq = [v for r in data for v in r]
        n = int(count)
        if n < 1:
            return NUM
        pad = NA if pad is MISSING else pad
        chunks = [seq[i:i + n] for i in range(0, len(seq), n)]
        chunks[-1] = chunks[-1] + [pad] * (n - len(chunks[-1]))
        return Array(chunks if rows_first else [list(c) for c in zip(*chunks)])
    return impl

function("WRAPROWS", "array, integer, any?", programs=DYNAMIC, differs=DYNAMIC_DIFFERS,
         doc=MS + "wraprows-function-796825f3-975a-4cee-9c84-1bbddf60ade0")(_wrap(True))
function("WRAPCOLS", "array, integer, any?", programs=DYNAMIC, differs=DYNAMIC_DIFFERS,
         doc=MS + "wrapcols-function-d038b05a-57b7-4ee0-be94-53048a3ec06a")(_wrap(False))


@function("EXPAND", "array, value?, value?, any?", programs=DYNAMIC, differs=DYNAMIC_DIFFERS,
          doc=MS + "expand-function-7433fba5-4ad1-41da-a904-d5d95808bc38")
def EXPAND(array, rows=MISSING, cols=MISSING, pad=MISSING):
    if type(array) is ExcelError:
        return array
    data = _rows(array)
    h, w = _shape(data)
    r, c = _int_arg(rows, h), _int_arg(cols, w)
    for x in (r, c):
        if type(x) is ExcelError:
            return x
    if r < h or c < w:
        return VALUE
    new_array(r, c)
    return Array(_pad(data, r, c, NA if pad is MISSING else pad))


@function("TRIMRANGE", "range, value?, value?", reference=True, programs=EXCEL_ONLY,
          differs="Excel 365 only (2024)", doc=MS + "trimrange-function-d7812248-3bc5-4c6b-901c-1afa9564f999")
def TRIMRANGE(ref, trim_rows=MISSING, trim_cols=MISSING):
    # the block without its empty outer rows and columns (0: none, 1: leading, 2: trailing,
    # 3: both); a mode that is not one of them (2.3, "3.3") #VALUE!; nothing left #REF!
    modes = []
    for m in (trim_rows, trim_cols):
        x = 3.0 if m is MISSING else to_number(m)
        if type(x) is ExcelError or x not in (0.0, 1.0, 2.0, 3.0):
            return VALUE
        modes.append(int(x))
    tr, tc = modes
    cells = ref.cells()
    if not cells:
        return REF
    rs = [i for i, _, _ in cells]
    cs = [j for _, j, _ in cells]
    r1 = ref.r1 + (min(rs) if tr in (1, 3) else 0)
    r2 = ref.r1 + max(rs) if tr in (2, 3) else ref.r2
    c1 = ref.c1 + (min(cs) if tc in (1, 3) else 0)
    c2 = ref.c1 + max(cs) if tc in (2, 3) else ref.c2
    return Range(ref.grid, r1, c1, r2, c2)


@function("ANCHORARRAY", "address", context=True, reference=True, programs=EXCEL_ONLY,
          differs="a spilled range (A1#) is Excel 365's",
          doc=MS + "spilled-range-operator-3dd5899f-bca2-4b9d-a172-3eae9ac22efd")
def ANCHORARRAY(ctx, ref):
    # the range the array formula anchored at ref's first cell spills into (ref#)
    if type(ref) is not Range:
        return ref if type(ref) is ExcelError else VALUE
    bounds = ctx.engine.spill_bounds(ref.sheet, ref.r1, ref.c1)
    return VALUE if bounds is None else Range(ref.grid, *bounds)
