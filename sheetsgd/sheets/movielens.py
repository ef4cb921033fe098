"""MovieLens 100k as a workbook: the lesson's collab_learner, trained in NumPy, every prediction a live formula.

    about     what this is, the options, the valid MSE after each epoch, the workbook's own MSEs
    users     user id, bias, n factors                     (the learned user embedding)
    movies    movie id, title, bias, mean rating, count, n factors
    ratings   every rating: user, movie, rating, split, the user's and movie's row in those sheets,
              dotprod = SUMPRODUCT(INDEX(users factors, user row, 0), INDEX(movies factors, movie row, 0)),
              both biases by INDEX, prediction = lo + (hi-lo)/(1+EXP(-(dotprod+biases))), squared error;
              train and valid MSE at the top: AVERAGEIF(split, "valid", squared error)
    bias      the lecture's "movie bias": the most rated movies ranked by bias, bottom and top 15
    pca       the lecture's reading of the movie factors: first 3 principal components, top/bottom 10

Each rating's row in the users and movies tables is looked up live: MATCH(user id, the users' ids, 0),
so editing a rating's user or movie moves its prediction; INDEX(range, row, 0) then returns one
whole row of factors in Excel, LibreOffice and Google Sheets.

Cached values come from the trained NumPy model, with every input first rounded to what the file
keeps (writer.stored), and each formula's value computed in the formula's own order of operations,
so `sheetsgd check` matches them to ~1e-15.

The ratings sheet can hold ~100k rows, so the workbook is written in XlsxWriter's constant_memory
mode: each sheet strictly row by row (a finished row is flushed to disk), strings inline.
"""

import math

import numpy as np

from ..errors import SheetsgdError
from ..writer import Workbook, col_name, stored

# Excel's grid; LibreOffice and Google Sheets hold less, never more.
EXCEL_ROWS = 1_048_576
EXCEL_COLS = 16_384

Y_RANGE = (0.0, 5.5)         # fastai's y_range in the lesson: a little above 5 so 5 stars is reachable
TOP_MOVIES = 1000            # the lecture ranks and PCAs the 1000 most rated movies
N_RANKED = 15                # bias: bottom and top 15
N_PCA, N_PCA_SHOWN = 3, 10   # pca: 3 components, top and bottom 10 titles each
N_SCATTER = 40               # pca's charts: the most rated movies, each point labelled with its title

# ratings sheet layout: parameters and MSEs above, one rating a row from FIRST_RATING_ROW (1-based)
FIRST_RATING_ROW = 6
RATING_COLUMNS = ("user", "movie", "rating", "split", "user row", "movie row",
                  "dotprod", "user bias", "movie bias", "prediction", "squared error")
USER_FACTOR_COL = 2          # users: A id, B bias, C.. factors
MOVIE_FACTOR_COL = 5         # movies: A id, B title, C bias, D mean rating, E count, F.. factors


# ---------------------------------------------------------------- what fits in Excel

def max_factors():
    """The most factors whose movies sheet (5 + factors columns) still fits Excel's 16,384 columns."""
    return EXCEL_COLS - MOVIE_FACTOR_COL


def check_factors(factors):
    """Refuse before any work a factor count whose tables would not fit Excel's columns."""
    if factors > max_factors():
        raise SheetsgdError(
            f"--factors {factors}: the movies sheet needs {MOVIE_FACTOR_COL} + factors columns and Excel has "
            f"{EXCEL_COLS:,}; use --factors {max_factors()} or fewer")


def max_ratings():
    return EXCEL_ROWS - FIRST_RATING_ROW + 1


# Cells of the workbook besides the users, movies and ratings tables: the ratings sheet's head
# (23), bias (<= 196), pca (<= 470), about (45 + 3 an epoch, epochs <= 1000), rounded up.
OTHER_CELLS = 4_000
CELLS_PER_RATING = len(RATING_COLUMNS)


