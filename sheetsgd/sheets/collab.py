"""collab_filter.xlsx: the lecture's collaborative-filtering workbook, solved, portable, Solver-ready.

Sheets (one idea each, the lecture's names): about, dotprod, movielens_1hot, movielens_emb, bias,
word_emb. For the default k = 5 the key cells sit where the lecture had them (dotprod!V41 and
bias!V42 are the RMSEs, the factors at dotprod!B25:F39 and H19:V23), so the video maps onto the file.

What differs from the lecture, on purpose:
- every prediction is computed, also for unrated cells (that is what a recommender is for), and
  the RMSE masks the unrated cells explicitly: SUMPRODUCT((ratings<>"")*(ratings-preds)^2).
  The lecture's SUMXMY2 skips blank pairs in Excel but not in LibreOffice (bias!V42: 0.319
  against 0.858); the mask gives one answer in Excel, LibreOffice and Google Sheets.
- lookups use INDEX and exact MATCH, not the volatile OFFSET nor an approximate MATCH.
- the weights are already optimised (SciPy L-BFGS-B; `--no-solve` keeps the random start) and
  each weights sheet carries its Excel Solver model, so Data > Solver opens filled in.

Each block is written beside its NumPy twin (sheetsgd.models.collab): the cached value of every
formula is the model's number, computed from the weights exactly as the file stores them.
"""
import shlex

import numpy as np

from .. import __version__
from ..data import GREEN_EGGS, Source, lecture_ratings, top_rated
from ..errors import SheetsgdError
from ..models import collab as cf
from ..writer import Workbook, a1, col_name, stored

RATINGS_FMT = "0.0"
WEIGHT_FMT = "0.00"
PRED_FMT = "0.00"
RMSE_FMT = "0.0000"
MAX_FACTORS = 50

# Excel Solver's model as the lecture's file stores it (sheet-scoped names, read by Data > Solver).
# solver_typ 2 = minimise (1 = maximise, 3 = value of); solver_eng 1 = GRG Nonlinear;
# solver_neg 2 = weights may be negative. The rest are Solver's defaults as saved in the lecture.
SOLVER_OPTIONS = {
    "solver_cvg": "0.0001", "solver_drv": "2", "solver_eng": "1", "solver_est": "1",
    "solver_itr": "2147483647", "solver_mip": "2147483647", "solver_mni": "30", "solver_mrt": "0.075",
    "solver_msl": "2", "solver_neg": "2", "solver_nod": "2147483647", "solver_num": "0",
    "solver_nwt": "1", "solver_pre": "0.000001", "solver_rbv": "2", "solver_rlx": "2",
    "solver_rsd": "0", "solver_scl": "2", "solver_sho": "2", "solver_ssz": "100",
    "solver_tim": "2147483647", "solver_tol": "0.01", "solver_typ": "2", "solver_val": "0",
    "solver_ver": "3",
}


# ---------------------------------------------------------------- the whole workbook

def build(path, factors=5, seed=42, solve=True, ratings=None, weights=None):
    """Write collab_filter.xlsx and return a one-line summary ("dotprod RMSE 0.3929, bias RMSE 0.3187").

    weights: {"dotprod": models.collab.Weights, "bias": Weights} to lay out given weights (the
    lecture's own, for instance) instead of fitting; factors then follows their shape."""
    ratings = ratings or lecture_ratings()
    k = factors if weights is None else weights["dotprod"].k
    fitted_weights_check(k)
    problem = size_problem(ratings, k)        # someone's own crosstab may not fit a workbook
    if problem:
        raise SheetsgdError(f"{ratings.source.ratings_path if ratings.source else 'ratings'}: {problem}")
    dot_rng, bias_rng, word_rng = generators(seed)
    if weights is None:
        chosen, runs = fitted_weights(ratings, factors, dot_rng, bias_rng, solve)
        origin = (f"fitted by SciPy L-BFGS-B from random starts (seed {seed})" if solve
                  else f"the random start (seed {seed}), not yet optimised")
    else:
        runs = {"dotprod": None, "bias": None}
        chosen = dict(weights)
        factors = chosen["dotprod"].k
        origin = "given to the builder (not fitted)"
    # What the file stores is what every cached value is computed from.
    chosen = {name: w.map(stored) for name, w in chosen.items()}
    vocab = vocabulary(GREEN_EGGS)
    word_vectors = stored(word_rng.random((len(vocab), factors)))

    with Workbook(path, title="Collaborative filtering, lesson 5",
                  subject="Embeddings as a dot product of factors, fitted to MovieLens ratings") as wb:
        about = wb.sheet("about")
        dot = dotprod_sheet(wb, ratings, chosen["dotprod"])
        onehot = movielens_1hot_sheet(wb, ratings, chosen["dotprod"], dot)
        emb = movielens_emb_sheet(wb, ratings, chosen["dotprod"], dot)
        bias = bias_sheet(wb, ratings, chosen["bias"])
        from . import collab_reg   # here, not at the top: collab_reg imports this module's layout
        reg = collab_reg.add_sheets(wb, ratings, factors=factors, seed=seed, solve=solve)
        word_emb_sheet(wb, GREEN_EGGS, vocab, word_vectors)
        about_sheet(about, ratings, factors, seed, solve if weights is None else None, origin, runs,
                    {"dotprod": dot, "movielens_1hot": onehot, "movielens_emb": emb, "bias": bias,
                     "y_range": reg["y_range"]})
    return f"dotprod RMSE {dot['rmse']:.4f}, bias RMSE {bias['rmse']:.4f}"


# Formats for conditional formatting (the writer's styles are for cells).
EXTRA_FORMATS = {
    "unrated": {"italic": True, "font_color": "#7F7F7F"},
    "one": {"bold": True, "bg_color": "#63BE7B"},
    "zero": {"font_color": "#BFBFBF"},
    "title": {"rotation": 90, "font_size": 8, "bold": True, "bg_color": "#DDEBF7", "valign": "bottom",
              "align": "center"},
}
# Upright titles: about 5.5 points of row height per character at 8 pt, capped (longer ones are cut).
TITLE_POINTS_PER_CHAR = 5.5
TITLE_ROW_MAX = 160


