"""When a request is due, whether it is on track, and its one extension.

The due date is the stricter (earlier) of the declaration's promise (30
calendar days for data-rights requests, 5-7 business days for general
inquiries) and the law of the requester's regime, from the jurisdiction
service. An extension moves it once, with a reason, to at most the law's
extended limit, and only before the first deadline has passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from privacyops.jurisdictions import service as jurisdictions
from privacyops.policy.schema import Declaration
from privacyops.rights.models import RequestStatus, RequestType, RightsRequest

DUE_SOON_DAYS = 7

OPEN_STATUSES = (
    RequestStatus.PENDING_VERIFICATION.value,
    RequestStatus.VERIFIED.value,
    RequestStatus.IN_PROGRESS.value,
)


class DeadlineError(ValueError):
    def __init__(self, message: str, *, code: str = "conflict", field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.field = field


@dataclass(frozen=True)
class DueDates:
    due_at: datetime
    target_at: datetime
    #: The latest date an extension may reach (None: the law allows none).
    extension_limit: datetime | None
    basis: str
    decided_by: str


def due_dates(
    *,
    declaration: Declaration,
    request_type: str,
    regime: str,
    country: str | None,
    received_at: datetime,
) -> DueDates:
    sla = declaration.rights.sla
    if request_type == RequestType.INQUIRY:
        window = sla.general_inquiries
        inquiry = jurisdictions.inquiry_deadline(
            regime=regime,
            received_at=received_at,
            country=country,
            target_business_days=window.min_days,
            due_business_days=window.max_days,
        )
        return DueDates(inquiry.due_at, inquiry.target_at, None, inquiry.basis, "promise")
    promise = sla.data_rights
    deadline = jurisdictions.request_deadline(
        regime=regime,
        received_at=received_at,
        promised_days=promise.days,
        promised_business_days=promise.counting == "business",
        country=country,
    )
    return DueDates(
        deadline.due_at,
        deadline.target_at,
        deadline.extended_due_at,
        deadline.basis,
        deadline.decided_by,
    )


def facts_of(dates: DueDates) -> dict[str, Any]:
    return {
        "deadline": {
            "basis": dates.basis,
            "decided_by": dates.decided_by,
            "target_at": dates.target_at.isoformat(),
            "extension_limit": dates.extension_limit.isoformat() if dates.extension_limit else None,
        }
    }


def effective_due(request: RightsRequest) -> datetime:
    return request.extended_due_at or request.due_at


def status_of(request: RightsRequest, now: datetime) -> str:
    """``on_track``, ``due_soon`` or ``overdue`` while open; ``met`` or ``late`` once closed."""
    due = effective_due(request)
    if request.status not in OPEN_STATUSES:
        closed = request.closed_at or now
        return "met" if closed <= due else "late"
    if now > due:
        return "overdue"
    if due - now <= timedelta(days=DUE_SOON_DAYS):
        return "due_soon"
    return "on_track"


def extension_limit(request: RightsRequest) -> datetime | None:
    raw = (request.facts or {}).get("deadline", {}).get("extension_limit")
    return datetime.fromisoformat(raw) if isinstance(raw, str) else None


def extend(
    *, request: RightsRequest, reason: str, now: datetime, until: datetime | None = None
) -> datetime:
    """Move the due date once (to ``until`` or the law's limit); refused after the deadline."""
    if request.status not in OPEN_STATUSES:
        raise DeadlineError(f"request {request.id} is {request.status}; it cannot be extended")
    if request.extended_due_at is not None:
        raise DeadlineError(f"request {request.id} was already extended")
    if now >= request.due_at:
        raise DeadlineError(
            "the first deadline has passed; an extension must be notified before it"
        )
    limit = extension_limit(request)
    if limit is None:
        raise DeadlineError("the law governing this request allows no extension")
    text = reason.strip()
    if not 10 <= len(text) <= 2000:
        raise DeadlineError(
            "give the reason in 10 to 2000 characters", code="invalid", field="reason"
        )
    new_due = limit if until is None else until
    if new_due.tzinfo is None:
        raise DeadlineError("the new due date needs a timezone", code="invalid", field="until")
    if not request.due_at < new_due <= limit:
        raise DeadlineError(
            f"the new due date must be after {request.due_at:%Y-%m-%d} and not after "
            f"{limit:%Y-%m-%d}",
            code="invalid",
            field="until",
        )
    request.extended_due_at = new_due
    request.extension_reason = text
    return new_due


def overdue_requests(*, session: Session, now: datetime) -> list[RightsRequest]:
    """Open requests past their (extended) due date, the most overdue first.

    For the conformance audit: each is a broken promise of the policy's section 6.
    """
    due = func.coalesce(RightsRequest.extended_due_at, RightsRequest.due_at)
    return list(
        session.scalars(
            select(RightsRequest)
            .where(RightsRequest.status.in_(OPEN_STATUSES), due < now)
            .order_by(due, RightsRequest.id)
        )
    )
