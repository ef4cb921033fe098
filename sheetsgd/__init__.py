"""sheetsgd: fast.ai lesson 5's spreadsheets as software.

Build the lecture's workbooks from code (live formulas, already optimised),
check any workbook's formulas with a NumPy evaluator, and ask what-if questions:

    wb = sheetsgd.open("workbooks/graddesc.xlsx")   # simulate.py
    wb.set("adam!lr", 0.1); wb["compare!E104"]
"""
__version__ = "0.1.0"


def open(path, progress=None):      # noqa: A001  (the what-if API's entry: sheetsgd.open)
    """A workbook whose inputs can be changed and whose formulas are computed on demand:
    sheetsgd.simulate.Workbook (set, [], range, formula, sweep, save)."""
    from .simulate import Workbook
    return Workbook(path, progress)
