"""Intake of rights requests: the reference, the subject, the receipt and the first code.

A request gets a readable reference (``R-2026-000123``) and a status token that
is shown once and sent with the receipt.

Every function takes the caller's ``session`` and never commits.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from privacyops.db import utcnow
from privacyops.jurisdictions import service as jurisdictions
from privacyops.jurisdictions.lookup import place
from privacyops.notify.templates import resolve_language
from privacyops.policy.schema import Declaration
from privacyops.rights import verification as checks
from privacyops.rights.common import DETAILS_CATEGORY, RightsError, _audit, _note, _token_hash
from privacyops.rights.deadlines import due_dates, facts_of
from privacyops.rights.identity import _issue
from privacyops.rights.messages import _address, _send, status_url
from privacyops.rights.models import (
    Channel,
    RequestStatus,
    RequestType,
    RightsRequest,
    VerificationLevel,
)
from privacyops.settings import Settings
from privacyops.subjects import service as subjects
from privacyops.subjects.errors import SubjectError
from privacyops.vault.blind_index import IdentityKind
from privacyops.vault.service import Vault

__all__ = ["Submitted", "next_reference", "submit"]


DETAILS_LIMIT = 5000
CONTACT_KINDS = (IdentityKind.EMAIL.value, IdentityKind.PHONE.value)
#: Requests one person may open in a day (each sends e-mail; a bound on spam and guessing).
DAILY_REQUESTS_PER_SUBJECT = 5


@dataclass(frozen=True)
class Submitted:
    request: RightsRequest
    #: The requester's status token, shown once; only its hash is stored.
    token: str


def next_reference(session: Session, year: int) -> str:
    prefix = f"R-{year}-"
    last = session.scalar(
        select(func.max(RightsRequest.id)).where(RightsRequest.id.like(prefix + "%"))
    )
    number = int(last[len(prefix) :]) + 1 if last and last[len(prefix) :].isdigit() else 1
    return f"{prefix}{number:06d}"


def _choice(raw: str, allowed: tuple[str, ...], field: str) -> str:
    value = raw.strip().lower()
    if value not in allowed:
        raise RightsError(
            f"{field} must be one of {', '.join(allowed)}", code="invalid", field=field
        )
    return value


def _subject_for(
    session: Session,
    vault: Vault,
    *,
    kind: str,
    contact: str,
    country: str | None,
    state: str | None,
    actor: str,
) -> tuple[str, bool]:
    """The subject the contact identifies, or a new one holding only that identity."""
    try:
        found = subjects.find_subject_by(session=session, vault=vault, kind=kind, value=contact)
    except SubjectError:
        field = "email" if kind == IdentityKind.EMAIL else "phone"
        raise RightsError(f"this is not a valid {field}", code="invalid", field=field) from None
    if found is not None:
        return found.id, False
    try:
        subject = subjects.create_subject(
            session=session, kind="prospect", country=country, region_code=state, actor=actor
        )
    except SubjectError as error:
        raise RightsError(str(error), code="invalid", field="country") from None
    subjects.add_identity(
        session=session, vault=vault, subject_id=subject.id, kind=kind, value=contact, actor=actor
    )
    return subject.id, True


def submit(
    *,
    session: Session,
    vault: Vault,
    settings: Settings,
    declaration: Declaration,
    request_type: str,
    contact_kind: str,
    contact: str,
    channel: str,
    actor: str,
    country: str | None = None,
    state: str | None = None,
    details: str | None = None,
    language: str = "en",
    purposes: list[str] | None = None,
    now: datetime | None = None,
) -> Submitted:
    """Record a request, send the receipt and (if it needs one) a verification code.

    Opt-outs and complaints need no verification and are ``verified`` at once;
    the face then runs them (``run``).
    """
    moment = now or utcnow()
    kind = _choice(request_type, tuple(t.value for t in RequestType), "type")
    how = _choice(contact_kind, CONTACT_KINDS, "contact_kind")
    via = _choice(channel, tuple(c.value for c in Channel), "channel")
    contact = contact.strip()
    if not contact or len(contact) > 254:
        raise RightsError("give an e-mail address or a phone number", code="invalid", field=how)
    text = (details or "").strip()
    if len(text) > DETAILS_LIMIT:
        raise RightsError(
            f"details must be at most {DETAILS_LIMIT} characters", code="invalid", field="details"
        )
    if purposes:
        known = {p.key for p in declaration.purposes}
        unknown = sorted(set(purposes) - known)
        if unknown:
            raise RightsError(
                f"purposes not declared: {', '.join(unknown)}", code="invalid", field="purposes"
            )
    try:
        where = place(country or None, state or None)
        regime = jurisdictions.regime_for(country=where.country, state=where.state)
    except jurisdictions.InvalidPlaceError as error:
        raise RightsError(str(error), code="invalid", field="country") from None
    subject_id, new_subject = _subject_for(
        session,
        vault,
        kind=how,
        contact=contact,
        country=where.country,
        state=where.state,
        actor=actor,
    )
    opened = session.scalar(
        select(func.count(RightsRequest.id)).where(
            RightsRequest.subject_id == subject_id,
            RightsRequest.received_at >= moment - timedelta(days=1),
        )
    )
    if (opened or 0) >= DAILY_REQUESTS_PER_SUBJECT:
        raise RightsError(
            "too many requests were made for this contact today; try again tomorrow",
            code="rate_limited",
            field=None,
        )
    dates = due_dates(
        declaration=declaration,
        request_type=kind,
        regime=regime.code,
        country=where.country,
        received_at=moment,
    )
    level = checks.level_for(kind)
    secret = secrets.token_urlsafe(32)
    facts: dict[str, Any] = {**facts_of(dates), "new_subject": new_subject}
    if purposes:
        facts["purposes"] = sorted(set(purposes))
    request = _insert(
        session,
        moment,
        type=kind,
        status=(
            RequestStatus.VERIFIED.value
            if level == VerificationLevel.NONE
            else RequestStatus.PENDING_VERIFICATION.value
        ),
        channel=via,
        subject_id=subject_id,
        contact_kind=how,
        language=resolve_language(language),
        country=where.country,
        region_code=where.state,
        regime=regime.code,
        received_at=moment,
        due_at=dates.due_at,
        verification_level=level.value,
        facts=facts,
        status_token_hash=_token_hash(secret),
        created_by=actor,
    )
    sealer = checks.ContactSealer(vault)
    request.contact_ciphertext = sealer.seal(request.id, contact)
    if text:
        request.details_ciphertext = vault.encrypt(
            session=session,
            subject_id=subject_id,
            category=DETAILS_CATEGORY,
            field=f"{request.id}:details",
            value=text,
        )
    token = f"{request.id}.{secret}"
    _note(
        session, request, actor, "received", f"Received through {via}; due {dates.due_at:%Y-%m-%d}."
    )
    _audit(
        session,
        actor,
        "request_received",
        request,
        type=kind,
        channel=via,
        regime=regime.code,
        level=level.value,
    )
    to = _address(session, vault, request)
    _send(
        session,
        vault,
        request,
        to=to,
        template="request_received",
        key="received",
        context={"request_id": request.id, "request_type": kind, "due_date": dates.due_at.date()},
        secret={"status_url": f"{status_url(settings, token)}?lang={request.language}"},
    )
    if level != VerificationLevel.NONE:
        _issue(session, vault, request, moment, to)
    session.flush()
    return Submitted(request, token)


_REFERENCE_LOCK = 0x7E1E_0002


def _insert(session: Session, moment: datetime, **values: Any) -> RightsRequest:
    """Insert with the next reference.

    On PostgreSQL a transaction-scoped advisory lock makes workers take references
    in turn: without it, read-committed transactions all read the same maximum and
    all but one fail on the unique key. SQLite already has a single writer; the
    retry covers a reference taken by hand in between.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _REFERENCE_LOCK})
    for _ in range(5):
        request = RightsRequest(id=next_reference(session, moment.year), **values)
        try:
            with session.begin_nested():
                session.add(request)
                session.flush()
            return request
        except IntegrityError:
            continue
    raise RightsError("could not allocate a request reference; try again", code="conflict")
