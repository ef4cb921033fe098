"""What the reader adds to the Book for the engine: tables, the date system, empty cached values.
The tables and dates are written by XlsxWriter and read back by openpyxl too (two programs that
are not ours); the corpus's workbooks saved by Excel are compared with openpyxl's reading."""
import glob
import os
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from sheetsgd.errors import SheetsgdError
from sheetsgd.formula.book import Table
from sheetsgd.formula.reader import read_book, sheet_xml
from sheetsgd.formula.refs import parse_range
from test_reader import as_prefixed, package

SHARED = Path(os.environ.get("SHEETSGD_SHARED", Path(__file__).resolve().parents[2] / "shared"))


def as_table(t, sheet):
    r1, c1, r2, c2 = parse_range(t.ref)
    return Table(t.displayName, sheet, r1, c1, r2, c2, 1 if t.headerRowCount is None else t.headerRowCount,
                 t.totalsRowCount or 0, [c.name for c in t.tableColumns])


def openpyxl_tables(path):
    """{NAME: Table} as openpyxl reads the same file; where openpyxl cannot load the workbook (the
    pivot caches of some files), its parse of each table part, sheet left out (None)."""
    try:
        sheets = openpyxl.load_workbook(path).worksheets
    except (TypeError, ValueError, KeyError):
        import zipfile
        from openpyxl.worksheet.table import Table as OpenpyxlTable
        from openpyxl.xml.functions import fromstring
        with zipfile.ZipFile(path) as z:
            parts = [z.read(n) for n in z.namelist() if n.startswith("xl/tables/")]
        tables = [as_table(OpenpyxlTable.from_tree(fromstring(p)), None) for p in parts]
        return {t.name.upper(): t for t in tables}
    return {t.displayName.upper(): as_table(t, ws.title) for ws in sheets for t in ws.tables.values()}


def test_tables_written_by_xlsxwriter(tmp_path):
    path = tmp_path / "t.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("people")
    ws.add_table("B2:D6", {"name": "Ages", "columns": [{"header": "Name"}, {"header": "Age"},
                                                         {"header": "Age next year", "formula": "=[@Age]+1"}]})
    ws.add_table("F2:G5", {"name": "Totals", "total_row": True,
                           "columns": [{"header": "x"}, {"header": "y", "total_function": "sum"}]})
    other = wb.add_worksheet("my sheet")
    other.add_table("A1:A3", {"header_row": False, "name": "NoHeader"})
    wb.close()
    book = read_book(path)
    assert book.tables == openpyxl_tables(path)
    ages = book.tables["AGES"]
    assert (ages.name, ages.sheet, ages.r1, ages.c1, ages.r2, ages.c2) == ("Ages", "people", 2, 2, 6, 4)
    assert (ages.header_rows, ages.totals_rows, ages.columns) == (1, 0, ["Name", "Age", "Age next year"])
    assert (book.tables["TOTALS"].totals_rows, book.tables["NOHEADER"].header_rows) == (1, 0)
    assert book.tables["NOHEADER"].sheet == "my sheet"
    assert book.sheets["people"].cell(3, 4).formula == openpyxl.load_workbook(path)["people"]["D3"].value


def corpus_with_tables():
    found = []
    for path in sorted(glob.glob(str(SHARED / "corpus" / "files" / "*.xls[xm]"))):
        import zipfile
        with zipfile.ZipFile(path) as z:
            if any(n.startswith("xl/tables/") for n in z.namelist()):
                found.append(path)
    return found


@pytest.mark.shared
@pytest.mark.parametrize("path", corpus_with_tables() or [pytest.param(None, marks=pytest.mark.skip("no corpus"))],
                         ids=lambda p: os.path.basename(p) if p else "none")
def test_tables_of_workbooks_excel_saved(path):
    """The corpus's files with tables (the 2022 lesson's titanic.xlsx among them), as openpyxl reads them."""
    theirs, ours = openpyxl_tables(path), read_book(path).tables
    if any(t.sheet is None for t in theirs.values()):        # openpyxl read the parts alone
        ours = {k: Table(t.name, None, *vars_of(t)[2:]) for k, t in ours.items()}
    assert ours == theirs


def vars_of(t):
    return [t.name, t.sheet, t.r1, t.c1, t.r2, t.c2, t.header_rows, t.totals_rows, t.columns]


