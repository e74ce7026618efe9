"""The demo shows retention at work: two legal holds and a sweep that kept the held ticket."""

from __future__ import annotations

from privacyops import demo
from privacyops.db import Database
from privacyops.policy.service import PolicyStore
from privacyops.retention import service
from privacyops.settings import Settings
from privacyops.vault.service import Vault


def test_the_demo_has_holds_and_a_sweep_report(db: Database, settings: Settings) -> None:
    policy, vault = PolicyStore(settings.policy), Vault.from_settings(settings)
    with db.unit_of_work() as session:
        demo.load(session=session, policy=policy, vault=vault)
    with db.unit_of_work() as session:
        holds = service.list_holds(session=session, active_only=True)
        [report] = service.reports(session=session)
    assert sorted((h.category or "", bool(h.subject_id)) for h in holds) == [
        ("", True),
        ("ip_address", False),
    ]
    assert report.status == "done"
    assert report.lines["support"]["deleted"] >= 3
    assert report.lines["support"]["held"] >= 1
