"""`sheetsgd build --ratings FILE [--titles FILE] [--top N]`: the collab workbook from someone's own ratings.

The figures we compare with come from outside the code under test: the top-N users and movies
are counted here from the raw lines with collections.Counter, the RMSE is recomputed from the raw
(user, movie, rating) triples of the file and the workbook's cached predictions, and
`sheetsgd check` recomputes every formula with the evaluator.
"""
import math
from collections import Counter

import numpy as np
import openpyxl
import pytest

from sheetsgd.cli import main
from sheetsgd.data import Ratings, lecture_ratings
from sheetsgd.formula import evaluate_book
from sheetsgd.formula.reader import read_book
from sheetsgd.ratings import read_ratings
from sheetsgd.sheets import collab


# ---------------------------------------------------------------- generated MovieLens files

def triples(seed=0, half_stars=False):
    """(user, movie, rating) with a taste structure a 5-factor model can learn, plenty of count ties,
    and user 500: the most ratings of all, but only of movies nobody else saw (an empty row)."""
    rng = np.random.default_rng(seed)
    taste, quality = rng.normal(0, 1, 20), rng.normal(0, 1, 30)
    rows = []
    for u in range(1, 21):
        for m in range(1, 31):
            if rng.random() < 0.95 * (1 - m / 40) * (1 - u / 30):
                r = 3 + taste[u - 1] * 0.6 + quality[m - 1] * 0.8 + rng.normal(0, 0.4)
                r = np.clip(np.round(r * 2) / 2 if half_stars else np.round(r), 0.5 if half_stars else 1, 5)
                rows.append((u, 100 + m, float(r)))
    rows += [(500, 900 + j, 4.0) for j in range(25)]
    order = rng.permutation(len(rows))                # file order is not id order
    return [rows[i] for i in order]


def write_u_data(path, rows):
    path.write_text("".join(f"{u}\t{m}\t{int(r)}\t{881250949 + n}\n" for n, (u, m, r) in enumerate(rows)))
    return path


def write_ratings_csv(path, rows):
    path.write_text("userId,movieId,rating,timestamp\n" +
                    "".join(f"{u},{m},{r:g},{1260759144 + n}\n" for n, (u, m, r) in enumerate(rows)))
    return path


def title(m):
    return f"Movie {m}, the sequel ({1990 + m % 10})"


def write_u_item(path, movies):
    # latin-1, as MovieLens 100k; movie 101 has no title line
    path.write_bytes("".join(f"{m}|{title(m)}|01-Jan-1995||http://x|0|0\n" for m in movies if m != 101)
                     .encode("latin-1"))
    return path


def write_movies_csv(path, movies):
    path.write_text("movieId,title,genres\n" +
                    "".join(f'{m},"{title(m)}",Drama\n' for m in movies if m != 101), encoding="utf-8")
    return path


def expected_top(rows, n):
    """The n most active users and most rated movies, ties to the smaller id, in id order."""
    def most(ids):
        counts = Counter(ids)
        return sorted(sorted(counts, key=lambda i: (-counts[i], i))[:n])
    return most(u for u, _, _ in rows), most(m for _, m, _ in rows)


def run(args, capsys):
    with pytest.raises(SystemExit) as e:
        main(args)
    out = capsys.readouterr()
    return e.value.code, out.out, out.err


# ---------------------------------------------------------------- the selection

@pytest.mark.parametrize("n", [2, 5, 8, 15, 25])
def test_top_n_selection_counts_and_ties(tmp_path, n):
    rows = triples()
    r = collab.own_ratings(write_u_data(tmp_path / "u.data", rows), n)
    users, movies = expected_top(rows, n)
    assert list(r.user_ids) == users and list(r.movie_ids) == movies
    cells = {(u, m): v for u, m, v in rows if u in users and m in movies}
    assert r.count == len(cells)
    for (u, m), v in cells.items():
        assert r.matrix[users.index(u), movies.index(m)] == v
    assert r.source.total == len(rows) and r.source.top == n and r.titles is None