def workbook_cells(n_ratings, n_users, n_movies, factors):
    """An upper bound on the cells the workbook holds (tests/test_movielens_workbook.py reads one back)."""
    return (CELLS_PER_RATING * n_ratings + (n_users + 1) * (USER_FACTOR_COL + factors)
            + (n_movies + 1) * (MOVIE_FACTOR_COL + factors) + OTHER_CELLS)


def check_fits(n_ratings, n_users, n_movies, factors):
    """Refuse (one line, naming what fits) a workbook that Excel could not open, or that `sheetsgd
    check` would refuse (its limit on the cells of an untrusted workbook), before training."""
    from ..formula.reader import MAX_CELLS
    check_factors(factors)
    if n_ratings > max_ratings():
        raise SheetsgdError(
            f"{n_ratings:,} ratings: the ratings sheet holds one a row and Excel has {EXCEL_ROWS:,} rows, "
            f"so at most {max_ratings():,} ratings fit; use a ratings file with fewer lines")
    for what, n in (("users", n_users), ("movies", n_movies)):
        if n + 1 > EXCEL_ROWS:
            raise SheetsgdError(f"{n:,} {what}: the {what} sheet holds one a row and Excel has {EXCEL_ROWS:,} "
                                f"rows; use a ratings file with at most {EXCEL_ROWS - 1:,} {what}")
    cells = workbook_cells(n_ratings, n_users, n_movies, factors)
    if cells > MAX_CELLS:
        fit = (MAX_CELLS - workbook_cells(0, n_users, n_movies, factors)) // CELLS_PER_RATING
        what = (f"at most {fit:,} ratings fit: use a ratings file with fewer lines" if fit > 0 else
                f"the users and movies tables alone are too big: use fewer --factors or a smaller ratings file")
        raise SheetsgdError(
            f"{n_ratings:,} ratings: the workbook would hold up to {cells:,} cells, over the {MAX_CELLS:,}-cell "
            f"limit of `sheetsgd check` on a workbook; with {n_users:,} users, {n_movies:,} movies and "
            f"{factors} factors {what}")


# ---------------------------------------------------------------- the formulas' NumPy twins

def sigmoid_range(x, lo, hi):
    """fastai's sigmoid_range, in the formula's order: lo + (hi-lo)/(1+EXP(-x)).

    The C library's exp, as Excel, LibreOffice and our evaluator compute EXP (np.exp may differ
    in the last bit, and that bit shows in a squared error whose prediction is near the rating)."""
    return lo + (hi - lo) / (1 + _c_exp(-np.asarray(x, dtype=float)))


# EXP and ^ computed by the C library's exp and pow, one value at a time, like the evaluator:
# NumPy's SIMD exp and its x*x for x**2 can differ from them in the last bit.
_c_exp = np.vectorize(math.exp, otypes=[float])
_c_square = np.vectorize(lambda d: math.pow(d, 2), otypes=[float])


def dotprod(U, M, ui, mi):
    """SUMPRODUCT of each rating's user row and movie row (0-based indices), summed left to right."""
    total = np.zeros(len(ui))
    for k in range(U.shape[1]):          # the evaluator's order: one product at a time, added in turn
        total += U[ui, k] * M[mi, k]
    return total


# ---------------------------------------------------------------- the workbook

