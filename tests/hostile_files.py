"""Issue 14's hostile inputs, built small in a directory: each is a file of 1-600 KB that stays inside
every limit the README states, made the way an attacker would make it (raw XML in a zip, no library
that would refuse or fix it). Used by tests/test_hostile.py (one test each, through the real CLI in a
subprocess with a time and memory cap) and by tests/hostile_table.py (the before/after table).

A case is a function (directory) -> Attack: the argv of the command that meets the file, and what a
good answer looks like beyond "exit 0, 1 or 2, no traceback, one-line error, within 60 s and 2 GB".
"""
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, List, Optional
from xml.sax.saxutils import escape, quoteattr

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"


@dataclass
class Attack:
    argv: List[str]                          # after "sheetsgd"
    codes: tuple = (0, 1, 2)                 # the exit codes a good answer may have
    stdout_has: List[str] = field(default_factory=list)
    stdout_lacks: List[str] = field(default_factory=list)
    check: Optional[Callable] = None         # check(code, out, err) -> None, asserts more
    env: Optional[dict] = None               # extra environment of the process
    stdin: Optional[bytes] = None


# ------------------------------------------------------------------ a package from raw parts

def attr(value):
    """An XML attribute value, control characters as character references (quoteattr keeps \\n raw,
    which an attribute turns into a space)."""
    return quoteattr(value, {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def workbook_xml(sheet_names, names=()):
    """names: (name, text, localSheetId or None); localSheetId may be any string."""
    sheets = "".join(f'<sheet name={attr(n)} sheetId="{i + 1}" r:id="rId{i + 1}"/>'
                     for i, n in enumerate(sheet_names))
    defined = ""
    if names:
        defined = "<definedNames>" + "".join(
            f'<definedName name={attr(n)}' + ("" if local is None else f' localSheetId={attr(str(local))}')
            + f">{escape(text)}</definedName>" for n, text, local in names) + "</definedNames>"
    return f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>{sheets}</sheets>{defined}</workbook>'


def sheet_xml(rows_xml):
    return f'<worksheet xmlns="{MAIN}"><sheetData>{rows_xml}</sheetData></worksheet>'


def sst_xml(strings):
    return f'<sst xmlns="{MAIN}">' + "".join(f"<si><t>{escape(s)}</t></si>" for s in strings) + "</sst>"


def package(path, sheets, names=(), strings=None, big=None):
    """An .xlsx of `sheets` [(name, sheetData XML)] and defined `names`; `strings`: the shared
    strings (a list, or a callable(file) that writes the whole part itself); `big`: {part: callable(file)}
    for parts streamed into the zip without holding them in memory."""
    big = dict(big or {})
    parts = {}
    rels = "".join(f'<Relationship Id="rId{i + 1}" Type="{REL}/worksheet" Target="worksheets/sheet{i + 1}.xml"/>'
                   for i in range(len(sheets)))
    if strings is not None:
        rels += f'<Relationship Id="rIdS" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
        if callable(strings):
            big["xl/sharedStrings.xml"] = strings
        else:
            parts["xl/sharedStrings.xml"] = sst_xml(strings)
    overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" ContentType="application/'
                        f'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' for i in range(len(sheets)))
    parts["[Content_Types].xml"] = (
        f'<Types xmlns="{CT}"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        f'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override '
        f'PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
        f'sheet.main+xml"/>{overrides}</Types>')
    parts["_rels/.rels"] = (f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" Type="{REL}/officeDocument" '
                            f'Target="xl/workbook.xml"/></Relationships>')
    parts["xl/workbook.xml"] = workbook_xml([n for n, _ in sheets], names)
    parts["xl/_rels/workbook.xml.rels"] = f'<Relationships xmlns="{PKG}">{rels}</Relationships>'
    for i, (_, body) in enumerate(sheets):
        if callable(body):
            big[f"xl/worksheets/sheet{i + 1}.xml"] = body
        else:
            parts[f"xl/worksheets/sheet{i + 1}.xml"] = sheet_xml(body)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in parts.items():
            z.writestr(name, text)
        for name, write in big.items():
            with z.open(name, "w", force_zip64=True) as f:
                write(f)
    return path


def cell(ref, formula=None, value=None, t=None):
    """One <c>: a formula with its cached value, or a constant."""
    f = "" if formula is None else f"<f>{escape(formula)}</f>"
    v = "" if value is None else f"<v>{escape(str(value))}</v>"
    return f'<c r="{ref}"' + (f' t="{t}"' if t else "") + f">{f}{v}</c>"


def rows(cells_by_row):
    """{row: [cell xml]} -> <row> elements in order."""
    return "".join(f'<row r="{r}">{"".join(cs)}</row>' for r, cs in sorted(cells_by_row.items()))


def one_sheet(path, cells, names=(), strings=None, sheet="s"):
    """A one-sheet workbook from [cell xml] (each cell's row read from its r="...")."""
    by_row = {}
    for c in cells:
        ref = c.split('r="', 1)[1].split('"', 1)[0]
        by_row.setdefault(int("".join(ch for ch in ref if ch.isdigit())), []).append(c)
    return package(path, [(sheet, rows(by_row))], names, strings)


# ------------------------------------------------------------------ the evaluator's cases (the lead)

def exp_names(d, n=40):
    """nm_i = nm_(i+1)+nm_(i+1): 2^40 leaves if names are expanded without a memo."""
    names = [(f"nm_{i}", f"nm_{i + 1}+nm_{i + 1}", None) for i in range(1, n)] + [(f"nm_{n}", "1", None)]
    one_sheet(d / "exp_names.xlsx", [cell("A1", "nm_1", float(2 ** (n - 1))), cell("B1", "1+1", 2)], names)
    return Attack(["check", d / "exp_names.xlsx"])


def sum_whole_grid(d):
    """SUM(A1:XFD1048575) when the used area is the whole grid (3 cells)."""
    one_sheet(d / "grid.xlsx", [cell("A1", value=1), cell("B2", value=2),
                                cell("XFD1048576", "SUM(A1:XFD1048575)", 3)])
    return Attack(["check", d / "grid.xlsx"])


def column_times_row(d):
    """=SUM(A1:A1000000*A1:XFD1): a 10^6 x 16,384 array if broadcast."""
    one_sheet(d / "outer.xlsx", [cell("A1", value=1), cell("A1000000", value=1), cell("XFD1", value=1),
                                 cell("B2", "SUM(A1:A1000000*A1:XFD1)", 1)])
    return Attack(["check", d / "outer.xlsx"])


def mmult_outer(d, n=16_384):
    """{=MMULT(A1:A16384,A1:XFD1)}: a column of 16,384 numbers times a row of them, 2^28 products."""
    row1 = "".join(f'<c r="{_col(c)}1"><v>1</v></c>' for c in range(1, n + 1))
    col_a = "".join(f'<row r="{r}"><c r="A{r}"><v>1</v></c></row>' for r in range(3, n + 1))
    package(d / "mmult.xlsx", [("s", f'<row r="1">{row1}</row><row r="2"><c r="A2"><v>1</v></c><c r="B2">'
                                     f'<f t="array" ref="B2">MMULT(A1:A{n},A1:XFD1)</f><v>1</v></c></row>{col_a}')])
    return Attack(["check", d / "mmult.xlsx"])


def _col(n):
    s = ""
    while n:
        n, k = divmod(n - 1, 26)
        s = chr(65 + k) + s
    return s


def forty_big_sums(d):
    """40 x SUM(A{r}:A{r+999999}): forty 10^6-cell ranges, each cached apart."""
    cells = [cell("A1", value=1), cell("A1000040", value=1)]
    cells += [cell(f"B{r}", f"SUM(A{r}:A{r + 999999})", 1 if r == 1 else 0) for r in range(1, 41)]
    one_sheet(d / "sums.xlsx", cells)
    return Attack(["check", d / "sums.xlsx"])


def running_max(d, n=10_000):
    """B_n = MAX(B$1:B_(n-1))+A_n over 10k rows: quadratic if each range is materialised."""
    cells, b = [], 0.0
    for r in range(1, n + 1):
        cells.append(cell(f"A{r}", value=r))
        b = float(r) if r == 1 else b + r
        cells.append(cell(f"B{r}", "A1" if r == 1 else f"MAX(B$1:B{r - 1})+A{r}", b))
    one_sheet(d / "running_max.xlsx", cells)
    return Attack(["check", d / "running_max.xlsx"], codes=(0,), stdout_has=["OK: all 10,000 checked"])


def distinct_formulas(d, n=2000):
    """2,000 distinct formulas of ~8 KB each (a ~50 KB file): the parser's cost per character."""
    def body(f):
        for r in range(1, n + 1):
            text = "+".join(["1"] * 4000) + f"+{r}"          # 8,000 characters, one operator tree each
            f.write(f'<row r="{r}"><c r="A{r}"><f>{text}</f><v>{4000 + r}</v></c></row>'.encode())
    package(d / "parse.xlsx", [("s", lambda f: _sheet_stream(f, body))])
    # 16M characters of distinct formulas: past the 4M characters one evaluation parses, the file
    # is refused in one line before anything is parsed (README's limits)
    return Attack(["check", d / "parse.xlsx"], codes=(2,))


def _sheet_stream(f, body):
    f.write(f'<worksheet xmlns="{MAIN}"><sheetData>'.encode())
    body(f)
    f.write(b"</sheetData></worksheet>")


def percent_8000(d):
    """=1%%%...% with 8,000 %: a postfix chain the parser must not recurse through."""
    one_sheet(d / "percent.xlsx", [cell("A1", "1" + "%" * 8000, 0), cell("B1", "1+1", 2)])
    return Attack(["check", d / "percent.xlsx"])


def name_chain(d, n=1200):
    """nm_1 = nm_2, ..., nm_1200 = 1: a chain of names deeper than Python's recursion limit."""
    names = [(f"nm_{i}", f"nm_{i + 1}", None) for i in range(1, n)] + [(f"nm_{n}", "1", None)]
    one_sheet(d / "chain.xlsx", [cell("A1", "nm_1", 1), cell("B1", "1+1", 2)], names)
    return Attack(["check", d / "chain.xlsx"])


def countblank_column(d):
    """COUNTBLANK(A:A) with 3 non-blank cells: Excel says 1,048,576 - 3 (not the clipped used area's)."""
    one_sheet(d / "countblank.xlsx", [cell("A1", value=1), cell("A2", value=2), cell("A5", value=3),
                                      cell("B1", "COUNTBLANK(A:A)", 1048573)])
    return Attack(["check", d / "countblank.xlsx"], codes=(0,), stdout_has=["OK: all 1 checked"])


def circular_names(d):
    """nm_a = nm_b, nm_b = nm_a: not checkable, never a mismatch."""
    one_sheet(d / "circ.xlsx", [cell("A1", "nm_a", 0), cell("B1", "1+1", 2)],
              [("nm_a", "nm_b", None), ("nm_b", "nm_a", None)])
    return Attack(["check", d / "circ.xlsx"], codes=(0,), stdout_has=["not checkable"])


def external_ref(d):
    """A reference to another workbook: not checkable (its values are not in this file)."""
    one_sheet(d / "external.xlsx", [cell("A1", "[1]Sheet1!A1", 5), cell("B1", "1+1", 2)])
    return Attack(["check", d / "external.xlsx"], codes=(0,), stdout_has=["not checkable"])


def external_ref_quoted(d):
    one_sheet(d / "external2.xlsx", [cell("A1", "'[1]Sheet 1'!A1+[2]Sheet1!$B$2", 5), cell("B1", "1+1", 2)])
    return Attack(["check", d / "external2.xlsx"], codes=(0,), stdout_has=["not checkable"])


def stripped_cached(d):
    """A copy whose formula cells lost their cached values (openpyxl saves <v></v>): nothing to
    compare, so check must not say OK with exit 0."""
    cells = [cell(f"A{r}", value=r) for r in range(1, 11)] + [cell(f"B{r}", f"A{r}*2", "") for r in range(1, 11)]
    one_sheet(d / "stripped.xlsx", cells)

    def check(code, out, err):
        assert not (code == 0 and "OK" in out), out
    return Attack(["check", d / "stripped.xlsx"], check=check)


# ------------------------------------------------------------------ the reader's cases

def shared_formula_amplified(d, n=100_000):
    """One 8 KB shared formula with 100k followers (a ~500 KB file): 800 MB if each copy is kept as text."""
    text = "+".join(f"A{k}" for k in range(1, 1400))[:8000].rsplit("+", 1)[0]      # 7,99x characters

    def body(f):
        f.write(f'<row r="1"><c r="B1"><f t="shared" ref="B1:B{n}" si="0">{text}</f><v>0</v></c></row>'.encode())
        for r in range(2, n + 1):
            f.write(f'<row r="{r}"><c r="B{r}"><f t="shared" si="0"/><v>0</v></c></row>'.encode())
    package(d / "shared.xlsx", [("s", lambda f: _sheet_stream(f, body))])
    return Attack(["check", d / "shared.xlsx"])


def row_superscript(d):
    """<row r="²">: str.isdigit accepts "²", int() does not."""
    package(d / "row2.xlsx", [("s", '<row r="²"><c><v>1</v></c></row>')])
    return Attack(["check", d / "row2.xlsx"])


def cell_superscript(d):
    package(d / "cell2.xlsx", [("s", '<row r="1"><c r="A²"><v>1</v></c></row>')])
    return Attack(["check", d / "cell2.xlsx"])


def local_sheet_superscript(d):
    package(d / "local2.xlsx", [("s", rows({1: [cell("A1", "nm", 1)]}))], [("nm", "1", "²")])
    return Attack(["check", d / "local2.xlsx"])


def digits_5000_row(d):
    big = "1" * 5000
    package(d / "digits_row.xlsx", [("s", f'<row r="{big}"><c><v>1</v></c></row>')])
    return Attack(["check", d / "digits_row.xlsx"])


def digits_5000_cell(d):
    big = "1" * 5000
    package(d / "digits_cell.xlsx", [("s", f'<row r="1"><c r="A{big}"><v>1</v></c></row>')])
    return Attack(["check", d / "digits_cell.xlsx"])


def digits_5000_local(d):
    package(d / "digits_local.xlsx", [("s", rows({1: [cell("A1", "nm", 1)]}))], [("nm", "1", "1" * 5000)])
    return Attack(["check", d / "digits_local.xlsx"])


def digits_5000_string_index(d):
    package(d / "digits_sst.xlsx", [("s", f'<row r="1"><c r="A1" t="s"><v>{"1" * 5000}</v></c></row>')],
            strings=["x"])
    return Attack(["check", d / "digits_sst.xlsx"])


def digits_5000_shared_si(d):
    big = "1" * 5000
    package(d / "digits_si.xlsx", [("s", f'<row r="1"><c r="A1"><f t="shared" ref="A1:A2" si="{big}">1</f>'
                                         f'<v>1</v></c></row><row r="2"><c r="A2"><f t="shared" si="{big}"/>'
                                         f'<v>1</v></c></row>')])
    return Attack(["check", d / "digits_si.xlsx"])


def digits_5000_formula(d):
    """A 5,000-digit number and a 5,000-digit row in formula text: a per-cell result, not a crash."""
    one_sheet(d / "digits_formula.xlsx", [cell("A1", "1" * 5000, 1), cell("A2", f"B{'1' * 5000}", 0),
                                          cell("A3", "1+1", 2)])
    return Attack(["check", d / "digits_formula.xlsx"])


def dev_zero(d):
    """A symlink to /dev/zero named like a workbook: read until memory runs out, unless refused."""
    (d / "zero.xlsx").symlink_to("/dev/zero")
    return Attack(["check", d / "zero.xlsx"], codes=(2,))


def fifo(d):
    """A FIFO named like a workbook, nobody writing: open() blocks forever, unless refused first."""
    os.mkfifo(d / "fifo.xlsx")
    return Attack(["check", d / "fifo.xlsx"], codes=(2,))


def strings_20m(d, n=20_000_000):
    """20M empty shared strings (~100 MB unpacked, within 512 MiB; ~0.3 MB zipped)."""
    def write(f):
        f.write(f'<sst xmlns="{MAIN}" count="{n}" uniqueCount="{n}">'.encode())
        chunk = b"<si><t/></si>" * 100_000
        for _ in range(n // 100_000):
            f.write(chunk)
        f.write(b"</sst>")
    package(d / "strings.xlsx", [("s", rows({1: [cell("A1", value=0, t="s")]}))], strings=write)
    return Attack(["check", d / "strings.xlsx"])


# ------------------------------------------------------------------ what reaches the terminal (hardening)

ESC = "\x1b"


def surrogate_eval(d):
    """_xD800_ in a shared string is a lone surrogate once unescaped: printing it must not crash."""
    package(d / "surrogate.xlsx", [("s", rows({1: [cell("A1", value=0, t="s"), cell("B1", "A1", 0, t="str")]}))],
            strings=["a_xD800_b"])
    return Attack(["eval", d / "surrogate.xlsx", "s!A1", "s!B1"], codes=(0,), stdout_has=["\\ud800"])


def _no_raw_controls(code, out, err):
    for ch in out + err:
        o = ord(ch)
        assert not (o < 0x20 and ch != "\n" or 0x7f <= o <= 0x9f or 0x202a <= o <= 0x202e or 0xd800 <= o <= 0xdfff), \
            (hex(o), out, err)


def control_sheet_name(d):
    """Sheet names with a newline, a C1 CSI (U+009B, ESC[ on 8-bit terminals) and a bidi override,
    and an ESC in a shared string that a mismatch line quotes."""
    names = ["two\nlines", "\x9b31mred", "\u202eevil"]
    sheets = [(n, rows({1: [cell("A1", value=0, t="s"), cell("B1", "A1", 0, t="str")]})) for n in names]
    package(d / "names.xlsx", sheets, strings=["_x001B_[2J_x001B_]0;pwned_x0007__x001B_[31m"])

    def check(code, out, err):
        _no_raw_controls(code, out, err)
        assert "two\\nlines" in out and "\\x9b31mred" in out and "\\u202eevil" in out, out
    return Attack(["check", d / "names.xlsx"], codes=(1,), check=check)


def control_eval(d):
    """eval prints a cell's text: an ESC written as _x001B_ and a newline arrive escaped."""
    package(d / "esc.xlsx", [("bad\nname", rows({1: [cell("A1", value=0, t="s")]}))],
            strings=["_x001B_]0;title_x0007_ and\nnewline"])

    def check(code, out, err):
        _no_raw_controls(code, out, err)
        assert len(out.splitlines()) == 1, out
    return Attack(["eval", d / "esc.xlsx", "bad\nname!A1"], codes=(0,), check=check)


def control_error_message(d):
    """An error message that names a sheet from the file stays one line without raw controls."""
    package(d / "err.xlsx", [("s\n\x9b2J", '<row r="1"><c r="A1"><v>1</v></c></row><row r="1048577">'
                                          '<c r="A1048577"><v>1</v></c></row>')])

    def check(code, out, err):
        _no_raw_controls(code, out, err)
    return Attack(["check", d / "err.xlsx"], codes=(2,), check=check)


def control_unparsable(d):
    """A formula text with a newline in an unparsable formula: the reason quotes it on one line."""
    one_sheet(d / "unparsable.xlsx", [cell("A1", "1+\n+(", 0), cell("B1", "1+1", 2)])

    def check(code, out, err):
        _no_raw_controls(code, out, err)
        assert "not checkable" in out
    return Attack(["check", d / "unparsable.xlsx"], codes=(0,), check=check)


def non_utf8_file_name(d):
    """A file name that is not UTF-8 (bytes 0xE9): printed in the report's first line."""
    raw = os.fsencode(str(d)) + b"/caf\xe9.xlsx"
    one_sheet(Path(os.fsdecode(raw)), [cell("A1", "1+1", 2)])
    return Attack(["check", os.fsdecode(raw)], codes=(0,), check=_no_raw_controls)


def ascii_terminal(d):
    """A terminal that is not UTF-8 (PYTHONIOENCODING=ascii) and a sheet named in Greek."""
    package(d / "greek.xlsx", [("αβγ", rows({1: [cell("A1", "1+1", 2)]}))])
    return Attack(["check", d / "greek.xlsx"], codes=(0,), env={"PYTHONIOENCODING": "ascii"})


# ------------------------------------------------------------------ hardening: inconsistencies

def write_ratings(path, n, n_users=6040, n_movies=3700, seed=0):
    """u.data with n distinct (user, movie) pairs, like MovieLens 1M's size."""
    import numpy as np
    rng = np.random.default_rng(seed)
    pairs = rng.choice(n_users * n_movies, size=n, replace=False)
    users, movies = pairs // n_movies + 1, pairs % n_movies + 1
    stars = rng.integers(1, 6, size=n)
    table = np.column_stack([users, movies, stars, np.arange(n) + 880000000])
    np.savetxt(path, table, fmt="%d", delimiter="\t")
    return path


def movielens_1m(d):
    """1M ratings: a workbook over check's 2,000,000-cell limit: refused up front, nothing written."""
    write_ratings(d / "u.data", 1_000_000)

    def check(code, out, err):
        assert not (d / "movielens.xlsx").exists()
        assert "2,000,000" in err, err
    return Attack(["movielens", "--ratings", d / "u.data", "--out", d / "movielens.xlsx", "--epochs", "1"],
                  codes=(2,), check=check)


def tolerance(value):
    def case(d):
        one_sheet(d / "t.xlsx", [cell("A1", "1+1", 2)])

        def check(code, out, err):
            assert "--tolerance" in err and value in err, err
        return Attack(["check", "--tolerance", value, d / "t.xlsx"], codes=(2,), check=check)
    case.__name__ = f"tolerance_{value}"
    return case


def cp1252_titles(d):
    """u.item written by Windows (0x92 a right quote, 0x96 an en dash): titles without C1 controls."""
    from sheetsgd.formula.reader import read_book
    write_ratings(d / "u.data", 300, n_users=20, n_movies=30)
    lines = [f"{m}|Movie {m} (1995)|01-Jan-1995||http://x|0".encode() for m in range(1, 31)]
    lines[0] = b"1|Schindler\x92s List \x96 1993 (1993)|01-Jan-1993||http://x|0"
    lines[1] = b"2|Mis\xe9rables, Les (1995)|01-Jan-1995||http://x|0"
    (d / "u.item").write_bytes(b"\n".join(lines) + b"\n")

    def check(code, out, err):
        book = read_book(d / "m.xlsx")
        titles = [c.value for c in book.sheets["movies"].cells.values() if isinstance(c.value, str)]
        assert "Schindler\u2019s List \u2013 1993 (1993)" in titles, titles[:5]
        assert "Mis\u00e9rables, Les (1995)" in titles
        assert not any(0x80 <= ord(ch) <= 0x9f for t in titles for ch in t)
    return Attack(["movielens", "--ratings", d / "u.data", "--titles", d / "u.item", "--out", d / "m.xlsx",
                   "--epochs", "1", "--factors", "3"], codes=(0,), check=check)


def nan_option(option, value, command="movielens"):
    def case(d):
        write_ratings(d / "u.data", 300, n_users=20, n_movies=30)

        def check(code, out, err):
            assert option in err and value in err, err
            assert not (d / "m.xlsx").exists()
        return Attack([command, "--ratings", d / "u.data", "--out", d / "m.xlsx", option, value], codes=(2,),
                      check=check)
    case.__name__ = f"{command}{option.replace('-', '_')}_{value}"
    return case


# ------------------------------------------------------------------ running the real command, capped

TIMEOUT = 60                 # seconds, the bound
ADDRESS_SPACE = 2 * 2**30    # bytes of address space (RLIMIT_AS), the bound


@dataclass
class Run:
    code: Optional[int]      # None: killed at the timeout
    out: str
    err: str
    seconds: float
    peak_mb: float           # the largest resident set of the process (or its waited-for children)


def run_capped(argv, cwd=None, timeout=TIMEOUT, address_space=ADDRESS_SPACE, env=None, stdin=None, file_size=None):
    """`python -m sheetsgd ARGV` in its own session under RLIMIT_AS (and RLIMIT_FSIZE: a disk that
    fills at `file_size` bytes a file); the whole session is killed at the timeout. Returns its exit
    status, output, wall seconds and peak RSS (from wait4)."""
    import resource
    import signal
    import subprocess
    import sys
    import threading
    import time

    def limits():
        if address_space:
            resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
        if file_size is not None:                # Python ignores SIGXFSZ: a write past it fails with EFBIG
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))

    full_env = dict(os.environ, **(env or {}))
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "sheetsgd", *map(os.fspath, argv)], cwd=cwd, env=full_env,
                            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=limits,
                            start_new_session=True)
    chunks = {"out": [], "err": []}

    def drain(stream, key):
        for block in iter(lambda: stream.read(65536), b""):
            chunks[key].append(block)
    readers = [threading.Thread(target=drain, args=(proc.stdout, "out"), daemon=True),
               threading.Thread(target=drain, args=(proc.stderr, "err"), daemon=True)]
    for t in readers:
        t.start()
    if stdin is not None:
        proc.stdin.write(stdin)
        proc.stdin.close()
    timed_out = []

    def kill():
        timed_out.append(True)
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    timer = threading.Timer(timeout, kill)
    timer.start()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    try:                          # what the session left running (the reader's forked child)
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    for t in readers:
        t.join(10)
    out = b"".join(chunks["out"]).decode("utf-8", "backslashreplace")
    err = b"".join(chunks["err"]).decode("utf-8", "backslashreplace")
    return Run(None if timed_out else proc.returncode, out, err, seconds, usage.ru_maxrss / 1024)


