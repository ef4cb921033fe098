"""Row templates (row_templates.RowTemplate): rows of one shape read many at a time must give exactly
the Book the per-cell loop gives: the same cells, values, formula texts, dict order, bounds, and
the same one-line error for a bad file. Each case is read with templates on every sheet
(TEMPLATE_MIN_CHARS = 0) and with them off."""
import glob
import os
from pathlib import Path

import pytest

from sheetsgd.errors import SheetsgdError
from sheetsgd.formula import evaluate_book, reader
from sheetsgd.formula.reader import read_book
from sheetsgd.formula.reader import templates as row_templates
from sheetsgd.formula.refs import COL_LETTERS

from test_reader import package

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SHEETSGD_SHARED", ROOT.parent / "shared"))


def row(r, cells):
    return f'<row r="{r}">{cells.format(r=r, p=r - 1)}</row>'


def rows(cells, n=30, start=1):
    return "".join(row(r, cells) for r in range(start, start + n))


PLAIN = ('<c r="A{r}" s="4"><v>{r}</v></c><c r="B{r}" t="inlineStr"><is><t>x{r}</t></is></c>'
         '<c r="C{r}" s="2"><f>SUMPRODUCT(INDEX(t!$C$2:$AP$944,A{r},0),B{r})+$B$2</f><v>0.5</v></c>'
         '<c r="D{r}" s="3"/><c r="E{r}"><f>(C{r}-A{r})^2</f><v>1e-3</v></c>')

