"""The collab models and data: the lecture's crosstab, the math, the gradient, the solve."""
import numpy as np
import pytest
from scipy.optimize import check_grad

from sheetsgd.data import GREEN_EGGS, load_crosstab, lecture_ratings
from sheetsgd.errors import SheetsgdError
from sheetsgd.models import collab as cf
from sheetsgd.sheets.collab import fitted_weights, generators

# The lecture's RMSEs (Excel's cached dotprod!V41 and bias!V42 in collab_filter.xlsx).
LECTURE_DOTPROD = 0.3930154712865702
LECTURE_BIAS = 0.3194674135586278


@pytest.fixture(scope="module")
def ratings():
    return lecture_ratings()


def lecture_weights(path):
    """The lecture's solved weights, read from its workbook at test time (never stored in the repo)."""
    import openpyxl
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)   # read-only skips the pivot caches

    def block(sheet, r0, r1, c0, c1):
        rows = wb[sheet].iter_rows(min_row=r0, max_row=r1, min_col=c0, max_col=c1, values_only=True)
        return np.array([[float(v) for v in row] for row in rows])
    dot = cf.Weights(block("dotprod", 25, 39, 2, 6), block("dotprod", 19, 23, 8, 22))
    bias = cf.Weights(block("bias", 26, 40, 2, 6), block("bias", 20, 24, 8, 22),
                      block("bias", 26, 40, 1, 1)[:, 0], block("bias", 19, 19, 8, 22)[0])
    wb.close()
    return {"dotprod": dot, "bias": bias}


# ---------------------------------------------------------------- data

def test_lecture_crosstab_is_the_dotprod_sheet(ratings):
    assert ratings.matrix.shape == (15, 15)
    assert ratings.user_ids[:3] == (14, 29, 72) and ratings.user_ids[-1] == 623
    assert ratings.movie_ids[:3] == (27, 49, 57) and ratings.movie_ids[-1] == 505
    assert ratings.count == 206            # the lecture's movielens sheets have rows 3..208
    assert ratings.matrix[0, 0] == 3 and ratings.matrix[2, 6] == 4.5
    assert np.isnan(ratings.matrix[3, 9])  # user 211 did not rate movie 179
    assert set(np.unique(ratings.matrix[ratings.mask])) <= {1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5}


def test_long_form_is_user_major_with_one_based_indexes(ratings):
    rows = ratings.long()
    assert len(rows) == 206
    assert rows[0] == (14, 27, 1, 1, 3.0)
    assert rows[-1] == (623, 505, 15, 15, 4.0)
    assert [r[2] for r in rows] == sorted(r[2] for r in rows)


def test_lecture_data_matches_the_original(reference):
    import openpyxl
    wb = openpyxl.load_workbook(reference("collab_filter.xlsx"), read_only=True, data_only=True)
    rows = list(wb["dotprod"].iter_rows(min_row=1, max_row=16, min_col=7, max_col=22, values_only=True))
    wb.close()
    ours = lecture_ratings()
    assert tuple(rows[0][1:]) == ours.movie_ids
    assert tuple(r[0] for r in rows[1:]) == ours.user_ids
    theirs = np.array([[np.nan if v is None else v for v in r[1:]] for r in rows[1:]], dtype=float)
    np.testing.assert_array_equal(theirs, ours.matrix)


@pytest.mark.parametrize("text, message", [
    ("userId,1,2\n7,3,x\n", "'x' is not a number"),
    ("userId,1,2\n7,3\n", "2 fields, expected 3"),
    ("userId,1,1\n7,3,4\n", "repeated movieId"),
    ("userId,1,2\n7,,\n", "no ratings"),
    ("userId,1.5,2\n7,3,4\n", "not a whole number"),
])
def test_bad_crosstab_is_one_line_naming_the_value(tmp_path, text, message):
    path = tmp_path / "r.csv"
    path.write_text(text)
    with pytest.raises(SheetsgdError, match=message):
        load_crosstab(path)


def test_missing_crosstab_names_the_file(tmp_path):
    with pytest.raises(SheetsgdError, match="nope.csv"):
        load_crosstab(tmp_path / "nope.csv")


def test_sentence_is_the_lectures():
    assert len(GREEN_EGGS) == 48 and GREEN_EGGS[:3] == ["I", "am", "Daniel"] and GREEN_EGGS[-1] == "ham"


# ---------------------------------------------------------------- the math

def test_lecture_weights_give_the_lectures_rmse(reference, ratings):
    w = lecture_weights(reference("collab_filter.xlsx"))
    assert cf.rmse(ratings, cf.predict(w["dotprod"])) == pytest.approx(LECTURE_DOTPROD, rel=1e-14)
    assert cf.rmse(ratings, cf.predict(w["bias"])) == pytest.approx(LECTURE_BIAS, rel=1e-14)


