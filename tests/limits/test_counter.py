"""The shared counters: exact under concurrent hits, windows that end, the sweep job."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import func, select

from privacyops.db import Database, utcnow
from privacyops.jobs import registry
from privacyops.limits import counter
from privacyops.limits.models import LimitCounter

WINDOW = timedelta(minutes=1)


def test_hits_past_the_limit_are_refused_until_the_window_ends(db: Database) -> None:
    now = utcnow()
    hits = [counter.take(db=db, key="k", limit=3, window=WINDOW, now=now) for _ in range(5)]
    assert [h.hits for h in hits] == [1, 2, 3, 4, 5]
    assert [h.allowed for h in hits] == [True, True, True, False, False]
    assert hits[0].ends_at == now + WINDOW
    later = counter.take(db=db, key="k", limit=3, window=WINDOW, now=now + WINDOW)
    assert (later.hits, later.allowed) == (1, True)
    assert counter.take(db=db, key="other", limit=3, window=WINDOW, now=now).hits == 1


def test_concurrent_hits_are_counted_one_by_one(db: Database) -> None:
    """Sixteen threads on their own connections: every count from 1 to 80 is handed out once."""

    def hit(_n: int) -> int:
        return counter.take(db=db, key="busy", limit=10, window=WINDOW).hits

    with ThreadPoolExecutor(max_workers=16) as pool:
        counts = list(pool.map(hit, range(80)))
    assert sorted(counts) == list(range(1, 81))
    assert sum(c <= 10 for c in counts) == 10


def test_giving_back_and_taking_several_keys(db: Database) -> None:
    assert counter.take_all(db=db, keys=["a", "b"], limit=1, window=WINDOW)
    assert not counter.take_all(db=db, keys=["a", "b"], limit=1, window=WINDOW)
    counter.give_back(db=db, keys=["a", "b"])
    counter.give_back(db=db, keys=["a", "b"])
    counter.give_back(db=db, keys=["a", "b", "never-hit"])
    with db.unit_of_work() as session:
        assert set(session.scalars(select(LimitCounter.hits))) == {0}
    assert counter.take_all(db=db, keys=["a", "b"], limit=1, window=WINDOW)


def test_the_sweep_job_deletes_ended_windows_only(db: Database) -> None:
    now = utcnow()
    counter.take(db=db, key="old", limit=1, window=WINDOW, now=now - timedelta(hours=1))
    counter.take(db=db, key="live", limit=1, window=WINDOW, now=now)
    task = registry.task("limits_sweep")
    assert counter.sweep(db=db, now=now) == 1
    with db.unit_of_work() as session:
        assert list(session.scalars(select(LimitCounter.key))) == ["live"]
        assert session.scalar(select(func.count()).select_from(LimitCounter)) == 1
    assert task.every == timedelta(minutes=15)
