"""Staff routes over data subjects: find one, read their data (masked or, audited, unmasked),
record a verified parental consent, act on discovered child data."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from itertools import islice
from typing import Annotated

from fastapi import APIRouter, Path, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from privacyops.audit import service as audit
from privacyops.collection import age as age_gate
from privacyops.collection.models import TextFinding
from privacyops.errors import AppError
from privacyops.policy.schema import Declaration
from privacyops.staff.permissions import Permission
from privacyops.subjects import records
from privacyops.subjects import service as subjects
from privacyops.subjects.errors import SubjectError
from privacyops.subjects.masking import mask_email, mask_phone, mask_text, mask_value
from privacyops.subjects.models import Subject, SubjectState
from privacyops.subjects.schemas import (
    CategoryOut,
    ChildDataIn,
    ChildDataOut,
    FindingOut,
    IdentityOut,
    MatchOut,
    ParentalConsentIn,
    ProfileOut,
    SearchIn,
    SearchKind,
    SearchOut,
    SubjectOut,
    ValueOut,
)
from privacyops.telemetry import service as telemetry
from privacyops.vault.service import Vault
from privacyops.web.deps import CurrentPrincipal, SessionDep, require

router = APIRouter(prefix="/api/v1/subjects", tags=["subjects"])
READ = [require(Permission.SUBJECTS_READ).dep]
PERSONAL = [require(Permission.SUBJECTS_READ_PERSONAL).dep]
WRITE = [require(Permission.SUBJECTS_WRITE).dep]

#: A console page or API answer shows at most this many values; exports go through rights.
MAX_VALUES = 1000
SubjectId = Annotated[str, Path(min_length=1, max_length=36)]
FREE_TEXT = {"message", "subject", "cooperation_details"}
_FINDING_MASKS = {
    "EMAIL_ADDRESS": mask_email,
    "PHONE_NUMBER": mask_phone,
    "CN_MOBILE": mask_phone,
}


def status_of(error: SubjectError) -> int:
    return {"not_found": 404, "conflict": 409}.get(error.code, 422)


def refused(error: SubjectError) -> AppError:
    return AppError(status_of(error), str(error), code=error.code, field=error.field)


def summary(subject: Subject) -> SubjectOut:
    return SubjectOut(
        id=subject.id,
        kind=subject.kind,
        state=subject.state,
        country=subject.country,
        region_code=subject.region_code,
        jurisdiction=subject.jurisdiction,
        age_status=subject.age_status,
        age_threshold=subject.age_threshold,
        parental_consent_at=subject.parental_consent_at,
        created_at=subject.created_at,
        closed_at=subject.closed_at,
        erased_at=subject.erased_at,
    )


def search(*, session: Session, vault: Vault, kind: SearchKind, value: str) -> list[MatchOut]:
    """Subjects holding this identity: one blind-index lookup, never a scan of values.

    A device serial is looked up as an identity first; the device registry's keyed
    pseudonym then adds the people who owned that device (ownership periods).
    """
    found = subjects.find_subject_by(session=session, vault=vault, kind=kind, value=value)
    matches = [MatchOut(subject=summary(found), matched_by="identity")] if found else []
    if kind == "device_serial":
        try:
            device = telemetry.find_device(session=session, vault=vault, serial=value)
        except telemetry.TelemetryError as error:
            raise SubjectError(str(error), field="value") from None
        if device is not None:
            seen = {m.subject.id for m in matches}
            for period in telemetry.periods_of_device(session=session, device_id=device.id):
                if period.subject_id in seen:
                    continue
                seen.add(period.subject_id)
                owner = subjects.get_subject(session=session, subject_id=period.subject_id)
                matches.append(MatchOut(subject=summary(owner), matched_by="device_owner"))
    return matches


def _finding_text(entity_type: str, text: str, reveal: bool) -> str:
    if reveal:
        return text
    return _FINDING_MASKS.get(entity_type, mask_text)(text) if text else "***"


@dataclass(frozen=True)
class Reader:
    session: Session
    vault: Vault
    declaration: Declaration
    actor: str


def profile(reader: Reader, *, subject_id: str, reveal: bool) -> ProfileOut:
    """A subject with their data by category; with ``reveal`` unmasked, and audited."""
    session, vault = reader.session, reader.vault
    subject = subjects.get_subject(session=session, subject_id=subject_id)
    identities = [
        IdentityOut(kind=i.kind, created_at=i.created_at)
        for i in subjects.identities_of(session=session, subject_id=subject_id)
    ]
    if subject.state == SubjectState.ERASED:
        return ProfileOut(
            subject=summary(subject),
            identities=identities,
            categories=[],
            findings=[],
            masked=not reveal,
            truncated=False,
        )
    # Decrypted once, masked per value: finding spans need the plaintext in both cases.
    stream = records.iter_values(session=session, vault=vault, subject_id=subject_id, reveal=True)
    plain = list(islice(stream, MAX_VALUES + 1))
    truncated = len(plain) > MAX_VALUES
    plain = plain[:MAX_VALUES]
    if reveal:
        audit.record(
            session=session,
            actor=reader.actor,
            action="subject.values_revealed",
            target_type="subject",
            target_id=subject_id,
            details={"count": len(plain), "category": None, "view": "console"},
        )
    labels = {c.key: c.label.en for c in reader.declaration.categories}
    grouped: dict[str, list[ValueOut]] = defaultdict(list)
    texts: dict[int, tuple[str, str]] = {}
    for item in plain:
        if item.field in FREE_TEXT:
            texts[item.record_id] = (item.field, item.value)
        grouped[item.category].append(
            ValueOut(
                record_id=item.record_id,
                field=item.field,
                purpose=item.purpose,
                region=item.region,
                collected_at=item.collected_at,
                expires_at=item.expires_at,
                source=item.source,
                value=item.value if reveal else mask_value(item.field, item.value),
                masked=not reveal,
            )
        )
    findings: list[FindingOut] = []
    if texts:
        rows = session.scalars(
            select(TextFinding)
            .where(TextFinding.record_id.in_(list(texts)))
            .order_by(TextFinding.record_id, TextFinding.start)
        )
        for row in rows:
            field, text = texts[row.record_id]
            findings.append(
                FindingOut(
                    record_id=row.record_id,
                    field=field,
                    entity_type=row.entity_type,
                    start=row.start,
                    end=row.end,
                    text=_finding_text(row.entity_type, text[row.start : row.end], reveal),
                    masked=not reveal,
                )
            )
    categories = [
        CategoryOut(key=key, label=labels.get(key, key), values=values)
        for key, values in sorted(grouped.items())
    ]
    return ProfileOut(
        subject=summary(subject),
        identities=identities,
        categories=categories,
        findings=findings,
        masked=not reveal,
        truncated=truncated,
    )


def reader_of(request: Request, session: Session, principal: CurrentPrincipal) -> Reader:
    return Reader(
        session=session,
        vault=request.app.state.vault,
        declaration=request.app.state.policy.declaration,
        actor=principal.actor,
    )


@router.post("/search", dependencies=READ, response_model=SearchOut)
def find_subjects(body: SearchIn, request: Request, session: SessionDep) -> SearchOut:
    """Find subjects by e-mail, phone, account id or device serial (blind indexes only).

    A POST, so that the identifier stays out of URLs, access logs and browser history.
    """
    try:
        matches = search(
            session=session, vault=request.app.state.vault, kind=body.kind, value=body.value
        )
    except SubjectError as error:
        raise AppError(422, str(error), field="value") from None
    return SearchOut(kind=body.kind, matches=matches)


@router.get("/{subject_id}", dependencies=READ, response_model=ProfileOut)
def get_subject(
    subject_id: SubjectId, request: Request, session: SessionDep, principal: CurrentPrincipal
) -> ProfileOut:
    """A subject: state, jurisdiction, age status, identities and data by category, masked."""
    try:
        return profile(reader_of(request, session, principal), subject_id=subject_id, reveal=False)
    except SubjectError as error:
        raise refused(error) from None


@router.get("/{subject_id}/values", dependencies=PERSONAL, response_model=ProfileOut)
def reveal_subject(
    subject_id: SubjectId, request: Request, session: SessionDep, principal: CurrentPrincipal
) -> ProfileOut:
    """The same with values unmasked; each call is recorded in the audit log."""
    try:
        return profile(reader_of(request, session, principal), subject_id=subject_id, reveal=True)
    except SubjectError as error:
        raise refused(error) from None


@router.post("/{subject_id}/parental-consent", dependencies=WRITE, response_model=SubjectOut)
def parental_consent(
    subject_id: SubjectId,
    body: ParentalConsentIn,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> SubjectOut:
    """Record a verified parental consent for a minor's account that waits for it."""
    try:
        subject = age_gate.record_parental_consent(
            session=session,
            subject_id=subject_id,
            method=body.method,
            verified_at=body.verified_at,
            actor=principal.actor,
        )
    except SubjectError as error:
        raise refused(error) from None
    return summary(subject)


@router.post("/{subject_id}/child-data", dependencies=WRITE, response_model=ChildDataOut)
def child_data(
    subject_id: SubjectId,
    body: ChildDataIn,
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> ChildDataOut:
    """Child data discovered: delete the subject's data now and record why."""
    try:
        outcome = age_gate.child_data_discovered(
            session=session,
            vault=request.app.state.vault,
            subject_id=subject_id,
            reason=body.reason,
            actor=principal.actor,
        )
        subject = subjects.get_subject(session=session, subject_id=subject_id)
    except SubjectError as error:
        raise refused(error) from None
    return ChildDataOut(
        subject_id=subject_id,
        state=subject.state,
        age_status=subject.age_status,
        records_purged=outcome.records_purged,
        device_periods_unlinked=outcome.device_periods_unlinked,
    )