def verdict(run, attack):
    """'ok', or what is wrong with the run (the first problem found)."""
    text = run.out + run.err
    if run.code is None:
        return f"killed after {run.seconds:.0f} s"
    if "MemoryError" in text:
        return "MemoryError (caught or not): no budget refused the work"
    if "Traceback" in text or "Exception ignored" in text:
        last = [line for line in run.err.splitlines() if line.strip()][-1:] or [""]
        return f"traceback ({last[0][:70]})"
    if run.code not in attack.codes:
        return f"exit {run.code}"
    if run.code == 2:
        errors = [line for line in run.err.splitlines() if line.startswith("sheetsgd")]
        if len(errors) != 1 or errors[0] != run.err.strip().splitlines()[-1]:
            return "not one error line"
    for words in attack.stdout_has:
        if words not in run.out:
            return f"no {words!r} in the output"
    for words in attack.stdout_lacks:
        if words in run.out:
            return f"{words!r} in the output"
    if attack.check is not None:
        try:
            attack.check(run.code, run.out, run.err)
        except AssertionError as e:
            return f"wrong answer ({str(e)[:60]})"
    return "ok"


# ------------------------------------------------------------------ more, found while attacking (owners as marked)

def huge_shared_string(d, mb=400):
    """One shared string of 400 MB (under the 512 MiB unpacked limit, ~0.4 MB zipped)."""
    def write(f):
        f.write(f'<sst xmlns="{MAIN}" count="1" uniqueCount="1"><si><t>'.encode())
        chunk = b"x" * 2**20
        for _ in range(mb):
            f.write(chunk)
        f.write(b"</t></si></sst>")
    package(d / "huge_string.xlsx", [("s", rows({1: [cell("A1", value=0, t="s"), cell("B1", "LEN(A1)", mb * 2**20)]}))],
            strings=write)
    return Attack(["check", d / "huge_string.xlsx"])


