"""Refusals of the subjects domain; a face turns each into one clear message."""

from __future__ import annotations


class SubjectError(ValueError):
    """A refusal a face turns into one clear message (``code`` and ``field`` as in the API)."""

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid") -> None:
        super().__init__(message)
        self.field = field
        self.code = code


class SubjectNotFoundError(SubjectError):
    def __init__(self, subject_id: str) -> None:
        super().__init__(f"no data subject {subject_id!r}", field="subject_id", code="not_found")


class SubjectErasedError(SubjectError):
    def __init__(self, subject_id: str) -> None:
        super().__init__(
            f"data subject {subject_id!r} was erased; its data no longer exists",
            field="subject_id",
            code="conflict",
        )


class IdentityConflictError(SubjectError):
    """The identity is already bound to another subject.

    The message does not name that subject (an intake caller must not learn
    who else is registered); ``other_subject_id`` is there for staff tools.
    """

    def __init__(self, kind: str, other_subject_id: str | None) -> None:
        super().__init__(
            f"this {kind} is already bound to another data subject", field="value", code="conflict"
        )
        self.other_subject_id = other_subject_id
