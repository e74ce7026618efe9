"""No readable address or one-time code in the database: SQLite file bytes, PostgreSQL rows."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from tests.conftest import sqlite_file_bytes
from tests.notify.support import NOW, Recording

from privacyops.audit.models import AuditEvent
from privacyops.db import Database
from privacyops.notify import service as notify
from privacyops.notify.backends import TransientDeliveryError
from privacyops.notify.crypto import RECIPIENT, SealError, sealer_for
from privacyops.notify.models import OutboundMessage
from privacyops.tables import Base
from privacyops.vault.service import Vault

Deliver = Callable[..., notify.DeliveryReport]
CODE = "58213907"


def database_bytes(db: Database) -> bytes:
    """Everything the database holds: the SQLite files, or every PostgreSQL row as text."""
    if db.engine.dialect.name == "sqlite":
        with db.engine.connect() as conn:  # make SQLite write what it buffers
            conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
        database = make_url(db.url).database
        assert database is not None
        files = [Path(database + suffix) for suffix in ("", "-wal", "-journal")]
        return b"".join(sqlite_file_bytes(path) for path in files)
    chunks: list[str] = []
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            query = f'SELECT t::text FROM "{table.name}" t'  # noqa: S608 - names from our metadata
            rows = conn.execute(text(query)).scalars()
            chunks.extend(rows)
    return "\n".join(chunks).encode()


def readable(needle: str, haystack: bytes) -> bool:
    """Whether the value is present as text, or as the hex a bytea column prints."""
    raw = needle.encode()
    return raw in haystack or raw.hex().encode() in haystack.lower()


@pytest.fixture
def address() -> str:
    return f"li.lei.{uuid.uuid4().hex[:10]}@example.com"


def request_id_for(address: str) -> str:
    return "DSR-" + address.split(".")[2].split("@")[0].upper()


def queue_code(db: Database, vault: Vault, address: str) -> str:
    request_id = request_id_for(address) if address.startswith("li.lei.") else "DSR-1"
    with db.unit_of_work() as session:
        return notify.queue_email(
            session=session,
            vault=vault,
            to=address,
            template="verification_code",
            language="zh-CN",
            context={"expires_at": NOW + timedelta(minutes=30), "request_id": request_id},
            secret_context={"code": CODE},
            now=NOW,
        ).id


def test_a_queued_message_holds_neither_the_address_nor_the_code(
    db: Database, vault: Vault, address: str
) -> None:
    queue_code(db, vault, address)
    stored = database_bytes(db)
    assert readable(request_id_for(address), stored)  # the scan does see this message
    assert not readable(address, stored)
    assert not readable(address.split("@")[0], stored)
    assert not readable(CODE, stored)


def test_nothing_readable_is_left_after_failures_and_sending(
    db: Database, vault: Vault, address: str, deliver: Deliver, recording: Recording
) -> None:
    message_id = queue_code(db, vault, address)
    recording.fail_with = TransientDeliveryError(f"451 <{address}> greylisted")
    deliver(recording)
    recording.fail_with = None
    deliver(recording, now=NOW + timedelta(hours=1))
    assert recording.handed_over[message_id] == 1
    stored = database_bytes(db)
    assert readable(request_id_for(address), stored)
    assert not readable(address, stored)
    assert not readable(CODE, stored)
    with db.unit_of_work() as session:
        details = [event.details for event in session.scalars(select(AuditEvent))]
        assert details
        assert address not in repr(details)


def test_the_address_is_sealed_to_its_row(db: Database, vault: Vault, address: str) -> None:
    """A sealed address copied into another message's row does not open there."""
    first = queue_code(db, vault, address)
    second = queue_code(db, vault, "other@example.com")
    sealer = sealer_for(vault.keystore)
    with db.unit_of_work() as session:
        blob = session.get_one(OutboundMessage, first).recipient_ciphertext
        assert blob is not None
        assert sealer.open(first, RECIPIENT, blob) == address
        with pytest.raises(SealError):
            sealer.open(second, RECIPIENT, blob)
