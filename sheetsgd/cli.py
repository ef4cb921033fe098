"""The `sheetsgd` command: thin click commands that parse, call and report.

Every user error is one line on stderr naming the bad value, exit code 2, no traceback,
and nothing written (options are validated before any work starts).
"""
import math
import os
import signal
import sys
from pathlib import Path

import click

from . import __version__
from .display import clean
from .errors import SheetsgdError
from .formula.refs import MAX_ROW

WORKBOOKS = ("collab", "graddesc", "neuralnet")


class FiniteFloatRange(click.FloatRange):
    """click.FloatRange that also refuses nan (every comparison with nan is false, so FloatRange
    lets it through) and, with open bounds, inf."""

    def convert(self, value, param, ctx):
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number; expected {self._describe_range()}", param, ctx)
        return number


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="sheetsgd")
def cli():
    """fast.ai lesson 5's spreadsheets, as software.

    \b
    Build the lecture's workbooks (collaborative filtering; gradient descent with
    SGD, momentum, RMSProp and Adam; softmax and a small neural net) with live
    formulas, already optimised, and check any workbook's formulas with a NumPy
    evaluator. The lesson's MovieLens 100k model: `sheetsgd movielens`.

    \b
    Examples:
      sheetsgd build                      # collab_filter, graddesc, neuralnet .xlsx in workbooks/
      sheetsgd check workbooks/*.xlsx     # recompute every formula, compare with the file
      sheetsgd eval workbooks/collab_filter.xlsx dotprod!V41
      sheetsgd eval workbooks/graddesc.xlsx --set adam!lr=0.1 compare!E104
      sheetsgd sweep workbooks/graddesc.xlsx --vary adam!lr=1e-3..10 --log --watch compare!E104
    """


@cli.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Directory the workbooks are written to (created if missing).  "
                   "[default: workbooks; with --lecture, workbooks/lecture]")
@click.option("--only", type=click.Choice(WORKBOOKS + ("all",)), default="all", show_default=True,
              help="Build one workbook only.")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=42, show_default=True,
              help="Seed of the random start (collab weights) and of the x data (graddesc).")
@click.option("--factors", type=click.IntRange(1, 50), default=5, show_default=True,
              help="collab: latent factors per user and per movie (the lecture's k).")
@click.option("--no-solve", is_flag=True,
              help="collab: keep the random start, as the student sees it before running Solver.")
@click.option("--epochs", type=click.IntRange(1, 1000), default=None,
              help="graddesc: epochs laid out on each optimizer sheet  [default: the module's]")
@click.option("--rows", type=click.IntRange(2, 10000), default=29, show_default=True,
              help="graddesc: data points (x drawn from 1..100), one SGD step each per epoch.")
@click.option("--lr", "lrs", multiple=True, metavar="SHEET=LR",
              help="graddesc: a sheet's learning rate, e.g. --lr adam=10 (repeatable; too large diverges).")
@click.option("--ratings", "ratings_path", type=click.Path(path_type=Path), default=None,
              help="collab: your MovieLens ratings (u.data or ratings.csv) instead of the lecture's crosstab.")
@click.option("--titles", "titles_path", type=click.Path(path_type=Path), default=None,
              help="collab: movie titles (u.item or movies.csv), shown above the movie ids; needs --ratings.")
@click.option("--top", type=int, default=None, metavar="N",
              help="collab: the N users and N movies with the most ratings, 2..200 (the workbook's size "
                   "limits it further; the error says which N fits); needs --ratings.  [default: 15]")
@click.option("--lecture", is_flag=True,
              help="What a student following the video sees: collab with the lecture's solved weights "
                   "(RMSE 0.3930, 0.3195), graddesc with its x data, learning rates (adam 1) and macro, "
                   "the entropy example with its numbers and LOG.")
