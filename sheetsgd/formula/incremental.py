"""What-if evaluation: compute only the steps some cells need, and after a change of inputs only
the steps the change reaches (sheetsgd/simulate.py builds the simulator on it).

    inc = Incremental(engine)            # the engine's plan made (runner.make_plan), nothing computed
    inc.compute([("compare", 104, 5)])   # the steps that cell needs (ancestors through Plan.deps), in order
    inc.change({("adam", 4, 9): 0.1})    # an input changed: the steps it reaches are forgotten
    inc.compute([("compare", 104, 5)])   # only those of them the cell needs are computed again

Why computing a subset is sound: a formula cell missing from its grid's store is computed on
demand when something reads it (Engine.ensure), and grid.pending (kept here: per column, the
steps not computed yet) tells ranges which columns may still hold such cells. So a step that
reads a cell the plan did not know of (OFFSET, INDIRECT: what they read is known only while
computing) still gets its value.

What a change reaches: the steps that read a changed cell (each step's read blocks, defined
names followed: compiler.Compiled.reads), the steps whose reads are dynamic (they may read
anything), and every step computed from those (the reverse of Plan.deps). Their cells' values
and reasons are dropped, and every cache derived from values (Engine.values_changed).
The cells of a cycle keep the file's cached values whatever changes, as in a full run.
"""
from bisect import bisect_right, insort

from .plan import reads_at