class Tables:
    """Everything the workbook shows, as stored in the file (inputs rounded by writer.stored).

    The model indexes users and movies from the training ratings only; an id seen only in the
    validation set predicts with zero factors and bias. Here every id gets a row (sorted by id),
    those unseen ones with zeros, so each rating's prediction is one INDEX away."""

    def __init__(self, ratings, result, titles=None):
        params = result.params
        users, movies = np.asarray(ratings.users), np.asarray(ratings.movies)
        self.user_ids = np.union1d(params.user_ids, users)
        self.movie_ids = np.union1d(params.movie_ids, movies)
        self.trained_movies = np.isin(self.movie_ids, params.movie_ids)
        self.unseen_users = len(self.user_ids) - len(params.user_ids)
        self.unseen_movies = len(self.movie_ids) - len(params.movie_ids)
        self.U = _expand(params.U, params.user_ids, self.user_ids)
        self.M = _expand(params.M, params.movie_ids, self.movie_ids)
        self.user_bias = _expand(params.bu, params.user_ids, self.user_ids)
        self.movie_bias = _expand(params.bm, params.movie_ids, self.movie_ids)
        self.lo, self.hi = (stored(v) for v in params.y_range)
        # each rating's row in the users / movies tables (0-based here, +2 in the sheet: header row)
        self.ui = np.searchsorted(self.user_ids, users)
        self.mi = np.searchsorted(self.movie_ids, movies)
        self.rating = np.asarray(ratings.ratings, dtype=float)
        self.valid = np.zeros(len(self.rating), dtype=bool)
        self.valid[np.asarray(result.valid, dtype=np.int64)] = True
        titles = titles or {}
        self.titles = [titles.get(int(m), f"movie {int(m)}") for m in self.movie_ids]
        # the movies' mean rating and count over all ratings, as the lecture's notebook shows them
        self.count = np.bincount(self.mi, minlength=len(self.movie_ids)).astype(float)
        sums = np.bincount(self.mi, weights=self.rating, minlength=len(self.movie_ids))
        self.mean = stored(sums / np.maximum(self.count, 1))
        # the formulas' values, from the stored inputs, in the formulas' order of operations
        self.dot = dotprod(self.U, self.M, self.ui, self.mi)
        self.ub = self.user_bias[self.ui]
        self.mb = self.movie_bias[self.mi]
        self.pred = sigmoid_range(self.dot + self.ub + self.mb, self.lo, self.hi)
        self.sq = _c_square(self.pred - self.rating)
        self.train_mse = split_mse(self.sq, ~self.valid)
        self.valid_mse = split_mse(self.sq, self.valid)


def _expand(values, known_ids, all_ids):
    """Rows of `values` (one per known id) placed at their id's row of all_ids; zeros elsewhere."""
    values = np.asarray(values, dtype=float)
    out = np.zeros((len(all_ids),) + values.shape[1:])
    out[np.searchsorted(all_ids, known_ids)] = values
    return stored(out)


def split_mse(sq, mask):
    """AVERAGEIF(split, name, sq): a running sum down the column, as the evaluator adds
    (np.cumsum adds in order; np.mean would pair the terms), over the count.
    None (#DIV/0! in the sheet) when the split is empty."""
    n = int(np.count_nonzero(mask))
    if n == 0:
        return None
    return float(np.cumsum(np.where(mask, sq, 0.0))[-1]) / n


def _block(sheet_name, c0, c1, n_rows):
    """Absolute reference to columns c0..c1 (0-based) of a table's data rows 2..n_rows+1."""
    return f"{sheet_name}!${col_name(c0)}$2:${col_name(c1)}${n_rows + 1}"


def build(path, ratings, result, titles=None, options=None, progress=None):
    """Write the MovieLens workbook to `path` (atomically); returns the Tables it shows.

    ratings: sheetsgd.ratings.Ratings; result: models.movielens.train's Result;
    titles: {movie id: title}; options: {name: value} listed on the about sheet;
    progress: optional callable(str) told which sheet is being written."""
    check_fits(len(ratings), len(np.union1d(result.params.user_ids, ratings.users)),
               len(np.union1d(result.params.movie_ids, ratings.movies)), result.params.U.shape[1])
    t = Tables(ratings, result, titles)
    say = progress or (lambda s: None)
    with Workbook(path, title="MovieLens collab_learner", subject="fast.ai lesson 5") as wb:
        # constant_memory: rows are flushed as soon as a later row is written; set before any sheet exists
        wb.wb.constant_memory = True
        about = wb.sheet("about")
        users = wb.sheet("users")
        movies = wb.sheet("movies")
        rsheet = wb.sheet("ratings")
        bias = wb.sheet("bias")
        pca = wb.sheet("pca")
        say("writing users and movies...")
        _write_users(users, t)
        _write_movies(movies, t)
        say(f"writing {len(t.rating):,} ratings...")
        refs = _write_ratings(rsheet, t)
        say("writing bias, pca, about...")
        _write_bias(bias, t)
        _write_pca(pca, t, result)
        _write_about(about, t, result, options or {}, refs)
    return t


