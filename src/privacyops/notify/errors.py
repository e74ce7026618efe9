"""Errors of the notify domain; each names the input field it is about (for the API's shape)."""

from __future__ import annotations


class NotifyError(ValueError):
    """A message cannot be queued or changed as asked."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotifyTemplateError(NotifyError):
    """Unknown template, a template file missing, or values that do not fit the template."""


class IdempotencyConflictError(NotifyError):
    """The idempotency key was already used for a different message."""

    def __init__(self, key: str) -> None:
        super().__init__(
            f"idempotency key {key!r} was already used for another message",
            field="idempotency_key",
        )
