"""The package's shape (issue 12): no import circles, no module past ~600 lines, public names only."""

import ast
import importlib
from pathlib import Path

import pytest

import cartsie

SRC = Path(cartsie.__file__).parent
MAX_LINES = 620  # "~600": a docstring's worth of slack


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in SRC.rglob("*.py")}


def _target(name: str, imported: str | None) -> str | None:
    """The cartsie module an import statement loads (a submodule when a name is one)."""
    if imported is not None and f"{name}.{imported}" in MODULES:
        return f"{name}.{imported}"
    return name if name in MODULES else None


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for mod, path in MODULES.items():
        for node in ast.parse(path.read_text(encoding="utf-8")).body:  # module level only
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("cartsie"):
                for alias in node.names:
                    target = _target(node.module, alias.name)
                    if target and target != mod:
                        graph[mod].add(target)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("cartsie") and alias.name in MODULES:
                        graph[mod].add(alias.name)
    return graph


def test_no_import_circles():
    graph = _graph()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                cycle = [*stack[stack.index(n) :], n]
                pytest.fail("import circle: " + " -> ".join(cycle))
            if n not in state:
                visit(n)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)
    assert sum(len(v) for v in graph.values()) > 50, "the graph was read"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_modules_stay_small(module):
    lines = MODULES[module].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{module} has {lines} lines; split it"


def test_star_import_gives_the_public_names_and_they_import():
    namespace: dict = {}
    exec("from cartsie import *", namespace)
    for name in cartsie.__all__:
        assert name in namespace
    for sub in ("survival", "competing", "descriptive", "binary", "toxicity", "cohort", "synthetic"):
        module = importlib.import_module(f"cartsie.{sub}")
        for name in module.__all__:
            assert hasattr(module, name), f"cartsie.{sub}.{name}"