class Incremental:
    """keys: plan only what these cells need (None: every formula cell of the book). A plan of
    some cells is the whole book's when a formula among them is dynamic (OFFSET, INDIRECT: it may
    read anything, and what it reads must be in the plan for a change to reach it). Values
    already in the engine's store count as computed."""

    def __init__(self, engine, keys=None):
        from .runner import Runner, make_plan
        from .engine import _computing
        self.engine = engine
        with _computing(engine.budget):
            units = needed_units(engine, keys) if keys is not None else None
            engine.plan = make_plan(engine, units)
        self.partial = units is not None
        self.plan = p = engine.plan
        self.runner = Runner(engine)
        n = len(p.steps)
        self.done = [False] * n
        self._readers = None          # {sheet: [(r1, c1, r2, c2, step)]} of every step's reads
        self._rdeps = None            # step -> steps that read it
        self._dynamic = None          # steps whose reads are known only while computing
        self._at = None               # (sheet, col) -> sorted [(first row, last row, step)]
        self.columns = [_columns(step) for step in p.steps]
        for key, text in p.cycles.items():     # as in a full run: cycles keep their cached values
            engine.keep_cached(key, text)
        for grid in engine.grids.values():
            grid.pending.clear()
        for i, step in enumerate(p.steps):
            done = self.done[i] = all((k[1], k[2]) in engine.grids[k[0]].store for k in step_keys(step))
            for sheet, c in self.columns[i]:       # (a step done: computed under an earlier plan)
                pending = engine.grids[sheet].pending
                pending[c] = pending.get(c, 0) + (not done)

    def run_cells(self, steps=None):
        """Cells in the runs (of the steps, default all) long enough for the NumPy path."""
        from .runner import MIN_BLOCK
        p = self.plan
        out = 0
        for i in (range(len(p.steps)) if steps is None else steps):
            step = p.steps[i]
            if not isinstance(step, tuple) and step.kind == "run" and step.r1 - step.r0 + 1 >= MIN_BLOCK:
                out += step.r1 - step.r0 + 1
        return out

    def covers(self, keys):
        """Does the plan hold every formula cell of keys?"""
        eng = self.engine
        return all(self.step_of(k) is not None for k in keys
                   if eng.formula_cell(*eng.members.get(k, k)) is not None)

    # ------------------------------------------------------------ which steps
    def step_of(self, key):
        """The step that computes the formula cell (or array member) key = (sheet, row, col), or None."""
        if self._at is None:
            at = {}
            for i, step in enumerate(self.plan.steps):
                for sheet, c, r0, r1 in _blocks(step):
                    at.setdefault((sheet, c), []).append((r0, r1, i))
            for v in at.values():
                v.sort()
            self._at = at
        sheet, r, c = self.engine.members.get(key, key)
        got = self._at.get((sheet, c))
        if not got:
            return None
        j = bisect_right(got, (r, float("inf"), 0)) - 1
        while j >= 0 and got[j][1] >= r:
            if got[j][0] <= r:
                return got[j][2]
            j -= 1
        return None

    def needs(self, keys):
        """The steps the cells `keys` need: their own and every step those read, in plan order."""
        deps = self.plan.deps
        seen = set(map(self.step_of, keys))
        seen.discard(None)
        todo = list(seen)
        while todo:
            i = todo.pop()
            for d in deps[i]:
                if d not in seen:
                    seen.add(d)
                    todo.append(d)
        return sorted(seen)

    def reached(self, cells):
        """The steps a change of the cells {(sheet, row, col)} reaches, in plan order."""
        direct = set(self.dynamic())
        readers = self.readers()
        for s, r, c in cells:
            for r1, c1, r2, c2, i in readers.get(s.lower(), ()):
                if r1 <= r <= r2 and c1 <= c <= c2:
                    direct.add(i)
        return self.descendants(direct)

    def descendants(self, steps):
        if self._rdeps is None:
            rdeps = [[] for _ in self.plan.steps]
            for i, ds in enumerate(self.plan.deps):
                for d in ds:
                    rdeps[d].append(i)
            self._rdeps = rdeps
        seen, todo = set(steps), list(steps)
        while todo:
            for j in self._rdeps[todo.pop()]:
                if j not in seen:
                    seen.add(j)
                    todo.append(j)
        return sorted(seen)

    def readers(self):
        """{sheet in lower case: [(r1, c1, r2, c2, step)]} of every block a step reads."""
        if self._readers is None:
            out = {}
            for i, step in enumerate(self.plan.steps):
                for shape, r0, r1, c in self._units(step):
                    for sheet, a, b, cc, d in reads_at(shape, r0, r1, c):
                        out.setdefault(sheet.lower(), []).append((a, b, cc, d, i))
            self._readers = out
        return self._readers

    def dynamic(self):
        """The steps with a formula whose reads are known only while computing (OFFSET, INDIRECT)."""
        if self._dynamic is None:
            self._dynamic = [i for i, step in enumerate(self.plan.steps)
                             if any(shape.dynamic for shape, _, _, _ in self._units(step))]
        return self._dynamic

    def sheets_read(self, steps):
        """(sheet names in lower case that the steps read, whether any of them is dynamic)."""
        sheets, dynamic = set(), False
        for i in steps:
            for shape, r0, r1, c in self._units(self.plan.steps[i]):
                dynamic = dynamic or shape.dynamic
                sheets.update(sheet.lower() for sheet, _ in shape.reads)
        return sheets, dynamic

    def _units(self, step):
        """(shape, first row, last row, col) of each block of one shape in a step."""
        if isinstance(step, tuple):
            eng = self.engine
            return [(eng.shape(key), key[1], key[1], key[2]) for key in step[1]]
        if step.kind == "recurrence":
            return [(u.shape, u.r0, u.r1, u.col) for u in step.runs + step.lazy]
        return [(step.shape, step.r0, step.r1, step.col)]

    # ------------------------------------------------------------ computing
    def compute(self, keys):
        """Compute what the cells `keys` need and is not computed yet; returns how many steps ran."""
        todo = [i for i in self.needs(keys) if not self.done[i]]
        if todo:
            self.run(todo)
        return len(todo)

    def compute_all(self):
        todo = [i for i, d in enumerate(self.done) if not d]
        if todo:
            self.run(todo)
        return len(todo)

    def run(self, steps):
        from .engine import _computing
        eng, runner, p = self.engine, self.runner, self.plan
        with _computing(eng.budget):
            for i in steps:
                runner.run_step(p.steps[i])
                self.done[i] = True
                for sheet, c in self.columns[i]:
                    eng.grids[sheet].pending[c] -= 1
            runner.taint()

    def change(self, cells):
        """Set constant cells {(sheet, row, col): value (None: blank)} and forget every step the
        change reaches; returns those steps. The caller makes sure no key is a formula cell."""
        eng, p = self.engine, self.plan
        for (sheet, r, c), v in cells.items():
            eng.set_input(sheet, r, c, v)
        steps = self.reached(cells)
        cycles, reasons = p.cycles, eng.reasons
        for i in steps:
            step = p.steps[i]
            if isinstance(step, tuple) and step[0] == "cycle":
                continue                          # keeps its cached values
            for key in step_keys(step):
                if key in cycles:
                    continue
                eng.grids[key[0]].store.pop((key[1], key[2]), None)
                reasons.pop(key, None)
            if self.done[i]:
                self.done[i] = False
                for sheet, c in self.columns[i]:
                    pending = eng.grids[sheet].pending
                    pending[c] = pending.get(c, 0) + 1
        eng.values_changed()
        return steps


