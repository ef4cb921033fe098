"""One module per workbook: each lays out cells, formulas (beside their NumPy twins), names and charts."""
