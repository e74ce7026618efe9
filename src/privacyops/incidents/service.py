"""The breach register: record an incident, change it, keep its tasks and timeline.

Functions take the caller's ``session`` and never commit. Every change is an
audit event (invariant 3). Data categories are checked against the
declaration, so an incident can only name data the company says it holds;
the estimate of who is affected is read from the live records, never typed in.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from privacyops.audit import service as audit
from privacyops.db import utcnow
from privacyops.incidents.models import (
    Incident,
    IncidentNote,
    IncidentStatus,
    IncidentTask,
    Risk,
)
from privacyops.policy.schema import Declaration
from privacyops.subjects.models import PersonalRecord, Subject, SubjectState

EDITABLE = (
    "title",
    "description",
    "status",
    "systems",
    "categories",
    "risk",
    "risk_reasons",
    "encrypted",
    "crypto_shredded",
    "major",
    "critical_infrastructure",
    "consequences",
    "measures",
    "lessons",
    "detected_at",
    "aware_at",
)


class IncidentError(ValueError):
    """A refusal a face turns into one clear message (``field`` and ``code`` as in the API)."""

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid") -> None:
        super().__init__(message)
        self.field = field
        self.code = code


class IncidentNotFoundError(IncidentError):
    def __init__(self, incident_id: str) -> None:
        super().__init__(f"no incident {incident_id!r}", field="incident_id", code="not_found")


@dataclass(frozen=True)
class Estimate:
    """Subjects (distinct) and records in the affected categories, from the live data."""

    subjects: int
    records: int
    by_region: dict[str, int] = field(default_factory=dict)
    by_jurisdiction: dict[str, int] = field(default_factory=dict)


def _text(name: str, value: object, limit: int, *, required: bool = True) -> str:
    if not isinstance(value, str):
        raise IncidentError(f"{name}: must be text", field=name)
    clean = value.strip()
    if required and not clean:
        raise IncidentError(f"{name}: must not be empty", field=name)
    if len(clean) > limit:
        raise IncidentError(f"{name}: at most {limit} characters", field=name)
    return clean


def _texts(name: str, values: object, limit: int = 200) -> list[str]:
    if not isinstance(values, list | tuple):
        raise IncidentError(f"{name}: must be a list of texts", field=name)
    clean = [_text(name, value, limit) for value in values]
    return list(dict.fromkeys(clean))


def _aware(name: str, value: object) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise IncidentError(f"{name}: a date and time with a time zone is needed", field=name)
    return value


def _choice(name: str, value: object, enum: type[IncidentStatus] | type[Risk]) -> str:
    allowed = [member.value for member in enum]
    if value not in allowed:
        raise IncidentError(f"{name}: one of {', '.join(allowed)}", field=name)
    return str(value)


def check_categories(declaration: Declaration, categories: object) -> list[str]:
    """The categories, each a key of the declaration; refuses unknown ones naming them."""
    chosen = _texts("categories", categories, 64)
    if not chosen:
        raise IncidentError("categories: name at least one data category", field="categories")
    known = {category.key for category in declaration.categories}
    unknown = [key for key in chosen if key not in known]
    if unknown:
        raise IncidentError(
            f"categories: not in the declaration: {', '.join(unknown)}", field="categories"
        )
    return chosen


def _clean(declaration: Declaration, changes: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise IncidentError(f"{unknown[0]}: not a field of an incident", field=unknown[0])
    clean: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "title":
            clean[name] = _text(name, value, 200)
        elif name == "description":
            clean[name] = _text(name, value, 20_000)
        elif name in ("risk_reasons", "consequences", "lessons"):
            clean[name] = _text(name, value, 20_000, required=False)
        elif name == "status":
            clean[name] = _choice(name, value, IncidentStatus)
        elif name == "risk":
            clean[name] = _choice(name, value, Risk)
        elif name == "categories":
            clean[name] = check_categories(declaration, value)
        elif name in ("systems", "measures"):
            clean[name] = _texts(name, value, 500)
        elif name in ("detected_at", "aware_at"):
            clean[name] = _aware(name, value)
        elif not isinstance(value, bool):
            raise IncidentError(f"{name}: true or false", field=name)
        else:
            clean[name] = value
    detected, aware = clean.get("detected_at"), clean.get("aware_at")
    if detected and aware and aware < detected:
        raise IncidentError("aware_at: cannot be before detected_at", field="aware_at")
    return clean


def _reference(session: Session, now: datetime) -> str:
    while True:
        reference = f"INC-{now.year}-{secrets.token_hex(3).upper()}"
        if session.scalar(select(Incident.id).where(Incident.reference == reference)) is None:
            return reference


def register(
    *,
    session: Session,
    declaration: Declaration,
    actor: str,
    title: str,
    description: str,
    detected_at: datetime,
    aware_at: datetime,
    categories: Sequence[str],
    systems: Sequence[str] = (),
    risk: str = Risk.LIKELY.value,
    now: datetime | None = None,
    **extra: Any,
) -> Incident:
    """Record a new incident (status ``open``); ``extra`` takes any other editable field."""
    now = now or utcnow()
    values = _clean(
        declaration,
        {
            "title": title,
            "description": description,
            "detected_at": detected_at,
            "aware_at": aware_at,
            "categories": list(categories),
            "systems": list(systems),
            "risk": risk,
            **extra,
        },
    )
    values.setdefault("measures", [])
    values.setdefault("status", IncidentStatus.OPEN.value)
    incident = Incident(
        reference=_reference(session, now),
        created_at=now,
        updated_at=now,
        created_by=actor,
        **values,
    )
    session.add(incident)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="incident.registered",
        target_type="incident",
        target_id=incident.id,
        details={"reference": incident.reference, "categories": incident.categories},
    )
    return incident


def get(*, session: Session, incident_id: str) -> Incident:
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise IncidentNotFoundError(incident_id)
    return incident


def list_incidents(*, session: Session) -> list[Incident]:
    return list(session.scalars(select(Incident).order_by(Incident.aware_at.desc())))


def update(
    *,
    session: Session,
    declaration: Declaration,
    incident_id: str,
    changes: dict[str, Any],
    actor: str,
    now: datetime | None = None,
) -> Incident:
    """Change editable fields; the audit event names the fields changed (not their text)."""
    incident = get(session=session, incident_id=incident_id)
    clean = _clean(declaration, changes)
    detected = clean.get("detected_at", incident.detected_at)
    if clean.get("aware_at", incident.aware_at) < detected:
        raise IncidentError("aware_at: cannot be before detected_at", field="aware_at")
    changed = sorted(name for name, value in clean.items() if getattr(incident, name) != value)
    for name in changed:
        setattr(incident, name, clean[name])
    if changed:
        incident.updated_at = now or utcnow()
        details: dict[str, Any] = {"fields": changed}
        if "status" in changed:
            details["status"] = incident.status
        audit.record(
            session=session,
            actor=actor,
            action="incident.updated",
            target_type="incident",
            target_id=incident.id,
            details=details,
        )
    return incident


def add_task(
    *, session: Session, incident_id: str, title: str, actor: str, now: datetime | None = None
) -> IncidentTask:
    get(session=session, incident_id=incident_id)
    task = IncidentTask(
        incident_id=incident_id, title=_text("title", title, 300), created_at=now or utcnow()
    )
    session.add(task)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="incident.task_added",
        target_type="incident",
        target_id=incident_id,
        details={"task": task.id},
    )
    return task


def complete_task(
    *, session: Session, incident_id: str, task_id: int, actor: str, now: datetime | None = None
) -> IncidentTask:
    task = session.get(IncidentTask, task_id)
    if task is None or task.incident_id != incident_id:
        raise IncidentError(
            f"no task {task_id} on this incident", field="task_id", code="not_found"
        )
    if task.done_at is None:
        task.done_at = now or utcnow()
        audit.record(
            session=session,
            actor=actor,
            action="incident.task_done",
            target_type="incident",
            target_id=incident_id,
            details={"task": task.id},
        )
    return task


def add_note(
    *, session: Session, incident_id: str, text: str, actor: str, now: datetime | None = None
) -> IncidentNote:
    get(session=session, incident_id=incident_id)
    note = IncidentNote(
        incident_id=incident_id, at=now or utcnow(), author=actor, text=_text("text", text, 5000)
    )
    session.add(note)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="incident.note_added",
        target_type="incident",
        target_id=incident_id,
        details={"note": note.id},
    )
    return note


def tasks_of(*, session: Session, incident_id: str) -> list[IncidentTask]:
    query = select(IncidentTask).where(IncidentTask.incident_id == incident_id)
    return list(session.scalars(query.order_by(IncidentTask.id)))


def timeline_of(*, session: Session, incident_id: str) -> list[IncidentNote]:
    query = select(IncidentNote).where(IncidentNote.incident_id == incident_id)
    return list(session.scalars(query.order_by(IncidentNote.at, IncidentNote.id)))


def _affected(categories: Iterable[str]) -> Any:
    return (
        select(PersonalRecord.subject_id)
        .join(Subject, Subject.id == PersonalRecord.subject_id)
        .where(
            PersonalRecord.category.in_(list(categories)),
            Subject.state != SubjectState.ERASED.value,
        )
    )


def estimate(*, session: Session, categories: Sequence[str]) -> Estimate:
    """Distinct subjects with records in ``categories`` (erased subjects excluded: their data
    is unreadable), by storage region of the records and by the subjects' jurisdiction."""
    if not categories:
        return Estimate(0, 0)
    wanted = list(categories)
    live = Subject.state != SubjectState.ERASED.value
    joined = select().select_from(PersonalRecord).join(Subject)
    totals = session.execute(
        joined.add_columns(
            func.count(distinct(PersonalRecord.subject_id)), func.count(PersonalRecord.id)
        ).where(PersonalRecord.category.in_(wanted), live)
    ).one()
    by_region = session.execute(
        joined.add_columns(PersonalRecord.region, func.count(distinct(PersonalRecord.subject_id)))
        .where(PersonalRecord.category.in_(wanted), live)
        .group_by(PersonalRecord.region)
    )
    by_jurisdiction = session.execute(
        select(Subject.jurisdiction, func.count())
        .where(Subject.id.in_(_affected(wanted)))
        .group_by(Subject.jurisdiction)
    )
    return Estimate(
        subjects=int(totals[0]),
        records=int(totals[1]),
        by_region=dict(sorted((str(region), int(count)) for region, count in by_region)),
        by_jurisdiction=dict(
            sorted((str(code or "unknown"), int(count)) for code, count in by_jurisdiction)
        ),
    )


def affected_subjects(*, session: Session, categories: Sequence[str]) -> list[Subject]:
    """The live subjects whose records are in ``categories``, in a stable order (by id)."""
    if not categories:
        return []
    query = select(Subject).where(
        Subject.id.in_(_affected(categories)), Subject.state == SubjectState.ACTIVE.value
    )
    return list(session.scalars(query.order_by(Subject.id)))