def _write_users(sh, t):
    nf = t.U.shape[1]
    sh.header((0, 0), "user id")
    sh.header((0, 1), "bias")
    for k in range(nf):
        sh.header((0, USER_FACTOR_COL + k), f"f{k + 1}")
    ws, num = sh.ws, sh._fmt("input", "0.000")
    for i, uid in enumerate(t.user_ids):
        ws.write_number(i + 1, 0, float(uid), sh._fmt("rowhead"))
        ws.write_number(i + 1, 1, t.user_bias[i], num)
        ws.write_row(i + 1, USER_FACTOR_COL, t.U[i].tolist(), num)
    sh.freeze((1, 1))
    sh.widths(USER_FACTOR_COL, USER_FACTOR_COL + nf - 1, 7)
    sh.color_scale((1, USER_FACTOR_COL), (len(t.user_ids), USER_FACTOR_COL + nf - 1))


def _write_movies(sh, t):
    nf = t.M.shape[1]
    for c, name in enumerate(("movie id", "title", "bias", "mean rating", "count")):
        sh.header((0, c), name)
    for k in range(nf):
        sh.header((0, MOVIE_FACTOR_COL + k), f"f{k + 1}")
    ws, num, text = sh.ws, sh._fmt("input", "0.000"), sh._fmt("text")
    mean_fmt = sh._fmt("text", "0.00")
    for i, mid in enumerate(t.movie_ids):
        ws.write_number(i + 1, 0, float(mid), sh._fmt("rowhead"))
        ws.write_string(i + 1, 1, t.titles[i], text)
        ws.write_number(i + 1, 2, t.movie_bias[i], num)
        ws.write_number(i + 1, 3, t.mean[i], mean_fmt)
        ws.write_number(i + 1, 4, t.count[i], text)
        ws.write_row(i + 1, MOVIE_FACTOR_COL, t.M[i].tolist(), num)
    sh.freeze((1, 2))
    sh.widths(1, 1, 50)
    sh.widths(2, 4, 11)
    sh.widths(MOVIE_FACTOR_COL, MOVIE_FACTOR_COL + nf - 1, 7)
    sh.color_scale((1, MOVIE_FACTOR_COL), (len(t.movie_ids), MOVIE_FACTOR_COL + nf - 1))


