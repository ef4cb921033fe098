"""The house rules that keep the code easy to change: no module over ~700 lines, no import circles."""
import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "sheetsgd"
MAX_LINES = 700


def modules():
    """{dotted name: path} of every module of the package."""
    out = {}
    for p in PACKAGE.rglob("*.py"):
        name = ".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts)
        out[name[:-len(".__init__")] if name.endswith(".__init__") else name] = p
    return out


def imports(name, path, known):
    """The package's modules that `name` imports at module level (not inside functions)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rsplit(".", 1)[0]
            target = (base + ("." + node.module if node.module else "")) if node.level else node.module
            for alias in node.names:
                full = f"{target}.{alias.name}"
                found.add(full if full in known else target)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m in known and m != name}


def test_no_module_is_over_700_lines():
    long = {name: n for name, p in modules().items() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}, f"split these modules by concern: {long}"


def test_no_import_circles():
    mods = modules()
    graph = {name: imports(name, path, mods) for name, path in mods.items()}
    state, cycles = {}, []
    for start in graph:                       # depth-first search, iteratively, for a back edge
        if start in state:
            continue
        stack = [(start, iter(sorted(graph[start])))]
        state[start] = "open"
        path = [start]
        while stack:
            node, it = stack[-1]
            for nxt in it:
                if state.get(nxt) == "open":
                    cycles.append(path[path.index(nxt):] + [nxt])
                elif nxt not in state:
                    state[nxt] = "open"
                    stack.append((nxt, iter(sorted(graph[nxt]))))
                    path.append(nxt)
                    break
            else:
                stack.pop()
                path.pop()
                state[node] = "done"
    assert cycles == [], f"import circles: {cycles}"
