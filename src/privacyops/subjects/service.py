"""Data subjects, their identities, state and erasure. No HTTP; never commits.

An identity is stored only as its blind index; personal values (``records``)
only as ciphertext under the subject's data key. Erasure destroys that key
(``Vault.shred``), so it costs the same for any amount of data; the
unreadable ciphertext rows are purged later (``records.purge_records``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.exc import IntegrityError as DatabaseIntegrityError
from sqlalchemy.orm import Session

from privacyops.audit import service as audit
from privacyops.db import utcnow
from privacyops.jurisdictions import service as jurisdictions
from privacyops.jurisdictions.lookup import place
from privacyops.subjects.errors import (
    IdentityConflictError,
    SubjectErasedError,
    SubjectError,
    SubjectNotFoundError,
)
from privacyops.subjects.models import (
    AgeStatus,
    Identity,
    Subject,
    SubjectKind,
    SubjectState,
)
from privacyops.vault.blind_index import IdentityKind
from privacyops.vault.errors import InvalidIdentityError
from privacyops.vault.service import Vault


def _choice(enum: type[StrEnum], raw: str, field: str) -> str:
    try:
        return enum(raw).value
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise SubjectError(f"{field} must be one of {allowed}; got {raw!r}", field=field) from None


def required_text(field: str, raw: str, limit: int) -> str:
    text = raw.strip()
    if not text or len(text) > limit:
        raise SubjectError(f"{field} must be 1 to {limit} characters", field=field)
    return text


def create_subject(
    *,
    session: Session,
    kind: SubjectKind | str,
    actor: str,
    country: str | None = None,
    region_code: str | None = None,
    jurisdiction: str | None = None,
    age_status: AgeStatus | str = AgeStatus.UNKNOWN,
) -> Subject:
    """Create a subject; the jurisdiction is derived from country and region unless given."""
    kind_value = _choice(SubjectKind, kind, "kind")
    age_value = _choice(AgeStatus, age_status, "age_status")
    try:
        where = place(country, region_code)
        if jurisdiction is None:
            jurisdiction = jurisdictions.regime_for(country=where.country, state=where.state).code
        else:
            jurisdiction = jurisdictions.get_regime(jurisdiction).code
    except jurisdictions.InvalidPlaceError as error:
        raise SubjectError(str(error), field="country") from None
    except jurisdictions.UnknownRegimeError as error:
        raise SubjectError(str(error), field="jurisdiction") from None
    subject = Subject(
        kind=kind_value,
        country=where.country,
        region_code=where.state,
        jurisdiction=jurisdiction,
        age_status=age_value,
        state=SubjectState.ACTIVE.value,
        created_at=utcnow(),
    )
    session.add(subject)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="subject.created",
        target_type="subject",
        target_id=subject.id,
        details={"kind": kind_value, "jurisdiction": jurisdiction},
    )
    return subject


def get_subject(*, session: Session, subject_id: str, for_update: bool = False) -> Subject:
    subject = session.get(Subject, subject_id, with_for_update=for_update)
    if subject is None:
        raise SubjectNotFoundError(subject_id)
    return subject


def live_subject(session: Session, subject_id: str) -> Subject:
    subject = get_subject(session=session, subject_id=subject_id)
    if subject.state == SubjectState.ERASED:
        raise SubjectErasedError(subject_id)
    return subject


def _blind_index(vault: Vault, kind: str, value: str) -> bytes:
    try:
        return vault.index(kind, value)
    except InvalidIdentityError as error:
        raise SubjectError(str(error), field="value") from None


def add_identity(
    *,
    session: Session,
    vault: Vault,
    subject_id: str,
    kind: IdentityKind | str,
    value: str,
    actor: str,
) -> Identity:
    """Bind an identity (stored as its blind index only) to a subject.

    Binding the same identity to the same subject again returns the existing
    row. Binding one that belongs to another subject raises
    ``IdentityConflictError``; so does losing a race for it (the unique
    constraint decides, and the caller's unit of work rolls back).
    """
    kind_value = _choice(IdentityKind, kind, "kind")
    live_subject(session, subject_id)
    index = _blind_index(vault, kind_value, value)
    existing = session.scalar(
        select(Identity).where(Identity.kind == kind_value, Identity.blind_index == index)
    )
    if existing is not None:
        if existing.subject_id == subject_id:
            return existing
        raise IdentityConflictError(kind_value, existing.subject_id)
    identity = Identity(
        subject_id=subject_id, kind=kind_value, blind_index=index, created_at=utcnow()
    )
    session.add(identity)
    try:
        session.flush()
    except DatabaseIntegrityError:
        raise IdentityConflictError(kind_value, None) from None
    audit.record(
        session=session,
        actor=actor,
        action="subject.identity_added",
        target_type="subject",
        target_id=subject_id,
        details={"kind": kind_value, "identity_id": identity.id},
    )
    return identity


def find_subject_by(
    *, session: Session, vault: Vault, kind: IdentityKind | str, value: str
) -> Subject | None:
    """The subject owning an identity: one lookup on the (kind, blind index) unique index."""
    kind_value = _choice(IdentityKind, kind, "kind")
    index = _blind_index(vault, kind_value, value)
    return session.scalar(
        select(Subject)
        .join(Identity, Identity.subject_id == Subject.id)
        .where(Identity.kind == kind_value, Identity.blind_index == index)
    )


def identities_of(*, session: Session, subject_id: str) -> list[Identity]:
    """The subject's identities (kinds and times; the values exist only as blind indexes)."""
    return list(
        session.scalars(
            select(Identity).where(Identity.subject_id == subject_id).order_by(Identity.id)
        )
    )


def set_state(
    *, session: Session, subject_id: str, state: SubjectState | str, actor: str
) -> Subject:
    """Restrict processing of a subject, or lift the restriction. Erasure is ``erase``."""
    if state not in (SubjectState.ACTIVE, SubjectState.RESTRICTED):
        raise SubjectError(
            "state must be active or restricted (erasure is its own operation)", field="state"
        )
    new_state = SubjectState(state)
    subject = live_subject(session, subject_id)
    if subject.state == new_state:
        return subject
    previous, subject.state = subject.state, new_state.value
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="subject.state_changed",
        target_type="subject",
        target_id=subject_id,
        details={"from": previous, "to": new_state.value},
    )
    return subject