def extra_format(s, key):
    cache = s.book.__dict__.setdefault("_collab_formats", {})
    if key not in cache:
        cache[key] = s.book.wb.add_format(EXTRA_FORMATS[key])
    return cache[key]


def one_hot_colours(s, first, last):
    """1 stands out in green, 0 recedes in grey: the lecture's look, readable at a glance."""
    (r0, c0), (r1, c1) = first, last
    s.ws.conditional_format(r0, c0, r1, c1, {"type": "cell", "criteria": "==", "value": 1,
                                             "format": extra_format(s, "one")})
    s.ws.conditional_format(r0, c0, r1, c1, {"type": "cell", "criteria": "==", "value": 0,
                                             "format": extra_format(s, "zero")})


def rmse_cells(factors=5, ratings=None):
    """{"dotprod": "V41", "movielens_1hot": "BH210", "movielens_emb": "Y210", "bias": "V42"} for k = 5;
    the cells move right with more factors."""
    ratings = ratings or lecture_ratings()
    L = Long(ratings, factors)
    return {"dotprod": a1(*Grid(ratings, factors, bias=False).rmse_cell()),
            "movielens_1hot": a1(L.rmse_row, L.onehot_columns()[-1]),
            "movielens_emb": a1(L.rmse_row, L.emb_columns()[-1]),
            "bias": a1(*Grid(ratings, factors, bias=True).rmse_cell())}


def generators(seed):
    """Three independent streams from one seed: dotprod's starts, bias's starts, word vectors.
    (Independent, so --no-solve writes the very start that a solve begins from.)"""
    return tuple(np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3))


def fitted_weights_check(factors):
    if isinstance(factors, bool) or not isinstance(factors, (int, np.integer)) or not 1 <= factors <= MAX_FACTORS:
        raise SheetsgdError(f"factors {factors!r}: expected a whole number from 1 to {MAX_FACTORS}")


def fitted_weights(ratings, factors, dot_rng, bias_rng, solve=True):
    """({"dotprod": Weights, "bias": Weights}, {"dotprod": Solve or None, ...}): solved or the random start."""
    fitted_weights_check(factors)
    if not solve:
        nu, nm = ratings.matrix.shape
        return ({"dotprod": cf.random_start(dot_rng, nu, nm, factors),
                 "bias": cf.random_start(bias_rng, nu, nm, factors, bias=True)},
                {"dotprod": None, "bias": None})
    runs = {"dotprod": cf.solve(ratings, dot_rng, factors, bias=False),
            "bias": cf.solve(ratings, bias_rng, factors, bias=True)}
    return {name: run.best.weights for name, run in runs.items()}, runs


# ---------------------------------------------------------------- your own ratings (build --ratings)

DEFAULT_TOP = 15                  # the lecture's 15 users x 15 movies
MIN_TOP, MAX_TOP = 2, 200
EXCEL_COLUMNS = 16_384            # Excel's last column, XFD
# The one-hot sheet holds (users + movies) IF formulas per rating: 6,180 for the lecture's crosstab.
# ml-100k --top 50 has 204,200 (2,042 ratings): ~35 s to build (XlsxWriter's ~0.1 ms a formula),
# 1.7 MB. Larger is a training run (sheetsgd movielens), not a spreadsheet to look at.
MAX_ONEHOT_CELLS = 250_000


def check_top(top):
    if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or not MIN_TOP <= top <= MAX_TOP:
        raise SheetsgdError(f"--top {top!r}: expected a whole number from {MIN_TOP} to {MAX_TOP} "
                            f"(users and movies on the crosstab; the lecture used {DEFAULT_TOP})")


def size_problem(ratings, factors):
    """Why the workbook of this crosstab would be too large, or None when it fits."""
    L = Long(ratings, factors)
    columns = L.onehot_columns()[-1] + 1
    if columns > EXCEL_COLUMNS:
        return f"the movielens_1hot sheet would need {columns:,} columns, more than Excel's {EXCEL_COLUMNS:,}"
    cells = L.n * (L.nu + L.nm)
    if cells > MAX_ONEHOT_CELLS:
        return (f"{L.n:,} ratings x {L.nu + L.nm} one-hot columns = {cells:,} formula cells on movielens_1hot, "
                f"more than {MAX_ONEHOT_CELLS:,}")
    return None


def largest_top(movielens, factors):
    """The largest --top whose workbook fits (the top-n crosstabs grow with n: binary search)."""
    def fits(n):
        try:
            return size_problem(top_rated(movielens, n), factors) is None
        except SheetsgdError:                  # an empty crosstab: nothing to lay out
            return False
    lo, hi = MIN_TOP - 1, MAX_TOP              # fits(lo) taken as true, the answer is in lo..hi
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if fits(mid) else (lo, mid - 1)
    return lo


def own_ratings(ratings_path, top=DEFAULT_TOP, titles_path=None, factors=5):
    """The crosstab of a MovieLens ratings file's top users and movies, checked to fit a workbook.

    Everything a build could refuse is refused here, before anything is written: the CLI calls
    this first. Errors are one line naming the file (and line), the value and what is accepted."""
    from ..ratings import read_ratings, read_titles
    check_top(top)
    fitted_weights_check(factors)
    movielens = read_ratings(ratings_path)
    titles = read_titles(titles_path) if titles_path is not None else None
    source = Source(str(ratings_path), int(top), None if titles_path is None else str(titles_path), len(movielens))
    ratings = top_rated(movielens, int(top), titles, source)
    problem = size_problem(ratings, factors)
    if problem:
        fits = largest_top(movielens, factors)
        raise SheetsgdError(f"--top {top}: {problem}; --top {fits} fits"
                            if fits >= MIN_TOP else f"--top {top}: {problem}")
    return ratings


