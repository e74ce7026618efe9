"""Delivery: outbox files, crash and resume, retries with backoff, suppression, idempotency."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from sqlalchemy import func, select
from tests.notify.support import NOW, RECEIVED, SENDER, Recording

from privacyops.audit import service as audit
from privacyops.audit.models import AuditEvent
from privacyops.db import Database
from privacyops.notify import service as notify
from privacyops.notify.backends import OutboxBackend, TransientDeliveryError
from privacyops.notify.errors import IdempotencyConflictError, NotifyError
from privacyops.notify.models import OutboundMessage
from privacyops.vault.service import Vault

Deliver = Callable[..., notify.DeliveryReport]
BATCH = "incident:INC-7:notice"
BREACH = {
    "reference": "INC-7",
    "nature": "A support database was exposed.",
    "categories": ["contact details"],
    "consequences": "A risk of phishing.",
    "measures": ["Closed the access"],
    "contact": "privacy@fstsmart.example.com",
}


def status_of(db: Database, message_id: str) -> notify.MessageState:
    with db.unit_of_work() as session:
        state = notify.message_status(session=session, message_id=message_id)
        assert state is not None
        return state


def queue_batch(db: Database, vault: Vault, count: int) -> None:
    """What the incidents job does: one unit of work, one key per person, rerunnable."""
    with db.unit_of_work() as session:
        for n in range(count):
            notify.queue_email(
                session=session,
                vault=vault,
                to=f"person{n}@example.com",
                template="breach_notice",
                language="zh-CN" if n % 2 else "en",
                context=BREACH,
                idempotency_key=f"{BATCH}:{n}",
                batch=BATCH,
                now=NOW,
            )


def test_the_outbox_holds_one_rfc5322_file_per_message(
    queue_received: Callable[..., str], deliver: Deliver, outbox: OutboxBackend
) -> None:
    message_id = queue_received("li.lei@example.com", language="zh-CN")
    assert deliver(outbox).sent == 1
    [path] = outbox.directory.iterdir()
    assert path == outbox.path_of(message_id)
    assert os.stat(path).st_mode & 0o077 == 0
    raw = path.read_bytes()
    assert b"\r\n" in raw
    parsed = message_from_bytes(raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    assert parsed["To"] == "li.lei@example.com"
    assert parsed["From"] == SENDER
    assert parsed["Subject"] == "我们已收到您的个人信息请求 DSR-1A2B3C4D5E6F"
    body = parsed.get_body(("plain",))
    assert body is not None
    assert "2026年12月31日" in body.get_content()


def test_a_batch_interrupted_by_a_crash_sends_each_message_exactly_once(
    db: Database, vault: Vault, deliver: Deliver, recording: Recording, outbox: OutboxBackend
) -> None:
    queue_batch(db, vault, 50)
    recording.crash_after = 20
    with pytest.raises(RuntimeError, match="simulated crash"):
        deliver(recording)  # the job's unit of work rolls back the step in flight
    assert sum(recording.handed_over.values()) == 20
    with db.unit_of_work() as session:
        assert notify.batch_status(session=session, batch=BATCH)["sent"] == 20

    queue_batch(db, vault, 50)  # the queuing job reruns too: the keys make it a no-op
    recording.crash_after = None
    report = deliver(recording)
    assert report.sent == 30
    assert len(recording.handed_over) == 50
    assert set(recording.handed_over.values()) == {1}
    assert len(list(outbox.directory.glob("*.eml"))) == 50
    assert deliver(recording).sent == 0  # nothing left: a third run sends nothing
    with db.unit_of_work() as session:
        counts = notify.batch_status(session=session, batch=BATCH)
        assert counts == {"queued": 0, "sent": 50, "failed": 0, "suppressed": 0}
        sent_events = session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "notify.sent")
        )
        assert sent_events == 50
        assert audit.verify(session=session).ok


def test_a_crash_between_send_and_checkpoint_resends_once_into_the_same_outbox_file(
    queue_received: Callable[..., str], deliver: Deliver, outbox: OutboxBackend
) -> None:
    """The documented at-least-once window: the copy is the same message, and the
    outbox keeps one file for it."""
    message_id = queue_received("li.lei@example.com")

    def checkpoint_crashes() -> None:
        raise RuntimeError("crash after the send")

    with pytest.raises(RuntimeError):
        deliver(outbox, checkpoint=checkpoint_crashes)
    assert outbox.path_of(message_id).exists()
    assert deliver(outbox).sent == 1
    assert list(outbox.directory.glob("*.eml")) == [outbox.path_of(message_id)]


def test_transient_failures_back_off_exponentially_then_fail(
    queue_received: Callable[..., str], deliver: Deliver, recording: Recording, db: Database
) -> None:
    message_id = queue_received("li.lei@example.com")
    recording.fail_with = TransientDeliveryError("451 4.3.0 <li.lei@example.com> try later")
    retry = notify.RetryPolicy(max_attempts=3, first_delay=timedelta(minutes=1), factor=2)

    assert deliver(recording, retry=retry).retried == 1
    state = status_of(db, message_id)
    assert (state.status, state.attempts) == ("queued", 1)
    assert state.next_attempt_at == NOW + timedelta(minutes=1)
    assert state.last_error == "451 4.3.0 <[address]> try later"

    assert deliver(recording, now=NOW + timedelta(seconds=59), retry=retry).retried == 0
    assert deliver(recording, now=NOW + timedelta(minutes=1), retry=retry).retried == 1
    assert status_of(db, message_id).next_attempt_at == NOW + timedelta(minutes=3)

    report = deliver(recording, now=NOW + timedelta(minutes=3), retry=retry)
    assert report.failed == 1
    state = status_of(db, message_id)
    assert (state.status, state.attempts) == ("failed", 3)
    assert deliver(recording, now=NOW + timedelta(days=1), retry=retry).failed == 0

    with db.unit_of_work() as session:  # after the outage: give it another chance
        assert notify.requeue_failed(session=session, now=NOW, actor="staff:dpo") == 1
    recording.fail_with = None
    assert deliver(recording, now=NOW + timedelta(days=1), retry=retry).sent == 1
    assert status_of(db, message_id).status == "sent"


def test_the_default_backoff_grows_and_is_capped() -> None:
    delays = [notify.DEFAULT_RETRY.delay(n) for n in range(1, 9)]
    assert delays[:3] == [timedelta(minutes=2), timedelta(minutes=6), timedelta(minutes=18)]
    assert delays[-1] == timedelta(hours=6)
    assert delays == sorted(delays)


def test_a_suppressed_address_is_not_sent(
    queue_received: Callable[..., str],
    deliver: Deliver,
    recording: Recording,
    db: Database,
    vault: Vault,
) -> None:
    with db.unit_of_work() as session:
        notify.suppress(
            session=session,
            vault=vault,
            address="Bounced@Example.COM",
            reason="hard_bounce",
            actor="system:bounces",
        )
    bounced = queue_received("bounced@example.com")
    fine = queue_received("fine@example.com")
    report = deliver(recording)
    assert (report.sent, report.suppressed) == (1, 1)
    assert list(recording.handed_over) == [fine]
    with db.unit_of_work() as session:
        row = session.get_one(OutboundMessage, bounced)
        assert row.status == "suppressed"
        assert row.recipient_ciphertext is None
        assert notify.is_suppressed(session=session, vault=vault, address="bounced@example.com")
        assert notify.unsuppress(
            session=session, vault=vault, address="bounced@example.com", actor="staff:dpo"
        )
        assert not notify.is_suppressed(session=session, vault=vault, address="bounced@example.com")


def test_an_idempotency_key_queues_once_and_refuses_another_message(
    queue_received: Callable[..., str], db: Database, vault: Vault
) -> None:
    first = queue_received("li.lei@example.com", idempotency_key="dsr:DSR-1:received")
    again = queue_received("Li.Lei@example.com", idempotency_key="dsr:DSR-1:received")
    assert again == first
    with pytest.raises(IdempotencyConflictError):
        queue_received("someone.else@example.com", idempotency_key="dsr:DSR-1:received")
    with db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(OutboundMessage)) == 1
        state = notify.message_status(session=session, idempotency_key="dsr:DSR-1:received")
        assert state is not None
        assert state.id == first


@pytest.mark.parametrize(
    ("to", "context", "field"),
    [
        ("not an address", RECEIVED, "to"),
        ("li.lei@example.com", {**RECEIVED, "due_date": object()}, "context.due_date"),
        ("li.lei@example.com", {**RECEIVED, "phone": "+86 138 1234 5678"}, "context"),
    ],
)
def test_bad_input_is_refused_with_its_field(
    to: str, context: dict[str, object], field: str, db: Database, vault: Vault
) -> None:
    with pytest.raises(NotifyError) as refused, db.unit_of_work() as session:
        notify.queue_email(
            session=session,
            vault=vault,
            to=to,
            template="request_received",
            language="en",
            context=context,
        )
    assert refused.value.field == field


def test_the_one_time_code_travels_sealed_and_is_dropped_after_sending(
    db: Database, vault: Vault, deliver: Deliver, outbox: OutboxBackend
) -> None:
    with db.unit_of_work() as session:
        message_id = notify.queue_email(
            session=session,
            vault=vault,
            to="li.lei@example.com",
            template="verification_code",
            language="en",
            context={"expires_at": NOW + timedelta(minutes=30)},
            secret_context={"code": "58213907"},
            now=NOW,
        ).id
        row = session.get_one(OutboundMessage, message_id)
        assert row.secret_ciphertext is not None
        assert "code" not in row.context
    deliver(outbox)
    assert "58213907" in outbox.path_of(message_id).read_text()
    with db.unit_of_work() as session:
        row = session.get_one(OutboundMessage, message_id)
        assert row.secret_ciphertext is None
        assert row.recipient_ciphertext is None
        assert row.recipient_index is not None  # kept: proof of which address was notified


def test_two_workers_at_once_never_send_the_same_message(
    db: Database, vault: Vault, deliver: Deliver, outbox: OutboxBackend
) -> None:
    queue_batch(db, vault, 20)
    slow = Recording(outbox, delay=0.005)
    reports: list[notify.DeliveryReport] = []
    workers = [threading.Thread(target=lambda: reports.append(deliver(slow))) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert len(reports) == 2
    assert sum(report.sent for report in reports) == 20
    assert len(slow.handed_over) == 20
    assert set(slow.handed_over.values()) == {1}


def test_a_run_stops_early_when_the_server_seems_down(
    db: Database, vault: Vault, deliver: Deliver, recording: Recording
) -> None:
    queue_batch(db, vault, 10)
    recording.fail_with = TransientDeliveryError("SMTP ConnectionRefusedError")
    report = deliver(recording, retry=notify.RetryPolicy(stop_after=3))
    assert (report.retried, report.stopped_early) == (3, True)
    with db.unit_of_work() as session:
        attempts = session.scalars(select(OutboundMessage.attempts)).all()
        assert sorted(attempts) == [0] * 7 + [1] * 3  # the others keep all their attempts
