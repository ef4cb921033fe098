"""The ratings crosstab and its factors: the layout dotprod, bias, weight_decay and y_range share.

A Grid says where the crosstab, the factors and the predictions go; the formulas below are written
as templates over a prediction cell's named references (Grid.refs), each beside its meaning. Their
NumPy twins are in models.collab (predict, rmse) and models.collab_reg (predict_y_range, sumsq).
"""
from ..writer import a1

RATINGS_FMT = "0.0"
WEIGHT_FMT = "0.00"
PRED_FMT = "0.00"
RMSE_FMT = "0.0000"

# A prediction cell's formula, over Grid.refs(i, j): (name, formula, meaning).
DOTPROD = ("dotprod", "=MMULT({user factors},{movie factors})",
           "the dot product of the user's row of factors and the movie's column (models.collab.predict)")
BIAS = ("bias", DOTPROD[1] + "+{movie bias}+{user bias}",
        "the dot product + the movie's bias + the user's bias (models.collab.predict with biases)")
Y_RANGE = ("y_range", "=lo+(hi-lo)/(1+EXP(-(" + BIAS[1][1:] + ")))",
           "the bias model's prediction squashed into (lo, hi) by a sigmoid (models.collab_reg.predict_y_range)")

# Result cells over named ranges ({ratings}, {preds}): the mask (rating<>"") drops unrated cells
# explicitly, so Excel, LibreOffice and Google Sheets agree (SUMXMY2 does not: bias!V42 of the lecture).
MASKED_MSE = 'SUMPRODUCT(({ratings}<>"")*({ratings}-{preds})^2)/COUNT({ratings})'
RMSE = "=SQRT(" + MASKED_MSE + ")"
SUMSQ = "=SUMSQ({movies},{users})"       # every weight, biases and factors (models.collab_reg.sumsq)

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

# Formats beyond the writer's styles: for conditional formatting, and a few cells of their own.
FORMATS = {
    "unrated": {"italic": True, "font_color": "#7F7F7F"},
    "one": {"bold": True, "bg_color": "#63BE7B"},
    "zero": {"font_color": "#BFBFBF"},
    "title": {"rotation": 90, "font_size": 8, "bold": True, "bg_color": "#DDEBF7", "valign": "bottom",
              "align": "center"},
    "valid": {"bg_color": "#E4DFEC", "font_color": "#5B2C83", "border": 1, "border_color": "#BFBFBF"},
    "valid_blank": {"border": 1, "border_color": "#BFBFBF"},     # editable, but light: the ratings stand out
    "held_out": {"bg_color": "#E4DFEC"},                         # a held-out cell, blank in the train crosstab
    "valid_pred": {"bold": True, "font_color": "#5B2C83"},       # a prediction of a held-out rating
    "loss": {"bold": True, "border": 2, "num_format": "0.0000"},
    "bold": {"bold": True},
}
# Upright titles: about 5.5 points of row height per character at 8 pt, capped (longer ones are cut).
TITLE_POINTS_PER_CHAR = 5.5
TITLE_ROW_MAX = 160


def fmt(s, key, num_format=None):
    cache = s.book.__dict__.setdefault("_collab_formats", {})
    if (key, num_format) not in cache:
        spec = dict(FORMATS[key], **({"num_format": num_format} if num_format else {}))
        cache[(key, num_format)] = s.book.wb.add_format(spec)
    return cache[(key, num_format)]


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

    def refs(self, i, j):
        """What the prediction of user i, movie j names: $B26:$F26, H$20:H$24, H$19, $A26."""
        r, c = self.pred_row0 + i, self.col0 + j
        return {"user factors": f"{a1(r, self.uf_col0, False, True)}:{a1(r, self.uf_col0 + self.k - 1, False, True)}",
                "movie factors": f"{a1(self.mf_row0, c, True)}:{a1(self.mf_row0 + self.k - 1, c, True)}",
                "movie bias": a1(self.mb_row, c, True),
                "user bias": a1(r, self.ub_col, False, True)}

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
    upright = fmt(s, "title")
    for j, title in enumerate(titles):
        s.ws.write_string(0, g.col0 + j, title, upright)
    longest = max(len(t) for t in titles)
    s.ws.set_row(0, min(TITLE_ROW_MAX, max(30, TITLE_POINTS_PER_CHAR * longest)))


