"""Logical functions (Excel's category "Logical"): IF computes only the branch it chooses."""
from ..ranges import Range, Union
from ..values import CALC, MISSING, NA, VALUE, Array, ExcelError, to_bool
from .operators import compare, elementwise
from .registry import MS, registrar

function = registrar("logical")


def _branch(thunk):
    """A lazy argument's value (an argument left empty: 0)."""
    return 0.0 if thunk is MISSING else thunk()


def _cond(v):
    return to_bool(v)


def _if_closure(args):
    """IF's compiled form: a single condition computes one branch; an array of conditions
    computes both and chooses element by element."""
    cond, yes = args[0], args[1]
    no = args[2] if len(args) > 2 else (lambda r, c: False)

    def f(r, c):
        x = cond(r, c)
        t = type(x)
        if t is Range or t is Union:
            from ..compiler import intersect
            x, t = intersect(x, r, c), None
            t = type(x)
        if t is bool:
            b = x
        elif t is float:
            b = x != 0.0
        elif t is Array:
            return _if_array(x, yes(r, c), no(r, c))
        else:
            b = _cond(x)
            if type(b) is ExcelError:
                return b
        v = yes(r, c) if b else no(r, c)
        return 0.0 if v is MISSING else v
    return f


def _if_array(cond, yes, no):
    def pick(c, y, n):
        b = _cond(c)
        if type(b) is ExcelError:
            return b
        v = y if b else n
        return 0.0 if v is MISSING else v
    return elementwise(pick, cond, _arr(yes), _arr(no))


def _arr(v):
    return v.array() if type(v) is Range else v


def _if_vector(vx, args):
    """IF over a run: both branches computed leniently (an error in the branch not chosen does
    not matter), the chosen values checked."""
    import numpy as np
    from ..parser import Missing
    from ..vectorize import V, Fallback, finite
    if len(args) not in (2, 3):
        raise Fallback
    cond = vx.eval(args[0])
    if type(cond) is not V or cond.kind == "str":
        raise Fallback
    cond = finite(cond.data) != 0 if cond.kind == "num" else cond.data
    vx.lenient += 1
    try:
        yes = V("num", 0.0) if type(args[1]) is Missing else vx.eval(args[1])
        no = (V("bool", False) if len(args) == 2 else
              V("num", 0.0) if type(args[2]) is Missing else vx.eval(args[2]))
    finally:
        vx.lenient -= 1
    if type(yes) is not V or type(no) is not V or yes.kind != no.kind or yes.kind == "str":
        raise Fallback
    out = np.where(cond, yes.data, no.data)
    return V(yes.kind, vx.fin(out) if yes.kind == "num" else out)


@function("IF", "any, lazy, lazy?", closure=_if_closure, vector=_if_vector,
          doc=MS + "if-function-69aed7c9-4e8a-4755-a9bc-aa8bbff73be2")
def IF(cond, yes, no=None):
    """The generic form (the compiler uses _if_closure): a value_if_false left out is FALSE."""
    if type(cond) is Array:
        return _if_array(cond, _branch(yes), False if no is None else _branch(no))
    b = _cond(cond)
    if type(b) is ExcelError:
        return b
    if b:
        return _branch(yes)
    return False if no is None else _branch(no)


@function("IFERROR", "any, lazy", doc=MS + "iferror-function-c526fd07-caeb-47b8-8bb6-63f3e417f611")
def IFERROR(v, alt):
    if type(v) is Range:
        v = v.array() if v.size > 1 else v.first()
    if type(v) is Array:
        other = _branch(alt)
        return elementwise(lambda x, y: y if type(x) is ExcelError else x, v, _arr(other))
    return _branch(alt) if type(v) is ExcelError else v


@function("IFNA", "any, lazy", doc=MS + "ifna-function-6626c961-a569-42fc-a49d-79b4951fd461")
def IFNA(v, alt):
    if type(v) is Range:
        v = v.array() if v.size > 1 else v.first()
    if type(v) is Array:
        other = _branch(alt)
        return elementwise(lambda x, y: y if x is NA else x, v, _arr(other))
    return _branch(alt) if v is NA else v


def _deref(ctx, v):
    """A lazy argument's value where a value is compared (SWITCH's cases, IFS's conditions): a
    reference read as the formula reads one (an array formula: every cell; else the cell on its
    row or column)."""
    t = type(v)
    if t is Range or t is Union:
        if ctx.array and t is Range:
            return v.array() if v.size > 1 else v.first()
        return ctx.intersect(v)
    return v


@function("IFS", "(any, lazy)...", context=True, doc=MS + "ifs-function-36329a26-37b2-467c-972b-4a39bd951d45",
          programs="excel libreoffice gsheets")
