"""Benchmark: the lesson's MovieLens 100k model, trained in NumPy, timed and scored.

    python3 -m sheetsgd.bench.train [--data DIR]

Prints the read time, the training time per epoch and in total, train and valid MSE per
epoch beside the lesson's own run (fastai v1 on a GPU: valid MSE 0.8136 after 5 epochs,
33 s), and then reads the model as the lesson does: the movie biases and the first
principal components of the movie factors, among the 1000 most-rated movies.
"""
import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

from ..errors import SheetsgdError
from ..models.movielens import movie_pca, train
from ..ratings import Ratings, read_ratings, read_titles

LESSON_VALID = [0.928146, 0.885790, 0.831451, 0.814966, 0.813588]   # course-v3 lesson 4, fit_one_cycle(5, 5e-3)
LIBREC_MSE = 0.91 ** 2                                              # the benchmark the lesson quotes (RMSE 0.91)
TARGET_MSE, TARGET_SECONDS = 0.80, 30.0


def default_data():
    shared = Path(os.environ.get("SHEETSGD_SHARED", Path(__file__).resolve().parents[2].parent / "shared"))
    return shared / "data" / "ml-100k"


def ratings_file(data):
    """DIR/u.data or DIR/ratings.csv, or the file itself."""
    data = Path(data)
    if data.is_dir():
        for name in ("u.data", "ratings.csv"):
            if (data / name).is_file():
                return data / name
        raise SheetsgdError(f"{data}: has no u.data or ratings.csv, expected a MovieLens directory such as ml-100k")
    return data


def titles_file(ratings_path):
    for name in ("u.item", "movies.csv"):
        if (ratings_path.parent / name).is_file():
            return ratings_path.parent / name
    return None


class Bar:
    """A one-line progress bar on stderr, redrawn in place (only on a terminal)."""

    def __init__(self, stream=sys.stderr):
        self.stream, self.live = stream, stream.isatty()

    def __call__(self, epoch, step, total, loss):
        if self.live:
            done = int(30 * step / total)
            self.stream.write(f"\r  epoch {epoch + 1} [{'#' * done}{'.' * (30 - done)}] "
                              f"{100 * step / total:3.0f}%  loss {loss:.4f} ")
            self.stream.flush()

    def close(self):
        if self.live:
            self.stream.write("\r" + " " * 70 + "\r")
            self.stream.flush()


def lesson_order(ratings, titles):
    """The ratings as the lesson's notebook handed them to fastai, for its exact split.

    The notebook does ``rating_movie = ratings.merge(movies[[movie, title]])`` and
    ``CollabDataBunch.from_df(rating_movie, seed=42, valid_pct=0.1, item_name=title)``: the
    merge groups the ratings by movie (movies in order of first appearance, file order within
    each; its printed head is 196/242, 63/242, 226/242... all Kolya), and the items are titles
    (the 18 titles that two ids share become one item). fastai's split then permutes that
    order. Returns (Ratings with title numbers as movies, {title number: title})."""
    movies = ratings.movies.tolist()
    missing = sorted({m for m in movies if m not in titles})
    if missing:
        raise SheetsgdError(f"the lesson's split needs a title for every movie; movie {missing[0]} has none")
    first = {}
    for k, m in enumerate(movies):
        first.setdefault(m, k)
    order = np.argsort(np.array([first[m] for m in movies]), kind="stable")
    number = {}
    items = np.array([number.setdefault(titles[m], len(number)) for m in ratings.movies[order].tolist()])
    return (Ratings(ratings.users[order], items, ratings.ratings[order], ratings.path),
            {n: t for t, n in number.items()})


def read_the_model(res, ratings, titles, out, top=1000, show=5):
    """The lesson's reading: biases and principal components of the most-rated movies."""
    ids, counts = np.unique(ratings.movies, return_counts=True)
    most = ids[np.lexsort((ids, -counts))[:top]]
    rows = res.params.rows(most, res.params.movie_ids)
    most, rows = most[rows >= 0], rows[rows >= 0]

    def name(movie):
        return titles.get(int(movie), f"movie {movie}") if titles else f"movie {movie}"

    def extremes(label, values):
        order = np.argsort(values, kind="stable")
        print(f"{label}, lowest:", file=out)
        for i in order[:show]:
            print(f"  {values[i]:+.3f}  {name(most[i])}", file=out)
        print(f"{label}, highest:", file=out)
        for i in order[::-1][:show]:
            print(f"  {values[i]:+.3f}  {name(most[i])}", file=out)

    print(f"\nReading the model ({len(most)} most-rated movies)", file=out)
    extremes("movie bias", res.params.bm[rows])
    pcs = movie_pca(res.params.M[rows], k=3)
    extremes("first principal component of the movie factors", pcs[:, 0])
    extremes("second principal component", pcs[:, 1])


