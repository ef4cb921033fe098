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


# -- results made of arrays: NumPy's .npz (no pickles), with a JSON note of what each entry was -------

def call_all(fns):
    """fns: [callable() -> a tree of dicts, lists, dataclasses, NumPy arrays and plain numbers or
    text]. Runs them in forked processes and returns their results in order, rebuilt exactly (floats
    to the bit: .npz stores them as they are). Without fork, one after the other here."""
    import tempfile
    if len(fns) < 2 or not can_fork():
        return [fn() for fn in fns]
    with tempfile.TemporaryDirectory(prefix="sheetsgd-parallel-") as tmp:
        jobs = [(_save_result, (fn, os.path.join(tmp, f"{k}.npz"))) for k, fn in enumerate(fns)]
        return [_load_result(path) for path in run_all(jobs)]


def _save_result(fn, path):
    import numpy as np
    arrays = {}
    schema = _pack(fn(), "r", arrays)
    np.savez(path, __schema__=np.array(json.dumps(schema)), **arrays)
    return path


def _load_result(path):
    import numpy as np
    with np.load(path) as data:                    # NumPy loads no objects by default
        return _unpack(json.loads(str(data["__schema__"])), data)


def _pack(obj, key, arrays):
    """The schema of obj (JSON), its arrays put in `arrays` under keys derived from `key`."""
    import dataclasses

    import numpy as np
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        cls = type(obj)
        return {"dataclass": f"{cls.__module__}:{cls.__qualname__}",
                "fields": {f.name: _pack(getattr(obj, f.name), f"{key}.{f.name}", arrays)
                           for f in dataclasses.fields(obj)}}
    if isinstance(obj, dict):
        return {"dict": [[_pack(k, f"{key}.k{i}", arrays), _pack(v, f"{key}.v{i}", arrays)]
                         for i, (k, v) in enumerate(obj.items())]}
    if isinstance(obj, (list, tuple)):
        return {"list" if isinstance(obj, list) else "tuple":
                [_pack(v, f"{key}.{i}", arrays) for i, v in enumerate(obj)]}
    if isinstance(obj, (np.ndarray, np.generic, float)) and not isinstance(obj, bool):
        arrays[key] = np.asarray(obj)
        return {"array": key, "kind": type(obj).__name__ if isinstance(obj, (float, np.generic)) else "ndarray"}
    if obj is None or isinstance(obj, (bool, int, str)):
        return {"value": obj}
    raise TypeError(f"cannot pass a {type(obj).__name__} back from a process")


def _unpack(schema, data):
    import dataclasses
    import importlib

    import numpy as np
    if "dataclass" in schema:
        module, name = schema["dataclass"].split(":")
        cls = getattr(importlib.import_module(module), name)
        fields = {k: _unpack(v, data) for k, v in schema["fields"].items()}
        obj = cls.__new__(cls)
        for f in dataclasses.fields(cls):
            object.__setattr__(obj, f.name, fields[f.name])
        return obj
    if "dict" in schema:
        return {_unpack(k, data): _unpack(v, data) for k, v in schema["dict"]}
    if "list" in schema:
        return [_unpack(v, data) for v in schema["list"]]
    if "tuple" in schema:
        return tuple(_unpack(v, data) for v in schema["tuple"])
    if "array" in schema:
        a = data[schema["array"]]
        if schema["kind"] == "float":
            return float(a)
        if schema["kind"] != "ndarray":
            return getattr(np, schema["kind"])(a)
        return a
    return schema["value"]
