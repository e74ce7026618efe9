"""Judging a scan against the declaration, and keeping the latest verdict."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from tests.conftest import ROOT

from privacyops.consent import scans
from privacyops.consent.scans import SeenCookie
from privacyops.db import Database, utcnow
from privacyops.policy.loader import load_declaration
from privacyops.staff.permissions import Role

DECLARATION = load_declaration(ROOT / "policy" / "fstsmart.yaml")
CONSENT = SeenCookie("fst_consent", "127.0.0.1")
ANALYTICS = SeenCookie("fst_aid", "127.0.0.1")


def test_a_page_that_waits_for_consent_passes() -> None:
    verdict = scans.judge(
        declaration=DECLARATION,
        seen={"before": [], "accept": [CONSENT, ANALYTICS], "reject": [CONSENT]},
        banner_found={"before": True, "accept": True, "reject": True},
    )
    assert verdict.ok
    assert verdict.notes == ["fst_lang (functional) was not set even after Accept all"]


def test_an_analytics_cookie_before_consent_or_after_reject_is_a_violation() -> None:
    verdict = scans.judge(
        declaration=DECLARATION,
        seen={"before": [ANALYTICS], "accept": [ANALYTICS], "reject": [CONSENT, ANALYTICS]},
    )
    assert [(v["kind"], v["phase"]) for v in verdict.violations] == [
        ("before_consent", "before"),
        ("after_reject", "reject"),
    ]


def test_an_undeclared_cookie_is_a_violation_in_any_phase() -> None:
    verdict = scans.judge(
        declaration=DECLARATION,
        seen={"before": [], "accept": [SeenCookie("_ga", ".example.com")], "reject": []},
    )
    assert verdict.violations[0]["kind"] == "undeclared"
    assert verdict.phases["accept"][0] == {
        "name": "_ga",
        "domain": ".example.com",
        "category": None,
        "declared": False,
    }


def test_a_missing_banner_is_a_violation() -> None:
    verdict = scans.judge(declaration=DECLARATION, seen={}, banner_found={"before": False})
    assert verdict.violations[0]["kind"] == "no_banner"


def test_the_latest_scan_is_kept_for_the_console_and_the_api(
    db: Database, staff_client: Callable[[Role], TestClient]
) -> None:
    with db.unit_of_work() as session:
        for url in ("http://a.example/", "http://b.example/"):
            verdict = scans.judge(declaration=DECLARATION, seen={"before": [ANALYTICS]})
            scans.store(
                session=session, url=url, region=None, verdict=verdict, at=utcnow(), actor="test"
            )
    auditor = staff_client(Role.AUDITOR)
    latest = auditor.get("/api/v1/consent/scans/latest").json()
    assert (latest["url"], latest["ok"], latest["violations"]) == ("http://b.example/", False, 1)
    page = auditor.get("/admin/consent")
    assert "http://b.example/" in page.text
    assert "before_consent" in page.text
