"""A sweep: one input of a workbook run over a range of values, some cells watched (the lr finder
done on the sheet itself). Workbook.sweep (simulate.py) makes one; this file holds the result
and writes it: a table on the terminal, CSV, or an .xlsx with the table and a chart (writer.py).

    s = wb.sweep("adam!lr", values(1e-3, 10, 20, log=True), ["compare!E104"])
    s.inputs, s.watch, s.rows          # the values set, the cells watched, one row of values per input
    s.to_frame()                       # with pandas installed
    s.write("sweep.xlsx")              # or .csv
"""
import csv
import math
import os

from .errors import SheetsgdError
from .formula.values import ExcelError

MAX_STEPS = 10_000


class Sweep:
    def __init__(self, input_ref, asked, inputs, watch, rows, headers=None):
        self.input = input_ref        # "adam!I4": the cell varied
        self.asked = asked            # as it was asked for: "adam!lr"
        self.inputs = list(inputs)
        self.watch = list(watch)      # ["compare!E104", ...]
        self.rows = [list(r) for r in rows]
        self.headers = list(headers) if headers else [None] * len(self.watch)   # "adam": the text above

    def __repr__(self):
        return f"<Sweep of {self.asked} over {len(self.inputs)} values, watching {', '.join(self.watch)}>"

    def to_frame(self):
        """A pandas DataFrame: one row per input value (the index), one column per watched cell."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("to_frame() needs pandas: pip install pandas") from None
        return pd.DataFrame(self.rows, index=pd.Index(self.inputs, name=self.asked), columns=self.watch)

    def write(self, path, log=False, source=None):
        """Write the sweep to a .csv or an .xlsx (table and chart), atomically."""
        ext = os.path.splitext(os.fspath(path))[1].lower()
        if ext == ".csv":
            write_csv(self, path)
        elif ext == ".xlsx":
            write_xlsx(self, path, log=log, source=source)
        else:
            raise SheetsgdError(f"--out {os.fspath(path)}: expected a file name ending in .csv or .xlsx")
        return path


def values(start, stop, steps, log=False):
    """steps values from start to stop (both included), evenly spaced, or on a log scale."""
    import numpy as np
    if steps == 1:
        return [float(start)]
    if log:
        return [float(v) for v in np.geomspace(start, stop, steps)]
    return [float(v) for v in np.linspace(start, stop, steps)]


def parse_vary(text):
    """"adam!lr=1e-3..10" -> ("adam!lr", 0.001, 10.0); one-line errors naming the text."""
    ref, sep, span = text.rpartition("=")
    if not sep or not ref.strip():
        raise SheetsgdError(f"--vary {text!r} is not REF=START..STOP; e.g. --vary adam!lr=1e-3..10")
    start, dots, stop = span.partition("..")
    if not dots:
        raise SheetsgdError(f"--vary {text!r}: {span!r} is not START..STOP; e.g. --vary adam!lr=1e-3..10")
    out = []
    for part in (start, stop):
        try:
            v = float(part)
        except ValueError:
            raise SheetsgdError(f"--vary {text!r}: {part.strip()!r} is not a number") from None
        if not math.isfinite(v):
            raise SheetsgdError(f"--vary {text!r}: {part.strip()!r} is not a finite number")
        out.append(v)
    return ref.strip(), out[0], out[1]


# ---------------------------------------------------------------------------- output

def cell_text(v):
    """A value for a table or CSV: numbers at full precision, TRUE/FALSE, error codes, text as it is."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        return repr(v)
    return str(v)


def table_lines(header, rows):
    """Rows of text as aligned columns (the first left-aligned, the rest right-aligned)."""
    widths = [max(len(x) for x in col) for col in zip(header, *rows)]
    fmt = lambda row: "  ".join(x.ljust(w) if i == 0 else x.rjust(w)  # noqa: E731
                                for i, (x, w) in enumerate(zip(row, widths))).rstrip()
    return [fmt(header)] + [fmt(r) for r in rows]


def lines(sweep):
    header = [sweep.asked] + sweep.watch
    return table_lines(header, [[cell_text(x)] + [cell_text(v) for v in row]
                                for x, row in zip(sweep.inputs, sweep.rows)])


