"""The lecture's data: the 15 x 15 ratings crosstab of collab_filter.xlsx, its solved weights and the
word_emb sentence.

The crosstab ships as sheetsgd/data/lecture_ratings.csv, laid out as on the dotprod sheet:
a header row `userId,<movieId>,...`, then one row per user, an empty field for "not rated".
`load_crosstab(path)` reads a student's own file in the same shape; `top_rated(movielens, n)` makes
the lecture's kind of crosstab from MovieLens ratings (the n most active users and most rated movies).
"""
import csv
import math
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from .errors import SheetsgdError

LECTURE_RATINGS = Path(__file__).resolve().parent / "data" / "lecture_ratings.csv"
# The weights Excel's Solver left in the lecture's dotprod and bias sheets (`sheetsgd build --lecture`).
LECTURE_WEIGHTS = Path(__file__).resolve().parent / "data" / "lecture_weights.csv"

# word_emb: the sentence the lecture looks up word by word (Dr. Seuss, Green Eggs and Ham).
GREEN_EGGS = ("I am Daniel I am Sam Sam I am That Sam I am That Sam I am I do not like that Sam I am "
              "Do you like green eggs and ham I do not like them Sam I am I do not like green eggs and ham").split()


@dataclass(frozen=True)
class Source:
    """Where a crosstab came from: a MovieLens ratings file, its top N, the titles file if any."""
    ratings_path: str
    top: int
    titles_path: str = None
    total: int = 0          # ratings in the whole file


@dataclass(frozen=True)
class Ratings:
    """A users x movies crosstab; NaN where a user did not rate a movie (treat as read-only).

    titles: one title per movie (None: ids only, as the lecture's sheet); source: the file it
    was selected from (None: the lecture's crosstab)."""
    user_ids: tuple
    movie_ids: tuple
    matrix: np.ndarray
    titles: tuple = None
    source: Source = None

    @cached_property
    def mask(self):
        """True where there is a rating (the cells the RMSE is taken over)."""
        return ~np.isnan(self.matrix)

    @cached_property
    def count(self):
        return int(self.mask.sum())

    @cached_property
    def filled(self):
        """The matrix with 0 where not rated (what a spreadsheet's arithmetic sees in a blank cell)."""
        return np.where(self.mask, self.matrix, 0.0)

    def long(self):
        """The ratings in long form, user by user: [(userId, movieId, user idx, movie idx, rating)], 1-based idx.

        User-major order (the crosstab read row by row) so a sum over this list adds the same
        terms in the same order as a sum over the crosstab."""
        rows = []
        for i, u in enumerate(self.user_ids):
            for j, m in enumerate(self.movie_ids):
                if self.mask[i, j]:
                    rows.append((u, m, i + 1, j + 1, float(self.matrix[i, j])))
        return rows


def _number(text, where):
    try:
        x = float(text)
    except ValueError:
        raise SheetsgdError(f"{where}: {text!r} is not a number (expected a rating, or empty for not rated)") from None
    if not math.isfinite(x):
        raise SheetsgdError(f"{where}: {text!r} is not a finite number")
    return x


def _id(text, where):
    x = _number(text, where)
    if not x.is_integer():
        raise SheetsgdError(f"{where}: id {text!r} is not a whole number")
    return int(x)


def load_crosstab(path):
    """Read a ratings crosstab CSV (header `userId,<movieId>...`, one row per user, empty = not rated)."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = [r for r in csv.reader(f) if any(field.strip() for field in r)]
    except OSError as e:
        raise SheetsgdError(f"cannot read ratings file {path}: {e.strerror}") from None
    if len(rows) < 2 or len(rows[0]) < 2:
        raise SheetsgdError(f"{path}: expected a header row userId,<movieId>,... and at least one user row")
    width = len(rows[0])
    movie_ids = tuple(_id(t, f"{path}:1") for t in rows[0][1:])
    user_ids, matrix = [], []
    for n, row in enumerate(rows[1:], start=2):
        if len(row) != width:
            raise SheetsgdError(f"{path}:{n}: {len(row)} fields, expected {width} like the header")
        user_ids.append(_id(row[0], f"{path}:{n}"))
        matrix.append([_number(t, f"{path}:{n}") if t.strip() else np.nan for t in row[1:]])
    for name, ids in (("userId", user_ids), ("movieId", movie_ids)):
        if len(set(ids)) != len(ids):
            raise SheetsgdError(f"{path}: repeated {name} (each {name} must appear once)")
    ratings = Ratings(tuple(user_ids), movie_ids, np.array(matrix, dtype=float))
    if ratings.count == 0:
        raise SheetsgdError(f"{path}: no ratings at all")
    return ratings


def lecture_ratings():
    """The lecture's crosstab: 15 users x 15 movies of MovieLens, 206 ratings."""
    return load_crosstab(LECTURE_RATINGS)


MISSING_TITLE = "(no title)"


def lecture_weights():
    """{"dotprod": models.collab.Weights, "bias": Weights}: the lecture's solved weights (RMSE 0.3930, 0.3195)."""
    from .models.collab import Weights
    rows = {}
    with open(LECTURE_WEIGHTS, newline="") as f:
        for line in csv.reader(row for row in f if not row.startswith("#")):
            sheet, block, _ = line[:3]
            rows.setdefault(sheet, {}).setdefault(block, []).append([float(v) for v in line[3:]])
    out = {}
    for sheet, blocks in rows.items():
        w = Weights(np.array(blocks["users"]), np.array(blocks["movies"]))
        if "user_bias" in blocks:
            w = Weights(w.users, w.movies, np.array(blocks["user_bias"][0]), np.array(blocks["movie_bias"][0]))
        out[sheet] = w
    return out


def top_rated(movielens, n, titles=None, source=None):
    """The lecture's crosstab from MovieLens ratings: the n users with the most ratings down, the n
    most rated movies across (ties: smaller id first; ids in increasing order, as pandas laid out
    the lecture's sheet), blank where the user did not rate the movie.

    movielens: sheetsgd.ratings.Ratings; titles: {movieId: title} or None; source: a Source."""
    from .ratings import top_n
    table = top_n(movielens, n)
    ratings = Ratings(tuple(int(u) for u in table.users), tuple(int(m) for m in table.movies), table.table,
                      None if titles is None else tuple(titles.get(int(m), MISSING_TITLE) for m in table.movies),
                      source)
    if ratings.count == 0:
        raise SheetsgdError(f"{source.ratings_path if source else 'ratings'}: none of the top {n} users rated "
                            f"any of the top {n} movies; expected at least one rating in the crosstab")
    return ratings
