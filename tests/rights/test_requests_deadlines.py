"""Due dates, the one extension, overdue requests, the queue order and unverified expiry."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from fastapi.testclient import TestClient
from tests.rights.requests_support import Desk, open_desk
from tests.rights.support import World

from privacyops.rights import deadlines, decisions
from privacyops.rights.verification import VERIFY_WITHIN_DAYS
from privacyops.settings import Settings
from privacyops.staff.permissions import Role

ALICE = "alice.wang@example.com"
LI = "li.lei@example.com"
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def desk(app_client: TestClient, world: World) -> Iterator[Desk]:
    with open_desk(app_client, world) as opened:
        yield opened


@pytest.fixture
def dpo(staff_client: Callable[[Role], TestClient]) -> Callable[[], TestClient]:
    """A privacy officer logged in now (a login lasts hours; the tests travel for weeks)."""
    return lambda: staff_client(Role.PRIVACY_OFFICER)


def test_the_due_date_is_the_stricter_of_promise_and_law(desk: Desk) -> None:
    with time_machine.travel(START, tick=False):
        eu = desk.submit("restriction", ALICE, country="DE")
        cn = desk.submit("restriction", LI, country="CN", language="zh-CN")
    eu_due = datetime.fromisoformat(eu["due_at"])
    cn_due = datetime.fromisoformat(cn["due_at"])
    assert (eu_due - START).days in (30, 31)  # the promise: 30 calendar days, local end of day
    assert cn_due < eu_due  # PIPL's 15 working days come first
    stored = desk.stored(cn["id"])
    assert stored.facts["deadline"]["decided_by"] == "law"


def test_an_extension_is_recorded_mailed_and_given_once(
    desk: Desk, dpo: Callable[[], TestClient]
) -> None:
    with time_machine.travel(START, tick=False):
        made = desk.submit("restriction", LI, country="DE", language="zh-CN")
    first_due = datetime.fromisoformat(made["due_at"])
    with time_machine.travel(START + timedelta(days=20), tick=False):
        short = dpo().post(f"/api/v1/requests/{made['id']}/extend", json={"reason": "busy"})
        assert short.status_code == 422
        extended = dpo().post(
            f"/api/v1/requests/{made['id']}/extend",
            json={"reason": "The request covers several systems that we must search one by one."},
        )
        assert extended.status_code == 200, extended.text
        new_due = datetime.fromisoformat(extended.json()["extended_due_at"])
        assert new_due > first_due + timedelta(days=55)  # GDPR: up to two further months
        assert extended.json()["effective_due_at"] == extended.json()["extended_due_at"]
        mails = desk.mail_to(LI, now=START + timedelta(days=20))
        notice = [m for m in mails if "延长" in m.subject]
        assert len(notice) == 1
        assert "several systems" in notice[0].body("plain")
        again = dpo().post(
            f"/api/v1/requests/{made['id']}/extend",
            json={"reason": "We would like even more time for this one."},
        )
        assert again.status_code == 409
    status = desk.status(made["id"]).json()
    assert status["extension_reason"].startswith("The request covers")
    timeline = dpo().get(f"/api/v1/requests/{made['id']}").json()["timeline"]
    assert [n["kind"] for n in timeline][-1] == "extended"


def test_an_extension_after_the_first_deadline_is_refused(
    desk: Desk, dpo: Callable[[], TestClient]
) -> None:
    with time_machine.travel(START, tick=False):
        made = desk.submit("restriction", ALICE, country="DE")
    with time_machine.travel(START + timedelta(days=40), tick=False):
        late = dpo().post(
            f"/api/v1/requests/{made['id']}/extend",
            json={"reason": "We noticed too late that we need more time."},
        )
    assert late.status_code == 409
    assert "deadline has passed" in late.json()["error"]["message"]


def test_overdue_requests_are_reported_and_flagged_in_the_queue(
    desk: Desk, dpo: Callable[[], TestClient], world: World
) -> None:
    with time_machine.travel(START, tick=False):
        late = desk.submit("restriction", ALICE, country="DE")
        done = desk.submit("complaint", LI, country="DE")  # runs at once: closed
    with time_machine.travel(START + timedelta(days=25), tick=False):
        soon = {r["id"]: r["deadline"] for r in dpo().get("/api/v1/requests").json()}
        assert soon == {late["id"]: "due_soon"}
    moment = START + timedelta(days=32)
    with time_machine.travel(moment, tick=False):
        with world.db.unit_of_work() as session:
            overdue = deadlines.overdue_requests(session=session, now=moment)
            assert [r.id for r in overdue] == [late["id"]]
        queue = dpo().get("/api/v1/requests").json()
        assert [(r["id"], r["deadline"]) for r in queue] == [(late["id"], "overdue")]
        page = dpo().get("/admin/requests")
        assert page.status_code == 200
        assert "1 open request(s) overdue" in page.text
        closed = dpo().get("/api/v1/requests?status=closed").json()
        assert [r["id"] for r in closed] == [done["id"]]


def test_the_queue_is_sorted_by_due_date(desk: Desk, dpo: Callable[[], TestClient]) -> None:
    with time_machine.travel(START, tick=False):
        eu = desk.submit("restriction", ALICE, country="DE")
        inquiry = desk.submit("inquiry", "q@example.com", country="DE")
        cn = desk.submit("restriction", LI, country="CN")
    ids = [r["id"] for r in dpo().get("/api/v1/requests").json()]
    assert ids == [inquiry["id"], cn["id"], eu["id"]]
    page = dpo().get("/admin/requests").text
    assert page.index(inquiry["id"]) < page.index(cn["id"]) < page.index(eu["id"])


def test_unverified_requests_expire_with_a_notice(
    desk: Desk, world: World, settings: Settings
) -> None:
    with time_machine.travel(START, tick=False):
        stale = desk.submit("restriction", ALICE, country="DE")
        routed = desk.submit("complaint", LI, country="DE")
    moment = START + timedelta(days=VERIFY_WITHIN_DAYS, hours=1)
    with world.db.unit_of_work() as session:
        assert (
            decisions.expire_unverified(
                session=session, vault=world.vault, now=START + timedelta(days=2), settings=settings
            )
            == []
        )
    with time_machine.travel(moment, tick=False):
        with world.db.unit_of_work() as session:
            closed = decisions.expire_unverified(
                session=session, vault=world.vault, now=moment, settings=settings
            )
        assert closed == [stale["id"]]
        with world.db.unit_of_work() as session:
            assert (
                decisions.expire_unverified(
                    session=session, vault=world.vault, now=moment, settings=settings
                )
                == []
            )
        notices = [m for m in desk.mail_to(ALICE, now=moment) if m.subject.endswith("was closed")]
        assert len(notices) == 1
        assert "/rights" in notices[0].body("plain")
    assert desk.status(stale["id"]).json()["status"] == "expired"
    assert desk.status(routed["id"]).json()["status"] == "completed"
    assert desk.stored(stale["id"]).contact_ciphertext is None
    code_after = desk.client.post(
        f"/api/v1/requests/{stale['id']}/code",
        headers={"x-requester-token": stale["token"]},
    )
    assert code_after.status_code == 409
