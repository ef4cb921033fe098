"""The workbook reader: every value type, shared and array formulas, defined names, odd sheet
names, both parsing paths, and the lecture's workbooks (their cached values come from Excel)."""
import io
import zipfile

import pytest
import xlsxwriter
from openpyxl.formula.translate import Translator

from sheetsgd.errors import SheetsgdError
from sheetsgd.formula import reader, refs
from sheetsgd.formula.reader import SharedFormula, limits, read_book, sheet_xml, workbook
from sheetsgd.formula.values import ExcelError

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"


# ------------------------------------------------------------ hand-written packages

def package(path, sheets, names="", sst=None, workbook_xml=None, parts=None, wb_part="xl/workbook.xml"):
    """Write a minimal .xlsx by hand: sheets = [(name, part, sheetData-or-whole-XML)]."""
    rels = [f'<Relationship Id="rId{i}" Type="{REL}/worksheet" Target="{part.split("xl/", 1)[1]}"/>'
            for i, (_, part, _) in enumerate(sheets, 1)]
    if sst is not None:
        rels.append(f'<Relationship Id="rIdS" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>')
    sheet_list = "".join(f'<sheet name="{n}" sheetId="{i}" r:id="rId{i}"/>'
                         for i, (n, _, _) in enumerate(sheets, 1))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        z.writestr("_rels/.rels", f'<?xml version="1.0"?><Relationships xmlns="{PKG_REL}">'
                   f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="{wb_part}"/></Relationships>')
        z.writestr(wb_part, workbook_xml or
                   f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="{MAIN}" xmlns:r="{REL}">'
                   f'<sheets>{sheet_list}</sheets><definedNames>{names}</definedNames></workbook>')
        folder, base = wb_part.rsplit("/", 1)
        z.writestr(f"{folder}/_rels/{base}.rels",
                   f'<?xml version="1.0"?><Relationships xmlns="{PKG_REL}">{"".join(rels)}</Relationships>')
        for _, part, data in sheets:
            if not data.lstrip().startswith("<?xml") and "<worksheet" not in data:
                data = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{MAIN}">'
                        f'<sheetPr/><sheetData>{data}</sheetData><pageMargins left="0.7"/></worksheet>')
            z.writestr(part, data)
        if sst is not None:
            z.writestr("xl/sharedStrings.xml", f'<?xml version="1.0"?><sst xmlns="{MAIN}">{sst}</sst>')
        for name, data in (parts or {}).items():
            z.writestr(name, data)
    return path


def as_prefixed(sheet_data):
    """The same cells with an x: namespace prefix: not the plain shape, so lxml reads it."""
    import re
    body = re.sub(r"<(/?)(row|c|f|v|is|t|r)\b", r"<\1x:\2", sheet_data)
    return (f'<?xml version="1.0" encoding="UTF-8"?><x:worksheet xmlns:x="{MAIN}">'
            f'<x:sheetData>{body}</x:sheetData></x:worksheet>')


VALUES = (
    '<row r="1">'
    '<c r="A1"><v>1.5</v></c>'                                   # number, t absent
    '<c r="B1" t="n"><v>-2E-3</v></c>'                           # number, t="n"
    '<c r="C1" t="s"><v>0</v></c>'                               # shared string
    '<c r="D1" t="s"><v>1</v></c>'                               # shared rich text
    '<c r="E1" t="str"><f>"a"&amp;"b"</f><v>a&amp;b</v></c>'     # formula string result
    '<c r="F1" t="inlineStr"><is><t>inline</t></is></c>'         # inline string
    '<c r="G1" t="b"><v>1</v></c><c r="H1" t="b"><v>0</v></c>'   # booleans
    '<c r="I1" t="e"><v>#DIV/0!</v></c>'                         # error
    '<c r="J1" s="3"/>'                                          # styled blank: no cell
    '<c r="K1"><f>A1*2</f><v></v></c>'                           # formula, no cached value
    '<c r="L1" t="str"><f>""</f><v></v></c>'                     # formula giving ""
    '<c r="M1" t="s"><v>2</v></c>'                               # _x000D_ escape
    '<c r="N1" t="e"><f>1/0</f><v>#DIV/0!</v></c>'
    '<c r="O1" t="d"><v>2024-01-02T12:00:00</v></c>'              # ISO date: an Excel serial
    '</row>'
    '<row r="3"><c r="B3" t="inlineStr"><is><r><t>rich </t></r><r><t>inline</t></r></is></c></row>'
)
SST = ('<si><t>plain</t></si>'
       '<si><r><rPr><b/></rPr><t>bold </t></r><r><t xml:space="preserve">and not</t></r>'
       '<rPh><t>PHONETIC</t></rPh></si>'
       '<si><t>line_x000D_end</t></si>')


