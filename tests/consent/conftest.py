"""Fixtures for consent: subjects in a place, an integration's client, published versions."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from tests.consent.support import publish_major, publish_v1

from privacyops.consent import notices
from privacyops.db import Database
from privacyops.staff import service as staff
from privacyops.subjects import service as subjects

ACTOR = "staff:test"


@pytest.fixture(autouse=True)
def _fresh_notice_memory() -> Iterator[None]:
    """The tables are emptied after each test; so must be the memory of stored notices."""
    notices.forget_known()
    yield
    notices.forget_known()


@pytest.fixture
def make_subject(db: Database) -> Callable[..., str]:
    def make(country: str = "DE", state: str | None = None, restricted: bool = False) -> str:
        with db.unit_of_work() as session:
            subject = subjects.create_subject(
                session=session, kind="customer", country=country, region_code=state, actor=ACTOR
            )
            if restricted:
                subjects.set_state(
                    session=session, subject_id=subject.id, state="restricted", actor=ACTOR
                )
            return subject.id

    return make


@pytest.fixture
def integration(db: Database, new_client: Callable[[], TestClient]) -> TestClient:
    """The website's integration: an API key with consent.read and consent.write."""
    with db.unit_of_work() as session:
        key, _client = staff.create_api_client(
            session=session, name="website", scopes=["consent.read", "consent.write"], actor=ACTOR
        )
    client = new_client()
    client.headers["authorization"] = f"Bearer {key}"
    return client


@pytest.fixture
def published(db: Database) -> Callable[[str], None]:
    """``published("1.0.0")`` publishes the real declaration; ``"2.0.0"`` a major change."""

    def publish(version: str) -> None:
        with db.unit_of_work() as session:
            if version == "1.0.0":
                publish_v1(session)
            else:
                publish_major(session, version)

    return publish
