"""The age gate: who may open an account, who waits for a parent, who is refused.

Policy section 9: no intentional collection from minors under the declaration's
minimum age (16) or the higher local threshold. The threshold is the stricter of
the two (``jurisdictions.consent_age``: an EU member state's own age, COPPA
alongside a US state's law). Below it:

- where the person's regime is one whose parental-consent rules the declaration
  says we follow (``age_policy.parental_consent``: GDPR Art. 8 in the EU/EEA and
  the UK, COPPA in the US, PIPL Art. 31 in China), the account is held:
  ``minor_pending_parental_consent``, only essential purposes, until staff record
  a verified parental consent;
- anywhere else it is refused and nothing is stored.

A birth date or age is only used here and never stored: the declaration names no
such field. The subject keeps the outcome and the threshold applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from privacyops.audit import service as audit
from privacyops.consent.catalogue import PurposeInfo
from privacyops.consent.service import register_deny
from privacyops.db import utcnow
from privacyops.jurisdictions import service as jurisdictions
from privacyops.policy.schema import Declaration
from privacyops.subjects import records
from privacyops.subjects import service as subjects
from privacyops.subjects.errors import SubjectError
from privacyops.subjects.models import AgeStatus, Subject, SubjectState
from privacyops.telemetry import service as telemetry
from privacyops.vault.service import Vault

#: The declaration's parental-consent schemes and the rulebook regimes they belong to
#: (GDPR Art. 8 also binds the UK through the UK GDPR; US-COPPA applies alongside
#: every US regime).
PARENTAL_CONSENT_REGIMES: dict[str, frozenset[str]] = {
    "gdpr_k": frozenset({"EU", "GB"}),
    "coppa": frozenset({"US-COPPA"}),
    "pipl_under_14": frozenset({"CN"}),
}


class AgeGateError(ValueError):
    def __init__(self, message: str, *, field: str, status: int = 422) -> None:
        super().__init__(message)
        self.field = field
        self.status = status


class ChildDataReason(StrEnum):
    """Why staff concluded that a subject's data is a child's (recorded in the audit log)."""

    PARENT_REPORT = "parent_report"
    SUPPORT_CONVERSATION = "support_conversation"
    AGE_VERIFICATION_FAILED = "age_verification_failed"
    PARENTAL_CONSENT_REFUSED = "parental_consent_refused"
    STAFF_REVIEW = "staff_review"


class ParentalConsentMethod(StrEnum):
    """How the parent's consent was verified (COPPA 16 CFR 312.5(b) style methods)."""

    SIGNED_FORM = "signed_form"
    PAYMENT_CARD = "payment_card"
    VIDEO_CALL = "video_call"
    GOVERNMENT_ID = "government_id"
    KNOWLEDGE_QUESTIONS = "knowledge_questions"


@dataclass(frozen=True)
class AgeDecision:
    status: AgeStatus
    threshold: int | None
    regime: str
    parental_consent_possible: bool

    @property
    def refused(self) -> bool:
        return self.status == AgeStatus.MINOR_REFUSED


def age_on(born: date, today: date) -> int:
    years = today.year - born.year
    return years - 1 if (today.month, today.day) < (born.month, born.day) else years


def stated_age(*, birth_date: date | None, age: int | None, today: date) -> int | None:
    """The age the person gave, from a birth date or a number; None if neither."""
    if birth_date is not None and age is not None:
        raise AgeGateError("give birth_date or age, not both", field="age")
    if birth_date is not None:
        if birth_date > today:
            raise AgeGateError("birth_date is in the future", field="birth_date")
        return age_on(birth_date, today)
    return age


def parental_regimes(declaration: Declaration) -> frozenset[str]:
    found: set[str] = set()
    for scheme in declaration.age_policy.parental_consent:
        found |= PARENTAL_CONSENT_REGIMES.get(scheme, frozenset())
    return frozenset(found)


def decide(
    *,
    declaration: Declaration,
    age: int | None,
    country: str | None,
    state: str | None,
) -> AgeDecision:
    """The gate's answer for a person of ``age`` in a place (None: no age was given)."""
    policy = declaration.age_policy
    try:
        rules = jurisdictions.place_rules(
            country=country, state=state, on=utcnow().date(), policy_minimum=policy.minimum_age
        )
    except jurisdictions.InvalidPlaceError as error:
        raise AgeGateError(str(error), field="country") from None
    regime = rules.regime
    threshold = rules.consent_age if policy.higher_local_threshold_applies else policy.minimum_age
    governing = {regime, *rules.applies_alongside}
    parental = bool(governing & parental_regimes(declaration))
    if age is None:
        return AgeDecision(AgeStatus.UNKNOWN, None, regime, parental)
    if age >= threshold:
        return AgeDecision(AgeStatus.ADULT, threshold, regime, parental)
    if parental:
        return AgeDecision(AgeStatus.MINOR_PENDING_PARENTAL_CONSENT, threshold, regime, True)
    return AgeDecision(AgeStatus.MINOR_REFUSED, threshold, regime, False)


