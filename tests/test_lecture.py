"""`sheetsgd build --lecture`: what a student following the video sees, against the lecture's own files.

The numbers come from outside the code: the values Excel cached in the lecture's workbooks
(../shared/reference, read at test time) and, where the issue quotes them, the lecture's RMSEs.
"""
import math

import numpy as np
import pytest

from sheetsgd.data import lecture_weights
from sheetsgd.formula import evaluate_book
from sheetsgd.formula.reader import read_book
from sheetsgd.models import graddesc as gd
from sheetsgd.models import neuralnet as nn

LECTURE_DOTPROD = 0.3930154712865702     # dotprod!V41 as Excel cached it
LECTURE_BIAS = 0.3194674135586278        # bias!V42 as Excel cached it (LibreOffice shows 0.858 there)


def close(a, b, rel=1e-12, floor=1e-15):
    return abs(a - b) <= max(rel * max(abs(a), abs(b)), floor)


def cached(book, sheet, row, col):
    return book.sheets[sheet].cells[(row, col)].value


@pytest.fixture(scope="module")
def collab_lecture(tmp_path_factory):
    from sheetsgd.sheets import collab
    path = tmp_path_factory.mktemp("lecture") / "collab_filter.xlsx"
    summary = collab.build(path, lecture=True)
    book = read_book(path)
    return path, summary, book, evaluate_book(book).values


@pytest.fixture(scope="module")
def graddesc_lecture(tmp_path_factory):
    from sheetsgd.sheets import graddesc
    path = tmp_path_factory.mktemp("lecture") / "graddesc.xlsx"
    graddesc.build(path, lecture=True, epochs=4)
    return read_book(path)


# ---------------------------------------------------------------- collab

def test_collab_rmse_cells_are_the_lectures(collab_lecture):
    path, summary, book, values = collab_lecture
    for sheet, ref in (("dotprod", "V41"), ("movielens_1hot", "BH210"), ("movielens_emb", "Y210")):
        assert close(values[(sheet, ref)], LECTURE_DOTPROD), (sheet, values[(sheet, ref)])
    assert close(values[("bias", "V42")], LECTURE_BIAS), values[("bias", "V42")]
    assert summary == "dotprod RMSE 0.3930, bias RMSE 0.3195"


def test_collab_rmse_cells_equal_the_lectures_cached_values(collab_lecture, reference):
    lecture = read_book(reference("collab_filter.xlsx"))
    values = collab_lecture[3]
    assert cached(lecture, "dotprod", 41, 22) == LECTURE_DOTPROD and cached(lecture, "bias", 42, 22) == LECTURE_BIAS
    assert close(values[("dotprod", "V41")], cached(lecture, "dotprod", 41, 22))
    assert close(values[("bias", "V42")], cached(lecture, "bias", 42, 22))


def test_the_shipped_lecture_weights_are_the_lectures(reference):
    from test_models_collab import lecture_weights as read_from_the_lecture
    theirs, ours = read_from_the_lecture(reference("collab_filter.xlsx")), lecture_weights()
    for sheet in ("dotprod", "bias"):
        np.testing.assert_array_equal(ours[sheet].flat(), theirs[sheet].flat())


# ---------------------------------------------------------------- graddesc

def test_the_lecture_x_are_the_lectures(reference):
    lecture = read_book(reference("graddesc.xlsm"))
    for sheet in gd.OPTIMIZERS:
        assert tuple(cached(lecture, sheet, r, 1) for r in range(4, 33)) == gd.LECTURE_X


def first_epoch(book, sheet, ncols):
    """Our step table's first epoch (rows 8.., columns C..), laid out as the lecture's A4:..32."""
    return np.array([[cached(book, sheet, 8 + i, 3 + j) for j in range(ncols)] for i in range(29)], dtype=float)


def lecture_epoch(book, sheet, ncols):
    return np.array([[cached(book, sheet, 4 + i, 1 + j) for j in range(ncols)] for i in range(29)], dtype=float)


def assert_same(ours, theirs):
    bad = [(i, j, ours[i, j], theirs[i, j]) for i, j in np.ndindex(ours.shape) if not close(ours[i, j], theirs[i, j])]
    assert not bad, bad[:5]


def test_basic_from_the_lectures_start_reproduces_its_cached_first_epoch(reference, tmp_path):
    """The lecture's basic sheet holds an epoch from b = C1, a = C2 (where its macro had left them)."""
    from sheetsgd.sheets import graddesc
    lecture = read_book(reference("graddesc.xlsm"))
    start = {"b": cached(lecture, "basic", 1, 3), "a": cached(lecture, "basic", 2, 3)}
    assert cached(lecture, "basic", 1, 6) == gd.DEFAULTS["basic"]["lr"]
    graddesc.build(tmp_path / "g.xlsx", lecture=True, epochs=1, start=start)
    ours = read_book(tmp_path / "g.xlsx")
    assert_same(first_epoch(ours, "basic", 14), lecture_epoch(lecture, "basic", 14))   # x .. new b, A..N


