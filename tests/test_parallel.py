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


def trained_like():
    """A tree as models.neuralnet.train returns: a dataclass of dicts of arrays, lists and numbers."""
    import numpy as np
    from sheetsgd.models.neuralnet import Training
    rng = np.random.default_rng(0)
    return Training(kind="net", hyper={"lr": 0.2, "bs": 16}, start={"W1": rng.random((3, 2))},
                    first_batch=np.arange(4), first_step={"grad": {"b1": rng.random(2)}, "ce": 0.1 + 0.2,
                                                         "bs": np.float64(16.0), "labels": np.array([1, 2])},
                    params={"W1": rng.random((3, 2)) * 1e-300}, train_loss=[0.5, 1 / 3], valid_accuracy=[0.9],
                    final_accuracy=0.97, valid_idx=None)


def test_results_of_arrays_come_back_to_the_bit():
    import numpy as np
    a, b = parallel.call_all([trained_like, trained_like])
    want = trained_like()
    for got in (a, b):
        assert type(got) is type(want) and got.kind == "net" and got.hyper == {"lr": 0.2, "bs": 16}
        assert np.array_equal(got.start["W1"], want.start["W1"]) and got.first_batch.dtype == want.first_batch.dtype
        assert got.first_step["ce"] == 0.1 + 0.2 and type(got.first_step["bs"]) is np.float64
        assert np.array_equal(got.first_step["grad"]["b1"], want.first_step["grad"]["b1"])
        assert np.array_equal(got.params["W1"], want.params["W1"]) and got.train_loss == [0.5, 1 / 3]
        assert got.final_accuracy == 0.97 and got.valid_idx is None
