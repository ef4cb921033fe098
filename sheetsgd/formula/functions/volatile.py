"""Volatile functions: Excel recomputes them on every change, so their values cannot be repeated.

The engine never computes them: a cell using one keeps the value the file caches and is
reported "not checkable: volatile ..."; the cells computed from it are checked from that value.
"""
from ..values import NAME
from .registry import MS, registrar

function = registrar("volatile")


def _never(*args):
    return NAME       # not reached: the engine keeps the cached value of a volatile cell


function("RAND", "", volatile=True, doc=MS + "rand-function-4cbfa695-8869-4788-8d90-021ea9f5be73")(_never)
function("RANDBETWEEN", "number, number", volatile=True,
         doc=MS + "randbetween-function-4cc7f0d1-87dc-4eb7-987f-a469ab381685")(_never)
function("RANDARRAY", "number?, number?, number?, number?, logical?", volatile=True,
         programs="excel gsheets", doc=MS + "randarray-function-21261e55-3bec-4885-86a6-8b0a47fd4d33")(_never)
function("NOW", "", volatile=True, doc=MS + "now-function-3337fd29-145a-4347-b2e6-20c904739c46")(_never)
function("TODAY", "", volatile=True, doc=MS + "today-function-5eb3078d-a82c-4736-8930-2f51a028fdd9")(_never)
