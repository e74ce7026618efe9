"""The second data point a requester gives with the code, read the same way on every face."""

from __future__ import annotations

from privacyops.rights.verification import SecondPoint


def second_point(kind: str | None, value: str | None) -> SecondPoint | None:
    """None when no value was given; a value without a kind goes on to verification, which
    refuses it by name (``second_kind``) rather than ignoring it."""
    if not value or not value.strip():
        return None
    return SecondPoint(kind or "", value)