def _write_ratings(sh, t):
    """The big sheet, strictly row by row. Returns the A1 references of the train and valid MSE cells."""
    nf, n = t.U.shape[1], len(t.rating)
    first, last = FIRST_RATING_ROW, FIRST_RATING_ROW + n - 1          # 1-based rows of the ratings
    user_factors = _block("users", USER_FACTOR_COL, USER_FACTOR_COL + nf - 1, len(t.user_ids))
    movie_factors = _block("movies", MOVIE_FACTOR_COL, MOVIE_FACTOR_COL + nf - 1, len(t.movie_ids))
    user_bias = _block("users", 1, 1, len(t.user_ids))
    movie_bias = _block("movies", 2, 2, len(t.movie_ids))
    split, sq = f"$D${first}:$D${last}", f"$K${first}:$K${last}"

    def mse_of(name):
        # AVERAGEIF over the split column: one answer in Excel, LibreOffice and Google Sheets
        return f'=AVERAGEIF({split},"{name}",{sq})'

    sh.title((0, 0), "Every rating, and the model's prediction of it as a live formula")
    sh.text((1, 0), "y_range lo", "label")
    sh.input((1, 1), t.lo)
    sh.text((1, 2), "hi", "label")
    sh.input((1, 3), t.hi)
    sh.note((1, 5), "prediction = lo + (hi-lo)/(1+EXP(-(dotprod + user bias + movie bias))): "
                    "fastai's sigmoid_range")
    sh.text((2, 0), "train MSE", "label")
    sh.formula((2, 1), mse_of("train"), _or_div0(t.train_mse), "0.0000", "result")
    sh.text((2, 2), "valid MSE", "label")
    sh.formula((2, 3), mse_of("valid"), _or_div0(t.valid_mse), "0.0000", "result")
    sh.note((2, 5), "the mean squared error over the ratings of each split (the valid ones were never trained on)")
    sh.note((3, 0), "user row / movie row: the rating's row in the users / movies tables (MATCH of its id), so each "
                    "lookup is one INDEX; edit a user or movie id and its prediction follows")
    for c, name in enumerate(RATING_COLUMNS):
        sh.header((first - 2, c), name)

    ws = sh.ws
    _plain_formulas(ws)
    user_ids = _block("users", 0, 0, len(t.user_ids))
    movie_ids = _block("movies", 0, 0, len(t.movie_ids))
    text, data, num = sh._fmt("text"), sh._fmt("input"), sh._fmt("formula", "0.0000")
    split_names = np.where(t.valid, "valid", "train")
    users, movies = t.user_ids[t.ui].astype(float), t.movie_ids[t.mi].astype(float)
    ui, mi = (t.ui + 1).astype(float), (t.mi + 1).astype(float)
    rows = zip(range(first, last + 1), users.tolist(), movies.tolist(), t.rating.tolist(), split_names.tolist(),
               ui.tolist(), mi.tolist(), t.dot.tolist(), t.ub.tolist(), t.mb.tolist(), t.pred.tolist(),
               t.sq.tolist())
    write_number, write_string, write_formula = ws.write_number, ws.write_string, ws.write_formula
    for r, u, m, y, s, iu, im, dot, ub, mb, pred, e in rows:
        i = r - 1                                                      # XlsxWriter rows are 0-based
        write_number(i, 0, u, text)
        write_number(i, 1, m, text)
        write_number(i, 2, y, data)
        write_string(i, 3, s, text)
        write_formula(i, 4, f"=MATCH(A{r},{user_ids},0)", text, iu)
        write_formula(i, 5, f"=MATCH(B{r},{movie_ids},0)", text, im)
        write_formula(i, 6, f"=SUMPRODUCT(INDEX({user_factors},E{r},0),INDEX({movie_factors},F{r},0))", num, dot)
        write_formula(i, 7, f"=INDEX({user_bias},E{r})", num, ub)
        write_formula(i, 8, f"=INDEX({movie_bias},F{r})", num, mb)
        write_formula(i, 9, f"=$B$2+($D$2-$B$2)/(1+EXP(-(G{r}+H{r}+I{r})))", num, pred)
        write_formula(i, 10, f"=(J{r}-C{r})^2", num, e)
    sh.freeze((first - 1, 0))
    sh.widths(0, 0, 12)
    sh.widths(1, 5, 10)
    sh.widths(6, 10, 13)
    return {"train": "ratings!$B$3", "valid": "ratings!$D$3"}


def _plain_formulas(ws):
    """Skip XlsxWriter's ~30 regex rewrites per formula (they prefix Excel 365 functions with _xlfn.):
    the ratings sheet's formulas use none of those functions, and the rewrites were 2/3 of the write time."""
    def prepare(formula, expand_future_functions=False):
        return formula[1:] if formula.startswith("=") else formula
    ws._prepare_formula = prepare


def _or_div0(x):
    from ..formula.values import DIV0
    return DIV0 if x is None else x


def _most_rated(t, n=TOP_MOVIES):
    """Rows (0-based) of the n most rated trained movies, most ratings first (ties: smaller id)."""
    rows = np.flatnonzero(t.trained_movies)
    order = np.lexsort((t.movie_ids[rows], -t.count[rows]))
    return rows[order[:n]]


