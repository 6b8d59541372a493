"""The package stack holds (docs/design.md, "The package stack"): no module imports one of a
package above its own, and no modules import each other in a circle. Every import counts:
at the top of a module, inside a function, or for type checking only.

The oracle is the stack as docs/design.md draws it, written out here as ranks.
"""

from __future__ import annotations

import ast
from pathlib import Path

import elinkcli

PACKAGE = Path(elinkcli.__file__).resolve().parent

# Higher stands above lower: a module may import its own rank or below.
RANKS = {
    "__main__": 10,
    "cli": 9,
    "api": 8,
    "commands": 7,
    "output": 7,
    "sources": 6,
    "ids": 6,
    "cache": 5,
    "tables": 5,
    "eutils": 4,
    "providerfiles": 4,
    "config": 3,
    "catalog": 3,
    "names": 3,
    "accessions": 2,
    "validate": 2,
    "errors": 1,
    "models": 0,
    "constants": 0,
    "inert": 0,
    "locks": 0,
    "__init__": 0,
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Every elinkcli module `path` imports, however and wherever."""
    found: set[str] = set()
    here = module_name(path)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("elinkcli."))
        elif isinstance(node, ast.ImportFrom) and node.module:
            base = node.module
            if node.level:
                base = ".".join([*here.split(".")[: -node.level], node.module])
            if base == "elinkcli":
                found.update(f"elinkcli.{a.name}" for a in node.names)
            elif base.startswith("elinkcli."):
                found.add(base)
    return {name for name in found if name != here}


def modules() -> dict[str, set[str]]:
    known = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in known.items():
        targets = set()
        for target in imports_of(path):
            # `from elinkcli.ids import tokens` names a module; `from elinkcli.x import Y`
            # names x.
            targets.add(target if target in known else target.rsplit(".", 1)[0])
        graph[name] = {t for t in targets if t in known and t != name}
    return graph


def rank(module: str) -> int:
    top = module.split(".")[1] if "." in module else "__init__"
    assert top in RANKS, f"{module}: place its package in the stack (RANKS)"
    return RANKS[top]


def test_every_module_has_a_place_in_the_stack() -> None:
    for module in modules():
        rank(module)


def test_no_module_imports_one_above_its_package() -> None:
    upward = sorted(
        f"{a} -> {b}" for a, targets in modules().items() for b in targets if rank(b) > rank(a)
    )
    assert upward == []


def test_providerfiles_are_sealed() -> None:
    outside = sorted(
        a
        for a, targets in modules().items()
        if not a.startswith("elinkcli.providerfiles")
        and any(t.startswith("elinkcli.providerfiles") for t in targets)
    )
    assert outside == ["elinkcli.cli.provider_files"]


def test_no_import_circles() -> None:
    graph = modules()
    circles: list[list[str]] = []
    # Tarjan's strongly connected components: a component of two or more is a circle.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    assert circles == []


def test_the_stack_sees_every_import_form() -> None:
    """The oracle's own check: lazy and type-checking imports are seen."""
    source = PACKAGE / "cli" / "link.py"
    seen = imports_of(source)
    assert "elinkcli.commands.runs" in seen  # imported inside the command function
    assert "elinkcli.commands.plans.link" in seen  # also under TYPE_CHECKING
