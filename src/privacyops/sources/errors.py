"""The one error of external sources; its message names the source and table, never a value."""

from __future__ import annotations


class ConnectorError(RuntimeError):
    """An external source cannot be used safely (no URL, no index, a column that does not fit,
    unreachable, too slow)."""


__all__ = ["ConnectorError"]
