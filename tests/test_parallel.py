"""sheetsgd/parallel.py: jobs in forked processes, results in order, errors as the parent's own."""
import os

import pytest

from sheetsgd import parallel
from sheetsgd.errors import SheetsgdError

pytestmark = pytest.mark.skipif(not parallel.can_fork(), reason="no os.fork here")


def echo(text):
    return f"{text} from {os.getpid()}"


def refuse(text):
    err = SheetsgdError(f"bad {text}")
    err.exit_code = 3
    raise err


def crash(_):
    return 1 / 0


def test_results_come_back_in_order_from_other_processes():
    out = list(parallel.run_all([(echo, ("a",)), (echo, ("b",)), (echo, ("c",))]))
    assert [o.split()[0] for o in out] == ["a", "b", "c"]
    assert all(not o.endswith(f" {os.getpid()}") for o in out)


def test_a_users_error_comes_back_as_itself_with_its_exit_code():
    with pytest.raises(SheetsgdError) as e:
        list(parallel.run_all([(echo, ("a",)), (refuse, ("value",))]))
    assert str(e.value) == "bad value" and e.value.exit_code == 3


def test_a_bug_comes_back_with_the_childs_traceback():
    with pytest.raises(parallel.JobFailed, match="ZeroDivisionError"):
        list(parallel.run_all([(crash, ("x",)), (echo, ("b",))]))


def test_build_all_at_once_writes_what_one_at_a_time_writes(tmp_path, capsys):
    """`sheetsgd build` (forked, all three) and --only, one by one: the same bytes, the same lines."""
    from sheetsgd.cli import main
    args = ["--epochs", "2", "--rows", "4", "--no-solve", "--factors", "2"]
    with pytest.raises(SystemExit) as e:
        main(["build", "--out", str(tmp_path / "all"), *args])
    assert e.value.code == 0
    together = capsys.readouterr().out.replace(str(tmp_path / "all"), "DIR")
    alone = ""
    for only in ("collab", "graddesc", "neuralnet"):
        with pytest.raises(SystemExit):
            main(["build", "--only", only, "--out", str(tmp_path / "one"), *args])
        alone += capsys.readouterr().out.replace(str(tmp_path / "one"), "DIR")
    assert together == alone and together.count("wrote DIR") == 3
    for name in ("collab_filter.xlsx", "graddesc.xlsx", "neuralnet.xlsx"):
        assert (tmp_path / "all" / name).read_bytes() == (tmp_path / "one" / name).read_bytes(), name
