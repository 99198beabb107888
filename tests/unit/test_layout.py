"""Tests for the package layout: no import cycles in milter/, and one home for python-libmilter.

Read from the source with ``ast`` (nothing is imported). An import counts wherever it stands,
inside a function too (it runs when called), except in an ``if TYPE_CHECKING:`` block, which
only mypy follows. ``from milter.content import der`` is an edge to the package
``milter.content`` (its ``__init__`` runs) and to ``milter.content.der``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "milter"
# python-libmilter is GPL glue for the wire protocol: one room imports it. Until the protocol
# split lands (issue 14), the server's session module is that room.
LIBMILTER_ROOMS = ("milter/protocol/",)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def runtime_imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement in ``tree`` outside ``if TYPE_CHECKING:`` bodies."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                yield from runtime_imports(ast.Module(body=[child], type_ignores=[]))
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        yield from runtime_imports(node)


def imported_names(module: str, is_package: bool, node: ast.Import | ast.ImportFrom) -> set[str]:
    """Dotted names ``node`` may import, resolved from ``module`` (relative imports too)."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names}
    stem = node.module or ""
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - node.level + 1]
        stem = ".".join(base + ([node.module] if node.module else []))
    return {stem} | {f"{stem}.{alias.name}" for alias in node.names}


def sources() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def import_graph() -> dict[str, set[str]]:
    """milter module -> the milter modules it imports at run time."""
    modules = sources()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        found: set[str] = set()
        for node in runtime_imports(tree):
            found |= imported_names(name, path.name == "__init__.py", node)
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component: list[str] = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph[child]))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return found


class TestImportCycles:
    def test_no_cycles_in_milter(self) -> None:
        """No two milter modules import each other, directly or round a longer loop."""
        assert cycles(import_graph()) == []

    def test_finder_sees_a_cycle(self) -> None:
        """The cycle finder reports a loop of three modules, and not a module beside it."""
        graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
        assert cycles(graph) == [["a", "b", "c"]]

    def test_type_checking_imports_do_not_count(self) -> None:
        """Imports under ``if TYPE_CHECKING:`` are no edge; one in a function body is."""
        tree = ast.parse(
            "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n    import milter.a\n"
            "def f():\n    import milter.b\n"
        )
        names = set()
        for node in runtime_imports(tree):
            names |= imported_names("milter.x", False, node)
        assert names == {"typing", "typing.TYPE_CHECKING", "milter.b"}

    def test_graph_covers_the_package(self) -> None:
        """The graph has every module, and sees a known edge (the engine reads the policy)."""
        graph = import_graph()
        assert set(graph) == set(sources())
        assert "milter.policy.model" in graph["milter.core.engine"]


class TestLibmilter:
    def test_only_the_protocol_room_imports_libmilter(self) -> None:
        """python-libmilter is imported only under milter/protocol/ (for now: the session)."""
        importers = []
        for path in sources().values():
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            for node in ast.walk(tree):  # TYPE_CHECKING too: no other module should know it
                if isinstance(node, ast.Import | ast.ImportFrom):
                    names = imported_names("milter.x", False, node)
                    if any(n == "libmilter" or n.startswith("libmilter.") for n in names):
                        importers.append(path.relative_to(PACKAGE.parent).as_posix())
        assert importers, "no module imports libmilter: has it moved?"
        assert [p for p in importers if not p.startswith(LIBMILTER_ROOMS)] == []