def build(out_dir, only, seed, factors, no_solve, epochs, rows, lrs, ratings_path, titles_path, top, lecture):
    """Build the lecture's workbooks with live formulas and cached values.

    \b
    collab_filter.xlsx  dotprod, movielens_1hot, movielens_emb, bias,
                        weight_decay, y_range, word_emb: the ratings crosstab
                        as embeddings, fitted by L-BFGS (the lecture used
                        Excel's Solver), RMSE 0.39 and 0.32.
    graddesc.xlsx       y = a*x + b fitted row by row with SGD, momentum,
                        RMSProp, Adam and Adam with annealing, many epochs,
                        no macros; then EWMA, PyTorch's Adam and SGD,
                        one-cycle, the lr finder, discriminative lrs.
    neuralnet.xlsx      softmax and cross-entropy; logistic regression and a
                        2-layer net on 8x8 digits, one SGD step as cells.

    \b
    Examples:
      sheetsgd build
      sheetsgd build --only collab --factors 3 --seed 1 --out /tmp/wb
      sheetsgd build --only graddesc --epochs 50 --rows 40
      sheetsgd build --only collab --ratings ml-100k/u.data --titles ml-100k/u.item --top 20
      sheetsgd build --lecture            # the lecture's numbers, in workbooks/lecture/
    """
    if lecture:
        ctx = click.get_current_context()
        given = [f"--{name.replace('_', '-')}" for name, value in (("factors", None), ("rows", None), ("no_solve", None),
                                                                    ("ratings", ratings_path), ("titles", titles_path),
                                                                    ("top", top))
                 if (value is not None if name in ("ratings", "titles", "top")
                     else ctx.get_parameter_source(name) is not click.core.ParameterSource.DEFAULT)]
        if given:
            raise SheetsgdError(f"--lecture builds the lecture's own workbooks (its 15 x 15 crosstab and weights, "
                                f"k = 5, its 29 x values): drop {given[0]}")
    out_dir = out_dir if out_dir is not None else Path("workbooks") / ("lecture" if lecture else "")
    own_ratings = None   # collab from your own MovieLens file: read and checked before anything is written
    if ratings_path is None and (titles_path is not None or top is not None):
        raise SheetsgdError(f"{'--titles' if titles_path is not None else '--top'} needs --ratings FILE "
                            f"(the lecture's crosstab is fixed at 15 x 15 with ids only)")
    if ratings_path is not None:
        from .sheets import collab
        if only not in ("collab", "all"):
            raise SheetsgdError(f"--ratings is for the collab workbook: use --only collab, not --only {only}")
        own_ratings = collab.own_ratings(ratings_path, collab.DEFAULT_TOP if top is None else top,
                                         titles_path, factors)
    if only in ("graddesc", "all"):
        from .sheets import graddesc
        graddesc_options = graddesc.cli_options(rows=rows, seed=seed, epochs=epochs, lr=lrs)  # check first
    _writable_dir("--out", out_dir, create=True)
    jobs = []
    if only in ("collab", "all"):
        jobs.append((out_dir / "collab_filter.xlsx", "collab",
                     {"factors": factors, "seed": seed, "solve": not no_solve, "ratings": own_ratings,
                      "lecture": lecture}))
    if only in ("graddesc", "all"):
        jobs.append((out_dir / "graddesc.xlsx", "graddesc", dict(graddesc_options, lecture=lecture)))
    if only in ("neuralnet", "all"):
        jobs.append((out_dir / "neuralnet.xlsx", "neuralnet", {"seed": seed, "lecture": lecture}))
    for path, summary in _build_all(jobs):
        click.echo(f"wrote {path}" + (f"  ({summary})" if summary else ""))


def _build_one(module, path, options):
    import importlib
    return importlib.import_module(f"sheetsgd.sheets.{module}").build(path, **options)


