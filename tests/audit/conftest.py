"""Helpers for the audit log tests: append, sequence, verify with the log's key."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from privacyops.audit import service as audit
from privacyops.audit import signing
from privacyops.audit.heads import TreeHead
from privacyops.audit.tasks import Run, sequence_pending
from privacyops.db import Database
from privacyops.settings import Settings


@pytest.fixture
def key(settings: Settings) -> Ed25519PrivateKey:
    return signing.signing_key(settings.key_dir)


@pytest.fixture
def append(db: Database) -> Callable[..., list[int]]:
    """Commit n events in one transaction; returns their ids."""

    def make(n: int, action: str = "request.updated") -> list[int]:
        with db.unit_of_work() as session:
            events = [
                audit.record(
                    session=session,
                    actor="staff:dana",
                    action=action,
                    target_type="request",
                    target_id=i,
                    details={"status": "open", "step": i},
                )
                for i in range(n)
            ]
            session.flush()
            return [e.id for e in events]

    return make


@pytest.fixture
def sequence(db: Database, settings: Settings) -> Callable[..., Run]:
    def run(batch: int = 5000) -> Run:
        return sequence_pending(db=db, key_dir=settings.key_dir, batch=batch)

    return run


@pytest.fixture
def check(db: Database, key: Ed25519PrivateKey) -> Callable[..., audit.Verification]:
    def run(
        exported: tuple[TreeHead, signing.Ed25519PublicKey] | None = None,
    ) -> audit.Verification:
        with db.unit_of_work() as session:
            return audit.verify(session=session, public_key=key.public_key(), exported=exported)

    return run
