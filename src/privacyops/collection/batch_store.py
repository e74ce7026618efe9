"""The write half of a batch intake: the rows it encrypts and inserts (see ``batch``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from itertools import islice

from sqlalchemy import insert
from sqlalchemy.orm import Session

from privacyops.collection import intake as single
from privacyops.collection.intake import Intake
from privacyops.subjects.models import PersonalRecord
from privacyops.vault.crypto import field_aad


@dataclass(frozen=True)
class BatchRow:
    """One record to take in: ``line`` is what a rejection names (a CSV line, a list index)."""

    line: int
    fields: Mapping[str, object]
    requester: Mapping[str, object] | None = None
    country: str | None = None
    region: str | None = None
    #: Set by a reader that could not make a record of the row (e.g. a short CSV row).
    problem: str | None = None


@dataclass
class Checked:
    row: BatchRow
    values: dict[str, str]
    identities: dict[str, bytes]  # kind -> blind index
    country: str | None
    state: str | None
    jurisdiction: str


@dataclass(frozen=True)
class Owner:
    subject_id: str
    erased: bool
    closed_at: datetime | None
    new: bool


def encrypted_rows(
    intake: Intake,
    *,
    category: str,
    purpose: str,
    notice: str,
    source: str,
    placed: list[tuple[Checked, Owner]],
    now: datetime,
) -> list[dict[str, object]]:
    """The ``personal_record`` rows of the batch, each value under its subject's key."""
    retention = intake.declaration.category(category).retention
    region = intake.declaration.category(category).storage.primary
    open_ended = retention.expires_at(collected_at=now, ended_at=None)
    rows: list[dict[str, object]] = []
    for item, owner in placed:
        cipher = intake.vault.cipher_for(session=intake.session, subject_id=owner.subject_id)
        expires = open_ended
        if owner.closed_at is not None and retention.kind == "account_life":
            expires = retention.expires_at(collected_at=now, ended_at=owner.closed_at)
        for name, value in item.values.items():
            if not value:
                continue
            rows.append(
                {
                    "subject_id": owner.subject_id,
                    "category": category,
                    "field": name,
                    "purpose": purpose,
                    "region": region,
                    "collected_at": now,
                    "expires_at": expires,
                    "notice_version": notice,
                    "source": source,
                    "ciphertext": cipher.encrypt(
                        value, aad=field_aad(owner.subject_id, category, name)
                    ),
                }
            )
    return rows


def insert_and_scan(
    session: Session, records: list[dict[str, object]], placed: list[tuple[Checked, Owner]]
) -> None:
    """Insert, then scan free text for personal data like a single ticket (findings keep
    types and positions only). ``records`` are in the order of ``placed`` and its values."""
    ids = session.scalars(
        insert(PersonalRecord).returning(PersonalRecord.id, sort_by_parameter_order=True),
        records,
    ).all()
    written = iter(zip(records, ids, strict=True))
    for item, _owner in placed:
        stored = [
            single.StoredField(
                str(row["category"]),
                str(row["field"]),
                str(row["purpose"]),
                str(row["region"]),
                None,
                record_id,
            )
            for row, record_id in islice(written, sum(1 for v in item.values.values() if v))
        ]
        single.record_findings(session=session, stored=stored, texts=item.values)