def test_momentum_after_the_reset_is_the_lectures_cached_sheet(graddesc_lecture, reference):
    """The lecture's momentum sheet was saved right after its reset (a = b = 1): the warm-up pass left
    the averages -18.33392669020789 and 98.24583039212854 (J33:K33), and its epoch is ours to the bit."""
    lecture = read_book(reference("graddesc.xlsm"))
    assert cached(lecture, "momentum", 1, 3) == 1.0 and cached(lecture, "momentum", 2, 3) == 1.0
    x = np.array(gd.LECTURE_X, dtype=float)
    st = gd.lecture_start("momentum", x, gd.data_y(x))
    assert (st["m_b"], st["m_a"]) == (cached(lecture, "momentum", 33, 10), cached(lecture, "momentum", 33, 11))
    assert_same(first_epoch(graddesc_lecture, "momentum", 12), lecture_epoch(lecture, "momentum", 12))


def test_each_epoch_restarts_from_the_last_rows_a_and_b_before_its_step(graddesc_lecture):
    sheet = graddesc_lecture.sheets["basic"].cells
    assert sheet[(8 + 29, 5)].formula == f"=E{8 + 28}"        # epoch 2's b: the last row's b, not its new b
    assert sheet[(8 + 28, 5)].formula == f"=P{8 + 27}"        # within an epoch: the row above's new b
    from openpyxl.utils.cell import coordinate_from_string, column_index_from_string
    for sheet in ("adam", "adam_ann"):                          # the lecture's lr 1
        where = graddesc_lecture.sheets[sheet].names["LR"].split("!")[1].replace("$", "")
        col, row = coordinate_from_string(where)
        assert cached(graddesc_lecture, sheet, row, column_index_from_string(col)) == 1.0


# ---------------------------------------------------------------- the entropy example

def test_the_entropy_example_is_the_lectures(reference, tmp_path):
    from sheetsgd.sheets import neuralnet
    neuralnet.build(tmp_path / "n.xlsx", lecture=True)
    ours, lecture = read_book(tmp_path / "n.xlsx"), read_book(reference("entropy_example.xlsx"))
    values = evaluate_book(ours).values
    for k, (oc, lc, lb) in enumerate(((2, 2, 11), (7, 7, 12))):      # Image 1, Image 2: output, exp, softmax, binary
        for i in range(5):
            for dj, lj in ((0, lc), (1, lc + 1), (2, lc + 2), (3, lb)):
                assert close(float(cached(ours, "softmax", 6 + i, oc + dj)), cached(lecture, "softmax", 3 + i, lj)), \
                    (k, i, dj)
    losses = sorted((r, c) for (r, c), cell in ours.sheets["cross_entropy"].cells.items()
                    if cell.formula and "LOG(" in cell.formula and c in (4, 5))
    assert len(losses) == 10
    for r, c in losses:
        row = r - losses[0][0]
        assert close(float(cached(ours, "cross_entropy", r, c)), cached(lecture, "entropy", 2 + row, c))
    assert all(not isinstance(v, float) or math.isfinite(v) for v in values.values())


def test_lecture_entropy_numbers_are_the_lectures_file(reference):
    lecture = read_book(reference("entropy_example.xlsx"))
    assert nn.LECTURE_ENTROPY["softmax"] == (tuple(cached(lecture, "softmax", 3 + i, 2) for i in range(5)),
                                             tuple(cached(lecture, "softmax", 3 + i, 7) for i in range(5)))
    assert nn.LECTURE_ENTROPY["is_cat"] == tuple(int(cached(lecture, "entropy", r, 2)) for r in range(2, 7))
    assert nn.LECTURE_ENTROPY["preds"] == tuple(cached(lecture, "entropy", r, 3) for r in range(2, 7))


# ---------------------------------------------------------------- the command

def test_cli_lecture_writes_into_workbooks_lecture(tmp_path, monkeypatch, capsys):
    from sheetsgd.cli import main
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as e:
        main(["build", "--lecture", "--only", "collab"])
    assert e.value.code == 0
    assert (tmp_path / "workbooks" / "lecture" / "collab_filter.xlsx").exists()
    assert "dotprod RMSE 0.3930, bias RMSE 0.3195" in capsys.readouterr().out


@pytest.mark.parametrize("option", [["--factors", "3"], ["--rows", "10"], ["--no-solve"], ["--ratings", "u.data"],
                                    ["--top", "5"]])
def test_cli_lecture_refuses_what_would_not_be_the_lectures(tmp_path, capsys, option):
    from sheetsgd.cli import main
    with pytest.raises(SystemExit) as e:
        main(["build", "--lecture", "--out", str(tmp_path / "w")] + option)
    err = capsys.readouterr().err
    assert e.value.code == 2 and err.count("\n") == 1 and option[0] in err, err
    assert not (tmp_path / "w").exists()
