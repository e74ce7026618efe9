"""Messages to people: queue e-mail and in-app messages, suppress addresses, read inboxes.

Every function takes the caller's ``session`` and never commits. Queuing
checks the values against the template and renders it once, so a wrong call
fails here and not in the delivery job. Delivery (``delivery``), the
suppression list (``suppression``) and the in-app inbox (``inbox``) live in
their own modules; this module re-exports them as the domain's one API.

Personal values never enter ``context``: the address goes to ``to`` and any
personal template value (a one-time code, a download link that carries a
token) to ``secret_context``; both are sealed (``notify.crypto``). The
template spec refuses a personal value given in the clear context.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from privacyops.audit import service as audit
from privacyops.db import utcnow
from privacyops.notify.crypto import RECIPIENT, SECRET_CONTEXT, sealer_for
from privacyops.notify.delivery import (
    DEFAULT_RETRY,
    Checkpoint,
    DeliveryReport,
    RetryPolicy,
    deliver_due,
)
from privacyops.notify.errors import IdempotencyConflictError, NotifyError
from privacyops.notify.inbox import inbox, mark_read
from privacyops.notify.models import Channel, InAppMessage, MessageStatus, OutboundMessage
from privacyops.notify.suppression import is_suppressed, suppress, unsuppress
from privacyops.notify.templates import check_values, render
from privacyops.subjects import service as subjects
from privacyops.subjects.errors import SubjectNotFoundError
from privacyops.subjects.models import SubjectState
from privacyops.vault.blind_index import IdentityKind
from privacyops.vault.errors import InvalidIdentityError
from privacyops.vault.service import Vault

__all__ = [
    "DEFAULT_RETRY",
    "Checkpoint",
    "DeliveryReport",
    "MessageState",
    "RetryPolicy",
    "batch_status",
    "deliver_due",
    "forget_subject",
    "inbox",
    "is_suppressed",
    "mark_read",
    "message_status",
    "queue_email",
    "queue_in_app",
    "requeue_failed",
    "suppress",
    "unsuppress",
]

ACTOR = "system:notify"


@dataclass(frozen=True)
class MessageState:
    """What may be shown about a message: never its address or secret values."""

    id: str
    channel: str
    template: str
    language: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    batch: str | None


def _plain(value: Any, where: str) -> Any:
    """JSON-ready copy of a template value; dates become ISO text (the ``date`` filter reads it)."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise NotifyError(f"{where}: naive datetime refused; pass a timezone", field=where)
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(item, where) for item in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v, f"{where}.{k}") for k, v in value.items()}
    raise NotifyError(f"{where}: {type(value).__name__} is not a template value", field=where)


