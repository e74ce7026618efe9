"""Two synthetic incidents for the demo: one open with running clocks, one closed."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from privacyops.db import utcnow
from privacyops.incidents import reports, service
from privacyops.policy.schema import Declaration

ACTOR = "system:demo"


def seed(*, session: Session, declaration: Declaration) -> list[str]:
    now = utcnow()
    open_one = service.register(
        session=session,
        declaration=declaration,
        actor=ACTOR,
        title="Support export readable on a storage bucket (synthetic)",
        description="A CSV export of account e-mails was readable without login for 30 hours.",
        detected_at=now - timedelta(hours=3),
        aware_at=now - timedelta(hours=2),
        categories=["account", "contact"],
        systems=["support-exports bucket"],
        risk="high",
        risk_reasons="Addresses allow targeted phishing that imitates our notices.",
        consequences="Phishing e-mails that imitate our support.",
        measures=["Bucket made private.", "Access logs under review."],
    )
    service.add_task(
        session=session, incident_id=open_one.id, title="Review access logs", actor=ACTOR
    )
    service.add_note(
        session=session, incident_id=open_one.id, text="Bucket made private.", actor=ACTOR
    )
    closed = service.register(
        session=session,
        declaration=declaration,
        actor=ACTOR,
        title="Lost encrypted laptop (synthetic)",
        description="A support laptop with an encrypted disk was lost on a train.",
        detected_at=now - timedelta(days=40),
        aware_at=now - timedelta(days=40),
        categories=["support"],
        risk="likely",
        encrypted=True,
        status="closed",
        lessons="Remote wipe enabled for every support laptop.",
    )
    for regime in ("CN", "EU"):
        reports.record_notice(
            session=session,
            incident_id=closed.id,
            regime=regime,
            audience="regulator",
            stage="notice",
            channel="regulator portal",
            actor=ACTOR,
            sent_at=closed.aware_at + timedelta(hours=2),
        )
    return [open_one.id, closed.id]
