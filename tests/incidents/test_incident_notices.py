"""Breach notices reach a real SMTP server in each person's language, once, and resume;
public notices and policy-update announcements."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.consent.support import publish_major, publish_v1
from tests.incidents.conftest import ACTOR, AWARE, MakePerson
from tests.notify.support import SENDER, Recording, SmtpSink

from privacyops.db import Database
from privacyops.incidents import announcements, clocks, notices, service
from privacyops.notify import service as notify
from privacyops.notify.backends import SmtpBackend
from privacyops.notify.models import InAppMessage, OutboundMessage
from privacyops.policy import versions
from privacyops.policy.schema import Declaration
from privacyops.settings import Settings
from privacyops.staff.permissions import Role
from privacyops.vault.service import Vault

SENT_AT = AWARE + timedelta(hours=6)


def _incident(db: Database, declaration: Declaration) -> str:
    with db.unit_of_work() as session:
        return service.register(
            session=session,
            declaration=declaration,
            actor=ACTOR,
            title="Account e-mails exposed",
            description="An export of account e-mail addresses was readable for two days.",
            detected_at=AWARE - timedelta(hours=1),
            aware_at=AWARE,
            categories=["account"],
            risk="high",
            consequences="Phishing e-mails that look like ours.",
            measures=["We closed the bucket.", "We rotated the export keys."],
        ).id


def _notify(db: Database, vault: Vault, declaration: Declaration, incident_id: str) -> None:
    with db.unit_of_work() as session:
        notices.notify_individuals(
            session=session,
            vault=vault,
            declaration=declaration,
            incident_id=incident_id,
            actor=ACTOR,
            now=SENT_AT,
        )


def _deliver(db: Database, vault: Vault, backend: Recording, now: datetime | None = None) -> None:
    with db.unit_of_work() as session:
        notify.deliver_due(
            session=session,
            vault=vault,
            backend=backend,
            now=now or SENT_AT + timedelta(minutes=1),
            checkpoint=session.commit,
        )


def test_notices_reach_a_real_smtp_server_in_each_persons_language(
    db: Database,
    vault: Vault,
    declaration: Declaration,
    make_person: MakePerson,
    smtp_sink: SmtpSink,
) -> None:
    make_person("li.lei@example.cn", "CN")
    make_person("anna@example.de", "DE")
    incident_id = _incident(db, declaration)
    _notify(db, vault, declaration, incident_id)
    _deliver(db, vault, Recording(SmtpBackend("127.0.0.1", smtp_sink.port, sender=SENDER)))
    by_rcpt = {r.rcpt_tos[0]: r for r in smtp_sink.received}
    assert set(by_rcpt) == {"li.lei@example.cn", "anna@example.de"}
    chinese = by_rcpt["li.lei@example.cn"]
    assert "安全事件" in chinese.subject
    assert "账户信息" in chinese.body("plain")
    english = by_rcpt["anna@example.de"]
    assert "security incident" in english.subject
    assert "We rotated the export keys." in english.body("plain")
    with db.unit_of_work() as session:
        assert notify.batch_status(session=session, batch=incident_id)["sent"] == 4
        assert session.scalar(select(func.count()).select_from(InAppMessage)) == 2
        incident = service.get(session=session, incident_id=incident_id)
        states = {
            s.key: s.status
            for s in clocks.incident_clocks(session=session, incident=incident, now=SENT_AT)
        }
    assert states["EU/individuals/notice"] == "met"


def test_an_interrupted_batch_resumes_without_sending_twice(
    db: Database,
    vault: Vault,
    declaration: Declaration,
    make_person: MakePerson,
    smtp_sink: SmtpSink,
) -> None:
    people = [f"person{n}@example.com" for n in range(5)]
    for address in people:
        make_person(address, "DE")
    incident_id = _incident(db, declaration)
    _notify(db, vault, declaration, incident_id)
    backend = Recording(SmtpBackend("127.0.0.1", smtp_sink.port, sender=SENDER), crash_after=2)
    with pytest.raises(RuntimeError, match="simulated crash"):
        _deliver(db, vault, backend)
    assert len(smtp_sink.received) == 2
    _notify(db, vault, declaration, incident_id)  # the resumed run queues nothing new
    backend.crash_after = None
    _deliver(db, vault, backend)
    received = Counter(r.rcpt_tos[0] for r in smtp_sink.received)
    assert received == Counter(people)
    with db.unit_of_work() as session:
        assert (
            session.scalar(
                select(func.count())
                .select_from(OutboundMessage)
                .where(OutboundMessage.batch == incident_id)
            )
            == 10
        )
        assert notify.batch_status(session=session, batch=incident_id)["queued"] == 0


def test_a_public_notice_is_bilingual_and_listed(
    db: Database,
    declaration: Declaration,
    make_person: MakePerson,
    new_client: Callable[[], TestClient],
) -> None:
    make_person("anna@example.de", "DE")
    incident_id = _incident(db, declaration)
    with db.unit_of_work() as session:
        slug = notices.publish_public_notice(
            session=session, declaration=declaration, incident_id=incident_id, actor=ACTOR
        ).slug
    client = new_client()
    listing = client.get("/notices")
    assert listing.status_code == 200
    assert f"/notices/{slug}" in listing.text
    english = client.get(f"/notices/{slug}?lang=en")
    assert "Security incident notice" in english.text
    assert "Phishing e-mails that look like ours." in english.text
    chinese = client.get(f"/notices/{slug}?lang=zh-CN")
    assert "安全事件公告" in chinese.text
    assert client.get("/notices/nope").status_code == 404


def test_announcing_a_policy_version_uses_the_declared_channels(
    db: Database,
    vault: Vault,
    settings: Settings,
    make_person: MakePerson,
    staff_client: Callable[[Role], TestClient],
    smtp_sink: SmtpSink,
) -> None:
    make_person("li.lei@example.cn", "CN")
    make_person("anna@example.de", "DE")
    with db.unit_of_work() as session:
        version = versions.publish(
            session=session,
            source=settings.policy.read_text(),
            name=str(settings.policy),
            actor=ACTOR,
        ).version
    officer = staff_client(Role.PRIVACY_OFFICER)
    made = officer.post("/api/v1/incidents/announcements", json={"version": version})
    assert made.status_code == 201, made.text
    assert made.json()["channels"] == ["website_notice", "email", "in_app"]
    assert made.json()["counts"] == {"email": 2, "in_app": 2, "website_notice": 1}
    again = officer.post("/api/v1/incidents/announcements", json={"version": version})
    assert again.status_code == 201
    assert (
        staff_client(Role.SUPPORT_AGENT)
        .post("/api/v1/incidents/announcements", json={"version": version})
        .status_code
        == 403
    )
    # Announcements are queued at the real time; deliver once a day has passed, so quiet
    # hours in either recipient's time zone never hold them back.
    _deliver(
        db,
        vault,
        Recording(SmtpBackend("127.0.0.1", smtp_sink.port, sender=SENDER)),
        now=datetime.now(UTC) + timedelta(days=1),
    )
    assert sorted(r.rcpt_tos[0] for r in smtp_sink.received) == [
        "anna@example.de",
        "li.lei@example.cn",
    ]
    page = officer.get("/admin/announcements")
    assert page.status_code == 200
    assert version in page.text
    notice = officer.get(f"/notices/policy-{version}")
    assert f"/policy/versions/{version}" in notice.text
    with db.unit_of_work() as session:
        assert [a.version for a in announcements.history(session=session)] == [version]


def test_clock_reminders_reach_the_privacy_contact_by_smtp_once(
    db: Database,
    vault: Vault,
    declaration: Declaration,
    make_person: MakePerson,
    smtp_sink: SmtpSink,
) -> None:
    make_person("li.lei@example.cn", "CN")
    incident_id = _incident(db, declaration)
    for minutes in (181, 185):  # the CN 4 h clock is 1 h away, twice: one reminder
        with db.unit_of_work() as session:
            clocks.remind_due_clocks(
                session,
                AWARE + timedelta(minutes=minutes),
                vault=vault,
                declaration=declaration,
                base_url="https://privacy.example.com",
            )
    with db.unit_of_work() as session:
        notify.deliver_due(
            session=session,
            vault=vault,
            backend=SmtpBackend("127.0.0.1", smtp_sink.port, sender=SENDER),
            now=AWARE + timedelta(minutes=190),
            checkpoint=session.commit,
        )
    contact = clocks.privacy_contact(declaration)
    assert contact is not None
    [mail] = smtp_sink.received
    assert mail.rcpt_tos == [contact]
    assert "CN notice to regulator" in mail.subject
    body = mail.body("plain")
    assert "Account e-mails exposed" in body
    assert f"https://privacy.example.com/admin/incidents/{incident_id}" in body


def test_a_published_update_is_announced_by_the_job_once_and_the_first_version_never(
    db: Database, vault: Vault, make_person: MakePerson
) -> None:
    make_person("anna@example.de", "DE")
    with db.unit_of_work() as session:
        publish_v1(session)
        assert announcements.pending_versions(session=session) == []
        publish_major(session, "2.0.0")
        assert announcements.pending_versions(session=session) == ["2.0.0"]
    for expected in (["2.0.0"], []):
        with db.unit_of_work() as session:
            done = announcements.announce_pending(session=session, vault=vault, actor="system:jobs")
            assert done == expected
    with db.unit_of_work() as session:
        [row] = announcements.history(session=session)
        assert row.version == "2.0.0"
        assert row.prominent is True
        assert row.consent_required is True
        queued = session.execute(
            select(OutboundMessage.channel).where(OutboundMessage.batch == "policy-2.0.0")
        ).scalars()
        assert sorted(queued) == ["email", "in_app"]  # one person, each channel once