# ---------------------------------------------------------------- layout shared by dotprod and bias

class Grid:
    """Where the crosstab, the factors and the predictions go for k factors (0-based rows/cols).

    For k <= 5 these are the lecture's cells: ratings H2:V16 with user ids in G2:G16, movie
    factors from H19, user factors B..F beside the predictions, the RMSE under the last column.
    With movie titles a titles row comes first and everything moves one row down."""

    def __init__(self, ratings, k, bias):
        self.nu, self.nm = ratings.matrix.shape
        self.k, self.bias = k, bias
        wide = max(k, 5)
        self.head_row = 0 if ratings.titles is None else 1   # the movie ids (row 1, or 2 under the titles)
        self.col0 = 2 + wide                      # first ratings/prediction column (H)
        self.id_col = self.col0 - 1               # user ids (G)
        self.uf_col0 = self.col0 - 1 - k          # first user-factor column (B)
        self.ub_col = self.uf_col0 - 1            # user bias (A), bias sheet only
        self.last_col = self.col0 + self.nm - 1   # V
        self.note_col = self.last_col + 2         # X: the notes beside each block
        self.mb_row = self.head_row + self.nu + 3  # movie bias row (19), bias sheet only
        self.mf_row0 = self.mb_row + (1 if bias else 0)        # first movie-factor row (19 or 20)
        self.pred_row0 = self.mb_row + (1 if bias else 0) + wide + 1   # first prediction row (25 or 26)
        self.rmse_row = self.pred_row0 + self.nu + 1           # 41 or 42

    def rating(self, i, j):
        return (self.head_row + 1 + i, self.col0 + j)

    def pred(self, i, j):
        return (self.pred_row0 + i, self.col0 + j)

    def ratings_range(self):
        return f"{a1(*self.rating(0, 0))}:{a1(*self.rating(self.nu - 1, self.nm - 1))}"

    def preds_range(self):
        return f"{a1(self.pred_row0, self.col0)}:{a1(self.pred_row0 + self.nu - 1, self.last_col)}"

    def users_range(self, absolute=False):
        r0, r1 = self.pred_row0, self.pred_row0 + self.nu - 1
        c0 = self.ub_col if (self.bias and absolute) else self.uf_col0
        return f"{a1(r0, c0, absolute, absolute)}:{a1(r1, self.uf_col0 + self.k - 1, absolute, absolute)}"

    def movies_range(self, absolute=False):
        r0 = self.mb_row if (self.bias and absolute) else self.mf_row0
        r1 = self.mf_row0 + self.k - 1
        return f"{a1(r0, self.col0, absolute, absolute)}:{a1(r1, self.last_col, absolute, absolute)}"

    def rmse_cell(self):
        return (self.rmse_row, self.last_col)


def crosstab(s, g, ratings):
    """The ratings (inputs) with their user and movie ids; blanks stay blank but look like inputs."""
    if ratings.titles is not None:
        movie_titles(s, g, ratings.titles)
    s.header(a1(g.head_row, g.id_col), "user\\movie")
    for j, m in enumerate(ratings.movie_ids):
        s.number((g.head_row, g.col0 + j), m, style="header")
    blank = s._fmt("input", RATINGS_FMT)
    for i, u in enumerate(ratings.user_ids):
        s.number((g.rating(i, 0)[0], g.id_col), u, style="rowhead")
        for j in range(g.nm):
            if ratings.mask[i, j]:
                s.input(g.rating(i, j), ratings.matrix[i, j], RATINGS_FMT)
            else:
                s.ws.write_blank(*g.rating(i, j), None, blank)
    s.color_scale(g.rating(0, 0), g.rating(g.nu - 1, g.nm - 1))


def movie_titles(s, g, titles):
    """A row of titles above the movie ids, turned upright so the narrow rating columns stay narrow."""
    s.text((0, g.id_col), "title", "label")
    fmt = extra_format(s, "title")
    for j, title in enumerate(titles):
        s.ws.write_string(0, g.col0 + j, title, fmt)
    longest = max(len(t) for t in titles)
    s.ws.set_row(0, min(TITLE_ROW_MAX, max(30, TITLE_POINTS_PER_CHAR * longest)))


def factor_blocks(s, g, ratings, w):
    """User factors (one row per user) beside the predictions, movie factors (one column per movie) above."""
    k = g.k
    users = np.array([[s.input((g.pred_row0 + i, g.uf_col0 + f), w.users[i, f], WEIGHT_FMT)
                       for f in range(k)] for i in range(g.nu)])
    movies = np.array([[s.input((g.mf_row0 + f, g.col0 + j), w.movies[f, j], WEIGHT_FMT)
                        for j in range(g.nm)] for f in range(k)])
    assert np.array_equal(users, w.users) and np.array_equal(movies, w.movies)   # already stored()
    # Labels: factor numbers over the user factors, beside the movie factors.
    for f in range(k):
        s.header((g.pred_row0 - 1, g.uf_col0 + f), f"f{f + 1}")
        s.text((g.mf_row0 + f, g.id_col), f"factor {f + 1}", "rowhead")
    for j, m in enumerate(ratings.movie_ids):
        s.number((g.pred_row0 - 1, g.col0 + j), m, style="header")
    s.header((g.pred_row0 - 1, g.id_col), "userId")
    for i, u in enumerate(ratings.user_ids):
        s.number((g.pred_row0 + i, g.id_col), u, style="rowhead")
    s.color_scale((g.pred_row0, g.uf_col0), (g.pred_row0 + g.nu - 1, g.uf_col0 + k - 1))
    s.color_scale((g.mf_row0, g.col0), (g.mf_row0 + k - 1, g.last_col))


