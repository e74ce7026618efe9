"""Append to and verify the audit hash chain.

Each event's hash covers its own fields and the previous event's hash, so editing,
deleting or inserting a row breaks a link; the head row, signed with the server
secret, catches a truncated tail. Appends lock the head row first (an UPDATE, which
takes a row lock on PostgreSQL and the write lock on SQLite) so concurrent writers
line up instead of racing for the same sequence number.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from privacyops.audit.models import AuditEvent, AuditHead
from privacyops.db import utcnow

GENESIS = "0" * 64
HEAD_ID = 1

#: Keys that would carry a personal value; details name things, they never copy them.
PERSONAL_KEYS = frozenset(
    {"email", "phone", "name", "address", "ip", "ip_address", "password", "value", "serial"}
)

Scalar = str | int | float | bool | None


class AuditDetailsError(ValueError):
    """Raised when an audit event would carry a personal value."""


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    broken_seq: int | None = None
    problem: str | None = None


def _secret(session: Session) -> bytes:
    secret = session.info.get("server_secret")
    if not isinstance(secret, str) or not secret:
        raise RuntimeError("session has no audit secret: create it through Database")
    return secret.encode()


def _check_details(details: Mapping[str, Any]) -> dict[str, Any]:
    for key, value in details.items():
        if key.lower() in PERSONAL_KEYS:
            raise AuditDetailsError(f"audit details may not carry personal field {key!r}")
        if isinstance(value, Mapping):
            _check_details(value)
    return dict(details)


def event_hash(event: AuditEvent) -> str:
    body = json.dumps(
        {
            "seq": event.seq,
            "at": event.occurred_at.isoformat(),
            "actor": event.actor,
            "action": event.action,
            "target": [event.target_type, event.target_id],
            "details": event.details,
            "prev": event.prev_hash,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def sign_head(secret: bytes, seq: int, digest: str) -> str:
    return hmac.new(secret, f"{seq}:{digest}".encode(), hashlib.sha256).hexdigest()


def ensure_head(*, session: Session) -> None:
    """Create the chain's genesis head if the log is new."""
    if session.get(AuditHead, HEAD_ID) is None:
        session.add(
            AuditHead(
                id=HEAD_ID, seq=0, hash=GENESIS, signature=sign_head(_secret(session), 0, GENESIS)
            )
        )
        session.flush()


def _locked_head(session: Session) -> AuditHead:
    """The chain head, locked for the rest of the caller's transaction.

    The first event of a transaction takes the lock and reads the head; later
    events of the same transaction reuse it, so a request that writes many events
    pays for the lock once and its events are inserted together at commit.
    """
    transaction = session.get_transaction()
    cached = session.info.get("audit_head")
    if cached is not None and cached[0] is transaction:
        head: AuditHead = cached[1]
        return head
    session.execute(
        update(AuditHead).where(AuditHead.id == HEAD_ID).values(id=HEAD_ID),
        execution_options={"synchronize_session": False},
    )
    found = session.execute(
        select(AuditHead).where(AuditHead.id == HEAD_ID).execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if found is None:
        ensure_head(session=session)
        found = session.get_one(AuditHead, HEAD_ID)
    session.info["audit_head"] = (transaction, found)
    return found


def record(
    *,
    session: Session,
    actor: str,
    action: str,
    target_type: str,
    target_id: str | int,
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain inside the caller's transaction."""
    clean = _check_details(details or {})
    head = _locked_head(session)
    event = AuditEvent(
        seq=head.seq + 1,
        occurred_at=utcnow(),
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        details=clean,
        prev_hash=head.hash,
    )
    event.hash = event_hash(event)
    session.add(event)
    head.seq, head.hash = event.seq, event.hash
    head.signature = sign_head(_secret(session), event.seq, event.hash)
    return event


def _events(session: Session, batch: int = 5000) -> Iterator[AuditEvent]:
    last = 0
    while True:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.seq > last).order_by(AuditEvent.seq).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq
        session.expunge_all()


def verify(*, session: Session) -> Verification:
    """Walk the whole chain and report the first broken link."""
    secret = _secret(session)
    expected_seq, prev, checked = 1, GENESIS, 0
    for event in _events(session):
        if event.seq != expected_seq:
            return Verification(False, checked, expected_seq, f"event {expected_seq} is missing")
        if event.prev_hash != prev:
            return Verification(
                False, checked, event.seq, f"event {event.seq} does not link to its predecessor"
            )
        if event_hash(event) != event.hash:
            return Verification(
                False, checked, event.seq, f"event {event.seq} was changed after it was written"
            )
        prev, expected_seq, checked = event.hash, expected_seq + 1, checked + 1
    head = session.get(AuditHead, HEAD_ID)
    last_seq = expected_seq - 1
    if head is None:
        return Verification(checked == 0, checked, None, None if checked == 0 else "head missing")
    if not hmac.compare_digest(head.signature, sign_head(secret, head.seq, head.hash)):
        return Verification(False, checked, head.seq, "the chain head's signature is invalid")
    if head.seq != last_seq or head.hash != prev:
        return Verification(
            False,
            checked,
            last_seq + 1,
            f"the chain ends at event {last_seq} but the signed head says {head.seq}",
        )
    return Verification(True, checked)


def recent(
    *, session: Session, limit: int = 100, before: int | None = None, action: str | None = None
) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(limit)
    if before is not None:
        query = query.where(AuditEvent.seq < before)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(session.scalars(query))