def test_ties_go_to_the_smaller_id(tmp_path):
    # users 7 and 3 rate 2 movies each, 9 rates 3: the top 2 users are 3 and 9, not 7
    rows = [(9, 1, 5), (9, 2, 4), (9, 3, 3), (7, 1, 2), (7, 2, 1), (3, 2, 2), (3, 3, 4)]
    r = collab.own_ratings(write_u_data(tmp_path / "u.data", rows), 2)
    assert r.user_ids == (3, 9) and r.movie_ids == (1, 2)    # movies 1, 2, 3 rated 2, 3, 2 times: 2, then 1


def test_a_top_user_who_rated_none_of_the_top_movies_is_an_empty_row(tmp_path):
    r = collab.own_ratings(write_u_data(tmp_path / "u.data", triples()), 8)
    assert 500 in r.user_ids and not r.mask[r.user_ids.index(500)].any()


# ---------------------------------------------------------------- built, checked, fitted

TOP, K = 12, 2


@pytest.fixture(scope="module", params=["u.data", "ratings.csv"])
def built(request, tmp_path_factory):
    """The CLI's build from a generated file (top 12, titles, 2 factors: fewer weights than ratings,
    so the fit cannot reproduce every rating), solved and the random start."""
    d = tmp_path_factory.mktemp(request.param.replace(".", "_"))
    half = request.param == "ratings.csv"
    rows = triples(seed=1, half_stars=half)
    movies = sorted({m for _, m, _ in rows})
    ratings = (write_ratings_csv if half else write_u_data)(d / request.param, rows)
    titles = (write_movies_csv(d / "movies.csv", movies) if half else write_u_item(d / "u.item", movies))
    out = {}
    for name, extra in (("solved", []), ("start", ["--no-solve"])):
        args = ["build", "--only", "collab", "--ratings", str(ratings), "--titles", str(titles), "--top", str(TOP),
                "--factors", str(K), "--out", str(d / name)] + extra
        with pytest.raises(SystemExit) as e:
            main(args)
        assert e.value.code == 0
        out[name] = d / name / "collab_filter.xlsx"
    return {"rows": rows, "ratings": ratings, "titles": titles, "paths": out,
            "crosstab": collab.own_ratings(ratings, TOP, titles, K)}


def test_built_workbook_passes_check_with_every_cell_checkable(built, capsys):
    for path in built["paths"].values():
        code, out, _ = run(["check", str(path)], capsys)
        assert code == 0, out
        assert evaluate_book(read_book(path)).uncheckable == {}


def rmses(path, crosstab):
    values = evaluate_book(read_book(path)).values
    return {name: values[(name, cell)] for name, cell in collab.rmse_cells(K, crosstab).items()}


def test_solved_rmse_is_below_the_random_start_and_the_four_sheets_agree(built):
    solved, start = (rmses(built["paths"][k], built["crosstab"]) for k in ("solved", "start"))
    for r in (solved, start):
        assert math.isclose(r["movielens_1hot"], r["dotprod"], rel_tol=1e-12)
        assert math.isclose(r["movielens_emb"], r["dotprod"], rel_tol=1e-12)
    assert solved["dotprod"] < 0.5 * start["dotprod"] and solved["bias"] < 0.5 * start["bias"]
    assert solved["bias"] <= solved["dotprod"] + 1e-9


def test_rmse_from_the_raw_file_and_the_cached_predictions(built):
    """The outside view: every rating of the file that falls in the top 12 x 12, against the
    prediction cell of its user and movie, found by the ids the sheet shows."""
    rows = built["rows"]
    users, movies = expected_top(rows, TOP)
    ws = openpyxl.load_workbook(built["paths"]["solved"], data_only=True)["dotprod"]
    grid = [[c.value for c in row] for row in ws.iter_rows()]
    r0, c0 = next((r, c) for r, row in enumerate(grid) for c, v in enumerate(row) if v == "userId")
    assert [int(v) for v in grid[r0][c0 + 1:c0 + 1 + TOP]] == movies
    assert [int(grid[r0 + 1 + i][c0]) for i in range(TOP)] == users
    pred = {(users[i], movies[j]): grid[r0 + 1 + i][c0 + 1 + j] for i in range(TOP) for j in range(TOP)}
    inside = [(u, m, r) for u, m, r in rows if u in users and m in movies]
    outside = math.sqrt(sum((pred[u, m] - r) ** 2 for u, m, r in inside) / len(inside))
    assert math.isclose(outside, rmses(built["paths"]["solved"], built["crosstab"])["dotprod"], rel_tol=1e-12)