CASES = {
    "plain": rows(PLAIN, 120),
    "rows 9 to 11 and 99 to 101 (more digits)": rows(PLAIN, 5, 7) + rows(PLAIN, 5, 98),
    "a reference to the row above": rows('<c r="A{r}"><v>1</v></c><c r="B{r}"><f>A{r}+B{p}</f><v>2</v></c>', 40, 2),
    "absolute and mixed rows equal to the row": rows('<c r="A{r}"><f>$A$5+A$5+$A5</f><v>1</v></c>', 3, 5)
                                               + rows('<c r="A{r}"><f>$A$5+A$5+$A5</f><v>1</v></c>', 3, 8),
    "a string literal holding a reference": rows('<c r="A{r}"><f>"A{r}"&amp;A{r}</f><v>1</v></c>', 20)
                                            + rows('<c r="A{r}"><f>LEN("A{r}")+A{r}</f><v>1</v></c>', 20, 21),
    "whole-row references": rows('<c r="A{r}"><f>SUM({r}:{r})</f><v>1</v></c>', 20),
    "shapes that alternate": "".join(row(r, '<c r="A{r}"><v>1</v></c>' if r % 2 else
                                        '<c r="A{r}" t="inlineStr"><is><t>a</t></is></c><c r="C{r}"><v>3</v></c>')
                                     for r in range(1, 60)),
    "shared strings, booleans, errors, str": rows('<c r="A{r}" t="s"><v>1</v></c><c r="B{r}" t="b"><v>1</v></c>'
                                                  '<c r="C{r}" t="e"><v>#N/A</v></c>'
                                                  '<c r="D{r}" t="str"><f>"a"&amp;"b"</f><v>a&amp;b</v></c>'
                                                  '<c r="E{r}" t="n"><v>2.5</v></c>', 25),
    "escaped inline text and _xHHHH_": rows('<c r="A{r}" t="inlineStr"><is><t>a&amp;b_x000D_{r}</t></is></c>', 25),
    "an empty value in one row": rows(PLAIN, 10) + row(11, '<c r="A{r}"><v></v></c>') + rows(PLAIN, 10, 12),
    "an empty value in a column": rows('<c r="A{r}"><v>1</v></c>', 5) + rows('<c r="A{r}"><v></v></c>', 5, 6),
    "no value element": rows('<c r="A{r}"><f>1+1</f></c><c r="B{r}"><v/></c>', 25),
    "rows out of order": rows(PLAIN, 20, 30) + rows(PLAIN, 20),
    "a row written twice": rows(PLAIN, 20) + rows(PLAIN, 20, 20),
    "cells out of column order": rows('<c r="B{r}"><v>1</v></c><c r="A{r}"><v>2</v></c>', 20),
    "a cell on another row": rows('<c r="A{r}"><v>1</v></c><c r="B{p}"><v>2</v></c>', 20, 2),
    "shared and array formulas": row(1, '<c r="A1"><f t="shared" ref="A1:A30" si="0">B1+1</f><v>1</v></c>')
                                 + rows('<c r="A{r}"><f t="shared" si="0"/><v>1</v></c>', 29, 2)
                                 + rows('<c r="B{r}"><f t="array" ref="B{r}">C{r}*2</f><v>1</v></c>', 20, 31),
    "empty and self-closed rows": rows("", 10) + "".join(f'<row r="{r}"/>' for r in range(11, 20)) + rows(PLAIN, 10, 20),
    "rows without r": "".join(f'<row><c r="A{r}"><v>1</v></c></row>' for r in range(1, 30)),
    "whitespace between cells": rows('\n  <c r="A{r}"><v>1</v></c>\n  <c r="B{r}"><f>A{r}</f><v>1</v></c>\n', 30),
    "a formula with &lt;": rows('<c r="A{r}"><f>IF(B{r}&lt;0,1,2)</f><v>2</v></c>', 25),
    "an entity that holds the row number": rows('<c r="A{r}"><f>IF(B{r}&#x3C;C3,1,2)</f><v>2</v></c>', 6, 1)
                                           + rows('<c r="A{r}"><f>"&#x3C;"&amp;B{r}</f><v>2</v></c>', 6, 7),
    "a line end in a formula": rows('<c r="A{r}"><f>B{r}+\r\nC{r}</f><v>2</v></c>', 25),
    "rows too wide for a template": rows("".join(f'<c r="{COL_LETTERS[c]}{{r}}"><v>{c}</v></c>'
                                                for c in range(1, row_templates.TEMPLATE_MAX_CELLS + 2)), 4),
    "rows as wide as a template takes": rows("".join(f'<c r="{COL_LETTERS[c]}{{r}}"><v>{c}</v></c>'
                                                     for c in range(1, row_templates.TEMPLATE_MAX_CELLS + 1)), 4),
    "as LibreOffice writes them": rows('<c r="A{r}" s="5" t="n"><v>{r}</v></c><c r="B{r}" t="s"><v>1</v></c>'
                                      '<c r="C{r}" s="7" t="n"><f aca="false">A{r}*2</f><v>2</v></c>'
                                      '<c r="D{r}"><f ca="1">NOW()+A{r}</f><v>2</v></c>'
                                      '<c r="E{r}"><f t="normal">A{r}</f><v>1</v></c>', 30),
    "shared formulas, as Excel writes a filled range": row(1, '<c r="A1"><v>1</v></c><c r="B1"><f t="shared" ref="B1:C90" si="0">'
                                                        'A1*$A$1+SUM(A$1:A1)+COUNT(A:A)+SUM(1:1)+"B1"</f><v>1</v></c>'
                                                        '<c r="C1"><f t="shared" si="0"/><v>2</v></c>')
                                                    + rows('<c r="A{r}"><v>{r}</v></c><c r="B{r}"><f t="shared" si="0"/><v>1</v></c>'
                                                           '<c r="C{r}"><f t="shared" si="0"/><v>2</v></c>', 89, 2),
    "shared formulas: lower case, empty <f></f>, a second si": row(3, '<c r="A3"><f t="shared" ref="A3:A60" si="0">b3+$c$1</f><v>1</v></c>'
                                                                    '<c r="B3"><f t="shared" ref="B3:B60" si="1">A3</f><v>1</v></c>')
                                                                + rows('<c r="A{r}"><f t="shared" si="0"></f><v>1</v></c>'
                                                                       '<c r="B{r}"><f t="shared" si="1"/><v>1</v></c>', 57, 4),
    "shared followers pushed off the grid": row(40, '<c r="A40"><f t="shared" ref="A2:A1048570" si="0">B1+B1000+C$2+3:3</f>'
                                                  '<v>1</v></c>')
                                            + rows('<c r="A{r}"><f t="shared" si="0"/><v>1</v></c>', 38, 2)
                                            + rows('<c r="A{r}"><f t="shared" si="0"/><v>1</v></c>', 30, 41)
                                            + rows('<c r="A{r}"><f t="shared" si="0"/><v>1</v></c>', 4, 1048566),
    "shared followers before their master, and si used again": rows('<c r="A{r}"><f t="shared" si="0"/><v>1</v></c>', 20)
                                            + row(21, '<c r="A21"><f t="shared" ref="A1:A60" si="0">B21*2</f><v>1</v></c>')
                                            + rows('<c r="A{r}"><f t="shared" si="0"/><v>1</v></c>', 20, 22)
                                            + row(42, '<c r="A42"><f t="shared" ref="A42:A60" si="0">C42*3</f><v>1</v></c>')
                                            + rows('<c r="A{r}"><f t="shared" si="0"/><v>1</v></c>', 18, 43),
    "a long formula": rows('<c r="A{r}"><f>' + "+".join(["B{r}"] * 1300) + '</f><v>1</v></c>', 12),
}