def _build_all(jobs):
    """Build each (path, module, options); yield (path, summary) in order. Several workbooks are built
    at once, one forked process each (they are independent, and the machine has cores to spare);
    each is still written atomically."""
    import importlib
    from . import parallel
    for path, _, _ in jobs:
        click.echo(f"building {path} ...", err=True)
    if len(jobs) < 2 or not parallel.can_fork():
        for path, module, options in jobs:
            yield path, _build_one(module, path, options)
        return
    for _, module, _ in jobs:      # imported once, here: the forked builders share them
        importlib.import_module(f"sheetsgd.sheets.{module}")
    results = parallel.run_all([(_build_one, (module, path, options)) for path, module, options in jobs])
    for (path, _, _), summary in zip(jobs, results):
        yield path, summary


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--tolerance", type=FiniteFloatRange(0, 1), default=1e-12, show_default=True,
              help="Largest relative difference that still counts as a match: "
                   "|a-b| <= tolerance*max(|a|,|b|), or |a-b| <= 1e-15 near 0. "
                   "Text, TRUE/FALSE and errors must be equal.")
@click.option("--show", type=click.IntRange(0), default=10, show_default=True,
              help="How many mismatching cells to list per file.")
def check(files, tolerance, show):
    """Recompute every formula and compare with the values the file has cached.

    \b
    Works on any .xlsx/.xlsm: ours, the lecture's, a student's edited copy.
    Prints per sheet: formula cells, matched, the largest relative difference,
    and the cells that cannot be checked (volatile like RAND, or unsupported).
    A RAND cell keeps the value the file stores; the cells computed from it
    use that stored value and are checked.
    Exit code 0 when every checkable cell matches; 1 on any mismatch, and
    when no formula cell could be compared (the file holds no cached values:
    openpyxl saves none; or none is checkable), said on a NOTHING CHECKED
    line; 2 when a file cannot be read. Cells without a cached value are
    always counted on a line of their own.

    \b
    Example:
      sheetsgd check workbooks/collab_filter.xlsx
    """
    from . import check as checker
    return checker.run(files, tolerance=tolerance, show=show, echo=_echo_clean, keep=_LAST_BOOK)


# The last book `check` read (or workbook `eval` and `sweep` computed), kept alive so that the
# command, when it is the process, can end without freeing a million small objects one by one
# (~0.1 s of a 2 s check): see main().
_LAST_BOOK = []


@cli.command(name="eval")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("cells", nargs=-1, required=True)
@click.option("--set", "sets", multiple=True, metavar="REF=VALUE",
              help="Change an input first, as if typed into the cell: REF is a cell (adam!I4) or a defined "
                   "name of one (adam!lr, TRUE_A); VALUE a number, 50%, TRUE/FALSE, #N/A, \"text\" or nothing "
                   "(blank). Repeatable.")
@click.option("--formulas", is_flag=True, help="Show each cell's formula beside its value (ranges cell by cell).")
@click.option("--csv", "as_csv", is_flag=True, help="Machine-readable: CSV lines cell,value[,formula], numbers "
                                                    "at full precision, ranges cell by cell.")
def eval_(file, cells, sets, formulas, as_csv):
    """Compute cells of a workbook from their formulas, after changing inputs if asked.

    \b
    CELLS are cells, ranges or defined names: compare!E104, compare!A100:F104,
    adam!lr (quote them in the shell: 'my sheet'!B2). A range is printed as a
    table. Only what the cells need is read and computed: one summary cell of
    graddesc.xlsx reads 3 of its 14 sheets. Values are what a spreadsheet
    program shows after the same edits (cells in a circular reference and
    volatile ones like RAND keep the values the file caches, and say so).

    \b
    Examples:
      sheetsgd eval workbooks/collab_filter.xlsx dotprod!V41 'bias'!V42
      sheetsgd eval workbooks/graddesc.xlsx --set adam!lr=0.1 compare!E104
      sheetsgd eval workbooks/graddesc.xlsx --set adam!lr=0.1 compare!A100:F104
      sheetsgd eval workbooks/graddesc.xlsx --formulas adam!J8:K9
    """
    from . import whatif
    return whatif.run_eval(file, cells, sets=sets, formulas=formulas, as_csv=as_csv, echo=_echo_clean,
                           say=lambda m: _echo_clean(m, err=True), keep=_LAST_BOOK)


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("more", nargs=-1, metavar="[CELLS]...")
@click.option("--vary", required=True, metavar="REF=START..STOP",
              help="The input to run over a range: a cell or a defined name of one, e.g. adam!lr=1e-3..10.")
