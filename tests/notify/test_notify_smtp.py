"""The SMTP backend against a real SMTP server (aiosmtpd on a free local port)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select
from tests.notify.support import NOW, RECEIVED, SENDER, SmtpSink, free_port

from privacyops.audit.models import AuditEvent
from privacyops.db import Database
from privacyops.notify import service as notify
from privacyops.notify.backends import (
    OutboxBackend,
    OutgoingEmail,
    PermanentDeliveryError,
    SmtpBackend,
    TransientDeliveryError,
    backend_from_settings,
)
from privacyops.notify.models import OutboundMessage
from privacyops.notify.templates import render
from privacyops.settings import Settings

Deliver = Callable[..., notify.DeliveryReport]


def backend(sink: SmtpSink) -> SmtpBackend:
    return SmtpBackend("127.0.0.1", sink.port, sender=SENDER, timeout=5)


def email(language: str, to: str = "li.lei@example.com") -> OutgoingEmail:
    rendered = render("request_received", language, RECEIVED)
    return OutgoingEmail(
        message_id="5b0e7a52-0000-4000-8000-000000000001",
        to=to,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        language=rendered.language,
    )


def test_an_english_message_arrives_whole(smtp_sink: SmtpSink) -> None:
    smtp = backend(smtp_sink)
    smtp.send(email("en"))
    smtp.close()
    [got] = smtp_sink.received
    assert got.mail_from == SENDER
    assert got.rcpt_tos == ["li.lei@example.com"]
    assert got.subject == "We received your privacy request DSR-1A2B3C4D5E6F"
    assert "We will answer by 31 December 2026." in got.body("plain")
    assert "<strong>31 December 2026</strong>" in got.body("html")
    assert (
        got.message["Message-ID"] == "<5b0e7a52-0000-4000-8000-000000000001@fstsmart.example.com>"
    )
    assert got.message["Content-Language"] == "en"
    assert got.message.get_content_type() == "multipart/alternative"


def test_a_chinese_subject_is_encoded_on_the_wire_and_decodes_back(smtp_sink: SmtpSink) -> None:
    smtp = backend(smtp_sink)
    smtp.send(email("zh-CN"))
    smtp.close()
    [got] = smtp_sink.received
    assert got.subject == "我们已收到您的个人信息请求 DSR-1A2B3C4D5E6F"
    assert "我们将在 2026年12月31日 前答复您" in got.body("plain")
    assert "查看请求进度" in got.body("html")
    headers = got.raw.split(b"\r\n\r\n", 1)[0]
    assert headers.isascii()  # RFC 2047 encoded words, not raw 8-bit headers
    assert b"Subject: =?utf-8?" in headers


def test_one_connection_carries_several_messages(smtp_sink: SmtpSink) -> None:
    smtp = backend(smtp_sink)
    for language in ("en", "zh-CN", "en"):
        smtp.send(email(language))
    smtp.close()
    assert len(smtp_sink.received) == 3


def test_a_refused_recipient_is_a_permanent_failure_without_the_address(
    smtp_sink: SmtpSink,
) -> None:
    smtp = backend(smtp_sink)
    with pytest.raises(PermanentDeliveryError) as refused:
        smtp.send(email("en", to="reject.me@example.com"))
    assert "550" in str(refused.value)
    assert "reject.me" not in str(refused.value)
    smtp.send(email("en"))  # the connection is still usable
    smtp.close()
    assert len(smtp_sink.received) == 1


def test_a_server_that_is_not_there_is_a_transient_failure() -> None:
    smtp = SmtpBackend("127.0.0.1", free_port(), sender=SENDER, timeout=2)
    with pytest.raises(TransientDeliveryError):
        smtp.send(email("en"))


def test_delivery_through_smtp_end_to_end(
    smtp_sink: SmtpSink,
    deliver: Deliver,
    queue_received: Callable[..., str],
    db: Database,
) -> None:
    english = queue_received("li.lei@example.com")
    chinese = queue_received("wang.fang@example.cn", language="zh-CN")
    refused = queue_received("reject.me@example.com")
    report = deliver(backend(smtp_sink))
    assert (report.sent, report.failed) == (2, 1)
    subjects = {got.rcpt_tos[0]: got.subject for got in smtp_sink.received}
    assert subjects == {
        "li.lei@example.com": "We received your privacy request DSR-1A2B3C4D5E6F",
        "wang.fang@example.cn": "我们已收到您的个人信息请求 DSR-1A2B3C4D5E6F",
    }
    with db.unit_of_work() as session:
        rows = {m.id: m for m in session.scalars(select(OutboundMessage))}
        assert rows[english].status == rows[chinese].status == "sent"
        assert rows[english].sent_at == NOW
        assert rows[refused].status == "failed"
        assert rows[refused].attempts == 1
        assert "[address]" in (rows[refused].last_error or "")
        sent = session.scalars(select(AuditEvent).where(AuditEvent.action == "notify.sent")).all()
        assert {event.target_id for event in sent} == {english, chinese}
        assert all(
            event.details == {"template": "request_received", "channel": "email", "attempt": 1}
            for event in sent
        )


def test_the_setting_chooses_the_backend(settings: Settings) -> None:
    smtp = backend_from_settings(settings.model_copy(update={"email_backend": "smtp"}))
    assert isinstance(smtp, SmtpBackend)
    assert (smtp.host, smtp.port, smtp.sender) == (
        settings.smtp_host,
        settings.smtp_port,
        settings.mail_from,
    )
    outbox = backend_from_settings(settings)
    assert isinstance(outbox, OutboxBackend)
    assert outbox.directory == settings.outbox_dir