BAD = {
    "a number that is not one": rows(PLAIN, 10) + rows('<c r="A{r}"><v>abc</v></c>', 10, 11),
    "a number that is not one, in a column": rows('<c r="A{r}"><v>1</v></c>', 5) + rows('<c r="A{r}"><v>x</v></c>', 5, 6),
    "a missing shared string": rows('<c r="A{r}" t="s"><v>7</v></c>', 20),
    "a negative shared string": rows('<c r="A{r}" t="s"><v>0</v></c>', 5) + rows('<c r="A{r}" t="s"><v>-1</v></c>', 5, 6),
    "a row past the grid": rows(PLAIN, 5, 1048574),
    "a formula over the limit": rows('<c r="A{r}"><f>' + "+".join(["B{r}"] * 2500) + '</f><v>1</v></c>', 12),
}


def read(path, monkeypatch, templates):
    monkeypatch.setattr(row_templates, "TEMPLATE_MIN_CHARS", 0 if templates else 1 << 62)
    try:
        return read_book(path)
    except SheetsgdError as e:
        return str(e)


def runs_mirror_constants(book):
    """Every value of a Sheet.const_runs() run is the constant at its cell."""
    for sheet in book.sheets.values():
        consts = sheet.split()[0] if sheet.split() is not None else {}
        for col, runs in sheet.const_runs().items():
            for r0, r1, vals in runs:
                assert len(vals) == r1 - r0 + 1
                assert [consts.get((r, col), "missing") for r in range(r0, r1 + 1)] == vals


def same(a, b):
    assert a == b
    if isinstance(a, str):
        return
    runs_mirror_constants(a)
    runs_mirror_constants(b)
    for sa, sb in zip(a.sheets.values(), b.sheets.values()):
        assert (sa.max_row, sa.max_col) == (sb.max_row, sb.max_col)
        if sa.split() is not None:                    # dict order too: the engine reads in that order
            assert list(sa.split()[0]) == list(sb.split()[0])
            assert list(sa.split()[1]) == list(sb.split()[1])
            assert [c.formula for c in sa.split()[1].values()] == [c.formula for c in sb.split()[1].values()]


@pytest.mark.parametrize("case", sorted(CASES) + sorted(BAD))
def test_templates_read_what_the_cell_loop_reads(tmp_path, monkeypatch, case):
    data = CASES.get(case) or BAD[case]
    path = package(tmp_path / "t.xlsx", [("s", "xl/worksheets/s.xml", data), ("t", "xl/worksheets/t.xml", rows(PLAIN, 3))],
                   sst="<si><t>a</t></si><si><t>b</t></si>")
    loop = read(path, monkeypatch, templates=False)
    if case in BAD:
        assert isinstance(loop, str), "the bad file was read"
    else:
        assert not isinstance(loop, str), loop
    same(read(path, monkeypatch, templates=True), loop)


