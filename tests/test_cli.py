"""The CLI as a user meets it: --help teaches, a bad value is one line naming it, exit 2, nothing written."""
import pytest

from sheetsgd.cli import main


def run(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out, err = capsys.readouterr()
    return exc.value.code, out, err


@pytest.mark.parametrize("argv", [[], ["--help"], ["build", "--help"], ["check", "--help"],
                                  ["eval", "--help"], ["render", "--help"]])
def test_help_teaches_with_an_example(argv, capsys):
    code, out, err = run(argv, capsys)
    assert code == 0 and err == ""
    assert "Usage:" in out and "xample" in out


def test_version(capsys):
    code, out, _ = run(["--version"], capsys)
    assert code == 0 and "sheetsgd" in out


@pytest.mark.parametrize("argv, names", [
    (["build", "--factors", "0"], ["--factors", "0"]),
    (["build", "--factors", "five"], ["--factors", "five"]),
    (["build", "--seed", "-1"], ["--seed", "-1"]),
    (["build", "--epochs", "0"], ["--epochs", "0"]),
    (["build", "--rows", "1"], ["--rows", "1"]),
    (["build", "--only", "everything"], ["--only", "everything"]),
    (["build", "--bogus"], ["--bogus"]),
    (["check", "--tolerance", "-1"], ["--tolerance", "-1"]),
    (["nosuchcommand"], ["nosuchcommand"]),
])
def test_bad_option_is_one_line_exit_2_and_nothing_written(argv, names, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(argv + ["--out", str(tmp_path / "wb")] if argv[0] == "build" and "--bogus" not in argv
                         else argv, capsys)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    for name in names:
        assert name in err
    assert list(tmp_path.iterdir()) == []
