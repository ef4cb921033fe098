"""Ratings readers: both MovieLens layouts read right, every bad file is one line naming file and line."""
import time

import numpy as np
import pytest

from sheetsgd.errors import SheetsgdError
from sheetsgd.ratings import read_ratings, read_titles, top_n, Ratings

U_DATA = "196\t242\t3\t881250949\n186\t302\t3\t891717742\n22\t377\t1\t878887116\n"
RATINGS_CSV = "userId,movieId,rating,timestamp\n1,31,2.5,1260759144\n1,1029,3.0,1260759179\n2,10,4.5,835355493\n"


def write(tmp_path, name, content):
    p = tmp_path / name
    p.write_bytes(content.encode() if isinstance(content, str) else content)
    return p


def test_u_data(tmp_path):
    r = read_ratings(write(tmp_path, "u.data", U_DATA))
    assert r.users.tolist() == [196, 186, 22]
    assert r.movies.tolist() == [242, 302, 377]
    assert r.ratings.tolist() == [3.0, 3.0, 1.0]
    assert r.users.dtype == np.int64 and r.ratings.dtype == np.float64 and len(r) == 3


def test_ratings_csv_half_stars(tmp_path):
    r = read_ratings(write(tmp_path, "ratings.csv", RATINGS_CSV))
    assert r.users.tolist() == [1, 1, 2]
    assert r.movies.tolist() == [31, 1029, 10]
    assert r.ratings.tolist() == [2.5, 3.0, 4.5]


def test_format_from_content_not_name(tmp_path):
    """A ratings.csv saved as 'mine.txt', u.data as 'x.csv', CRLF, blank lines, reordered columns."""
    a = read_ratings(write(tmp_path, "mine.txt", RATINGS_CSV.replace("\n", "\r\n")))
    assert a.ratings.tolist() == [2.5, 3.0, 4.5]
    b = read_ratings(write(tmp_path, "x.csv", "\n" + U_DATA.replace("186", "\n186")))
    assert b.users.tolist() == [196, 186, 22]
    c = read_ratings(write(tmp_path, "c.csv", "rating,movieId,userId\n4,10,7\n"))
    assert (c.users[0], c.movies[0], c.ratings[0]) == (7, 10, 4.0)
    d = read_ratings(write(tmp_path, "three.tsv", "1\t2\t5\n"))       # no timestamp
    assert d.ratings.tolist() == [5.0]
    e = read_ratings(write(tmp_path, "excel.csv", "\ufeff" + RATINGS_CSV))  # saved with a BOM
    assert e.users.tolist() == [1, 1, 2]


def test_fast_and_slow_paths_agree(tmp_path):
    """The vectorised path and the line-by-line path give the same arrays."""
    rng = np.random.default_rng(0)
    n = 2000
    u, m = rng.integers(1, 300, n), np.arange(n)
    r = rng.integers(1, 11, n) / 2
    text = "".join(f"{a}\t{b}\t{c}\t0\n" for a, b, c in zip(u, m, r))
    fast = read_ratings(write(tmp_path, "fast.data", text))
    slow = read_ratings(write(tmp_path, "slow.data", text + "9\t99999\t4\t0  \u00a0\n"))  # non-ASCII: slow path
    for got in (fast, slow):
        assert got.users[:n].tolist() == u.tolist()
        assert got.ratings[:n].tolist() == r.tolist()


def test_read_is_fast(tmp_path):
    rng = np.random.default_rng(1)
    n = 100_000
    lines = np.column_stack([rng.integers(1, 944, n), np.arange(n), rng.integers(1, 6, n),
                             rng.integers(874724710, 893286638, n)])
    p = tmp_path / "u.data"
    np.savetxt(p, lines, fmt="%d", delimiter="\t")
    t = time.perf_counter()
    r = read_ratings(p)
    assert time.perf_counter() - t < 0.5
    assert len(r) == n and r.movies[-1] == n - 1


