"""The plan put to work: steps in dependency order, each computed by the fastest sound path.

make_plan(engine) turns plan.py's units and components into Steps:
    a Run          computed at once with NumPy (vector.py) when that is provably the same,
                   else cell by cell from the top (also when it reads its own earlier rows)
    an ArrayUnit   one array formula, spread over its range
    a Recurrence   runs that feed each other row by row, computed row by row
    cells          a cycle of units that is not a recurrence, split into cells and ordered
                   again; cells still in a cycle keep their cached values
Runner computes every step (run_all) or only the steps some cells need (run_for), and
marks the cells computed from uncheckable cells as uncheckable too.
"""
from . import plan
from .refs import a1

MIN_BLOCK = 4                  # shorter runs are computed cell by cell


class Plan:
    def __init__(self):
        self.steps = []          # units, recurrences and ("cells", [keys]) in order
        self.deps = []           # step -> set of steps it reads
        self.cycles = {}         # key -> "circular reference: a!A1 -> a!B1 -> a!A1"
        self.step_of_unit = {}   # unit id -> step


MAX_PARSED_CHARS = 4_000_000   # characters of distinct formula text one evaluation parses


def refuse_costly_parse(engine):
    """BudgetExceeded when the shapes made so far hold more distinct formula text than one
    evaluation parses."""
    cost = engine.shapes.parse_cost()
    if cost > MAX_PARSED_CHARS:
        from .ranges import BudgetExceeded
        raise BudgetExceeded(f"refused: {cost:,} characters of distinct formulas to parse, more than "
                             f"{MAX_PARSED_CHARS:,} (a formula filled down counts once)")


def make_plan(engine, units=None):
    """The Plan of every formula cell; or of `units` only (a list of plan.py units closed under
    dependency: every unit one of them reads is in it too; incremental.py plans what some cells need)."""
    if units is None:
        units = plan.build_units(engine)
    refuse_costly_parse(engine)            # nothing is parsed yet: refuse before spending it
    index = plan.Index(units, engine.fcols)
    order, deps, cyclic = plan.components(units, index)
    cyclic_ids = {id(c) for c in cyclic}
    p = Plan()
    for comp in order:
        if id(comp) not in cyclic_ids:
            _add(p, units[comp[0]], set(), comp)
            continue
        rec = plan.recurrence([units[u] for u in comp])
        if rec is not None:
            _add(p, rec, set(), comp)
            continue
        _split(engine, p, [units[u] for u in comp], comp)
    # each step's dependencies, as steps
    for i, step in enumerate(p.steps):
        uids = p.deps[i]
        if isinstance(uids, tuple):               # (unit ids of the component, extra step ids)
            comp, extra = uids
            ds = set(extra)
            for u in comp:
                ds.update(p.step_of_unit[d] for d in deps[u] if d in p.step_of_unit)
            ds.discard(i)
            p.deps[i] = ds
    return p


def _add(p, step, extra, comp):
    i = len(p.steps)
    p.steps.append(step)
    p.deps.append((comp, extra))
    for u in comp:
        p.step_of_unit.setdefault(u, i)
    return i


def _split(engine, p, comp_units, comp):
    """A cycle of units that is not a recurrence: its cells ordered one by one."""
    cells = []
    for u in comp_units:
        if u.kind == "array":
            cells.append(u)
        else:
            cells.extend(plan.Run(u.sheet, u.col, r, r, u.shape) for r in range(u.r0, u.r1 + 1))
    index = plan.Index(cells, engine.fcols)
    order, deps, cyclic = plan.components(cells, index)
    cyclic_ids = {id(c) for c in cyclic}
    first = len(p.steps)
    local = {}
    for sub in order:
        if id(sub) in cyclic_ids:
            text = _cycle_text(sub, cells, deps)
            for u in sub:
                c = cells[u]
                p.cycles.setdefault((c.sheet, c.r0, c.col), text)
        members = [cells[u] for u in sub]
        if id(sub) in cyclic_ids:                 # kept as cached: a step only for the order
            step = ("cycle", [(c.sheet, c.r0, c.col) for c in members])
        elif len(members) == 1:
            step = members[0]
        else:
            step = ("cells", [(c.sheet, c.r0, c.col) for c in members])
        i = len(p.steps)
        extra = {local[d] for u in sub for d in deps[u] if d in local and local[d] != i}
        p.steps.append(step)
        p.deps.append(((), extra))
        for u in sub:
            local[u] = i
    for u in comp:                                # the units of the cycle: every step of it
        p.step_of_unit.setdefault(u, first)
    # what the whole cycle reads from outside: on its first step
    outside = p.deps[first]
    p.deps[first] = (tuple(comp), outside[1])


def _cycle_text(comp, units, deps, most=12):
    """One cycle through the component's first unit, found by breadth-first search."""
    members = set(comp)
    start = min(comp, key=lambda u: (units[u].r0, units[u].col))     # the first cell, as read
    came = {start: None}
    queue, found = [start], None
    while queue and found is None:
        nxt = []
        for u in queue:
            for w in deps[u]:
                if w == start:
                    found = u
                    break
                if w in members and w not in came:
                    came[w] = u
                    nxt.append(w)
            if found is not None:
                break
        queue = nxt
    path, u = [], found if found is not None else start
    while u is not None:
        path.append(u)
        u = came.get(u)
    path.reverse()
    labels = [units[u].label() for u in path] + [units[start].label()]
    if len(labels) > most:
        labels = labels[:most - 2] + [f"... ({len(path) - most + 2} more)", labels[-1]]
    return "circular reference: " + " -> ".join(labels)


