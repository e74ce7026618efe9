"""Synthetic rights requests in the states the console shows: waiting, overdue, extended, closed.

The requesters are new prospects with example.com addresses; no e-mail is queued.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from privacyops.audit import service as audit
from privacyops.db import utcnow
from privacyops.jurisdictions import service as jurisdictions
from privacyops.policy.schema import Declaration
from privacyops.rights import verification
from privacyops.rights.deadlines import due_dates, facts_of
from privacyops.rights.intake import next_reference
from privacyops.rights.models import RequestNote, RequestStatus, RightsRequest
from privacyops.subjects import service as subjects
from privacyops.vault.service import Vault

ACTOR = "system:demo"


@dataclass(frozen=True)
class DemoRequest:
    email: str
    type: str
    country: str
    state: str | None
    days_ago: int
    status: str
    language: str = "en"
    closed_after_days: int | None = None
    reason: str | None = None
    extension: str | None = None


REQUESTS = (
    DemoRequest("demo.requester1@example.com", "access", "DE", None, 2, "pending_verification"),
    DemoRequest(
        "demo.requester2@example.com", "correction", "CN", None, 5, "verified", language="zh-CN"
    ),
    DemoRequest("demo.requester3@example.com", "inquiry", "US", "CA", 16, "verified"),
    DemoRequest(
        "demo.requester4@example.com",
        "deletion",
        "FR",
        None,
        25,
        "verified",
        extension="The account is linked to twelve devices whose histories we review one by one.",
    ),
    DemoRequest(
        "demo.requester5@example.com", "complaint", "GB", None, 20, "completed", closed_after_days=1
    ),
    DemoRequest(
        "demo.requester6@example.com",
        "access",
        "US",
        "CA",
        30,
        "denied",
        closed_after_days=9,
        reason="We could not verify the requester: no second identifier matched.",
    ),
    DemoRequest(
        "demo.requester7@example.com",
        "restriction",
        "DE",
        None,
        20,
        "expired",
        closed_after_days=verification.VERIFY_WITHIN_DAYS,
    ),
)


def _one(
    session: Session, vault: Vault, declaration: Declaration, demo: DemoRequest, now: datetime
) -> RightsRequest:
    subject = subjects.create_subject(
        session=session, kind="prospect", country=demo.country, region_code=demo.state, actor=ACTOR
    )
    subjects.add_identity(
        session=session,
        vault=vault,
        subject_id=subject.id,
        kind="email",
        value=demo.email,
        actor=ACTOR,
    )
    received = now - timedelta(days=demo.days_ago)
    regime = jurisdictions.regime_for(country=demo.country, state=demo.state).code
    dates = due_dates(
        declaration=declaration,
        request_type=demo.type,
        regime=regime,
        country=demo.country,
        received_at=received,
    )
    level = verification.level_for(demo.type).value
    facts: dict[str, Any] = {**facts_of(dates), "new_subject": True}
    verified = demo.status not in (RequestStatus.PENDING_VERIFICATION, RequestStatus.EXPIRED)
    if verified and level != "none":
        facts["verified_with"] = ["email_code"] + (["no_data_held"] if "high" in level else [])
    closed = received + timedelta(days=demo.closed_after_days) if demo.closed_after_days else None
    if demo.status == RequestStatus.COMPLETED:
        facts["outcome"] = {"summary": "complaint routed to the privacy officer", "kept": []}
    request = RightsRequest(
        id=next_reference(session, received.year),
        type=demo.type,
        status=demo.status,
        channel="privacy_center",
        subject_id=subject.id,
        contact_kind="email",
        language=demo.language,
        country=demo.country,
        region_code=demo.state,
        regime=regime,
        received_at=received,
        due_at=dates.due_at,
        verification_level=level,
        verified_at=received + timedelta(hours=1) if verified and level != "none" else None,
        closed_at=closed,
        decision_reason=demo.reason,
        facts=facts,
        status_token_hash=hashlib.sha256(secrets.token_bytes(32)).hexdigest(),
        created_by=ACTOR,
    )
    if demo.status not in (RequestStatus.COMPLETED, RequestStatus.DENIED, RequestStatus.EXPIRED):
        request.contact_ciphertext = verification.ContactSealer(vault).seal(request.id, demo.email)
    if demo.extension and dates.extension_limit is not None:
        request.extended_due_at = dates.extension_limit
        request.extension_reason = demo.extension
    session.add(request)
    session.flush()
    notes = [(received, "received", "Received through privacy_center (demo).")]
    if request.verified_at:
        notes.append((request.verified_at, "verified", "Verified with email_code."))
    if request.extended_due_at:
        notes.append((received + timedelta(days=20), "extended", f"Extended: {demo.extension}"))
    if closed:
        notes.append((closed, demo.status, f"Closed as {demo.status}."))
    for at, kind, text in notes:
        session.add(RequestNote(request_id=request.id, at=at, author=ACTOR, kind=kind, text=text))
    audit.record(
        session=session,
        actor=ACTOR,
        action="rights.request_received",
        target_type="rights_request",
        target_id=request.id,
        details={"type": demo.type, "channel": "privacy_center", "regime": regime, "demo": True},
    )
    return request


def seed(*, session: Session, vault: Vault, declaration: Declaration) -> int:
    """Add the demo requests; returns how many."""
    now = utcnow()
    for demo in REQUESTS:
        _one(session, vault, declaration, demo, now)
    session.flush()
    return len(REQUESTS)
