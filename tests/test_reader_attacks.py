"""The reader against files made to exhaust it, beyond issue 14's list (tests/test_hostile.py has
that): XML the parser would keep as a tree, regular-expression backtracking, counts with no limit.
Each file is small zipped and inside the README's limits (or just past the one it tests); each runs
through the real CLI in a subprocess under 60 s and 2 GB (hostile_files.run_capped), and must stay
within half of both, print no traceback, and end in one error line when it exits 2.
And, in-process, each new limit of the reader with its constant patched small."""
import pytest
from hostile_files import ADDRESS_SPACE, MAIN, REL, TIMEOUT, Attack, package, run_capped, verdict
from test_reader import package as small_package

from sheetsgd.errors import SheetsgdError
from sheetsgd.formula.reader import limits, read_book, safe_xml
from sheetsgd.formula.reader import templates as row_templates


def stream_sheet(before="", rows="", after="", repeat_before=0, repeat_after=0, unit="<a/>"):
    """A worksheet part written in pieces: `unit` repeated around <sheetData>."""
    def write(f):
        f.write(f'<worksheet xmlns="{MAIN}">{before}'.encode())
        for _ in range(repeat_before // 100_000):
            f.write(unit.encode() * 100_000)
        f.write(f"<sheetData>{rows}</sheetData>".encode())
        for _ in range(repeat_after // 100_000):
            f.write(unit.encode() * 100_000)
        f.write(f"{after}</worksheet>".encode())
    return write


ROW = '<row r="1"><c r="A1"><v>2</v></c><c r="B1"><f>A1*2</f><v>4</v></c></row>'
NOT_PLAIN = '<row r="1"><c r="A1"><v>2</v></c><!-- a comment: read with lxml --><c r="B1"><f>A1*2</f><v>4</v></c></row>'


def junk_around_cells(d):
    """10M empty elements around <sheetData>: a tree of them would take ~2 GB."""
    package(d / "junk.xlsx", [("s", stream_sheet(rows=ROW, repeat_before=5_000_000, repeat_after=5_000_000))])
    return Attack(["check", d / "junk.xlsx"], codes=(0,))


def junk_around_cells_lxml(d):
    package(d / "junk.xlsx", [("s", stream_sheet(rows=NOT_PLAIN, repeat_after=10_000_000))])
    return Attack(["check", d / "junk.xlsx"], codes=(0,))


def junk_in_shared_strings(d):
    def write(f):
        f.write(f'<sst xmlns="{MAIN}"><si><t>x</t></si>'.encode())
        for _ in range(100):
            f.write(b"<a/>" * 100_000)
        f.write(b"</sst>")
    package(d / "junk.xlsx", [("s", '<row r="1"><c r="A1" t="s"><v>0</v></c></row>')], strings=write)
    return Attack(["check", d / "junk.xlsx"], codes=(0,))


def xml_elements_over_the_limit(d):
    package(d / "many.xlsx", [("s", stream_sheet(rows=ROW, repeat_after=17_000_000))])
    return Attack(["check", d / "many.xlsx"], codes=(2,), check=says("16,000,000-element limit"))


def empty_rows(d):
    """5M <row/>: no cells, so no cell limit; a Python step each."""
    package(d / "rows.xlsx", [("s", stream_sheet(rows=ROW + "<row/>" * 5_000_000))])
    return Attack(["check", d / "rows.xlsx"], codes=(2,), check=says("4,000,000-row limit"))


def many_sheets(d):
    sheets = "".join(f'<sheet name="s{i}" sheetId="{i + 1}" r:id="rId1"/>' for i in range(10_001))
    path = package(d / "sheets.xlsx", [("s", ROW)])
    _replace(path, "xl/workbook.xml", f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>{sheets}</sheets></workbook>')
    return Attack(["check", path], codes=(2,), check=says("over 10,000 sheets"))


def many_names(d):
    names = [(f"n{i}", "1", None) for i in range(1_000_001)]
    package(d / "names.xlsx", [("s", ROW)], names=names)
    return Attack(["check", d / "names.xlsx"], codes=(2,), check=says("over 1,000,000 defined names"))


def attributes_50k(d):
    """A cell with 50,000 attributes, then something the fast path does not take: a regular
    expression that can split the attributes in two places backtracks quadratically."""
    attrs = "".join(f' a{i}=""' for i in range(50_000))
    package(d / "attrs.xlsx", [("s", f'<row r="1"><c r="A1"{attrs}><x/><v>1</v></c></row>')])
    return Attack(["check", d / "attrs.xlsx"])


def wide_row(d):
    """A row with 5M child elements (16,384 cells at most fit in a row): refused while it is read,
    not once it is all in memory."""
    package(d / "wide.xlsx", [("s", '<row r="1">' + "<x/>" * 5_000_000 + "</row>")])
    return Attack(["check", d / "wide.xlsx"], codes=(2,), check=says("65,536 elements"))


def deep_nesting(d):
    package(d / "deep.xlsx", [("s", stream_sheet(rows=ROW, before="<a>" * 100_000 + "</a>" * 100_000))])
    return Attack(["check", d / "deep.xlsx"], codes=(2,))


def table_linked_100k_times(d):
    """One table part linked 100,000 times from its sheet: read once."""
    path = package(d / "tables.xlsx", [("s", '<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
                                             '<row r="2"><c r="A2"><v>1</v></c></row>')])
    rels = "".join(f'<Relationship Id="t{i}" Type="{REL}/table" Target="../tables/table1.xml"/>' for i in range(100_000))
    _replace(path, "xl/worksheets/_rels/sheet1.xml.rels",
             f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>')
    _replace(path, "xl/tables/table1.xml", f'<table xmlns="{MAIN}" id="1" name="T" displayName="T" ref="A1:A2">'
                                           f'<tableColumns count="1"><tableColumn id="1" name="x"/></tableColumns></table>')
    return Attack(["check", path], codes=(0,))


def says(words):
    def check(code, out, err):
        assert words in err, err[-300:]
    return check


def _replace(path, member, text):
    """The package with `member` replaced (or added)."""
    import zipfile
    with zipfile.ZipFile(path) as z:
        parts = {name: z.read(name) for name in z.namelist() if name != member}
    parts[member] = text
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)


CASES = {f.__name__: f for f in (junk_around_cells, junk_around_cells_lxml, junk_in_shared_strings,
                                 xml_elements_over_the_limit, empty_rows, many_sheets, many_names, attributes_50k,
                                 wide_row, deep_nesting, table_linked_100k_times)}
SLOW = {"junk_around_cells", "junk_around_cells_lxml", "junk_in_shared_strings", "xml_elements_over_the_limit",
        "empty_rows", "many_names"}


@pytest.mark.parametrize("name", [pytest.param(n, marks=[pytest.mark.slow] if n in SLOW else []) for n in CASES])
def test_hostile_file(name, tmp_path):
    attack = CASES[name](tmp_path)
    run = run_capped(attack.argv, cwd=tmp_path)
    problem = verdict(run, attack)
    assert problem == "ok", f"{problem}\nexit {run.code}, {run.seconds:.1f} s\n{run.err[-1500:]}"
    assert run.seconds < TIMEOUT / 2 and run.peak_mb < ADDRESS_SPACE / 2**20 / 2, (run.seconds, run.peak_mb)


# ------------------------------------------------------------------ each limit, in-process and small

def rows_of(n, cells='<c r="A{r}"><v>{r}</v></c>'):
    return "".join(f'<row r="{r}">{cells.format(r=r)}</row>' for r in range(1, n + 1))


@pytest.mark.parametrize("templates", [False, True])
@pytest.mark.parametrize("lxml", [False, True])
def test_the_row_limit_counts_empty_rows(tmp_path, monkeypatch, templates, lxml):
    monkeypatch.setattr(limits, "MAX_ROWS", 50)
    monkeypatch.setattr(row_templates, "TEMPLATE_MIN_CHARS", 0 if templates else 1 << 62)
    body = rows_of(30) + "<row/>" * 21 + ("<!-- lxml -->" if lxml else "")
    path = small_package(tmp_path / "r.xlsx", [("s", "xl/worksheets/sheet1.xml", body)])
    with pytest.raises(SheetsgdError, match=r"r.xlsx: over the 50-row limit \(<row> elements\) \(at sheet 's'"):
        read_book(path)
    monkeypatch.setattr(limits, "MAX_ROWS", 51)
    assert read_book(path).sheets["s"].cell(30, 1).value == 30.0


@pytest.mark.parametrize("templates", [False, True])
def test_shared_formulas_moved_count_against_the_text_limit_before_they_are_made(tmp_path, monkeypatch, templates):
    """The amplification of issue 14 (a long master, many followers), small: refused by the
    formula-text limit, whichever way the followers are read."""
    monkeypatch.setattr(row_templates, "TEMPLATE_MIN_CHARS", 0 if templates else 1 << 62)
    master = "+".join(f"B{k}" for k in range(1, 200))                 # ~1,000 characters
    body = f'<row r="1"><c r="A1"><f t="shared" ref="A1:A300" si="0">{master}</f><v>1</v></c></row>' + "".join(
        f'<row r="{r}"><c r="A{r}"><f t="shared" si="0"/><v>1</v></c></row>' for r in range(2, 301))
    path = small_package(tmp_path / "f.xlsx", [("s", "xl/worksheets/sheet1.xml", body)])
    monkeypatch.setattr(limits, "MAX_FORMULA_TEXT", 100_000)
    with pytest.raises(SheetsgdError, match=r"over the 100,000-character limit \(at sheet 's', row"):
        read_book(path)
    monkeypatch.setattr(limits, "MAX_FORMULA_TEXT", 400_000)
    cells = read_book(path).sheets["s"].split()[1]
    assert cells[(300, 1)].formula.startswith("=B300+B301+")


@pytest.mark.parametrize("constant, value, words, build", [
    ("MAX_SHEETS", 2, "has over 2 sheets, the limit",
     lambda p: small_package(p, [(f"s{i}", f"xl/worksheets/sheet{i}.xml", rows_of(1)) for i in range(3)])),
    ("MAX_SHARED_STRINGS", 2, "xl/sharedStrings.xml has over 2 strings, the limit",
     lambda p: small_package(p, [("s", "xl/worksheets/sheet1.xml", rows_of(1))], sst="<si><t>a</t></si>" * 3)),
    ("MAX_DEFINED_NAMES", 2, "has over 2 defined names, the limit",
     lambda p: small_package(p, [("s", "xl/worksheets/sheet1.xml", rows_of(1))],
                             names="".join(f'<definedName name="n{i}">1</definedName>' for i in range(3)))),
    ("MAX_XML_ELEMENTS", 40, "over the 40-element limit of XML read with a parser (at xl/worksheets/sheet1.xml)",
     lambda p: small_package(p, [("s", "xl/worksheets/sheet1.xml", rows_of(30) + "<!-- lxml -->")])),
    ("MAX_CHILDREN", 20, "a <row> with over 20 elements in it, the limit",
     lambda p: small_package(p, [("s", "xl/worksheets/sheet1.xml", '<row r="1">' + "<x/>" * 30 + "</row>")])),
])
def test_each_count_limit_refuses_in_one_line(tmp_path, monkeypatch, constant, value, words, build):
    monkeypatch.setattr(safe_xml, "CHUNK", 64)        # pruned every 64 bytes: the limits hold within a slice too
    path = build(tmp_path / "l.xlsx")
    read_book(path)                                   # within the real limits
    monkeypatch.setattr(limits, constant, value)
    with pytest.raises(SheetsgdError, match="^" + str(path).replace(".", r"\.") + ": ") as e:
        read_book(path)
    assert words in str(e.value) and "\n" not in str(e.value)