def predictions(s, g, ratings, w):
    """One MMULT of a user row and a movie column per cell (+ the two biases on the bias sheet)."""
    preds = cf.predict(w)
    ur0, ur1 = col_name(g.uf_col0), col_name(g.uf_col0 + g.k - 1)
    for i in range(g.nu):
        r = g.pred_row0 + i + 1                    # 1-based row of this user's factors
        for j in range(g.nm):
            c = col_name(g.col0 + j)
            text = f"=MMULT(${ur0}{r}:${ur1}{r},{c}${g.mf_row0 + 1}:{c}${g.mf_row0 + g.k})"
            if g.bias:
                text += f"+{c}${g.mb_row + 1}+${col_name(g.ub_col)}{r}"
            s.formula(g.pred(i, j), text, preds[i, j], PRED_FMT)
    s.color_scale(g.pred(0, 0), g.pred(g.nu - 1, g.nm - 1))
    # Unrated cells: predicted all the same, shown in grey italics (they are not in the RMSE).
    top_rating = a1(*g.rating(0, 0))
    s.ws.conditional_format(g.pred_row0, g.col0, g.pred_row0 + g.nu - 1, g.last_col, {
        "type": "formula", "criteria": f"={top_rating}=\"\"", "format": extra_format(s, "unrated")})
    return preds


def rmse_cell(s, g, ratings, preds):
    """RMSE over the rated cells, with an explicit mask so every spreadsheet program agrees."""
    rr, pr = g.ratings_range(), g.preds_range()
    value = cf.rmse(ratings, preds)
    s.text((g.rmse_row, g.last_col - 1), "RMSE", "label")
    s.formula(g.rmse_cell(), f'=SQRT(SUMPRODUCT(({rr}<>"")*({rr}-{pr})^2)/COUNT({rr}))', value, RMSE_FMT,
              style="result")
    return value


def solver_model(s, g):
    """Data > Solver opens with: minimise this RMSE by changing the factors (and biases)."""
    s.define_name("solver_adj", f"{s.name}!{g.movies_range(True)},{s.name}!{g.users_range(True)}")
    s.define_name("solver_opt", f"{s.name}!{a1(*g.rmse_cell(), True, True)}")
    for name, value in SOLVER_OPTIONS.items():
        s.define_name(name, value)


def notes(s, g, blocks):
    """A short note on each block, in the column right of the sheet, on the block's first row."""
    for row, lines in blocks:
        for n, line in enumerate(lines):
            s.note((row + n, g.note_col), line)


def widths(s, g):
    s.widths(0, g.id_col - 1, 6.5)
    s.widths(g.id_col, g.id_col, 10)
    s.widths(g.col0, g.last_col, 6)
    s.widths(g.last_col + 1, g.last_col + 1, 2)
    s.widths(g.note_col, g.note_col, 88)   # wide enough that the notes print with the sheet


# ---------------------------------------------------------------- dotprod

def dotprod_sheet(wb, ratings, w):
    s = wb.sheet("dotprod")
    g = Grid(ratings, w.k, bias=False)
    s.title((0, 0), "dotprod")
    crosstab(s, g, ratings)
    factor_blocks(s, g, ratings, w)
    preds = predictions(s, g, ratings, w)
    value = rmse_cell(s, g, ratings, preds)
    solver_model(s, g)
    k = g.k
    s.note((g.mf_row0, 0), "Factors start as random numbers;")
    s.note((g.mf_row0 + 1, 0), "Solver (or sheetsgd) changes them")
    s.note((g.mf_row0 + 2, 0), "to make the RMSE as small as it can.")
    r1 = g.pred_row0 + 1
    pr = f"{col_name(g.col0)}{r1}"
    notes(s, g, [
        (g.rating(0, 0)[0], [f"Ratings (data): {g.nu} users x {g.nm} movies of MovieLens, "
             f"{ratings.count} ratings; a blank cell = not rated.",
             "Edit a rating and watch the RMSE below."]),
        (g.mf_row0, [f"Movie factors (weights): {k} numbers per movie, one column each.",
                     "Edit one and watch the predictions and the RMSE change."]),
        (g.pred_row0, [f"Predictions: {pr} = MMULT(user's row of factors, movie's column of factors),",
                       f"the dot product of {k} + {k} numbers. User factors (weights) are left, one row per user.",
                       "Unrated cells are predicted too (grey): that is the recommendation.",
                       "They are left out of the RMSE."]),
        (g.rmse_row, ["RMSE over the rated cells only: the mask (rating<>\"\") drops unrated cells,",
                      "so Excel, LibreOffice and Google Sheets compute the same number.",
                      "Data > Solver: minimise this cell by changing the factors (already set up)."]),
    ])
    widths(s, g)
    s.freeze(g.rating(0, 0))
    return {"rmse": value, "cell": g.rmse_cell(), "grid": g, "preds": preds}


# ---------------------------------------------------------------- bias

def bias_blocks(s, g, ratings, w):
    """The bias model's inputs: the crosstab, the factor blocks, a movie-bias row and a user-bias column."""
    crosstab(s, g, ratings)
    factor_blocks(s, g, ratings, w)
    bias_inputs(s, g, w)


def bias_inputs(s, g, w):
    """A movie-bias row above the movie factors and a user-bias column left of the user factors."""
    s.text((g.mb_row, g.id_col), "bias", "rowhead")
    s.header((g.pred_row0 - 1, g.ub_col), "bias")
    for j in range(g.nm):
        s.input((g.mb_row, g.col0 + j), w.movie_bias[j], WEIGHT_FMT)
    for i in range(g.nu):
        s.input((g.pred_row0 + i, g.ub_col), w.user_bias[i], WEIGHT_FMT)
    s.color_scale((g.mb_row, g.col0), (g.mb_row, g.last_col))
    s.color_scale((g.pred_row0, g.ub_col), (g.pred_row0 + g.nu - 1, g.ub_col))