@click.option("--steps", type=int, default=10, show_default=True, help="How many values, START and STOP included.")
@click.option("--log", is_flag=True, help="Values evenly spaced on a log scale (START and STOP > 0).")
@click.option("--watch", "watch", multiple=True, metavar="CELLS",
              help="Cells or ranges to read at each value (repeatable; more may follow as arguments).")
@click.option("--set", "sets", multiple=True, metavar="REF=VALUE", help="Change another input first (as eval's).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the table to FILE.csv, or FILE.xlsx with a chart.  [default: print it]")
def sweep(file, more, vary, steps, log, watch, sets, out):
    """Run a workbook's own formulas over a range of one input, watching some cells.

    \b
    The lr finder done on the sheet itself: each value is set as if typed into
    the input cell, and only what it reaches is computed again (everything else
    is computed once). Errors such as #NUM! (a diverged optimizer) are shown as
    they are. A progress bar on a terminal.

    \b
    Examples:
      sheetsgd sweep workbooks/graddesc.xlsx --vary adam!lr=1e-3..10 --log --steps 20 \\
          --watch compare!B104:F104 --out adam_lr.xlsx
      sheetsgd sweep workbooks/graddesc.xlsx --vary rmsprop!lr=0.001..0.1 --watch compare!D104
    """
    from . import whatif
    watch = list(watch) + list(more)
    whatif.check_sweep_options(vary, steps, log, watch, out)
    if out is not None:
        if not out.parent.resolve().is_dir():
            raise SheetsgdError(f"--out {out}: directory {out.parent} does not exist")
        _writable_dir(f"--out {out}:", out.parent)
    bar = _SweepBar()
    try:
        return whatif.run_sweep(file, vary, steps, log, watch, out=out, sets=sets, echo=_echo_clean,
                                say=lambda m: _echo_clean(m, err=True), progress=bar.update, keep=_LAST_BOOK)
    finally:
        bar.done()


class _SweepBar:
    """A sweep's progress as one \\r line on stderr (a terminal only)."""

    def __init__(self):
        self.tty = sys.stderr.isatty()
        self.shown = False

    def update(self, done, total):
        if not self.tty:
            return
        width = 30
        filled = int(width * done / max(total, 1))
        click.echo(f"\rsweep [{'#' * filled}{' ' * (width - filled)}] {done}/{total}", err=True, nl=False)
        self.shown = True

    def done(self):
        if self.shown:
            click.echo("", err=True)
            self.shown = False


def _echo_clean(message="", **kwargs):
    """click.echo of a line that quotes a file's text (sheet names, cell text, formulas): control,
    bidi and lone-surrogate characters escaped visibly (sheetsgd/display.py)."""
    click.echo(clean(message), **kwargs)


