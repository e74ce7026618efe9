"""Requests from courts, regulators and police: recorded, decided, answered. Never commits.

Staff record who asks, on which legal basis and for what; the privacy
officer (``requests.manage``) approves or refuses, and decides whether the
person may be told (an authority may forbid it, PIPL art. 18); the person
who recorded a request cannot decide it. Only an approved request can be
answered, and the answer goes through ``service.disclose`` to the declared
``legal_compliance`` recipient, so it is checked and logged like any other
disclosure and appears in the person's accounting.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from privacyops.audit import service as audit
from privacyops.db import utcnow
from privacyops.disclosures.models import AuthorityRequest, AuthorityStatus, Disclosure
from privacyops.disclosures.service import DisclosureError, disclose
from privacyops.policy.schema import Declaration
from privacyops.subjects import service as subjects
from privacyops.subjects.errors import SubjectNotFoundError
from privacyops.vault.service import Vault

PURPOSE = "legal_obligations"
BASIS = "legal_obligation"


def _text(field: str, raw: str, limit: int) -> str:
    text = raw.strip()
    if not text or len(text) > limit:
        raise DisclosureError(f"{field} must be 1 to {limit} characters", field=field)
    return text


def record_request(
    *,
    session: Session,
    authority: str,
    country: str,
    legal_basis: str,
    scope: str,
    subject_id: str | None,
    actor: str,
) -> AuthorityRequest:
    code = country.strip().upper()
    if len(code) != 2 or not code.isalpha():
        raise DisclosureError("country must be an ISO 3166 alpha-2 code", field="country")
    if subject_id:
        try:
            subjects.get_subject(session=session, subject_id=subject_id)
        except SubjectNotFoundError:
            raise DisclosureError("no such data subject", field="subject_id", status=404) from None
    row = AuthorityRequest(
        authority=_text("authority", authority, 200),
        country=code,
        legal_basis=_text("legal_basis", legal_basis, 2000),
        scope=_text("scope", scope, 4000),
        subject_id=subject_id or None,
        status=AuthorityStatus.PENDING.value,
        recorded_by=actor,
        recorded_at=utcnow(),
    )
    session.add(row)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="authority_request.recorded",
        target_type="authority_request",
        target_id=row.id,
        details={"country": code, "subject_id": row.subject_id},
    )
    return row


def get_request(session: Session, request_id: int, *, for_update: bool = False) -> AuthorityRequest:
    row = session.get(AuthorityRequest, request_id, with_for_update=for_update)
    if row is None:
        raise DisclosureError("no such authority request", field="request_id", status=404)
    return row


def decide(
    *,
    session: Session,
    request_id: int,
    approve: bool,
    note: str,
    may_tell_subject: bool,
    no_notice_reason: str,
    actor: str,
) -> AuthorityRequest:
    row = get_request(session, request_id, for_update=True)
    if row.status != AuthorityStatus.PENDING:
        raise DisclosureError("this request was already decided", field="request_id", status=409)
    if row.recorded_by == actor:
        raise DisclosureError(
            "the person who recorded a request cannot decide it", field="request_id", status=403
        )
    row.decision_note = _text("note", note, 4000)
    row.may_tell_subject = may_tell_subject
    if not may_tell_subject:
        row.no_notice_reason = _text("no_notice_reason", no_notice_reason, 2000)
    row.status = (AuthorityStatus.APPROVED if approve else AuthorityStatus.REFUSED).value
    row.decided_by, row.decided_at = actor, utcnow()
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="authority_request.decided",
        target_type="authority_request",
        target_id=row.id,
        details={"status": row.status, "may_tell_subject": may_tell_subject},
    )
    return row


def answer(
    *,
    session: Session,
    vault: Vault,
    declaration: Declaration,
    request_id: int,
    categories: Sequence[str],
    actor: str,
) -> Disclosure:
    """Disclose what an approved request asks for, through the one door."""
    row = get_request(session, request_id, for_update=True)
    if row.status not in (AuthorityStatus.APPROVED, AuthorityStatus.DISCLOSED):
        raise DisclosureError(
            "only an approved request can be answered", field="request_id", status=409
        )
    if row.subject_id is None:
        raise DisclosureError("the request names no data subject", field="subject_id")
    recipient = next(
        (r.key for r in declaration.recipients if r.kind == "legal_compliance"), "legal_authorities"
    )
    found = disclose(
        session=session,
        vault=vault,
        declaration=declaration,
        subject_id=row.subject_id,
        recipient=recipient,
        categories=categories,
        purpose=PURPOSE,
        basis=BASIS,
        actor=actor,
        country=row.country,
        authority_request_id=row.id,
    )
    row.status = AuthorityStatus.DISCLOSED.value
    session.flush()
    return found


def list_requests(*, session: Session, limit: int = 100) -> list[AuthorityRequest]:
    query = select(AuthorityRequest).order_by(AuthorityRequest.id.desc()).limit(limit)
    return list(session.scalars(query))


def disclosed_for(session: Session, request_id: int) -> list[Disclosure]:
    query = select(Disclosure).where(Disclosure.authority_request_id == request_id)
    return list(session.scalars(query.order_by(Disclosure.id)))