def _ranked_rows(sh, row, heading, movie_rows, t, value=None, value_name=None):
    """A block of movies: rank, movie row (data), and title, bias, mean rating, count looked up by INDEX.

    With `value` (one number a movie, e.g. a principal component) it is shown as data after the count."""
    nm = len(t.movie_ids)
    looked_up = (("title", 1, None), ("bias", 2, "0.000"), ("mean rating", 3, "0.00"), ("count", 4, "0"))
    sh.text((row, 0), heading, "title")
    heads = ["rank", "movie row"] + [name for name, _, _ in looked_up] + ([value_name] if value is not None else [])
    for c, name in enumerate(heads):
        sh.header((row + 1, c), name)
    for k, j in enumerate(movie_rows):
        r = row + 2 + k
        sh.number((r, 0), k + 1)
        sh.number((r, 1), j + 1)
        ref = f"B{r + 1}"
        for c, (name, col, fmt) in enumerate(looked_up):
            v = (t.titles[j], t.movie_bias[j], t.mean[j], t.count[j])[c]
            sh.formula((r, 2 + c), f"=INDEX({_block('movies', col, col, nm)},{ref})", v, fmt)
        if value is not None:
            sh.number((r, 2 + len(looked_up)), value[k], "0.000")
    return row + 2 + len(movie_rows) + 1


def _ranked_widths(sh):
    sh.widths(0, 1, 10)
    sh.widths(2, 2, 45)
    sh.widths(3, 6, 12)


def _write_bias(sh, t):
    top = _most_rated(t)
    by_bias = top[np.argsort(t.movie_bias[top], kind="stable")]
    k = min(N_RANKED, len(by_bias))
    sh.title((0, 0), "Movie bias: which movies everyone rates above or below what their tastes predict")
    sh.note((1, 0), f"The {len(top):,} most rated movies ranked by their learned bias: what the model thinks of "
                    f"a movie once the users' tastes are accounted for (the lecture's movie_bias).")
    row = _ranked_rows(sh, 3, f"Lowest bias ({k})", by_bias[:k], t)
    _ranked_rows(sh, row + 1, f"Highest bias ({k})", by_bias[::-1][:k], t)
    _ranked_widths(sh)
    if k:
        for n, (first, name, color) in enumerate(((6, "lowest", "#F8696B"), (row + 4, "highest", "#63BE7B"))):
            chart = sh.book.chart("bar")                 # first: the block's first row, 1-based
            last = first + k - 1
            chart.add_series({"name": f"{name} bias", "categories": f"=bias!$C${first}:$C${last}",
                              "values": f"=bias!$D${first}:$D${last}", "fill": {"color": color}, "gap": 40})
            chart.set_title({"name": f"The {k} {name} movie biases"})
            chart.set_x_axis({"name": "learned bias (added to every prediction of the movie)", "num_format": "0.0"})
            chart.set_y_axis({"reverse": True, "num_font": {"size": 8}, "label_position": "low"})
            chart.set_legend({"none": True})
            chart.set_size({"width": 640, "height": 60 + 22 * k})
            sh.ws.insert_chart(3 + n * (k + 6), 8, chart)


def _write_pca(sh, t, result):
    from ..models.movielens import movie_pca
    top = _most_rated(t)
    n_comp = min(N_PCA, t.M.shape[1], len(top))
    comps = movie_pca(t.M[top], k=n_comp)
    k = min(N_PCA_SHOWN, len(top))
    sh.title((0, 0), "Principal components of the movie factors: what the embedding learned")
    sh.note((1, 0), f"The first {n_comp} principal components of the {len(top):,} most rated movies' factors "
                    f"(NumPy SVD of the centred factors). The lecture reads the first as 'critically acclaimed "
                    f"vs popular' and the second as 'dialogue-driven vs action'; the sign of each is arbitrary.")
    row = 3
    for c in range(n_comp):
        order = np.argsort(comps[:, c], kind="stable")
        high, low = order[::-1][:k], order[:k]
        row = _ranked_rows(sh, row, f"Component {c + 1}: highest", top[high], t, comps[high, c], f"component {c + 1}")
        row = _ranked_rows(sh, row, f"Component {c + 1}: lowest", top[low], t, comps[low, c], f"component {c + 1}")
    _ranked_widths(sh)
    if n_comp >= 2:
        _pca_charts(sh, t, top, comps, row + 1)


