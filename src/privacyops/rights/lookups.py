"""Reading rights requests for the console and the status page.

The requester reaches a request only with its status token
(``<request id>.<secret>``; only the secret's SHA-256 is stored), sent by
e-mail and shown once at intake. Request ids are readable references
(``R-2026-000123``), so they are never enough on their own.

Every function takes the caller's ``session`` and never commits.
"""

from __future__ import annotations

import hmac
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from privacyops.audit import service as audit
from privacyops.rights.common import DETAILS_CATEGORY, RightsError, _token_hash
from privacyops.rights.deadlines import OPEN_STATUSES, effective_due, status_of
from privacyops.rights.models import (
    AccessPackage,
    RequestNote,
    RequestStatus,
    RequestStep,
    RightsRequest,
)
from privacyops.vault.errors import VaultError
from privacyops.vault.service import Vault

__all__ = [
    "deadline_status",
    "details_of",
    "due_of",
    "find_by_token",
    "get",
    "package_of",
    "queue",
    "steps_of",
    "timeline",
]


def get(*, session: Session, request_id: str, for_update: bool = False) -> RightsRequest:
    request = session.get(RightsRequest, request_id, with_for_update=for_update)
    if request is None:
        raise RightsError(f"no request {request_id!r}", code="not_found", field="request_id")
    return request


def find_by_token(
    *, session: Session, token: str, request_id: str | None = None, for_update: bool = False
) -> RightsRequest:
    """The request a status token opens; with ``request_id``, only if it is that request.

    Unknown ids, wrong secrets and another request's token all get the same
    ``not_found``, so the answer tells nothing about other requests.
    """
    found_id, _, secret = token.strip().partition(".")
    refused = RightsError("no request matches this link", code="not_found", field="token")
    if not secret or len(found_id) > 20 or (request_id is not None and found_id != request_id):
        raise refused
    request = session.get(RightsRequest, found_id, with_for_update=for_update)
    if request is None or not hmac.compare_digest(_token_hash(secret), request.status_token_hash):
        raise refused
    return request


def queue(*, session: Session, status: str = "open", limit: int = 500) -> list[RightsRequest]:
    """The console's queue: open requests by (extended) due date, or all/closed ones."""
    due = func.coalesce(RightsRequest.extended_due_at, RightsRequest.due_at)
    query = select(RightsRequest)
    if status == "open":
        query = query.where(RightsRequest.status.in_(OPEN_STATUSES)).order_by(due, RightsRequest.id)
    elif status == "closed":
        query = query.where(RightsRequest.status.not_in(OPEN_STATUSES)).order_by(
            RightsRequest.closed_at.desc(), RightsRequest.id
        )
    elif status == "all":
        query = query.order_by(due, RightsRequest.id)
    elif status in {s.value for s in RequestStatus}:
        query = query.where(RightsRequest.status == status).order_by(due, RightsRequest.id)
    else:
        raise RightsError(
            "status must be open, closed, all or a request status", code="invalid", field="status"
        )
    return list(session.scalars(query.limit(max(1, min(limit, 5000)))))


def deadline_status(request: RightsRequest, now: datetime) -> str:
    return status_of(request, now)


def due_of(request: RightsRequest) -> datetime:
    return effective_due(request)


def timeline(*, session: Session, request_id: str) -> list[RequestNote]:
    return list(
        session.scalars(
            select(RequestNote)
            .where(RequestNote.request_id == request_id)
            .order_by(RequestNote.at, RequestNote.id)
        )
    )


def steps_of(*, session: Session, request_id: str) -> list[RequestStep]:
    return list(
        session.scalars(
            select(RequestStep)
            .where(RequestStep.request_id == request_id)
            .order_by(RequestStep.position)
        )
    )


def package_of(*, session: Session, request_id: str) -> AccessPackage | None:
    return session.scalar(select(AccessPackage).where(AccessPackage.request_id == request_id))


def details_of(*, session: Session, vault: Vault, request: RightsRequest, actor: str) -> str | None:
    """The requester's free text, decrypted for staff allowed to read personal values (audited)."""
    if request.details_ciphertext is None:
        return None
    try:
        text = vault.decrypt_text(
            session=session,
            subject_id=request.subject_id,
            category=DETAILS_CATEGORY,
            field=f"{request.id}:details",
            ciphertext=request.details_ciphertext,
        )
    except VaultError:
        return None
    audit.record(
        session=session,
        actor=actor,
        action="rights.details_read",
        target_type="rights_request",
        target_id=request.id,
    )
    return text
