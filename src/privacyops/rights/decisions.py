"""Staff decisions on open requests (approve, deny, extend, notes, reviewed corrections)
and the expiry of requests never verified.

For periodic jobs and audits:

- ``expire_unverified(session=, vault=, now=)``: close requests that were not
  verified within ``verification.VERIFY_WITHIN_DAYS`` and queue the notice.
- ``deadlines.overdue_requests(session=, now=)``: open requests past their due date.

Every function takes the caller's ``session`` and never commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from privacyops.db import utcnow
from privacyops.jurisdictions import service as jurisdictions
from privacyops.policy.schema import Declaration
from privacyops.rights import executors
from privacyops.rights import verification as checks
from privacyops.rights.common import SYSTEM, RightsError, _audit, _note
from privacyops.rights.deadlines import OPEN_STATUSES, DeadlineError
from privacyops.rights.deadlines import extend as extend_due
from privacyops.rights.executors import ExecutionError
from privacyops.rights.lookups import get
from privacyops.rights.messages import (
    _address,
    _address_for_closing,
    _close_contact,
    _completed_notice,
    _send,
)
from privacyops.rights.models import RequestNote, RequestStatus, RequestType, RightsRequest
from privacyops.settings import Settings
from privacyops.vault.service import Vault

__all__ = [
    "add_note",
    "approve",
    "close_answered",
    "deny",
    "expire_unverified",
    "extend",
    "submit_corrections",
]


def _open(session: Session, request_id: str) -> RightsRequest:
    request = get(session=session, request_id=request_id, for_update=True)
    if request.status not in OPEN_STATUSES:
        raise RightsError(f"request {request.id} is {request.status}", field=None)
    return request


def _reason(reason: str, field: str = "reason") -> str:
    text = reason.strip()
    if not 5 <= len(text) <= 2000:
        raise RightsError("give the reason in 5 to 2000 characters", code="invalid", field=field)
    return text


def approve(*, session: Session, request_id: str, actor: str, reason: str) -> RightsRequest:
    """Staff approve a verified request; an inquiry is closed as answered.

    The face then calls ``run`` for the other types (same unit of work).
    """
    request = _open(session, request_id)
    text = _reason(reason)
    if request.status == RequestStatus.PENDING_VERIFICATION:
        raise RightsError("verify the requester first", field=None)
    if request.type == RequestType.CORRECTION and not (request.facts or {}).get(
        "corrections_reviewed_by"
    ):
        raise RightsError("submit the reviewed corrections first", field="corrections")
    facts = {**(request.facts or {}), "approved_by": actor}
    request.facts = facts
    _note(session, request, actor, "approved", f"Approved: {text}")
    _audit(session, actor, "approved", request, type=request.type)
    if request.type == RequestType.INQUIRY:
        request.status = RequestStatus.COMPLETED.value
        request.closed_at = utcnow()
        request.decision_reason = text
        request.facts = {**facts, "outcome": {"summary": "inquiry answered", "kept": []}}
    session.flush()
    return request


def close_answered(
    *, session: Session, vault: Vault, settings: Settings, request: RightsRequest
) -> None:
    """After ``approve`` closed an inquiry: the requester's notice."""
    if request.status == RequestStatus.COMPLETED and not (request.facts or {}).get("final_notice"):
        _completed_notice(session, vault, settings, request, None)
        session.flush()


def deny(
    *,
    session: Session,
    vault: Vault,
    settings: Settings,
    request_id: str,
    actor: str,
    reason: str,
) -> RightsRequest:
    """Staff deny a request with a reason; the requester is told it, and where to complain
    (GDPR art. 12(4), PIPL art. 50), by e-mail and on the status page."""
    request = _open(session, request_id)
    text = _reason(reason)
    if request.status == RequestStatus.IN_PROGRESS:
        raise RightsError("execution has started; finish it instead of denying", field=None)
    request.status = RequestStatus.DENIED.value
    request.closed_at = utcnow()
    request.decision_reason = text
    try:
        regulator = jurisdictions.get_regime(request.regime).regulator
    except jurisdictions.UnknownRegimeError:
        regulator = jurisdictions.regime_for(
            country=request.country, state=request.region_code
        ).regulator
    context: dict[str, Any] = {
        "request_id": request.id,
        "request_type": request.type,
        "reason": text,
        "authority": regulator.name,
        "privacy_center_url": f"{settings.public_url}/rights",
    }
    if regulator.website:
        context["authority_url"] = str(regulator.website)
    _send(
        session,
        vault,
        request,
        to=_address_for_closing(session, vault, request),
        template="request_denied",
        key="denied",
        context=context,
    )
    _close_contact(request)
    _note(session, request, actor, "denied", f"Denied: {text}")
    _audit(session, actor, "denied", request, type=request.type)
    session.flush()
    return request