def bias_sheet(wb, ratings, w):
    s = wb.sheet("bias")
    g = Grid(ratings, w.k, bias=True)
    s.title((0, 0), "bias")
    bias_blocks(s, g, ratings, w)
    preds = predictions(s, g, ratings, w)
    value = rmse_cell(s, g, ratings, preds)
    solver_model(s, g)
    s.note((g.mb_row, 0), "Biases and factors start random;")
    s.note((g.mb_row + 1, 0), "Solver (or sheetsgd) changes them")
    s.note((g.mb_row + 2, 0), "to make the RMSE as small as it can.")
    notes(s, g, [
        (g.rating(0, 0)[0], ["Ratings (data): the same crosstab as on dotprod."]),
        (g.mb_row, ["Movie bias (weights): one number per movie, how much everyone likes it.",
                    f"Movie factors below it, as on dotprod ({g.k} per movie)."]),
        (g.pred_row0, ["Predictions: the dot product of the factors + the movie's bias + the user's bias.",
                       "User bias (column A) and user factors are left, one row per user.",
                       "Fitted on their own (not dotprod's weights)."]),
        (g.rmse_row, ["RMSE over the rated cells only, as on dotprod: biases make it smaller.",
                      "The lecture's SUMXMY2 gave 0.319 in Excel and 0.858 in LibreOffice here;",
                      "the explicit mask gives one answer everywhere."]),
    ])
    widths(s, g)
    s.freeze(g.rating(0, 0))
    return {"rmse": value, "cell": g.rmse_cell(), "grid": g, "preds": preds}


# ---------------------------------------------------------------- movielens_1hot and movielens_emb

class Long:
    """The shared left part of both long-form sheets: user and movie weights by reference to dotprod."""

    def __init__(self, ratings, k):
        self.nu, self.nm, self.k = len(ratings.user_ids), len(ratings.movie_ids), k
        self.rows = ratings.long()
        self.n = len(self.rows)
        self.u_row0 = 3                           # user weights from row 4
        self.m_row0 = self.u_row0 + self.nu + 3   # movie weights from row 22
        self.w_col0 = 2                           # C
        self.titles = ratings.titles              # with titles, a title column right of the movie weights
        self.title_col = None if self.titles is None else 2 + k
        self.data_col0 = 3 + k + (self.titles is not None)   # I (J with titles)
        self.row0 = 2                             # first rating row (row 3)
        self.rmse_row = self.row0 + self.n + 1    # row 210 for 206 ratings

    def onehot_columns(self):
        """movielens_1hot: data columns, then user one-hot (O), user activations (AE), movie
        one-hot (AK), movie activations (BA), prediction (BG) and squared error (BH) for k = 5."""
        d0, k = self.data_col0, self.k
        cols = {"userId": d0, "movieId": d0 + 1, "user idx": d0 + 2, "movie idx": d0 + 3, "rating": d0 + 4}
        oh_u0 = d0 + 6
        act_u0 = oh_u0 + self.nu + 1
        oh_m0 = act_u0 + k + 1
        act_m0 = oh_m0 + self.nm + 1
        return cols, oh_u0, act_u0, oh_m0, act_m0, act_m0 + k + 1, act_m0 + k + 2

    def emb_columns(self):
        """movielens_emb: data columns, user embedding (M), movie embedding (S), prediction (X),
        squared error (Y) for k = 5."""
        d0, k = self.data_col0, self.k
        cols = {"userId": d0, "movieId": d0 + 1, "rating": d0 + 2, "user idx": d0 + 3, "movie idx": d0 + 4 + k}
        ue0, me0 = d0 + 4, d0 + 5 + k
        return cols, ue0, me0, me0 + k, me0 + k + 1

    def users_abs(self):
        return (f"{a1(self.u_row0, self.w_col0, True, True)}:"
                f"{a1(self.u_row0 + self.nu - 1, self.w_col0 + self.k - 1, True, True)}")

    def movies_abs(self):
        return (f"{a1(self.m_row0, self.w_col0, True, True)}:"
                f"{a1(self.m_row0 + self.nm - 1, self.w_col0 + self.k - 1, True, True)}")

    def ids_abs(self, users):
        r0 = self.u_row0 if users else self.m_row0
        n = self.nu if users else self.nm
        return f"{a1(r0, 1, True, True)}:{a1(r0 + n - 1, 1, True, True)}"


def weight_tables(s, L, ratings, w, dot):
    """Users (rows 4..) and movies (rows 22..): id, and the k weights as references to dotprod."""
    g = dot["grid"]
    for title_row, head_row, ids, label in ((L.u_row0 - 2, L.u_row0 - 1, ratings.user_ids, "userId"),
                                            (L.m_row0 - 2, L.m_row0 - 1, ratings.movie_ids, "movieId")):
        s.text((title_row, 1), "Users" if label == "userId" else "Movies", "title")
        s.header((head_row, 0), "idx")
        s.header((head_row, 1), label)
        for f in range(L.k):
            s.header((head_row, L.w_col0 + f), f"f{f + 1}")
        r0 = head_row + 1
        for n, ident in enumerate(ids):
            s.number((r0 + n, 0), n + 1, style="rowhead")
            s.number((r0 + n, 1), ident, style="rowhead")
    for i in range(L.nu):
        for f in range(L.k):
            s.formula((L.u_row0 + i, L.w_col0 + f), f"=dotprod!{a1(g.pred_row0 + i, g.uf_col0 + f)}",
                      w.users[i, f], WEIGHT_FMT)
    for j in range(L.nm):
        for f in range(L.k):
            s.formula((L.m_row0 + j, L.w_col0 + f), f"=dotprod!{a1(g.mf_row0 + f, g.col0 + j)}",
                      w.movies[f, j], WEIGHT_FMT)
    if L.titles is not None:
        s.header((L.m_row0 - 1, L.title_col), "title")
        for j, title in enumerate(L.titles):
            s.text((L.m_row0 + j, L.title_col), title)
    s.color_scale((L.u_row0, L.w_col0), (L.u_row0 + L.nu - 1, L.w_col0 + L.k - 1))
    s.color_scale((L.m_row0, L.w_col0), (L.m_row0 + L.nm - 1, L.w_col0 + L.k - 1))