def refusal_message(decision: AgeDecision) -> str:
    return (
        f"accounts need a minimum age of {decision.threshold} in this place "
        f"(regime {decision.regime}); nothing was stored"
    )


def apply(*, session: Session, subject: Subject, decision: AgeDecision, actor: str) -> None:
    """Record the gate's outcome on a new subject (the age itself is not kept)."""
    subject.age_status = decision.status.value
    subject.age_threshold = decision.threshold
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="subject.age_checked",
        target_type="subject",
        target_id=subject.id,
        details={
            "age_status": decision.status.value,
            "threshold": decision.threshold,
            "regime": decision.regime,
        },
    )


def limited_to_essentials(subject: Subject) -> bool:
    return subject.age_status == AgeStatus.MINOR_PENDING_PARENTAL_CONSENT


@register_deny
def pending_minor(_session: Session, subject: Subject, purpose: PurposeInfo) -> bool:
    """A minor awaiting parental consent: only essential purposes until it is verified."""
    return limited_to_essentials(subject) and not purpose.essential


def record_parental_consent(
    *,
    session: Session,
    subject_id: str,
    method: ParentalConsentMethod | str,
    verified_at: datetime | None,
    actor: str,
) -> Subject:
    """Staff verified the parent's consent: the account is processed normally from now on."""
    subject = subjects.live_subject(session, subject_id)
    if subject.age_status != AgeStatus.MINOR_PENDING_PARENTAL_CONSENT:
        raise SubjectError(
            "this subject is not waiting for parental consent", field="subject_id", code="conflict"
        )
    try:
        method_value = ParentalConsentMethod(method).value
    except ValueError:
        allowed = ", ".join(m.value for m in ParentalConsentMethod)
        raise SubjectError(f"method must be one of {allowed}", field="method") from None
    now = utcnow()
    when = verified_at or now
    if when.tzinfo is None:
        raise SubjectError("verified_at must carry a time zone", field="verified_at")
    if when > now:
        raise SubjectError("verified_at is in the future", field="verified_at")
    subject.age_status = AgeStatus.ADULT.value
    subject.parental_consent_at = when
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="subject.parental_consent_verified",
        target_type="subject",
        target_id=subject_id,
        details={"method": method_value, "verified_at": when.isoformat()},
    )
    return subject


@dataclass(frozen=True)
class ChildDataOutcome:
    subject_id: str
    records_purged: int
    identities_deleted: bool
    device_periods_unlinked: int


def child_data_discovered(
    *,
    session: Session,
    vault: Vault,
    subject_id: str,
    reason: ChildDataReason | str,
    actor: str,
) -> ChildDataOutcome:
    """Delete a child's data at once (policy 9: promptly deleted or anonymised).

    The data key is destroyed and the identities deleted (``subjects.erase``), the
    device links and readings inside them removed, and the unreadable rows purged
    now rather than by the background job. The subject row stays as an anonymous
    marker (state ``erased``, age status ``minor_refused``) so the audit trail has
    something to point at; it holds no personal value.
    """
    try:
        reason_value = ChildDataReason(reason).value
    except ValueError:
        allowed = ", ".join(r.value for r in ChildDataReason)
        raise SubjectError(f"reason must be one of {allowed}", field="reason") from None
    subject = subjects.get_subject(session=session, subject_id=subject_id, for_update=True)
    if subject.state == SubjectState.ERASED:
        raise SubjectError("this subject was already erased", field="subject_id", code="conflict")
    previous_status = subject.age_status
    unlinked = telemetry.unlink_subject(
        session, subject_id, actor=actor, delete_readings=True
    ).periods
    erased = subjects.erase(session=session, vault=vault, subject_id=subject_id, actor=actor)
    purged = 0
    while True:
        batch = records.purge_records(session=session, subject_id=subject_id)
        purged += batch
        if batch == 0:
            break
    subject.age_status = AgeStatus.MINOR_REFUSED.value
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="subject.child_data_discovered",
        target_type="subject",
        target_id=subject_id,
        details={
            "reason": reason_value,
            "previous_age_status": previous_status,
            "outcome": "deleted",
            "records_purged": purged,
            "device_periods_unlinked": unlinked,
        },
    )
    return ChildDataOutcome(subject_id, purged, erased, unlinked)
