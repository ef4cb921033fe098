"""The function registry: one entry per Excel function, holding every fact about it.

A function is written once, in the module of its Excel category (math.py, lookup.py, ...):

    @function("ROUND", "number, integer", doc=MS + "round-function-c018c5d8-40fb-4053-90b1-b3e7f61a213c")
    def ROUND(x, digits):
        ...

The second argument says how each argument is taken (its kind, below); the engine converts
the arguments accordingly, propagates their errors, applies the function element by element
when it is given arrays where it takes single values, and turns an infinite or NaN result
into #NUM!. Everything else the evaluator and the lint need to know is an option of the entry:

    doc         Microsoft's documentation page of the function (required)
    programs    which of Excel, LibreOffice and Google Sheets have it with the same arguments
                (the portability lint flags the others); default: all three
    differs     how a program computes it differently, for the lint (e.g. SUMXMY2's blanks)
    volatile    recomputed on every change in Excel (RAND, NOW): its cached value is kept
    context     the implementation takes the evaluation context first (position, book, ...)
    vector      the NumPy form used on filled-down blocks (formula/vector.py), if any
    reference   it may give a reference (OFFSET, INDEX, INDIRECT): where a value is wanted,
                the reference is read (intersected, or as an array)
    closure     closure(args) -> fn(row, col): how the compiler calls it, given its compiled
                arguments, when the generic call would be slow or wrong (IF computes only the
                branch it chooses, element by element for an array of conditions)

Argument kinds (a spec string, comma-separated; "kind?" may be left out, "kind..." repeats,
"(kind, kind)..." repeats a group):
    number    a single value converted to a number ("3" -> 3, TRUE -> 1, blank -> 0)
    integer   a number truncated toward zero
    text      a single value converted to text (2.5 -> "2.5", TRUE -> "TRUE")
    logical   a single value converted to TRUE/FALSE (0 -> FALSE, "TRUE" -> TRUE)
    value     a single value as it is (blank is None); an error stops the call
    any       a single value as it is, errors included (ISERROR, IFERROR)
    array     every value of a range or array, as an Array (a single value as 1x1)
    values    a reference as a reference (a Range: read only what it holds), an array as an
              Array, a single value as it is: SUM, COUNT and the other aggregates
    range     a reference, required (else #VALUE!): SUMIF's ranges, OFFSET's base
    address   a reference whose position is used, never its cells (ROW, COLUMNS): reading
              ROW(A4) in A4 is not circular
    lazy      the argument unevaluated: a function of no arguments that computes it (IF's
              branches: only the chosen one is computed)
A single-value kind given a range in a plain (non-array) formula takes the cell on the
formula's row or column (Excel's implicit intersection); in an array formula, or given an
array, the function is applied to each element. An argument left empty (ROUND(2.5,)) is 0,
"" or FALSE for number, text and logical kinds, and MISSING for the others.
"""
import re
from dataclasses import dataclass
from typing import Callable, Optional, Tuple

from ..values import (DIV0, MISSING, NA, NUM, VALUE, Array, ExcelError, to_bool, to_integer, to_number,
                      to_text)

MS = "https://support.microsoft.com/en-us/office/"
MS_EXCEL = "https://support.microsoft.com/en-us/excel/"      # + "dec2bin-function": the same pages by name
ALL_PROGRAMS = frozenset({"excel", "libreoffice", "gsheets"})
MAX_ARGS = 255                  # Excel's limit on the arguments of one call

REGISTRY = {}                   # NAME -> Function


# ---------------------------------------------------------------- argument kinds
def _as_is(v):
    return v


def _value(v):
    return v            # an error stops the call (see Kind.errors)


@dataclass(frozen=True)
class Kind:
    name: str
    mode: str                       # how the argument's formula is computed: value, array, ref, lazy
    convert: Optional[Callable]     # single-value kinds: the conversion; None for the others
    errors: bool = True             # an error value (after conversion) stops the call
    empty: object = MISSING         # what an argument left empty becomes


