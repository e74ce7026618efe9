"""Demo retention: two legal holds and one sweep that removes old support values."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from privacyops.db import utcnow
from privacyops.policy.schema import Declaration
from privacyops.retention import service
from privacyops.subjects import records
from privacyops.subjects import service as subjects
from privacyops.vault.blind_index import IdentityKind
from privacyops.vault.service import Vault

ACTOR = "system:demo"


def _customer(session: Session, vault: Vault, account_id: str) -> str | None:
    found = subjects.find_subject_by(
        session=session, vault=vault, kind=IdentityKind.ACCOUNT_ID, value=account_id
    )
    return found.id if found is not None else None


def _old_ticket(session: Session, vault: Vault, subject_id: str, text: str) -> None:
    now = utcnow()
    records.store_values(
        session=session,
        vault=vault,
        subject_id=subject_id,
        category="support",
        values={"ticket_id": f"T-OLD-{text[:4]}", "message": f"(synthetic) {text}"},
        purpose="service_support",
        region="cn",
        expires_at=now - timedelta(days=35),
        notice_version="1.0.0",
        source="demo",
        actor=ACTOR,
        collected_at=now - timedelta(days=400),
    )


def seed(*, session: Session, vault: Vault, declaration: Declaration) -> int:
    """Place the holds, plant tickets past their 365 days, sweep once; returns the report id."""
    now = utcnow()
    service.create_hold(
        session=session,
        declaration=declaration,
        actor=ACTOR,
        reason="(synthetic) Cyberspace administration inquiry into login abuse",
        law="CSL art. 21 / 《网络安全法》第二十一条 (network logs)",
        category="ip_address",
        reference="CAC-2026-0117",
        ends_at=now + timedelta(days=90),
    )
    disputed = _customer(session, vault, "demo-0002")
    if disputed is not None:
        service.create_hold(
            session=session,
            declaration=declaration,
            actor=ACTOR,
            reason="(synthetic) Warranty dispute before the Haidian court",
            law="PRC Civil Procedure Law art. 67 (evidence)",
            subject_id=disputed,
            reference="(2026) Jing 0108 Min Chu 4711",
        )
        _old_ticket(session, vault, disputed, "Breaker tripped twice, asking for a refund")
    first = _customer(session, vault, "demo-0001")
    if first is not None:
        for text in ("Wi-Fi pairing fails", "Firmware 2.3 question", "App login loop"):
            _old_ticket(session, vault, first, text)
    report = service.sweep(
        session=session,
        declaration=declaration,
        actor=ACTOR,
        checkpoint=session.flush,
        other_stores=False,
    )
    return report.id