def expected_values(book):
    s = book.sheets["values"]
    assert s.cells[(1, 1)].value == 1.5
    assert s.cells[(1, 2)].value == -0.002
    assert s.cells[(1, 3)].value == "plain"
    assert s.cells[(1, 4)].value == "bold and not"
    assert s.cells[(1, 5)].value == "a&b" and s.cells[(1, 5)].formula == '="a"&"b"'
    assert s.cells[(1, 6)].value == "inline"
    assert s.cells[(1, 7)].value is True and s.cells[(1, 8)].value is False
    assert s.cells[(1, 9)].value is ExcelError("#DIV/0!")
    assert (1, 10) not in s.cells
    assert s.cells[(1, 11)].value is None and s.cells[(1, 11)].formula == "=A1*2"
    assert s.cells[(1, 12)].value == "" and s.cells[(1, 12)].formula == '=""'
    assert s.cells[(1, 13)].value == "line\rend"
    assert s.cells[(1, 14)].value is ExcelError("#DIV/0!")
    assert s.cells[(3, 2)].value == "rich inline"
    assert s.cells[(1, 15)].value == 45293.5                     # 2024-01-01 is serial 45292
    assert (s.max_row, s.max_col) == (3, 15)
    for v in (s.cells[(1, 1)].value, s.cells[(1, 2)].value):
        assert type(v) is float


def test_every_value_type_fast_path(tmp_path):
    book = read_book(package(tmp_path / "v.xlsx", [("values", "xl/worksheets/sheet1.xml", VALUES)], sst=SST))
    expected_values(book)


def test_every_value_type_lxml_path(tmp_path, monkeypatch):
    calls = []
    real = sheet_xml.SheetReader.read_xml
    monkeypatch.setattr(sheet_xml.SheetReader, "read_xml", lambda *a: calls.append(1) or real(*a))
    book = read_book(package(tmp_path / "v.xlsx", [("values", "xl/worksheets/sheet1.xml", as_prefixed(VALUES))],
                             sst=SST))
    assert calls, "the prefixed sheet must go through lxml"
    expected_values(book)


def test_cells_without_r_and_rows_without_r(tmp_path):
    data = ('<row><c><v>1</v></c><c><v>2</v></c></row><row><c t="s"><v>0</v></c><c r="D2"><v>4</v></c>'
            '<c><f>D2+1</f><v>5</v></c></row>')
    s = read_book(package(tmp_path / "r.xlsx", [("s", "xl/worksheets/sheet1.xml", data)], sst=SST)).sheets["s"]
    assert {k: c.value for k, c in s.cells.items()} == {(1, 1): 1.0, (1, 2): 2.0, (2, 1): "plain",
                                                        (2, 4): 4.0, (2, 5): 5.0}
    assert s.cells[(2, 5)].formula == "=D2+1"


# ------------------------------------------------------------------ shared formulas

MASTER = "$A2*B$1+A$1+$B$2+SUM(A2:B2)+Sheet2!A2+'my sheet'!B2+\"A2\"+LOG10(A2)+SUM(A:A)+SUM(2:2)"


def test_shared_formula_followers_translated_like_excel(tmp_path):
    cells = [f'<c r="C2"><f t="shared" ref="C2:E4" si="0">{MASTER.replace(chr(34), "&quot;")}</f><v>1</v></c>']
    cells += [f'<c r="{c}{r}"><f t="shared" si="0"/><v>1</v></c>'
              for r in (2, 3, 4) for c in "CDE" if (c, r) != ("C", 2)]
    # a follower written before its master (hand-made files do this) is translated at the end
    early = '<row r="1"><c r="F1"><f t="shared" si="7"/><v>1</v></c></row>'
    late = '<row r="5"><c r="G5"><f t="shared" ref="F1:G5" si="7">B$1+B5</f><v>1</v></c></row>'
    data = early + "<row r=\"2\">" + "".join(cells) + "</row>" + late
    for variant in (data, as_prefixed(data)):
        book = read_book(package(tmp_path / "sh.xlsx", [("s", "xl/worksheets/sheet1.xml", variant)]))
        s = book.sheets["s"]
        for r in (2, 3, 4):
            for ci, c in enumerate("CDE"):
                want = Translator("=" + MASTER, origin="C2").translate_formula(f"{c}{r}")
                assert s.cells[(r, 3 + ci)].formula == want, (c, r)
        assert s.cells[(4, 5)].formula.startswith("=$A4*D$1+C$1+$B$2+SUM(C4:D4)+Sheet2!C4+'my sheet'!D4+\"A2\"+LOG10(C4)+SUM(C:C)+SUM(4:4)")
        assert s.cells[(1, 6)].formula == "=A$1+A1"