KINDS = {k.name: k for k in (
    Kind("number", "value", to_number, empty=0.0),
    Kind("integer", "value", to_integer, empty=0.0),
    Kind("text", "value", to_text, empty=""),
    Kind("logical", "value", to_bool, empty=False),
    Kind("value", "value", _value),
    Kind("any", "value", _as_is, errors=False),
    Kind("array", "array", None, errors=False),
    Kind("values", "ref", None, errors=False),
    Kind("range", "ref", None, errors=False),
    Kind("address", "ref", None, errors=False),
    Kind("lazy", "lazy", None, errors=False),
)}
SCALAR_KINDS = frozenset(name for name, k in KINDS.items() if k.convert is not None)

_SPEC_ITEM = re.compile(r"\s*(\((?P<group>[^)]*)\)\.\.\.|(?P<kind>[a-z]+)(?P<mark>\?|\.\.\.)?)\s*(?:,|$)")


def parse_spec(spec):
    """'number, integer?' -> (kinds, required count, repeat): kinds a tuple of Kind; the last
    `repeat` kinds may repeat (0: no repeating)."""
    kinds, required, repeat, pos = [], 0, 0, 0
    spec = spec.strip()
    while pos < len(spec):
        m = _SPEC_ITEM.match(spec, pos)
        if m is None or m.end() == pos:
            raise ValueError(f"bad argument spec {spec!r} at {pos}")
        if repeat:
            raise ValueError(f"bad argument spec {spec!r}: only the last kinds may repeat")
        if m.group("group"):
            group = [KINDS[k.strip()] for k in m.group("group").split(",")]
            kinds.extend(group)
            repeat = len(group)
        else:
            kinds.append(KINDS[m.group("kind")])
            mark = m.group("mark")
            if mark == "...":
                repeat = 1
                if not kinds[:-1] or len(kinds) - 1 == required:
                    required = len(kinds)       # SUM(x...): at least one
            elif mark is None:
                if required != len(kinds) - 1:
                    raise ValueError(f"bad argument spec {spec!r}: a required argument after an optional one")
                required = len(kinds)
        pos = m.end()
    return tuple(kinds), required, repeat


# ---------------------------------------------------------------- entries
@dataclass(frozen=True)
class Function:
    name: str
    impl: Callable
    kinds: Tuple[Kind, ...]
    required: int
    repeat: int
    category: str
    doc: str
    programs: frozenset = ALL_PROGRAMS
    differs: Optional[str] = None
    volatile: bool = False
    context: bool = False
    vector: Optional[Callable] = None
    closure: Optional[Callable] = None
    reference: bool = False

    @property
    def max_args(self):
        return MAX_ARGS if self.repeat else len(self.kinds)

    def kind(self, i):
        """The kind of argument i (0-based), repeating groups unrolled."""
        n = len(self.kinds)
        if i < n:
            return self.kinds[i]
        start = n - self.repeat
        return self.kinds[start + (i - start) % self.repeat]

    def accepts(self, nargs):
        if nargs < self.required or nargs > self.max_args:
            return False
        if self.repeat > 1 and nargs > len(self.kinds):     # groups come whole: SUMIFS(s, r, c, r)
            return (nargs - len(self.kinds)) % self.repeat == 0
        return True

    @property
    def lazy(self):
        """Has lazy arguments: the implementation applies itself to arrays (IF, CHOOSE)."""
        return any(k.mode == "lazy" for k in self.kinds)

    @property
    def address_only(self):
        """Positions whose references are only located, not read (for dependencies)."""
        return frozenset(i for i, k in enumerate(self.kinds) if k.name == "address")


def registrar(category):
    """The @function decorator of one category's module."""
    def function(names, spec="", *, doc, programs=ALL_PROGRAMS, differs=None, volatile=False,
                 context=False, vector=None, closure=None, reference=False):
        kinds, required, repeat = parse_spec(spec)
        if isinstance(programs, str):
            programs = frozenset(programs.split())

        def deco(impl):
            for name in names.split():
                if name in REGISTRY:
                    raise ValueError(f"function {name} registered twice")
                REGISTRY[name] = Function(name, impl, kinds, required, repeat, category, doc,
                                          frozenset(programs), differs, volatile, context, vector, closure,
                                          reference)
            return impl
        return deco
    return function


