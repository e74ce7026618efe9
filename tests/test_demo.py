"""The demo loads once, through the same checks as real data, and a second load changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from privacyops import demo
from privacyops.db import Database
from privacyops.policy.service import PolicyStore
from privacyops.settings import Settings
from privacyops.subjects.models import PersonalRecord, Subject
from privacyops.vault.service import Vault


def test_the_demo_loads_once(db: Database, settings: Settings) -> None:
    policy, vault = PolicyStore(settings.policy), Vault.from_settings(settings)
    with db.unit_of_work() as session:
        keys = demo.load(session=session, policy=policy, vault=vault)
    assert set(keys) == {"website", "mobile-apps", "device-fleet"}
    with db.unit_of_work() as session:
        subjects = session.scalar(select(func.count(Subject.id)))
        records = session.scalar(select(func.count(PersonalRecord.id)))
        assert demo.load(session=session, policy=policy, vault=vault) == {}
        assert session.scalar(select(func.count(Subject.id))) == subjects
    assert subjects is not None
    assert subjects >= 60
    assert records is not None
    assert records > subjects
