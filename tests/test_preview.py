"""sheetsgd render: the copy of a workbook that LibreOffice prints (a window of each sheet, the rows
its charts plot kept but hidden, no formulas, no panes), the limits and errors of reading the
file, the PNG encoder; and, with LibreOffice, one legible PNG per sheet."""
import re
import struct
import zipfile
import zlib
from pathlib import Path

import pytest

from sheetsgd import preview
from sheetsgd.errors import SheetsgdError
from sheetsgd.writer import Workbook


def long_sheet_with_a_chart(path, rows=300):
    """Sheet "long": 300 rows of x and a formula, a chart of the first 200 rows at the top right,
    frozen panes; sheet "other": a few cells."""
    with Workbook(path) as wb:
        s = wb.sheet("long")
        for r in range(rows):
            s.input((r, 0), r + 1.0)
            s.formula((r, 1), f"=A{r + 1}*2", 2.0 * (r + 1))
        s.freeze("A2")
        chart = wb.chart("scatter", "straight")
        chart.add_series({"categories": "=long!$A$1:$A$200", "values": "=long!$B$1:$B$200"})
        s.ws.insert_chart(2, 3, chart)
        o = wb.sheet("other")
        o.text("A1", "hello")
    return path


def print_copy(path, selected=None, max_rows=50, max_width=100):
    wb = preview._Workbook(path)
    try:
        cache = {}

        def src(part):
            return cache.setdefault(part, bytes(wb.pkg.read(part)))

        changed, windows = preview._print_copy(wb, src, set(selected or [n for n, _ in wb.sheets]), max_rows,
                                               max_width)
        parts = {name: changed.get(part) for name, part in wb.sheets}
        return parts, windows, changed
    finally:
        wb.close()


def rows_of(xml):
    """{row number: hidden?} of a sheet's XML."""
    return {int(m.group(2)): bool(m.group(1)) for m in
            re.finditer(rb'<row (hidden="1" )?r="(\d+)"', xml)}


def test_a_long_sheet_is_cut_to_its_window_and_what_its_chart_plots(tmp_path):
    parts, windows, changed = print_copy(long_sheet_with_a_chart(tmp_path / "w.xlsx"))
    rows = rows_of(parts["long"])
    rows_shown = windows["long"][0]
    assert rows_shown >= 50                                          # the window, widened to the chart's bottom
    assert all(not rows[r] for r in range(1, rows_shown + 1))        # shown
    assert all(rows[r] for r in range(rows_shown + 1, 201))          # plotted by the chart: kept, hidden
    assert not any(r > 200 for r in rows)                            # the rest: dropped
    assert b"<f>" not in parts["long"] and b"<f " not in parts["long"]   # the cached values only
    assert b"<pane" not in parts["long"] and b"topLeftCell" not in parts["long"]
    chart = next(v for k, v in changed.items() if k.startswith("xl/charts/"))
    assert b'<c:plotVisOnly val="0"/>' in chart                     # hidden rows are plotted too


def test_a_sheet_not_asked_for_keeps_only_what_charts_plot(tmp_path):
    parts, windows, _ = print_copy(long_sheet_with_a_chart(tmp_path / "w.xlsx"), selected=["other"])
    assert set(windows) == {"other"}
    assert rows_of(parts["long"]) == {} and b"<drawing" not in parts["long"]


def test_the_lectures_scroll_position_and_panes_are_dropped(reference, tmp_path):
    parts, _, _ = print_copy(reference("collab_filter.xlsx"))
    for name, xml in parts.items():
        assert b"<pane" not in xml and b"topLeftCell" not in xml, name
    rows = rows_of(parts["dotprod"])
    assert all(not rows[r] for r in range(1, 17))                   # the ratings crosstab is printed


def test_not_a_workbook_is_one_line(tmp_path):
    text = tmp_path / "notes.xlsx"
    text.write_text("a,b\n1,2\n")
    with pytest.raises(SheetsgdError, match=r"notes.xlsx: not an .xlsx/.xlsm \(zip\) file"):
        preview.render(text, tmp_path / "png")
    assert not (tmp_path / "png").exists()


def test_entities_in_the_workbook_part_are_refused_in_one_line(tmp_path):
    good = long_sheet_with_a_chart(tmp_path / "w.xlsx")
    bad = tmp_path / "bad.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/drawings/drawing1.xml":
                data = data.replace(b"?>", b'?><!DOCTYPE x [<!ENTITY a "aaaa">]>', 1)
            dst.writestr(info, data)
    with pytest.raises(SheetsgdError) as e:
        preview.render(bad, tmp_path / "png")
    assert str(e.value).startswith(f"{bad}: xl/drawings/drawing1.xml") and "\n" not in str(e.value)


def test_the_readers_limits_apply(tmp_path, monkeypatch):
    from sheetsgd.formula.reader import limits
    path = long_sheet_with_a_chart(tmp_path / "w.xlsx")
    monkeypatch.setattr(limits, "MAX_FILE_BYTES", 1000)
    with pytest.raises(SheetsgdError, match="over the .* limit"):
        preview.render(path, tmp_path / "png")


def test_an_unknown_sheet_is_named_before_anything_is_written(tmp_path, capsys):
    from sheetsgd.cli import main
    path = long_sheet_with_a_chart(tmp_path / "w.xlsx")
    with pytest.raises(SystemExit) as exc:
        main(["render", str(path), "--out", str(tmp_path / "png"), "--sheet", "nosuch"])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and "'nosuch'" in err and "long, other" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "png").exists()


def test_ppm_becomes_the_same_pixels_in_a_png():
    width, height = 3, 2
    pixels = bytes(range(width * height * 3))
    png = preview.ppm_to_png(b"P6\n# a comment\n3 2\n255\n" + pixels)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", png[16:24]) == (3, 2)
    idat = png[png.index(b"IDAT") + 4:png.index(b"IEND") - 8]
    raw = zlib.decompress(idat)
    assert raw == b"\x00" + pixels[:9] + b"\x00" + pixels[9:]


def _png_size(path):
    head = Path(path).read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


@pytest.mark.libreoffice
def test_one_png_per_sheet_and_an_index(tmp_path, soffice, capsys):
    from sheetsgd.cli import main
    path = long_sheet_with_a_chart(tmp_path / "w.xlsx")
    with pytest.raises(SystemExit) as e:
        main(["render", str(path), "--out", str(tmp_path / "png"), "--max-rows", "40", "--index"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert "w-long.png" in out and "w-other.png" in out and "README.md" in out
    width, height = _png_size(tmp_path / "png" / "w-long.png")
    assert 200 < width < 2000 and 200 < height < 1500                # a window of the sheet, not a strip
    index = (tmp_path / "png" / "README.md").read_text()
    assert "![w long](w-long.png)" in index and "![w other](w-other.png)" in index
    assert sorted(p.name for p in (tmp_path / "png").iterdir()) == ["README.md", "w-long.png", "w-other.png"]


@pytest.mark.libreoffice
@pytest.mark.shared
def test_the_lecture_files_render_sheet_by_sheet(reference, tmp_path, soffice):
    pngs = preview.render(reference("collab_filter.xlsx"), tmp_path, dpi=20)
    assert [p.name for _, p in pngs] == [f"collab_filter-{s}.png" for s in
                                         ("dotprod", "movielens_1hot", "movielens_emb", "bias", "word_emb")]
    assert all(_png_size(p)[0] > 50 for _, p in pngs)
