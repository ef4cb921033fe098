"""sheetsgd/atomic.py: a write leaves the old file or the whole new one, and nothing else, even when
the writing process is killed (issue 14). The CLI's signal cases are in tests/test_hostile.py."""
import os
import subprocess
import sys
import time

import pytest

from sheetsgd import atomic
from sheetsgd.atomic import atomic_path


def leftovers(directory):
    return sorted(p.name for p in directory.iterdir() if p.name.startswith(atomic.PREFIX))


def test_success_renames_and_leaves_nothing(tmp_path):
    target = tmp_path / "book.xlsx"
    target.write_bytes(b"old")
    with atomic_path(target) as tmp:
        assert os.path.dirname(tmp) != str(tmp_path)          # inside the private directory
        assert leftovers(tmp_path) and (tmp_path / leftovers(tmp_path)[0] / atomic.LOCK).exists()
        with open(tmp, "wb") as f:
            f.write(b"new")
        with open(os.path.join(os.path.dirname(tmp), "xlsxwriter-temp"), "w") as f:
            f.write("a temporary file of the writer's own")
    assert target.read_bytes() == b"new" and leftovers(tmp_path) == []
    assert target.stat().st_mode & 0o777 == 0o666 & ~atomic._umask()


@pytest.mark.parametrize("error", [KeyboardInterrupt, OSError, SystemExit])
def test_failure_keeps_the_old_file_and_leaves_nothing(tmp_path, error):
    target = tmp_path / "book.xlsx"
    target.write_bytes(b"old")
    with pytest.raises(error):
        with atomic_path(target) as tmp:
            with open(tmp, "wb") as f:
                f.write(b"half")
            raise error()
    assert target.read_bytes() == b"old" and leftovers(tmp_path) == []


HOLD = """
import sys, time
from sheetsgd.atomic import atomic_path
with atomic_path(sys.argv[1]) as tmp:
    open(tmp, "wb").write(b"half")
    print("holding", flush=True)
    time.sleep(60)
"""


def writer_process(target):
    """A writer that stops inside atomic_path, holding its lock, until it is killed."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(target)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "holding"
    return proc


def test_a_killed_writers_directory_is_removed_by_the_next_write_a_live_ones_never(tmp_path):
    target = tmp_path / "book.xlsx"
    dead = writer_process(target)
    live = writer_process(target)                    # its own directory, alive all along
    try:
        dead.kill()
        dead.wait()
        dead_dir, live_dir = None, None
        assert len(leftovers(tmp_path)) == 2
        with atomic_path(target) as tmp:             # the next write: cleans before it starts
            open(tmp, "wb").write(b"new")
            mine = os.path.basename(os.path.dirname(tmp))
            assert len(leftovers(tmp_path)) == 2 and mine in leftovers(tmp_path)   # the live one and mine
        assert target.read_bytes() == b"new"
        assert len(leftovers(tmp_path)) == 1         # the live writer's, untouched
        live_dir = tmp_path / leftovers(tmp_path)[0]
        assert (live_dir / "book.xlsx").read_bytes() == b"half"
        atomic.remove_stale(tmp_path)                # as often as anyone likes: still there
        assert leftovers(tmp_path) == [live_dir.name]
    finally:
        live.kill()
        live.wait()
    atomic.remove_stale(tmp_path)
    assert leftovers(tmp_path) == []


def test_what_is_not_surely_ours_stays(tmp_path):
    """Without our lock: an empty directory (a writer died between mkdtemp and its lock) and a
    .tmp-xxxxxxxx.xlsx file (versions before this one locked nothing) go once STALE_SECONDS old;
    a directory with files, a differently named file, a symlink, a `lock` of someone else's stay."""
    past = time.time() - atomic.STALE_SECONDS - 10
    made = {}
    for name, kind in [(".tmp-emptyold", "dir"), (".tmp-emptyyng", "dir"), (".tmp-fullold1", "full"),
                       (".tmp-k3j_x9ab.xlsx", "file"), (".tmp-yng_x9ab.xlsx", "young file"),
                       (".tmp-mine.xlsx", "file"), (".tmp-theirs", "their lock")]:
        p = tmp_path / name
        if kind in ("dir", "full", "their lock"):
            p.mkdir()
            if kind == "full":
                (p / "notes.txt").write_text("a person's")
            if kind == "their lock":
                (p / atomic.LOCK).write_text("not sheetsgd's")
        else:
            p.write_bytes(b"")
        made[name] = p
    for name in (".tmp-emptyold", ".tmp-fullold1", ".tmp-k3j_x9ab.xlsx", ".tmp-mine.xlsx", ".tmp-theirs"):
        os.utime(made[name], (past, past))
    (tmp_path / "keep.xlsx").write_bytes(b"")
    (tmp_path / ".tmp-link").symlink_to(tmp_path / "keep.xlsx")
    atomic.remove_stale(tmp_path)
    assert leftovers(tmp_path) == [".tmp-emptyyng", ".tmp-fullold1", ".tmp-link", ".tmp-mine.xlsx", ".tmp-theirs",
                                   ".tmp-yng_x9ab.xlsx"]
    assert (tmp_path / ".tmp-fullold1" / "notes.txt").exists() and (tmp_path / "keep.xlsx").exists()
