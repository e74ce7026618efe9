"""The e-mail suppression list: addresses never to send to again, held as blind indexes.

``deliver_due`` checks it before every e-mail and marks a message to a listed
address ``suppressed`` instead of sending it. The list is not tied to a data
subject: an address that bounces stays listed when its owner is erased, and
nothing readable is stored (the vault's e-mail blind index only).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from privacyops.audit import service as audit
from privacyops.db import utcnow
from privacyops.notify.errors import NotifyError
from privacyops.notify.models import EmailSuppression, SuppressionReason
from privacyops.vault.blind_index import IdentityKind
from privacyops.vault.errors import InvalidIdentityError
from privacyops.vault.service import Vault


def _address_index(vault: Vault, address: str) -> bytes:
    try:
        return vault.index(IdentityKind.EMAIL, address)
    except InvalidIdentityError:
        raise NotifyError("not an e-mail address", field="address") from None


def suppress(
    *,
    session: Session,
    vault: Vault,
    address: str,
    reason: SuppressionReason | str,
    actor: str,
) -> EmailSuppression:
    """Never send to ``address`` again (a hard bounce, a complaint); idempotent."""
    try:
        why = SuppressionReason(reason)
    except ValueError:
        raise NotifyError(f"unknown suppression reason {reason!r}", field="reason") from None
    index = _address_index(vault, address)
    row = session.scalar(select(EmailSuppression).where(EmailSuppression.address_index == index))
    if row is not None:
        return row
    row = EmailSuppression(
        address_index=index, reason=why.value, created_at=utcnow(), created_by=actor
    )
    session.add(row)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="notify.address_suppressed",
        target_type="email_suppression",
        target_id=row.id,
        details={"reason": why.value},
    )
    return row


def unsuppress(*, session: Session, vault: Vault, address: str, actor: str) -> bool:
    """Take an address off the suppression list; False if it was not on it."""
    row = session.scalar(
        select(EmailSuppression).where(
            EmailSuppression.address_index == _address_index(vault, address)
        )
    )
    if row is None:
        return False
    session.delete(row)
    audit.record(
        session=session,
        actor=actor,
        action="notify.address_unsuppressed",
        target_type="email_suppression",
        target_id=row.id,
    )
    return True


def is_suppressed(*, session: Session, vault: Vault, address: str) -> bool:
    index = _address_index(vault, address)
    found = session.scalar(
        select(EmailSuppression.id).where(EmailSuppression.address_index == index)
    )
    return found is not None