def _prepared(
    template: str, language: str, context: Mapping[str, Any], secret: Mapping[str, Any]
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    check_values(template, context, secret)
    clean = {key: _plain(value, f"context.{key}") for key, value in context.items()}
    hidden = {key: _plain(value, f"secret_context.{key}") for key, value in secret.items()}
    rendered = render(template, language, {**clean, **hidden})  # fails now, not at delivery
    return rendered.language, clean, hidden


def _insert_once(session: Session, message: OutboundMessage) -> OutboundMessage:
    """Insert, or return the row that already holds the idempotency key.

    The unique constraint decides a race between two callers with the same
    key: the loser's savepoint rolls back and it returns the winner's row.
    """
    existing = session.scalar(
        select(OutboundMessage).where(OutboundMessage.idempotency_key == message.idempotency_key)
    )
    if existing is None:
        try:
            with session.begin_nested():
                session.add(message)
                session.flush()
            return message
        except IntegrityError:
            existing = session.scalar(
                select(OutboundMessage).where(
                    OutboundMessage.idempotency_key == message.idempotency_key
                )
            )
            if existing is None:
                raise
    same = (existing.channel, existing.template, existing.subject_id, existing.recipient_index)
    if same != (message.channel, message.template, message.subject_id, message.recipient_index):
        raise IdempotencyConflictError(message.idempotency_key)
    return existing


def _new_message(
    *,
    channel: Channel,
    template: str,
    language: str,
    subject_id: str | None,
    context: dict[str, Any],
    idempotency_key: str | None,
    batch: str | None,
    now: datetime,
) -> OutboundMessage:
    message_id = str(uuid.uuid4())
    if idempotency_key is not None and not 0 < len(idempotency_key) <= 200:
        raise NotifyError("idempotency key must be 1 to 200 characters", field="idempotency_key")
    if batch is not None and not 0 < len(batch) <= 80:
        raise NotifyError("batch must be 1 to 80 characters", field="batch")
    return OutboundMessage(
        id=message_id,
        channel=channel.value,
        template=template,
        language=language,
        subject_id=subject_id,
        context=context,
        status=MessageStatus.QUEUED.value,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        batch=batch,
        idempotency_key=idempotency_key or message_id,
    )


def _queued(session: Session, message: OutboundMessage, actor: str) -> OutboundMessage:
    stored = _insert_once(session, message)
    if stored is message:
        details: dict[str, Any] = {
            "template": message.template,
            "channel": message.channel,
            "language": message.language,
        }
        if message.batch:
            details["batch"] = message.batch
        audit.record(
            session=session,
            actor=actor,
            action="notify.queued",
            target_type="outbound_message",
            target_id=message.id,
            details=details,
        )
    return stored


def queue_email(
    *,
    session: Session,
    vault: Vault,
    to: str,
    template: str,
    language: str,
    context: Mapping[str, Any],
    secret_context: Mapping[str, Any] | None = None,
    subject_id: str | None = None,
    idempotency_key: str | None = None,
    batch: str | None = None,
    actor: str = ACTOR,
    now: datetime | None = None,
) -> OutboundMessage:
    """Queue one e-mail; with an ``idempotency_key`` already used, return that message instead.

    The address is sealed and blind-indexed; ``secret_context`` is sealed.
    Raises ``NotifyError`` (with ``field``) for a bad address or values, and
    ``IdempotencyConflictError`` if the key names a different message.
    """
    try:
        index = vault.index(IdentityKind.EMAIL, to)
    except InvalidIdentityError:
        raise NotifyError("not an e-mail address", field="to") from None
    if subject_id is not None:
        try:
            subjects.get_subject(session=session, subject_id=subject_id)
        except SubjectNotFoundError:
            raise NotifyError("no such subject", field="subject_id") from None
    lang, clean, hidden = _prepared(template, language, context, secret_context or {})
    message = _new_message(
        channel=Channel.EMAIL,
        template=template,
        language=lang,
        subject_id=subject_id,
        context=clean,
        idempotency_key=idempotency_key,
        batch=batch,
        now=now or utcnow(),
    )
    sealer = sealer_for(vault.keystore)
    message.recipient_index = index
    message.recipient_ciphertext = sealer.seal(message.id, RECIPIENT, to.strip())
    if hidden:
        message.secret_ciphertext = sealer.seal_json(message.id, SECRET_CONTEXT, hidden)
    return _queued(session, message, actor)


def queue_in_app(
    *,
    session: Session,
    subject_id: str,
    template: str,
    language: str,
    context: Mapping[str, Any],
    idempotency_key: str | None = None,
    batch: str | None = None,
    actor: str = ACTOR,
    now: datetime | None = None,
) -> OutboundMessage:
    """Queue one in-app message for a subject; delivery renders it in ``language``.

    No secret context: an in-app body is stored readable for the apps to
    fetch, so it may hold no personal value (one-time codes go by e-mail).
    """
    try:
        subject = subjects.get_subject(session=session, subject_id=subject_id)
    except SubjectNotFoundError:
        raise NotifyError("no such subject", field="subject_id") from None
    if subject.state == SubjectState.ERASED:
        raise NotifyError("the subject was erased", field="subject_id")
    lang, clean, _ = _prepared(template, language, context, {})
    message = _new_message(
        channel=Channel.IN_APP,
        template=template,
        language=lang,
        subject_id=subject_id,
        context=clean,
        idempotency_key=idempotency_key,
        batch=batch,
        now=now or utcnow(),
    )
    return _queued(session, message, actor)


def _state(message: OutboundMessage) -> MessageState:
    return MessageState(
        id=message.id,
        channel=message.channel,
        template=message.template,
        language=message.language,
        status=message.status,
        attempts=message.attempts,
        next_attempt_at=message.next_attempt_at,
        last_error=message.last_error,
        created_at=message.created_at,
        sent_at=message.sent_at,
        batch=message.batch,
    )


def message_status(
    *, session: Session, message_id: str | None = None, idempotency_key: str | None = None
) -> MessageState | None:
    """One message's state, found by id or by idempotency key."""
    if (message_id is None) == (idempotency_key is None):
        raise ValueError("give exactly one of message_id and idempotency_key")
    where = (
        OutboundMessage.id == message_id
        if message_id is not None
        else OutboundMessage.idempotency_key == idempotency_key
    )
    message = session.scalar(select(OutboundMessage).where(where))
    return None if message is None else _state(message)


def batch_status(*, session: Session, batch: str) -> dict[str, int]:
    """How many messages of a batch are in each status (every status listed, zeros included)."""
    counts = {status.value: 0 for status in MessageStatus}
    rows = session.execute(
        select(OutboundMessage.status, func.count())
        .where(OutboundMessage.batch == batch)
        .group_by(OutboundMessage.status)
    )
    for status, count in rows:
        counts[status] = count
    return counts


def requeue_failed(*, session: Session, now: datetime, actor: str, batch: str | None = None) -> int:
    """Give failed messages (of one batch, or all) a fresh set of attempts, e.g. after an outage."""
    query = update(OutboundMessage).where(OutboundMessage.status == MessageStatus.FAILED.value)
    if batch is not None:
        query = query.where(OutboundMessage.batch == batch)
    result = cast(
        CursorResult[Any],
        session.execute(
            query.values(status=MessageStatus.QUEUED.value, attempts=0, next_attempt_at=now),
            execution_options={"synchronize_session": False},
        ),
    )
    audit.record(
        session=session,
        actor=actor,
        action="notify.requeued",
        target_type="outbound_batch",
        target_id=batch or "*",
        details={"messages": result.rowcount},
    )
    return result.rowcount


def forget_subject(*, session: Session, subject_id: str, actor: str) -> dict[str, int]:
    """Erasure's part in notify: delete the subject's in-app messages, and drop what still
    links its finished messages to an address. Queued messages are kept, so a notice
    queued in the erasing transaction (the confirmation of the erasure) still goes out."""
    deleted = cast(
        CursorResult[Any],
        session.execute(delete(InAppMessage).where(InAppMessage.subject_id == subject_id)),
    ).rowcount
    unlinked = cast(
        CursorResult[Any],
        session.execute(
            update(OutboundMessage)
            .where(
                OutboundMessage.subject_id == subject_id,
                OutboundMessage.status != MessageStatus.QUEUED.value,
                OutboundMessage.channel == Channel.EMAIL.value,
            )
            .values(recipient_ciphertext=None, secret_ciphertext=None, recipient_index=None)
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    audit.record(
        session=session,
        actor=actor,
        action="notify.subject_forgotten",
        target_type="subject",
        target_id=subject_id,
        details={"in_app_deleted": deleted, "email_unlinked": unlinked},
    )
    return {"in_app_deleted": deleted, "email_unlinked": unlinked}
