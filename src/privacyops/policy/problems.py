"""Contradictions between the parts of a declaration, found by ``policy.consistency``.

They live apart from ``policy.schema`` so that the checks and the models
need not import each other: the schema runs the checks, the checks read the
schema's types only for annotations.
"""

from __future__ import annotations

from dataclasses import dataclass

from privacyops.policy.base import Loc


@dataclass(frozen=True, slots=True)
class Issue:
    loc: Loc
    message: str


class InconsistentDeclarationError(Exception):
    """The parts of a well-formed declaration contradict each other."""

    def __init__(self, issues: list[Issue]) -> None:
        super().__init__("\n".join(issue.message for issue in issues))
        self.issues = issues
