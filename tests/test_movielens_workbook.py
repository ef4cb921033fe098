"""`sheetsgd movielens`: the lesson's model trained, written as live formulas, and recomputed.

Three views agree: the trainer's valid MSE (NumPy, models/movielens.py), the workbook's valid MSE
cell as our evaluator computes it from the formulas, and LibreOffice's recalculation of the file.
Small generated ratings here; MovieLens 100k in the slow test (and in sheetsgd.bench.check_speed).
"""
import numpy as np
import pytest

from sheetsgd.cli import main
from sheetsgd.errors import SheetsgdError
from sheetsgd.formula import evaluate_workbook
from sheetsgd.models import movielens as model
from sheetsgd.ratings import read_ratings
from sheetsgd.sheets import movielens as ml

SMALL = ["--factors", "4", "--epochs", "2", "--bs", "16"]


def run(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out, err = capsys.readouterr()
    return exc.value.code, out, err


def write_ratings(directory, n_users=40, n_movies=30, n=500, seed=0):
    """A u.data and u.item of random ratings (each user-movie pair at most once)."""
    rng = np.random.default_rng(seed)
    pairs = rng.choice(n_users * n_movies, size=n, replace=False)
    users, movies = pairs // n_movies + 1, pairs % n_movies + 1
    stars = rng.integers(1, 6, size=n)
    data = directory / "u.data"
    data.write_text("".join(f"{u}\t{m}\t{r}\t88{i:07d}\n" for i, (u, m, r) in enumerate(zip(users, movies, stars))))
    item = directory / "u.item"
    item.write_text("".join(f"{m}|Movie number {m} (1995)|01-Jan-1995||http://x|0|0\n"
                            for m in range(1, n_movies + 1)), encoding="latin-1")
    return data, item


@pytest.fixture(scope="module")
def small_build(tmp_path_factory):
    """The workbook of 500 generated ratings, 2 epochs, 4 factors, and the trainer's result."""
    d = tmp_path_factory.mktemp("movielens")
    data, item = write_ratings(d)
    out = d / "movielens.xlsx"
    tables, result, _ = ml.make(data, out, item, factors=4, epochs=2, bs=16)
    return out, tables, result, data


def test_valid_mse_cell_as_evaluated_equals_the_trainers(small_build):
    out, tables, result, _ = small_build
    values = evaluate_workbook(out).values
    assert values[("ratings", "D3")] == pytest.approx(result.valid_mse[-1], rel=0, abs=1e-9)
    assert values[("about", next(a for s, a in values if s == "about"))] is not None
    # the train MSE cell is the MSE of the final weights over the training ratings, recomputed by NumPy
    train = np.setdiff1d(np.arange(len(tables.rating)), result.valid)
    ratings = read_ratings(small_build[3])
    err = result.predict(ratings.users[train], ratings.movies[train]) - ratings.ratings[train]
    assert values[("ratings", "B3")] == pytest.approx(np.mean(err ** 2), rel=0, abs=1e-9)


def test_check_recomputes_every_formula_and_matches(small_build, capsys):
    out = small_build[0]
    code, stdout, err = run(["check", str(out)], capsys)
    assert code == 0, stdout + err


def test_every_prediction_is_the_models(small_build):
    out, tables, result, data = small_build
    values = evaluate_workbook(out).values
    ratings = read_ratings(data)
    first = ml.FIRST_RATING_ROW
    ours = np.array([values[("ratings", f"J{first + i}")] for i in range(len(ratings))])
    np.testing.assert_allclose(ours, result.predict(ratings.users, ratings.movies), rtol=1e-12, atol=0)


def test_cli_writes_the_workbook_and_reports_each_epoch(tmp_path, capsys):
    data, item = write_ratings(tmp_path)
    out = tmp_path / "m.xlsx"
    code, stdout, err = run(["movielens", "--ratings", str(data), "--titles", str(item), "--out", str(out)] + SMALL,
                            capsys)
    assert code == 0, err
    assert out.is_file() and f"wrote {out}" in stdout
    assert "epoch 1" in err and "epoch 2" in err and "valid MSE" in err
    values = evaluate_workbook(out).values
    assert values[("bias", "C6")].startswith("Movie number")     # the titles are looked up by INDEX


@pytest.mark.libreoffice
def test_libreoffice_agrees_with_our_evaluator(small_build, soffice):
    from sheetsgd import libreoffice
    report = libreoffice.compare(small_build[0])
    assert report.cells > 5 * 500 and report.ok, report.summary() + f" {report.mismatches[:3]}"


# ---------------------------------------------------------------- what would not fit in Excel

def test_too_many_factors_is_refused_naming_what_fits(tmp_path, capsys):
    data, item = write_ratings(tmp_path)
    out = tmp_path / "m.xlsx"
    code, stdout, err = run(["movielens", "--ratings", str(data), "--out", str(out), "--factors", "16380"], capsys)
    assert code == 2 and stdout == ""
    assert len(err.strip().splitlines()) == 1
    assert "--factors 16380" in err and f"--factors {ml.max_factors()} or fewer" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["u.data", "u.item"]


def test_more_ratings_than_rows_is_refused_before_training(tmp_path, capsys, monkeypatch):
    data, _ = write_ratings(tmp_path, n=500)
    monkeypatch.setattr(ml, "EXCEL_ROWS", 400)          # a 400-row Excel: 500 ratings cannot fit
    monkeypatch.setattr(model, "train", lambda *a, **k: pytest.fail("trained before refusing"))
    out = tmp_path / "m.xlsx"
    code, stdout, err = run(["movielens", "--ratings", str(data), "--out", str(out)] + SMALL, capsys)
    assert code == 2 and stdout == ""
    assert len(err.strip().splitlines()) == 1
    assert "500 ratings" in err and f"at most {400 - ml.FIRST_RATING_ROW + 1} ratings fit" in err
    assert not out.exists()


def test_check_fits_names_the_limits(monkeypatch):
    from sheetsgd.formula import reader
    with pytest.raises(SheetsgdError, match="over the 2,000,000-cell limit of `sheetsgd check`.* at most 170,965 ratings fit"):
        ml.check_fits(200_000, 943, 1682, 40)          # check's limit comes first: Excel's are far above it
    monkeypatch.setattr(reader, "MAX_CELLS", 10**12)   # Excel's own limits, as if check read any size
    ml.check_fits(ml.max_ratings(), 943, 1682, ml.max_factors())
    with pytest.raises(SheetsgdError, match="1,048,571 ratings fit"):
        ml.check_fits(ml.max_ratings() + 1, 943, 1682, 40)
    with pytest.raises(SheetsgdError, match="at most 1,048,575 users"):
        ml.check_fits(10, ml.EXCEL_ROWS, 5, 40)


# ---------------------------------------------------------------- bad options: one line, exit 2, nothing written

@pytest.mark.parametrize("extra, names", [
    (["--factors", "0"], ["--factors", "0"]),
    (["--epochs", "0"], ["--epochs", "0"]),
    (["--lr", "0"], ["--lr", "0"]),
    (["--lr", "fast"], ["--lr", "fast"]),
    (["--wd", "-1"], ["--wd", "-1"]),
    (["--bs", "0"], ["--bs", "0"]),
    (["--seed", "-3"], ["--seed", "-3"]),
    (["--out", "movielens.csv"], ["--out", "movielens.csv"]),
    (["--out", "no/such/dir/m.xlsx"], ["--out", "no/such/dir"]),
    (["--titles", "missing.item"], ["--titles", "missing.item"]),
])
def test_bad_option_is_one_line_exit_2_nothing_written(extra, names, tmp_path, capsys, monkeypatch):
    data, _ = write_ratings(tmp_path)
    monkeypatch.chdir(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    code, stdout, err = run(["movielens", "--ratings", str(data)] + extra, capsys)
    assert code == 2 and stdout == ""
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    for name in names:
        assert name in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_bad_ratings_file_is_one_line_naming_the_line(tmp_path, capsys):
    data = tmp_path / "u.data"
    data.write_text("1\t2\t3\t881250949\n1\t3\tfive\t881250949\n")
    out = tmp_path / "m.xlsx"
    code, stdout, err = run(["movielens", "--ratings", str(data), "--out", str(out)], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "line 2" in err and "five" in err
    assert not out.exists()


def test_too_few_ratings_for_a_batch_is_one_line(tmp_path, capsys):
    data, _ = write_ratings(tmp_path, n=20)
    out = tmp_path / "m.xlsx"
    code, stdout, err = run(["movielens", "--ratings", str(data), "--out", str(out), "--bs", "64"], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "bs=64" in err
    assert not out.exists()


# ---------------------------------------------------------------- MovieLens 100k

@pytest.mark.slow
@pytest.mark.shared
def test_movielens_100k_valid_mse_cell_equals_the_trainers(movielens_dir, tmp_path):
    out = tmp_path / "movielens.xlsx"
    tables, result, _ = ml.make(movielens_dir / "u.data", out, movielens_dir / "u.item", epochs=1)
    assert len(tables.rating) == 100_000 and len(tables.user_ids) == 943 and len(tables.movie_ids) == 1682
    values = evaluate_workbook(out).values
    assert values[("ratings", "D3")] == pytest.approx(result.valid_mse[-1], rel=0, abs=1e-9)
    assert values[("ratings", "D3")] < 1.0


def test_ratings_csv_with_sparse_ids_and_half_stars(tmp_path, capsys):
    """MovieLens 'latest' layout: a header, half stars, ids with gaps: each rating's row index still finds it."""
    rng = np.random.default_rng(3)
    user_ids = rng.choice(np.arange(1, 100_000), size=25, replace=False)
    movie_ids = rng.choice(np.arange(1, 200_000), size=20, replace=False)
    pairs = rng.choice(25 * 20, size=300, replace=False)
    lines = ["userId,movieId,rating,timestamp"] + [
        f"{user_ids[p // 20]},{movie_ids[p % 20]},{rng.integers(1, 11) / 2},964982703" for p in pairs]
    data = tmp_path / "ratings.csv"
    data.write_text("\n".join(lines) + "\n")
    titles = tmp_path / "movies.csv"
    titles.write_text("movieId,title,genres\n" + "".join(f'{m},"Film {m}, The (2001)",Drama\n' for m in movie_ids))
    out = tmp_path / "latest.xlsx"
    tables, result, _ = ml.make(data, out, titles, factors=3, epochs=2, bs=8)
    values = evaluate_workbook(out).values
    ratings = read_ratings(data)
    first = ml.FIRST_RATING_ROW
    ours = np.array([values[("ratings", f"J{first + i}")] for i in range(len(ratings))])
    np.testing.assert_allclose(ours, result.predict(ratings.users, ratings.movies), rtol=1e-12, atol=0)
    assert values[("ratings", "D3")] == pytest.approx(result.valid_mse[-1], rel=0, abs=1e-9)
    assert values[("bias", "C6")].startswith("Film ")
    code, stdout, err = run(["check", str(out)], capsys)
    assert code == 0, stdout + err


def test_same_inputs_give_a_byte_identical_workbook(tmp_path, capsys):
    data, item = write_ratings(tmp_path)
    for name in ("a.xlsx", "b.xlsx"):
        code, _, err = run(["movielens", "--ratings", str(data), "--titles", str(item), "--out", str(tmp_path / name)]
                           + SMALL, capsys)
        assert code == 0, err
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()


def test_the_cell_bound_holds_for_a_built_workbook(small_build):
    """check_fits refuses a workbook over the reader's MAX_CELLS before training (issue 14: 1M ratings
    made a workbook `sheetsgd check` refused); its bound must hold for what build writes."""
    from sheetsgd.formula.reader import read_book
    out, tables, _, _ = small_build
    book = read_book(out)
    cells = sum(len(s.cells) for s in book.sheets.values())
    bound = ml.workbook_cells(len(tables.rating), len(tables.user_ids), len(tables.movie_ids), 4)
    assert cells <= bound <= cells + ml.OTHER_CELLS, (cells, bound)


def test_a_workbook_over_checks_cell_limit_is_refused_before_training(tmp_path, capsys, monkeypatch):
    from sheetsgd.formula import reader
    data, _ = write_ratings(tmp_path)
    monkeypatch.setattr(reader, "MAX_CELLS", 8_000)
    monkeypatch.setattr(model, "train", lambda *a, **k: pytest.fail("trained a workbook it cannot write"))
    code, out, err = run(["movielens", "--ratings", str(data), "--out", str(tmp_path / "m.xlsx")] + SMALL, capsys)
    assert code == 2 and out == "" and not (tmp_path / "m.xlsx").exists()
    fit = (8_000 - ml.workbook_cells(0, 40, 30, 4)) // 11
    assert err.strip() == (f"sheetsgd: error: 500 ratings: the workbook would hold up to {ml.workbook_cells(500, 40, 30, 4):,} "
                           f"cells, over the 8,000-cell limit of `sheetsgd check` on a workbook; with 40 users, "
                           f"30 movies and 4 factors at most {fit:,} ratings fit: use a ratings file with fewer lines")
