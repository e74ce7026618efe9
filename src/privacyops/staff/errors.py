"""The staff service's refusals."""

from __future__ import annotations

from privacyops.web.i18n import RefusalError


class StaffError(RefusalError):
    """A refusal of the staff service; ``field`` and ``code`` shape the API's answer."""

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        code: str = "invalid",
        **values: object,
    ) -> None:
        super().__init__(message, **values)
        self.field = field
        self.code = code


class TooManyAttemptsError(StaffError):
    pass
