"""Orders in, kept for the declared legal period, out when it ends. Never commits.

An order is checked against the declaration's ``orders`` category (every
field, the purpose, the lawful basis) by the same code as every other
intake, then stored: the bookkeeping row here, the personal values in the
vault. Both expire at the category's ``legal`` retention (counted from when
the order was placed), not at the account's end: closing or erasing the
account does not shorten it, and nothing keeps it longer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from privacyops.audit import service as audit
from privacyops.collection import intake
from privacyops.db import utcnow
from privacyops.orders.models import Order
from privacyops.policy.retention import Legal
from privacyops.policy.schema import Declaration
from privacyops.subjects import records
from privacyops.subjects import service as subjects
from privacyops.subjects.errors import SubjectNotFoundError
from privacyops.subjects.models import PersonalRecord, SubjectState
from privacyops.vault.service import Vault

CATEGORY = "orders"
PURPOSE = "order_cooperation"
SOURCE_PREFIX = "order:"
#: What an order keeps, in words for the person's deletion answer (no value in it).
KEPT_FIELDS = (
    "order reference, products, amount and currency; billing and shipping name, address and phone"
)


class OrderError(ValueError):
    """A refusal the face turns into an HTTP error (``status``) naming ``field``."""

    def __init__(self, message: str, *, field: str | None = None, status: int = 422) -> None:
        super().__init__(message)
        self.field = field
        self.status = status


@dataclass(frozen=True)
class RetainedItem:
    """One thing kept after the account is deleted: what, why (the law), until when."""

    category: str
    order_ref: str
    what: str
    law: str
    reason: str
    until: datetime


def _no_separate_consent(_session: Session, _subject_id: str, _purpose: str) -> bool:
    return False  # order processing is contractual; a consent-only field never passes


def legal_rule(declaration: Declaration) -> Legal:
    rule = declaration.category(CATEGORY).retention
    if not isinstance(rule, Legal):
        raise OrderError(f"data category {CATEGORY!r} must have a legal retention rule")
    return rule


def record_order(
    *,
    session: Session,
    vault: Vault,
    declaration: Declaration,
    subject_id: str,
    fields: Mapping[str, object],
    notice_version: str,
    actor: str,
    placed_at: datetime | None = None,
) -> Order:
    """Check an order against the declaration and store it; refusals change nothing.

    ``placed_at`` (default now) is when the order was placed: the legal period runs from
    then, so an order recorded late is not kept longer than the law asks.
    """
    now = utcnow()
    placed = placed_at or now
    if placed.tzinfo is None:
        raise OrderError("placed_at needs a time zone", field="placed_at")
    if placed > now:
        raise OrderError("placed_at is in the future", field="placed_at")
    try:
        subject = subjects.get_subject(session=session, subject_id=subject_id)
    except SubjectNotFoundError:
        raise OrderError("no such data subject", field="subject_id", status=404) from None
    if subject.state == SubjectState.ERASED:
        raise OrderError("this data subject was erased", field="subject_id", status=409)
    checker = intake.Intake(session, vault, declaration, actor, _no_separate_consent)
    try:
        notice = intake.check_notice_version(checker, notice_version)
        values = intake.validate_fields(
            checker, category=CATEGORY, purpose=PURPOSE, values=fields, subject_id=subject_id
        )
    except intake.IntakeError as error:
        raise OrderError(str(error), field=error.field, status=error.status) from None
    ref = values["order_id"]
    if session.scalar(select(Order.id).where(Order.order_ref == ref)) is not None:
        raise OrderError("this order was already recorded", field="fields.order_id", status=409)
    try:
        amount = Decimal(values["amount"]).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise OrderError("amount must be a number", field="fields.amount") from None
    if amount < 0 or amount >= Decimal("1e12"):
        raise OrderError("amount must be between 0 and 10^12", field="fields.amount")
    rule = legal_rule(declaration)
    expires = rule.expires_at(collected_at=placed)
    assert expires is not None  # a legal rule always expires
    if expires <= now:
        raise OrderError("placed_at is older than the legal retention period", field="placed_at")
    records.store_values(
        session=session,
        vault=vault,
        subject_id=subject_id,
        category=CATEGORY,
        values={name: value for name, value in values.items() if value},
        purpose=PURPOSE,
        region=declaration.category(CATEGORY).storage.primary,
        expires_at=expires,
        notice_version=notice,
        source=f"{SOURCE_PREFIX}{ref}",
        actor=actor,
        collected_at=placed,
    )
    order = Order(
        subject_id=subject_id,
        order_ref=ref,
        amount=amount,
        currency=values["currency"],
        placed_at=placed,
        expires_at=expires,
        law=rule.law[:200],
        created_by=actor,
    )
    session.add(order)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="order.recorded",
        target_type="subject",
        target_id=subject_id,
        details={"order_id": order.id, "fields": sorted(values), "expires_at": expires.isoformat()},
    )
    return order


def list_orders(*, session: Session, limit: int = 200) -> list[Order]:
    return list(session.scalars(select(Order).order_by(Order.id.desc()).limit(limit)))


def orders_of(*, session: Session, subject_id: str) -> list[Order]:
    query = select(Order).where(Order.subject_id == subject_id).order_by(Order.placed_at)
    return list(session.scalars(query))


def retained_after_erasure(
    session: Session, subject_id: str, *, now: datetime | None = None
) -> list[RetainedItem]:
    """What deleting the account keeps of the subject's orders, why, and until when.

    For the deletion answer: each order still inside its legal period is kept
    (bookkeeping row here, values re-encrypted under a retention subject by
    the erasure) until ``until`` and then deleted; an expired one is not kept.
    The answer is the same before and after the erasure.
    """
    moment = now or utcnow()
    return [
        RetainedItem(
            category=CATEGORY,
            order_ref=order.order_ref,
            what=KEPT_FIELDS,
            law=order.law,
            reason="transaction records the law requires us to keep",
            until=order.expires_at,
        )
        for order in orders_of(session=session, subject_id=subject_id)
        if order.expires_at > moment
    ]


def purge_expired(*, session: Session, actor: str, now: datetime | None = None) -> int:
    """Delete orders whose legal period has ended, with their vault values; returns how many."""
    moment = now or utcnow()
    expired = list(session.scalars(select(Order).where(Order.expires_at <= moment)))
    for order in expired:
        session.execute(
            delete(PersonalRecord).where(
                PersonalRecord.category == CATEGORY,
                PersonalRecord.source == f"{SOURCE_PREFIX}{order.order_ref}",
                PersonalRecord.expires_at <= moment,
            )
        )
        session.delete(order)
    session.flush()
    if expired:
        audit.record(
            session=session,
            actor=actor,
            action="order.purged",
            target_type="system",
            target_id="orders",
            details={"orders": len(expired)},
        )
    return len(expired)
