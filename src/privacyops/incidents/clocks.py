"""Notification clocks of an incident: due dates from the rulebook, status from the notices.

The clocks are ``jurisdictions.breach_clocks`` for the regimes of the affected
subjects. A clock is ``met`` once a notice of its audience (and stage) is
recorded for its regime, ``overdue`` once its due time passed without one,
``not_required`` where the rule itself lifts the duty for this incident, and
``open`` otherwise. Two liftings are read from the rule, not written here:
a clock for individuals whose threshold asks for a *high* risk does not run
for a lower risk, and a GDPR-family Art. 34 duty (or a rule that speaks of
encrypted or unintelligible data) does not run when the data were encrypted
at rest or crypto-shredded (Art. 34(3)(a)).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from privacyops.audit import service as audit
from privacyops.incidents import service
from privacyops.incidents.models import (
    ClockReminder,
    Incident,
    IncidentNotice,
    IncidentStatus,
    Risk,
)
from privacyops.jurisdictions import service as jurisdictions
from privacyops.jurisdictions.schemas import BreachClock
from privacyops.notify import service as notify
from privacyops.policy.schema import Declaration
from privacyops.vault.service import Vault

#: How long before a due time the privacy officer is reminded, largest first.
THRESHOLDS: tuple[tuple[str, timedelta], ...] = (
    ("24h", timedelta(hours=24)),
    ("4h", timedelta(hours=4)),
    ("1h", timedelta(hours=1)),
    ("due", timedelta(0)),
)


@dataclass(frozen=True)
class ClockState:
    key: str
    clock: BreachClock
    status: str  # open | met | overdue | not_required
    why: str
    met_at: datetime | None

    @property
    def regime(self) -> str:
        return self.clock.regime

    @property
    def audience(self) -> str:
        return self.clock.audience.value

    @property
    def due_at(self) -> datetime | None:
        return self.clock.due_at


def clock_key(clock: BreachClock) -> str:
    return f"{clock.regime}/{clock.audience.value}/{clock.stage}"


def remaining(due_at: datetime | None, now: datetime) -> str:
    """'2 d 03 h 12 min left' or '5 h 02 min overdue': the console's countdown text."""
    if due_at is None:
        return "no fixed time"
    seconds = int((due_at - now).total_seconds())
    late, seconds = seconds < 0, abs(seconds)
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    text = f"{hours:02d} h {rest // 60:02d} min"
    if days:
        text = f"{days} d {text}"
    return f"{text} overdue" if late else f"{text} left"


def regimes_of(session: Session, incident: Incident) -> list[str]:
    found = service.estimate(session=session, categories=incident.categories).by_jurisdiction
    return [code for code in found if code != "unknown"]


def _lifted(incident: Incident, clock: BreachClock) -> str | None:
    if clock.audience.value != "individuals":
        if incident.risk == Risk.UNLIKELY.value:
            return "risk assessed as unlikely: documented, no notice (e.g. GDPR Art. 33(1))"
        return None
    words = " ".join(filter(None, (clock.threshold, clock.basis, clock.law))).lower()
    if "high risk" in words and incident.risk != Risk.HIGH.value:
        return "the rule asks for a high risk; this incident is not assessed as high risk"
    protected = incident.encrypted or incident.crypto_shredded
    if protected and ("art. 34" in words or "encrypted" in words or "unintelligible" in words):
        how = "encrypted at rest" if incident.encrypted else "crypto-shredded"
        return f"data {how}, so unintelligible to others (GDPR Art. 34(3)(a) and alike)"
    return None


def _notices(session: Session, incident_id: str) -> list[IncidentNotice]:
    query = select(IncidentNotice).where(IncidentNotice.incident_id == incident_id)
    return list(session.scalars(query.order_by(IncidentNotice.sent_at)))


def _met(clock: BreachClock, notices: list[IncidentNotice]) -> datetime | None:
    for notice in notices:
        if notice.audience != clock.audience.value or notice.regime not in (None, clock.regime):
            continue
        if notice.stage == clock.stage:
            return notice.sent_at
    return None


def incident_clocks(*, session: Session, incident: Incident, now: datetime) -> list[ClockState]:
    """Every clock of the incident with its status at ``now``, soonest first."""
    clocks = jurisdictions.breach_clocks(
        regimes=regimes_of(session, incident),
        aware_at=incident.aware_at,
        major=incident.major,
        critical_infrastructure=incident.critical_infrastructure,
    )
    notices = _notices(session, incident.id)
    states = []
    for clock in clocks:
        met_at = _met(clock, notices)
        lifted = _lifted(incident, clock)
        if met_at is not None:
            status, why = "met", f"notice recorded {met_at:%Y-%m-%d %H:%M} UTC"
        elif lifted is not None:
            status, why = "not_required", lifted
        elif clock.due_at is not None and clock.due_at < now:
            status, why = "overdue", remaining(clock.due_at, now)
        else:
            status, why = "open", remaining(clock.due_at, now)
        states.append(ClockState(clock_key(clock), clock, status, why, met_at))
    return states


