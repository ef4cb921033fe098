"""MovieLens ratings and titles, read fast and checked line by line.

Two ratings layouts, told apart by their content (not their name):
  u.data       MovieLens 100k: ``user<TAB>item<TAB>rating<TAB>timestamp``, no header
  ratings.csv  MovieLens latest: header ``userId,movieId,rating,timestamp``, half stars (3.5)
Titles: ``u.item`` (``id|title|date|...``, latin-1) or ``movies.csv`` (``movieId,title,genres``), in
UTF-8 or else Windows-1252 (latin-1's superset: 0x92 is a right quote, not a C1 control character).

What is accepted, and why:
- fields are separated by the file's separator (tab, comma or space, from line 1) and/or
  spaces; an empty field is an error, blank lines are skipped;
- user and movie ids are whole numbers >= 0; the timestamp column is not read;
- a rating is a number from 0.5 to 5 (MovieLens' star scale; the lesson's model squeezes
  its predictions into y_range (0, 5.5), so a 1..10 scale could never be learnt);
- each (user, movie) pair is rated once: a repeated pair is an error naming both lines
  (MovieLens never repeats one, so a repeat means two files were pasted together).
Every problem is one SheetsgdError line: the file, the line number, what was expected.

The happy path is vectorised (one ``np.fromstring`` over the whole text, ~0.1 s for
100k lines); only when it finds something wrong does a line-by-line pass run, to name
the first bad line.
"""
import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple, Optional

import numpy as np

from .errors import SheetsgdError

RATING_MIN, RATING_MAX = 0.5, 5.0

USER_NAMES = ("userid", "user_id", "user", "userid:id")
MOVIE_NAMES = ("movieid", "movie_id", "movie", "itemid", "item_id", "item")
RATING_NAMES = ("rating", "ratings", "stars")

SEPARATORS = {"\t": "tab-separated", ",": "comma-separated", " ": "space-separated"}
WHITESPACE = b" \t\n\r\x0b\x0c"   # what np.fromstring(sep=' ') skips between numbers

EXPECTED = ("MovieLens ratings: lines of user<TAB>item<TAB>rating<TAB>timestamp (u.data), "
            "or a header userId,movieId,rating,timestamp then one rating a line (ratings.csv)")


@dataclass
class Ratings:
    """One rating a row: users[i] gave movies[i] the rating ratings[i] (file order)."""
    users: np.ndarray     # int64 ids as in the file
    movies: np.ndarray    # int64 ids as in the file
    ratings: np.ndarray   # float64 stars, 0.5..5
    path: Optional[Path] = None

    def __len__(self):
        return len(self.ratings)


class Crosstab(NamedTuple):
    """The lecture's sheet: users down, movies across, NaN where the user did not rate."""
    users: np.ndarray
    movies: np.ndarray
    table: np.ndarray


# ---------------------------------------------------------------- files and bytes

def _read_bytes(path):
    path = Path(path)
    if path.is_dir():
        inside = [n for n in ("u.data", "ratings.csv", "u.item", "movies.csv") if (path / n).is_file()]
        hint = f" such as {path / inside[0]}" if inside else ""
        raise SheetsgdError(f"{path}: is a directory, expected a file{hint}")
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise SheetsgdError(f"{path}: no such file") from None
    except OSError as e:
        raise SheetsgdError(f"{path}: cannot be read ({e.strerror or e})") from None


def _line_of(data, offset):
    """1-based line number of byte `offset`."""
    return data.count(b"\n", 0, offset) + 1


def _decode_utf8(data, path, what):
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        if data[:2] in (b"\xff\xfe", b"\xfe\xff"):     # Excel's "Unicode text" and Notepad's "Unicode"
            raise SheetsgdError(f"{path}: line 1: the file is UTF-16 (it starts with a UTF-16 byte-order mark); "
                                f"{what} must be plain text (ASCII or UTF-8): save it as UTF-8") from None
        raise SheetsgdError(
            f"{path}: line {_line_of(data, e.start)}: byte 0x{data[e.start]:02x} is not UTF-8 text; "
            f"{what} must be plain text (ASCII or UTF-8)") from None


