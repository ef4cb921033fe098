"""The builders' own shape (issue 16): no module in sheetsgd/sheets/ over 700 lines, no import
circles among them, and module names that say the lecture's ideas (no "_more", "_reg")."""
import ast
from pathlib import Path

SHEETS = Path(__file__).resolve().parent.parent / "sheetsgd" / "sheets"
MAX_LINES = 700


def modules():
    return {p.stem: p for p in sorted(SHEETS.glob("*.py")) if p.stem != "__init__"}


def imports_of(path):
    """The sibling modules a module imports (from . import x; from .x import y)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
    return found


def test_no_module_is_over_700_lines():
    long = {name: n for name, p in modules().items()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, long


def test_no_import_circles():
    graph = {name: imports_of(p) & set(modules()) for name, p in modules().items()}
    done, path = set(), []

    def visit(name):
        assert name not in path, " -> ".join(path[path.index(name):] + [name])
        if name in done:
            return
        path.append(name)
        for dep in sorted(graph[name]):
            visit(dep)
        path.pop()
        done.add(name)

    for name in graph:
        visit(name)


def test_names_say_the_idea():
    assert not [name for name in modules() if name.endswith(("_more", "_reg"))]