def left_widths(s, L):
    """The weight tables' columns: idx, id, the k weights, the titles (if any), a gap."""
    s.widths(0, 0, 4)
    s.widths(1, 1, 8)
    s.widths(L.w_col0, L.w_col0 + L.k - 1, 6)
    if L.title_col is not None:
        s.widths(L.title_col, L.title_col, 30)
    s.widths(L.data_col0 - 1, L.data_col0 - 1, 2)


def long_data(s, L, cols, users_col, movies_col):
    """userId, movieId, rating (data) and the two indexes (exact MATCH into the weight tables)."""
    for n, (u, m, ui, mi, rating) in enumerate(L.rows):
        r = L.row0 + n
        s.input((r, cols["userId"]), u, "0")
        s.input((r, cols["movieId"]), m, "0")
        s.input((r, cols["rating"]), rating, RATINGS_FMT)
        s.formula((r, cols["user idx"]), f"=MATCH({a1(r, cols['userId'])},{L.ids_abs(True)},0)", ui, "0")
        s.formula((r, cols["movie idx"]), f"=MATCH({a1(r, cols['movieId'])},{L.ids_abs(False)},0)", mi, "0")
    for name, c in cols.items():
        s.header((L.row0 - 1, c), name)


def prediction_columns(s, L, k, u0, m0, pred_c, loss_c, rating_c, preds, ratings_long):
    """The long sheets' last columns: pred = SUMPRODUCT of a rating's k user and k movie activations
    (from columns u0 and m0), err^2 = (pred - rating)^2. Returns the squared errors."""
    losses = (preds - ratings_long) ** 2
    s.header((L.row0 - 1, pred_c), "pred")
    s.header((L.row0 - 1, loss_c), "err^2")
    for r in range(L.n):
        row = L.row0 + r + 1
        s.formula((L.row0 + r, pred_c), f"=SUMPRODUCT({col_name(u0)}{row}:{col_name(u0 + k - 1)}{row},"
                  f"{col_name(m0)}{row}:{col_name(m0 + k - 1)}{row})", preds[r], PRED_FMT)
        s.formula((L.row0 + r, loss_c), f"=({col_name(pred_c)}{row}-{col_name(rating_c)}{row})^2",
                  losses[r], "0.000")
    return losses


def long_rmse(s, L, loss_col, losses):
    first, last = a1(L.row0, loss_col), a1(L.row0 + L.n - 1, loss_col)
    value = float(np.sqrt(np.mean(losses)))
    s.text((L.rmse_row, loss_col - 1), "RMSE", "label")
    s.formula((L.rmse_row, loss_col), f"=SQRT(AVERAGE({first}:{last}))", value, RMSE_FMT, style="result")
    return value


def left_notes(s, L, lines):
    r = L.m_row0 + L.nm + 1
    for n, line in enumerate(lines):
        s.note((r + n, 0), line)


def movielens_1hot_sheet(wb, ratings, w, dot):
    """The embedding lookup as a matrix product: one-hot rows times the weight matrices."""
    s = wb.sheet("movielens_1hot")
    L = Long(ratings, w.k)
    k, d0 = L.k, L.data_col0
    cols, oh_u0, act_u0, oh_m0, act_m0, pred_c, loss_c = L.onehot_columns()

    s.title((0, 0), "movielens_1hot")
    weight_tables(s, L, ratings, w, dot)
    long_data(s, L, cols, L.users_abs(), L.movies_abs())
    for c, title in ((d0, "ratings, one row each"), (oh_u0, "user one-hot"), (act_u0, "user activations"),
                     (oh_m0, "movie one-hot"), (act_m0, "movie activations"), (pred_c, "prediction")):
        s.text((0, c), title)
    ui = np.array([r[2] for r in L.rows])
    mi = np.array([r[3] for r in L.rows])
    ratings_long = np.array([r[4] for r in L.rows])
    one_u, one_m = cf.one_hot(ui, L.nu), cf.one_hot(mi, L.nm)
    for (c0, n, idx_col, onehot) in ((oh_u0, L.nu, cols["user idx"], one_u), (oh_m0, L.nm, cols["movie idx"], one_m)):
        for j in range(n):
            s.number((L.row0 - 1, c0 + j), j + 1, style="header")
        ic = col_name(idx_col)
        for r in range(L.n):
            for j in range(n):
                s.formula((L.row0 + r, c0 + j), f"=IF(${ic}{L.row0 + r + 1}={col_name(c0 + j)}${L.row0},1,0)",
                          onehot[r, j], "0")
        one_hot_colours(s, (L.row0, c0), (L.row0 + L.n - 1, c0 + n - 1))
    # Activations: {=MMULT(one-hot, weights)}: a whole block, one array formula each.
    act_u = cf.activations(one_u, w.users)
    act_m = cf.activations(one_m, w.movies.T)
    for c0, oh0, n, weights_abs, act in ((act_u0, oh_u0, L.nu, L.users_abs(), act_u),
                                         (act_m0, oh_m0, L.nm, L.movies_abs(), act_m)):
        for f in range(k):
            s.header((L.row0 - 1, c0 + f), f"f{f + 1}")
        onehot_range = f"{a1(L.row0, oh0)}:{a1(L.row0 + L.n - 1, oh0 + n - 1)}"
        s.array_formula((L.row0, c0), (L.row0 + L.n - 1, c0 + k - 1), f"{{=MMULT({onehot_range},{weights_abs})}}",
                        act, WEIGHT_FMT)
        s.color_scale((L.row0, c0), (L.row0 + L.n - 1, c0 + k - 1))
    preds = cf.long_predictions(act_u, act_m)
    losses = prediction_columns(s, L, k, act_u0, act_m0, pred_c, loss_c, cols["rating"], preds, ratings_long)
    value = long_rmse(s, L, loss_c, losses)
    left_notes(s, L, [
        "The weights above are dotprod's",
        "(=dotprod!... references): edit or",
        "re-solve them there.",
        "",
        "Each rating, one row: its user and",
        "movie as one-hot rows (a 1 in the",
        "user's/movie's column, 0 elsewhere).",
        "Activations = one-hot x weights",
        "({=MMULT(...)}, an array formula):",
        "the product picks one weight row.",
        "pred = SUMPRODUCT(user, movie",
        "activations); RMSE as on dotprod.",
        "",
        "Looking something up in an array",
        "is a matrix product by a one-hot",
        "encoded matrix: same RMSE.",
    ])
    left_widths(s, L)
    s.widths(d0, d0 + 4, 8)
    s.widths(d0 + 5, d0 + 5, 2)
    s.widths(oh_u0, oh_u0 + L.nu - 1, 2.5)
    s.widths(oh_m0, oh_m0 + L.nm - 1, 2.5)
    for gap in (oh_u0 + L.nu, act_u0 + k, oh_m0 + L.nm, act_m0 + k):
        s.widths(gap, gap, 2)
    s.widths(act_u0, act_u0 + k - 1, 6)
    s.widths(act_m0, act_m0 + k - 1, 6)
    s.widths(pred_c, loss_c, 8)
    s.freeze((L.row0, 0))
    return {"rmse": value, "cell": (L.rmse_row, loss_c)}