@pytest.mark.parametrize("formula", [
    "=A1+B$2+$C3+$D$4",
    "=SUM(A1:B2)*COUNT($A$1:A1)",
    "=IF($K3=P$2,1,0)",
    "=MMULT($B25:$F25,H$19:H$23)",
    "=Sheet1!A1+'other sheet'!$B2+'it''s'!C$3",
    "=\"A1 stays\"&A1",
    "=LOG10(A1)+ATAN2(B1,C1)",
    "=SUM(A:B)+SUM($C:D)+SUM(1:2)+SUM($3:4)",
    "=OFFSET($B$3,$L3,M$2)",
    "=1E+5*A1+2.5E-3",
    "=solver_adj+A1",
    "=#REF!+A1",
])
@pytest.mark.parametrize("dest", ["A1", "C5", "Z30", "AB2"])
def test_translation_agrees_with_openpyxl(formula, dest):
    want = Translator(formula, origin="A1").translate_formula(dest)
    dr, dc = refs.parse_cell(dest)
    assert "=" + SharedFormula(formula[1:]).translate(dr - 1, dc - 1) == want


def test_translation_off_the_grid_is_ref_error():
    assert SharedFormula("A2+$A$1").translate(-5, 0) == "#REF!+$A$1"
    assert SharedFormula("XFD1").translate(0, 1) == "#REF!"


# ------------------------------------------------------------------ XlsxWriter books

def xlsxwriter_book(path):
    wb = xlsxwriter.Workbook(str(path))
    a = wb.add_worksheet("data")
    b = wb.add_worksheet("my sheet")
    c = wb.add_worksheet("it's")
    wb.add_chartsheet("chart")            # skipped: no cells
    d = wb.add_worksheet("last")
    a.write_row(0, 0, [1.0, 2.0, 3.0])
    a.write_row(1, 0, [4.0, 5.0, 6.0])
    a.write_array_formula("E1:F2", "{=MMULT(A1:B2,A1:B2)}", None, 9.0)
    a.write_formula("G1", "=SUM(A1:C2)", None, 21.0)
    a.write_formula("H1", "=rate*2", None, 0.2)
    b.write_formula("A1", "='it''s'!A1+data!A1", None, 8.0)
    b.write_formula("B1", "=local+1", None, 3.0)
    c.write_number("A1", 7.0)
    d.write_string("A1", "x")
    wb.define_name("rate", "=0.1")
    wb.define_name("weights", "=data!$A$1:$C$2")
    wb.define_name("'my sheet'!local", "='my sheet'!$C$1")
    wb.define_name("broken", "=#REF!")
    wb.close()
    return path


def test_xlsxwriter_workbook(tmp_path):
    book = read_book(xlsxwriter_book(tmp_path / "x.xlsx"))
    assert list(book.sheets) == ["data", "my sheet", "it's", "last"]
    data = book.sheets["data"]
    master = data.cells[(1, 5)]
    assert master.formula == "=MMULT(A1:B2,A1:B2)" and master.array_ref == "E1:F2" and master.value == 9.0
    for rc in [(1, 6), (2, 5), (2, 6)]:
        assert data.cells[rc].array_master == (1, 5) and data.cells[rc].formula is None
    assert data.cells[(1, 7)].formula == "=SUM(A1:C2)"
    assert book.sheets["my sheet"].cells[(1, 1)].formula == "='it''s'!A1+data!A1"
    assert book.names == {"RATE": "0.1", "WEIGHTS": "data!$A$1:$C$2", "BROKEN": "#REF!"}
    assert book.sheets["my sheet"].names == {"LOCAL": "'my sheet'!$C$1"}
    assert (data.max_row, data.max_col) == (2, 8)


