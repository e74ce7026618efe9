"""Planting personal values with chosen collection and expiry times, and reading them back."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from privacyops.db import Database, utcnow
from privacyops.subjects import records
from privacyops.subjects import service as subjects
from privacyops.subjects.models import PersonalRecord
from privacyops.vault.service import Vault

ACTOR = "test"


def person(db: Database, *, country: str = "DE") -> str:
    with db.unit_of_work() as session:
        return subjects.create_subject(
            session=session, kind="customer", country=country, actor=ACTOR
        ).id


def plant(
    db: Database,
    vault: Vault,
    subject_id: str,
    category: str,
    values: dict[str, str],
    *,
    purpose: str = "service_support",
    expires_in: timedelta | None = timedelta(days=-1),
    age: timedelta = timedelta(days=400),
) -> list[int]:
    """Values collected ``age`` ago that expire ``expires_in`` from now (negative: expired)."""
    now = utcnow()
    with db.unit_of_work() as session:
        rows = records.store_values(
            session=session,
            vault=vault,
            subject_id=subject_id,
            category=category,
            values=values,
            purpose=purpose,
            region="cn",
            expires_at=None if expires_in is None else now + expires_in,
            notice_version="1.0.0",
            source="form",
            actor=ACTOR,
            collected_at=now - age,
        )
        return [row.id for row in rows]


def remaining(db: Database) -> set[int]:
    with db.unit_of_work() as session:
        return set(session.scalars(select(PersonalRecord.id)))


def count(db: Database, category: str | None = None, *, before: datetime | None = None) -> int:
    query = select(func.count()).select_from(PersonalRecord)
    if category is not None:
        query = query.where(PersonalRecord.category == category)
    if before is not None:
        query = query.where(PersonalRecord.expires_at <= before)
    with db.unit_of_work() as session:
        return int(session.scalar(query) or 0)
