"""In-app messages: delivered once, fetched and marked read by an app with an API key."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.notify.support import NOW, RECEIVED, Recording
from tests.subjects.factories import ACTOR, SubjectFactory

from privacyops.db import Database
from privacyops.notify import service as notify
from privacyops.notify.errors import NotifyError
from privacyops.notify.models import InAppMessage, OutboundMessage
from privacyops.staff.permissions import Role
from privacyops.subjects import service as subjects
from privacyops.vault.service import Vault

Deliver = Callable[..., notify.DeliveryReport]
POLICY = {
    "version": "2.0.0",
    "change": "major",
    "summary": "A new analytics purpose.",
    "policy_url": "https://www.example.com/policy",
    "consent_required": True,
}


def account(db: Database, vault: Vault, make_subject: SubjectFactory, account_id: str) -> str:
    subject_id = make_subject()
    with db.unit_of_work() as session:
        subjects.add_identity(
            session=session,
            vault=vault,
            subject_id=subject_id,
            kind="account_id",
            value=account_id,
            actor=ACTOR,
        )
    return subject_id


def queue(
    db: Database, subject_id: str, template: str, language: str, context: dict[str, object]
) -> str:
    with db.unit_of_work() as session:
        return notify.queue_in_app(
            session=session,
            subject_id=subject_id,
            template=template,
            language=language,
            context=context,
            now=NOW,
        ).id


def api_key(staff_client: Callable[[Role], TestClient], scope: str) -> str:
    created = staff_client(Role.ADMIN).post(
        "/api/v1/api-clients", json={"name": f"app-{scope}", "scopes": [scope]}
    )
    assert created.status_code == 201, created.text
    key: str = created.json()["key"]
    return key


@pytest.fixture
def app(
    new_client: Callable[[], TestClient], staff_client: Callable[[Role], TestClient]
) -> TestClient:
    client = new_client()
    client.headers["authorization"] = f"Bearer {api_key(staff_client, 'requests.read')}"
    return client


def test_the_app_fetches_messages_in_the_persons_language_and_marks_one_read(
    app: TestClient,
    db: Database,
    vault: Vault,
    make_subject: SubjectFactory,
    deliver: Deliver,
    recording: Recording,
) -> None:
    subject_id = account(db, vault, make_subject, "acct-0001")
    queue(db, subject_id, "request_received", "en", RECEIVED)
    queue(db, subject_id, "policy_update", "zh-CN", POLICY)
    report = deliver(recording)
    assert report.sent == 2
    assert not recording.handed_over  # in-app messages never reach the e-mail backend

    listed = app.get("/api/v1/messages", params={"account_id": "acct-0001"})
    assert listed.status_code == 200, listed.text
    messages = listed.json()["messages"]
    assert {m["language"]: m["title"] for m in messages} == {
        "en": "We received your privacy request DSR-1A2B3C4D5E6F",
        "zh-CN": "我们更新了隐私政策（版本 2.0.0）",
    }
    chinese = next(m for m in messages if m["language"] == "zh-CN")
    assert "部分变更需要您重新同意" in chinese["body"]
    assert chinese["read_at"] is None

    marked = app.post(f"/api/v1/messages/{chinese['id']}/read", json={"account_id": "acct-0001"})
    assert marked.status_code == 200, marked.text
    read_at = marked.json()["read_at"]
    assert read_at is not None
    again = app.post(f"/api/v1/messages/{chinese['id']}/read", json={"account_id": "acct-0001"})
    assert again.json()["read_at"] == read_at

    unread = app.get("/api/v1/messages", params={"account_id": "acct-0001", "unread_only": True})
    assert [m["language"] for m in unread.json()["messages"]] == ["en"]


def test_one_account_cannot_read_or_mark_anothers_messages(
    app: TestClient,
    db: Database,
    vault: Vault,
    make_subject: SubjectFactory,
    deliver: Deliver,
    recording: Recording,
) -> None:
    owner = account(db, vault, make_subject, "acct-owner")
    account(db, vault, make_subject, "acct-other")
    queue(db, owner, "request_received", "en", RECEIVED)
    deliver(recording)
    [message] = app.get("/api/v1/messages", params={"account_id": "acct-owner"}).json()["messages"]
    assert app.get("/api/v1/messages", params={"account_id": "acct-other"}).json() == {
        "messages": []
    }
    refused = app.post(f"/api/v1/messages/{message['id']}/read", json={"account_id": "acct-other"})
    assert refused.status_code == 404
    assert refused.json()["error"]["field"] == "message_id"
    unknown = app.get("/api/v1/messages", params={"account_id": "acct-never-seen"})
    assert unknown.json() == {"messages": []}


def test_bad_requests_and_wrong_scopes_are_refused(
    app: TestClient,
    new_client: Callable[[], TestClient],
    staff_client: Callable[[Role], TestClient],
) -> None:
    missing = app.get("/api/v1/messages")
    assert missing.status_code == 422
    assert missing.json()["error"]["field"] == "account_id"
    blank = app.get("/api/v1/messages", params={"account_id": "   "})
    assert blank.status_code == 422
    assert app.post("/api/v1/messages/x/read", json={}).status_code == 422
    website = new_client()
    website.headers["authorization"] = f"Bearer {api_key(staff_client, 'intake.write')}"
    assert website.get("/api/v1/messages", params={"account_id": "a"}).status_code == 403
    assert new_client().get("/api/v1/messages", params={"account_id": "a"}).status_code == 401


def test_in_app_delivery_is_exactly_once_even_if_delivered_twice(
    db: Database,
    vault: Vault,
    make_subject: SubjectFactory,
    deliver: Deliver,
    recording: Recording,
) -> None:
    subject_id = account(db, vault, make_subject, "acct-0002")
    message_id = queue(db, subject_id, "request_received", "en", RECEIVED)
    deliver(recording)
    with db.unit_of_work() as session:  # as if a second worker got the row anyway
        session.get_one(OutboundMessage, message_id).status = "queued"
    assert deliver(recording).sent == 1
    with db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(InAppMessage)) == 1


def test_erasure_forgets_the_subjects_messages(
    db: Database,
    vault: Vault,
    make_subject: SubjectFactory,
    deliver: Deliver,
    recording: Recording,
) -> None:
    subject_id = account(db, vault, make_subject, "acct-0003")
    queue(db, subject_id, "request_received", "en", RECEIVED)
    with db.unit_of_work() as session:
        notify.queue_email(
            session=session,
            vault=vault,
            to="li.lei@example.com",
            template="request_received",
            language="en",
            context=RECEIVED,
            subject_id=subject_id,
            now=NOW,
        )
    deliver(recording)
    with db.unit_of_work() as session:
        subjects.erase(session=session, vault=vault, subject_id=subject_id, actor=ACTOR)
        done = notify.forget_subject(session=session, subject_id=subject_id, actor=ACTOR)
        assert done == {"in_app_deleted": 1, "email_unlinked": 1}
        # A notice to the erased person can still go out by e-mail (the confirmation)...
        notify.queue_email(
            session=session,
            vault=vault,
            to="li.lei@example.com",
            template="request_received",
            language="en",
            context=RECEIVED,
            subject_id=subject_id,
            now=NOW,
        )
        # ...but nothing more lands in the inbox of an erased subject.
        with pytest.raises(NotifyError, match="erased"):
            notify.queue_in_app(
                session=session,
                subject_id=subject_id,
                template="request_received",
                language="en",
                context=RECEIVED,
            )
    assert deliver(recording).sent == 1
    with db.unit_of_work() as session:
        rows = session.scalars(
            select(OutboundMessage).where(OutboundMessage.channel == "email")
        ).all()
        assert sum(row.recipient_index is None for row in rows) == 1
