"""Confirming a requester's identity: a code by e-mail, a second data point, or staff.

The codes, the sealed contact and the matching of data points are
``rights.verification``; this module applies them to a request and records
the outcome.

Every function takes the caller's ``session`` and never commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from privacyops.db import utcnow
from privacyops.rights import verification as checks
from privacyops.rights.common import SYSTEM, RightsError, _audit, _note
from privacyops.rights.lookups import get
from privacyops.rights.messages import _address, _send
from privacyops.rights.models import RequestStatus, RightsRequest, VerificationLevel
from privacyops.rights.verification import SecondPoint, VerificationError
from privacyops.subjects.models import PersonalRecord
from privacyops.vault.blind_index import IdentityKind
from privacyops.vault.service import Vault

__all__ = ["send_code", "staff_verify", "verify"]


def _issue(
    session: Session, vault: Vault, request: RightsRequest, now: datetime, to: str | None
) -> bool:
    if to is None:
        _note(
            session,
            request,
            SYSTEM,
            "verification",
            "No e-mail address on file to send a code to: staff must verify the requester.",
        )
        return False
    code, row = checks.issue_code(session=session, vault=vault, request_id=request.id, now=now)
    _send(
        session,
        vault,
        request,
        to=to,
        template="verification_code",
        key=f"code:{row.id}",
        context={"expires_at": row.expires_at, "request_id": request.id},
        secret={"code": code},
    )
    _audit(session, SYSTEM, "verification_code_sent", request, code_id=row.id)
    return True


def send_code(
    *, session: Session, vault: Vault, request: RightsRequest, now: datetime | None = None
) -> bool:
    """A fresh code for a request waiting for verification (rate-limited)."""
    if request.status != RequestStatus.PENDING_VERIFICATION:
        raise RightsError("this request does not need a code", code="conflict", field=None)
    try:
        return _issue(session, vault, request, now or utcnow(), _address(session, vault, request))
    except VerificationError as error:
        raise RightsError(str(error), code=error.code, field=error.field) from None


def _has_personal_data(session: Session, subject_id: str) -> bool:
    return (
        session.scalar(
            select(PersonalRecord.id).where(PersonalRecord.subject_id == subject_id).limit(1)
        )
        is not None
    )


def verify(
    *,
    session: Session,
    vault: Vault,
    request: RightsRequest,
    code: str,
    second: SecondPoint | None = None,
    now: datetime | None = None,
) -> RightsRequest:
    """Check the code (and the second data point a reasonably high degree needs).

    A wrong answer is counted before the refusal is raised: the face commits
    before it answers, so attempts cannot be rolled back by failing.
    """
    moment = now or utcnow()
    if request.status != RequestStatus.PENDING_VERIFICATION:
        raise RightsError(f"this request is {request.status}; nothing to verify", field=None)
    if (request.facts or {}).get("awaiting_staff"):
        raise RightsError("our team is verifying this request; no code is needed now", field=None)
    points = [f"{'email' if request.contact_kind == 'email' else 'email_on_file'}_code"]
    if request.contact_kind != IdentityKind.EMAIL and not request.facts.get("new_subject"):
        points.append(request.contact_kind)  # the number given is one the subject holds
    high = request.verification_level == VerificationLevel.REASONABLY_HIGH
    given = second is not None and bool(second.value.strip()) and second.kind not in points
    if high and len(points) < 2 and not given:
        on_file = checks.second_kinds_on_file(
            session=session, subject_id=request.subject_id, besides=request.contact_kind
        )
        if on_file:  # asked before the code is checked, so the code stays usable
            raise RightsError(
                "this request also needs a second identifier: your phone number, account id "
                "or device serial",
                code="invalid",
                field="second_value",
            )
    matched = None
    if given and second is not None:
        try:
            matched = checks.matches_identity(
                session=session, vault=vault, subject_id=request.subject_id, point=second
            )
        except VerificationError as error:
            raise RightsError(str(error), code="invalid", field=error.field) from None
    try:
        used = checks.check_code(
            session=session, vault=vault, request_id=request.id, code=code, now=moment
        )
    except VerificationError as error:
        _audit(session, "requester", "verification_failed", request, reason=error.code)
        raise RightsError(str(error), code=error.code, field=error.field) from None
    if matched and second is not None:
        points.append(second.kind)
    elif matched is False:
        used.attempts += 1  # the code is used up: a new one is needed for the next try
        _audit(session, "requester", "verification_failed", request, reason="second_point")
        raise RightsError(
            "the code was right but the second identifier does not match; ask for a new code",
            code="invalid",
            field="second_value",
        )
    facts = dict(request.facts or {})
    if high and len(points) < 2:
        if facts.get("new_subject") and not _has_personal_data(session, request.subject_id):
            points.append("no_data_held")
        else:
            facts["awaiting_staff"] = True
            facts["verified_with"] = points
            request.facts = facts
            _note(
                session,
                request,
                SYSTEM,
                "verification",
                "Code confirmed; no second identifier is on file, so staff must confirm a "
                "second data point.",
            )
            _audit(session, "requester", "verification_partial", request, points=points)
            session.flush()
            return request
    facts["verified_with"] = points
    request.facts = facts
    request.status = RequestStatus.VERIFIED.value
    request.verified_at = moment
    _note(session, request, "requester", "verified", f"Verified with {', '.join(points)}.")
    _audit(session, "requester", "verified", request, points=points)
    session.flush()
    return request


def staff_verify(
    *, session: Session, request_id: str, actor: str, method: str, now: datetime | None = None
) -> RightsRequest:
    """Staff confirm the requester's identity by other means (a call, a document); recorded."""
    request = get(session=session, request_id=request_id, for_update=True)
    if request.status != RequestStatus.PENDING_VERIFICATION:
        raise RightsError(f"request {request.id} is {request.status}; nothing to verify")
    text = method.strip()
    if not 5 <= len(text) <= 500:
        raise RightsError(
            "say how the identity was checked (5 to 500 characters)", code="invalid", field="method"
        )
    facts = dict(request.facts or {})
    facts.pop("awaiting_staff", None)
    facts["verified_with"] = [*facts.get("verified_with", []), "staff"]
    request.facts = facts
    request.status = RequestStatus.VERIFIED.value
    request.verified_at = now or utcnow()
    _note(session, request, actor, "verified", f"Verified by staff: {text}")
    _audit(session, actor, "verified_by_staff", request)
    session.flush()
    return request
