"""The declaration the running system enforces, read once and re-read when the file changes."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from privacyops.policy.loader import parse_declaration
from privacyops.policy.schema import Declaration


@dataclass(frozen=True)
class Current:
    path: Path
    source: str
    declaration: Declaration
    mtime_ns: int


class PolicyStore:
    """Holds the parsed declaration; a changed file is re-validated before it replaces it.

    An invalid edit on disk keeps the last valid declaration in force and raises on
    `reload()`, so a typo cannot switch enforcement off.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._current = self._read()

    def _read(self) -> Current:
        source = self.path.read_text(encoding="utf-8")
        declaration = parse_declaration(source, name=str(self.path))
        return Current(self.path, source, declaration, self.path.stat().st_mtime_ns)

    @property
    def current(self) -> Current:
        try:
            changed = self.path.stat().st_mtime_ns != self._current.mtime_ns
        except OSError:
            changed = False
        if changed:
            self.reload()
        return self._current

    @property
    def declaration(self) -> Declaration:
        return self.current.declaration

    def reload(self) -> Current:
        with self._lock:
            self._current = self._read()
            return self._current