def test_templates_read_many_rows_at_a_time(tmp_path, monkeypatch):
    """The plain case really goes through templates: one template, built once, reads the rows."""
    path = package(tmp_path / "t.xlsx", [("s", "xl/worksheets/s.xml", rows(PLAIN, 500))])
    built, added = [], []
    build, add = row_templates.RowTemplate.build, row_templates.add_rows
    monkeypatch.setattr(row_templates.RowTemplate, "build", classmethod(lambda cls, *a: built.append(1) or build(*a)))
    monkeypatch.setattr(row_templates, "add_rows", lambda reader, tpl, found, raw=False: added.append(len(found))
                        or add(reader, tpl, found, raw))
    book = read(path, monkeypatch, templates=True)
    assert len(built) == 1 and added == [500]
    assert book.sheets["s"].split()[1][(500, 5)].formula == "=(C500-A500)^2"


def test_no_template_for_rows_wider_than_the_limit():
    """Compiling a row of 16,384 cells would take over a second: wide rows are read cell by cell."""
    def row_of(n):
        text = '<row r="5">' + "".join(f'<c r="{COL_LETTERS[c]}5"><v>1</v></c>' for c in range(1, n + 1))
        return text + "</row>"
    wide, widest = row_of(row_templates.TEMPLATE_MAX_CELLS + 1), row_of(row_templates.TEMPLATE_MAX_CELLS)
    assert row_templates.RowTemplate.build(wide, 0, len(wide)) is None
    assert row_templates.RowTemplate.build(widest, 0, len(widest)) is not None


def test_shared_formula_followers_go_through_templates(tmp_path, monkeypatch):
    """Excel's filled ranges: a master, then rows of <f t="shared" si="0"/>; one template reads the
    followers and their texts are the master's moved, as translate() moves them."""
    path = package(tmp_path / "t.xlsx", [("s", "xl/worksheets/s.xml", CASES["shared formulas, as Excel writes a filled range"])])
    added = []
    add = row_templates.add_rows
    monkeypatch.setattr(row_templates, "add_rows", lambda reader, tpl, found, raw=False: added.append(len(found))
                        or add(reader, tpl, found, raw))
    book = read(path, monkeypatch, templates=True)
    assert added == [89]
    cells = book.sheets["s"].split()[1]
    assert cells[(90, 2)].formula == '=A90*$A$1+SUM(A$1:A90)+COUNT(A:A)+SUM(90:90)+"B1"'
    assert cells[(90, 3)].formula == '=B90*$A$1+SUM(B$1:B90)+COUNT(B:B)+SUM(90:90)+"B1"'


def test_templates_give_up_on_rows_that_never_repeat(tmp_path, monkeypatch):
    """Rows of ever-new shapes (a new style on every row) fit no template: after a few tries the
    loop reads the rest."""
    path = package(tmp_path / "t.xlsx", [("s", "xl/worksheets/s.xml",
                                          rows('<c r="A{r}" s="{r}"><f>A{p}+1</f><v>1</v></c>', 400, 2))])
    built = []
    build = row_templates.RowTemplate.build
    monkeypatch.setattr(row_templates.RowTemplate, "build", classmethod(lambda cls, *a: built.append(1) or build(*a)))
    read(path, monkeypatch, templates=True)
    assert len(built) == row_templates.Templates.BUDGET + 1


def test_rows_that_read_other_rows_share_one_template(tmp_path, monkeypatch):
    """graddesc's shape: each row reads the row above and a data row elsewhere; the formula texts
    are holes of the template, so one template reads them all."""
    cells = ('<c r="A{r}" s="3"><f>data!B{d}</f><v>9.0</v></c><c r="B{r}" s="3"><f>A{p}+B{p}*lr</f><v>1</v></c>'
             '<c r="C{r}" s="3"><f>SQRT(AVERAGE(H{d}:H{p}))</f><v>2</v></c>')
    data = "".join(f'<row r="{r}" spans="1:3">{cells.format(r=r, p=r - 1, d=8 + r % 29)}</row>' for r in range(2, 402))
    path = package(tmp_path / "t.xlsx", [("s", "xl/worksheets/s.xml", data)])
    built, added = [], []
    build, add = row_templates.RowTemplate.build, row_templates.add_rows
    monkeypatch.setattr(row_templates.RowTemplate, "build", classmethod(lambda cls, *a: built.append(1) or build(*a)))
    monkeypatch.setattr(row_templates, "add_rows", lambda reader, tpl, found, raw=False: added.append(len(found))
                        or add(reader, tpl, found, raw))
    book = read(path, monkeypatch, templates=True)
    assert len(built) == 1 and added == [400]
    assert book.sheets["s"].split()[1][(401, 2)].formula == "=A400+B400*lr"
    same(book, read(path, monkeypatch, templates=False))