def test_titles_appear_above_the_ids_beside_the_long_tables_and_the_about_sheet_names_the_file(built):
    wb = openpyxl.load_workbook(built["paths"]["solved"])
    _, movies = expected_top(built["rows"], TOP)
    assert 101 in movies                                                  # the movie without a title
    for sheet in ("dotprod", "bias"):
        ws = wb[sheet]
        assert [ws.cell(1, 8 + j).value for j in range(TOP)] == \
            ["(no title)" if m == 101 else title(m) for m in movies]
        assert [ws.cell(2, 8 + j).value for j in range(TOP)] == movies    # the ids stay, one row down
    for sheet in ("movielens_1hot", "movielens_emb"):                    # and beside the long sheets' movies
        ws = wb[sheet]
        top_row = 3 + TOP + 3 + 1                                         # the Movies table's first row (1-based)
        assert ws.cell(top_row - 1, 3 + K).value == "title"
        assert [ws.cell(top_row + j, 2).value for j in range(TOP)] == movies
        assert [ws.cell(top_row + j, 3 + K).value for j in range(TOP)] == \
            ["(no title)" if m == 101 else title(m) for m in movies]
    about = " | ".join(str(c.value) for row in wb["about"].iter_rows() for c in row if c.value is not None)
    n = built["crosstab"].count
    assert str(built["ratings"]) in about and str(built["titles"]) in about
    assert f"--top {TOP}): {n:,} of the file's {len(built['rows']):,} ratings" in about
    assert f"sheetsgd build --only collab --ratings {built['ratings']} --top {TOP} --titles {built['titles']}" in about


def test_any_rating_scale_through_the_api(tmp_path):
    """ratings.py keeps files to MovieLens stars, but the crosstab's RMSE and the fit take any scale."""
    lecture = lecture_ratings()
    tens = Ratings(lecture.user_ids, lecture.movie_ids, lecture.matrix * 2)     # a 2..10 scale
    summary = collab.build(tmp_path / "c.xlsx", ratings=tens)
    built = evaluate_book(read_book(tmp_path / "c.xlsx"))
    assert built.uncheckable == {}
    dot = built.values[("dotprod", "V41")]
    assert summary.startswith(f"dotprod RMSE {dot:.4f}") and dot < 2 * 0.3930 * 1.01   # twice the lecture's


# ---------------------------------------------------------------- MovieLens 100k

@pytest.mark.slow
def test_ml_100k_top_15_builds_and_checks(movielens_dir, tmp_path, capsys):
    u_data = movielens_dir / "u.data"
    rows = [tuple(int(x) for x in line.split("\t")[:3]) for line in u_data.read_text().splitlines() if line]
    users, movies = expected_top(rows, 15)
    code, out, err = run(["build", "--only", "collab", "--ratings", str(u_data), "--titles",
                          str(movielens_dir / "u.item"), "--top", "15", "--out", str(tmp_path)], capsys)
    assert code == 0, err
    path = tmp_path / "collab_filter.xlsx"
    code, out, _ = run(["check", str(path)], capsys)
    assert code == 0, out
    ws = openpyxl.load_workbook(path)["dotprod"]
    assert [ws.cell(2, 8 + j).value for j in range(15)] == movies
    assert [ws.cell(3 + i, 7).value for i in range(15)] == users
    assert ws["H1"].value == "Toy Story (1995)" and ws["J1"].value == "Star Wars (1977)"
    crosstab = collab.own_ratings(u_data, 15, movielens_dir / "u.item")
    assert crosstab.count == sum(u in users and m in movies for u, m, _ in rows) == 190


# ---------------------------------------------------------------- bad inputs: one line, exit 2, nothing written

