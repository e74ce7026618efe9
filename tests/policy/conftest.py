"""Fixtures for the declaration tests: the real file, and edited copies of it.

Helpers are handed out as fixtures (not imported) so the tests do not depend on
how pytest puts test folders on ``sys.path``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from privacyops.policy.loader import load_declaration
from privacyops.policy.schema import Declaration

POLICY = Path(__file__).resolve().parents[2] / "policy" / "fstsmart.yaml"

Edit = tuple[str, str] | tuple[str, str, str]


@dataclass(frozen=True)
class Variant:
    """An edited copy of the real declaration, written as ``policy/x.yaml``."""

    path: str
    text: str

    def line(self, needle: str, after: str | None = None) -> int:
        """1-based line of the first ``needle`` (after the marker ``after``, if given)."""
        start = self.text.index(after) if after is not None else 0
        return self.text.count("\n", 0, self.text.index(needle, start)) + 1

    def load(self) -> Declaration:
        return load_declaration(self.path)


def _apply(text: str, edit: Edit) -> str:
    old, new = edit[0], edit[1]
    start = text.index(edit[2]) if len(edit) == 3 else 0
    index = text.index(old, start)
    return text[:index] + new + text[index + len(old) :]


@pytest.fixture(scope="session")
def policy_path() -> Path:
    return POLICY


@pytest.fixture(scope="session")
def policy_text() -> str:
    return POLICY.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def declaration() -> Declaration:
    return load_declaration(POLICY)


@pytest.fixture
def variant(
    policy_text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Variant]:
    """``variant((old, new[, after]), ...)`` writes the edited declaration, relative to cwd."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "policy").mkdir()

    def make(*edits: Edit) -> Variant:
        text = policy_text
        for edit in edits:
            text = _apply(text, edit)
        relative = "policy/x.yaml"
        (tmp_path / relative).write_text(text, encoding="utf-8")
        return Variant(relative, text)

    return make
