"""collab_filter.xlsx's movielens_1hot, movielens_emb and word_emb: an embedding is a lookup.

movielens_1hot and movielens_emb hold dotprod's ratings one per row, with dotprod's weights: the
first finds each rating's user and movie factors by a one-hot row times the weight matrix (an array
formula MMULT), the second by INDEX. Same RMSE to the last bit. word_emb looks words up the same way.

Each sheet is a table of blocks (sheets/blocks.py), its columns written as (key, title, formula,
meaning) below; the NumPy twins are models.collab's one_hot, activations and long_predictions.
"""
import numpy as np

from ..models import collab as cf
from ..writer import a1
from .blocks import Blocks
from .crosstab import PRED_FMT, RATINGS_FMT, RMSE_FMT, WEIGHT_FMT, fmt

# Both long sheets: a rating's row in the weight tables, and its prediction. (key, title, formula, meaning)
LOOKUP = [
    ("user idx", "user idx", "=MATCH({userId},{user ids},0)", "the user's row in the Users table (exact MATCH)"),
    ("movie idx", "movie idx", "=MATCH({movieId},{movie ids},0)", "the movie's row in the Movies table"),
]
PREDICTION = [
    ("pred", "pred", "=SUMPRODUCT({user row},{movie row})", "the dot product of the user's and the movie's "
                                                          "k factors (models.collab.long_predictions)"),
    ("err2", "err^2", "=({pred}-{rating})^2", "squared error"),
]
# movielens_1hot: the lookup as a matrix product.
ONE_HOT = ("=IF({idx$}={head},1,0)", "1 in the column of the rating's user (movie), 0 elsewhere (models.collab.one_hot)")
ACTIVATIONS = ("{{=MMULT({onehot all},{weights})}}", "one-hot rows x the weight matrix: each row picks its "
                                                      "user's (movie's) factors (models.collab.activations)")
# movielens_emb: the same lookup as INDEX (and word_emb's).
EMBEDDING = ("=INDEX({weights},{idx$},{head})", "row idx, column f of the weight table: the embedding")


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


def one_hot_colours(s, first, last):
    """1 stands out in green, 0 recedes in grey: the lecture's look, readable at a glance."""
    (r0, c0), (r1, c1) = first, last
    s.ws.conditional_format(r0, c0, r1, c1, {"type": "cell", "criteria": "==", "value": 1,
                                             "format": fmt(s, "one")})
    s.ws.conditional_format(r0, c0, r1, c1, {"type": "cell", "criteria": "==", "value": 0,
                                             "format": fmt(s, "zero")})


def long_table(s, L, cols):
    """The blocks of a long sheet (cols: {key: column}), titles on row 1, heads on row 2; then the
    ratings' data (userId, movieId, rating: inputs) and their rows in the weight tables (MATCH)."""
    A = Blocks(s, L.row0 - 2, L.row0, L.n)
    for key, c in cols.items():
        A.place(key, 1, col=c, gap=False)
    for n, (u, m, _, _, rating) in enumerate(L.rows):
        r = L.row0 + n
        s.input((r, cols["userId"]), u, "0")
        s.input((r, cols["movieId"]), m, "0")
        s.input((r, cols["rating"]), rating, RATINGS_FMT)
    names = {"user ids": L.ids_abs(True), "movie ids": L.ids_abs(False)}
    for key, _, formula, _ in LOOKUP:
        A.fill(key, formula, [r[2 if key == "user idx" else 3] for r in L.rows], "0", names=names)
    for key in cols:
        A.heads(key, [key])
    return A


