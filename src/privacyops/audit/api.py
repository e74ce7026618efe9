"""JSON routes: the events, the signed tree heads, proofs, the public key, verification."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from privacyops.audit import heads, proofs, sequencer, service, signing, tree
from privacyops.audit.schemas import (
    AuditEventOut,
    ConsistencyProofOut,
    InclusionProofOut,
    LogStatusOut,
    PublicKeyOut,
    SequencedOut,
    TreeHeadOut,
    VerificationOut,
)
from privacyops.errors import AppError
from privacyops.settings import Settings
from privacyops.staff.permissions import Permission
from privacyops.web.deps import SessionDep, SettingsDep, require

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])

STATUS_OF_FIELD = {"event_id": 404, "old_size": 422, "new_size": 422}


def _public(settings: Settings) -> Ed25519PublicKey:
    try:
        return signing.public_key(settings.key_dir)
    except signing.SigningKeyError as error:
        raise AppError(503, f"the audit signing key is unavailable: {error}") from None


def _refused(error: proofs.ProofRequestError) -> AppError:
    status = STATUS_OF_FIELD.get(error.field, 422)
    if "pending" in str(error) or "no signed tree head" in str(error):
        status = 409
    return AppError(status, str(error), field=error.field)


@router.get(
    "/events", dependencies=[require(Permission.AUDIT_READ).dep], response_model=list[AuditEventOut]
)
def list_events(
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before: Annotated[int | None, Query(ge=1, description="page: the smallest id seen")] = None,
    action: Annotated[str | None, Query(max_length=80)] = None,
    pending: Annotated[bool | None, Query(description="only pending, or only sequenced")] = None,
) -> list[AuditEventOut]:
    """Newest first by insert id; pending events have no `seq` yet."""
    events = service.recent(
        session=session, limit=limit, before=before, action=action, pending=pending
    )
    return [AuditEventOut.model_validate(e) for e in events]


@router.get(
    "/verify", dependencies=[require(Permission.AUDIT_VERIFY).dep], response_model=VerificationOut
)
def verify(session: SessionDep, settings: SettingsDep) -> VerificationOut:
    result = service.verify(session=session, public_key=_public(settings))
    fields = asdict(result)
    fields.pop("exported_checked")
    return VerificationOut(**fields)


@router.get("/log", dependencies=[require(Permission.AUDIT_READ).dep], response_model=LogStatusOut)
def log_status(session: SessionDep, settings: SettingsDep) -> LogStatusOut:
    """Tree size, pending count and the latest signed tree head."""
    head = heads.latest(session=session)
    latest = TreeHeadOut(**heads.export(head, _public(settings))) if head is not None else None
    return LogStatusOut(
        tree_size=tree.tree_size(session=session),
        pending=sequencer.pending_count(session=session),
        latest=latest,
    )


@router.get(
    "/heads", dependencies=[require(Permission.AUDIT_READ).dep], response_model=list[TreeHeadOut]
)
def list_heads(
    session: SessionDep,
    settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    below: Annotated[int | None, Query(ge=1, description="page: the smallest size seen")] = None,
) -> list[TreeHeadOut]:
    """Signed tree heads, newest (largest) first."""
    key = _public(settings)
    found = heads.listing(session=session, limit=limit, below=below)
    return [TreeHeadOut(**heads.export(h, key)) for h in found]


def _latest_document(session: SessionDep, settings: Settings) -> dict[str, Any]:
    head = heads.latest(session=session)
    if head is None:
        raise AppError(409, "no tree head yet: sequence the log first")
    return heads.export(head, _public(settings))


@router.get(
    "/heads/latest", dependencies=[require(Permission.AUDIT_READ).dep], response_model=TreeHeadOut
)
def latest_head(session: SessionDep, settings: SettingsDep) -> TreeHeadOut:
    return TreeHeadOut(**_latest_document(session, settings))


@router.get("/heads/latest/export", dependencies=[require(Permission.AUDIT_READ).dep])
def export_head(session: SessionDep, settings: SettingsDep) -> Response:
    """The latest tree head as a file an auditor keeps outside the system."""
    document = _latest_document(session, settings)
    name = f"audit-tree-head-{document['tree_size']}.json"
    return Response(
        json.dumps(document, indent=2) + "\n",
        media_type="application/json",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


@router.get(
    "/proof/{event_id}",
    dependencies=[require(Permission.AUDIT_READ).dep],
    response_model=InclusionProofOut,
)
def inclusion_proof(session: SessionDep, event_id: Annotated[int, Path(ge=1)]) -> InclusionProofOut:
    """Inclusion proof of an event against the latest tree head (RFC 9162 audit path)."""
    try:
        return InclusionProofOut(**proofs.inclusion_document(session=session, event_id=event_id))
    except proofs.ProofRequestError as error:
        raise _refused(error) from None


@router.get(
    "/consistency",
    dependencies=[require(Permission.AUDIT_READ).dep],
    response_model=ConsistencyProofOut,
)
def consistency_proof(
    session: SessionDep,
    old_size: Annotated[int, Query(ge=1)],
    new_size: Annotated[int, Query(ge=1)],
) -> ConsistencyProofOut:
    """Proof that the tree of `old_size` is a prefix of the tree of `new_size`."""
    try:
        document = proofs.consistency_document(
            session=session, old_size=old_size, new_size=new_size
        )
    except proofs.ProofRequestError as error:
        raise _refused(error) from None
    return ConsistencyProofOut(**document)


@router.get(
    "/public-key", dependencies=[require(Permission.AUDIT_READ).dep], response_model=PublicKeyOut
)
def public_key(settings: SettingsDep) -> PublicKeyOut:
    key = _public(settings)
    return PublicKeyOut(
        public_key=signing.public_b64(key), key_id=signing.key_id(key), pem=signing.public_pem(key)
    )


@router.post(
    "/sequence", dependencies=[require(Permission.AUDIT_VERIFY).dep], response_model=SequencedOut
)
def sequence(session: SessionDep, settings: SettingsDep) -> SequencedOut:
    """Sequence one batch of pending events now (the periodic job does it every few seconds)."""
    try:
        key = signing.signing_key(settings.key_dir)
    except signing.SigningKeyError as error:
        raise AppError(503, f"the audit signing key is unavailable: {error}") from None
    done = sequencer.sequence_batch(session=session, key=key)
    return SequencedOut(
        sequenced=done.sequenced,
        tree_size=done.tree_size,
        pending=sequencer.pending_count(session=session),
    )
