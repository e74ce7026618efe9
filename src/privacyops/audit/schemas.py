"""API shapes for the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class AuditEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    seq: int
    occurred_at: datetime
    actor: str
    action: str
    target_type: str
    target_id: str
    details: dict[str, Any]
    prev_hash: str
    hash: str


class VerificationOut(BaseModel):
    ok: bool
    checked: int
    broken_seq: int | None
    problem: str | None