def movielens_emb_sheet(wb, ratings, w, dot):
    """The same long form with the one-hot product replaced by a lookup: INDEX into the weights."""
    s = wb.sheet("movielens_emb")
    L = Long(ratings, w.k)
    k, d0 = L.k, L.data_col0
    cols, ue0, me0, pred_c, loss_c = L.emb_columns()

    s.title((0, 0), "movielens_emb")
    weight_tables(s, L, ratings, w, dot)
    long_data(s, L, cols, L.users_abs(), L.movies_abs())
    s.text((0, d0), "ratings, one row each")
    s.text((0, ue0), "user embedding")
    s.text((0, me0), "movie embedding")
    ui = np.array([r[2] for r in L.rows]) - 1
    mi = np.array([r[3] for r in L.rows]) - 1
    ratings_long = np.array([r[4] for r in L.rows])
    emb_u, emb_m = w.users[ui], w.movies.T[mi]
    for c0, idx_col, table, emb in ((ue0, cols["user idx"], L.users_abs(), emb_u),
                                    (me0, cols["movie idx"], L.movies_abs(), emb_m)):
        for f in range(k):
            s.number((L.row0 - 1, c0 + f), f + 1, style="header")   # the column INDEX reads
        ic = col_name(idx_col)
        for r in range(L.n):
            for f in range(k):
                s.formula((L.row0 + r, c0 + f), f"=INDEX({table},${ic}{L.row0 + r + 1},{col_name(c0 + f)}${L.row0})",
                          emb[r, f], WEIGHT_FMT)
        s.color_scale((L.row0, c0), (L.row0 + L.n - 1, c0 + k - 1))
    preds = cf.long_predictions(emb_u, emb_m)
    losses = prediction_columns(s, L, k, ue0, me0, pred_c, loss_c, cols["rating"], preds, ratings_long)
    value = long_rmse(s, L, loss_c, losses)
    left_notes(s, L, [
        "The weights above are dotprod's",
        "(=dotprod!... references).",
        "",
        "Each rating, one row: MATCH finds",
        "the user's and the movie's row (idx),",
        "INDEX(weights, idx, column) looks",
        "up their embeddings: no one-hot",
        "matrix, the same numbers.",
        "pred = SUMPRODUCT of the two",
        "embeddings; RMSE as on dotprod.",
        "",
        "An embedding is this lookup.",
    ])
    left_widths(s, L)
    s.widths(d0, d0 + 3, 8)
    s.widths(ue0, ue0 + k - 1, 6)
    s.widths(me0 - 1, me0 - 1, 8)
    s.widths(me0, me0 + k - 1, 6)
    s.widths(pred_c, loss_c, 8)
    s.freeze((L.row0, 0))
    return {"rmse": value, "cell": (L.rmse_row, loss_c)}


# ---------------------------------------------------------------- word_emb

def vocabulary(words):
    """Distinct words, case-insensitively (as MATCH compares), sorted like a dictionary."""
    seen = {}
    for word in words:
        seen.setdefault(word.lower(), word)
    return sorted(seen.values(), key=str.lower)


def word_emb_sheet(wb, words, vocab, vectors):
    """A sentence's words mapped to ids (MATCH) and their embedding rows looked up (INDEX)."""
    s = wb.sheet("word_emb")
    k = vectors.shape[1]
    v_row0 = 3                               # vocabulary from row 4
    t_col0 = 3 + k                           # I: the sentence
    s.title((0, 0), "word_emb")
    s.text((1, 1), "Vocabulary", "title")
    s.header((2, 0), "word id")
    s.header((2, 1), "word")
    for f in range(k):
        s.header((2, 2 + f), f"f{f + 1}")
    for n, word in enumerate(vocab):
        s.number((v_row0 + n, 0), n + 1, style="rowhead")
        s.text((v_row0 + n, 1), word, "rowhead")
        for f in range(k):
            s.input((v_row0 + n, 2 + f), vectors[n, f], WEIGHT_FMT)
    s.color_scale((v_row0, 2), (v_row0 + len(vocab) - 1, 1 + k))
    table = f"{a1(v_row0, 2, True, True)}:{a1(v_row0 + len(vocab) - 1, 1 + k, True, True)}"
    words_abs = f"{a1(v_row0, 1, True, True)}:{a1(v_row0 + len(vocab) - 1, 1, True, True)}"
    s.text((0, t_col0), "the text")
    s.text((0, t_col0 + 2), "each word's embedding, looked up")
    s.header((1, t_col0), "word")
    s.header((1, t_col0 + 1), "word id")
    for f in range(k):
        s.number((1, t_col0 + 2 + f), f + 1, style="header")
    lower = [v.lower() for v in vocab]
    for n, word in enumerate(words):
        r = 2 + n
        ident = lower.index(word.lower()) + 1
        s.input((r, t_col0), word)
        s.formula((r, t_col0 + 1), f"=MATCH({a1(r, t_col0)},{words_abs},0)", ident, "0")
        idc = col_name(t_col0 + 1)
        for f in range(k):
            s.formula((r, t_col0 + 2 + f), f"=INDEX({table},${idc}{r + 1},{col_name(t_col0 + 2 + f)}$2)",
                      vectors[ident - 1, f], WEIGHT_FMT)
    s.color_scale((2, t_col0 + 2), (1 + len(words), t_col0 + 1 + k))
    r = v_row0 + len(vocab) + 1
    for n, line in enumerate([
            "Words are categories too: each word",
            "of the vocabulary gets a row of k",
            "random numbers (its embedding).",
            "",
            "The text (right) is turned into word",
            "ids with MATCH (as MATCH compares:",
            "\"Do\" is \"do\"), then each id's row",
            "is looked up with INDEX.",
            "",
            "A model trained on text would adjust",
            "these numbers like dotprod's factors."]):
        s.note((r + n, 0), line)
    s.widths(0, 0, 7)
    s.widths(1, 1, 8)
    s.widths(2, 1 + k, 6)
    s.widths(2 + k, 2 + k, 2)
    s.widths(t_col0, t_col0 + 1, 8)
    s.widths(t_col0 + 2, t_col0 + 1 + k, 6)
    s.freeze((2, 0))


