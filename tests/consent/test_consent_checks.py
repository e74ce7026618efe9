"""The in-process check: right answers, fast, and never older than the last write it saw."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from sqlalchemy import insert

from privacyops.consent import service
from privacyops.consent.catalogue import PurposeInfo
from privacyops.consent.checks import ConsentChecker, UnknownPurposeError
from privacyops.consent.models import ConsentEvent, Method
from privacyops.db import Database, utcnow
from privacyops.jurisdictions import service as jurisdictions
from privacyops.policy.service import PolicyStore
from privacyops.settings import Settings
from privacyops.subjects import service as subjects

ACTOR = "staff:test"


@pytest.fixture
def policy(settings: Settings) -> PolicyStore:
    return PolicyStore(settings.policy)


@pytest.fixture
def checker(db: Database, policy: PolicyStore) -> ConsentChecker:
    return ConsentChecker(db=db, policy=policy, ttl=60)


def context(regime: str = "EU") -> service.Context:
    return service.Context(
        regime=jurisdictions.get_regime(regime),
        gpc_applies=False,
        gpc_signal=False,
        policy_version="1.0.0",
        notice_version="1.0.0",
        notice_hash="0" * 64,
        lang="en",
        at=utcnow(),
        actor=ACTOR,
    )


def choose(db: Database, policy: PolicyStore, subject_id: str, **choices: bool) -> None:
    with db.unit_of_work() as session:
        service.record_choices(
            session=session,
            declaration=policy.declaration,
            who=service.Who(subject_id=subject_id),
            choices=choices,
            method=Method.API,
            context=context(),
        )


def test_a_grant_is_seen_at_once_by_the_checker_of_this_process(
    checker: ConsentChecker, db: Database, policy: PolicyStore, make_subject: Callable[..., str]
) -> None:
    subject_id = make_subject("DE")
    assert checker.may_process(subject_id, "product_analytics") is False
    choose(db, policy, subject_id, analytics=True)
    assert checker.may_process(subject_id, "product_analytics") is True
    choose(db, policy, subject_id, analytics=False)
    assert checker.may_process(subject_id, "product_analytics") is False


def test_restricting_a_subject_reaches_the_cache_at_commit(
    checker: ConsentChecker, db: Database, policy: PolicyStore, make_subject: Callable[..., str]
) -> None:
    subject_id = make_subject("US", "CA")
    assert checker.may_process(subject_id, "product_analytics") is True
    with db.unit_of_work() as session:
        subjects.set_state(session=session, subject_id=subject_id, state="restricted", actor=ACTOR)
    assert checker.may_process(subject_id, "product_analytics") is False
    assert checker.may_process(subject_id, "account_management") is True


def test_a_rolled_back_write_changes_nothing(
    checker: ConsentChecker, db: Database, policy: PolicyStore, make_subject: Callable[..., str]
) -> None:
    subject_id = make_subject("DE")
    assert checker.may_process(subject_id, "product_analytics") is False

    def failing_request() -> None:
        with db.unit_of_work() as session:
            service.record_choices(
                session=session,
                declaration=policy.declaration,
                who=service.Who(subject_id=subject_id),
                choices={"analytics": True},
                method=Method.API,
                context=context(),
            )
            raise RuntimeError("the request failed after recording")

    with pytest.raises(RuntimeError):
        failing_request()
    assert checker.may_process(subject_id, "product_analytics") is False


def test_a_write_this_process_did_not_see_shows_after_the_ttl(
    db: Database, policy: PolicyStore, make_subject: Callable[..., str]
) -> None:
    """What another process wrote is invisible here until the entry expires."""
    checker = ConsentChecker(db=db, policy=policy, ttl=0.2)
    subject_id = make_subject("DE")
    assert checker.may_process(subject_id, "product_analytics") is False
    with db.engine.begin() as conn:  # another process's insert: no announcement reaches us
        conn.execute(
            insert(ConsentEvent).values(
                receipt_id="r-other-process",
                subject_id=subject_id,
                purpose="product_analytics",
                state="granted",
                method="api",
                policy_version="1.0.0",
                notice_version="1.0.0",
                notice_hash="0" * 64,
                lang="en",
                regime="EU",
                occurred_at=utcnow(),
                actor=ACTOR,
            )
        )
    assert checker.may_process(subject_id, "product_analytics") is False
    time.sleep(0.25)
    assert checker.may_process(subject_id, "product_analytics") is True


def test_unknown_and_erased_subjects_are_denied_everything(
    checker: ConsentChecker, db: Database, settings: Settings, make_subject: Callable[..., str]
) -> None:
    from privacyops.vault.service import Vault

    assert checker.may_process("no-such-subject", "account_management") is False
    subject_id = make_subject("US", "CA")
    with db.unit_of_work() as session:
        subjects.erase(
            session=session, vault=Vault.from_settings(settings), subject_id=subject_id, actor=ACTOR
        )
    assert checker.may_process(subject_id, "account_management") is False


def test_an_undeclared_purpose_is_an_error_not_a_no(
    checker: ConsentChecker, make_subject: Callable[..., str]
) -> None:
    with pytest.raises(UnknownPurposeError):
        checker.may_process(make_subject(), "marketing_emails")


def test_a_deny_predicate_can_take_permission_away(
    checker: ConsentChecker, make_subject: Callable[..., str]
) -> None:
    subject_id = make_subject("US", "CA")

    def objected(_session: object, subject: object, purpose: PurposeInfo) -> bool:
        return purpose.key == "product_analytics" and getattr(subject, "id", None) == subject_id

    service.register_deny(objected)  # type: ignore[arg-type]
    try:
        assert checker.may_process(subject_id, "product_analytics") is False
        assert checker.may_process(subject_id, "consented_uses") is True
    finally:
        service.DENY_PREDICATES.remove(objected)  # type: ignore[arg-type]


def test_cached_checks_run_far_faster_than_the_database(
    checker: ConsentChecker, make_subject: Callable[..., str]
) -> None:
    """A loose floor that catches a check hitting the database; bench/consent.py measures."""
    subject_ids = [make_subject("DE") for _ in range(5)]
    for subject_id in subject_ids:
        checker.may_process(subject_id, "product_analytics")
    n = 200_000
    purposes = ["product_analytics", "account_management"]
    started = time.perf_counter()
    for i in range(n):
        checker.may_process(subject_ids[i % 5], purposes[i & 1])
    rate = n / (time.perf_counter() - started)
    assert rate > 250_000, f"{rate:,.0f} checks/s"
