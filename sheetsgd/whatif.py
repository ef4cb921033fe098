"""`sheetsgd eval` and `sheetsgd sweep`: what-if questions from the shell, answered by simulate.py.

    sheetsgd eval FILE [--set REF=VALUE]... [--formulas] [--csv] CELLS...
    sheetsgd sweep FILE --vary REF=START..STOP [--steps N] [--log] --watch CELLS... [--out F.csv|F.xlsx]

Every mistake in what is asked (a bad reference, a bad value, a formula cell given to --set, a
range given to --vary) is found before anything is computed or written: one line, exit 2.
"""
import csv
import io
import math
import os
import sys

from .check import show_value
from .errors import SheetsgdError
from .formula.refs import COL_LETTERS, a1, sheet_ref
from .simulate import MAX_CELLS, SimulateError, Workbook, gc_paused, parse_value
from .sweep import MAX_STEPS, cell_text, parse_vary, table_lines
from .sweep import lines as sweep_lines
from .sweep import values as sweep_values


def parse_set(item):
    """"adam!lr=0.1" -> ("adam!lr", "0.1"); a quoted sheet name may hold "=": "'a=b'!A1=2"."""
    text = item.strip()
    start = 0
    if text.startswith("'"):                 # past the quoted sheet name ('' is a quote inside it)
        i = 1
        while i < len(text):
            if text[i] == "'":
                if text[i + 1:i + 2] == "'":
                    i += 2
                    continue
                break
            i += 1
        start = i + 1
    at = text.find("=", start)
    if at <= 0:
        raise SheetsgdError(f"--set {item!r} is not REF=VALUE; e.g. --set adam!lr=0.1")
    return text[:at].strip(), text[at + 1:]


def apply_sets(wb, items):
    """Each --set, checked (reference, value, an input cell) before anything is computed."""
    for item in items:
        ref, value = parse_set(item)
        try:
            wb.set(ref, parse_value(value))
        except SimulateError as e:
            raise SheetsgdError(f"--set {item!r}: {e}") from None


def open_workbook(file, say):
    """The workbook, read sheet by sheet as the cells asked for need them (no progress lines: a
    sweep has its bar, and eval reads a few sheets)."""
    return Workbook(file)


# ---------------------------------------------------------------------------- eval

def run_eval(file, cells, sets=(), formulas=False, as_csv=False, echo=print, say=None, keep=None):
    """Print each of `cells` (a cell, a range or a defined name) computed after the --set changes.
    keep: optional list, given the Workbook (the caller decides when it is freed: see cli.main)."""
    say = say or (lambda m: print(m, file=sys.stderr))
    for item in sets:
        parse_set(item)                      # the syntax of every --set before the file is opened
    with gc_paused(), open_workbook(file, say) as wb:
        if keep is not None:
            keep[:] = [wb]
        apply_sets(wb, sets)
        targets = [(text, wb.block(text)) for text in cells]      # every reference before computing
        if sum((t[3] - t[1] + 1) * (t[4] - t[2] + 1) for _, t in targets) > MAX_CELLS:
            raise SheetsgdError(f"CELLS: more than {MAX_CELLS:,} cells in all; ask for fewer")
        keys = [(s, r, c) for _, (s, r1, c1, r2, c2, _) in targets
                for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]
        values = dict(zip(keys, wb.values(keys)))
        eng = wb._eng
        if as_csv:
            _eval_csv(wb, targets, values, formulas, echo, say, eng)
            return 0
        for text, (s, r1, c1, r2, c2, name) in targets:
            if (r1, c1) == (r2, c2) or formulas:
                for r in range(r1, r2 + 1):
                    for c in range(c1, c2 + 1):
                        echo(_cell_line(wb, eng, s, r, c, values[(s, r, c)], formulas))
            else:
                for line in _range_lines(wb, eng, s, r1, c1, r2, c2, values):
                    echo(line)
    return 0


def _cell_line(wb, eng, s, r, c, v, formulas):
    line = f"{sheet_ref(s, a1(r, c))} = {show_value(v)}"
    why = eng.reasons.get((s, r, c)) if eng is not None else None
    if why is not None:
        line += f"  ({why}; the file has {show_value(wb._file_value((s, r, c)))})"
    if formulas:
        f = wb.formula(sheet_ref(s, a1(r, c)))
        if f is not None:
            line += f"   [{f}]"
        elif (s, r, c) in wb._changes:
            line += f"   [input, set; the file has {show_value(wb._file_value((s, r, c)))}]"
        else:
            line += "   [input]" if v is not None else ""
    return line


