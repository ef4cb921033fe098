"""collab_filter.xlsx: the lecture's collaborative-filtering workbook, solved, portable, Solver-ready.

Sheets (one idea each, the lecture's names): about, dotprod, movielens_1hot, movielens_emb, bias,
weight_decay, y_range, word_emb; their modules: sheets/dotprod.py (dotprod, bias), sheets/embedding.py
(movielens_1hot, movielens_emb, word_emb), sheets/weight_decay.py, sheets/y_range.py, all laid out on
sheets/crosstab.py's grid. This module holds the workbook: fitting, options, the about sheet.
For the default k = 5 the key cells sit where the lecture had them (dotprod!V41 and
bias!V42 are the RMSEs, the factors at dotprod!B25:F39 and H19:V23), so the video maps onto the file.

What differs from the lecture, on purpose:
- every prediction is computed, also for unrated cells (that is what a recommender is for), and
  the RMSE masks the unrated cells explicitly: SUMPRODUCT((ratings<>"")*(ratings-preds)^2).
  The lecture's SUMXMY2 skips blank pairs in Excel but not in LibreOffice (bias!V42: 0.319
  against 0.858); the mask gives one answer in Excel, LibreOffice and Google Sheets.
- lookups use INDEX and exact MATCH, not the volatile OFFSET nor an approximate MATCH.
- the weights are already optimised (L-BFGS, models.lbfgs; `--no-solve` keeps the random start) and
  each weights sheet carries its Excel Solver model, so Data > Solver opens filled in.

Each block is written beside its NumPy twin (sheetsgd.models.collab): the cached value of every
formula is the model's number, computed from the weights exactly as the file stores them.
"""
import shlex

import numpy as np

from .. import __version__
from ..data import GREEN_EGGS, Source, lecture_ratings, lecture_weights, top_rated
from ..errors import SheetsgdError
from ..models import collab as cf
from ..writer import Workbook, a1, stored
from . import dotprod, embedding, weight_decay, y_range
from .crosstab import RMSE_FMT, Grid
from .embedding import Long

MAX_FACTORS = 50

# ---------------------------------------------------------------- the whole workbook

def build(path, factors=5, seed=42, solve=True, ratings=None, weights=None, lecture=False):
    """Write collab_filter.xlsx and return a one-line summary ("dotprod RMSE 0.3929, bias RMSE 0.3187").

    weights: {"dotprod": models.collab.Weights, "bias": Weights} to lay out given weights
    instead of fitting; factors then follows their shape. lecture: the lecture's own weights, as
    Excel's Solver left them (RMSE 0.3930 and 0.3195; data.lecture_weights)."""
    if lecture:
        weights = lecture_weights()
    ratings = ratings or lecture_ratings()
    k = factors if weights is None else weights["dotprod"].k
    fitted_weights_check(k)
    problem = size_problem(ratings, k)        # someone's own crosstab may not fit a workbook
    if problem:
        raise SheetsgdError(f"{ratings.source.ratings_path if ratings.source else 'ratings'}: {problem}")
    dot_rng, bias_rng, word_rng = generators(seed)
    if weights is None:
        chosen, runs = fitted_weights(ratings, factors, dot_rng, bias_rng, solve)
        origin = (f"fitted by L-BFGS from random starts (seed {seed})" if solve
                  else f"the random start (seed {seed}), not yet optimised")
    else:
        runs = {"dotprod": None, "bias": None}
        chosen = dict(weights)
        factors = chosen["dotprod"].k
        origin = ("the lecture's, as Excel's Solver left them (dotprod and bias)" if lecture
                  else "given to the builder (not fitted)")
    # What the file stores is what every cached value is computed from.
    chosen = {name: w.map(stored) for name, w in chosen.items()}
    vocab = embedding.vocabulary(GREEN_EGGS)
    word_vectors = stored(word_rng.random((len(vocab), factors)))

    with Workbook(path, title="Collaborative filtering, lesson 5",
                  subject="Embeddings as a dot product of factors, fitted to MovieLens ratings") as wb:
        about = wb.sheet("about")
        dot = dotprod.dotprod_sheet(wb, ratings, chosen["dotprod"])
        onehot = embedding.movielens_1hot_sheet(wb, ratings, chosen["dotprod"], dot)
        emb = embedding.movielens_emb_sheet(wb, ratings, chosen["dotprod"], dot)
        bias = dotprod.bias_sheet(wb, ratings, chosen["bias"])
        split_rng, wd_rng, y_rng = streams(seed)
        weight_decay.add_sheet(wb, ratings, factors, split_rng, wd_rng, seed, solve)
        y = y_range.add_sheet(wb, ratings, factors, y_rng, solve)
        embedding.word_emb_sheet(wb, GREEN_EGGS, vocab, word_vectors)
        about_sheet(about, ratings, factors, seed, solve if weights is None else "lecture" if lecture else None,
                    origin, runs,
                    {"dotprod": dot, "movielens_1hot": onehot, "movielens_emb": emb, "bias": bias,
                     "y_range": y})
    return f"dotprod RMSE {dot['rmse']:.4f}, bias RMSE {bias['rmse']:.4f}"


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


def streams(seed):
    """Three more independent streams from the build's seed: the split, the wd start, the y_range starts.
    (Children 3..5 of the seed; generators uses children 0..2.)"""
    return tuple(np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(6)[3:])


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
        ("weight_decay", "a fifth of the ratings held out; bias + mean rating fitted without and with weight "
                         "decay (+ wd*SUMSQ); held-out RMSEs"),
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
            options.append((f"{name} fit", f"best of {len(run.fits)} L-BFGS runs from random starts, "
                            f"RMSE {run.best.rmse:.6f}; random start RMSE "
                            f"{cf.rmse(ratings, cf.predict(run.start)):.4f}"))
    if any(run is not None for run in runs.values()):
        options.append(("solved with", "L-BFGS in arithmetic that gives the same bits on every CPU (models.lbfgs)"))
    options.append(("command", command_line(k, seed, solve, src)))
    options.append(("lecture", "fast.ai course-v3 lesson 5, collab_filter.xlsx (RMSE 0.3930 and 0.3195 with Solver)"))
    for name, value in options:
        s.text((r, 0), name, "rowhead")
        s.text((r, 1), str(value))
        r += 1
    # Long lines start in A and run over B and C; C is wide so they print whole.
    s.widths(0, 0, 16)
    s.widths(1, 1, 10)
    s.widths(2, 2, 90)
    s.freeze((1, 0))


def command_line(k, seed, solve, source=None):
    if solve is None:
        return "sheetsgd.sheets.collab.build(..., weights=...)"
    if solve == "lecture":
        return f"sheetsgd build --only collab --lecture --seed {seed}"
    own = ""
    if source is not None:
        own = f" --ratings {shlex.quote(source.ratings_path)} --top {source.top}"
        if source.titles_path is not None:
            own += f" --titles {shlex.quote(source.titles_path)}"
    return f"sheetsgd build --only collab{own} --factors {k} --seed {seed}" + ("" if solve else " --no-solve")
