"""The in-app inbox the apps read: an account's messages, and marking one read.

Rows are created by delivery (``delivery.deliver_due``), one per outbound
in-app message; the account id is resolved to its subject through the
subjects service (a blind-index lookup), never stored here.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from privacyops.notify.models import InAppMessage
from privacyops.subjects import service as subjects
from privacyops.vault.blind_index import IdentityKind
from privacyops.vault.service import Vault


def inbox(
    *, session: Session, vault: Vault, account_id: str, unread_only: bool = False, limit: int = 50
) -> list[InAppMessage]:
    """The in-app messages of the subject owning ``account_id``, newest first.

    An account the system does not know has no messages (an empty list).
    Raises ``SubjectError`` for an id that cannot be an account id.
    """
    subject = subjects.find_subject_by(
        session=session, vault=vault, kind=IdentityKind.ACCOUNT_ID, value=account_id
    )
    if subject is None:
        return []
    query = select(InAppMessage).where(InAppMessage.subject_id == subject.id)
    if unread_only:
        query = query.where(InAppMessage.read_at.is_(None))
    query = query.order_by(InAppMessage.created_at.desc(), InAppMessage.id).limit(limit)
    return list(session.scalars(query))


def mark_read(
    *, session: Session, vault: Vault, account_id: str, message_id: str, now: datetime
) -> InAppMessage | None:
    """Mark a message read (once; a repeat keeps the first time); None if it is not the
    account's message, so one account cannot touch another's."""
    subject = subjects.find_subject_by(
        session=session, vault=vault, kind=IdentityKind.ACCOUNT_ID, value=account_id
    )
    message = session.get(InAppMessage, message_id)
    if subject is None or message is None or message.subject_id != subject.id:
        return None
    if message.read_at is None:
        message.read_at = now
        session.flush()
    return message