def IFS(ctx, *args):
    conds, vals = args[::2], args[1::2]
    if any(type(c) is Array for c in conds):        # element by element: every branch computed
        results = [_deref(ctx, _branch(v)) for v in vals]
        return elementwise(_ifs_one, *conds, *results)
    for cond, val in zip(conds, vals):
        b = _cond(cond)
        if type(b) is ExcelError:
            return b
        if b:
            return _branch(val)
    return NA


def _ifs_one(*pairs):
    n = len(pairs) // 2
    for cond, val in zip(pairs[:n], pairs[n:]):
        b = _cond(cond)
        if type(b) is ExcelError:
            return b
        if b:
            return 0.0 if val is None else val
    return NA


@function("SWITCH", "any, lazy...", context=True, doc=MS + "switch-function-47ab33c0-28ce-4530-8a45-d532ec4aa25e",
          programs="excel libreoffice gsheets")
def SWITCH(ctx, value, *rest):
    pairs = len(rest) // 2
    if type(value) is Array:                        # element by element: every branch computed
        got = [_deref(ctx, _branch(x)) for x in rest]
        return elementwise(lambda v, *xs: _switch_one(v, xs, pairs), value, *got)
    if type(value) is ExcelError:
        return value
    for i in range(pairs):
        case = _deref(ctx, _branch(rest[2 * i]))
        if type(case) is Array:
            got = [_deref(ctx, _branch(x)) for x in rest]
            return elementwise(lambda v, *xs: _switch_one(v, xs, pairs), value, *got)
        if type(case) is ExcelError:
            return case
        if _same(value, case):
            return _branch(rest[2 * i + 1])
    return _branch(rest[-1]) if len(rest) % 2 else NA


def _same(value, case):
    """SWITCH's match: = with a blank as the number 0 (a blank matches 0, not "" or FALSE)."""
    return compare("=", 0.0 if value is None else value, 0.0 if case is None else case) is True


def _switch_one(value, xs, pairs):
    if type(value) is ExcelError:
        return value
    for i in range(pairs):
        case = xs[2 * i]
        if type(case) is ExcelError:
            return case
        if _same(value, case):
            v = xs[2 * i + 1]
            return 0.0 if v is None else v
    if len(xs) % 2:
        return 0.0 if xs[-1] is None else xs[-1]
    return NA


def _logical_values(args):
    """AND/OR inputs: TRUE/FALSE and numbers; text and blanks in references are skipped, and so
    is text typed directly other than "TRUE"/"FALSE" (the corpus: AND(TRUE,"0") is TRUE,
    AND(TRUE,"ciao",#REF!) is #REF!); an argument left empty is FALSE. Nothing at all is #VALUE!."""
    out = []
    for a in args:
        t = type(a)
        if t is Array or t is Range or t is Union:
            for v in a.values():
                if type(v) is ExcelError:
                    return v
                if type(v) is bool or type(v) is float:
                    out.append(bool(v))
        elif a is MISSING:
            out.append(False)
        elif type(a) is str and a.upper() not in ("TRUE", "FALSE"):
            continue
        else:
            b = to_bool(a)
            if type(b) is ExcelError:
                return b
            out.append(b)
    return out if out else VALUE


@function("AND", "values...", doc=MS + "and-function-5f19b2e8-e1df-4408-897a-ce285a19e9d9")
def AND(*args):
    vs = _logical_values(args)
    return vs if type(vs) is ExcelError else all(vs)


@function("OR", "values...", doc=MS + "or-function-7d17ad14-8700-4281-b308-00b131e22af0")
def OR(*args):
    vs = _logical_values(args)
    return vs if type(vs) is ExcelError else any(vs)


@function("XOR", "values...", doc=MS + "xor-function-1548d4c2-5e47-4f77-9a92-0533bba14f37")
def XOR(*args):
    vs = _logical_values(args)
    return vs if type(vs) is ExcelError else sum(vs) % 2 == 1


@function("NOT", "logical", doc=MS + "not-function-9cfc6011-a054-40c7-a140-cd4ba2d87d77")
def NOT(b):
    return not b


@function("TRUE", "", doc=MS + "true-function-7652c6e3-8987-48d0-97cd-ef223246b3fb")
def TRUE():
    return True


@function("FALSE", "", doc=MS + "false-function-2d58dfa5-9c03-4259-bf8f-f0ae14346904")
def FALSE():
    return False


# ---------------------------------------------------------------- LAMBDA's helpers (formula/lambdas.py)
def _fn(v):
    """A LAMBDA argument: the Lambda, or the error to give."""
    from ..lambdas import Lambda
    if type(v) is Lambda:
        return v
    return v if type(v) is ExcelError else VALUE