def test_defined_names_both_scopes_hidden_and_sheet_index(tmp_path):
    # localSheetId counts every sheet in <sheets>, chartsheets too
    sheets = [("first", "xl/worksheets/a.xml", '<row r="1"><c r="A1"><v>1</v></c></row>'),
              ("second sheet", "xl/worksheets/b.xml", '<row r="1"><c r="A1"><v>2</v></c></row>')]
    names = ('<definedName name="solver_adj" localSheetId="1" hidden="1">\'second sheet\'!$A$1</definedName>'
             '<definedName name="solver_cvg" localSheetId="0" hidden="1">0.0001</definedName>'
             '<definedName name="gradtarget" localSheetId="0">first!#REF!</definedName>'
             '<definedName name="Total">first!$A$1+\'second sheet\'!$A$1</definedName>')
    book = read_book(package(tmp_path / "n.xlsx", sheets, names=names, wb_part="xl/book.xml"))
    assert book.names == {"TOTAL": "first!$A$1+'second sheet'!$A$1"}
    assert book.sheets["first"].names == {"SOLVER_CVG": "0.0001", "GRADTARGET": "first!#REF!"}
    assert book.sheets["second sheet"].names == {"SOLVER_ADJ": "'second sheet'!$A$1"}
    assert book.sheets["second sheet"].cells[(1, 1)].value == 2.0


def test_fast_and_lxml_paths_agree_on_a_real_workbook(tmp_path, monkeypatch):
    path = xlsxwriter_book(tmp_path / "x.xlsx")
    fast = read_book(path)
    monkeypatch.setattr(sheet_xml.SheetReader, "read_plain", lambda self, part: False)
    slow = read_book(path)
    assert fast == slow


# ------------------------------------------------------------- the lecture's books

FORMULA_CELLS = {
    "collab_filter.xlsx": {"dotprod": 226, "movielens_1hot": 9196, "movielens_emb": 2988, "bias": 226,
                           "word_emb": 301},
    "graddesc.xlsm": {"Sheet1": 0, "data": 58, "basic": 351, "momentum": 294, "rmsprop": 264, "adam": 325,
                      "adam_ann": 331},
    "entropy_example.xlsx": {"softmax": 34, "entropy": 11, "log_entropy": 30},
    "mom_bias.xlsx": {"Sheet1": 42, "Sheet1 (2)": 360, "Sheet1 (3)": 196},
}


@pytest.mark.shared
@pytest.mark.parametrize("name", sorted(FORMULA_CELLS))
def test_reads_the_lecture_workbooks(reference, name):
    book = read_book(reference(name))
    counts = {s: sum(c.formula is not None or c.array_master is not None for c in sheet.cells.values())
              for s, sheet in book.sheets.items()}
    assert counts == FORMULA_CELLS[name]


@pytest.mark.shared
def test_lecture_cached_values(reference):
    book = read_book(reference("collab_filter.xlsx"))
    assert book.sheets["dotprod"].cells[(41, 22)].value == 0.3930154712865702
    assert book.sheets["dotprod"].cells[(41, 22)].formula == "=SQRT(SUMXMY2(H2:V16,H25:V39)/COUNT(H2:V16))"
    assert book.sheets["bias"].cells[(42, 22)].value == 0.3194674135586278
    assert book.sheets["movielens_1hot"].cells[(210, 60)].value == 0.39301547128657016
    hot = book.sheets["movielens_1hot"]
    assert hot.cells[(3, 31)].array_ref == "AE3:AI208"
    assert hot.cells[(208, 35)].array_master == (3, 31)
    assert hot.cells[(18, 29)].formula == "=IF($K18=AC$2,1,0)"     # a shared formula's follower
    assert book.sheets["dotprod"].names["SOLVER_ADJ"] == "dotprod!$H$19:$V$23,dotprod!$B$25:$F$39"
    grad = read_book(reference("graddesc.xlsm"))
    assert grad.sheets["momentum"].names["GRADTARGET"] == "momentum!#REF!"


@pytest.mark.shared
@pytest.mark.parametrize("name", ["graddesc.xlsm", "entropy_example.xlsx", "mom_bias.xlsx"])
def test_formulas_and_values_agree_with_openpyxl(reference, name):
    """openpyxl (an independent reader) sees the same formulas and cached values."""
    import openpyxl
    from openpyxl.worksheet.formula import ArrayFormula
    path = reference(name)
    book = read_book(path)
    wf, wv = openpyxl.load_workbook(path), openpyxl.load_workbook(path, data_only=True)
    for ws in wf.worksheets:
        sheet = book.sheets[ws.title]
        for row in ws.iter_rows():
            for c in row:
                mine = sheet.cells.get((c.row, c.column))
                f = c.value.text if isinstance(c.value, ArrayFormula) else (
                    c.value if isinstance(c.value, str) and c.value.startswith("=") else None)
                if f is not None or mine is not None and mine.formula is not None:
                    assert mine.formula == f, (ws.title, c.coordinate)
                cached = wv[ws.title][c.coordinate].value
                if isinstance(cached, (int, float)) and not isinstance(cached, bool):
                    assert mine.value == float(cached), (ws.title, c.coordinate)
                elif isinstance(cached, (str, bool)):
                    assert mine.value == cached, (ws.title, c.coordinate)