@cli.command()
@click.argument("workbooks", nargs=-1, required=True, type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Directory for the PNGs (one per sheet, named WORKBOOK-SHEET.png).")
@click.option("--dpi", type=click.IntRange(20, 300), default=60, show_default=True, help="Resolution of the PNGs.")
@click.option("--max-rows", type=click.IntRange(1, MAX_ROW), default=120, show_default=True,
              help="Print each sheet's first N rows (charts still plot all their data).")
@click.option("--max-width", type=click.IntRange(10, 20_000), default=420, show_default=True,
              help="Print the columns that fit in this many characters of column width (and the charts "
                   "that start there).")
@click.option("--sheet", "sheets", multiple=True, metavar="NAME",
              help="Only this sheet (repeatable; one workbook).  [default: every sheet]")
@click.option("--index", is_flag=True, help="Also write OUT/README.md, a page showing every PNG made.")
def render(workbooks, out_dir, dpi, max_rows, max_width, sheets, index):
    """Render every sheet of workbooks to PNG through headless LibreOffice.

    \b
    A sheet is printed from its top left: its first rows and the columns that
    fit, as on a screen, with every chart that starts there drawn from all its
    data. The values are the ones the file caches (nothing is recalculated).
    Needs LibreOffice (soffice) and poppler (pdftoppm):
      apt-get install libreoffice-calc-nogui poppler-utils
    Example:
      sheetsgd render workbooks/*.xlsx --out workbooks/previews --index
    """
    from . import preview
    if sheets and len(workbooks) > 1:
        raise SheetsgdError(f"--sheet {sheets[0]!r} needs one workbook; {len(workbooks)} were given")
    _writable_dir("--out", out_dir)
    done = []
    for workbook in workbooks:
        pngs = preview.render(workbook, out_dir, dpi=dpi, max_rows=max_rows, max_width=max_width, sheets=sheets)
        for _, png in pngs:
            _echo_clean(f"wrote {png}")            # the PNG's name holds the sheet's
        done.append((workbook, pngs))
    if index:
        _echo_clean(f"wrote {preview.index_page(out_dir, done, max_rows)}")


@cli.command()
@click.option("--ratings", "ratings_path", required=True, type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="MovieLens ratings: u.data (100k) or ratings.csv (latest).")
@click.option("--titles", "titles_path", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Movie titles: u.item (100k) or movies.csv (latest).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=Path("movielens.xlsx"),
              show_default=True, help="The workbook to write (.xlsx).")
@click.option("--factors", type=click.IntRange(1), default=40, show_default=True,
              help="Latent factors per user and per movie (the lesson's n_factors).")
@click.option("--epochs", type=click.IntRange(1, 1000), default=5, show_default=True, help="fit_one_cycle's epochs.")
@click.option("--lr", type=FiniteFloatRange(0, 10, min_open=True), default=5e-3, show_default=True,
              help="fit_one_cycle's maximum learning rate.")
@click.option("--wd", type=FiniteFloatRange(0, 100), default=0.1, show_default=True, help="Weight decay.")
@click.option("--bs", type=click.IntRange(1, 1_000_000), default=64, show_default=True, help="Batch size.")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=42, show_default=True,
              help="Seed of the validation split, the initial weights and the shuffling.")
def movielens(ratings_path, titles_path, out, factors, epochs, lr, wd, bs, seed):
    """Train the lesson's MovieLens model and write it as a workbook of live formulas.

    \b
    collab_learner(n_factors=40, y_range=(0, 5.5), wd=0.1) + fit_one_cycle(5, 5e-3),
    in NumPy. The workbook: users and movies (biases, factors), every rating
    with its prediction as a formula and its squared error, train and valid
    MSE, the movies ranked by bias, the factors' principal components.

    \b
    Example:
      sheetsgd movielens --ratings ml-100k/u.data --titles ml-100k/u.item --out movielens.xlsx
    """
    from .sheets import movielens as ml
    if out.suffix.lower() != ".xlsx":
        raise SheetsgdError(f"--out {out}: expected a file name ending in .xlsx")
    if not out.parent.resolve().is_dir():
        raise SheetsgdError(f"--out {out}: directory {out.parent} does not exist")
    _writable_dir(f"--out {out}:", out.parent)
    ml.check_factors(factors)
    bar = _EpochBar(epochs)

    def report_epochs(result):
        bar.done()
        for e, (tr, va, s) in enumerate(zip(result.train_mse, result.valid_mse, result.epoch_seconds)):
            click.echo(f"epoch {e + 1}  train MSE {tr:.4f}  valid MSE {va:.4f}  ({s:.1f} s)", err=True)

    tables, result, seconds = ml.make(ratings_path, out, titles_path, factors=factors, epochs=epochs, lr=lr,
                                      wd=wd, bs=bs, seed=seed, progress=bar.update, say=bar.say,
                                      on_trained=report_epochs)
    click.echo(f"wrote {out}  ({len(tables.rating):,} ratings, valid MSE {tables.valid_mse or float('nan'):.4f}; "
               f"read {seconds['read']:.1f} s, train {seconds['train']:.1f} s, write {seconds['write']:.1f} s)")