# ---------------------------------------------------------------- layout

@dataclass
class _Layout:
    sep: str            # the separator of line 1
    nfields: int        # fields on every line
    cols: tuple         # column index of user, movie, rating
    first: int          # 0-based index of the first data line (1 after a header)

    @property
    def described(self):
        return f"{self.nfields} {SEPARATORS[self.sep]} fields"


def _fields(line, sep):
    return (line.replace(sep, " ") if sep != " " else line).split()


def _is_number(s):
    try:
        float(s)
        return True
    except ValueError:
        return False


def _layout(lines, path):
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise SheetsgdError(f"{path}: empty file, expected {EXPECTED}")
    line1 = lines[first]
    sep = "\t" if "\t" in line1 else "," if "," in line1 else " "
    names = _fields(line1, sep)
    if _is_number(names[0]):                      # no header: MovieLens 100k's u.data order
        if len(names) not in (3, 4):
            raise SheetsgdError(
                f"{path}: line {first + 1}: expected 3 or 4 {SEPARATORS[sep]} fields "
                f"(user, item, rating[, timestamp]), found {len(names)}")
        return _Layout(sep, len(names), (0, 1, 2), first)
    lower = [n.strip("\"'").lower() for n in names]
    cols = []
    for want, accepted in (("userId", USER_NAMES), ("movieId", MOVIE_NAMES), ("rating", RATING_NAMES)):
        hits = [i for i, n in enumerate(lower) if n in accepted]
        if not hits:
            raise SheetsgdError(
                f"{path}: line {first + 1}: header {line1.strip()[:60]!r} has no {want} column; "
                f"expected {EXPECTED}")
        cols.append(hits[0])
    return _Layout(sep, len(names), tuple(cols), first + 1)


# ---------------------------------------------------------------- one line (the slow, exact path)

def _id(field, what, path, lineno):
    try:
        x = float(field)
    except ValueError:
        x = math.nan
    if not (math.isfinite(x) and x >= 0 and x == int(x) and x < 2**53):
        raise SheetsgdError(f"{path}: line {lineno}: expected a whole-number {what} id >= 0, found {field!r}")
    return int(x)


def _rating(field, path, lineno):
    try:
        r = float(field)
    except ValueError:
        r = math.nan
    if not math.isfinite(r):
        raise SheetsgdError(f"{path}: line {lineno}: expected a numeric rating, found {field!r}")
    if not RATING_MIN <= r <= RATING_MAX:
        raise SheetsgdError(f"{path}: line {lineno}: rating {field} is outside {RATING_MIN:g}..{RATING_MAX:g} "
                            f"(MovieLens stars)")
    return r


def _parse_line(line, lineno, layout, path):
    """(user, movie, rating) of one non-blank line, or a one-line error naming it."""
    f = _fields(line, layout.sep)
    if len(f) != layout.nfields:
        raise SheetsgdError(f"{path}: line {lineno}: expected {layout.described} like line "
                            f"{layout.first + 1}, found {len(f)}")
    u, m, r = (f[c] for c in layout.cols)
    return _id(u, "user", path, lineno), _id(m, "movie", path, lineno), _rating(r, path, lineno)


def _parse_slow(lines, layout, path):
    rows, linenos = [], []
    for i in range(layout.first, len(lines)):
        if lines[i].strip():
            rows.append(_parse_line(lines[i], i + 1, layout, path))
            linenos.append(i + 1)
    if not rows:
        raise SheetsgdError(f"{path}: line {layout.first}: a header but no ratings, expected {EXPECTED}")
    u, m, r = zip(*rows)
    return np.array(u, np.int64), np.array(m, np.int64), np.array(r, np.float64), np.array(linenos)


