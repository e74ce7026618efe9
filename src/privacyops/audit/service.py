"""Append to and read the audit log.

``record`` only inserts the event row inside the caller's transaction: no shared
lock, no read of a head, so writers of every process append in parallel. The
event stays pending (``seq`` NULL) until the sequencer puts it into the Merkle
tree and signs a tree head over it (see ``sequencer``); ``verify`` re-checks it all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from privacyops.audit.leaves import leaf_hash
from privacyops.audit.models import AuditEvent
from privacyops.audit.sequencer import pending_count
from privacyops.audit.verify import Verification, verify
from privacyops.db import utcnow

__all__ = [
    "PERSONAL_KEYS",
    "AuditDetailsError",
    "Verification",
    "leaf_hash",
    "pending_count",
    "recent",
    "record",
    "verify",
]

#: Keys that would carry a personal value; details name things, they never copy them.
PERSONAL_KEYS = frozenset(
    {"email", "phone", "name", "address", "ip", "ip_address", "password", "value", "serial"}
)


class AuditDetailsError(ValueError):
    """Raised when an audit event would carry a personal value."""


def _check_details(details: Mapping[str, Any]) -> dict[str, Any]:
    for key, value in details.items():
        if key.lower() in PERSONAL_KEYS:
            raise AuditDetailsError(f"audit details may not carry personal field {key!r}")
        if isinstance(value, Mapping):
            _check_details(value)
    return dict(details)


def record(
    *,
    session: Session,
    actor: str,
    action: str,
    target_type: str,
    target_id: str | int,
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Add one pending event to the caller's transaction (inserted at its next flush)."""
    event = AuditEvent(
        occurred_at=utcnow(),
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        details=_check_details(details or {}),
    )
    session.add(event)
    return event


def recent(
    *,
    session: Session,
    limit: int = 100,
    before: int | None = None,
    action: str | None = None,
    pending: bool | None = None,
) -> list[AuditEvent]:
    """Newest first by insert id; ``before`` pages by that id."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if before is not None:
        query = query.where(AuditEvent.id < before)
    if action:
        query = query.where(AuditEvent.action == action)
    if pending is not None:
        query = query.where(AuditEvent.seq.is_(None) if pending else AuditEvent.seq.is_not(None))
    return list(session.scalars(query))