@pytest.fixture
def files(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    rows = triples()
    dense = [(u, m, 1 + (u * m) % 5) for u in range(1, 121) for m in range(1, 121)]
    return {"u.data": write_u_data(d / "u.data", rows), "dir": d, "empty": d / "empty.data",
            "dense": write_u_data(d / "dense.data", dense), "u.item": write_u_item(d / "u.item", range(100, 131)),
            "six stars": write_u_data(d / "six.data", [(1, 1, 4), (1, 2, 6)]),
            "short line": d / "short.csv"}


BAD = {
    "top 0": (["--ratings", "u.data", "--top", "0"], "--top 0: expected a whole number from 2 to 200"),
    "top 1": (["--ratings", "u.data", "--top", "1"], "--top 1: expected a whole number from 2 to 200"),
    "top huge": (["--ratings", "u.data", "--top", "1000000"], "--top 1000000: expected a whole number from 2"),
    "top too large for the file": (["--ratings", "dense", "--top", "120"],
                                   "14,400 ratings x 240 one-hot columns = 3,456,000 formula cells on movielens_1hot, more than 250,000; --top 50 fits"),
    "titles without ratings": (["--titles", "u.item"], "--titles needs --ratings"),
    "top without ratings": (["--top", "20"], "--top needs --ratings"),
    "a directory": (["--ratings", "dir"], "is a directory, expected a file such as"),
    "an empty file": (["--ratings", "empty"], "empty.data: empty file, expected MovieLens ratings"),
    "a missing file": (["--ratings", "nothing.data"], "nothing.data: no such file"),
    "a rating of 6": (["--ratings", "six stars"], "six.data: line 2: rating 6 is outside 0.5..5"),
    "a short line": (["--ratings", "short line"], "short.csv: line 3: expected 4 comma-separated fields"),
    "titles that are ratings": (["--ratings", "u.data", "--titles", "u.data"], "u.data: line 1: expected id|title"),
    "ratings for graddesc": (["--ratings", "u.data", "--only", "graddesc"], "--ratings is for the collab workbook"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_inputs_one_line_exit_2_nothing_written(case, files, tmp_path, capsys):
    args, message = BAD[case]
    files["empty"].write_text("")
    files["short line"].write_text("userId,movieId,rating,timestamp\n1,2,3.5,0\n1,3,4\n")
    names = {**files, "nothing.data": files["dir"] / "nothing.data"}
    args = [str(names[a]) if a in names else a for a in args]
    if "--only" not in args:
        args = ["--only", "collab"] + args
    out = tmp_path / "out" / "deeper"
    code, stdout, stderr = run(["build", "--out", str(out)] + args, capsys)
    assert code == 2 and stdout == ""
    assert stderr.count("\n") == 1 and message in stderr, stderr
    assert not (tmp_path / "out").exists()


def test_size_limit_is_exact(files):
    """120 x 120 all rated: n^2 ratings x 2n one-hot columns <= 250,000 holds up to n = 50."""
    assert collab.own_ratings(files["dense"], 50).count == 2500
    assert collab.largest_top(read_ratings(files["dense"]), 5) == 50


def test_build_help_documents_the_options(capsys):
    code, out, _ = run(["build", "--help"], capsys)
    assert code == 0
    for text in ("--ratings", "--titles", "--top N", "u.data", "ratings.csv", "u.item", "2..200",
                 "sheetsgd build --only collab --ratings ml-100k/u.data --titles ml-100k/u.item --top 20"):
        assert text in out, text


@pytest.mark.libreoffice
def test_libreoffice_computes_the_same_rmses(built, soffice):
    """The outside view of the formulas: LibreOffice recalculates the titled layout to our numbers."""
    from sheetsgd import libreoffice as lo
    path = built["paths"]["solved"]
    theirs = lo.libreoffice_values(path)
    theirs = theirs[0] if isinstance(theirs, tuple) else theirs
    ours = evaluate_book(read_book(path)).values
    for name, cell in collab.rmse_cells(K, built["crosstab"]).items():
        assert math.isclose(theirs[(name, cell)], ours[(name, cell)], rel_tol=5e-15), (name, cell)