def _range_lines(wb, eng, s, r1, c1, r2, c2, values):
    """A range as a table: column letters across, row numbers down, then any cell's note."""
    head = [""] + [COL_LETTERS[c] for c in range(c1, c2 + 1)]
    rows = [[str(r)] + [_short_value(values[(s, r, c)]) for c in range(c1, c2 + 1)] for r in range(r1, r2 + 1)]
    out = [sheet_ref(s, f"{a1(r1, c1)}:{a1(r2, c2)}")] + table_lines(head, rows)
    for r in range(r1, r2 + 1):
        for c in range(c1, c2 + 1):
            why = eng.reasons.get((s, r, c)) if eng is not None else None
            if why is not None:
                out.append(f"  {sheet_ref(s, a1(r, c))}: {why}; the file has "
                           f"{show_value(wb._file_value((s, r, c)))}")
    return out


def _short_value(v):
    return "" if v is None else show_value(v)


def _eval_csv(wb, targets, values, formulas, echo, say, eng):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["cell", "value"] + (["formula"] if formulas else []))
    for text, (s, r1, c1, r2, c2, _) in targets:
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                ref = sheet_ref(s, a1(r, c))
                row = [ref, cell_text(values[(s, r, c)])]
                if formulas:
                    row.append(wb.formula(ref) or "")
                w.writerow(row)
                why = eng.reasons.get((s, r, c)) if eng is not None else None
                if why is not None:
                    say(f"note: {ref}: {why}")
    for line in buf.getvalue().splitlines():
        echo(line)


# ---------------------------------------------------------------------------- sweep

def check_sweep_options(vary, steps, log, watch, out):
    """Everything that can be checked without the file: -> (ref, start, stop, values)."""
    ref, start, stop = parse_vary(vary)
    if ":" in ref.rpartition("!")[2]:
        raise SheetsgdError(f"--vary {vary!r}: {ref!r} is a range; --vary takes one input cell or a name "
                            f"of one, e.g. --vary adam!lr=1e-3..10")
    if not 1 <= steps <= MAX_STEPS:
        raise SheetsgdError(f"--steps {steps}: expected 1 to {MAX_STEPS:,}")
    if log and not (start > 0 and stop > 0):
        raise SheetsgdError(f"--vary {vary!r} with --log: START and STOP must be > 0")
    if not watch:
        raise SheetsgdError("nothing to watch: give --watch CELLS (cells or ranges), e.g. --watch compare!E104")
    if out is not None and os.path.splitext(os.fspath(out))[1].lower() not in (".csv", ".xlsx"):
        raise SheetsgdError(f"--out {os.fspath(out)}: expected a file name ending in .csv or .xlsx")
    values = sweep_values(start, stop, steps, log)
    if not all(math.isfinite(v) for v in values):
        raise SheetsgdError(f"--vary {vary!r}: the values are not all finite numbers")
    return ref, values


def run_sweep(file, vary, steps, log, watch, out=None, sets=(), echo=print, say=None, progress=None, keep=None):
    say = say or (lambda m: print(m, file=sys.stderr))
    ref, values = check_sweep_options(vary, steps, log, watch, out)
    for item in sets:
        parse_set(item)
    with gc_paused(), open_workbook(file, say) as wb:
        if keep is not None:
            keep[:] = [wb]
        apply_sets(wb, sets)
        try:
            wb.input_cell(ref)
        except SimulateError as e:
            raise SheetsgdError(f"--vary {vary!r}: {e}") from None
        for w in watch:
            wb.block(w)
        result = wb.sweep(ref, values, watch, progress=progress)
    if out is None:
        for line in sweep_lines(result):
            echo(line)
    else:
        result.write(out, log=log, source=file)
        echo(f"wrote {out}  ({len(result.inputs)} values of {result.asked} x {len(result.watch)} "
             f"watched cell{'s' if len(result.watch) != 1 else ''})")
    return 0