def prediction_columns(A, L, preds, ratings_long, users, movies):
    """pred (the dot product of a rating's user and movie factors, blocks `users` and `movies`) and
    err^2; then the RMSE below them. Returns the RMSE."""
    losses = (preds - ratings_long) ** 2
    for key, head, _, _ in PREDICTION:
        A.heads(key, [head])
    formula = PREDICTION[0][2].replace("{user row}", "{" + users + " row}").replace("{movie row}", "{" + movies + " row}")
    A.fill("pred", formula, preds, PRED_FMT)
    A.fill("err2", PREDICTION[1][2], losses, "0.000")
    loss_col, _ = A.at["err2"]
    value = float(np.sqrt(np.mean(losses)))
    A.s.text((L.rmse_row, loss_col - 1), "RMSE", "label")
    A.s.formula((L.rmse_row, loss_col), f"=SQRT(AVERAGE({A.col_range('err2', 0)}))", value, RMSE_FMT, style="result")
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
    A = long_table(s, L, cols)
    A.place("user one-hot", L.nu, col=oh_u0)
    A.place("user activations", k, col=act_u0)
    A.place("movie one-hot", L.nm, col=oh_m0)
    A.place("movie activations", k, col=act_m0)
    A.place("pred", 1, col=pred_c, gap=False)
    A.place("err2", 1, col=loss_c, gap=False)
    for key, title in (("userId", "ratings, one row each"), ("user one-hot", "user one-hot"),
                       ("user activations", "user activations"), ("movie one-hot", "movie one-hot"),
                       ("movie activations", "movie activations"), ("pred", "prediction")):
        A.title(key, title)
    ui = np.array([r[2] for r in L.rows])
    mi = np.array([r[3] for r in L.rows])
    ratings_long = np.array([r[4] for r in L.rows])
    one_u, one_m = cf.one_hot(ui, L.nu), cf.one_hot(mi, L.nm)
    for key, n, idx, onehot in (("user one-hot", L.nu, "user idx", one_u), ("movie one-hot", L.nm, "movie idx", one_m)):
        A.heads(key, list(range(1, n + 1)))
        A.fill(key, ONE_HOT[0].replace("{idx$}", "{" + idx + "$}"), onehot, "0")
        one_hot_colours(s, *A.corners(key))
    # Activations: {=MMULT(one-hot, weights)}: a whole block, one array formula each.
    act_u = cf.activations(one_u, w.users)
    act_m = cf.activations(one_m, w.movies.T)
    for key, onehot, weights, act in (("user activations", "user one-hot", L.users_abs(), act_u),
                                      ("movie activations", "movie one-hot", L.movies_abs(), act_m)):
        A.heads(key, [f"f{f + 1}" for f in range(k)])
        A.array(key, ACTIVATIONS[0].replace("{onehot all}", "{" + onehot + " all}"), act, WEIGHT_FMT,
                names={"weights": weights})
        s.color_scale(*A.corners(key))
    preds = cf.long_predictions(act_u, act_m)
    value = prediction_columns(A, L, preds, ratings_long, "user activations", "movie activations")
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
    A = long_table(s, L, cols)
    A.place("user embedding", k, col=ue0, gap=False)
    A.place("movie embedding", k, col=me0, gap=False)
    A.place("pred", 1, col=pred_c, gap=False)
    A.place("err2", 1, col=loss_c, gap=False)
    for key, title in (("userId", "ratings, one row each"), ("user embedding", "user embedding"),
                       ("movie embedding", "movie embedding")):
        A.title(key, title)
    ui = np.array([r[2] for r in L.rows]) - 1
    mi = np.array([r[3] for r in L.rows]) - 1
    ratings_long = np.array([r[4] for r in L.rows])
    emb_u, emb_m = w.users[ui], w.movies.T[mi]
    for key, idx, table, emb in (("user embedding", "user idx", L.users_abs(), emb_u),
                                 ("movie embedding", "movie idx", L.movies_abs(), emb_m)):
        A.heads(key, list(range(1, k + 1)))                     # the column INDEX reads
        A.fill(key, EMBEDDING[0].replace("{idx$}", "{" + idx + "$}"), emb, WEIGHT_FMT, names={"weights": table})
        s.color_scale(*A.corners(key))
    preds = cf.long_predictions(emb_u, emb_m)
    value = prediction_columns(A, L, preds, ratings_long, "user embedding", "movie embedding")
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
    names = {"weights": f"{a1(v_row0, 2, True, True)}:{a1(v_row0 + len(vocab) - 1, 1 + k, True, True)}",
             "words": f"{a1(v_row0, 1, True, True)}:{a1(v_row0 + len(vocab) - 1, 1, True, True)}"}
    # The text, one word a row: its id by MATCH, its embedding by INDEX.
    A = Blocks(s, 0, 2, len(words), col=t_col0)
    A.place("word", 1, gap=False)
    A.place("word id", 1, gap=False)
    A.place("embedding", k, gap=False)
    A.title("word", "the text")
    A.title("embedding", "each word's embedding, looked up")
    A.heads("word", ["word"])
    A.heads("word id", ["word id"])
    A.heads("embedding", list(range(1, k + 1)))
    lower = [v.lower() for v in vocab]
    ids = [lower.index(word.lower()) + 1 for word in words]
    for n, word in enumerate(words):
        s.input((2 + n, t_col0), word)
    A.fill("word id", "=MATCH({word},{words},0)", ids, "0", names=names)
    A.fill("embedding", EMBEDDING[0].replace("{idx$}", "{word id$}"), [vectors[i - 1] for i in ids], WEIGHT_FMT,
           names=names)
    s.color_scale(*A.corners("embedding"))
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
