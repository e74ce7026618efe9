"""Fixtures for incidents: subjects with e-mail records in given places, the declaration."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from aiosmtpd.controller import Controller
from tests.notify.support import SmtpSink, free_port

from privacyops.db import Database, utcnow
from privacyops.policy.loader import load_declaration
from privacyops.policy.schema import Declaration
from privacyops.settings import Settings
from privacyops.subjects import records
from privacyops.subjects import service as subjects
from privacyops.vault.service import Vault

AWARE = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)  # a Thursday
ACTOR = "staff:test"

MakePerson = Callable[..., str]


@pytest.fixture
def vault(settings: Settings) -> Vault:
    return Vault.from_settings(settings)


@pytest.fixture(scope="session")
def declaration(settings: Settings) -> Declaration:
    return load_declaration(settings.policy)


@pytest.fixture
def make_person(db: Database, vault: Vault) -> MakePerson:
    """A committed customer in ``country``/``state`` with an ``account`` e-mail record."""

    def make(email: str, country: str, state: str | None = None, category: str = "account") -> str:
        with db.unit_of_work() as session:
            subject = subjects.create_subject(
                session=session, kind="customer", country=country, region_code=state, actor=ACTOR
            )
            records.store_value(
                session=session,
                vault=vault,
                subject_id=subject.id,
                category=category,
                field="email",
                purpose="account_management",
                region="cn" if country == "CN" else "global_service",
                value=email,
                expires_at=utcnow() + timedelta(days=365),
                notice_version="1.0.0",
                source="form",
                actor=ACTOR,
            )
            return subject.id

    return make


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink(port=free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()