# --------------------------------------------------------------- limits, in-process

def test_unpacked_size_limit_counts_every_part(tmp_path, monkeypatch):
    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(1, 2000))
    path = package(tmp_path / "big.xlsx", [("a", "xl/worksheets/sheet1.xml", rows),
                                           ("b", "xl/worksheets/sheet2.xml", rows)])
    size = zipfile.ZipFile(path).getinfo("xl/worksheets/sheet1.xml").file_size
    monkeypatch.setattr(limits, "MAX_UNPACKED_BYTES", size - 1)
    with pytest.raises(SheetsgdError, match=r"big.xlsx: xl/worksheets/sheet1.xml would unpack to .*over the"):
        read_book(path)
    monkeypatch.setattr(limits, "MAX_UNPACKED_BYTES", size + 2000)
    with pytest.raises(SheetsgdError, match=r"in all \(at xl/worksheets/sheet2.xml\), over the"):
        read_book(path)


def test_cell_limit(tmp_path, monkeypatch):
    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c><c r="B{r}"><v>1</v></c></row>' for r in range(1, 60))
    path = package(tmp_path / "cells.xlsx", [("a", "xl/worksheets/sheet1.xml", rows)])
    monkeypatch.setattr(limits, "MAX_CELLS", 100)
    with pytest.raises(SheetsgdError, match=r"over the 100-cell limit"):
        read_book(path)
    monkeypatch.setattr(limits, "MAX_CELLS", 118)
    assert len(read_book(path).sheets["a"].cells) == 118


def test_progress_is_reported_for_big_sheets(tmp_path, monkeypatch):
    path = package(tmp_path / "p.xlsx", [("a", "xl/worksheets/sheet1.xml", '<row r="1"><c r="A1"><v>1</v></c></row>')])
    said = []
    monkeypatch.setattr(workbook, "PROGRESS_BYTES", 10)
    read_book(path, progress=said.append)
    assert said and said[0].startswith("reading a")
    monkeypatch.setattr(workbook, "PROGRESS_BYTES", 10**9)
    said.clear()
    read_book(path, progress=said.append)
    assert said == []


def test_a_bad_shared_string_index_names_the_cell(tmp_path):
    path = package(tmp_path / "s.xlsx", [("a", "xl/worksheets/sheet1.xml", '<row r="1"><c r="B1" t="s"><v>5</v></c></row>')],
                   sst=SST)
    with pytest.raises(SheetsgdError, match=r"s.xlsx: a!B1: shared string '5' does not exist"):
        read_book(path)


def test_reads_from_memory_zip_bytes_written_by_openpyxl(tmp_path):
    """openpyxl writes formulas with an empty cached value: read as 'no cached value' (None)."""
    import openpyxl
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "sheet one"
    ws["A1"], ws["A2"], ws["A3"] = 2, "=A1*3", "text"
    buf = io.BytesIO()
    wb.save(buf)
    (tmp_path / "o.xlsx").write_bytes(buf.getvalue())
    s = read_book(tmp_path / "o.xlsx").sheets["sheet one"]
    assert s.cells[(1, 1)].value == 2.0 and s.cells[(3, 1)].value == "text"
    assert s.cells[(2, 1)].formula == "=A1*3" and s.cells[(2, 1)].value is None


def spy_paths(monkeypatch):
    used = []
    plain = sheet_xml.SheetReader.read_plain
    monkeypatch.setattr(sheet_xml.SheetReader, "read_plain",
                        lambda self, part: used.append(plain(self, part)) or used[-1])
    return used


def test_writers_plain_shape_takes_the_fast_path(tmp_path, monkeypatch):
    import openpyxl
    used = spy_paths(monkeypatch)
    read_book(xlsxwriter_book(tmp_path / "x.xlsx"))
    wb = openpyxl.Workbook()
    wb.active["A1"], wb.active["A2"] = 1, "=A1+1"
    wb.save(tmp_path / "o.xlsx")
    read_book(tmp_path / "o.xlsx")
    assert used and all(used)


