"""sheetsgd: fast.ai lesson 5's spreadsheets as software.

Build the lecture's workbooks from code (live formulas, already optimised) and
check any workbook's formulas with a NumPy evaluator.
"""
__version__ = "0.1.0"
