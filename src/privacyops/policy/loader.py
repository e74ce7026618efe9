"""Load a declaration from YAML and point every problem at its line.

PyYAML's composer keeps a mark (line, column) on every node. The loader
composes the node tree once, constructs plain data from it, validates that
data, and maps each error's path back through the tree to a line, so a
problem reads ``policy/fstsmart.yaml:42: data use 'marketing.foo' is not in
the taxonomy``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from privacyops.policy.base import Loc
from privacyops.policy.schema import Declaration, InconsistentDeclarationError


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class DeclarationError(Exception):
    """The declaration cannot be used; ``problems`` says where and why."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)


def load_declaration(path: str | PathLike[str]) -> Declaration:
    """Read, parse and validate a declaration file; raise ``DeclarationError`` on any problem."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise DeclarationError([Problem(name, 1, f"cannot read the declaration: {err}")]) from err
    return parse_declaration(text, name=name)


def check(path: str | PathLike[str]) -> list[Problem]:
    """Problems in a declaration file, in line order; empty when it is valid."""
    try:
        load_declaration(path)
    except DeclarationError as err:
        return err.problems
    return []


def parse_declaration(text: str, *, name: str = "<declaration>") -> Declaration:
    data, root = _compose(text, name)
    try:
        return Declaration.model_validate(data)
    except ValidationError as err:
        problems = [_from_pydantic(name, root, error) for error in err.errors()]
    except InconsistentDeclarationError as err:
        problems = [Problem(name, _line(root, issue.loc), issue.message) for issue in err.issues]
    raise DeclarationError(sorted(set(problems))) from None


# libyaml is several times faster; the pure-Python loader words its errors the
# same everywhere, so a file that fails is parsed again with it for the message.
_FAST_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _compose(text: str, name: str) -> tuple[Any, MappingNode]:
    try:
        return _compose_with(_FAST_LOADER, text, name)
    except yaml.YAMLError:
        pass
    try:
        return _compose_with(yaml.SafeLoader, text, name)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark is not None else 1
        what = err.problem or err.context or "invalid YAML"
        raise DeclarationError([Problem(name, line, f"YAML syntax error: {what}")]) from None
    except yaml.YAMLError as err:
        raise DeclarationError([Problem(name, 1, f"YAML syntax error: {err}")]) from None


def _compose_with(
    loader_class: type[yaml.SafeLoader], text: str, name: str
) -> tuple[Any, MappingNode]:
    loader = loader_class(text)
    try:
        root = loader.get_single_node()
        if not isinstance(root, MappingNode):
            line = 1 if root is None else root.start_mark.line + 1
            raise DeclarationError([Problem(name, line, "the declaration must be a YAML mapping")])
        duplicates = _duplicate_keys(root, name)
        if duplicates:
            raise DeclarationError(duplicates)
        return loader.construct_document(root), root
    finally:
        loader.dispose()


def _duplicate_keys(node: Node, name: str) -> list[Problem]:
    """PyYAML keeps the last of two equal keys silently; a declaration must not."""
    found: list[Problem] = []
    if isinstance(node, MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if isinstance(key, ScalarNode):
                if key.value in seen:
                    line = key.start_mark.line + 1
                    found.append(Problem(name, line, f"duplicate key '{key.value}'"))
                seen.add(key.value)
            found.extend(_duplicate_keys(value, name))
    elif isinstance(node, SequenceNode):
        for item in node.value:
            found.extend(_duplicate_keys(item, name))
    return found


def _step(node: Node, part: str | int) -> tuple[Node, Node] | None:
    """The child at ``part`` and the node whose line names it (a key, or the item)."""
    if isinstance(node, MappingNode):
        for key, value in node.value:
            if isinstance(key, ScalarNode) and key.value == str(part):
                return value, key
    elif isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        item = node.value[part]
        return item, item
    return None


def _walk(root: Node, loc: Loc) -> tuple[Node, int, list[str]]:
    """Follow ``loc`` as far as the tree allows; parts that do not match (pydantic's
    union tags, a missing field) are passed over."""
    node, line, label = root, root.start_mark.line + 1, []
    for part in loc:
        found = _step(node, part)
        if found is None:
            continue
        child, marker = found
        line = marker.start_mark.line + 1
        label.append(_label(node, child, part))
        node = child
    return node, line, label


def _label(parent: Node, child: Node, part: str | int) -> str:
    if isinstance(parent, SequenceNode) and isinstance(child, MappingNode):
        for key, value in child.value:
            if key.value in ("key", "name", "id") and isinstance(value, ScalarNode):
                return f"[{value.value}]"
    return f"[{part}]" if isinstance(part, int) else f".{part}"


def _line(root: Node, loc: Loc) -> int:
    return _walk(root, loc)[1]


def _where(label: list[str]) -> str:
    return "".join(label).lstrip(".")


def _from_pydantic(name: str, root: Node, error: Any) -> Problem:
    loc: Loc = tuple(error["loc"])
    kind: str = error["type"]
    message: str = error["msg"].removeprefix("Value error, ")
    if kind in ("missing", "extra_forbidden") and loc:
        _node, line, label = _walk(root, loc[:-1])
        if kind == "extra_forbidden":
            line = _line(root, loc)
        where = _where(label) or "top level"
        verb = "missing required field" if kind == "missing" else "unknown field"
        return Problem(name, line, f"{where}: {verb} '{loc[-1]}'")
    _node, line, label = _walk(root, loc)
    where = _where(label)
    return Problem(name, line, f"{where}: {message}" if where else message)


__all__ = ["DeclarationError", "Problem", "check", "load_declaration", "parse_declaration"]
