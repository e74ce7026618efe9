"""The staff service's refusals."""

from __future__ import annotations


class StaffError(ValueError):
    """A refusal; ``message`` is a message id and ``values`` fill its ``{name}`` slots,
    so the console can say it in its own language and the API in English."""

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        code: str = "invalid",
        **values: object,
    ) -> None:
        super().__init__(message.format(**values) if values else message)
        self.message_id = message
        self.values = values
        self.field = field
        self.code = code


class TooManyAttemptsError(StaffError):
    pass
