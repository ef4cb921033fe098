"""Run independent jobs in forked processes: `sheetsgd build` makes its three workbooks at once.

Each job is a call made in a child forked after everything it needs is imported (nothing is
serialised: the child has the parent's memory); what comes back is one line of JSON through a
pipe: the job's text result, or its error (a SheetsgdError's message and exit code, or a
traceback). Only text comes back: no objects are rebuilt from bytes.
"""
import json
import os
import signal
import sys
import traceback

from .errors import SheetsgdError


class JobFailed(Exception):
    """A job raised something other than a user's error (a bug): its traceback, from the child."""


def can_fork():
    return hasattr(os, "fork")


def run_all(jobs):
    """jobs: [(fn, args)], each fn(*args) -> str. Yields their results in order, each as soon as it
    and the ones before it are done. The first failure (in job order) is raised in the parent: a
    SheetsgdError as itself, KeyboardInterrupt as itself, anything else as JobFailed; the jobs
    still running are stopped."""
    sys.stdout.flush()
    sys.stderr.flush()
    children = []
    try:
        for fn, args in jobs:
            read, write = os.pipe()
            pid = os.fork()
            if pid == 0:                          # the child: run, report, leave without cleanup
                os.close(read)
                _child(fn, args, write)
            os.close(write)
            children.append((pid, read))
        for pid, read in children:
            with os.fdopen(read, "r", encoding="utf-8") as pipe:
                line = pipe.read()
            os.waitpid(pid, 0)
            yield _result(line)
        children = []
    finally:
        for pid, _ in children:                   # a failure or Ctrl-C: stop the others (their files stay as they were)
            try:
                os.kill(pid, signal.SIGTERM)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass


def _child(fn, args, fd):
    code = 0
    try:
        try:
            out = {"ok": fn(*args)}
        except SheetsgdError as e:
            out, code = {"error": str(e), "code": e.exit_code}, e.exit_code
        except KeyboardInterrupt:
            out, code = {"interrupted": True}, 130
        except OSError as e:                      # the system's: a full disk
            out, code = {"error": str(e), "code": 2}, 2
        except BaseException:
            out, code = {"failed": traceback.format_exc()}, 1
        with os.fdopen(fd, "w", encoding="utf-8") as pipe:
            pipe.write(json.dumps(out))
    finally:
        os._exit(code)


def _result(line):
    try:
        out = json.loads(line)
    except ValueError:
        raise JobFailed("a build process ended without a result (killed?)") from None
    if "ok" in out:
        return out["ok"]
    if "interrupted" in out:
        raise KeyboardInterrupt
    if "error" in out:
        err = SheetsgdError(out["error"])
        err.exit_code = out["code"]
        raise err
    raise JobFailed(out.get("failed", "unknown failure"))
