"""Test helpers for notify: a real SMTP sink handler, a recording backend, fixed values."""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from privacyops.notify.backends import EmailBackend, OutgoingEmail

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SENDER = "privacy@fstsmart.example.com"

RECEIVED = {
    "request_id": "DSR-1A2B3C4D5E6F",
    "request_type": "access",
    "due_date": datetime(2026, 12, 31, tzinfo=UTC).date(),
    "status_url": "https://privacy.example.com/requests/DSR-1A2B3C4D5E6F",
}


@dataclass
class Received:
    """One message the sink accepted, parsed."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    raw: bytes

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def body(self, kind: str) -> str:
        part = self.message.get_body((kind,))
        assert part is not None
        content: str = part.get_content()
        return content


@dataclass
class SmtpSink:
    """aiosmtpd handler: accepts everything but addresses starting with ``reject``."""

    port: int = 0
    received: list[Received] = field(default_factory=list)

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address.startswith("reject"):
            return f"550 5.1.1 <{address}>: Recipient address rejected"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any
    ) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), parsed, envelope.content)
        )
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Recording:
    """Wraps a backend; counts every hand-over per message id; can crash or fail on cue."""

    inner: EmailBackend
    handed_over: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    crash_after: int | None = None
    """Raise (like a power cut) instead of sending once this many sends were made."""
    fail_with: Exception | None = None
    delay: float = 0.0
    """Seconds each send takes (to make concurrent workers overlap)."""

    def send(self, email: OutgoingEmail) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        if self.crash_after is not None and sum(self.handed_over.values()) >= self.crash_after:
            raise RuntimeError("simulated crash")
        time.sleep(self.delay)
        self.inner.send(email)
        with self._lock:
            self.handed_over[email.message_id] += 1

    def close(self) -> None:
        self.inner.close()
