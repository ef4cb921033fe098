"""The evaluator on the lecture's four workbooks: every non-volatile formula cell equals the
value Excel cached in the file (numbers from outside our code), to 1e-12 relative."""
import time

import pytest

from sheetsgd.formula import evaluate_book, evaluate_workbook
from sheetsgd.formula.engine import Engine
from sheetsgd.formula.refs import parse_cell

pytestmark = pytest.mark.shared

WORKBOOKS = ["collab_filter.xlsx", "graddesc.xlsm", "entropy_example.xlsx", "mom_bias.xlsx"]


def read_book(path):
    reader = pytest.importorskip("sheetsgd.formula.reader")
    return reader.read_book(path)


def agree(ours, cached, rel=1e-12):
    if isinstance(cached, bool) or isinstance(ours, bool):
        return ours is cached
    if isinstance(cached, (int, float)) and isinstance(ours, float):
        return ours == cached or abs(ours - cached) <= rel * max(abs(ours), abs(cached))
    return ours == cached


@pytest.fixture(scope="module")
def evaluated(reference):
    out = {}
    for name in WORKBOOKS:
        book = read_book(reference(name))
        start = time.perf_counter()
        ev = evaluate_book(book)
        out[name] = (book, ev, time.perf_counter() - start)
    return out


@pytest.mark.parametrize("name", WORKBOOKS)
def test_every_checkable_cell_matches_excels_cached_value(evaluated, name):
    book, ev, _ = evaluated[name]
    checked, bad = 0, []
    for (sheet, ref), ours in ev.values.items():
        if (sheet, ref) in ev.uncheckable:
            continue
        cached = book.sheets[sheet].cells[parse_cell(ref)].value
        checked += 1
        if not agree(ours, cached):
            bad.append((sheet, ref, ours, cached))
    assert not bad, f"{len(bad)} of {checked} cells differ, first: {bad[:5]}"
    assert checked > 0


def test_the_lectures_key_cells(evaluated):
    _, ev, _ = evaluated["collab_filter.xlsx"]
    v = ev.values
    assert v[("dotprod", "V41")] == pytest.approx(0.3930154712865702, rel=1e-12)
    assert v[("bias", "V42")] == pytest.approx(0.3194674135586278, rel=1e-12)    # Excel skips blank pairs
    assert v[("movielens_1hot", "BH210")] == pytest.approx(0.39301547128657016, rel=1e-12)
    assert v[("movielens_emb", "Y210")] == pytest.approx(0.39301547128657016, rel=1e-12)
    # every cell of the MMULT array formula over AE3:AI208 has its own value
    assert all(("movielens_1hot", f"{c}{r}") in v for c in ("AE", "AI") for r in (3, 208))
    assert ev.uncheckable == {}


def test_only_volatile_cells_are_uncheckable(evaluated):
    _, ev, _ = evaluated["graddesc.xlsm"]
    assert set(ev.uncheckable.values()) == {"volatile RANDBETWEEN"}
    assert len(ev.uncheckable) == 29                 # data!B5:B33
    _, ev, _ = evaluated["mom_bias.xlsx"]
    assert set(ev.uncheckable.values()) == {"volatile RAND"}


def test_collab_filter_is_fast(evaluated):
    _, _, seconds = evaluated["collab_filter.xlsx"]
    print(f"collab_filter.xlsx evaluated in {seconds:.2f} s")
    assert seconds < 5.0


@pytest.mark.parametrize("name", ["collab_filter.xlsx", "graddesc.xlsm"])
def test_vector_and_scalar_paths_agree(reference, name):
    book = read_book(reference(name))
    vec = Engine(book, vectorize=True).run().results()
    one = Engine(book, vectorize=False).run().results()
    assert vec.cells_vectorized > 0
    for sheet in one.sheets:
        for c, rows, _, values in one.columns(sheet):
            for r, v in zip(rows, values):
                w = vec.value(sheet, r, c)
                assert v is w or (v == w and type(v) is type(w)), (sheet, r, c, v, w)


def test_evaluate_workbook_reads_the_file(reference):
    pytest.importorskip("sheetsgd.formula.reader")
    values = evaluate_workbook(reference("collab_filter.xlsx")).values
    assert values[("dotprod", "V41")] == pytest.approx(0.3930154712865702, rel=1e-12)