def extend(
    *,
    session: Session,
    vault: Vault,
    settings: Settings,
    request_id: str,
    actor: str,
    reason: str,
    until: datetime | None = None,
    now: datetime | None = None,
) -> RightsRequest:
    """Extend the deadline once, before it passes, and tell the requester why."""
    request = _open(session, request_id)
    moment = now or utcnow()
    try:
        new_due = extend_due(request=request, reason=reason, now=moment, until=until)
    except DeadlineError as error:
        raise RightsError(str(error), code=error.code, field=error.field) from None
    _note(
        session,
        request,
        actor,
        "extended",
        f"Extended to {new_due:%Y-%m-%d}: {request.extension_reason}",
    )
    _audit(session, actor, "extended", request, new_due_at=new_due.isoformat())
    _send(
        session,
        vault,
        request,
        to=_address(session, vault, request),
        template="request_extended",
        key="extended",
        context={
            "request_id": request.id,
            "new_due_date": new_due.date(),
            "reason": request.extension_reason,
        },
    )
    session.flush()
    return request


def add_note(*, session: Session, request_id: str, actor: str, text: str) -> RequestNote:
    request = get(session=session, request_id=request_id)
    body = text.strip()
    if not 1 <= len(body) <= 5000:
        raise RightsError("a note has 1 to 5000 characters", code="invalid", field="text")
    note = RequestNote(request_id=request.id, at=utcnow(), author=actor, kind="note", text=body)
    session.add(note)
    _audit(session, actor, "note_added", request)
    session.flush()
    return note


def submit_corrections(
    *,
    session: Session,
    vault: Vault,
    declaration: Declaration,
    request_id: str,
    corrections: Mapping[str, Mapping[str, object]],
    actor: str,
) -> dict[str, list[str]]:
    try:
        return executors.submit_corrections(
            session=session,
            vault=vault,
            declaration=declaration,
            request_id=request_id,
            corrections=corrections,
            reviewed_by=actor,
        )
    except ExecutionError as error:
        raise RightsError(str(error), code=error.code, field=error.field) from None


def expire_unverified(
    *, session: Session, vault: Vault, now: datetime, settings: Settings | None = None
) -> list[str]:
    """Close requests still unverified ``VERIFY_WITHIN_DAYS`` after receipt; tell the requester.

    Idempotent: an expired request is not touched again. Returns the ids closed.
    """
    cutoff = now - timedelta(days=checks.VERIFY_WITHIN_DAYS)
    stale = list(
        session.scalars(
            select(RightsRequest)
            .where(
                RightsRequest.status == RequestStatus.PENDING_VERIFICATION.value,
                RightsRequest.received_at < cutoff,
            )
            .order_by(RightsRequest.received_at)
            .with_for_update()
        )
    )
    for request in stale:
        context: dict[str, Any] = {"request_id": request.id, "received_at": request.received_at}
        if settings is not None:
            context["privacy_center_url"] = f"{settings.public_url}/rights"
        _send(
            session,
            vault,
            request,
            to=_address_for_closing(session, vault, request),
            template="request_expired",
            key="expired",
            context=context,
        )
        request.status = RequestStatus.EXPIRED.value
        request.closed_at = now
        _close_contact(request)
        _note(
            session,
            request,
            SYSTEM,
            "expired",
            f"Closed: not verified within {checks.VERIFY_WITHIN_DAYS} days.",
        )
        _audit(session, SYSTEM, "expired", request, type=request.type)
    session.flush()
    return [r.id for r in stale]