def many_sheets(d, n=20_000):
    """20,000 sheets of one formula each (40,000 zip members, under the 100,000 limit)."""
    sheets = [(f"s{i}", rows({1: [cell("A1", "1+1", 2)]})) for i in range(n)]
    package(d / "many_sheets.xlsx", sheets)
    return Attack(["check", d / "many_sheets.xlsx"])


def many_names(d, n=1_000_000):
    """A million defined names (a ~40 MB workbook.xml, ~2 MB zipped), one formula using the last."""
    names = [(f"nm_{i}", f"{i}", None) for i in range(n)]
    one_sheet(d / "many_names.xlsx", [cell("A1", f"nm_{n - 1}", n - 1)], names)
    return Attack(["check", d / "many_names.xlsx"])


def chain_2m(d, n=999_500):
    """Two million cells (two columns of a million rows: the grid has 1,048,576): a constant and
    a chain of formulas, each the one above plus 1, column B continuing where A ends."""
    def body(f):
        f.write(b'<row r="1"><c r="A1"><v>0</v></c><c r="B1"><f>A%d+1</f><v>%d</v></c></row>' % (n, n))
        for r in range(2, n + 1):
            f.write(f'<row r="{r}"><c r="A{r}"><f>A{r - 1}+1</f><v>{r - 1}</v></c>'
                    f'<c r="B{r}"><f>B{r - 1}+1</f><v>{n + r - 1}</v></c></row>'.encode())
    package(d / "chain.xlsx", [("s", lambda f: _sheet_stream(f, body))])
    return Attack(["check", d / "chain.xlsx"], codes=(0,))


