"""Fixtures for notify: a real SMTP sink (aiosmtpd), an outbox, subjects, a delivery runner."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from tests.notify.support import NOW, RECEIVED, SENDER, Recording, SmtpSink, free_port
from tests.subjects.factories import SubjectFactory

from privacyops.db import Database
from privacyops.notify import service as notify
from privacyops.notify.backends import EmailBackend, OutboxBackend
from privacyops.settings import Settings
from privacyops.vault.service import Vault


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink(port=free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


@pytest.fixture
def vault(settings: Settings) -> Vault:
    return Vault.from_settings(settings)


@pytest.fixture
def make_subject(db: Database, vault: Vault) -> SubjectFactory:
    return SubjectFactory(db, vault)


@pytest.fixture
def outbox(tmp_path: Path) -> OutboxBackend:
    return OutboxBackend(tmp_path / "outbox", sender=SENDER)


@pytest.fixture
def recording(outbox: OutboxBackend) -> Recording:
    return Recording(outbox)


Deliver = Callable[..., notify.DeliveryReport]


@pytest.fixture
def deliver(db: Database, vault: Vault) -> Deliver:
    """Run one delivery job the way the app does: a unit of work, committed per message."""

    def run(backend: EmailBackend, now: datetime = NOW, **kwargs: Any) -> notify.DeliveryReport:
        with db.unit_of_work() as session:
            kwargs.setdefault("checkpoint", session.commit)
            return notify.deliver_due(
                session=session, vault=vault, backend=backend, now=now, **kwargs
            )

    return run


@pytest.fixture
def queue_received(db: Database, vault: Vault) -> Callable[..., str]:
    """Queue a `request_received` e-mail in its own unit of work; returns the message id."""

    def queue(to: str, language: str = "en", **kwargs: Any) -> str:
        with db.unit_of_work() as session:
            return notify.queue_email(
                session=session,
                vault=vault,
                to=to,
                template="request_received",
                language=language,
                context=RECEIVED,
                now=NOW - timedelta(minutes=1),
                **kwargs,
            ).id

    return queue