@pytest.mark.parametrize("odd", [
    '<row r="1"><!-- a comment --><c r="A1"><v>1</v></c><c r="B1"><f>A1+1</f><v>2</v></c></row>',
    '<row r="1"><c r="A1"><v>1</v></c><c r="B1"><f><![CDATA[A1+1]]></f><v>2</v></c></row>',
    '<row r="1">\n  <c r="A1"\n     s="1"><v>1</v></c><c r="B1" t="n"><f>A1+1</f><v>2</v></c></row>',
    "<row r='1'><c r='A1'><v>1</v></c><c r='B1'><f>A1&#43;1</f><v>2</v></c></row>",
])
def test_anything_else_goes_to_lxml_and_reads_the_same(odd, tmp_path, monkeypatch):
    used = spy_paths(monkeypatch)
    s = read_book(package(tmp_path / "odd.xlsx", [("s", "xl/worksheets/sheet1.xml", odd)])).sheets["s"]
    assert s.cells[(1, 1)].value == 1.0
    assert s.cells[(1, 2)].formula == "=A1+1" and s.cells[(1, 2)].value == 2.0
    assert used == [False]


def test_translation_agrees_with_openpyxl_on_generated_formulas():
    """Formulas built from the pieces the translator must tell apart, moved by random offsets."""
    from hypothesis import given, settings, strategies as st

    col = st.integers(1, 60).map(lambda n: refs.COL_LETTERS[n])
    cell = st.tuples(st.booleans(), col, st.booleans(), st.integers(1, 500)).map(
        lambda t: f"{'$' * t[0]}{t[1]}{'$' * t[2]}{t[3]}")
    ref = st.one_of(
        cell,
        st.tuples(cell, cell).map(":".join),
        st.tuples(st.sampled_from(["data!", "'my sheet'!", "'it''s'!", ""]), cell).map("".join),
        st.tuples(st.booleans(), col, st.booleans(), col).map(lambda t: f"{'$' * t[0]}{t[1]}:{'$' * t[2]}{t[3]}"),
        st.sampled_from(['"A1"', "LOG10(2)", "solver_adj", "1.5E+3", "TRUE", "#REF!"]),
    )
    formula = st.lists(ref, min_size=1, max_size=6).flatmap(
        lambda refs: st.lists(st.sampled_from(["+", "*", "-", ",", "&"]), min_size=len(refs) - 1,
                              max_size=len(refs) - 1).map(
            lambda ops: "SUM(" + "".join(r + o for r, o in zip(refs, ops + [""])) + ")"))

    @settings(max_examples=200, deadline=None)
    @given(formula, st.integers(0, 400), st.integers(0, 40))
    def agree(text, dr, dc):
        dest = f"{refs.COL_LETTERS[1 + dc]}{1 + dr}"
        want = Translator("=" + text, origin="A1").translate_formula(dest)
        assert "=" + SharedFormula(text).translate(dr, dc) == want

    agree()


@pytest.mark.parametrize("rows", [
    # styled blanks after the data: not kept, and not in the bounds
    '<row r="1"><c r="A1"><v>1</v></c><c r="B1"><f>A1*2</f><v>2</v></c><c r="H1" s="3"/></row>'
    '<row r="2"><c r="C2"><v>3</v></c></row><row r="9"><c r="K9" s="2"/></row>',
    # a cell written twice, the second time as a formula (no program writes this)
    '<row r="1"><c r="A1"><v>1</v></c><c r="A1"><f>1+1</f><v>2</v></c></row>',
    # rows out of order
    '<row r="5"><c r="B5"><v>5</v></c></row><row r="2"><c r="D2"><f>B5</f><v>5</v></c></row>',
    # an array formula whose range reaches past the cells written
    '<row r="1"><c r="A1"><v>1</v></c><c r="B1"><f t="array" ref="B1:C3">A1*2</f><v>2</v></c></row>',
])
def test_fast_path_keeps_what_the_lxml_path_keeps(tmp_path, monkeypatch, rows):
    path = package(tmp_path / "o.xlsx", [("s", "xl/worksheets/s.xml", rows)])
    fast = read_book(path)
    monkeypatch.setattr(sheet_xml.SheetReader, "read_plain", lambda self, part: False)
    slow = read_book(path)
    assert fast == slow
    sheet = fast.sheets["s"]
    keys = list(sheet.cells)
    assert (sheet.max_row, sheet.max_col) == (max(keys)[0], max(c for _, c in keys))
