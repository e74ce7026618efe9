"""Many records of one category at once: importing existing customers, the batch API.

Every row is checked exactly like a single submission (declared category and
purpose, each field's name and type, consent where the declaration asks for
it, at least one identity) and stored the same way: under its subject's own
data key, with its blind-indexed identities, category, purpose, region,
collection time and expiry. What differs is how it is written. A row by row
intake pays per record for lookups, flushes, a key-store fsync and audit
events; here the batch is resolved with one identity lookup, new subjects get
their keys with one key-store flush, rows go in with one multi-row insert per
table, and one audit event names what the batch changed.

A bad row is rejected with its line and a reason and nothing of it is stored;
the others go on. With ``skip_existing`` (imports), a row whose subject
already holds values of the category is skipped, so rerunning an interrupted
import stores nothing twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from privacyops.audit import service as audit
from privacyops.collection import intake as single
from privacyops.collection.batch_store import BatchRow as BatchRow
from privacyops.collection.batch_store import Checked, Owner, encrypted_rows, insert_and_scan
from privacyops.collection.intake import Intake, IntakeError
from privacyops.db import utcnow
from privacyops.jurisdictions import service as jurisdictions
from privacyops.jurisdictions.lookup import place
from privacyops.subjects.models import (
    AgeStatus,
    Identity,
    PersonalRecord,
    Subject,
    SubjectKind,
    SubjectState,
    new_subject_id,
)
from privacyops.vault.errors import InvalidIdentityError

#: Parameters per IN list, well below every driver's limit.
LOOKUP_CHUNK = 500


@dataclass(frozen=True)
class Rejected:
    line: int
    message: str
    field: str | None
    status: int = 422


@dataclass(frozen=True)
class Accepted:
    line: int
    subject_id: str
    created: bool
    fields: tuple[str, ...]


@dataclass
class BatchResult:
    accepted: list[Accepted] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    records: int = 0


def _approve_all(_session: Session, _subject_id: str, _purpose: str) -> bool:
    return True


Where = tuple[str | None, str | None, str]  # country, state, jurisdiction code


class _Places:
    """Jurisdiction per (country, state), computed once per batch."""

    def __init__(self) -> None:
        self._known: dict[tuple[str | None, str | None], Where] = {}

    def resolve(self, country: str | None, region: str | None) -> Where:
        key = (country, region)
        found = self._known.get(key)
        if found is None:
            try:
                where = place(country, region)
                code = jurisdictions.regime_for(country=where.country, state=where.state).code
            except jurisdictions.InvalidPlaceError as error:
                raise IntakeError(str(error), field="country") from None
            found = self._known[key] = (where.country, where.state, code)
        return found


def _check_row(
    intake: Intake,
    permissive: Intake,
    places: _Places,
    *,
    category: str,
    purpose: str,
    row: BatchRow,
) -> Checked:
    if row.problem is not None:
        raise IntakeError(row.problem, field=None)
    values = single.validate_fields(
        permissive, category=category, purpose=purpose, values=row.fields, subject_id="-"
    )
    if row.requester is not None:
        identities = single.requester_identities(intake, row.requester)
    else:
        identities = single.identities_in(values)
    if not identities:
        raise IntakeError("an e-mail address or phone number is needed", field="fields.email")
    indexes: dict[str, bytes] = {}
    for kind, value in identities.items():
        try:
            indexes[kind] = intake.vault.index(kind, value)
        except InvalidIdentityError as error:
            raise IntakeError(str(error), field=f"fields.{kind}") from None
    country, state, code = places.resolve(row.country or values.get("country"), row.region)
    return Checked(row, values, indexes, country, state, code)


def _chunks(items: list[bytes]) -> Iterable[list[bytes]]:
    for first in range(0, len(items), LOOKUP_CHUNK):
        yield items[first : first + LOOKUP_CHUNK]


def _owners(session: Session, rows: list[Checked]) -> dict[tuple[str, bytes], Owner]:
    """Who already holds each identity of the batch: one indexed lookup per chunk."""
    wanted = {(kind, index) for row in rows for kind, index in row.identities.items()}
    found: dict[tuple[str, bytes], Owner] = {}
    for chunk in _chunks(sorted({index for _kind, index in wanted})):
        query = (
            select(
                Identity.kind,
                Identity.blind_index,
                Subject.id,
                Subject.state,
                Subject.closed_at,
            )
            .join(Subject, Subject.id == Identity.subject_id)
            .where(Identity.blind_index.in_(chunk))
        )
        for kind, index, subject_id, state, closed_at in session.execute(query):
            if (kind, index) in wanted:
                found[(kind, index)] = Owner(
                    subject_id, state == SubjectState.ERASED, closed_at, new=False
                )
    return found


def _holding(session: Session, subject_ids: list[str], category: str) -> set[str]:
    """Which of these subjects already hold values of ``category``."""
    held: set[str] = set()
    for first in range(0, len(subject_ids), LOOKUP_CHUNK):
        chunk = subject_ids[first : first + LOOKUP_CHUNK]
        held.update(
            session.scalars(
                select(PersonalRecord.subject_id)
                .where(PersonalRecord.subject_id.in_(chunk), PersonalRecord.category == category)
                .distinct()
            )
        )
    return held


def intake_batch(
    intake: Intake,
    *,
    category: str,
    purpose: str,
    kind: str,
    notice_version: str,
    source: str,
    rows: Iterable[BatchRow],
    skip_existing: bool = False,
) -> BatchResult:
    """Check and store a batch of records of one category; see the module docstring.

    A problem of the whole batch (undeclared category or purpose, unknown
    notice version) raises ``IntakeError``; a problem of one row rejects that
    row only.
    """
    decl = intake.declaration
    notice = single.check_notice_version(intake, notice_version)
    if kind not in {member.value for member in SubjectKind}:
        raise IntakeError(f"unknown kind of data subject {kind!r}", field="kind")
    cat = single.validate_category(intake, category=category, purpose=purpose)
    needs_consent = cat.sensitive or decl.purpose(purpose).requires_consent
    permissive = replace(intake, explicit_consent=_approve_all)
    places = _Places()
    result = BatchResult()
    checked: list[Checked] = []
    for row in rows:
        try:
            checked.append(
                _check_row(intake, permissive, places, category=category, purpose=purpose, row=row)
            )
        except IntakeError as error:
            result.rejected.append(Rejected(row.line, str(error), error.field, error.status))
    session = intake.session
    owners = _owners(session, checked)
    existing = sorted({owner.subject_id for owner in owners.values()})
    holding = _holding(session, existing, category) if skip_existing else set()
    now = utcnow()
    new_subjects: list[dict[str, object]] = []
    new_identities: list[dict[str, object]] = []
    placed: list[tuple[Checked, Owner]] = []
    for item in checked:
        line = item.row.line
        held = {owners[key] for key in item.identities.items() if key in owners}
        if len({owner.subject_id for owner in held}) > 1:
            result.rejected.append(
                Rejected(
                    line, "these identities belong to different data subjects", "identities", 409
                )
            )
            continue
        owner = next(iter(held), None)
        if owner is not None and owner.erased:
            result.rejected.append(
                Rejected(line, "this data subject was erased", "identities", 409)
            )
            continue
        if owner is not None and (skip_existing and owner.subject_id in holding):
            result.skipped.append(line)
            continue
        account = ("account_id", item.identities.get("account_id", b""))
        if category == "account" and account in owners:
            result.rejected.append(
                Rejected(line, "this account already exists", "fields.account_id", 409)
            )
            continue
        if needs_consent and (
            owner is None or not intake.explicit_consent(session, owner.subject_id, purpose)
        ):
            what = "sensitive data" if cat.sensitive else f"purpose {purpose!r}"
            message = f"{what} needs a separate explicit consent before it is collected"
            result.rejected.append(Rejected(line, message, "consent", 403))
            continue
        if owner is None:
            owner = Owner(new_subject_id(), erased=False, closed_at=None, new=True)
            new_subjects.append(
                {
                    "id": owner.subject_id,
                    "kind": kind,
                    "country": item.country,
                    "region_code": item.state,
                    "jurisdiction": item.jurisdiction,
                    "age_status": AgeStatus.UNKNOWN.value,
                    "state": SubjectState.ACTIVE.value,
                    "created_at": now,
                }
            )
        for identity_kind, index in item.identities.items():
            if (identity_kind, index) not in owners:
                owners[(identity_kind, index)] = owner
                new_identities.append(
                    {
                        "subject_id": owner.subject_id,
                        "kind": identity_kind,
                        "blind_index": index,
                        "created_at": now,
                    }
                )
        holding.add(owner.subject_id)
        placed.append((item, owner))
    if not placed:
        return result
    if new_subjects:
        session.execute(insert(Subject), new_subjects)
        intake.vault.create_keys(session=session, subject_ids=[str(s["id"]) for s in new_subjects])
    if new_identities:
        session.execute(insert(Identity), new_identities)
    records = encrypted_rows(
        intake,
        category=category,
        purpose=purpose,
        notice=notice,
        source=source,
        placed=placed,
        now=now,
    )
    if records and set(single.FREE_TEXT_FIELDS) & set(decl.allowed_fields(category)):
        insert_and_scan(session, records, placed)
    elif records:
        session.execute(insert(PersonalRecord), records)
    result.records = len(records)
    first_rows: set[str] = set()
    for item, owner in placed:
        created = owner.new and owner.subject_id not in first_rows
        first_rows.add(owner.subject_id)
        result.accepted.append(
            Accepted(item.row.line, owner.subject_id, created, tuple(item.values))
        )
    audit.record(
        session=session,
        actor=intake.actor,
        action="subject.batch_stored",
        target_type="data_category",
        target_id=category,
        details={
            "category": category,
            "purpose": purpose,
            "source": source,
            "fields": sorted({name for item, _owner in placed for name in item.values}),
            "records_stored": len(records),
            "subjects_created": len(new_subjects),
            "subjects_matched": len(placed) - len(new_subjects),
            "identities_added": len(new_identities),
            "subject_ids": sorted({owner.subject_id for _item, owner in placed}),
            "rows_skipped": len(result.skipped),
            "rows_rejected": len(result.rejected),
        },
    )
    return result