# ---------------------------------------------------------------- calling
def result(v):
    """A function's result as a value: inf/nan -> #NUM!, ints and NumPy scalars -> float/bool."""
    t = type(v)
    if t is float:
        return v if v - v == 0.0 else NUM
    if t is str or t is bool or t is ExcelError or v is None or t is Array:
        return v
    if t is int:
        return float(v)
    if hasattr(v, "dtype"):           # a NumPy scalar
        if v.dtype.kind == "b":
            return bool(v)
        return result(float(v))
    return v


def apply(f, impl, args):
    """Call impl(*args) with Excel's error rules for Python exceptions: dividing by zero is
    #DIV/0!, an overflow or a domain error (math.sqrt(-1)) #NUM!."""
    try:
        return result(impl(*args))
    except ZeroDivisionError:
        return DIV0
    except (OverflowError, ValueError):
        return NUM


def convert_scalars(f, args):
    """Each single-value argument converted by its kind; the first error stopping the call, or
    the converted list."""
    out = list(args)
    for i, v in enumerate(args):
        k = f.kind(i)
        conv = k.convert
        if conv is None:
            if type(v) is ExcelError and k.mode == "array":
                return v                    # SUMPRODUCT(#REF!): the error, not an array of it
            continue
        if v is MISSING:
            out[i] = k.empty if k.empty is not MISSING else MISSING
            continue
        x = conv(v)
        if k.errors and type(x) is ExcelError:
            return x
        out[i] = x
    return out


def broadcast(fn, args, lifted):
    """Apply fn(*values) element by element over the Array arguments at positions `lifted`
    (Excel's array rules: 1x1 and single rows/columns stretch; beyond a smaller array #N/A)."""
    arrays = [args[i] for i in lifted]
    h = max(a.shape[0] for a in arrays)
    w = max(a.shape[1] for a in arrays)
    from ..ranges import Range, new_array
    new_array(h, w)
    out = []
    for i in range(h):
        row = []
        for j in range(w):
            vals = list(args)
            bad = False
            for p in lifted:
                a = args[p]
                ah, aw = a.shape
                ii = 0 if ah == 1 else i
                jj = 0 if aw == 1 else j
                if ii >= ah or jj >= aw:
                    bad = True
                    break
                vals[p] = a.rows[ii][jj]
            v = NA if bad else fn(vals)
            if type(v) is Range:          # INDEX(..., {1,2}): each element a cell's value
                v = v.first() if v.size == 1 else VALUE
            row.append(v)
        out.append(row)
    return Array(out)


def call(f, args, ctx=None):
    """f applied to already computed arguments (references already taken as each kind wants):
    single-value arguments converted, arrays among them applied element by element."""
    if not f.accepts(len(args)):
        return VALUE
    lifted = [i for i, v in enumerate(args) if type(v) is Array and f.kind(i).convert is not None]

    def one(vals):
        conv = convert_scalars(f, vals)
        if type(conv) is ExcelError:
            return conv
        return apply(f, f.impl, [ctx, *conv] if f.context else conv)

    if lifted and not f.lazy:
        return broadcast(one, args, lifted)
    return one(args)


def lookup(name):
    """The registry entry of a function name as written in a formula (_xlfn. prefixes removed)."""
    return REGISTRY.get(name)


def check_registry():
    """Facts every entry must have; raises ValueError naming the first bad entry."""
    for name, f in REGISTRY.items():
        if not f.doc.startswith("https://"):
            raise ValueError(f"{name}: doc must be a link to Microsoft's documentation")
        if not f.programs <= ALL_PROGRAMS or "excel" not in f.programs:
            raise ValueError(f"{name}: programs must include excel and name only excel, libreoffice, gsheets")
    return True