def _live(session: Session) -> list[Incident]:
    query = select(Incident).where(Incident.status != IncidentStatus.CLOSED.value)
    return list(session.scalars(query.order_by(Incident.aware_at)))


def running_clocks(session: Session, now: datetime) -> list[tuple[Incident, ClockState]]:
    """Clocks of incidents not closed that are still open or overdue, soonest due first."""
    running = [
        (incident, state)
        for incident in _live(session)
        for state in incident_clocks(session=session, incident=incident, now=now)
        if state.status in ("open", "overdue") and state.due_at is not None
    ]
    return sorted(running, key=lambda pair: pair[1].due_at or now)


def overdue_clocks(session: Session, now: datetime) -> list[tuple[Incident, ClockState]]:
    """Clocks past due with no notice recorded, for the conformance audit (closed included:
    closing an incident does not excuse a notice that was never sent)."""
    found = []
    for incident in service.list_incidents(session=session):
        for state in incident_clocks(session=session, incident=incident, now=now):
            if state.status == "overdue":
                found.append((incident, state))
    return found


def privacy_contact(declaration: Declaration) -> str | None:
    """The e-mail the declaration gives for security matters (else its first e-mail)."""
    emails = [c for c in declaration.contact.channels if c.kind == "email"]
    for channel in emails:
        if "security" in channel.handles:
            return channel.value
    return emails[0].value if emails else None


def remind_due_clocks(
    session: Session,
    now: datetime,
    *,
    vault: Vault | None = None,
    declaration: Declaration | None = None,
    base_url: str = "",
) -> list[ClockReminder]:
    """Record a reminder for each open clock that crossed a threshold; once per clock and
    threshold (a unique constraint decides a race), so the job may run as often as it likes.
    Only the nearest threshold crossed is recorded: a clock first seen 30 minutes before its
    due time gets the 1 h reminder, not the 24 h and 4 h ones as well.

    Given the vault and the declaration, each reminder is also e-mailed to the privacy
    contact (``privacy_contact``) through notify, keyed by the reminder so a rerun that
    stopped between the two never sends it twice."""
    contact = privacy_contact(declaration) if declaration is not None else None
    made: list[ClockReminder] = []
    for incident in _live(session):
        for state in incident_clocks(session=session, incident=incident, now=now):
            if state.status not in ("open", "overdue") or state.due_at is None:
                continue
            crossed = [name for name, lead in THRESHOLDS if now >= state.due_at - lead]
            if not crossed:
                continue
            threshold = crossed[-1]
            exists = session.scalar(
                select(ClockReminder.id).where(
                    ClockReminder.incident_id == incident.id,
                    ClockReminder.clock == state.key,
                    ClockReminder.threshold == threshold,
                )
            )
            if exists is not None:
                continue
            reminder = ClockReminder(
                incident_id=incident.id,
                clock=state.key,
                threshold=threshold,
                due_at=state.due_at,
                created_at=now,
            )
            try:
                with session.begin_nested():
                    session.add(reminder)
                    session.flush()
            except IntegrityError:
                continue
            audit.record(
                session=session,
                actor="system:incidents",
                action="incident.clock_reminder",
                target_type="incident",
                target_id=incident.id,
                details={"clock": state.key, "threshold": threshold},
            )
            if vault is not None and contact is not None:
                _email_reminder(session, vault, contact, incident, state, threshold, now, base_url)
            made.append(reminder)
    return made


def _email_reminder(
    session: Session,
    vault: Vault,
    contact: str,
    incident: Incident,
    state: ClockState,
    threshold: str,
    now: datetime,
    base_url: str,
) -> None:
    assert state.due_at is not None
    rule = state.clock.rule + (f" · {state.clock.law}" if state.clock.law else "")
    notify.queue_email(
        session=session,
        vault=vault,
        to=contact,
        template="clock_reminder",
        language="en",
        context={
            "reference": incident.reference,
            "title": incident.title,
            "regime": state.regime,
            "audience": state.audience,
            "due_at": state.due_at.isoformat(),
            "remaining": remaining(state.due_at, now),
            "rule": rule,
            "incident_url": f"{base_url}/admin/incidents/{incident.id}",
        },
        idempotency_key=f"clock-reminder:{incident.id}:{state.key}:{threshold}",
        batch=f"clock-reminders:{incident.id}",
        actor="system:incidents",
        now=now,
    )


def reminders(*, session: Session, limit: int = 50) -> list[ClockReminder]:
    query = select(ClockReminder).order_by(ClockReminder.created_at.desc()).limit(limit)
    return list(session.scalars(query))
