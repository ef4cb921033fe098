"""collab_filter.xlsx's dotprod and bias sheets: a rating predicted as a dot product of factors,
then with a bias per user and per movie. The layout (the crosstab, the factors, the prediction
formulas) is sheets/crosstab.py's; the NumPy twins are models.collab's predict and rmse.
"""
from ..models import collab as cf
from ..writer import a1
from .crosstab import (BIAS, DOTPROD, Grid, bias_blocks, crosstab, factor_blocks, notes, prediction_cells,
                       prediction_format, rmse_cell, solver_model, unrated, widths)


def dotprod_sheet(wb, ratings, w):
    s = wb.sheet("dotprod")
    g = Grid(ratings, w.k, bias=False)
    s.title((0, 0), "dotprod")
    crosstab(s, g, ratings)
    factor_blocks(s, g, ratings, w)
    preds = cf.predict(w)
    prediction_cells(s, g, DOTPROD, preds)
    # Unrated cells: predicted all the same, shown in grey italics (they are not in the RMSE).
    prediction_format(s, g, unrated(g))
    value = rmse_cell(s, g, cf.rmse(ratings, preds))
    solver_model(s, g)
    k = g.k
    s.note((g.mf_row0, 0), "Factors start as random numbers;")
    s.note((g.mf_row0 + 1, 0), "Solver (or sheetsgd) changes them")
    s.note((g.mf_row0 + 2, 0), "to make the RMSE as small as it can.")
    pr = a1(*g.pred(0, 0))
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


def bias_sheet(wb, ratings, w):
    s = wb.sheet("bias")
    g = Grid(ratings, w.k, bias=True)
    s.title((0, 0), "bias")
    bias_blocks(s, g, ratings, w)
    preds = cf.predict(w)
    prediction_cells(s, g, BIAS, preds)
    prediction_format(s, g, unrated(g))
    value = rmse_cell(s, g, cf.rmse(ratings, preds))
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
