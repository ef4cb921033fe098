"""Write a file so that a reader sees either the old file or the complete new one, and nothing of a
failed or killed write is left behind.

Each write works in a private directory beside the target, `.tmp-XXXXXXXX/`: the new file is made
there (XlsxWriter's own temporary files too, see writer.py) and renamed over the target only when
complete. The directory holds a file `lock`, locked (flock) by the writing process for as long as it
lives, and the directory is removed when the write ends, however it ends:

    success, an exception, Ctrl-C          removed by atomic_path's own cleanup
    SIGTERM, SIGHUP                        the CLI turns them into an exception (cli.main), same
    SIGKILL, a power cut                   left behind, removed by the next write into that directory

The next write removes a `.tmp-*` directory only when its `lock` says "sheetsgd" and the write can
take that lock, i.e. when the process that made it is gone: the kernel drops a flock with its
holder's last file descriptor, whatever killed it. The lock file is created locked under another
name and renamed to `lock`, so a `lock` that exists is held until its writer dies. A live
writer's directory is never touched, nor anything that is not ours: a directory without our
lock is only removed when empty (its writer died between mkdtemp and the rename) and
STALE_SECONDS old, a plain file only when it is named as mkstemp names (`.tmp-xxxxxxxx.xlsx`,
what versions before this one left: they had no lock) and STALE_SECONDS old.
"""
import contextlib
import fcntl
import os
import re
import shutil
import tempfile
import time

PREFIX = ".tmp-"
LOCK = "lock"
MARK = b"sheetsgd "           # the lock file's first bytes, then the writer's pid
_OLD_FILE = re.compile(r"\.tmp-[a-z0-9_]{8}\.xlsx")   # tempfile.mkstemp's names, as versions before this one made
STALE_SECONDS = 3600         # an unlocked leftover this old is nobody's: no write takes an hour to start


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path for the new `path`, inside a private locked directory beside it;
    rename it over `path` only if the block succeeds, and remove the directory in any case.

    On any exception (KeyboardInterrupt and the CLI's SIGTERM included) `path` is untouched."""
    path = os.path.abspath(os.fspath(path))
    directory = os.path.dirname(path)
    remove_stale(directory)
    work = tempfile.mkdtemp(prefix=PREFIX, dir=directory)
    lock_fd = None
    try:
        lock_fd = _hold_lock(work)
        tmp = os.path.join(work, os.path.basename(path))
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())  # a workbook is an ordinary file, not mkstemp's 0600
        os.replace(tmp, path)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if lock_fd is not None:
            os.close(lock_fd)         # the lock goes with it (the directory is already gone)


def _hold_lock(work):
    """Create `work`/lock already locked by this process (made under another name, then renamed)."""
    making = os.path.join(work, ".lock-making")
    fd = os.open(making, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, MARK + f"{os.getpid()}\n".encode())
        os.rename(making, os.path.join(work, LOCK))
    except BaseException:
        os.close(fd)
        raise
    return fd


def remove_stale(directory):
    """Remove what killed writes left in `directory` (see the module's docstring for what is ours).
    Never fails: a leftover it cannot remove stays for the next run."""
    try:
        entries = [e for e in os.scandir(directory) if e.name.startswith(PREFIX)]
    except OSError:
        return
    now = time.time()
    for entry in entries:
        with contextlib.suppress(OSError):
            if entry.is_dir(follow_symlinks=False):
                _remove_if_dead(entry.path, now)
            elif entry.is_file(follow_symlinks=False) and _OLD_FILE.fullmatch(entry.name):
                if now - entry.stat(follow_symlinks=False).st_mtime > STALE_SECONDS:
                    os.unlink(entry.path)


def _remove_if_dead(work, now):
    try:
        fd = os.open(os.path.join(work, LOCK), os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        if now - os.stat(work).st_mtime > STALE_SECONDS:
            os.rmdir(work)                               # only if empty: what is in it is not known to be ours
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)    # raises BlockingIOError while its writer lives
        if os.read(fd, len(MARK)) == MARK:
            shutil.rmtree(work, ignore_errors=True)      # removed while we hold the lock
    except BlockingIOError:
        pass
    finally:
        os.close(fd)


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask
