"""Delivering queued messages: claim, send, record, checkpoint; retries with backoff.

Crash safety, and the choice of at-least-once. Each message is one step:
claim the row, send, mark it ``sent`` (or schedule its retry), write the
audit event, then call ``checkpoint`` (the job passes its unit of work's
``commit``). A crash loses at most the step in flight, and a resumed run
only ever picks rows still ``queued``, so a message already marked sent is
never sent again. The one window left is between the server accepting a
message and the checkpoint: a crash there leaves the row ``queued`` and the
message goes out once more on the next run.

We take that duplicate (at-least-once) over the alternative, marking the row
before sending (at-most-once), because the alternative's failure is a
silent loss: a breach notice or a legal deadline notice that never reaches
the person while the system believes it went out. A duplicate is visible and
harmless, and it is the same message: the ``Message-ID`` is made from the row
id, and the outbox backend stores each id once, so there it is exactly once.
In-app messages are rows in the same transaction as the mark: exactly once.

Without a ``checkpoint`` every step lands in the caller's transaction, so a
rollback after some sends would forget them and they would go out again:
the parameter is required so that no caller gets that by accident.

Concurrency. A step claims its row with a compare-and-set on ``attempts``
(``UPDATE ... WHERE status = 'queued' AND attempts = seen``); a second
worker that selected the same row updates nothing and skips it. On
PostgreSQL the claim holds a row lock until the checkpoint; on SQLite it
holds the database write lock for the duration of one send, so run one
delivery worker there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from privacyops.audit import service as audit
from privacyops.notify.backends import (
    EmailBackend,
    OutgoingEmail,
    PermanentDeliveryError,
    TransientDeliveryError,
    scrub,
)
from privacyops.notify.crypto import RECIPIENT, SECRET_CONTEXT, MessageSealer, SealError, sealer_for
from privacyops.notify.errors import NotifyError
from privacyops.notify.models import (
    Channel,
    EmailSuppression,
    InAppMessage,
    MessageStatus,
    OutboundMessage,
)
from privacyops.notify.templates import Rendered, render
from privacyops.vault.service import Vault

ACTOR = "system:notify"

Checkpoint = Callable[[], None]
"""Makes the steps so far durable; a job passes its unit of work's ``session.commit``."""


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff: attempt n failed -> wait ``first_delay * factor**(n-1)``, capped.

    The defaults try 8 times over about 16 hours (2, 6, 18, 54 minutes, then
    2.7 and 6 hours), long enough to ride out a mail server's bad night.
    """

    max_attempts: int = 8
    first_delay: timedelta = timedelta(minutes=2)
    factor: float = 3.0
    max_delay: timedelta = timedelta(hours=6)
    stop_after: int = 5
    """Consecutive transient failures that end a run early: the server is likely down, and
    trying every due message would only burn their attempts (and a timeout each)."""

    def delay(self, attempts: int) -> timedelta:
        return min(self.max_delay, self.first_delay * self.factor ** max(attempts - 1, 0))


DEFAULT_RETRY = RetryPolicy()


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    suppressed: int = 0
    skipped: int = 0
    """Rows another worker claimed first."""
    stopped_early: bool = False
    """The run ended after ``RetryPolicy.stop_after`` transient failures in a row."""
    message_ids: dict[str, list[str]] = field(default_factory=dict)
    """Message ids per outcome (``sent``, ``retried``, ``failed``, ``suppressed``)."""

    def add(self, outcome: str, message_id: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)
        self.message_ids.setdefault(outcome, []).append(message_id)


def _claim(session: Session, message_id: str, seen_attempts: int) -> bool:
    result = cast(
        CursorResult[Any],
        session.execute(
            update(OutboundMessage)
            .where(
                OutboundMessage.id == message_id,
                OutboundMessage.status == MessageStatus.QUEUED.value,
                OutboundMessage.attempts == seen_attempts,
            )
            .values(attempts=seen_attempts + 1),
            execution_options={"synchronize_session": False},
        ),
    )
    return result.rowcount == 1


def _audit(session: Session, message: OutboundMessage, action: str) -> None:
    details: dict[str, Any] = {
        "template": message.template,
        "channel": message.channel,
        "attempt": message.attempts,
    }
    if message.batch:
        details["batch"] = message.batch
    audit.record(
        session=session,
        actor=ACTOR,
        action=action,
        target_type="outbound_message",
        target_id=message.id,
        details=details,
    )


def _finish(
    session: Session,
    message: OutboundMessage,
    status: MessageStatus,
    now: datetime,
    error: str | None = None,
) -> str:
    message.status = status.value
    if error is not None:
        message.last_error = scrub(error)
    if status is MessageStatus.SENT:
        message.sent_at = now
    if status is not MessageStatus.FAILED:
        # Done for good: the address and secrets are no longer needed (a failed
        # message keeps them until it is requeued and sent, or its subject forgotten).
        message.recipient_ciphertext = None
        message.secret_ciphertext = None
    _audit(session, message, f"notify.{status.value}")
    return status.value


def _suppressed(session: Session, message: OutboundMessage) -> bool:
    if message.channel != Channel.EMAIL.value or message.recipient_index is None:
        return False
    found = session.scalar(
        select(EmailSuppression.id).where(EmailSuppression.address_index == message.recipient_index)
    )
    return found is not None


def _open(sealer: MessageSealer, message: OutboundMessage) -> tuple[str, Rendered]:
    """The address (empty for in-app) and the rendered message."""
    secret: dict[str, Any] = {}
    if message.secret_ciphertext is not None:
        secret = sealer.open_json(message.id, SECRET_CONTEXT, message.secret_ciphertext)
    address = ""
    if message.channel == Channel.EMAIL.value:
        if message.recipient_ciphertext is None:
            raise SealError(f"message {message.id}: the address is no longer held")
        address = sealer.open(message.id, RECIPIENT, message.recipient_ciphertext)
    return address, render(message.template, message.language, {**message.context, **secret})


def _post_in_app(
    session: Session, message: OutboundMessage, rendered: Rendered, now: datetime
) -> None:
    """One inbox row per outbound message; if it is already there, it was delivered."""
    assert message.subject_id is not None  # a check constraint guarantees it
    try:
        with session.begin_nested():
            session.add(
                InAppMessage(
                    subject_id=message.subject_id,
                    outbound_message_id=message.id,
                    template=message.template,
                    language=rendered.language,
                    title=rendered.subject[:300],
                    body=rendered.text,
                    created_at=now,
                )
            )
    except IntegrityError:
        pass  # the unique outbound_message_id: delivered before, not again


def _deliver(
    session: Session,
    sealer: MessageSealer,
    backend: EmailBackend,
    message: OutboundMessage,
    now: datetime,
    retry: RetryPolicy,
) -> str:
    if _suppressed(session, message):
        return _finish(session, message, MessageStatus.SUPPRESSED, now)
    try:
        address, rendered = _open(sealer, message)
    except (SealError, NotifyError) as error:
        return _finish(session, message, MessageStatus.FAILED, now, str(error))
    if message.channel == Channel.IN_APP.value:
        _post_in_app(session, message, rendered, now)
        return _finish(session, message, MessageStatus.SENT, now)
    email = OutgoingEmail(
        message_id=message.id,
        to=address,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        language=rendered.language,
    )
    try:
        backend.send(email)
    except PermanentDeliveryError as error:
        return _finish(session, message, MessageStatus.FAILED, now, str(error))
    except TransientDeliveryError as error:
        if message.attempts >= retry.max_attempts:
            return _finish(session, message, MessageStatus.FAILED, now, str(error))
        message.last_error = scrub(str(error))
        message.next_attempt_at = now + retry.delay(message.attempts)
        return "retried"
    return _finish(session, message, MessageStatus.SENT, now)


def deliver_due(
    *,
    session: Session,
    vault: Vault,
    backend: EmailBackend,
    now: datetime,
    checkpoint: Checkpoint | None,
    limit: int = 100,
    retry: RetryPolicy = DEFAULT_RETRY,
) -> DeliveryReport:
    """Deliver up to ``limit`` queued messages whose ``next_attempt_at`` is due at ``now``.

    Suppressed addresses are marked ``suppressed`` and not sent; a transient
    failure is retried after ``retry.delay`` until ``retry.max_attempts``,
    then the message is ``failed``; a permanent one fails at once. After
    ``retry.stop_after`` transient failures in a row the run stops. Pass the
    unit of work's commit as ``checkpoint`` (see the module text); ``None``
    keeps every step in the caller's transaction. Anything a backend raises
    other than a ``DeliveryError`` propagates after the steps already
    checkpointed.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    report = DeliveryReport()
    sealer = sealer_for(vault.keystore)
    due = session.execute(
        select(OutboundMessage.id, OutboundMessage.attempts)
        .where(
            OutboundMessage.status == MessageStatus.QUEUED.value,
            OutboundMessage.next_attempt_at <= now,
        )
        .order_by(OutboundMessage.next_attempt_at, OutboundMessage.created_at, OutboundMessage.id)
        .limit(limit)
    ).all()
    in_a_row = 0
    try:
        for message_id, seen_attempts in due:
            if not _claim(session, message_id, seen_attempts):
                report.skipped += 1
                continue
            message = session.get_one(OutboundMessage, message_id, populate_existing=True)
            outcome = _deliver(session, sealer, backend, message, now, retry)
            report.add(outcome, message_id)
            session.flush()
            if checkpoint is not None:
                checkpoint()
            in_a_row = in_a_row + 1 if outcome == "retried" else 0
            if in_a_row >= retry.stop_after:
                report.stopped_early = True
                break
    finally:
        backend.close()
    return report