def _one(v):
    """What a LAMBDA gives for one element: a single value (a 1x1 array's value; larger #CALC!)."""
    if type(v) is Array:
        return v.rows[0][0] if v.shape == (1, 1) else CALC
    if type(v) is Range:
        return v.first() if v.size == 1 else CALC
    return 0.0 if v is None or v is MISSING else v


def _grid_rows(a):
    if type(a) is ExcelError:
        return a
    return a.rows if type(a) is Array else [[a]]


LAMBDA_DIFFERS = "Excel 365 and Google Sheets; LibreOffice 7.x has no LAMBDA"


@function("BYROW", "array, any", context=True, programs="excel gsheets", differs=LAMBDA_DIFFERS,
          doc=MS + "byrow-function-2e04c677-78c8-4e6b-8c10-a4602f2602bb")
def BYROW(ctx, array, fn):
    rows, f = _grid_rows(array), _fn(fn)
    for x in (rows, f):
        if type(x) is ExcelError:
            return x
    return Array([[_one(f.call([Array([row])], ctx.row, ctx.col))] for row in rows])


@function("BYCOL", "array, any", context=True, programs="excel gsheets", differs=LAMBDA_DIFFERS,
          doc=MS + "bycol-function-58463999-7de5-49ce-8f38-b7f7a2192bfb")
def BYCOL(ctx, array, fn):
    rows, f = _grid_rows(array), _fn(fn)
    for x in (rows, f):
        if type(x) is ExcelError:
            return x
    return Array([[_one(f.call([Array([[v] for v in col])], ctx.row, ctx.col)) for col in zip(*rows)]])


@function("MAP", "array, array...", context=True, programs="excel gsheets", differs=LAMBDA_DIFFERS,
          doc=MS + "map-function-48006093-f97c-47c1-bfcc-749263bb1f01")
def MAP(ctx, *args):
    last = args[-1]                       # the LAMBDA, taken as an array like the others: 1x1
    f = _fn(last.rows[0][0] if type(last) is Array and last.shape == (1, 1) else last)
    if type(f) is ExcelError:
        return f
    arrays = [a if type(a) is Array else Array([[a]]) for a in args[:-1]]
    for a in arrays:
        if type(a) is ExcelError:
            return a
    return elementwise(lambda *vals: _one(f.call(list(vals), ctx.row, ctx.col)), *arrays)


@function("REDUCE", "values, array, any", context=True, programs="excel gsheets", differs=LAMBDA_DIFFERS,
          doc=MS + "reduce-function-42e39910-b345-45f3-84b8-0642b568b7cb")
def REDUCE(ctx, initial, array, fn):
    rows, f = _grid_rows(array), _fn(fn)
    for x in (rows, f):
        if type(x) is ExcelError:
            return x
    acc = 0.0 if initial is MISSING else initial
    for row in rows:
        for v in row:
            acc = f.call([acc, v], ctx.row, ctx.col)
    return acc


@function("SCAN", "values, array, any", context=True, programs="excel gsheets", differs=LAMBDA_DIFFERS,
          doc=MS + "scan-function-d58dfd11-9969-4439-b2dc-e7062724de29")
def SCAN(ctx, initial, array, fn):
    rows, f = _grid_rows(array), _fn(fn)
    for x in (rows, f):
        if type(x) is ExcelError:
            return x
    acc, out = (0.0 if initial is MISSING else initial), []
    for row in rows:
        line = []
        for v in row:
            acc = f.call([acc, v], ctx.row, ctx.col)
            line.append(_one(acc))
        out.append(line)
    return Array(out)


@function("MAKEARRAY", "value, value, any", context=True, programs="excel gsheets", differs=LAMBDA_DIFFERS,
          doc=MS + "makearray-function-b80da5ad-b338-4149-a523-5b221da09097")
def MAKEARRAY(ctx, rows, cols, fn):
    # rows and columns: whole numbers of at least 1 (text, even "1", and 2.3 #VALUE!; TRUE is 1)
    dims = []
    for v in (rows, cols):
        if type(v) is str or v is None:
            return VALUE
        x = float(v) if type(v) in (bool, float) else VALUE
        if type(x) is ExcelError or x < 1 or x != int(x):
            return VALUE
        dims.append(int(x))
    f = _fn(fn)
    if type(f) is ExcelError:
        return f
    from ..ranges import new_array
    new_array(*dims)
    return Array([[_one(f.call([float(i + 1), float(j + 1)], ctx.row, ctx.col)) for j in range(dims[1])]
                  for i in range(dims[0])])


@function("ISOMITTED", "any", programs="excel", differs=LAMBDA_DIFFERS,
          doc=MS + "isomitted-function-831d6fbc-0f07-40c4-9c5b-9c73fd1d60c1")
def ISOMITTED(v):
    return v is MISSING
