"""What a leaf of the log is: the canonical bytes of one event."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from privacyops.audit import merkle
from privacyops.audit.models import AuditEvent


def leaf_data_of(
    *,
    event_id: int,
    occurred_at: datetime,
    actor: str,
    action: str,
    target_type: str,
    target_id: str,
    details: dict[str, Any],
) -> bytes:
    body = {
        "id": event_id,
        "at": occurred_at.isoformat(),
        "actor": actor,
        "action": action,
        "target": [target_type, target_id],
        "details": details,
    }
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return text.encode()


def leaf_data(event: AuditEvent) -> bytes:
    return leaf_data_of(
        event_id=event.id,
        occurred_at=event.occurred_at,
        actor=event.actor,
        action=event.action,
        target_type=event.target_type,
        target_id=event.target_id,
        details=event.details,
    )


def leaf_hash(event: AuditEvent) -> bytes:
    return merkle.leaf_hash(leaf_data(event))
