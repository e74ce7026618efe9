"""House rules as code: docs cover what exists, services never commit, config in one place."""

from __future__ import annotations

import ast
import re
from itertools import pairwise
from pathlib import Path

import typer.main

from privacyops.cli import app as cli
from privacyops.settings import Settings
from privacyops.staff.permissions import DESCRIPTIONS, Permission

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "privacyops"
README = (ROOT / "README.md").read_text()


def _commands(group: typer.Typer, prefix: str = "") -> list[str]:
    click_group = typer.main.get_command(group)
    names: list[str] = []

    def walk(command: object, path: str) -> None:
        subcommands = getattr(command, "commands", None)
        if subcommands:
            for name, sub in subcommands.items():
                walk(sub, f"{path} {name}".strip())
        else:
            names.append(path)

    walk(click_group, prefix)
    return names


def test_every_setting_is_documented_in_the_readme() -> None:
    missing = [
        f"PRIVACYOPS_{name.upper()}"
        for name in Settings.model_fields
        if f"PRIVACYOPS_{name.upper()}" not in README
    ]
    assert missing == []


def test_every_setting_has_a_description() -> None:
    assert [name for name, field in Settings.model_fields.items() if not field.description] == []


def test_every_cli_command_is_documented_in_the_readme() -> None:
    missing = [name for name in _commands(cli) if f"privacyops {name}" not in README]
    assert missing == []


def test_every_permission_is_described() -> None:
    assert set(DESCRIPTIONS) == set(Permission)


RIGHTS_REQUEST_MODULES = (
    "common",
    "decisions",
    "downloads",
    "identity",
    "intake",
    "lookups",
    "messages",
    "running",
)


def test_services_never_commit() -> None:
    """The caller owns the transaction: service modules (and the rights-request modules,
    which are a service split by responsibility) never commit on their own."""
    rights = [SRC / "rights" / f"{name}.py" for name in RIGHTS_REQUEST_MODULES]
    offenders = [
        str(path.relative_to(ROOT))
        for path in [*SRC.rglob("service*.py"), *rights]
        if re.search(r"\.commit\(\)", path.read_text())
    ]
    assert offenders == []


def test_only_settings_reads_the_environment() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in SRC.rglob("*.py")
        if "os.environ" in path.read_text() and path.name != "settings.py"
    ]
    assert offenders == []


# -- size, imports and commits, computed from the source ------------------------------

MAX_LINES = 400

#: Over the limit for now: the message catalogue moves to gettext files (issue 18, item 1).
#: Remove the entry once that lands.
OVER_LIMIT_FOR_NOW: set[str] = set()


def _modules() -> dict[str, Path]:
    """Dotted module name -> file, for every module of ``src/privacyops``."""
    found: dict[str, Path] = {}
    for path in sorted(SRC.rglob("*.py")):
        parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def test_no_module_in_src_is_over_400_lines() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}: {count} lines (limit {MAX_LINES}); split it by responsibility"
        for path in sorted(SRC.rglob("*.py"))
        if str(path.relative_to(SRC)) not in OVER_LIMIT_FOR_NOW
        and (count := len(path.read_text().splitlines())) > MAX_LINES
    ]
    assert offenders == [], "\n".join(offenders)


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(name: str, path: Path, modules: dict[str, Path]) -> dict[str, int]:
    """The project modules that ``name`` imports, each with the line of its first import.

    Imports inside functions count (they run, only later); imports under
    ``if TYPE_CHECKING:`` do not (they never run). ``from package import x``
    names the module ``package.x`` when there is one, else the package.
    """
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]

    def owner(dotted: str) -> str | None:
        while dotted and dotted not in modules:
            dotted = dotted.rpartition(".")[0]
        return dotted or None

    found: dict[str, int] = {}

    def add(target: str | None, line: int) -> None:
        if target is not None and target != name:
            found.setdefault(target, line)

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _type_checking_only(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(owner(alias.name), node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            for alias in node.names:
                add(owner(f"{source}.{alias.name}"), node.lineno)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(), filename=str(path)))
    return found


def _import_cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """One cycle (a path back to its start) per strongly connected group of modules."""
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def connect(node: str) -> None:  # Tarjan's algorithm
        order[node] = low[node] = len(order)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in order:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], order[target])
        if low[node] == order[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in order:
            connect(node)

    cycles = []
    for group in groups:
        start = min(group)
        paths = {start: [start]}
        queue = [start]
        while queue:  # breadth first: the shortest way from start back to start
            node = queue.pop(0)
            for target in sorted(graph[node]):
                if target == start:
                    cycles.append([*paths[node], start])
                    queue = []
                    break
                if target in group and target not in paths:
                    paths[target] = [*paths[node], target]
                    queue.append(target)
    return sorted(cycles)


def test_no_import_cycle_between_modules() -> None:
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    described = [
        " -> ".join(
            f"{module} (line {graph[module][target]})" for module, target in pairwise(cycle)
        )
        + f" -> {cycle[-1]}"
        for cycle in _import_cycles(graph)
    ]
    assert described == [], "import cycles (module, line of the import):\n" + "\n".join(described)


def _is_face(tree: ast.Module) -> bool:
    """A module with routes: it imports FastAPI."""
    return any(
        isinstance(node, ast.ImportFrom) and (node.module or "").startswith("fastapi")
        for node in ast.walk(tree)
    )


def test_every_commit_in_a_rights_face_says_why() -> None:
    """Rights routes commit only where a step must survive a later failure (a counted
    code attempt, a decision before its execution), and the line above says so."""
    offenders = []
    for path in sorted((SRC / "rights").rglob("*.py")):
        lines = path.read_text().splitlines()
        tree = ast.parse("\n".join(lines))
        if not _is_face(tree):
            continue
        for node in sorted(ast.walk(tree), key=lambda n: getattr(n, "lineno", 0)):
            if isinstance(node, ast.Attribute) and node.attr == "commit":
                above = lines[node.lineno - 2].strip() if node.lineno > 1 else ""
                if not above.startswith("#"):
                    where = f"{path.relative_to(ROOT)}:{node.lineno}"
                    offenders.append(f"{where}: no comment on the line above saying why")
    assert offenders == [], "\n".join(offenders)


def test_the_cycle_finder_finds_a_circle() -> None:
    graph = {"a": {"b": 3}, "b": {"c": 5}, "c": {"a": 7}, "d": {"a": 1}}
    assert _import_cycles(graph) == [["a", "b", "c", "a"]]
