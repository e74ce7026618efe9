"""Legal holds: staff stop the clock on a subject's data, a category, or both together."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.orm import Session

from privacyops.audit import service as audit
from privacyops.db import utcnow
from privacyops.policy.schema import Declaration
from privacyops.retention.models import LegalHold
from privacyops.rights.executors import extensions
from privacyops.subjects.models import PersonalRecord, Subject


class RetentionError(ValueError):
    """A refusal of the retention domain; faces turn it into their own error shape."""

    def __init__(self, message: str, *, field: str | None = None, status: int = 422) -> None:
        super().__init__(message)
        self.field = field
        self.status = status


def is_active(now: datetime) -> ColumnElement[bool]:
    return and_(
        LegalHold.lifted_at.is_(None),
        or_(LegalHold.ends_at.is_(None), LegalHold.ends_at > now),
    )


def held_by(holds: Sequence[LegalHold], record: Any = PersonalRecord) -> ColumnElement[bool]:
    """True for a ``personal_record`` row (or an alias of it) one of ``holds`` covers.

    Built from the (few) active holds as plain IN lists rather than a
    correlated EXISTS per row, so a sweep over millions of rows pays nothing
    per row when no hold is active and an index lookup when some are.
    """
    every_subject = sorted({h.category for h in holds if h.subject_id is None and h.category})
    every_category = sorted({h.subject_id for h in holds if h.category is None and h.subject_id})
    terms: list[ColumnElement[bool]] = []
    if every_subject:
        terms.append(record.category.in_(every_subject))
    if every_category:
        terms.append(record.subject_id.in_(every_category))
    terms.extend(
        and_(record.subject_id == h.subject_id, record.category == h.category)
        for h in holds
        if h.subject_id is not None and h.category is not None
    )
    return or_(*terms) if terms else false()


def whole_category_held(holds: Sequence[LegalHold], category: str) -> bool:
    return any(h.subject_id is None and h.category == category for h in holds)


def _text(name: str, value: str, limit: int) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise RetentionError(f"{name} must not be empty", field=name)
    if len(cleaned) > limit:
        raise RetentionError(f"{name} must be at most {limit} characters", field=name)
    return cleaned


def create_hold(
    *,
    session: Session,
    declaration: Declaration,
    actor: str,
    reason: str,
    law: str,
    subject_id: str | None = None,
    category: str | None = None,
    ends_at: datetime | None = None,
    reference: str | None = None,
    now: datetime | None = None,
) -> LegalHold:
    moment = now or utcnow()
    subject_id = (subject_id or "").strip() or None
    category = (category or "").strip() or None
    if subject_id is None and category is None:
        raise RetentionError("a hold needs a subject, a category or both", field="subject_id")
    if category is not None and category not in {c.key for c in declaration.categories}:
        raise RetentionError(f"data category {category!r} is not declared", field="category")
    if subject_id is not None and session.get(Subject, subject_id) is None:
        raise RetentionError("no such data subject", field="subject_id", status=404)
    if ends_at is not None:
        if ends_at.tzinfo is None:
            raise RetentionError("ends_at must carry a time zone", field="ends_at")
        if ends_at <= moment:
            raise RetentionError("ends_at must be in the future", field="ends_at")
    reference = (reference or "").strip() or None
    if reference is not None and len(reference) > 120:
        raise RetentionError("reference must be at most 120 characters", field="reference")
    hold = LegalHold(
        subject_id=subject_id,
        category=category,
        reason=_text("reason", reason, 500),
        law=_text("law", law, 200),
        reference=reference,
        ends_at=ends_at,
        created_at=moment,
        created_by=actor,
    )
    session.add(hold)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="retention.hold_created",
        target_type="legal_hold",
        target_id=hold.id,
        details={
            "subject_id": subject_id,
            "category": category,
            "law": hold.law,
            "reference": reference,
            "ends_at": ends_at.isoformat() if ends_at else None,
        },
    )
    return hold


def get_hold(*, session: Session, hold_id: str) -> LegalHold:
    hold = session.get(LegalHold, hold_id)
    if hold is None:
        raise RetentionError("no such legal hold", field="hold_id", status=404)
    return hold


def lift_hold(
    *, session: Session, hold_id: str, actor: str, now: datetime | None = None
) -> LegalHold:
    hold = get_hold(session=session, hold_id=hold_id)
    if hold.lifted_at is not None:
        raise RetentionError("this hold was already lifted", field="hold_id", status=409)
    hold.lifted_at = now or utcnow()
    hold.lifted_by = actor
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="retention.hold_lifted",
        target_type="legal_hold",
        target_id=hold.id,
        details={"subject_id": hold.subject_id, "category": hold.category, "law": hold.law},
    )
    return hold


def list_holds(
    *, session: Session, active_only: bool = False, now: datetime | None = None, limit: int = 500
) -> list[LegalHold]:
    query = select(LegalHold).order_by(LegalHold.created_at.desc(), LegalHold.id).limit(limit)
    if active_only:
        query = query.where(is_active(now or utcnow()))
    return list(session.scalars(query))


def active_holds(*, session: Session, now: datetime) -> list[LegalHold]:
    return list(session.scalars(select(LegalHold).where(is_active(now)).order_by(LegalHold.id)))


def hold_state(hold: LegalHold, now: datetime) -> str:
    if hold.lifted_at is not None:
        return "lifted"
    if hold.ends_at is not None and hold.ends_at <= now:
        return "ended"
    return "active"


def holds_for_subject(session: Session, subject_id: str) -> list[extensions.LegalHold]:
    """The erasure hook: every active hold that reaches this subject's data."""
    rows = session.scalars(
        select(LegalHold)
        .where(
            is_active(utcnow()),
            or_(LegalHold.subject_id == subject_id, LegalHold.subject_id.is_(None)),
        )
        .order_by(LegalHold.id)
    )
    found: list[extensions.LegalHold] = []
    for hold in rows:
        if hold.subject_id is None:
            # A category-wide hold matters to an erasure only if the subject has such data.
            has = session.scalar(
                select(PersonalRecord.id)
                .where(
                    PersonalRecord.subject_id == subject_id,
                    PersonalRecord.category == hold.category,
                )
                .limit(1)
            )
            if has is None:
                continue
        reason = f"legal hold {hold.id}" + (f", {hold.reference}" if hold.reference else "")
        found.append(
            extensions.LegalHold(
                reason=reason,
                law=hold.law,
                until=hold.ends_at,
                categories=None if hold.category is None else (hold.category,),
            )
        )
    return found