def text_cells_2m(d, n=1_990_000):
    """Two million inline-string cells of 200 characters (~450 MB of XML, ~2 MB zipped)."""
    text = "y" * 200

    def body(f):
        for r in range(1, n // 10 + 1):
            f.write(f'<row r="{r}">'.encode() + b"".join(
                f'<c r="{c}{r}" t="inlineStr"><is><t>{text}</t></is></c>'.encode() for c in "ABCDEFGHIJ")
                + b"</row>")
    package(d / "text_cells.xlsx", [("s", lambda f: _sheet_stream(f, body))])
    return Attack(["check", d / "text_cells.xlsx"])


def deep_xml(d, depth=1_000_000):
    """A sheet part nested a million elements deep."""
    def body(f):
        f.write(b'<row r="1"><c r="A1"><v>1</v></c></row>')
    package(d / "deep.xlsx", [("s", lambda f: f.write(
        f'<worksheet xmlns="{MAIN}"><sheetData>'.encode() + b"<x>" * depth + b"</x>" * depth
        + b"</sheetData></worksheet>"))])
    return Attack(["check", d / "deep.xlsx"])


# ------------------------------------------------------------------ render (issue 16's engineer)

LAUGHS = ('<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
          + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(2, 10)) + "]>")


def render_billion_laughs(d):
    """render must read through the reader's safeguards: a DOCTYPE with nested entities is refused."""
    package(d / "laughs.xlsx", [("s", lambda f: f.write(
        f'<?xml version="1.0"?>{LAUGHS}<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="inlineStr">'
        f'<is><t>&lol9;</t></is></c></row></sheetData></worksheet>'.encode()))])
    return Attack(["render", d / "laughs.xlsx", "--out", d / "png"], codes=(2,),
                  check=lambda code, out, err: _nothing_in(d / "png"))


