"""Regulator reports: a draft per regime with what the law asks, then the officer's edits.

The draft follows GDPR Art. 33(3), which also covers what the other regimes
ask (PIPL Art. 57 names the same items: categories, causes, possible harm,
measures taken, what individuals can do, a contact): (a) the nature of the
breach with the categories and approximate numbers of subjects and records,
(b) the DPO's or another contact point, (c) the likely consequences, (d) the
measures taken or proposed. It is Markdown, so it reads as plain text too.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from privacyops.audit import service as audit
from privacyops.db import utcnow
from privacyops.incidents import service
from privacyops.incidents.models import Incident, IncidentNotice, IncidentReport
from privacyops.jurisdictions import service as jurisdictions
from privacyops.policy.schema import Declaration


def contact_point(declaration: Declaration) -> str:
    """The privacy contact the declaration names for security matters (else the controller)."""
    for channel in declaration.contact.channels:
        if channel.kind == "email" and "security" in channel.handles:
            return str(channel.value)
    return declaration.controller.emails[0]


def _list(items: list[str]) -> str:
    return "\n".join(f"- {item}" for item in items) if items else "- (none recorded yet)"


def draft(*, session: Session, declaration: Declaration, incident: Incident, regime: str) -> str:
    """The report the law asks for, filled from the incident and the live data."""
    rules = jurisdictions.get_regime(regime)
    found = service.estimate(session=session, categories=incident.categories)
    labels = {c.key: c.label.en for c in declaration.categories}
    here = found.by_jurisdiction.get(regime, 0)
    laws = sorted({c.law for c in rules.breach.clocks if c.law and c.audience.value == "regulator"})
    protected = (
        "Data were encrypted at rest."
        if incident.encrypted
        else "Data keys were destroyed (crypto-shredded)."
        if incident.crypto_shredded
        else "Data were not protected by encryption that the attacker could not undo."
    )
    lines = [
        f"# Personal data breach report — {incident.reference}",
        "",
        f"To: {rules.regulator.name}",
        f"Regime: {regime} ({'; '.join(laws) or 'no regulator clock in the rulebook'})",
        f"Controller: {declaration.controller.name}, {declaration.controller.address.en}",
        f"Detected: {incident.detected_at:%Y-%m-%d %H:%M} UTC; "
        f"aware: {incident.aware_at:%Y-%m-%d %H:%M} UTC",
        "",
        "## 1. Nature of the breach",
        "",
        incident.description,
        "",
        f"Systems: {', '.join(incident.systems) or '(none recorded)'}",
        "Categories of personal data: "
        + ", ".join(f"{labels.get(key, key)} ({key})" for key in incident.categories),
        f"Approximate number of data subjects: {found.subjects} in total, {here} under {regime}",
        f"Approximate number of records: {found.records}",
        "By storage region: "
        + (", ".join(f"{k}: {v}" for k, v in found.by_region.items()) or "none"),
        f"Encryption: {protected}",
        "",
        "## 2. Contact point",
        "",
        f"Data protection contact: {contact_point(declaration)}",
        "",
        "## 3. Likely consequences",
        "",
        incident.consequences or "(to be assessed)",
        "",
        f"Risk assessment: {incident.risk} risk. {incident.risk_reasons}".rstrip(),
        "",
        "## 4. Measures taken or proposed",
        "",
        _list(incident.measures),
        "",
        "This report may be supplemented in phases as more becomes known (GDPR Art. 33(4)).",
    ]
    return "\n".join(lines) + "\n"


def get_report(*, session: Session, incident_id: str, regime: str) -> IncidentReport | None:
    return session.scalar(
        select(IncidentReport).where(
            IncidentReport.incident_id == incident_id, IncidentReport.regime == regime
        )
    )


def report_text(
    *, session: Session, declaration: Declaration, incident: Incident, regime: str
) -> str:
    """The stored report if edited, else a fresh draft."""
    stored = get_report(session=session, incident_id=incident.id, regime=regime)
    if stored is not None:
        return stored.body
    return draft(session=session, declaration=declaration, incident=incident, regime=regime)


def save_report(
    *,
    session: Session,
    incident_id: str,
    regime: str,
    body: str,
    actor: str,
    now: datetime | None = None,
) -> IncidentReport:
    service.get(session=session, incident_id=incident_id)
    try:
        jurisdictions.get_regime(regime)
    except jurisdictions.UnknownRegimeError:
        raise service.IncidentError(f"no regime {regime!r}", field="regime") from None
    if not body.strip() or len(body) > 100_000:
        raise service.IncidentError("body: 1 to 100000 characters", field="body")
    row = get_report(session=session, incident_id=incident_id, regime=regime)
    if row is None:
        row = IncidentReport(incident_id=incident_id, regime=regime, body=body, updated_by=actor)
        session.add(row)
    row.body, row.updated_by, row.updated_at = body, actor, now or utcnow()
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="incident.report_saved",
        target_type="incident",
        target_id=incident_id,
        details={"regime": regime, "chars": len(body)},
    )
    return row


def record_notice(
    *,
    session: Session,
    incident_id: str,
    regime: str | None,
    audience: str,
    stage: str,
    channel: str,
    actor: str,
    sent_at: datetime | None = None,
    detail: dict[str, object] | None = None,
) -> IncidentNotice:
    """Record that a notice went out (a regulator report filed, people notified)."""
    service.get(session=session, incident_id=incident_id)
    if audience not in ("regulator", "individuals"):
        raise service.IncidentError("audience: regulator or individuals", field="audience")
    if regime is not None:
        try:
            jurisdictions.get_regime(regime)
        except jurisdictions.UnknownRegimeError:
            raise service.IncidentError(f"no regime {regime!r}", field="regime") from None
    when = sent_at or utcnow()
    if when.tzinfo is None:
        raise service.IncidentError("sent_at: a time zone is needed", field="sent_at")
    notice = IncidentNotice(
        incident_id=incident_id,
        regime=regime,
        audience=audience,
        stage=stage[:40] or "notice",
        channel=channel[:40],
        sent_at=when,
        recorded_by=actor,
        detail=dict(detail or {}),
    )
    session.add(notice)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="incident.notice_recorded",
        target_type="incident",
        target_id=incident_id,
        details={"regime": regime, "audience": audience, "stage": notice.stage, "channel": channel},
    )
    return notice


def notices_of(*, session: Session, incident_id: str) -> list[IncidentNotice]:
    query = select(IncidentNotice).where(IncidentNotice.incident_id == incident_id)
    return list(session.scalars(query.order_by(IncidentNotice.sent_at)))
