"""NumPy, imported the first time it is used.

`import numpy` costs ~0.1 s of CPU, a fifth of what `sheetsgd eval` of one cell takes; the
formulas a what-if question needs are often computed without it (the NumPy path is for long
runs). Modules whose NumPy use is only inside functions import `np` from here instead:

    from .lazy_numpy import np      # np.abs(x) imports numpy on first use, then costs a lookup
"""


class _NumPy:
    __slots__ = ()

    def __getattr__(self, name):
        import numpy
        return getattr(numpy, name)

    def __repr__(self):
        return "<numpy, imported when first used>"


np = _NumPy()