# ---------------------------------------------------------------- the whole file (the fast path)

def _parse_fast(body, layout):
    """Vectorised parse of the data lines, or None when anything looks off (then go slow).

    Returns (values[rows, nfields], 0-based line index of each row within `body`)."""
    raw = np.frombuffer(body.encode("ascii"), np.uint8)
    space = np.isin(raw, np.frombuffer(WHITESPACE + layout.sep.encode(), np.uint8))
    starts = np.flatnonzero(~space & np.concatenate(([True], space[:-1])))   # first byte of each field
    newlines = np.flatnonzero(raw == 10)
    per_line = np.bincount(np.searchsorted(newlines, starts), minlength=len(newlines) + 1)
    if not np.all((per_line == 0) | (per_line == layout.nfields)):
        return None
    text = body.replace(layout.sep, " ") if layout.sep != " " else body
    with warnings.catch_warnings():
        warnings.simplefilter("error")            # a token fromstring cannot read: go slow
        try:
            values = np.fromstring(text, dtype=np.float64, sep=" ")
        except (ValueError, DeprecationWarning):
            return None
    rows = np.flatnonzero(per_line)
    if values.size != rows.size * layout.nfields or rows.size == 0:
        return None
    return values.reshape(rows.size, layout.nfields), rows


def _first_bad_row(users, movies, ratings):
    """Index of the first row whose values _parse_line would refuse, or None."""
    def bad_id(x):
        return ~np.isfinite(x) | (x < 0) | (x != np.floor(x)) | (x >= 2**53)
    bad = bad_id(users) | bad_id(movies) | ~np.isfinite(ratings) | (ratings < RATING_MIN) | (ratings > RATING_MAX)
    hits = np.flatnonzero(bad)
    return hits[0] if hits.size else None


def _check_repeats(users, movies, linenos, path):
    order = np.lexsort((np.arange(len(users)), movies, users))
    u, m = users[order], movies[order]
    same = (u[1:] == u[:-1]) & (m[1:] == m[:-1])
    if not same.any():
        return
    later = order[1:][same].min()                  # the earliest line that repeats a pair
    earlier = np.flatnonzero((users == users[later]) & (movies == movies[later]))[0]
    raise SheetsgdError(
        f"{path}: line {linenos[later]}: user {users[later]} rates movie {movies[later]} again "
        f"(already on line {linenos[earlier]}); expected each (user, movie) pair once")


def read_ratings(path) -> Ratings:
    """Read MovieLens ratings (u.data or ratings.csv layout, told apart by content)."""
    path = Path(path)
    data = _read_bytes(path)
    text = _decode_utf8(data, path, "a ratings file").removeprefix("\ufeff")   # a spreadsheet's BOM
    lines = text.split("\n")
    layout = _layout(lines, path)
    body = "\n".join(lines[layout.first:])
    fast = _parse_fast(body, layout) if body.isascii() else None
    if fast is None:
        users, movies, ratings, linenos = _parse_slow(lines, layout, path)
    else:
        values, rows = fast
        linenos = rows + layout.first + 1
        uc, mc, rc = layout.cols
        bad = _first_bad_row(values[:, uc], values[:, mc], values[:, rc])
        if bad is not None:                       # let the exact path word the error
            _parse_line(lines[linenos[bad] - 1], linenos[bad], layout, path)
            raise AssertionError(f"line {linenos[bad]} passed the line check but not the vector check")
        users, movies = values[:, uc].astype(np.int64), values[:, mc].astype(np.int64)
        ratings = values[:, rc].copy()
    _check_repeats(users, movies, linenos, path)
    return Ratings(users, movies, ratings, path)


# ---------------------------------------------------------------- titles

