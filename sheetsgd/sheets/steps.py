"""One row = one SGD step: the layout every optimizer sheet of graddesc.xlsx shares.

An optimizer sheet (the lecture's basic ... adam_ann, PyTorch's sgd_torch, adam_torch, one_cycle)
is one long table, one row per step on one data point, epochs stacked one under the other. A row
takes a and b (and the running averages) from the row above, so epoch e simply continues from
epoch e-1's last row: what the original's "run" macro did by copying values, here done by formulas
that recompute when the student edits lr, beta or the data. Beside it, an epoch table (RMSE, a, b,
lr per epoch), the results of the last epoch on top, and a chart.

Columns are written as (key, header, formula, meaning). The key names the value the NumPy twin in
sheetsgd.models computes (run.rows[key] per step, run.epochs[key] per epoch); in the formula
    {key}    is this row's cell of that column,
    {key^}   the row above's (on the very first row: the start cell, see step_rows),
    {d}      the 1-based row of this step's data point on the data sheet,
    {lr}     this step's learning rate (a name, or a cell),
and in the epoch table's formulas
    {first key} / {last key}   the epoch's first / last step row of a step column,
    {key} / {key^}             this epoch's / the epoch above's cell of an epoch column.
"""
import numpy as np

from ..writer import Formula, Number, RowShape, a1, cell_value, col_name

FIRST = 7          # 0-based row of the first step (Excel row 8); the header is the row above
HEADER = FIRST - 1
DATA_FIRST = 7     # 0-based row of the first data point on the data sheet

# The lecture's per-row columns: the data point, the weights, the prediction, the gradients.
HEAD = [
    ("x", "x", "=data!B{d}", "a data point"),
    ("y", "y", "=data!C{d}", "its target"),
    ("b", "b", "={new_b^}", "b where the last step left it"),
    ("a", "a", "={new_a^}", "a where the last step left it"),
    ("pred", "pred", "={b}+{a}*{x}", "prediction b + a*x"),
    ("dedb", "de/db", "=2*({a}*{x}+{b}-{y})", "gradient 2(ax+b-y)"),
    ("deda", "de/da", "={dedb}*{x}", "gradient x*de/db"),
]
ERR2 = ("err2", "err^2", "=({y}-{pred})^2", "squared error")

# The epoch table every optimizer sheet has: (key, header, formula, NumPy twin in run.epochs).
EPOCH = [
    ("epoch", "epoch", None, None),
    ("RMSE", "RMSE", "=SQRT(AVERAGE({first err2}:{last err2}))", "rmse"),
    ("a", "a", "={last new_a}", "a"),
    ("b", "b", "={last new_b}", "b"),
    ("lr", "lr", "=lr", "lr"),
]


# How many decimals each column shows (the cells keep full precision): weights to 4, the rest to 2,
# an RMSE or a learning rate that runs down to 1e-5 and below, or a square up to 1e8, in
# scientific notation.
W4 = "0.0000"
D2 = "0.00"
SMALL = "[<0.001]0.00E+00;0.0000"       # RMSE, norms, learning rates: >= 0, down to 1e-5 and less
SQUARE = "[>=1000000]0.00E+00;0.00"     # averages of squared gradients: up to 1e8 early on
FORMATS = {
    "x": "0", "y": "0", "b": W4, "a": W4, "new_b": W4, "new_a": W4, "pred": D2,
    "err2": D2, "errb1": D2, "erra1": D2, "est_dedb": D2, "est_deda": D2, "dedb": D2, "deda": D2,
    "m_b": D2, "m_a": D2, "v_b": SQUARE, "v_a": SQUARE, "buf_b": D2, "buf_a": D2,
    "mh_b": D2, "mh_a": D2, "vh_b": SQUARE, "vh_a": SQUARE, "lr": SMALL, "beta1": "0.000",
    # the epoch tables
    "RMSE": SMALL, "lecture_rmse": SMALL, "grad norm": SMALL, "best norm": SMALL, "ratio": D2,
}


def start_inputs(s, start):
    """start b and start a, the first row's weights (C4, C5); returns {key: cell} for step_rows."""
    s.text("B4", "start b", "label")
    s.input("C4", start["b"])
    s.text("B5", "start a", "label")
    s.input("C5", start["a"])
    return {"new_b": "$C$4", "new_a": "$C$5"}