def erase(*, session: Session, vault: Vault, subject_id: str, actor: str) -> bool:
    """Erase a subject: destroy its data key, delete its identities, mark it erased.

    All in the caller's transaction, so a failure leaves the subject as it
    was (the key-store share is deleted only after the commit; see
    ``Vault.shred``). Idempotent: erasing an erased subject records nothing,
    returns False, and only finishes a share deletion a crash interrupted.
    """
    subject = get_subject(session=session, subject_id=subject_id, for_update=True)
    if subject.state == SubjectState.ERASED:
        vault.shred(session=session, subject_id=subject_id, actor=actor)
        return False
    vault.shred(session=session, subject_id=subject_id, actor=actor)
    removed = cast(
        CursorResult[Any],
        session.execute(delete(Identity).where(Identity.subject_id == subject_id)),
    )
    now = utcnow()
    subject.state = SubjectState.ERASED.value
    subject.erased_at = now
    subject.closed_at = subject.closed_at or now
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="subject.erased",
        target_type="subject",
        target_id=subject_id,
        details={"identities_deleted": removed.rowcount},
    )
    return True


def list_subjects(
    *, session: Session, limit: int = 50, age_status: AgeStatus | str | None = None
) -> list[Subject]:
    """The newest subjects (optionally of one age status), for the console's lists."""
    query = select(Subject).order_by(Subject.created_at.desc(), Subject.id).limit(limit)
    if age_status is not None:
        query = query.where(Subject.age_status == _choice(AgeStatus, age_status, "age_status"))
    return list(session.scalars(query))
