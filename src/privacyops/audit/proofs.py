"""Proof documents (JSON) for one event or between two sizes, as the CLI and API give them."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from privacyops.audit import heads, merkle, tree
from privacyops.audit.leaves import leaf_data
from privacyops.audit.models import AuditEvent
from privacyops.web.i18n import N_, RefusalError


class ProofRequestError(RefusalError):
    """A proof asked for an unknown event or an impossible size."""

    def __init__(self, message: str, field: str, **values: object) -> None:
        super().__init__(message, **values)
        self.field = field


def latest_or_fail(session: Session) -> heads.TreeHead:
    head = heads.latest(session=session)
    if head is None or head.size == 0:
        raise ProofRequestError(N_("the log has no signed tree head with events yet"), "event_id")
    return head


def inclusion_document(*, session: Session, event_id: int) -> dict[str, Any]:
    """The inclusion proof of an event against the latest tree head."""
    event = session.get(AuditEvent, event_id)
    if event is None:
        raise ProofRequestError(N_("no audit event {event_id}"), "event_id", event_id=event_id)
    if event.seq is None:
        raise ProofRequestError(
            N_("audit event {event_id} is pending: run the sequencer first"),
            "event_id",
            event_id=event_id,
        )
    head = latest_or_fail(session)
    try:
        proof = tree.inclusion(session=session, event=event, size=head.size)
    except (merkle.ProofError, tree.MissingNodeError) as error:
        raise ProofRequestError(str(error), "event_id") from None
    return {
        "event_id": event.id,
        "seq": proof.seq,
        "leaf_index": proof.leaf_index,
        "tree_size": proof.tree_size,
        "leaf_data": leaf_data(event).decode(),
        "leaf_hash": proof.leaf_hash.hex(),
        "audit_path": [h.hex() for h in proof.path],
        "root_hash": head.root_hash.hex(),
    }


def consistency_document(*, session: Session, old_size: int, new_size: int) -> dict[str, Any]:
    size = tree.tree_size(session=session)
    if old_size < 1:
        raise ProofRequestError(N_("old_size must be at least 1"), "old_size")
    if new_size > size:
        raise ProofRequestError(
            N_("new_size {new_size} is beyond the tree of {size}"),
            "new_size",
            new_size=new_size,
            size=size,
        )
    if old_size > new_size:
        raise ProofRequestError(N_("old_size may not exceed new_size"), "old_size")
    try:
        hashes = tree.consistency(session=session, old_size=old_size, new_size=new_size)
        old_root = tree.root_at(session=session, size=old_size)
        new_root = tree.root_at(session=session, size=new_size)
    except tree.MissingNodeError as error:
        raise ProofRequestError(str(error), "old_size") from None
    return {
        "old_size": old_size,
        "new_size": new_size,
        "old_root": old_root.hex(),
        "new_root": new_root.hex(),
        "proof": [h.hex() for h in hashes],
    }


def check_document_consistency(document: dict[str, Any]) -> bool:
    return merkle.verify_consistency(
        old_size=document["old_size"],
        new_size=document["new_size"],
        old_root=bytes.fromhex(document["old_root"]),
        new_root=bytes.fromhex(document["new_root"]),
        proof=[bytes.fromhex(h) for h in document["proof"]],
    )


def check_document_inclusion(document: dict[str, Any]) -> bool:
    return merkle.verify_inclusion(
        index=document["leaf_index"],
        size=document["tree_size"],
        leaf=bytes.fromhex(document["leaf_hash"]),
        proof=[bytes.fromhex(h) for h in document["audit_path"]],
        root_hash=bytes.fromhex(document["root_hash"]),
    )