def _pca_charts(sh, t, top, comps, row):
    """The lesson's picture: the most rated movies placed by two components, each point its title;
    components 1 and 2, and 1 and 3 (the lesson's plot). The table under the rankings holds their data."""
    n = min(N_SCATTER, len(top))
    nm = len(t.movie_ids)
    sh.text((row, 0), f"The {n} most rated movies on the components (the charts' data)", "title")
    heads = ["rank", "movie row", "title"] + [f"component {c + 1}" for c in range(comps.shape[1])]
    for c, name in enumerate(heads):
        sh.header((row + 1, c), name)
    first = row + 2
    for k in range(n):
        r = first + k
        j = top[k]
        sh.number((r, 0), k + 1)
        sh.number((r, 1), j + 1)
        sh.formula((r, 2), f"=INDEX({_block('movies', 1, 1, nm)},B{r + 1})", t.titles[j])
        for c in range(comps.shape[1]):
            sh.number((r, 3 + c), comps[k, c], "0.000")
    last = first + n - 1
    pairs = [(0, 1)] + ([(0, 2)] if comps.shape[1] > 2 else [])
    for p, (cx, cy) in enumerate(pairs):
        chart = sh.book.chart("scatter")
        x, y = 3 + cx, 3 + cy
        chart.add_series({
            "categories": f"=pca!${col_name(x)}${first + 1}:${col_name(x)}${last + 1}",
            "values": f"=pca!${col_name(y)}${first + 1}:${col_name(y)}${last + 1}",
            "marker": {"type": "circle", "size": 5, "fill": {"color": "#2E75B6"}, "border": {"none": True}},
            # the titles as the labels' text (a label can point at a cell in Excel, not in LibreOffice)
            "data_labels": {"value": True, "custom": [{"value": t.titles[j]} for j in top[:n]], "position": "right",
                            "font": {"size": 7}},
        })
        chart.set_title({"name": f"The {n} most rated movies: component {cx + 1} against component {cy + 1}"})
        chart.set_x_axis({"name": f"component {cx + 1}", "major_gridlines": {"visible": False},
                          "crossing": "min", "num_format": "0.0"})
        chart.set_y_axis({"name": f"component {cy + 1}", "major_gridlines": {"visible": False},
                          "crossing": "min", "num_format": "0.0"})
        chart.set_legend({"none": True})
        chart.set_size({"width": 900, "height": 620})
        sh.ws.insert_chart(3 + 32 * p, 8, chart)


def _write_about(sh, t, result, options, refs):
    sh.title((0, 0), "MovieLens: the lesson's collab_learner, every prediction a live formula")
    lines = [
        "collab_learner(n_factors, y_range=(0, 5.5), wd) + fit_one_cycle(epochs, lr), trained in NumPy by sheetsgd;",
        "the learned embeddings are the users and movies sheets, and each rating's prediction on the ratings sheet is",
        "SUMPRODUCT of the user's and the movie's factors, plus both biases, squeezed into y_range by a sigmoid.",
        "Edit a factor or a bias and every prediction and both MSEs recompute. Cached values are the NumPy model's.",
        f"{t.unseen_users} users and {t.unseen_movies} movies appear only in the validation set: the model never "
        "saw them, so their rows are zeros (a prediction from the other side's bias and y_range alone).",
    ]
    for i, s in enumerate(lines):
        sh.note((1 + i, 0), s)
    row = 2 + len(lines)
    sh.header((row, 0), "option")
    sh.header((row, 1), "value")
    for i, (name, value) in enumerate(options.items()):
        sh.text((row + 1 + i, 0), str(name), "label")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            sh.number((row + 1 + i, 1), value)
        else:
            sh.text((row + 1 + i, 1), str(value))
    row += len(options) + 2
    facts = [("ratings", len(t.rating)), ("users", len(t.user_ids)), ("movies", len(t.movie_ids)),
             ("valid ratings", int(t.valid.sum()))]
    for i, (name, value) in enumerate(facts):
        sh.text((row + i, 0), name, "label")
        sh.number((row + i, 1), value, "#,##0")
    row += len(facts) + 1
    sh.header((row, 0), "epoch")
    sh.header((row, 1), "train MSE")
    sh.header((row, 2), "valid MSE")
    for e, (tr, va) in enumerate(zip(result.train_mse, result.valid_mse)):
        sh.number((row + 1 + e, 0), e + 1)
        sh.number((row + 1 + e, 1), tr, "0.0000")
        sh.number((row + 1 + e, 2), va, "0.0000")
    row += len(result.train_mse) + 2
    sh.note((row, 0), "train MSE per epoch: the mean of the batch losses during the epoch (as fastai prints it)")
    row += 1
    sh.text((row, 0), "workbook train MSE", "label")
    sh.formula((row, 1), f"={refs['train']}", _or_div0(t.train_mse), "0.0000", "result")
    sh.text((row + 1, 0), "workbook valid MSE", "label")
    sh.formula((row + 1, 1), f"={refs['valid']}", _or_div0(t.valid_mse), "0.0000", "result")
    sh.note((row + 1, 2), "= the trainer's valid MSE after the last epoch")
    sh.widths(0, 0, 26)
    sh.widths(1, 2, 12)


