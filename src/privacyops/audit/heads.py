"""Signed tree heads: what is signed, how a head is exported, and how it is checked.

The signed message names the format, the tree size, the root and the time in
milliseconds, so a head cannot be replayed as another size or moment.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from privacyops.audit import signing
from privacyops.audit.models import AuditTreeHead

FORMAT = "privacyops-audit-tree-head/v1"


class HeadFormatError(ValueError):
    """An exported tree head file that is not one."""


@dataclass(frozen=True)
class TreeHead:
    size: int
    root_hash: bytes
    timestamp_ms: int
    signature: bytes
    key_id: str

    @property
    def signed_at(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp_ms / 1000, tz=UTC)

    @classmethod
    def of(cls, row: AuditTreeHead) -> TreeHead:
        return cls(
            row.size, bytes(row.root_hash), row.timestamp_ms, bytes(row.signature), row.key_id
        )


def message(size: int, root_hash: bytes, timestamp_ms: int) -> bytes:
    return f"{FORMAT}\n{size}\n{root_hash.hex()}\n{timestamp_ms}\n".encode()


def sign(key: Ed25519PrivateKey, size: int, root_hash: bytes, timestamp_ms: int) -> TreeHead:
    signature = key.sign(message(size, root_hash, timestamp_ms))
    return TreeHead(size, root_hash, timestamp_ms, signature, signing.key_id(key.public_key()))


def signature_ok(head: TreeHead, key: Ed25519PublicKey) -> bool:
    return signing.check_signature(
        key, head.signature, message(head.size, head.root_hash, head.timestamp_ms)
    )


def latest(*, session: Session) -> TreeHead | None:
    row = session.scalars(
        select(AuditTreeHead).order_by(AuditTreeHead.size.desc()).limit(1)
    ).first()
    return TreeHead.of(row) if row is not None else None


def listing(*, session: Session, limit: int = 50, below: int | None = None) -> list[TreeHead]:
    query = select(AuditTreeHead).order_by(AuditTreeHead.size.desc()).limit(limit)
    if below is not None:
        query = query.where(AuditTreeHead.size < below)
    return [TreeHead.of(row) for row in session.scalars(query)]


def at_size(*, session: Session, size: int) -> TreeHead | None:
    row = session.get(AuditTreeHead, size)
    return TreeHead.of(row) if row is not None else None


def export(head: TreeHead, key: Ed25519PublicKey) -> dict[str, Any]:
    """The JSON document an auditor keeps outside the system."""
    return {
        "format": FORMAT,
        "tree_size": head.size,
        "root_hash": head.root_hash.hex(),
        "timestamp_ms": head.timestamp_ms,
        "timestamp": head.signed_at.isoformat(),
        "signature": base64.b64encode(head.signature).decode(),
        "public_key": signing.public_b64(key),
        "key_id": signing.key_id(key),
    }


def parse(document: Any) -> tuple[TreeHead, Ed25519PublicKey]:
    """An exported head and the public key it names; HeadFormatError if malformed."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise HeadFormatError(f"not a tree head: expected format {FORMAT!r}")
    try:
        size = document["tree_size"]
        stamp = document["timestamp_ms"]
        if not isinstance(size, int) or not isinstance(stamp, int) or size < 0:
            raise HeadFormatError("tree_size and timestamp_ms must be non-negative integers")
        root_hash = bytes.fromhex(document["root_hash"])
        signature = base64.b64decode(document["signature"], validate=True)
        key = signing.public_from_b64(document["public_key"])
    except KeyError as missing:
        raise HeadFormatError(f"tree head lacks {missing.args[0]!r}") from None
    except (ValueError, TypeError, signing.SigningKeyError) as error:
        raise HeadFormatError(f"tree head is malformed: {error}") from None
    if len(root_hash) != 32 or len(signature) != 64:
        raise HeadFormatError("root_hash must be 32 bytes and signature 64 bytes")
    return TreeHead(size, root_hash, stamp, signature, signing.key_id(key)), key
