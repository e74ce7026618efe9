"""Restriction: the subject's data is stored but not otherwise used until staff lift it.

``subjects.set_state(restricted)`` is the switch: the consent domain's
``restricted`` deny predicate makes ``may_process`` answer no for every
non-essential purpose of a restricted subject (its cache hears of the state
change after the commit), and intake keeps accepting what the contract needs. Lifting is a
staff decision (the reason is recorded), never automatic.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from privacyops.audit import service as audit
from privacyops.db import utcnow
from privacyops.rights.executors.engine import ExecutionError, StepContext, StepSpec
from privacyops.rights.models import RequestNote, RequestType, RightsRequest
from privacyops.subjects import service as subjects
from privacyops.subjects.models import Subject, SubjectState


def restrict(ctx: StepContext) -> dict[str, Any]:
    subject = subjects.set_state(
        session=ctx.session,
        subject_id=ctx.request.subject_id,
        state=SubjectState.RESTRICTED,
        actor=ctx.actor,
    )
    return {"state": subject.state}


def lift_restriction(*, session: Session, subject_id: str, actor: str, reason: str) -> Subject:
    """Staff action: processing may resume; the reason goes on the latest restriction request."""
    text = reason.strip()
    if not text:
        raise ExecutionError("give the reason for lifting the restriction", field="reason")
    subject = subjects.get_subject(session=session, subject_id=subject_id)
    if subject.state != SubjectState.RESTRICTED:
        raise ExecutionError("the subject's processing is not restricted", field="subject_id")
    subject = subjects.set_state(
        session=session, subject_id=subject_id, state=SubjectState.ACTIVE, actor=actor
    )
    latest = session.scalar(
        select(RightsRequest.id)
        .where(
            RightsRequest.subject_id == subject_id,
            RightsRequest.type == RequestType.RESTRICTION,
        )
        .order_by(RightsRequest.received_at.desc())
        .limit(1)
    )
    if latest is not None:
        session.add(
            RequestNote(
                request_id=latest, at=utcnow(), author=actor, kind="restriction_lifted", text=text
            )
        )
    audit.record(
        session=session,
        actor=actor,
        action="rights.restriction_lifted",
        target_type="subject",
        target_id=subject_id,
        details={"request_id": latest},
    )
    session.flush()
    return subject


def outcome(ctx: StepContext) -> dict[str, Any]:
    return {
        "summary": "processing restricted until staff lift it",
        "state": ctx.results.get("restrict", {}).get("state"),
        "kept": [],
    }


STEPS = (StepSpec("restrict", restrict),)