def test_bad_tables_are_one_line(tmp_path):
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

    def book(*tables):
        rels = "".join(f'<Relationship Id="t{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                       f'relationships/table" Target="../tables/table{i}.xml"/>' for i in range(len(tables)))
        parts = {f"xl/tables/table{i}.xml": f'<table xmlns="{main}" {t}</table>' for i, t in enumerate(tables)}
        parts["xl/worksheets/_rels/sheet1.xml.rels"] = (
            f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>')
        return package(tmp_path / "b.xlsx", [("s", "xl/worksheets/sheet1.xml", '<row r="1"><c r="A1"><v>1</v></c></row>')],
                       parts=parts)
    cols = '<tableColumns count="2"><tableColumn id="1" name="a"/><tableColumn id="2" name="b"/></tableColumns>'
    good = f'name="T" displayName="T" ref="A1:B3">{cols}'
    assert read_book(book(good)).tables["T"].columns == ["a", "b"]
    for bad, says in [(good + "", None), (f'displayName="T" ref="A1:C3">{cols}', "2 columns for its range 'A1:C3'"),
                      (f'displayName="T" ref="A1:B3" headerRowCount="²">{cols}', "headerRowCount='²', not 0 or 1"),
                      (f'displayName="T" ref="A0:B3">{cols}', "'A0' is outside Excel's grid"),
                      (f'displayName="T" ref="A1:B3" totalsRowCount="9{"9" * 5000}">{cols}', "not 0 or 1")]:
        if says is None:
            with pytest.raises(SheetsgdError, match="two tables named 'T'"):
                read_book(book(good, bad))
            continue
        with pytest.raises(SheetsgdError, match="b.xlsx: table 'T' ") as e:
            read_book(book(bad))
        assert says in str(e.value) and len(str(e.value)) < 300


@pytest.mark.parametrize("date1904", [False, True])
def test_the_date_system(tmp_path, date1904):
    path = tmp_path / "d.xlsx"
    wb = xlsxwriter.Workbook(str(path), {"date_1904": date1904})
    wb.add_worksheet("s").write_number("A1", 1.0)
    wb.close()
    assert read_book(path).date1904 is date1904 is openpyxl.load_workbook(path).epoch.year.__eq__(1904)


@pytest.mark.parametrize("text, serial, serial_1904", [
    ("1900-01-01T00:00:00", 1.0, None), ("1900-02-28", 59.0, None), ("1900-03-01", 61.0, None),
    ("2024-01-02T12:00:00", 45293.5, 45293.5 - 1462), ("1904-01-01", 1462.0, 0.0),
])
def test_iso_dates_as_excel_serials(text, serial, serial_1904):
    """Excel's serials (its 1900 system counts a 29 February 1900 that never was)."""
    assert sheet_xml.iso_date(text) == serial
    if serial_1904 is not None:
        assert sheet_xml.iso_date(text, date1904=True) == serial_1904


EMPTY = ('<row r="1">'
         '<c r="A1" t="str"><f>""</f><v/></c>'            # a formula's empty string, <v/>
         '<c r="B1" t="str"><f>""</f><v></v></c>'         # the same as Excel writes it
         '<c r="C1" t="str"><f>""</f></c>'                # no cached value
         '<c r="D1"><f>1+1</f><v/></c>'                   # a number with an empty <v>: no cached value
         '<c r="E1" t="n"><f>1+1</f><v></v></c>'
         '<c r="F1" t="b"><f>TRUE</f><v/></c>'            # boolean, empty: no cached value
         '<c r="G1" t="e"><f>1/0</f><v></v></c>'          # error, empty: no cached value
         '<c r="H1" t="inlineStr"><is><t/></is></c>'      # an empty inline string
         '<c r="I1" t="inlineStr"><is><t></t></is></c>'
         '<c r="J1" t="str"><v/></c>'                     # a constant empty string
         '</row>')


@pytest.mark.parametrize("lxml", [False, True])
def test_empty_cached_values_as_excel_reads_them(tmp_path, lxml):
    path = package(tmp_path / "e.xlsx", [("s", "xl/worksheets/sheet1.xml", as_prefixed(EMPTY) if lxml else EMPTY)])
    s = read_book(path).sheets["s"]
    got = {c: s.cell(1, c).value if s.cell(1, c) is not None else "no cell" for c in range(1, 11)}
    assert got == {1: "", 2: "", 3: None, 4: None, 5: None, 6: None, 7: None, 8: "", 9: "", 10: ""}
    assert s.cell(1, 1).formula == '=""'


def test_references_to_other_workbooks_are_kept_as_written(tmp_path):
    path = package(tmp_path / "x.xlsx", [("s", "xl/worksheets/sheet1.xml",
                                          "<row r=\"1\"><c r=\"A1\"><f>[1]Sheet1!A1+'[2]my sheet'!B2</f><v>3</v></c></row>")])
    assert read_book(path).sheets["s"].cell(1, 1).formula == "=[1]Sheet1!A1+'[2]my sheet'!B2"