class Runner:
    def __init__(self, engine):
        self.engine = engine
        self.plan = engine.plan

    def run_all(self):
        eng, p = self.engine, self.plan
        for key, text in p.cycles.items():
            eng.keep_cached(key, text)
        cols = [_step_columns(step) for step in p.steps]
        for sheet_cols in cols:                    # ranges check the columns not finished yet
            for sheet, c in sheet_cols:
                pending = eng.grids[sheet].pending
                pending[c] = pending.get(c, 0) + 1
        for step, sheet_cols in zip(p.steps, cols):
            self.run_step(step)
            for sheet, c in sheet_cols:
                eng.grids[sheet].pending[c] -= 1
        self.taint()

    def run_step(self, step):
        if isinstance(step, tuple):
            if step[0] == "cells":
                for key in step[1]:
                    self.cell(key)
            return
        kind = step.kind
        if kind == "run":
            self.run(step)
        elif kind == "array":
            self.cell((step.sheet, step.r0, step.col))
        else:
            self.recurrence(step)

    def cell(self, key):
        eng = self.engine
        sheet, r, c = key
        if key in self.plan.cycles or (r, c) in eng.grids[sheet].store:
            return
        eng.compute_stacked(key)

    def run(self, u):
        eng = self.engine
        if (eng.vectorize and u.r1 - u.r0 + 1 >= MIN_BLOCK and u.shape.vector is not False
                and (u.sheet, u.col) not in eng.on_demand):
            from .vector import compute_run
            if compute_run(eng, u):
                return
        shape, sheet, c = u.shape, u.sheet, u.col
        store = eng.grids[sheet].store
        if shape.compiled is None or shape.volatile or (sheet, c) in eng.on_demand or shape.reason:
            for r in range(u.r0, u.r1 + 1):
                self.cell((sheet, r, c))
            return
        fn = shape.compiled.fn
        from .engine import NeedFirst, final
        r = u.r0
        while r <= u.r1:               # the common case inline: no per-cell bookkeeping
            try:
                while r <= u.r1:
                    v = fn(r, c)
                    store[(r, c)] = v if type(v) is float and v - v == 0.0 else final(v, r, c)
                    r += 1
            except NeedFirst:
                eng.compute_stacked((sheet, r, c))
                r += 1
            except Exception:
                eng.compute_stacked((sheet, r, c))        # the same cell, with its error kept
                r += 1

    def recurrence(self, rec):
        """Row by row; within a row, the runs in their order. The lazy units are computed when a
        cell reads them (the engine's on-demand path), the rest at the end."""
        eng = self.engine
        sheet = rec.sheet
        store = eng.grids[sheet].store
        runs = rec.runs
        plain = all(not u.shape.reason and not u.shape.volatile for u in runs) and not any(
            (sheet, u.col) in eng.on_demand for u in runs)
        from .engine import final
        for r0, r1, active in _segments(runs):
            cols = [(u.shape.compiled.fn, u.col) for u in active]
            for r in range(r0, r1 + 1):
                for fn, c in cols:
                    if plain:
                        try:
                            v = fn(r, c)
                        except Exception:
                            self.cell((sheet, r, c))
                            continue
                        store[(r, c)] = v if type(v) is float and v - v == 0.0 else final(v, r, c)
                    else:
                        self.cell((sheet, r, c))
        for u in rec.lazy:                 # those no cell of the rows read, in row order
            for r in range(u.r0, u.r1 + 1):
                self.cell((sheet, u.r0 if u.r0 == u.r1 else r, u.col))

    def taint(self):
        """A cell computed from an uncheckable cell (unsupported, unparsable, in a cycle...) is
        uncheckable too; volatile cells keep their cached values and taint nothing."""
        eng, p = self.engine, self.plan
        reasons = eng.reasons
        bad = {}
        for key, why in reasons.items():
            if why.startswith("volatile"):
                continue
            bad.setdefault(key, (key, why))
        if not bad:
            return
        step_bad = {}
        for i, step in enumerate(p.steps):
            keys = _step_keys(step)
            got = next((bad[k] for k in keys if k in bad), None)
            if got is None:
                got = next((step_bad[d] for d in p.deps[i] if d in step_bad), None)
                if got is None:
                    continue
            # every other cell of the step may read it (a recurrence's rows read each other)
            text = f"depends on {got[0][0]}!{a1(got[0][1], got[0][2])} ({got[1]})"
            for k in keys:
                reasons.setdefault(k, text)
            step_bad[i] = got


def _segments(runs):
    """(first row, last row, runs covering them in order) for each stretch of rows over which
    the same runs are active (runs given in their order within a row)."""
    cuts = sorted({u.r0 for u in runs} | {u.r1 + 1 for u in runs})
    out = []
    for a, b in zip(cuts, cuts[1:]):
        active = [u for u in runs if u.r0 <= a and b - 1 <= u.r1]
        if active:
            out.append((a, b - 1, active))
    return out


def _step_columns(step):
    """The (sheet, col) whose formula cells a step computes, each once."""
    if isinstance(step, tuple):
        return sorted({(k[0], k[2]) for k in step[1]})
    if step.kind == "run":
        return [(step.sheet, step.col)]
    if step.kind == "array":
        return [(step.sheet, c) for c in range(step.bounds[1], step.bounds[3] + 1)]
    return sorted({(step.sheet, u.col) for u in step.runs + step.lazy})


def _step_keys(step):
    if isinstance(step, tuple):
        return step[1]
    if step.kind == "recurrence":
        return [k for u in step.runs for k in u.cells()]
    if step.kind == "array":
        r1, c1, r2, c2 = step.bounds
        return [(step.sheet, r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]
    return step.cells()