def named_inputs(s, labels, values, col, ref_sheet=None):
    """Hyperparameters two to a column pair from `col` (rows 4-5): a label, a yellow input, a
    sheet-scoped name. labels: {name: label}; values: {name: value}."""
    for i, (k, label) in enumerate(labels.items()):
        r, c = 3 + i % 2, col + 3 * (i // 2)
        s.text((r, c), label, "label")
        s.input((r, c + 1), values[k])
        s.define_name(k, f"{ref_sheet or s.name}!{a1(r, c + 1, True, True)}")


def headers(s, lead, cols, where):
    """The step table's header row: the lead columns (epoch, step, ...), then one per column."""
    for j, head in enumerate(lead):
        s.header((HEADER, j), head)
    for k, head, _, _ in cols:
        s.header((HEADER, where[k]), head)


def step_rows(s, cols, where, rows, nrows, epochs, start, names=None, count=False, epoch_start=None):
    """Write every step: epoch, step (and the running step count t when `count`), then each
    column's formula with the value its twin computed (rows[key][n]).

    where: {key: column} of every cell a formula may name; start: {key: cell} that a {key^} of the
    very first row reads; names: {key: a name, or f(e) -> epoch e's cell} for the {key}s that are
    no column of the table ({lr} is the name lr unless said otherwise); epoch_start: {key: formula}
    instead of the column's for the first row of epochs 2, 3, ... (the lecture's macro)."""
    names = {"lr": "lr", **(names or {})}
    per_epoch = {k: v for k, v in names.items() if callable(v)}
    # Each column's formula compiled once: {0} this row's number, {1} the row above's, {2} the data
    # row, {3}... the epoch's names; the very first row reads the start cells instead.
    slots = {k: f"{col_name(c)}{{0}}" for k, c in where.items()}
    slots.update({k + "^": f"{col_name(c)}{{1}}" for k, c in where.items()})
    slots["d"] = "{2}"
    slots.update({k: v for k, v in names.items() if not callable(v) and k not in where})
    slots.update({k: f"{{{3 + j}}}" for j, k in enumerate(per_epoch)})
    compiled = [(where[k], f.format_map(slots), rows[k]) for k, _, f, _ in cols]
    rowhead = s._fmt("rowhead")
    fmts = [s._fmt("formula", FORMATS.get(k)) for k, _, _, _ in cols]
    lead = [(0, rowhead, None), (1, rowhead, None)] + ([(2, rowhead, None)] if count else [])
    shape = RowShape(lead + [(c, fmt, text) for (c, text, _), fmt in zip(compiled, fmts)])
    values = np.array([v for _, _, v in compiled], dtype=float).T          # steps x columns
    finite = np.isfinite(values).all(axis=1).tolist()
    values = values.tolist()
    n = 0
    for e in range(epochs):
        epoch_names = [v(e) for v in per_epoch.values()]
        for i in range(nrows):
            r = FIRST + n
            counts = [float(e + 1), float(i + 1)] + ([float(n + 1)] if count else [])
            restart = i == 0 and e > 0 and bool(epoch_start)       # the lecture's macro: its own formulas
            if n and finite[n] and not restart:
                s.ws.put_run(r, shape.run(r, (r + 1, r, DATA_FIRST + i + 1, *epoch_names), counts + values[n]))
                n += 1
                continue
            cells = [(j, Number(v, rowhead)) for j, v in enumerate(counts)]
            if n == 0 or restart:
                refs = {k: a1(r, c) for k, c in where.items()}
                refs.update({k + "^": a1(r - 1, c) if n else start.get(k) for k, c in where.items()})
                refs["d"] = DATA_FIRST + i + 1
                for k, v in names.items():
                    refs.setdefault(k, v(e) if callable(v) else v)
                texts = [(epoch_start[k] if restart and k in epoch_start else f).format_map(refs)
                         for k, _, f, _ in cols]
            else:
                texts = [text.format(r + 1, r, DATA_FIRST + i + 1, *epoch_names) for _, text, _ in compiled]
            cells += [(c, Formula(text[1:], fmt, cell_value(v)))
                      for (c, _, _), fmt, text, v in zip(compiled, fmts, texts, values[n])]
            s.ws.put_row(r, cells)
            n += 1
    return n


def epoch_rows(s, ecols, ec, epochs, nrows, where, values, first=None, extra=None):
    """The epoch table, one row per epoch: ecols as EPOCH (a None formula writes the epoch number);
    first: {key: formula} for the first epoch's row; extra(e) -> more refs for epoch e."""
    for e in range(epochs):
        r = FIRST + e
        top, last = FIRST + e * nrows, FIRST + (e + 1) * nrows - 1
        refs = {f"first {k}": a1(top, c) for k, c in where.items()}
        refs.update({f"last {k}": a1(last, c) for k, c in where.items()})
        refs.update({k: a1(r, c) for k, c in ec.items()})
        refs.update({k + "^": a1(r - 1, c) for k, c in ec.items()})
        if extra:
            refs.update(extra(e))
        for k, _, f, twin in ecols:
            if f is None:
                s.number((r, ec[k]), e + 1, style="rowhead")
                continue
            if e == 0 and first and k in first:
                f = first[k]
            s.formula((r, ec[k]), f.format_map(refs), values[twin][e], FORMATS.get(k, FORMATS.get(twin)))


def results_on_top(s, col, epochs, ec, run):
    """"after N epochs:" RMSE, a and b of the last epoch, in green above the epoch table."""
    last_e = FIRST + epochs - 1
    s.text((3, col), f"after {epochs} epochs:", "label")
    for j, k in enumerate(("RMSE", "a", "b")):
        s.text((4, col + 1 + j), k, "label")
        s.formula((5, col + 1 + j), f"={a1(last_e, ec[k])}", run.epochs[{"RMSE": "rmse"}.get(k, k)][-1],
                  FORMATS[k], style="result")


def shade_epochs(s, n, ncols):
    """Every other epoch shaded, so a student sees where each epoch starts."""
    s.ws.conditional_format(FIRST, 0, FIRST + n - 1, ncols - 1, {
        "type": "formula", "criteria": f"=MOD({a1(FIRST, 0, False, True)},2)=0", "format": s.book.wb.add_format(
            {"bg_color": "#F2F2F2"})})


def epoch_cells(ec, epochs, keys=("RMSE", "a", "b", "lr")):
    """{"RMSE": [absolute cell per epoch], ...}: what the compare sheet and the later sheets read."""
    return {k: [a1(FIRST + e, ec[k], True, True) for e in range(epochs)] for k in keys}