def factor_blocks(s, g, ratings, w, span=None):
    """User factors (one row per user) beside the predictions, movie factors (one column per movie) above."""
    k = g.k
    for i in range(g.nu):
        for f in range(k):
            s.input((g.pred_row0 + i, g.uf_col0 + f), w.users[i, f], WEIGHT_FMT)
    for f in range(k):
        for j in range(g.nm):
            s.input((g.mf_row0 + f, g.col0 + j), w.movies[f, j], WEIGHT_FMT)
    # Labels: factor numbers over the user factors, beside the movie factors.
    for f in range(k):
        s.header((g.pred_row0 - 1, g.uf_col0 + f), f"f{f + 1}")
        s.text((g.mf_row0 + f, g.id_col), f"factor {f + 1}", "rowhead")
    for j, m in enumerate(ratings.movie_ids):
        s.number((g.pred_row0 - 1, g.col0 + j), m, style="header")
    s.header((g.pred_row0 - 1, g.id_col), "userId")
    for i, u in enumerate(ratings.user_ids):
        s.number((g.pred_row0 + i, g.id_col), u, style="rowhead")
    s.color_scale((g.pred_row0, g.uf_col0), (g.pred_row0 + g.nu - 1, g.uf_col0 + k - 1), span)
    s.color_scale((g.mf_row0, g.col0), (g.mf_row0 + k - 1, g.last_col), span)


def bias_inputs(s, g, w, span=None):
    """A movie-bias row above the movie factors and a user-bias column left of the user factors."""
    s.text((g.mb_row, g.id_col), "bias", "rowhead")
    s.header((g.pred_row0 - 1, g.ub_col), "bias")
    for j in range(g.nm):
        s.input((g.mb_row, g.col0 + j), w.movie_bias[j], WEIGHT_FMT)
    for i in range(g.nu):
        s.input((g.pred_row0 + i, g.ub_col), w.user_bias[i], WEIGHT_FMT)
    s.color_scale((g.mb_row, g.col0), (g.mb_row, g.last_col), span)
    s.color_scale((g.pred_row0, g.ub_col), (g.pred_row0 + g.nu - 1, g.ub_col), span)


def bias_blocks(s, g, ratings, w):
    """The bias model's inputs: the crosstab, the factor blocks, a movie-bias row and a user-bias column."""
    crosstab(s, g, ratings)
    factor_blocks(s, g, ratings, w)
    bias_inputs(s, g, w)


def prediction_cells(s, g, formula, preds):
    """Every user x movie prediction: formula (DOTPROD, BIAS, Y_RANGE) over g.refs(i, j), the value
    its twin computed (preds[i, j]); coloured by the lecture's red-white-green scale."""
    text = formula[1]
    for i in range(g.nu):
        for j in range(g.nm):
            s.formula(g.pred(i, j), text.format_map(g.refs(i, j)), preds[i, j], PRED_FMT)
    s.color_scale(g.pred(0, 0), g.pred(g.nu - 1, g.nm - 1))


def prediction_format(s, g, criteria, key="unrated"):
    """A conditional format over the predictions: criteria is relative to the first prediction
    (e.g. '=H2=""': unrated, in grey italics), so it moves with each cell."""
    s.ws.conditional_format(g.pred_row0, g.col0, g.pred_row0 + g.nu - 1, g.last_col, {
        "type": "formula", "criteria": criteria, "format": fmt(s, key)})


def unrated(g):
    """The criteria of an unrated cell, for prediction_format: its rating is blank."""
    return f'={a1(*g.rating(0, 0))}=""'


def rmse_cell(s, g, value, label="RMSE"):
    """RMSE over the rated cells, with an explicit mask so every spreadsheet program agrees."""
    s.text((g.rmse_row, g.last_col - 1), label, "label")
    s.formula(g.rmse_cell(), RMSE.format(ratings=g.ratings_range(), preds=g.preds_range()), value, RMSE_FMT,
              style="result")
    return value


def solver_model(s, g, objective=None):
    """Data > Solver opens with: minimise this RMSE (or `objective`) by changing the factors (and biases)."""
    s.define_name("solver_adj", f"{s.name}!{g.movies_range(True)},{s.name}!{g.users_range(True)}")
    s.define_name("solver_opt", f"{s.name}!{objective or a1(*g.rmse_cell(), True, True)}")
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