def read_titles(path) -> dict:
    """{movie id: title} from u.item (id|title|...) or movies.csv (movieId,title,genres), in UTF-8 or
    Windows-1252 (which reads MovieLens 100k's latin-1 u.item the same)."""
    import csv
    path = Path(path)
    text = _decode_titles(_read_bytes(path), path)
    lines = text.split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise SheetsgdError(f"{path}: empty file, expected movie titles: id|title|... lines (u.item) "
                            f"or a header movieId,title,genres (movies.csv)")
    titles, where = {}, {}
    if "|" in lines[first]:
        rows = ((i + 1, line.rstrip("\r").split("|")) for i, line in enumerate(lines) if line.strip())
        expected = "id|title|... (u.item)"
    else:
        head = [h.strip().lower() for h in lines[first].split(",")]
        if "movieid" not in head or "title" not in head:
            raise SheetsgdError(f"{path}: line {first + 1}: expected id|title|... (u.item) or a header "
                                f"movieId,title,genres (movies.csv), found {lines[first].strip()[:60]!r}")
        ic, tc = head.index("movieid"), head.index("title")
        body = [(i + 1, line) for i, line in enumerate(lines) if i > first and line.strip()]
        rows = ((n, f) for (n, _), f in zip(body, csv.reader(line for _, line in body)))
        rows = ((n, [f[ic], f[tc]] if len(f) > max(ic, tc) else f) for n, f in rows)
        expected = "movieId,title,... (movies.csv)"
    for lineno, f in rows:
        if len(f) < 2:
            raise SheetsgdError(f"{path}: line {lineno}: expected {expected}, found {len(f)} field(s)")
        movie = _id(f[0].strip(), "movie", path, lineno)
        if movie in titles:
            raise SheetsgdError(f"{path}: line {lineno}: movie {movie} again (already on line {where[movie]}); "
                                f"expected one title per movie id")
        titles[movie], where[movie] = f[1].strip(), lineno
    if not titles:
        raise SheetsgdError(f"{path}: a header but no titles, expected {expected}")
    return titles


def _decode_titles(data, path):
    """A titles file's text: UTF-8 (MovieLens latest), else Windows-1252, the superset of latin-1
    that MovieLens 100k's u.item is written in and that Excel on Windows saves a CSV in: its bytes
    0x80-0x9F are quotes, dashes and the euro sign, never the C1 control characters latin-1
    would make of them. The five bytes Windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90,
    0x9D) mean the file is in some other encoding: refused, naming the line."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        _decode_utf8(data, path, "a titles file")                 # raises: UTF-16, save it as UTF-8
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as e:
        raise SheetsgdError(
            f"{path}: line {_line_of(data, e.start)}: byte 0x{data[e.start]:02x} is neither UTF-8 nor "
            f"Windows-1252 text; titles must be UTF-8 (movies.csv), Windows-1252 or latin-1 (u.item)") from None


# ---------------------------------------------------------------- the lecture's 15x15 sheet

def top_n(ratings: Ratings, n: int = 15) -> Crosstab:
    """The n users and n movies with the most ratings (ties: smaller id first), as a crosstab.

    Rows and columns are in id order, as pandas' crosstab laid out the lecture's sheet;
    cells are NaN where the user did not rate the movie. Fewer than n users or movies
    in the data give a smaller table."""
    if n < 1:
        raise SheetsgdError(f"top_n: n={n}, expected a whole number >= 1")

    def most_rated(ids):
        uniq, counts = np.unique(ids, return_counts=True)
        keep = np.lexsort((uniq, -counts))[:n]     # most ratings first, then smallest id
        return np.sort(uniq[keep])

    users, movies = most_rated(ratings.users), most_rated(ratings.movies)
    table = np.full((len(users), len(movies)), np.nan)
    inside = np.isin(ratings.users, users) & np.isin(ratings.movies, movies)
    table[np.searchsorted(users, ratings.users[inside]),
          np.searchsorted(movies, ratings.movies[inside])] = ratings.ratings[inside]
    return Crosstab(users, movies, table)