def write_csv(sweep, path):
    from .atomic import atomic_path
    with atomic_path(path) as tmp:
        with open(tmp, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow([sweep.asked] + sweep.watch)
            for x, row in zip(sweep.inputs, sweep.rows):
                w.writerow([cell_text(x)] + [cell_text(v) for v in row])


def write_xlsx(sweep, path, log=False, source=None):
    """The table (inputs down column A, one column per watched cell) and a chart of every watched
    cell against the input (log axes where the values span decades and are all positive)."""
    from .writer import Workbook
    n, k = len(sweep.inputs), len(sweep.watch)
    first = 5                                    # 0-based row of the first value
    with Workbook(path, title=f"sweep of {sweep.asked}", subject="sheetsgd sweep") as wb:
        s = wb.sheet("sweep")
        s.title("A1", f"sweep: {sweep.asked} from {cell_text(sweep.inputs[0])} to {cell_text(sweep.inputs[-1])}"
                      f", {n} values{' on a log scale' if log else ''}")
        s.note("A2", f"Each row: {os.path.basename(source) if source else 'the workbook'} recomputed by its own "
                     f"formulas with {sweep.asked}" + (f" ({sweep.input})" if sweep.input != sweep.asked else "")
                + " set to the row's value (sheetsgd sweep).")
        s.note("A3", "Errors (#NUM!: a number overflowed, the optimizer diverged) are gaps in the chart.")
        s.header((first - 1, 0), sweep.asked)
        for j, (w, h) in enumerate(zip(sweep.watch, sweep.headers)):
            s.header((first - 1, j + 1), f"{h} ({w})" if h else w)
        for i, (x, row) in enumerate(zip(sweep.inputs, sweep.rows)):
            s.ws.write_number(first + i, 0, x)
            for j, v in enumerate(row):
                _write_value(s, first + i, j + 1, v)
        longest = max(len(w) + len(h or "") + 3 for w, h in zip([sweep.asked] + sweep.watch, [None] + sweep.headers))
        s.widths(0, k, max(18, 1.2 * longest + 2))       # bold headers are wider than their characters
        numbers = [v for row in sweep.rows for v in row if isinstance(v, float) and not isinstance(v, bool)]
        if numbers:
            chart = wb.chart("scatter", "straight_with_markers")
            for j, w in enumerate(sweep.watch):
                chart.add_series({"name": ["sweep", first - 1, j + 1],
                                  "categories": ["sweep", first, 0, first + n - 1, 0],
                                  "values": ["sweep", first, j + 1, first + n - 1, j + 1],
                                  "marker": {"type": "circle", "size": 5}})
            chart.set_title({"name": ["sweep", 0, 0], "name_font": {"size": 11}})      # texts from cells: a
            x_axis = {"name": ["sweep", first - 1, 0], "major_gridlines": {"visible": True}}  # "a!B1" is a reference
            xs = [x for x in sweep.inputs if isinstance(x, float)]
            if log and xs and min(xs) > 0:
                x_axis["log_base"] = 10
            else:
                x_axis["min"], x_axis["max"] = min(xs), max(xs)
            chart.set_x_axis(x_axis)
            y_axis = {"name": "value"}
            if min(numbers) > 0 and max(numbers) / min(numbers) >= 100:
                y_axis["log_base"] = 10
            chart.set_y_axis(y_axis)
            chart.set_legend({"position": "bottom"} if k > 1 else {"none": True})
            chart.set_size({"width": 720, "height": 420})
            s.ws.insert_chart(first - 1, k + 2, chart)
        s.freeze((first, 1))


def _write_value(s, r, c, v):
    if isinstance(v, bool):
        s.ws.write_boolean(r, c, v)
    elif isinstance(v, float):
        s.ws.write_number(r, c, v)          # as computed (writer's number() rounds inputs to 15 digits)
    elif isinstance(v, ExcelError):
        s.ws.write_formula(r, c, f"={v.code}" if v.code != "#N/A" else "=NA()", None, v.code)
    elif isinstance(v, str):
        s.text((r, c), v)