# ---------------------------------------------------------------- from files to workbook

def _refuse_divergence(result, lr, wd):
    """A run whose losses or weights went to inf/NaN is refused, not written: Excel cannot store NaN
    weights, and predictions from them would mean nothing. The epoch is the first with a bad loss."""
    p = result.params
    losses = list(zip(result.train_mse, result.valid_mse))
    bad = [e for e, (tr, va) in enumerate(losses, 1)
           if not math.isfinite(tr) or (len(result.valid) and not math.isfinite(va))]   # no valid set: NaN
    if not bad and all(np.isfinite(w).all() for w in (p.U, p.M, p.bu, p.bm)):
        return
    epoch = bad[0] if bad else len(losses)
    raise SheetsgdError(f"training diverged at epoch {epoch} (train MSE {losses[epoch - 1][0]:g}, valid MSE "
                        f"{losses[epoch - 1][1]:g}) with lr={lr:g}, wd={wd:g}: nothing written; "
                        f"try a smaller --lr or --wd")


def make(ratings_path, out, titles_path=None, factors=40, epochs=5, lr=5e-3, wd=0.1, bs=64, seed=42,
         valid_pct=0.1, progress=None, say=None, on_trained=None):
    """Read the ratings (and titles), refuse what Excel could not hold, train, write `out`.

    Returns (tables, result, seconds) with seconds = {"read", "train", "write"}.
    progress: passed to models.movielens.train; say: callable(str) for the writing steps;
    on_trained: callable(result) once training is done, before writing (to report the epochs)."""
    import time
    from ..models import movielens as model
    from ..ratings import read_ratings, read_titles
    check_factors(factors)
    start = time.perf_counter()
    ratings = read_ratings(ratings_path)
    titles = read_titles(titles_path) if titles_path is not None else None
    check_fits(len(ratings), len(np.unique(ratings.users)), len(np.unique(ratings.movies)), factors)
    read = time.perf_counter()
    result = model.train(ratings, n_factors=factors, epochs=epochs, lr_max=lr, wd=wd, bs=bs,
                         valid_pct=valid_pct, seed=seed, progress=progress)
    trained = time.perf_counter()
    if on_trained is not None:
        on_trained(result)
    _refuse_divergence(result, lr, wd)
    options = {"ratings": str(ratings_path), "titles": str(titles_path or ""), "factors": factors,
               "epochs": epochs, "lr (max, one cycle)": lr, "wd": wd, "bs": bs, "valid_pct": valid_pct,
               "seed": seed, "y_range": f"({Y_RANGE[0]:g}, {Y_RANGE[1]:g})"}
    tables = build(out, ratings, result, titles, options, progress=say)
    written = time.perf_counter()
    return tables, result, {"read": read - start, "train": trained - read, "write": written - trained}
