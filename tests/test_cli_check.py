"""`sheetsgd check` and `sheetsgd eval` as a user meets them: exit codes, the table, one-line
errors; every hostile file is refused with exit 2, one line naming it, nothing read or written."""
import struct
import zipfile

import pytest
import xlsxwriter

from sheetsgd import check
from sheetsgd.cli import main
from sheetsgd.formula import reader
from sheetsgd.formula.reader import sheet_xml, workbook

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def run(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return exc.value.code, out, err


def small_book(path, cached=7.5):
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("dotprod")
    ws.write_row(0, 0, [1.5, 2.5, 3.5])
    ws.write_formula("D1", "=SUM(A1:C1)", None, cached)
    ws.write_formula("E1", "=D1*D1", None, 56.25)
    wb.close()
    return path


# ----------------------------------------------------------------------- check

def test_check_all_match_exit_0(tmp_path, capsys):
    code, out, err = run(["check", small_book(tmp_path / "ok.xlsx")], capsys)
    assert code == 0, err
    assert "formulas" in out and "matched" in out and "OK: all 2 checked formula cells match" in out
    assert err == ""


def test_check_mismatch_exit_1(tmp_path, capsys):
    code, out, _ = run(["check", small_book(tmp_path / "bad.xlsx", cached=7.0)], capsys)
    assert code == 1
    assert "dotprod!D1: file 7.0, computed 7.5" in out


def test_check_several_files_one_unreadable(tmp_path, capsys):
    (tmp_path / "junk.xlsx").write_text("junk")
    code, out, err = run(["check", small_book(tmp_path / "ok.xlsx"), tmp_path / "junk.xlsx",
                          small_book(tmp_path / "bad.xlsx", cached=7.0)], capsys)
    assert code == 2                                      # worst of 0, 2, 1
    assert "ok.xlsx" in out and "bad.xlsx" in out and "dotprod!D1" in out
    assert err.strip().splitlines() == [f"sheetsgd: error: {tmp_path / 'junk.xlsx'}: not an .xlsx/.xlsm (zip) file"]


def test_check_show_limits_the_list(tmp_path, capsys):
    code, out, _ = run(["check", "--show", "0", small_book(tmp_path / "bad.xlsx", cached=7.0)], capsys)
    assert code == 1 and "MISMATCH: 1 cell differs from the file." in out and "dotprod!D1" not in out


def test_progress_on_stderr_for_big_files(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(workbook, "PROGRESS_BYTES", 10)
    monkeypatch.setattr(check, "PROGRESS_CELLS", 1)
    code, out, err = run(["check", small_book(tmp_path / "ok.xlsx")], capsys)
    assert code == 0
    assert "reading dotprod" in err and "evaluating 2 formula cells" in err
    assert "reading" not in out


@pytest.mark.shared
@pytest.mark.parametrize("name", ["collab_filter.xlsx", "graddesc.xlsm", "entropy_example.xlsx", "mom_bias.xlsx"])
def test_check_the_lecture_workbooks(reference, name, capsys):
    """Every non-volatile formula of the lecture's files recomputes to Excel's cached value."""
    code, out, err = run(["check", reference(name)], capsys)
    assert code == 0, out + err
    assert "MISMATCH" not in out
    if name == "graddesc.xlsm":
        assert "not checkable on data: volatile RANDBETWEEN x 29" in out
    if name == "collab_filter.xlsx":
        assert "OK: all 12,937 checked formula cells match" in out


# ------------------------------------------------------------------------ eval

@pytest.mark.shared
def test_eval_lecture_cells(reference, capsys):
    code, out, _ = run(["eval", reference("collab_filter.xlsx"), "dotprod!V41", "'bias'!v42",
                        "movielens_1hot!$BH$210"], capsys)
    assert code == 0
    assert out.splitlines() == ["dotprod!V41 = 0.3930154712865702", "bias!V42 = 0.3194674135586278",
                                "movielens_1hot!BH210 = 0.39301547128657016"]


def test_eval_prints_full_precision(tmp_path, capsys):
    wb = xlsxwriter.Workbook(str(tmp_path / "e.xlsx"))
    ws = wb.add_worksheet("my sheet")
    ws.write_row(0, 0, [0.1, 0.2])
    ws.write_formula("C1", "=A1+B1", None, 0.3)
    ws.write_formula("D1", '=IF(C1>0.3,"more","less")', None, "more")
    wb.close()
    code, out, _ = run(["eval", tmp_path / "e.xlsx", "'my sheet'!C1", "'MY SHEET'!D1", "A1", "'my sheet'!Z9"], capsys)
    assert code == 0
    assert out.splitlines() == ["'my sheet'!C1 = 0.30000000000000004", "'my sheet'!D1 = \"more\"",
                                "'my sheet'!A1 = 0.1", "'my sheet'!Z9 = (blank)"]


@pytest.mark.parametrize("ref, says", [("nosheet!A1", "no sheet named 'nosheet'"),
                                       ("dotprod!XFE1", "outside Excel's grid"),
                                       ("dotprod!", "not a cell reference")])
def test_eval_bad_reference_is_one_line(tmp_path, capsys, ref, says):
    code, out, err = run(["eval", small_book(tmp_path / "ok.xlsx"), ref], capsys)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and repr(ref) in err and says in err


# ------------------------------------------------------------------ hostile files

def write_zip(path, members):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def xlsx_members(sheet_xml=None, workbook_xml=None, sst_xml=None):
    """A minimal valid package; any part can be replaced by a hostile one."""
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    members = {
        "_rels/.rels": f'<Relationships xmlns="{pkg}"><Relationship Id="r1" Type="{rel}/officeDocument" '
                       f'Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": workbook_xml or f'<workbook xmlns="{MAIN}" xmlns:r="{rel}"><sheets>'
                                           f'<sheet name="s" sheetId="1" r:id="r1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{pkg}"><Relationship Id="r1" Type="{rel}/worksheet" '
                                      f'Target="worksheets/sheet1.xml"/><Relationship Id="r2" '
                                      f'Type="{rel}/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": sheet_xml or f'<worksheet xmlns="{MAIN}"><sheetData><row r="1">'
                                                 f'<c r="A1"><v>1</v></c></row></sheetData></worksheet>',
        "xl/sharedStrings.xml": sst_xml or f'<sst xmlns="{MAIN}"><si><t>ok</t></si></sst>',
    }
    return members


def sheet(body, doctype=""):
    return f'<?xml version="1.0"?>{doctype}<worksheet xmlns="{MAIN}"><sheetData>{body}</sheetData></worksheet>'


LAUGHS = ('<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
          + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(2, 10)) + "]>")


def declare_size(path, member, size):
    """Patch the central directory so `member` claims to unpack to `size` bytes (a zip bomb's header)."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    i = data.find(b"PK\x01\x02")
    while i >= 0:
        n = struct.unpack_from("<H", data, i + 28)[0]
        if data[i + 46:i + 46 + n] == name:
            struct.pack_into("<I", data, i + 24, size)
        i = data.find(b"PK\x01\x02", i + 4)
    path.write_bytes(bytes(data))
    return path


def hostile(kind, tmp_path):
    """(path, words the one-line error must contain) for each kind of hostile file."""
    p = tmp_path / f"{kind}.xlsx"
    if kind == "not_a_zip":
        p.write_text("userId,movieId,rating\n1,2,3\n")
        return p, "not an .xlsx/.xlsm (zip) file"
    if kind == "old_xls":
        p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
        return p, "old .xls"
    if kind == "truncated":
        data = small_book(tmp_path / "whole.xlsx").read_bytes()
        (tmp_path / "whole.xlsx").unlink()
        p.write_bytes(data[:len(data) // 2])
        return p, "truncated or damaged zip"
    if kind == "zip_bomb":
        write_zip(p, xlsx_members())
        return declare_size(p, "xl/worksheets/sheet1.xml", 0xF0000000), \
            "xl/worksheets/sheet1.xml would unpack to 4.0 GB, over the 512 MiB limit"
    if kind == "size_lie":                     # declares less than it holds: the cap stops it
        write_zip(p, xlsx_members(sheet("".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>'
                                                 for r in range(1, 400)))))
        return declare_size(p, "xl/worksheets/sheet1.xml", 100), "xl/worksheets/sheet1.xml"
    if kind == "billion_laughs_sheet":
        write_zip(p, xlsx_members(sheet('<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>',
                                        LAUGHS)))
        return p, "xl/worksheets/sheet1.xml has a DOCTYPE"
    if kind == "billion_laughs_workbook":
        rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
        write_zip(p, xlsx_members(workbook_xml=f'<?xml version="1.0"?>{LAUGHS}<workbook xmlns="{MAIN}" '
                                               f'xmlns:r="{rel}"><sheets><sheet name="&lol9;" sheetId="1" '
                                               f'r:id="r1"/></sheets></workbook>'))
        return p, "xl/workbook.xml has a DOCTYPE"
    if kind in ("xxe_sheet", "xxe_strings"):
        secret = tmp_path / "secret.txt"
        secret.write_text("TOP-SECRET-PASSWORD")
        doctype = f'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file://{secret}">]>'
        if kind == "xxe_sheet":
            write_zip(p, xlsx_members(sheet('<row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c></row>',
                                            doctype)))
            return p, "xl/worksheets/sheet1.xml has a DOCTYPE"
        write_zip(p, xlsx_members(sst_xml=f'<?xml version="1.0"?>{doctype}<sst xmlns="{MAIN}"><si><t>&xxe;</t>'
                                          f'</si></sst>'))
        return p, "xl/sharedStrings.xml has a DOCTYPE"
    if kind == "column_XFE":
        write_zip(p, xlsx_members(sheet('<row r="1"><c r="XFE1"><v>1</v></c></row>')))
        return p, "'XFE1' is outside Excel's grid"
    if kind == "row_too_far":
        write_zip(p, xlsx_members(sheet('<row r="1048577"><c r="A1048577"><v>1</v></c></row>')))
        return p, "outside Excel's"
    if kind == "array_everywhere":
        write_zip(p, xlsx_members(sheet('<row r="1"><c r="A1"><f t="array" ref="A1:XFD1048576">1</f>'
                                        '<v>1</v></c></row>')))
        return p, "over the 2,000,000-cell limit"
    if kind == "formula_too_long":
        write_zip(p, xlsx_members(sheet(f'<row r="1"><c r="A1"><f>{"1+" * 4100}1</f><v>1</v></c></row>')))
        return p, "s!A1: a formula of 8,201 characters, over Excel's 8,192-character limit"
    if kind == "no_workbook":
        write_zip(p, {"hello.txt": "hi", "word/document.xml": "<w/>"})
        return p, "has no xl/workbook.xml"
    if kind == "xlsb":
        write_zip(p, {"xl/workbook.bin": b"\0\0"})
        return p, ".xlsb (binary) workbook"
    if kind == "malformed":
        write_zip(p, xlsx_members(sheet('<row r="1"><c r="A1"><v>1</v></row>')))
        return p, "xl/worksheets/sheet1.xml is not well-formed XML"
    if kind == "missing_sheet_part":
        members = xlsx_members()
        del members["xl/worksheets/sheet1.xml"]
        write_zip(p, members)
        return p, "sheet 's' points at xl/worksheets/sheet1.xml, which is not in the file"
    raise AssertionError(kind)


HOSTILE = ["not_a_zip", "old_xls", "truncated", "zip_bomb", "size_lie", "billion_laughs_sheet",
           "billion_laughs_workbook", "xxe_sheet", "xxe_strings", "column_XFE", "row_too_far",
           "array_everywhere", "formula_too_long", "no_workbook", "xlsb", "malformed", "missing_sheet_part"]


@pytest.mark.parametrize("kind", HOSTILE)
def test_hostile_file_is_refused_in_one_line(kind, tmp_path, capsys, monkeypatch):
    path, says = hostile(kind, tmp_path)
    before = sorted(tmp_path.rglob("*"))
    monkeypatch.chdir(tmp_path)
    code, out, err = run(["check", path], capsys)
    assert code == 2, out + err
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"sheetsgd: error: {path}: "), err
    assert says in lines[0], err
    assert "Traceback" not in err and "TOP-SECRET" not in err + out and "lollol" not in err
    assert sorted(tmp_path.rglob("*")) == before          # nothing written


@pytest.mark.parametrize("kind", ["xxe_sheet", "billion_laughs_sheet"])
def test_hostile_file_refused_by_the_lxml_path_too(kind, tmp_path, monkeypatch):
    """The fast path checks the frame around <sheetData>; the lxml path checks the whole part."""
    from sheetsgd.errors import SheetsgdError
    path, says = hostile(kind, tmp_path)
    monkeypatch.setattr(sheet_xml.SheetReader, "read_plain", lambda self, part: False)
    with pytest.raises(SheetsgdError, match=says):
        reader.read_book(path)


def test_missing_file(tmp_path, capsys):
    code, out, err = run(["check", tmp_path / "nope.xlsx"], capsys)
    assert code == 2 and err.strip() == f"sheetsgd: error: {tmp_path / 'nope.xlsx'}: no such file"


@pytest.mark.parametrize("zip64", [False, True])
def test_too_many_zip_members_refused_before_listing_them(tmp_path, capsys, monkeypatch, zip64):
    members = xlsx_members()
    members.update({f"junk/{i}.txt": "" for i in range(300)})
    path = tmp_path / "many.xlsx"
    with monkeypatch.context() as m:
        if zip64:                               # past this count zipfile writes zip64 end records
            m.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 10)
        write_zip(path, members)
    assert (b"PK\x06\x06" in path.read_bytes()) is zip64
    monkeypatch.setattr(reader.limits, "MAX_ZIP_ENTRIES", 100)
    monkeypatch.setattr(zipfile.ZipFile, "__init__", lambda *a, **k: pytest.fail("zipfile must not list them"))
    code, out, err = run(["check", path], capsys)
    assert code == 2 and err.strip() == f"sheetsgd: error: {path}: has 305 zip members, over the 100 limit"


def test_the_installed_command_refuses_a_hostile_file(tmp_path):
    """The real process: python -m sheetsgd, its exit status and its stderr."""
    import subprocess
    import sys
    path, says = hostile("billion_laughs_sheet", tmp_path)
    proc = subprocess.run([sys.executable, "-m", "sheetsgd", "check", str(path)], capture_output=True,
                          text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and says in proc.stderr


@pytest.mark.parametrize("cached, code", [(7.5, 0), (8.5, 1)])
def test_the_process_ends_with_its_report_and_code(tmp_path, cached, code):
    """As a process, `check` leaves without freeing the book (os._exit): the report must still be
    complete on a pipe (flushed) and the exit code the report's."""
    import subprocess
    import sys
    path = small_book(tmp_path / "b.xlsx", cached=cached)
    proc = subprocess.run([sys.executable, "-m", "sheetsgd", "check", str(path)], capture_output=True,
                          text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == code, proc.stderr
    assert proc.stdout.rstrip().endswith("(relative tolerance 1e-12, absolute floor 1e-15)") == (code == 0)
    assert "dotprod" in proc.stdout and proc.stderr == ""