def test_building_templates_stays_paid_for(tmp_path, monkeypatch):
    """A new shape every two rows (each template reads two rows, then never again): compiling
    costs ~60 times reading, so building stops once the rows built from outgrow FREE_CHARS plus
    1/256 of what templates read; the rest is read cell by cell, and read right."""
    f = "+".join(["B4"] * 600)
    data = "".join(f'<row r="{r}"><c r="A{r}" s="{r // 2}"><f>{f}+B{r}</f><v>1</v></c></row>' for r in range(1, 1001))
    path = package(tmp_path / "t.xlsx", [("s", "xl/worksheets/s.xml", data)])
    built = []
    build = row_templates.RowTemplate.build
    monkeypatch.setattr(row_templates.RowTemplate, "build", classmethod(lambda cls, *a: built.append(1) or build(*a)))
    same(read(path, monkeypatch, templates=True), read(path, monkeypatch, templates=False))
    row_chars = len(data) // 1000
    assert 2 <= len(built) <= row_templates.Templates.FREE_CHARS // row_chars + 2


def workbooks():
    found = sorted(glob.glob(str(ROOT / "workbooks" / "*.xlsx")))
    found += sorted(glob.glob(str(SHARED / "reference" / "*.xls[xm]")))
    return found


@pytest.mark.parametrize("path", workbooks(), ids=os.path.basename)
def test_templates_on_real_workbooks(path, monkeypatch):
    """Same Book, and the engine, reading constants from the runs, computes the same values."""
    fast, slow = read(path, monkeypatch, templates=True), read(path, monkeypatch, templates=False)
    same(fast, slow)
    assert any(s.const_runs() for s in fast.sheets.values()) or "reference" in path
    assert evaluate_book(fast).values == evaluate_book(slow).values


def test_runs_of_constants_join_across_templates(tmp_path, monkeypatch):
    """Adjacent template regions (two shapes) join into one run per column."""
    data = rows(PLAIN, 300) + rows('<c r="A{r}" s="4"><v>{r}</v></c><c r="D{r}"><v>7</v></c>', 300, 301)
    path = package(tmp_path / "t.xlsx", [("s", "xl/worksheets/s.xml", data)])
    book = read(path, monkeypatch, templates=True)
    runs_mirror_constants(book)
    assert [(r0, r1) for r0, r1, _ in book.sheets["s"].const_runs()[1]] == [(1, 600)]


def test_the_reader_suites_pass_with_templates_on_every_sheet():
    """The reader's, engine's and check's own tests, run again with every sheet read through row
    templates: each of their hand-made files (shared formulas, arrays, errors, hostile XML) must
    read the same way."""
    import subprocess
    import sys
    suites = ["test_reader.py", "test_formula_engine.py", "test_check.py", "test_cli_check.py", "test_bad_input.py"]
    env = dict(os.environ, SHEETSGD_TEST_TEMPLATES_EVERYWHERE="1")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *suites],
                          cwd=Path(__file__).parent, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]


@pytest.mark.parametrize("text", ['A1*$A$1+SUM(A$1:A1)+COUNT(A:A)+SUM(1:1)+"B1"', "b3+$c$1", "7*2", "XFD5+A$1048576"])
@pytest.mark.parametrize("dcol", [0, 1, -1])
def test_translate_rows_is_translate_for_every_row(text, dcol):
    shared = reader.SharedFormula(text)
    for drows in ([1, 2, 3, 10], [0, 1], [-1, 5], [1048575]):
        got = shared.translate_rows(drows, dcol)
        one_by_one = [shared.translate(d, dcol) for d in drows]
        refused = any("#REF!" in t for t in one_by_one) or (dcol == 0 and 0 in drows)
        assert (got is None) == refused and (got is None or list(got) == one_by_one), (drows, one_by_one)
