"""Personal data enters here, checked against the declaration before anything is stored.

Every submission is validated whole first (category, purpose, lawful basis or
consent, each field's name and type, the notice version) and only then written,
so a refused submission changes nothing. Each stored value carries its subject,
category, purpose, storage region, collection time and expiry (invariant 2).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from privacyops.audit import service as audit
from privacyops.collection.fields import FieldValueError, check_value
from privacyops.collection.models import TextFinding
from privacyops.collection.pii import scan_text
from privacyops.db import utcnow
from privacyops.policy import versions
from privacyops.policy.schema import DataCategory, Declaration
from privacyops.subjects import records
from privacyops.subjects import service as subjects
from privacyops.subjects.errors import SubjectError
from privacyops.subjects.models import PersonalRecord, Subject
from privacyops.vault.service import Vault

#: (session, subject_id, purpose) -> whether a separate, explicit consent stands.
ConsentCheck = Callable[[Session, str, str], bool]

IDENTITY_FIELDS = {"email": "email", "phone": "phone", "account_id": "account_id"}


class IntakeError(ValueError):
    def __init__(self, message: str, *, field: str | None = None, status: int = 422) -> None:
        super().__init__(message)
        self.field = field
        self.status = status


@dataclass(frozen=True)
class Intake:
    """What one submission needs: the transaction, the vault, the rules and who sends it."""

    session: Session
    vault: Vault
    declaration: Declaration
    actor: str
    explicit_consent: ConsentCheck


@dataclass
class StoredField:
    category: str
    field: str
    purpose: str
    region: str
    expires_at: datetime | None
    record_id: int


@dataclass
class IntakeResult:
    subject_id: str
    created: bool
    notice_version: str
    stored: list[StoredField] = field(default_factory=list)


def _category(decl: Declaration, key: str) -> DataCategory:
    try:
        return decl.category(key)
    except KeyError:
        raise IntakeError(f"data category {key!r} is not declared", field="category") from None


def check_notice_version(intake: Intake, notice_version: str) -> str:
    """The person must have seen a version that exists: the one in force or a published one."""
    version = notice_version.strip()
    if version == intake.declaration.policy.version:
        return version
    if versions.get(session=intake.session, version=version) is None:
        raise IntakeError(f"notice version {version!r} was never published", field="notice_version")
    return version


def validate_category(intake: Intake, *, category: str, purpose: str) -> DataCategory:
    """The declared category, if it is declared for ``purpose``; else IntakeError."""
    cat = _category(intake.declaration, category)
    try:
        intake.declaration.basis(category, purpose)
    except KeyError:
        raise IntakeError(
            f"data category {category!r} is not declared for purpose {purpose!r}", field="purpose"
        ) from None
    return cat


def validate_fields(
    intake: Intake,
    *,
    category: str,
    purpose: str,
    values: Mapping[str, object],
    subject_id: str | None,
    partial: bool = False,
) -> dict[str, str]:
    """Canonical values for a category and purpose, or IntakeError naming what is wrong."""
    decl = intake.declaration
    cat = validate_category(intake, category=category, purpose=purpose)
    needs_consent = cat.sensitive or decl.purpose(purpose).requires_consent
    if needs_consent and (
        subject_id is None or not intake.explicit_consent(intake.session, subject_id, purpose)
    ):
        what = "sensitive data" if cat.sensitive else f"purpose {purpose!r}"
        raise IntakeError(
            f"{what} needs a separate explicit consent before it is collected",
            field="consent",
            status=403,
        )
    allowed = decl.allowed_fields(category)
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise IntakeError(
            f"field {unknown[0]!r} is not declared for data category {category!r}",
            field=f"fields.{unknown[0]}",
        )
    missing = [] if partial else [n for n, f in allowed.items() if f.required and n not in values]
    if missing:
        raise IntakeError(f"field {missing[0]!r} is required", field=f"fields.{missing[0]}")
    try:
        return {name: check_value(allowed[name], raw) for name, raw in values.items()}
    except FieldValueError as error:
        raise IntakeError(str(error), field=f"fields.{error.field}") from None


def store_fields(
    intake: Intake,
    *,
    subject_id: str,
    category: str,
    purpose: str,
    values: Mapping[str, str],
    notice_version: str,
    source: str,
    replace: bool = False,
) -> list[StoredField]:
    """Store already validated values; with `replace`, earlier values of those fields go."""
    cat = intake.declaration.category(category)
    now = utcnow()
    subject = subjects.get_subject(session=intake.session, subject_id=subject_id)
    ended = subject.closed_at if cat.retention.kind == "account_life" else None
    expires = cat.retention.expires_at(collected_at=now, ended_at=ended)
    if replace and values:
        intake.session.execute(
            delete(PersonalRecord).where(
                PersonalRecord.subject_id == subject_id,
                PersonalRecord.category == category,
                PersonalRecord.field.in_(list(values)),
            )
        )
    rows = records.store_values(
        session=intake.session,
        vault=intake.vault,
        subject_id=subject_id,
        category=category,
        values={name: value for name, value in values.items() if value},
        purpose=purpose,
        region=cat.storage.primary,
        expires_at=expires,
        notice_version=notice_version,
        source=source,
        actor=intake.actor,
        collected_at=now,
    )
    stored = [
        StoredField(category, row.field, purpose, row.region, expires, row.id) for row in rows
    ]
    return stored


def resolve_subject(
    intake: Intake,
    *,
    identities: Mapping[str, str],
    kind: str,
    country: str | None,
    region: str | None,
) -> tuple[Subject, bool]:
    """The subject these identities belong to, created with them if none does."""
    found: dict[str, Subject] = {}
    for identity_kind, value in identities.items():
        try:
            subject = subjects.find_subject_by(
                session=intake.session, vault=intake.vault, kind=identity_kind, value=value
            )
        except SubjectError as error:
            raise IntakeError(str(error), field=f"fields.{identity_kind}") from None
        if subject is not None:
            found[subject.id] = subject
    if len(found) > 1:
        raise IntakeError(
            "these identities belong to different data subjects", field="identities", status=409
        )
    if found:
        subject = next(iter(found.values()))
        if subject.state == "erased":
            raise IntakeError("this data subject was erased", field="identities", status=409)
        created = False
    else:
        try:
            subject = subjects.create_subject(
                session=intake.session,
                kind=kind,
                actor=intake.actor,
                country=country,
                region_code=region,
            )
        except SubjectError as error:
            raise IntakeError(str(error), field=error.field) from None
        created = True
    for identity_kind, value in identities.items():
        try:
            subjects.add_identity(
                session=intake.session,
                vault=intake.vault,
                subject_id=subject.id,
                kind=identity_kind,
                value=value,
                actor=intake.actor,
            )
        except SubjectError as error:
            raise IntakeError(str(error), field=error.field, status=409) from None
    return subject, created


def requester_identities(intake: Intake, requester: Mapping[str, object]) -> dict[str, str]:
    """A ticket's requester (email, phone or account_id), each checked as the declaration
    types that field; empty values are left out."""
    unknown = sorted(set(requester) - set(IDENTITY_FIELDS))
    if unknown:
        raise IntakeError(
            "requester takes only email, phone or account_id", field=f"requester.{unknown[0]}"
        )
    identities: dict[str, str] = {}
    for name, raw in requester.items():
        if raw == "":
            continue
        category = "account" if name == "account_id" else "contact"
        decl = intake.declaration.allowed_fields(category)[name]
        try:
            identities[IDENTITY_FIELDS[name]] = check_value(decl, raw)
        except FieldValueError as error:
            raise IntakeError(str(error), field=f"requester.{name}") from None
    return identities


def identities_in(values: Mapping[str, str]) -> dict[str, str]:
    return {IDENTITY_FIELDS[name]: v for name, v in values.items() if name in IDENTITY_FIELDS and v}


def close_account(intake: Intake, *, subject_id: str) -> int:
    """Start the grace period of every account-life record; returns how many now expire."""
    subject = subjects.get_subject(session=intake.session, subject_id=subject_id, for_update=True)
    if subject.closed_at is not None:
        raise IntakeError("this account is already closed", field="account_id", status=409)
    now = utcnow()
    subject.closed_at = now
    changed = 0
    for cat in intake.declaration.categories:
        expires = cat.retention.expires_at(collected_at=now, ended_at=now)
        if cat.retention.kind != "account_life" or expires is None:
            continue
        result = intake.session.execute(
            update(PersonalRecord)
            .where(PersonalRecord.subject_id == subject_id, PersonalRecord.category == cat.key)
            .values(expires_at=expires)
        )
        changed += int(getattr(result, "rowcount", 0) or 0)
    audit.record(
        session=intake.session,
        actor=intake.actor,
        action="account.closed",
        target_type="subject",
        target_id=subject_id,
        details={"records_now_expiring": changed},
    )
    return changed


#: Free-text fields scanned for personal data (findings keep types and positions only).
FREE_TEXT_FIELDS = ("subject", "message", "cooperation_details")


@dataclass(frozen=True)
class Finding:
    field: str
    entity_type: str
    start: int
    end: int


def record_findings(
    *, session: Session, stored: list[StoredField], texts: Mapping[str, object]
) -> list[Finding]:
    """Scan the stored free-text values; keep what was found as metadata, never the text."""
    found: list[Finding] = []
    for item in stored:
        if item.field not in FREE_TEXT_FIELDS or item.field not in texts:
            continue
        text = str(texts[item.field])
        language = "zh" if any("\u4e00" <= char <= "\u9fff" for char in text) else "en"
        for hit in scan_text(text, language=language):
            session.add(
                TextFinding(
                    record_id=item.record_id,
                    entity_type=hit.entity_type,
                    start=hit.start,
                    end=hit.end,
                    score=hit.score,
                )
            )
            found.append(Finding(item.field, hit.entity_type, hit.start, hit.end))
    return found


def records_of(session: Session, subject_id: str, category: str) -> list[PersonalRecord]:
    query = select(PersonalRecord).where(
        PersonalRecord.subject_id == subject_id, PersonalRecord.category == category
    )
    return list(session.scalars(query))
