"""Personal values: stored encrypted with what governs them, read back decrypted or masked.

Which categories, fields, purposes and regions are allowed is the
declaration's business and is checked at intake, before these functions run.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from privacyops.audit import service as audit
from privacyops.db import utcnow
from privacyops.subjects.errors import SubjectError
from privacyops.subjects.masking import mask_value
from privacyops.subjects.models import PersonalRecord, SubjectState
from privacyops.subjects.service import get_subject, live_subject, required_text
from privacyops.vault.service import Vault


@dataclass(frozen=True)
class StoredValue:
    """One personal value with everything that governs it; ``value`` is masked if ``masked``."""

    record_id: int
    category: str
    field: str
    purpose: str
    region: str
    collected_at: datetime
    expires_at: datetime | None
    notice_version: str
    source: str
    value: str
    masked: bool


def store_value(
    *,
    session: Session,
    vault: Vault,
    subject_id: str,
    category: str,
    field: str,
    purpose: str,
    region: str,
    value: str,
    expires_at: datetime | None,
    notice_version: str,
    source: str,
    actor: str,
    collected_at: datetime | None = None,
) -> PersonalRecord:
    """Encrypt and store one personal value with its governing attributes (invariant 2)."""
    return store_values(
        session=session,
        vault=vault,
        subject_id=subject_id,
        category=category,
        values={field: value},
        purpose=purpose,
        region=region,
        expires_at=expires_at,
        notice_version=notice_version,
        source=source,
        actor=actor,
        collected_at=collected_at,
    )[0]


def store_values(
    *,
    session: Session,
    vault: Vault,
    subject_id: str,
    category: str,
    values: Mapping[str, str],
    purpose: str,
    region: str,
    expires_at: datetime | None,
    notice_version: str,
    source: str,
    actor: str,
    collected_at: datetime | None = None,
) -> list[PersonalRecord]:
    """Encrypt and store a submission's values of one category: one flush, one audit event.

    Which categories, fields, purposes and regions are allowed is the
    declaration's business and is checked at intake; this layer refuses what
    can never be right: an erased subject, an empty attribute, a naive or
    past-the-collection expiry.
    """
    live_subject(session, subject_id)
    category = required_text("category", category, 64)
    purpose = required_text("purpose", purpose, 64)
    region = required_text("region", region, 32)
    notice_version = required_text("notice_version", notice_version, 40)
    source = required_text("source", source, 64)
    fields = [required_text("field", name, 64) for name in values]
    collected = collected_at or utcnow()
    for name, moment in (("collected_at", collected), ("expires_at", expires_at)):
        if moment is not None and moment.tzinfo is None:
            raise SubjectError(f"{name} must carry a time zone", field=name)
    if expires_at is not None and expires_at <= collected:
        raise SubjectError("expires_at must be after collected_at", field="expires_at")
    rows = [
        PersonalRecord(
            subject_id=subject_id,
            category=category,
            field=name,
            purpose=purpose,
            region=region,
            collected_at=collected,
            expires_at=expires_at,
            notice_version=notice_version,
            source=source,
            ciphertext=vault.encrypt(
                session=session, subject_id=subject_id, category=category, field=name, value=value
            ),
        )
        for name, value in zip(fields, values.values(), strict=True)
    ]
    session.add_all(rows)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="subject.value_stored",
        target_type="subject",
        target_id=subject_id,
        details={
            "record_ids": [row.id for row in rows],
            "category": category,
            "fields": fields,
            "purpose": purpose,
        },
    )
    return rows


def iter_values(
    *,
    session: Session,
    vault: Vault,
    subject_id: str,
    reveal: bool,
    category: str | None = None,
) -> Iterator[StoredValue]:
    """Stream the subject's values, oldest first, decrypted (``reveal``) or masked.

    Rows are fetched in chunks, so an export never holds a subject's whole
    history in memory. Pass ``reveal`` only for a principal holding
    ``subjects.read_personal``; ``values_of`` also records the disclosure.
    """
    live_subject(session, subject_id)
    query = select(PersonalRecord).where(PersonalRecord.subject_id == subject_id)
    if category is not None:
        query = query.where(PersonalRecord.category == category)
    query = query.order_by(PersonalRecord.collected_at, PersonalRecord.id)
    for record in session.scalars(query.execution_options(yield_per=500)):
        plain = vault.decrypt_text(
            session=session,
            subject_id=subject_id,
            category=record.category,
            field=record.field,
            ciphertext=record.ciphertext,
        )
        yield StoredValue(
            record_id=record.id,
            category=record.category,
            field=record.field,
            purpose=record.purpose,
            region=record.region,
            collected_at=record.collected_at,
            expires_at=record.expires_at,
            notice_version=record.notice_version,
            source=record.source,
            value=plain if reveal else mask_value(record.field, plain),
            masked=not reveal,
        )


def values_of(
    *,
    session: Session,
    vault: Vault,
    subject_id: str,
    reveal: bool,
    actor: str,
    category: str | None = None,
) -> list[StoredValue]:
    """The subject's values as a list; an unmasked read is recorded in the audit log."""
    values = list(
        iter_values(
            session=session, vault=vault, subject_id=subject_id, reveal=reveal, category=category
        )
    )
    if reveal:
        audit.record(
            session=session,
            actor=actor,
            action="subject.values_revealed",
            target_type="subject",
            target_id=subject_id,
            details={"count": len(values), "category": category},
        )
    return values


def category_counts(*, session: Session, subject_id: str) -> dict[str, int]:
    """How many values the subject has per category (one grouped read on its index)."""
    rows = session.execute(
        select(PersonalRecord.category, func.count())
        .where(PersonalRecord.subject_id == subject_id)
        .group_by(PersonalRecord.category)
        .order_by(PersonalRecord.category)
    )
    return {category: count for category, count in rows}


def delete_values(
    *, session: Session, subject_id: str, category: str, fields: list[str], actor: str
) -> int:
    """Delete the subject's values of ``fields`` in ``category`` (a correction replaces them).

    Returns how many rows went; the audit event names the fields, never a value.
    """
    if not fields:
        return 0
    ids = list(
        session.scalars(
            select(PersonalRecord.id).where(
                PersonalRecord.subject_id == subject_id,
                PersonalRecord.category == category,
                PersonalRecord.field.in_(fields),
            )
        )
    )
    if ids:
        session.execute(delete(PersonalRecord).where(PersonalRecord.id.in_(ids)))
        audit.record(
            session=session,
            actor=actor,
            action="subject.values_deleted",
            target_type="subject",
            target_id=subject_id,
            details={"record_ids": ids, "category": category, "fields": sorted(fields)},
        )
    return len(ids)


def purge_records(*, session: Session, subject_id: str, limit: int = 1000) -> int:
    """Delete up to ``limit`` ciphertext rows of an erased subject; returns how many.

    Only for erased subjects, whose rows are already unreadable: this frees
    space, it does not make erasure happen. A background job calls it until 0.
    """
    subject = get_subject(session=session, subject_id=subject_id)
    if subject.state != SubjectState.ERASED:
        raise SubjectError("only an erased subject's records are purged", field="subject_id")
    ids = list(
        session.scalars(
            select(PersonalRecord.id).where(PersonalRecord.subject_id == subject_id).limit(limit)
        )
    )
    if ids:
        session.execute(delete(PersonalRecord).where(PersonalRecord.id.in_(ids)))
    return len(ids)