BAD = [
    # (name, content, line, words that must be in the message)
    ("empty", "", None, ["empty file"]),
    ("blank", "\n  \n", None, ["empty file"]),
    ("header only", "userId,movieId,rating\n", None, ["no ratings"]),
    ("too few fields", U_DATA + "5\t6\n", 4, ["expected 4 tab-separated fields", "found 2"]),
    ("too many fields", "1,2,3,4\n1,3,4,5,6\n", 2, ["expected 4 comma-separated fields", "found 5"]),
    ("empty field", "userId,movieId,rating\n1,,3\n", 2, ["expected 3 comma-separated fields", "found 2"]),
    ("first line", "1\t2\t3\t4\t5\n", 1, ["expected 3 or 4", "found 5"]),
    ("user not numeric", U_DATA + "bob\t1\t3\t0\n", 4, ["user id", "'bob'"]),
    ("movie fractional", U_DATA + "1\t2.5\t3\t0\n", 4, ["movie id", "'2.5'"]),
    ("rating not numeric", RATINGS_CSV + "3,4,good,0\n", 5, ["numeric rating", "'good'"]),
    ("rating nan", RATINGS_CSV + "3,4,nan,0\n", 5, ["numeric rating", "'nan'"]),
    ("rating too high", RATINGS_CSV + "3,4,6,0\n", 5, ["rating 6 is outside 0.5..5"]),
    ("rating zero", RATINGS_CSV + "3,4,0,0\n", 5, ["rating 0 is outside 0.5..5"]),
    ("negative user", "-1\t2\t3\t4\n", 1, ["user id", "'-1'"]),
    ("header without rating", "userId,movieId,stars_given\n1,2,3\n", 1, ["no rating column"]),
    ("repeated pair", U_DATA + "22\t377\t5\t0\n", 4, ["user 22 rates movie 377 again", "line 3"]),
    ("not utf-8", U_DATA.encode() + b"7\t8\t\xff\t0\n", 4, ["byte 0xff is not UTF-8"]),
]


@pytest.mark.parametrize("name,content,line,words", BAD, ids=[b[0] for b in BAD])
def test_bad_ratings_file_is_one_line(tmp_path, name, content, line, words):
    p = write(tmp_path, "bad.data", content)
    with pytest.raises(SheetsgdError) as e:
        read_ratings(p)
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith(str(p) + ":")
    if line is not None:
        assert f": line {line}:" in msg
    for w in words:
        assert w in msg


def test_bad_line_found_in_a_big_file(tmp_path):
    """The fast path fails, the slow pass names the exact line."""
    lines = [f"{i % 900 + 1}\t{i}\t4\t0" for i in range(50_000)]
    lines[31_415] = "7\t31415\t4.5x\t0"
    with pytest.raises(SheetsgdError, match=r"line 31416: expected a numeric rating, found '4.5x'"):
        read_ratings(write(tmp_path, "u.data", "\n".join(lines)))
    lines[31_415] = "7\t31415\t9\t0"
    with pytest.raises(SheetsgdError, match=r"line 31416: rating 9 is outside"):
        read_ratings(write(tmp_path, "u.data", "\n".join(lines)))


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(SheetsgdError, match=r"nope\.data: no such file$"):
        read_ratings(tmp_path / "nope.data")
    write(tmp_path, "u.data", U_DATA)
    with pytest.raises(SheetsgdError, match=r"is a directory, expected a file such as .*u\.data$"):
        read_ratings(tmp_path)
    with pytest.raises(SheetsgdError, match="is a directory"):
        read_titles(tmp_path)


def test_titles_u_item_latin1(tmp_path):
    p = write(tmp_path, "u.item", "1|Toy Story (1995)|01-Jan-1995||http://x|0|0\n"
                                  "2|Mis\xe9rables, Les (1995)|01-Jan-1995||http://y|0\n".encode("latin-1"))
    assert read_titles(p) == {1: "Toy Story (1995)", 2: "Misérables, Les (1995)"}