def test_dot_is_the_matrix_product_summed_in_order(ratings):
    rng = np.random.default_rng(0)
    u, m = rng.normal(size=(15, 4)), rng.normal(size=(4, 15))
    np.testing.assert_allclose(cf.dot(u, m), u @ m, rtol=1e-13)
    by_hand = ((u[:, 0:1] * m[0] + u[:, 1:2] * m[1]) + u[:, 2:3] * m[2]) + u[:, 3:4] * m[3]
    np.testing.assert_array_equal(cf.dot(u, m), by_hand)


def test_rmse_ignores_unrated_cells(ratings):
    w = cf.random_start(np.random.default_rng(1), 15, 15, 3)
    preds = cf.predict(w)
    changed = preds.copy()
    changed[~ratings.mask] = 1e6                       # whatever is predicted where nobody rated
    assert cf.rmse(ratings, changed) == cf.rmse(ratings, preds)
    err = (ratings.matrix - preds)[ratings.mask]
    assert cf.rmse(ratings, preds) == pytest.approx(np.sqrt(np.mean(err ** 2)), rel=1e-14)


@pytest.mark.parametrize("bias", [False, True])
def test_analytic_gradient_matches_finite_differences(ratings, bias):
    start = cf.random_start(np.random.default_rng(3), 15, 15, 5, bias)
    f = lambda t: cf.rmse_and_grad(t, start, ratings)[0]
    g = lambda t: cf.rmse_and_grad(t, start, ratings)[1]
    theta = start.flat()
    assert check_grad(f, g, theta) < 1e-6 * np.linalg.norm(g(theta))


def test_flat_unflat_round_trip():
    w = cf.random_start(np.random.default_rng(2), 4, 6, 3, bias=True)
    back = w.unflat(w.flat())
    for a, b in zip((w.users, w.movies, w.user_bias, w.movie_bias),
                    (back.users, back.movies, back.user_bias, back.movie_bias)):
        np.testing.assert_array_equal(a, b)


def test_one_hot_product_is_exactly_the_lookup():
    rng = np.random.default_rng(4)
    weights = rng.normal(size=(15, 5))
    idx = rng.integers(1, 16, size=40)
    np.testing.assert_array_equal(cf.activations(cf.one_hot(idx, 15), weights), weights[idx - 1])


# ---------------------------------------------------------------- the solve

@pytest.mark.parametrize("seed", [0, 1, 7, 42, 2019])
def test_solved_rmse_beats_the_lecture_for_every_seed(ratings, seed):
    dot_rng, bias_rng, _ = generators(seed)
    weights, runs = fitted_weights(ratings, 5, dot_rng, bias_rng, solve=True)
    dot = cf.rmse(ratings, cf.predict(weights["dotprod"]))
    bias = cf.rmse(ratings, cf.predict(weights["bias"]))
    print(f"seed {seed}: dotprod {dot:.6f} ({len(runs['dotprod'].fits)} starts), "
          f"bias {bias:.6f} ({len(runs['bias'].fits)} starts)")
    assert dot <= 0.393 and bias <= 0.320
    # the random start is where the fit began: far worse
    assert cf.rmse(ratings, cf.predict(runs["dotprod"].start)) > 1


def test_no_solve_keeps_the_first_random_start(ratings):
    a, _ = fitted_weights(ratings, 5, *generators(9)[:2], solve=False)
    b, runs = fitted_weights(ratings, 5, *generators(9)[:2], solve=True)
    np.testing.assert_array_equal(a["dotprod"].users, runs["dotprod"].start.users)
    np.testing.assert_array_equal(a["bias"].movie_bias, runs["bias"].start.movie_bias)
    assert 0 <= a["dotprod"].users.min() and a["dotprod"].users.max() < 1   # like =RAND()


@pytest.mark.parametrize("factors", [0, 51, 2.5, True])
def test_bad_factors_is_a_user_error(ratings, factors):
    with pytest.raises(SheetsgdError, match="factors"):
        fitted_weights(ratings, factors, *generators(0)[:2])


def test_a_local_minimum_is_escaped_by_another_start(ratings):
    # bias from np.random.default_rng(4)'s first start ends in a local minimum near 0.3224
    first = cf.fit(ratings, cf.random_start(np.random.default_rng(4), 15, 15, 5, bias=True))
    assert first.rmse > 0.322
    solve = cf.solve(ratings, np.random.default_rng(4), 5, bias=True)
    assert solve.fits[0].rmse == first.rmse and len(solve.fits) >= 3
    assert solve.best.rmse < 0.3187


@pytest.mark.slow
def test_benchmark_prints_both_sheets_and_the_ratio(capsys):
    from sheetsgd.bench import collab_solve
    assert collab_solve.main(["--repeat", "1"]) == 0
    out = capsys.readouterr().out
    for sheet in ("dotprod", "bias"):
        assert sum(line.startswith(sheet) for line in out.splitlines()) == 3   # analytic, finite diff., ratio
    assert "finite diff." in out and "ratio" in out and "both sheets: analytic" in out