def render_zip_bomb(d):
    """A sheet part whose zip header claims 4 GB: refused from the header, before LibreOffice."""
    import struct
    path = package(d / "bomb.xlsx", [("s", rows({1: [cell("A1", value=1)]}))])
    data = bytearray(path.read_bytes())
    name = b"xl/worksheets/sheet1.xml"
    i = data.find(b"PK\x01\x02")
    while i >= 0:
        n = struct.unpack_from("<H", data, i + 28)[0]
        if data[i + 46:i + 46 + n] == name:
            struct.pack_into("<I", data, i + 24, 0xF0000000)
        i = data.find(b"PK\x01\x02", i + 4)
    path.write_bytes(bytes(data))
    return Attack(["render", path, "--out", d / "png"], codes=(2,), check=lambda code, out, err: _nothing_in(d / "png"))


def _nothing_in(directory):
    assert not directory.exists() or not any(directory.iterdir()), sorted(directory.iterdir())


# ------------------------------------------------------------------ every case, with its owner

# name: (builder, owner of the fix). Owners: "engine" the lead (sheetsgd/formula engine, check.py),
# "reader" sheetsgd/formula/reader*, "hardening" display.py, atomic.py, writer.py, ratings.py, cli.py.
CASES = {
    "exp_names": (exp_names, "engine"),
    "sum_whole_grid": (sum_whole_grid, "engine"),
    "column_times_row": (column_times_row, "engine"),
    "mmult_outer": (mmult_outer, "engine"),
    "forty_big_sums": (forty_big_sums, "engine"),
    "running_max": (running_max, "engine"),
    "distinct_formulas": (distinct_formulas, "engine"),
    "percent_8000": (percent_8000, "engine"),
    "name_chain": (name_chain, "engine"),
    "countblank_column": (countblank_column, "engine"),
    "circular_names": (circular_names, "engine"),
    "external_ref": (external_ref, "engine"),
    "external_ref_quoted": (external_ref_quoted, "engine"),
    "stripped_cached": (stripped_cached, "engine"),
    "digits_5000_formula": (digits_5000_formula, "engine"),
    "shared_formula_amplified": (shared_formula_amplified, "reader"),
    "row_superscript": (row_superscript, "reader"),
    "cell_superscript": (cell_superscript, "reader"),
    "local_sheet_superscript": (local_sheet_superscript, "reader"),
    "digits_5000_row": (digits_5000_row, "reader"),
    "digits_5000_cell": (digits_5000_cell, "reader"),
    "digits_5000_local": (digits_5000_local, "reader"),
    "digits_5000_string_index": (digits_5000_string_index, "reader"),
    "digits_5000_shared_si": (digits_5000_shared_si, "reader"),
    "dev_zero": (dev_zero, "reader"),
    "fifo": (fifo, "reader"),
    "strings_20m": (strings_20m, "reader"),
    "surrogate_eval": (surrogate_eval, "hardening"),
    "control_sheet_name": (control_sheet_name, "hardening"),
    "control_eval": (control_eval, "hardening"),
    "control_error_message": (control_error_message, "hardening"),
    "control_unparsable": (control_unparsable, "hardening"),
    "non_utf8_file_name": (non_utf8_file_name, "hardening"),
    "ascii_terminal": (ascii_terminal, "hardening"),
    "movielens_1m": (movielens_1m, "hardening"),
    "tolerance_nan": (tolerance("nan"), "hardening"),
    "tolerance_inf": (tolerance("inf"), "hardening"),
    "tolerance_negative": (tolerance("-1"), "hardening"),
    "movielens_lr_nan": (nan_option("--lr", "nan"), "hardening"),
    "movielens_wd_nan": (nan_option("--wd", "nan"), "hardening"),
    "cp1252_titles": (cp1252_titles, "hardening"),
    "huge_shared_string": (huge_shared_string, "reader"),
    "many_sheets": (many_sheets, "reader"),
    "many_names": (many_names, "reader"),
    "chain_2m": (chain_2m, "engine"),
    "text_cells_2m": (text_cells_2m, "reader"),
    "deep_xml": (deep_xml, "reader"),
    "render_billion_laughs": (render_billion_laughs, "render"),
    "render_zip_bomb": (render_zip_bomb, "render"),
}
