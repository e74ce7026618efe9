"""Rights requests: intake, verification, deadlines, staff decisions and execution.

Every function takes the caller's ``session`` and never commits; the face (a
route, a job) owns the transaction. Execution goes through
``rights.executors.execute`` with the ``checkpoint`` the face passes in.

Functions for periodic jobs and audits:

- ``expire_unverified(session=, vault=, now=)``: close requests that were not
  verified within ``verification.VERIFY_WITHIN_DAYS`` and queue the notice.
- ``overdue_requests(session=, now=)``: open requests past their due date.

The requester reaches a request only with its status token
(``<request id>.<secret>``; only the secret's SHA-256 is stored), sent by
e-mail and shown once at intake. Request ids are readable references
(``R-2026-000123``), so they are never enough on their own.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from privacyops.audit import service as audit
from privacyops.db import utcnow
from privacyops.jurisdictions import service as jurisdictions
from privacyops.jurisdictions.lookup import place
from privacyops.notify import service as notify
from privacyops.notify.errors import NotifyError
from privacyops.notify.templates import resolve_language
from privacyops.policy.schema import Declaration
from privacyops.rights import executors
from privacyops.rights import verification as checks
from privacyops.rights.deadlines import (
    OPEN_STATUSES,
    DeadlineError,
    due_dates,
    effective_due,
    facts_of,
    overdue_requests,
    status_of,
)
from privacyops.rights.deadlines import extend as extend_due
from privacyops.rights.executors import ExecutionError, ExecutionReport, PackageDownload
from privacyops.rights.executors import package as package_files
from privacyops.rights.executors.download import KEY_CATEGORY as PACKAGE_KEY_CATEGORY
from privacyops.rights.models import (
    AccessPackage,
    Channel,
    RequestNote,
    RequestStatus,
    RequestStep,
    RequestType,
    RightsRequest,
    VerificationLevel,
)
from privacyops.rights.verification import SecondPoint, VerificationError
from privacyops.settings import Settings
from privacyops.subjects import records
from privacyops.subjects import service as subjects
from privacyops.subjects.errors import SubjectError
from privacyops.subjects.models import PersonalRecord, SubjectState
from privacyops.vault.blind_index import IdentityKind
from privacyops.vault.errors import VaultError
from privacyops.vault.service import Vault

__all__ = [
    "RightsError",
    "Submitted",
    "add_note",
    "approve",
    "deadline_status",
    "deny",
    "details_of",
    "expire_unverified",
    "extend",
    "find_by_token",
    "get",
    "open_download",
    "overdue_requests",
    "queue",
    "run",
    "send_code",
    "staff_package",
    "staff_verify",
    "submit",
    "submit_corrections",
    "timeline",
    "verify",
]

SYSTEM = "system:rights"
DETAILS_CATEGORY = "rights.request"
DETAILS_LIMIT = 5000
CONTACT_KINDS = (IdentityKind.EMAIL.value, IdentityKind.PHONE.value)
#: Requests one person may open in a day (each sends e-mail; a bound on spam and guessing).
DAILY_REQUESTS_PER_SUBJECT = 5
#: Types that wait for staff after verification: corrections are reviewed, inquiries answered.
REVIEWED_TYPES = frozenset({RequestType.CORRECTION.value, RequestType.INQUIRY.value})

ACTIONS: dict[str, tuple[str, str]] = {
    "access": (
        "We prepared a copy of the personal information we hold about you.",
        "我们已准备好我们持有的您的个人信息副本。",
    ),
    "portability": (
        "We prepared your information as machine-readable files (JSON and CSV).",
        "我们已将您的信息整理为机器可读的文件（JSON 和 CSV）。",
    ),
    "deletion": (
        "We deleted your personal information and destroyed the key that protected it.",
        "我们已删除您的个人信息，并销毁了保护这些信息的密钥。",
    ),
    "correction": (
        "We replaced the information you asked us to correct.",
        "我们已更正您要求更正的信息。",
    ),
    "restriction": (
        "We limited the processing of your information to what is essential.",
        "我们已将对您信息的处理限制在必要范围内。",
    ),
    "objection": (
        "We stopped the processing based on our legitimate interests that you objected to.",
        "我们已停止您所反对的、基于合法利益的处理。",
    ),
    "withdraw_consent": (
        "We recorded the withdrawal of your consent; it applies from now on.",
        "我们已记录您撤回同意，自即刻起生效。",
    ),
    "complaint": (
        "We passed your complaint to our privacy officer, who will reply to you.",
        "我们已将您的投诉转交隐私负责人，其将答复您。",
    ),
    "inquiry": ("We answered your question.", "我们已答复您的问题。"),
}


class RightsError(ValueError):
    """A refusal; ``code`` is the API's error code (not_found, invalid, conflict, gone, ...)."""

    def __init__(self, message: str, *, code: str = "conflict", field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.field = field


@dataclass(frozen=True)
class Submitted:
    request: RightsRequest
    #: The requester's status token, shown once; only its hash is stored.
    token: str


# -- lookups ------------------------------------------------------------------


def get(*, session: Session, request_id: str, for_update: bool = False) -> RightsRequest:
    request = session.get(RightsRequest, request_id, with_for_update=for_update)
    if request is None:
        raise RightsError(f"no request {request_id!r}", code="not_found", field="request_id")
    return request


def _token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


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


# -- notes and messages ------------------------------------------------------------


def _note(session: Session, request: RightsRequest, author: str, kind: str, text: str) -> None:
    session.add(
        RequestNote(request_id=request.id, at=utcnow(), author=author, kind=kind, text=text)
    )


def _audit(
    session: Session, actor: str, action: str, request: RightsRequest, **details: Any
) -> None:
    audit.record(
        session=session,
        actor=actor,
        action=f"rights.{action}",
        target_type="rights_request",
        target_id=request.id,
        details=details,
    )


def status_url(settings: Settings, token: str) -> str:
    return f"{settings.public_url}/requests/status/{token}"


def _contact(vault: Vault, request: RightsRequest) -> str | None:
    if request.contact_ciphertext is None:
        return None
    return checks.ContactSealer(vault).open(request.id, request.contact_ciphertext)


def _email_on_file(session: Session, vault: Vault, subject_id: str) -> str | None:
    """An e-mail value held for the subject whose blind index is one of its identities."""
    subject = subjects.get_subject(session=session, subject_id=subject_id)
    if subject.state == SubjectState.ERASED:
        return None
    indexes = {
        i.blind_index
        for i in subjects.identities_of(session=session, subject_id=subject_id)
        if i.kind == IdentityKind.EMAIL
    }
    if not indexes:
        return None
    found: str | None = None
    for value in records.iter_values(
        session=session, vault=vault, subject_id=subject_id, reveal=True
    ):
        if value.field != "email":
            continue
        try:
            if vault.index(IdentityKind.EMAIL, value.value) in indexes:
                found = value.value  # the newest matching value wins
        except ValueError:
            continue
    return found


def _address(session: Session, vault: Vault, request: RightsRequest) -> str | None:
    """Where messages about the request go: the e-mail given, or the one on file."""
    if request.contact_kind == IdentityKind.EMAIL:
        return _contact(vault, request)
    return _email_on_file(session, vault, request.subject_id)


def _send(
    session: Session,
    vault: Vault,
    request: RightsRequest,
    *,
    to: str | None,
    template: str,
    key: str,
    context: Mapping[str, Any],
    secret: Mapping[str, Any] | None = None,
) -> bool:
    if to is None:
        return False
    try:
        notify.queue_email(
            session=session,
            vault=vault,
            to=to,
            template=template,
            language=request.language,
            context=context,
            secret_context=secret,
            subject_id=request.subject_id,
            idempotency_key=f"rights:{request.id}:{key}",
            actor=SYSTEM,
        )
    except NotifyError:
        return False
    return True


# -- intake --------------------------------------------------------------------


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


def _insert(session: Session, moment: datetime, **values: Any) -> RightsRequest:
    """Insert with the next reference; a concurrent insert of the same one retries."""
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


# -- verification -------------------------------------------------------------------


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


def runs_on_its_own(request: RightsRequest) -> bool:
    """Whether the request executes right after verification (no staff review needed)."""
    return request.status == RequestStatus.VERIFIED and request.type not in REVIEWED_TYPES


# -- execution ----------------------------------------------------------------------


def _kept(request: RightsRequest, outcome: Mapping[str, Any]) -> list[dict[str, str]]:
    zh = request.language == "zh-CN"
    lines = []
    for line in outcome.get("kept", []) or []:
        if not isinstance(line, Mapping):
            continue
        until = str(line.get("until") or "")[:10]
        what = str(line.get("label_zh" if zh else "label_en") or line.get("category", ""))
        why = str(line.get("law", ""))
        if until:
            why += f"（至 {until}）" if zh else f" (until {until})"
        lines.append({"what": what, "why": why})
    return lines


def _completed_notice(
    session: Session,
    vault: Vault,
    settings: Settings,
    request: RightsRequest,
    download_token: str | None,
) -> None:
    outcome = (request.facts or {}).get("outcome", {})
    en, zh = ACTIONS.get(request.type, ("", ""))
    secret: dict[str, Any] = {}
    context: dict[str, Any] = {
        "request_id": request.id,
        "request_type": request.type,
        "actions": [zh if request.language == "zh-CN" else en],
        "kept": _kept(request, outcome),
    }
    if download_token is None and request.type in (RequestType.ACCESS, RequestType.PORTABILITY):
        try:
            download_token = executors.reissue_download(
                session=session, request_id=request.id, actor=SYSTEM
            )
        except ExecutionError:
            download_token = None
    if download_token is not None:
        secret["download_url"] = f"{settings.public_url}/requests/download/{download_token}"
        package = package_of(session=session, request_id=request.id)
        if package is not None:
            context["download_expires_at"] = package.expires_at
    _send(
        session,
        vault,
        request,
        to=_address_for_closing(session, vault, request),
        template="request_completed",
        key="completed",
        context=context,
        secret=secret or None,
    )
    _close_contact(request)


def _address_for_closing(session: Session, vault: Vault, request: RightsRequest) -> str | None:
    try:
        return _address(session, vault, request)
    except (VaultError, SubjectError):
        return None


def _close_contact(request: RightsRequest) -> None:
    request.contact_ciphertext = None
    request.facts = {**(request.facts or {}), "final_notice": True}


def run(
    *,
    session: Session,
    vault: Vault,
    settings: Settings,
    declaration: Declaration,
    request_id: str,
    actor: str,
    checkpoint: executors.Checkpoint | None = None,
) -> ExecutionReport:
    """Execute (or resume) a verified request; once complete, queue the requester's notice.

    The notice is queued in the same run as the last step when nothing
    crashes; a run that finds the request already complete without a notice
    queues it then (with a new download token for a package).
    """
    request = get(session=session, request_id=request_id)
    if request.type == RequestType.INQUIRY:
        raise RightsError("inquiries are answered by staff: approve with the answer", field="type")
    if request.type == RequestType.CORRECTION and not (request.facts or {}).get(
        "corrections_reviewed_by"
    ):
        raise RightsError("submit the reviewed corrections first", field="corrections")
    if (request.facts or {}).get("awaiting_staff"):
        raise RightsError("the requester is not verified yet", field=None)
    try:
        report = executors.execute(
            session=session,
            vault=vault,
            settings=settings,
            declaration=declaration,
            request_id=request_id,
            actor=actor,
            checkpoint=checkpoint,
        )
    except ExecutionError as error:
        code = "conflict" if error.code == "forbidden" else error.code
        raise RightsError(str(error), code=code, field=error.field) from None
    request = session.get_one(RightsRequest, request_id, populate_existing=True)
    if report.completed and not (request.facts or {}).get("final_notice"):
        _completed_notice(session, vault, settings, request, report.download_token)
        session.flush()
        if checkpoint is not None:
            checkpoint()
    return report


# -- staff decisions -------------------------------------------------------------------


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


# -- periodic work ----------------------------------------------------------------------


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


def due_of(request: RightsRequest) -> datetime:
    return effective_due(request)


def staff_package(
    *, session: Session, vault: Vault, settings: Settings, request_id: str, actor: str
) -> PackageDownload:
    """A built package for staff allowed to read personal values, without touching the
    requester's link (``reissue_download`` would replace it); audited."""
    request = get(session=session, request_id=request_id)
    row = package_of(session=session, request_id=request_id)
    if row is None:
        raise RightsError(f"request {request_id} has no package", code="not_found", field=None)
    if utcnow() >= row.expires_at:
        raise RightsError("the package has expired", code="gone", field=None)
    path = settings.packages_dir / row.path
    try:
        key = vault.decrypt(
            session=session,
            subject_id=request.subject_id,
            category=PACKAGE_KEY_CATEGORY,
            field=request.id,
            ciphertext=row.key_ciphertext,
        )
    except VaultError:
        raise RightsError("the package no longer exists", code="gone", field=None) from None
    if not path.is_file():
        raise RightsError("the package no longer exists", code="gone", field=None)
    _audit(session, actor, "package_downloaded_by_staff", request, package_id=row.id)
    session.flush()
    return PackageDownload(
        request_id=request.id,
        filename=f"{request.id}-personal-data.zip",
        size_bytes=row.size_bytes,
        sha256=row.sha256,
        expires_at=row.expires_at,
        chunks=package_files.decrypt(path, key),
    )


def open_download(
    *, session: Session, vault: Vault, settings: Settings, token: str
) -> PackageDownload:
    """The requester's download link: checked and streamed by the executors' ``open_package``."""
    try:
        return executors.open_package(session=session, vault=vault, settings=settings, token=token)
    except ExecutionError as error:
        raise RightsError(str(error), code=error.code, field=error.field) from None
