"""LAMBDA: functions a formula makes, names bound to them, and Excel's functions as values.

    =LAMBDA(x, y, x+y)(1, 2)            a LAMBDA called where it is made
    =MYLAMBDA(2, 1, 2)                  a defined name whose formula is a LAMBDA, called
    =LET(f, LAMBDA(x, x*2), f(3))       a LET name bound to one
    =BYROW(A1:C3, _xleta.SUM)           Excel's SUM as a value (an "eta lambda")

A LAMBDA compiles like LET: each parameter is a slot its body reads; calling it fills the
slots with the arguments (references stay references), computes the body at the calling
cell, and puts the slots back as they were (so a LAMBDA can be called inside its own call's
arguments). The helpers that take one (MAP, REDUCE, SCAN, BYROW, BYCOL, MAKEARRAY) are in
functions/logical.py. A LAMBDA left uncalled in a cell is #CALC!, as Excel shows it.
"""
from .parser import Missing, Name
from .values import CALC, MISSING, VALUE, ExcelError


class Lambda:
    """A function value: params (slots) and body (fn(row, col)), or a registry entry (eta)."""
    __slots__ = ("slots", "body", "entry")

    def __init__(self, slots, body, entry=None):
        self.slots, self.body, self.entry = slots, body, entry

    def __repr__(self):
        return f"<LAMBDA {self.entry.name if self.entry else len(self.slots)}>"

    def call(self, args, r, c):
        """The value of the function for these arguments at the cell (r, c)."""
        if self.entry is not None:
            from .functions.registry import call
            if self.entry.context or self.entry.lazy or self.entry.closure is not None:
                return VALUE
            return call(self.entry, list(args))
        slots = self.slots
        if len(args) > len(slots):
            return VALUE
        old = [s[0] for s in slots]
        try:
            for i, s in enumerate(slots):
                s[0] = args[i] if i < len(args) else MISSING
            return self.body(r, c)
        finally:
            for s, v in zip(slots, old):
                s[0] = v


def compile_lambda(compiler, n, array, st, depth):
    """LAMBDA(p1, ..., body) -> a closure giving a Lambda."""
    from .compiler import const
    params, body_node = n.args[:-1], n.args[-1] if n.args else None
    if body_node is None or any(type(p) is not Name or p.sheet or p.book for p in params):
        return const(VALUE)
    saved = dict(st.let) if st.let else {}
    st.let = dict(saved)
    slots = []
    for p in params:
        slot = [MISSING]
        slots.append(slot)
        st.let[p.name] = slot
    body = compiler.node(body_node, array, False, st, depth + 1)
    st.let = saved
    st.positional = True
    made = Lambda(slots, body)
    return lambda r, c: made


def compile_invoke(compiler, callee, arg_nodes, array, st, depth):
    """callee(args...): callee a closure giving a Lambda; the arguments as references."""
    from .compiler import const
    args = [const(MISSING) if type(a) is Missing else compiler.node(a, array, True, st, depth + 1)
            for a in arg_nodes]
    st.positional = True

    def invoked(r, c):
        f = callee(r, c)
        if type(f) is not Lambda:
            return f if type(f) is ExcelError else VALUE
        return f.call([a(r, c) for a in args], r, c)
    return invoked


def is_callable_name(compiler, name, st):
    """Is a function name not in the registry a LET/LAMBDA local or a defined name (a LAMBDA)?"""
    if st.let and name in st.let:
        return True
    text = compiler.engine.name_text(name, compiler.sheet)
    return text is not None


def eta(entry):
    """Excel's own function as a value (_xleta.SUM)."""
    made = Lambda((), None, entry)
    return lambda r, c: made


def uncalled(fn):
    """A cell's formula that is a LAMBDA itself: #CALC!."""
    def top(r, c):
        v = fn(r, c)
        return CALC if type(v) is Lambda else v
    return top
