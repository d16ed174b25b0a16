"""How the project's packages may depend on each other, read from the source (no module is
imported): `safeshare` is the core and imports neither `bot` (the Telegram relay) nor `actions`
(the action server); nothing imports in a cycle, not even through an import inside a function;
`safeshare.identity` and `safeshare.settings` need nothing but the standard library.

Imports under `if TYPE_CHECKING:` are not counted: they never run.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

from safeshare.settings import PROJECT_ROOT

PACKAGES = ("safeshare", "actions", "bot")


def project_modules() -> dict[str, Path]:
    modules: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((PROJECT_ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement, at module level or in a function, except TYPE_CHECKING blocks."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _type_checking(child):
            for other in child.orelse:
                yield from _import_nodes(ast.Module(body=[other], type_ignores=[]))
            continue
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child
        yield from _import_nodes(child)


def imported_names(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The modules `module` imports: `from package import name` counts as `package.name` when
    that is a module, else as `package`."""
    names: set[str] = set()
    for node in _import_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
            continue
        if node.level:
            base = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
            base = base[: len(base) - node.level + 1]
            source = ".".join([*base, *([node.module] if node.module else [])])
        else:
            source = node.module or ""
        for alias in node.names:
            full = f"{source}.{alias.name}"
            names.add(full if full in modules else source)
    return names


def project_graph() -> dict[str, set[str]]:
    """module → the project modules it imports (outside imports are dropped)."""
    modules = project_modules()
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        targets = set()
        for name in imported_names(module, path, modules):
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name and name != module:
                targets.add(name)
        graph[module] = targets
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as [a, b, ..., a], or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return path[path.index(target) :] + [target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_the_cycle_finder_finds_cycles() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"x": {"x.y"}, "x.y": {"x"}}) == ["x", "x.y", "x"]


def test_imports_inside_functions_and_relative_imports_are_seen(tmp_path: Path) -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "from . import sibling\n"
        "if TYPE_CHECKING:\n    from pkg import hidden\n"
        "def later():\n    from pkg.other import thing\n"
    )
    path = tmp_path / "mod.py"
    path.write_text(source)
    modules = {"pkg.mod": path, "pkg.sibling": path, "pkg.other": path, "pkg.hidden": path}
    assert imported_names("pkg.mod", path, modules) == {"typing", "pkg.sibling", "pkg.other"}


def test_no_module_imports_in_a_cycle() -> None:
    cycle = find_cycle(project_graph())
    assert cycle is None, "import cycle: " + " → ".join(cycle or [])


def test_safeshare_imports_neither_the_relay_nor_the_actions() -> None:
    wrong = {
        module: sorted(t for t in targets if t.split(".")[0] in ("bot", "actions"))
        for module, targets in project_graph().items()
        if module.split(".")[0] == "safeshare"
    }
    assert {module: targets for module, targets in wrong.items() if targets} == {}


def test_the_relay_does_not_import_the_actions() -> None:
    graph = project_graph()
    assert not [
        m
        for m, targets in graph.items()
        if m.startswith("bot") and any(t.startswith("actions") for t in targets)
    ]


def test_identity_and_settings_need_only_the_standard_library() -> None:
    modules = project_modules()
    for module in ("safeshare.identity", "safeshare.settings"):
        names = imported_names(module, modules[module], modules)
        outside = {n.split(".")[0] for n in names} - set(sys.stdlib_module_names) - {"__future__"}
        assert outside <= {"safeshare"}, (module, outside)
        assert {n for n in names if n.startswith("safeshare")} <= {"safeshare.settings"}, module