def run(argv=None, out=sys.stdout):
    p = argparse.ArgumentParser(prog="python3 -m sheetsgd.bench.train", description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, default=default_data(),
                   help="MovieLens directory (u.data or ratings.csv, titles optional) or a ratings file "
                        "[default: %(default)s]")
    p.add_argument("--epochs", type=int, default=5, help="epochs of the one cycle [default: 5]")
    p.add_argument("--seed", type=int, default=42, help="validation split, init and shuffling [default: 42]")
    p.add_argument("--split", choices=("file", "lesson"), default="file",
                   help="file: the ratings in file order, as `sheetsgd movielens` splits them; lesson: "
                        "ordered and titled as the lesson's notebook did (needs u.item), fastai's exact "
                        "split, where the lesson reached 0.8136 [default: file]")
    p.add_argument("--init-seeds", type=int, default=0, metavar="N",
                   help="also train N more times on the same split from init/shuffle seeds 0..N-1 and "
                        "print the spread of the final valid MSE (how much of a difference is luck)")
    p.add_argument("--no-read", action="store_true", help="skip reading biases and components")
    args = p.parse_args(argv)

    path = ratings_file(args.data)
    start = time.perf_counter()
    ratings = read_ratings(path)
    read_s = time.perf_counter() - start
    tpath = titles_file(path)
    start = time.perf_counter()
    titles = read_titles(tpath) if tpath else {}
    titles_s = time.perf_counter() - start
    print(f"read {len(ratings):,} ratings from {path} in {read_s:.3f} s"
          + (f"; {len(titles):,} titles in {titles_s:.3f} s" if tpath else ""), file=out)
    if args.split == "lesson":
        if not titles:
            raise SheetsgdError(f"--split lesson needs the titles (u.item) beside {path}")
        ratings, titles = lesson_order(ratings, titles)
        print(f"lesson split: ratings grouped by movie as the notebook's merge left them, "
              f"{len(titles):,} titles as items", file=out)
    print(f"numpy {np.__version__}, {os.cpu_count()} cores, OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '-')}",
          file=out)
    print("collab_learner(n_factors=40, y_range=(0, 5.5), wd=0.1).fit_one_cycle"
          f"({args.epochs}, 5e-3), bs 64, 10% valid, seed {args.seed}", file=out)

    bar = Bar()
    start = time.perf_counter()
    try:
        res = train(ratings, epochs=args.epochs, seed=args.seed, progress=bar)
    finally:
        bar.close()
    total_s = time.perf_counter() - start

    print(f"\n{'epoch':>5} {'train_mse':>10} {'train_loss':>10} {'valid_mse':>10} {'lesson':>8} {'seconds':>8}", file=out)
    for e in range(args.epochs):
        lesson = f"{LESSON_VALID[e]:8.4f}" if args.epochs == 5 else f"{'':>8}"
        print(f"{e + 1:>5} {res.train_mse[e]:10.4f} {res.smooth_loss[e]:10.4f} {res.valid_mse[e]:10.4f} "
              f"{lesson} {res.epoch_seconds[e]:8.2f}", file=out)
    steps = (len(ratings) - len(res.valid)) // 64 * args.epochs
    print(f"training: {total_s:.2f} s ({1e3 * total_s / steps:.2f} ms a step, {steps} steps); "
          f"train_mse = mean batch loss of the epoch, train_loss = fastai's smoothed loss", file=out)
    final = res.valid_mse[-1]
    print(f"valid MSE {final:.4f}: lesson {LESSON_VALID[-1]:.4f}, LibRec benchmark {LIBREC_MSE:.4f}; "
          f"target <= {TARGET_MSE} {'met' if final <= TARGET_MSE else 'NOT met'}, "
          f"training <= {TARGET_SECONDS:.0f} s {'met' if total_s <= TARGET_SECONDS else 'NOT met'}", file=out)
    if args.init_seeds > 0:
        finals = []
        for s in range(args.init_seeds):
            finals.append(train(ratings, epochs=args.epochs, seed=args.seed, init_seed=s).valid_mse[-1])
            print(f"init seed {s}: valid MSE {finals[-1]:.4f}", file=out)
        print(f"same split, {len(finals)} other starts: valid MSE {np.mean(finals):.4f} +- {np.std(finals):.4f} "
              f"(min {min(finals):.4f}, max {max(finals):.4f})", file=out)
    if not args.no_read:
        read_the_model(res, ratings, titles, out)
    return res


def main(argv=None):
    try:
        run(argv)
    except SheetsgdError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
