"""Consent changes from other processes on PostgreSQL: heard through LISTEN, never stale.

"Another process" is a transaction on a connection of its own that inserts the
event and sends the NOTIFY, as the service does, without the in-process
announcement; the checker has a TTL of an hour, so only the notification can
make it see the change.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import insert, text

from privacyops.consent import freshness
from privacyops.consent.checks import ConsentChecker
from privacyops.consent.models import ConsentEvent
from privacyops.db import Database, utcnow
from privacyops.policy.service import PolicyStore
from privacyops.settings import Settings


@pytest.fixture
def pg(db: Database) -> Database:
    if not db.is_postgres:
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's; SQLite keeps the TTL")
    return db


@pytest.fixture
def listened(
    pg: Database, settings: Settings
) -> Iterator[tuple[ConsentChecker, freshness.Listener]]:
    holder: list[ConsentChecker] = []
    listener = freshness.Listener(pg.url, lambda subject: [c.invalidate(subject) for c in holder])
    checker = ConsentChecker(
        db=pg, policy=PolicyStore(settings.policy), ttl=3600, listener=listener
    )
    holder.append(checker)
    until(lambda: listener.connected)
    yield checker, listener
    listener.stop()


def until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    """Wait for something another thread or process does (not a measure of speed)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the condition did not come true")
        time.sleep(0.01)


def other_process_grants(db: Database, subject_id: str, *, state: str, notify: bool) -> None:
    with db.engine.begin() as conn:
        conn.execute(
            insert(ConsentEvent).values(
                receipt_id=f"r-{state}-{time.monotonic_ns()}",
                subject_id=subject_id,
                purpose="product_analytics",
                state=state,
                method="api",
                policy_version="1.0.0",
                notice_version="1.0.0",
                notice_hash="0" * 64,
                lang="en",
                regime="EU",
                occurred_at=utcnow(),
                actor="staff:test",
            )
        )
        if notify:
            freshness.notify_on(conn, subject_id, None)


def test_a_change_committed_elsewhere_is_heard_without_waiting_for_the_ttl(
    listened: tuple[ConsentChecker, freshness.Listener],
    pg: Database,
    make_subject: Callable[..., str],
) -> None:
    checker, _ = listened
    subject_id = make_subject("DE")
    # Cached for an hour (once the listener is quiet): only a notification can change it.
    until(
        lambda: checker.may_process(subject_id, "product_analytics") is False and checker.size == 1
    )
    other_process_grants(pg, subject_id, state="granted", notify=True)
    until(lambda: checker.may_process(subject_id, "product_analytics") is True)
    other_process_grants(pg, subject_id, state="withdrawn", notify=True)
    until(lambda: checker.may_process(subject_id, "product_analytics") is False)
    # Other work on the database may notify too (each notification drops what it names);
    # once the listener is quiet, the answer is cached again.
    until(
        lambda: checker.may_process(subject_id, "product_analytics") is False and checker.size == 1
    )


def test_a_notification_sent_in_a_rolled_back_transaction_is_never_delivered(
    listened: tuple[ConsentChecker, freshness.Listener],
    pg: Database,
    make_subject: Callable[..., str],
) -> None:
    _checker, listener = listened
    subject_id = make_subject("DE")
    with pg.engine.connect() as conn:
        freshness.notify_on(conn, subject_id, None)
        conn.rollback()
    other_process_grants(pg, "no-such-subject-but-a-marker", state="granted", notify=True)
    until(lambda: listener.heard >= 1)
    assert listener.heard == 1


def test_while_the_listener_is_down_checks_read_the_database_and_it_reconnects(
    listened: tuple[ConsentChecker, freshness.Listener],
    pg: Database,
    make_subject: Callable[..., str],
) -> None:
    checker, listener = listened
    subject_id = make_subject("DE")
    assert checker.may_process(subject_id, "product_analytics") is False
    pid = listener.backend_pid()
    assert pid is not None
    with pg.engine.begin() as conn:  # the server ends the listening connection
        assert conn.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid}).scalar()
    # A change whose notification nobody hears: the cache must not answer from before it.
    other_process_grants(pg, subject_id, state="granted", notify=False)
    assert checker.may_process(subject_id, "product_analytics") is True
    until(lambda: listener.connected and listener.reconnects >= 1)
    assert listener.backend_pid() != pid
    assert checker.may_process(subject_id, "product_analytics") is True
    heard = listener.heard
    other_process_grants(pg, subject_id, state="withdrawn", notify=True)
    until(lambda: listener.heard > heard)
    assert checker.may_process(subject_id, "product_analytics") is False
