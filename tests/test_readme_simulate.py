"""README's "Simulate" section is a real session: each command in it, run again, prints what the
README shows; its Python example gives the values its comments say."""
import re
import shlex
from pathlib import Path

import pytest

from sheetsgd.cli import main

REPO = Path(__file__).resolve().parent.parent


def section():
    text = (REPO / "README.md").read_text()
    start = text.index("## Simulate")
    return text[start:text.index("\n## ", start + 1)]


def session():
    """[(argv, expected output lines)] of the console block."""
    block = re.search(r"```console\n(.*?)```", section(), re.S).group(1)
    out = []
    for line in block.splitlines():
        if line.startswith("$ "):
            out.append((shlex.split(line[2:])[1:], []))
        else:
            out[-1][1].append(line)
    return out


@pytest.mark.slow
def test_the_console_session_prints_what_the_readme_shows(tmp_path, monkeypatch, capsys):
    (tmp_path / "workbooks").symlink_to(REPO / "workbooks")
    monkeypatch.chdir(tmp_path)
    for argv, expected in session():
        try:
            main(argv)
        except SystemExit:
            pass
        out, err = capsys.readouterr()
        assert (out + err).splitlines() == expected, argv
    assert (tmp_path / "adam_lr.xlsx").is_file()


@pytest.mark.slow
def test_the_python_example_gives_what_its_comments_say(tmp_path, monkeypatch):
    code = re.search(r"```python\n(.*?)```", section(), re.S).group(1)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "workbooks").symlink_to(REPO / "workbooks")
    import sheetsgd
    wb = sheetsgd.open("workbooks/graddesc.xlsx")
    assert repr(wb["compare!E104"]) in code
    wb.set("adam!lr", 0.1)
    assert f'wb["compare!E104"]                    # {wb["compare!E104"]!r}' in code
    rows = wb.range("compare!A103:F104")
    assert f"[[{rows[0][0]!r}, {str(rows[0][1])[:6]}" in code and f"[{rows[1][0]!r}, {str(rows[1][1])[:6]}" in code
    assert repr(wb.formula("adam!K8")) in code
    s = wb.sweep("adam!lr", [0.01, 0.03, 0.1], ["compare!E104"])
    assert repr(s.rows) in code
    wb.save("graddesc-adam-lr0.1.xlsx")
    assert (tmp_path / "graddesc-adam-lr0.1.xlsx").is_file()
    wb.close()
