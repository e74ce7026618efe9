"""Consent reports by purpose, regime, method and day; the demo makes them real."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from privacyops.consent import demo, reports
from privacyops.consent.models import ConsentEvent
from privacyops.db import Database, utcnow
from privacyops.policy.service import PolicyStore
from privacyops.settings import Settings
from privacyops.staff.permissions import Role
from privacyops.vault.service import Vault


def seed(db: Database, settings: Settings, visitors: int = 400) -> int:
    with db.unit_of_work() as session:
        return demo.seed(
            session=session,
            vault=Vault.from_settings(settings),
            declaration=PolicyStore(settings.policy).declaration,
            visitors=visitors,
        )


def test_the_demo_spreads_decisions_over_regimes_methods_and_90_days(
    db: Database, settings: Settings
) -> None:
    created = seed(db, settings, visitors=1500)
    assert created >= 3000
    with db.unit_of_work() as session:
        assert session.scalar(select(func.count(ConsentEvent.id))) == created
        found = reports.report(session=session, days=90)
    assert found.total == created
    assert {"EU", "CN", "US-CA", "GB"} <= set(found.by_regime)
    assert {"banner", "preferences", "gpc", "jurisdiction_default"} <= set(found.by_method)
    assert found.by_method["gpc"]["denied"] > 0
    assert len(found.days()) == 90
    assert sum(1 for _day, counts in found.days() if counts) > 80


def test_a_report_counts_only_its_window(db: Database, settings: Settings) -> None:
    seed(db, settings)
    with db.unit_of_work() as session:
        week = reports.report(session=session, days=7)
        quarter = reports.report(session=session, days=90)
        assert 0 < week.total < quarter.total
        later = reports.report(session=session, days=7, now=utcnow() + timedelta(days=400))
    assert later.total == 0


def test_the_console_shows_counts_a_chart_and_the_scan(
    db: Database, settings: Settings, staff_client: Callable[[Role], TestClient]
) -> None:
    seed(db, settings)
    page = staff_client(Role.AUDITOR).get("/admin/consent?days=30")
    assert page.status_code == 200
    assert '<svg class="chart consent-chart"' in page.text
    assert "<script" not in page.text
    for heading in ("By purpose", "By method", "By regime", "Latest cookie scan"):
        assert heading in page.text
    assert "Product optimisation and analytics" in page.text
    assert 'href="/admin/consent"' in page.text


def test_the_reports_api_matches_the_events(
    db: Database, settings: Settings, staff_client: Callable[[Role], TestClient]
) -> None:
    created = seed(db, settings, visitors=100)
    body = staff_client(Role.PRIVACY_OFFICER).get("/api/v1/consent/reports?days=90").json()
    assert body["total"] == created
    assert len(body["by_day"]) == 90
    assert sum(d["granted"] + d["denied"] + d["withdrawn"] for d in body["by_day"]) == created
    assert sum(sum(c.values()) for c in body["by_purpose"].values()) == created
