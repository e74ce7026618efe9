"""API shapes for the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class AuditEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    seq: int | None
    pending: bool
    occurred_at: datetime
    actor: str
    action: str
    target_type: str
    target_id: str
    details: dict[str, Any]


class VerificationOut(BaseModel):
    ok: bool
    checked: int
    broken_seq: int | None
    problem: str | None
    broken_head: int | None
    tree_size: int
    heads_checked: int
    pending: int
    signatures_checked: bool


class TreeHeadOut(BaseModel):
    format: str
    tree_size: int
    root_hash: str
    timestamp_ms: int
    timestamp: str
    """ISO 8601 UTC, as in the exported file (the signature covers timestamp_ms)."""
    signature: str
    public_key: str
    key_id: str


class LogStatusOut(BaseModel):
    tree_size: int
    pending: int
    latest: TreeHeadOut | None


class InclusionProofOut(BaseModel):
    event_id: int
    seq: int
    leaf_index: int
    tree_size: int
    leaf_data: str
    leaf_hash: str
    audit_path: list[str]
    root_hash: str


class ConsistencyProofOut(BaseModel):
    old_size: int
    new_size: int
    old_root: str
    new_root: str
    proof: list[str]


class PublicKeyOut(BaseModel):
    public_key: str
    key_id: str
    pem: str


class SequencedOut(BaseModel):
    sequenced: int
    tree_size: int
    pending: int