# ---------------------------------------------------------------- about

def about_sheet(s, ratings, k, seed, solve, origin, runs, results):
    s.title((0, 0), "Collaborative filtering in a spreadsheet (fast.ai lesson 5)")
    lines = [
        ("Every number here is a live formula or an input you may edit (yellow). The RMSE cells are green.", "text"),
        ("", None),
        ("The sheets", "header"),
        ("dotprod", "ratings crosstab; each prediction = a user's factors . a movie's factors (MMULT); RMSE"),
        ("movielens_1hot", "the same ratings one per row; one-hot rows x weight matrices is the lookup; same RMSE"),
        ("movielens_emb", "the same with INDEX instead of the one-hot product: an embedding is a lookup; same RMSE"),
        ("bias", "dotprod + one bias per user and per movie, fitted on its own; a lower RMSE"),
        ("weight_decay", "a fifth of the ratings held out; bias fitted with wd = 0 and with loss = MSE + wd*SUMSQ"),
        ("y_range", "bias with each prediction squashed into (0, 5.5) by a sigmoid; its RMSE"),
        ("word_emb", "the words of a sentence mapped to ids (MATCH), their embedding rows looked up (INDEX)"),
        ("", None),
        ("How to play", "header"),
        ("Edit a factor or a rating on dotprod or bias and watch the predictions and the RMSE move.", "text"),
        ("Re-run the fit: Data > Solver (Excel; the model is already filled in: minimise the RMSE by changing", "text"),
        ("the factors, GRG Nonlinear), or `sheetsgd build --no-solve` for the random start and Solver yourself.", "text"),
        ("movielens_1hot and movielens_emb read dotprod's weights: change them on dotprod.", "text"),
        ("", None),
        ("Results (live)", "header"),
    ]
    r = 2
    for text, style in lines:
        if style in ("text", "header"):
            s.text((r, 0), text, style)
        elif style:                       # a sheet's name and what it shows
            s.text((r, 0), text, "rowhead")
            s.text((r, 1), style)
        r += 1
    for name, res in results.items():
        s.text((r, 0), name, "rowhead")
        ref = f"={name}!{a1(*res['cell'], True, True)}"
        s.formula((r, 1), ref, res["rmse"], RMSE_FMT, style="result")
        s.text((r, 2), "RMSE over the rated cells", "note")
        r += 1
    r += 1
    s.text((r, 0), "Built with", "header")
    r += 1
    options = [("sheetsgd", __version__)]
    src = ratings.source
    if src is not None:                   # someone's own MovieLens file, not the lecture's crosstab
        nu, nm = ratings.matrix.shape
        options += [("ratings", src.ratings_path),
                    ("crosstab", f"the {nu} users and {nm} movies with the most ratings (--top {src.top}): "
                                 f"{ratings.count:,} of the file's {src.total:,} ratings")]
        if src.titles_path is not None:
            options += [("titles", src.titles_path)]
    options += [("factors k", k), ("seed", seed), ("weights", origin)]
    for name in ("dotprod", "bias"):
        run = runs.get(name)
        if run is not None:
            options.append((f"{name} fit", f"best of {len(run.fits)} L-BFGS-B runs from random starts, "
                            f"RMSE {run.best.rmse:.6f}; random start RMSE "
                            f"{cf.rmse(ratings, cf.predict(run.start)):.4f}"))
    if any(run is not None for run in runs.values()):
        options.append(("solved with", solver_versions()))   # a fit's last digits depend on these
    options.append(("command", command_line(k, seed, solve, src)))
    options.append(("lecture", "fast.ai course-v3 lesson 5, collab_filter.xlsx (RMSE 0.3930 and 0.3195 with Solver)"))
    for name, value in options:
        s.text((r, 0), name, "rowhead")
        s.text((r, 1), str(value))
        r += 1
    # Long lines start in A and run over B and C; C is wide so they print whole.
    s.widths(0, 0, 16)
    s.widths(1, 1, 10)
    s.widths(2, 2, 80)
    s.freeze((1, 0))


def solver_versions():
    import scipy
    return f"numpy {np.__version__}, scipy {scipy.__version__}"


def command_line(k, seed, solve, source=None):
    if solve is None:
        return "sheetsgd.sheets.collab.build(..., weights=...)"
    own = ""
    if source is not None:
        own = f" --ratings {shlex.quote(source.ratings_path)} --top {source.top}"
        if source.titles_path is not None:
            own += f" --titles {shlex.quote(source.titles_path)}"
    return f"sheetsgd build --only collab{own} --factors {k} --seed {seed}" + ("" if solve else " --no-solve")
