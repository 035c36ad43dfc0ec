"""Print every import in ``wistia_sync/`` that runs back up the stages, and every import circle.

    python scripts/check_layers.py [REPOSITORY]

The stages, lowest first (docs/architecture.md draws them). A module may import its own package
and any package on a lower floor; every import counts, inside functions and under
``TYPE_CHECKING`` too. ``wistia_sync/__init__.py`` is exempt: it is the documented API, and
re-exports from every floor lazily. Exit status 1 when anything is found.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent

FLOORS: dict[str, int] = {
    "redaction": 0,
    "demo": 0,
    "errors": 1,
    "config": 2,
    "wistia": 3,
    "store": 4,
    "catalog": 5,
    "contract": 5,
    "sync": 6,
    "publish": 6,
    "deliver": 7,
    "webhooks": 8,
    # Backups (to the site's bucket with deliver's client), pings, metrics; the webhook server
    # is handed the metrics by the CLI rather than importing them.
    "ops": 8,
    "job": 9,
    "status": 9,
    "cli": 10,
    "__main__": 11,
}
# The package's face: it re-exports the documented API lazily (importing it costs nothing), so
# any module may import it (for ``__version__``) and its own imports are not held to the floors.
FACE = "wistia_sync"


def module_name(path: Path, package: Path) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def stage(module: str) -> str:
    """``wistia_sync.sync.pages`` → ``sync``; ``wistia_sync`` → ``wistia_sync``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def imports_of(path: Path, modules: set[str]) -> Iterator[tuple[int, str]]:
    """(line, module) of every ``wistia_sync`` import in the file, wherever it stands."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            if node.module.split(".")[0] != FACE:
                continue
            for alias in node.names:  # `from wistia_sync.publish import snapshot`: a module
                submodule = f"{node.module}.{alias.name}"
                yield node.lineno, submodule if submodule in modules else node.module
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == FACE:
                    yield node.lineno, alias.name


def graph(repository: Path = REPOSITORY) -> dict[str, dict[str, int]]:
    """module → {imported module: first line}."""
    package = repository / FACE
    paths = {module_name(path, package): path for path in sorted(package.rglob("*.py"))}
    edges: dict[str, dict[str, int]] = {}
    for module, path in paths.items():
        targets: dict[str, int] = {}
        for line, target in imports_of(path, set(paths)):
            while target not in paths and "." in target:  # `from pkg.mod import name`
                target = target.rpartition(".")[0]
            if target != module:
                targets.setdefault(target, line)
        edges[module] = targets
    return edges


def upward_imports(edges: dict[str, dict[str, int]]) -> list[str]:
    found = []
    for module, targets in edges.items():
        if module == FACE:
            continue
        own = stage(module)
        for target, line in targets.items():
            theirs = stage(target)
            if theirs == own or target == FACE:
                continue
            if theirs not in FLOORS or own not in FLOORS:
                found.append(f"{module}:{line}: {target} is on no floor (add it to FLOORS)")
            elif FLOORS[theirs] >= FLOORS[own]:
                found.append(
                    f"{module}:{line} imports {target}: {own} (floor {FLOORS[own]}) may only "
                    f"import lower floors, and {theirs} is on floor {FLOORS[theirs]}"
                )
    return found


def circles(edges: dict[str, dict[str, int]]) -> list[str]:
    """Every set of modules that import each other in a loop (Tarjan's strongly connected parts)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[str] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in edges.get(module, {}):
            if target == FACE or target not in edges:
                continue
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            part = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                part.append(member)
                if member == module:
                    break
            if len(part) > 1:
                found.append("circle: " + " ↔ ".join(sorted(part)))

    for module in edges:
        if module not in index and module != FACE:
            visit(module)
    return found


def problems(repository: Path = REPOSITORY) -> list[str]:
    edges = graph(repository)
    return upward_imports(edges) + circles(edges)


def main() -> int:
    found = problems(Path(sys.argv[1]) if len(sys.argv) > 1 else REPOSITORY)
    for problem in found:
        print(problem)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
