"""Publishes the broker refused, read from its log and recorded against the device.

Mosquitto logs (at the debug level) each publish its ACL denies::

    1796676749: Denied PUBLISH from FST-1 (d0, q1, r0, m1, 'devices/FST-2/alarms', ... (9 bytes))

The client id is the device's user name (``use_username_as_clientid``), which
is its serial; a ``New client connected ... as <id> (... u'<user>')`` line is
read too, so a broker without that option still names the right device. Each
denial is one rejection with source ``broker``; its ``dedupe`` is a digest of
the line, so reading the log from the start again (after a restart) counts
nothing twice. A log that shrank was rotated: it is read from its start.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from privacyops.telemetry import rejections
from privacyops.telemetry.models import RejectionSource
from privacyops.telemetry.registry import TelemetryError, device_key
from privacyops.vault.service import Vault

DENIED = re.compile(
    r"^(?P<at>\d+): Denied PUBLISH from (?P<client>\S+) \(d\d, q\d, r\d, m\d+, "
    r"'(?P<topic>[^']*)', \.\.\. \((?P<size>\d+) bytes\)\)$"
)
CONNECTED = re.compile(
    r"^\d+: New client connected from \S+ as (?P<client>\S+) \(.*u'(?P<user>[^']*)'\)\.$"
)
CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class Denial:
    at: datetime
    user: str
    topic: str
    size: int
    line: str


@dataclass
class LogReader:
    """Reads a broker log incrementally; keeps its place and who each client is."""

    path: Path
    offset: int = 0
    users: dict[str, str] = field(default_factory=dict)
    _partial: bytes = b""

    def denials(self) -> list[Denial]:
        """The denials logged since the last call."""
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return []
        if size < self.offset:
            self.offset, self._partial = 0, b""
        found: list[Denial] = []
        with self.path.open("rb") as handle:
            handle.seek(self.offset)
            while chunk := handle.read(CHUNK):
                self.offset += len(chunk)
                *lines, self._partial = (self._partial + chunk).split(b"\n")
                for raw in lines:
                    denial = self._line(raw.decode("utf-8", "replace").rstrip("\r"))
                    if denial is not None:
                        found.append(denial)
        return found

    def _line(self, line: str) -> Denial | None:
        connected = CONNECTED.match(line)
        if connected:
            self.users[connected["client"]] = connected["user"]
            return None
        denied = DENIED.match(line)
        if denied is None:
            return None
        client = denied["client"]
        return Denial(
            at=datetime.fromtimestamp(int(denied["at"]), UTC),
            user=self.users.get(client, client),
            topic=denied["topic"],
            size=int(denied["size"]),
            line=line,
        )


def record_denials(*, session: Session, vault: Vault, denials: list[Denial]) -> int:
    """Record each denial against the device that tried; returns how many were new."""
    recorded = 0
    for denial in denials:
        try:
            key: bytes | None = device_key(vault, denial.user)
        except TelemetryError:
            key = None
        recorded += rejections.record(
            session=session,
            device_key=key,
            source=RejectionSource.BROKER,
            reason=f"the broker refused a publish to {denial.topic[:200]!r} (not its topic)",
            size=denial.size,
            at=denial.at,
            dedupe=hashlib.sha256(denial.line.encode("utf-8")).hexdigest(),
        )
    return recorded