def step_keys(step):
    """Every cell a step computes: a recurrence's lazy units too (its epochs' summaries), every
    cell of an array formula's range."""
    return [(s, r, c) for s, c, r0, r1 in _blocks(step) for r in range(r0, r1 + 1)]


def _blocks(step):
    """(sheet, col, first row, last row) of the cells a step computes."""
    if isinstance(step, tuple):
        return [(s, c, r, r) for s, r, c in step[1]]
    if step.kind == "recurrence":
        return [(u.sheet, u.col, u.r0, u.r1) for u in step.runs + step.lazy]
    if step.kind == "array":
        r1, c1, r2, c2 = step.bounds
        return [(step.sheet, c, r1, r2) for c in range(c1, c2 + 1)]
    return [(step.sheet, step.col, step.r0, step.r1)]


def _columns(step):
    """The (sheet, col) whose cells a step computes, each once."""
    return sorted({(s, c) for s, c, _, _ in _blocks(step)})


# ---------------------------------------------------------------- planning what some cells need

def needed_units(engine, keys):
    """The units (plan.py) the cells `keys` need, closed under dependency, building the units of
    only the columns their reads reach (a summary cell of graddesc plans 3 sheets' columns it
    reads, not 340k cells); None when one of them is dynamic (then the whole book is planned)."""
    from . import plan
    from .runner import refuse_costly_parse
    index = plan.Index([], engine.fcols)
    units, built = [], set()

    def build(sheet, c):
        if (sheet, c) in built:
            return
        built.add((sheet, c))
        rows = engine.fcols.get(sheet, {}).get(c)
        if not rows:
            return
        cells = engine.fcells[sheet][c]
        masters = {engine.members[(sheet, r, c)][2] for r, cell in zip(rows, cells)
                   if cell is None and (sheet, r, c) in engine.members}
        for mc in sorted(masters - {c}):          # an array range's master may sit in another column
            build(sheet, mc)
        made = plan._column_units(engine, sheet, c, rows, cells)
        refuse_costly_parse(engine)               # before any of them is parsed, as make_plan does
        for u in made:
            uid = len(units)
            units.append(u)
            if u.kind == "array":
                r1, c1, r2, c2 = u.bounds
                spots = [(u.sheet, cc, r1, r2) for cc in range(c1, c2 + 1)]
            else:
                spots = [(u.sheet, u.col, u.r0, u.r1)]
            for s, cc, a, b in spots:
                insort(index.by_col.setdefault((s, cc), []), (a, b, uid))

    def build_read(sheet, c1, c2):
        cols = engine.fcols.get(sheet)
        if not cols:
            return
        near = range(c1, c2 + 1) if c2 - c1 < 64 else [c for c in cols if c1 <= c <= c2]
        for c in near:
            if c in cols:
                build(sheet, c)

    def unit_at(sheet, r, c):
        got = index.by_col.get((sheet, c), ())
        j = bisect_right(got, (r, float("inf"), 0)) - 1
        while j >= 0 and got[j][1] >= r:
            if got[j][0] <= r:
                return got[j][2]
            j -= 1
        return None

    todo = []
    for key in keys:
        sheet, r, c = engine.members.get(key, key)
        build(sheet, c)
        uid = unit_at(sheet, r, c)
        if uid is not None:
            todo.append(uid)
    needed = set(todo)
    while todo:
        u = units[todo.pop()]
        if u.shape.dynamic:
            return None
        for sheet, r1, c1, r2, c2 in reads_at(u.shape, u.r0, u.r1, u.col):
            build_read(sheet, c1, c2)
        for d in plan.unit_deps(u, index):
            if d not in needed:
                needed.add(d)
                todo.append(d)
    return [units[i] for i in sorted(needed)]

