"""The import arrows between the project's layers, checked on every import statement.

``sim`` is the pure library: it imports no other package of ours and no web framework.
``tlsscan`` (the guarded TLS fetcher and scanner) may use ``sim``; ``extension_api`` may use
both; the ``revlab`` command line is the top and nothing imports it. No module takes part in an
import cycle, late imports inside functions included. The lessons import no CLI.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO

PACKAGES = ("sim", "tlsscan", "extension_api", "revlab")

#: What each package must never import (prefix match on the dotted name).
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "sim": ("tlsscan", "extension_api", "revlab", "flask", "werkzeug", "sqlalchemy", "gunicorn"),
    "tlsscan": ("extension_api", "revlab", "flask", "werkzeug", "sqlalchemy", "gunicorn"),
    "extension_api": ("revlab",),
    "revlab": (),
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> Iterator[str]:
    """Every module ``path`` imports, late imports inside functions included."""
    tree = ast.parse(path.read_text(), filename=str(path))
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield target
            # `from sim import calibration` imports the submodule sim.calibration.
            for alias in node.names:
                yield f"{target}.{alias.name}"


def _graph() -> dict[str, set[str]]:
    modules = {
        _module_name(p): p for pkg in PACKAGES for p in (REPO / pkg).rglob("*.py")
    }
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        graph[name] = {t for t in _imports(path) if t in modules and t != name}
    return graph


def _all_imports() -> dict[str, set[str]]:
    return {
        _module_name(p): set(_imports(p))
        for pkg in PACKAGES
        for p in (REPO / pkg).rglob("*.py")
    }


@pytest.mark.parametrize("package", PACKAGES)
def test_a_layer_imports_only_what_is_below_it(package: str) -> None:
    bad = sorted(
        f"{module} imports {target}"
        for module, targets in _all_imports().items()
        if module == package or module.startswith(package + ".")
        for target in targets
        for forbidden in FORBIDDEN[package]
        if target == forbidden or target.startswith(forbidden + ".")
    )
    assert bad == []


def test_no_module_takes_part_in_an_import_cycle() -> None:
    graph = _graph()
    # A package's __init__ importing its own submodules is how packages work, not a cycle.
    edges = {
        m: {t for t in ts if not (t.startswith(m + ".") and (REPO / m.replace(".", "/")).is_dir())}
        for m, ts in graph.items()
    }
    cycles: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [])
    assert cycles == []


def test_the_lessons_import_no_command_line() -> None:
    bad = []
    for notebook in sorted((REPO / "notebooks").glob("*.ipynb")):
        cells = json.loads(notebook.read_text())["cells"]
        source = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        tree = ast.parse("\n".join(
            line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))
        ))
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names] if isinstance(node, ast.Import)
                else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            )
            bad += [f"{notebook.name}: {n}" for n in names if n.split(".")[0] == "revlab"]
    assert bad == []


def test_the_checker_sees_a_forbidden_import() -> None:
    # The walk must see late imports inside functions, or the rule above proves nothing.
    probe = REPO / "sim" / "check_layers_probe_tmp.py"
    probe.write_text("def f() -> None:\n    from extension_api import create_app\n")
    try:
        assert "extension_api" in _all_imports()["sim.check_layers_probe_tmp"]
    finally:
        probe.unlink()
