"""The math of each workbook in NumPy, no spreadsheet in sight: what every formula cell must equal."""