@pytest.mark.parametrize("name, line", [("u.item", b"1|Schindler\x92s List \x96 \x80 5 (1993)|01-Jan-1993||http://x|0\n"),
                                        ("movies.csv", b"movieId,title,genres\n1,Schindler\x92s List \x96 \x80 5 (1993),Drama\n")])
def test_titles_windows_1252(tmp_path, name, line):
    """Excel on Windows saves Windows-1252: 0x92, 0x96, 0x80 are a right quote, an en dash and the euro
    sign (Microsoft's cp1252 table), never the C1 controls latin-1 would make of them (issue 14)."""
    p = write(tmp_path, name, line)
    assert read_titles(p) == {1: "Schindler\u2019s List \u2013 \u20ac 5 (1993)"}


def test_titles_movies_csv(tmp_path):
    p = write(tmp_path, "movies.csv", 'movieId,title,genres\n1,Toy Story (1995),Comedy\n'
                                      '11,"American President, The (1995)",Comedy|Drama\n')
    assert read_titles(p) == {1: "Toy Story (1995)", 11: "American President, The (1995)"}


@pytest.mark.parametrize("content,line,words", [
    (b"", None, "empty file"),
    (b"1|A|x\nabc|B|y\n", 2, "whole-number movie id"),
    (b"1|A|x\n2\n", 2, "expected id|title"),
    (b"1|A|x\n1|B|y\n", 2, "movie 1 again (already on line 1)"),
    (b"movieId,title\n1,A\n2,\x81t\xe9\n", 3, "byte 0x81 is neither UTF-8 nor Windows-1252"),
    (b"1|A|x\n2|\x9dB|y\n", 2, "byte 0x9d is neither UTF-8 nor Windows-1252"),
    ("1|Toy|x\n".encode("utf-16"), 1, "the file is UTF-16"),
    (b"title;year\nA;1\n", 1, "expected id|title"),
])
def test_bad_titles(tmp_path, content, line, words):
    p = write(tmp_path, "u.item", content)
    with pytest.raises(SheetsgdError) as e:
        read_titles(p)
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith(str(p)) and words in msg
    if line:
        assert f"line {line}:" in msg


def test_top_n_handmade():
    # user 1: 3 ratings, user 2: 2, user 3: 2, user 4: 1 -> top 2 users by count, tie 2 vs 3 -> 2
    # movie 10: 3 ratings, movie 20: 2, movie 30: 2, movie 5: 1 -> top 2: 10 and 20
    users = np.array([1, 1, 1, 2, 2, 3, 3, 4])
    movies = np.array([10, 20, 30, 10, 30, 10, 20, 5])
    stars = np.array([5, 4, 3, 2, 1, 4, 4, 3], float)
    ct = top_n(Ratings(users, movies, stars), 2)
    assert ct.users.tolist() == [1, 2]
    assert ct.movies.tolist() == [10, 20]
    np.testing.assert_array_equal(ct.table, [[5, 4], [2, np.nan]])
    big = top_n(Ratings(users, movies, stars), 15)        # fewer than 15: the whole table
    assert big.table.shape == (4, 4) and np.isnan(big.table).sum() == 16 - 8
    with pytest.raises(SheetsgdError):
        top_n(Ratings(users, movies, stars), 0)


def test_movielens_100k(movielens_dir):
    r = read_ratings(movielens_dir / "u.data")
    assert len(r) == 100_000
    assert (len(np.unique(r.users)), len(np.unique(r.movies))) == (943, 1682)   # the README's counts
    assert (r.users[0], r.movies[0], r.ratings[0]) == (196, 242, 3.0)            # u.data's first line
    titles = read_titles(movielens_dir / "u.item")
    assert len(titles) == 1682 and titles[1] == "Toy Story (1995)"
    ct = top_n(r, 15)
    assert ct.table.shape == (15, 15)