def _writable_dir(option, directory, create=False):
    """Refuse, before any work, a directory we could not write a file into (read-only, not a
    directory, no permission); create it if asked, else probe its nearest existing ancestor.
    The probe file vanishes on close."""
    import tempfile
    probe = directory
    try:
        if create:
            directory.mkdir(parents=True, exist_ok=True)
        while not probe.exists() and probe != probe.parent:
            probe = probe.parent
        with tempfile.TemporaryFile(dir=probe):
            pass
    except OSError as e:
        raise SheetsgdError(f"{option} {directory}: cannot write there ({e.strerror or e}); "
                            f"expected a writable directory") from None


class _EpochBar:
    """Training progress as one \\r line on stderr (a terminal), or nothing but the epoch lines (a pipe)."""

    def __init__(self, epochs):
        self.epochs = epochs
        self.tty = sys.stderr.isatty()
        self.shown = False

    def update(self, epoch, step, total, loss):
        if not self.tty:
            return
        width = 30
        filled = int(width * step / max(total, 1))
        click.echo(f"\repoch {epoch + 1}/{self.epochs} [{'#' * filled}{' ' * (width - filled)}] "
                   f"{100 * step // max(total, 1):3d}%  loss {loss:.4f}", err=True, nl=False)
        self.shown = True

    def done(self):
        if self.shown:
            click.echo("", err=True)
            self.shown = False

    def say(self, text):
        self.done()
        click.echo(text, err=True)


class _Terminated(BaseException):
    """SIGTERM or SIGHUP, raised where the process is so that every cleanup runs (atomic.py's
    private directory above all): by default Python dies on them at once, leaving its files."""

    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


def _raise_terminated(signum, frame):
    signal.signal(signum, signal.SIG_IGN)          # a second one must not cut the cleanup short
    raise _Terminated(signum)


def main(argv=None):
    """Entry point: one-line errors, exit 2, never a traceback for a user's mistake; SIGTERM and
    SIGHUP end it like Ctrl-C does, through the cleanups (exit 128 + the signal's number)."""
    handlers = {}
    try:
        for signum in (signal.SIGTERM, signal.SIGHUP):
            handlers[signum] = signal.signal(signum, _raise_terminated)
    except ValueError:                               # not the main thread: leave them as they are
        pass
    try:
        _main(argv)
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)


def _main(argv):
    try:
        rv = cli.main(args=argv, prog_name="sheetsgd", standalone_mode=False)
    except _Terminated as e:
        click.echo(f"sheetsgd: terminated by {signal.Signals(e.signum).name}", err=True)
        sys.exit(128 + e.signum)
    except click.exceptions.NoArgsIsHelpError as e:
        click.echo(e.ctx.get_help())
        sys.exit(0)
    except click.UsageError as e:
        cmd = e.ctx.command_path if e.ctx is not None else "sheetsgd"
        _echo_clean(f"{cmd}: error: {e.format_message()}", err=True)
        sys.exit(2)
    except click.exceptions.Abort:
        click.echo("sheetsgd: interrupted", err=True)
        sys.exit(130)
    except KeyboardInterrupt:
        click.echo("sheetsgd: interrupted", err=True)
        sys.exit(130)
    except SheetsgdError as e:
        _echo_clean(f"sheetsgd: error: {e}", err=True)
        sys.exit(e.exit_code)
    except OSError as e:        # the system's, not the input's: a full disk, a directory gone mid-build
        _echo_clean(f"sheetsgd: error: {e}", err=True)
        sys.exit(2)
    except click.ClickException as e:
        _echo_clean(f"sheetsgd: error: {e.format_message()}", err=True)
        sys.exit(e.exit_code)
    except Exception as e:      # XlsxWriter wraps the OSError of a failed save in its FileCreateError
        from xlsxwriter.exceptions import FileCreateError
        if not isinstance(e, FileCreateError):
            raise
        _echo_clean(f"sheetsgd: error: {e}", err=True)
        sys.exit(2)
    code = rv if isinstance(rv, int) else 0
    if argv is None and _LAST_BOOK:   # the process itself: leave without tearing the book down
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    main()
