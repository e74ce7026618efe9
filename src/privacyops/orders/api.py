"""Order intake for the web shop (API keys with `intake.write`)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from privacyops.errors import AppError
from privacyops.orders import service
from privacyops.orders.schemas import OrderIn, OrderOut
from privacyops.staff.permissions import Permission
from privacyops.subjects import service as subjects
from privacyops.subjects.errors import SubjectError
from privacyops.web.deps import CurrentPrincipal, SessionDep, require

router = APIRouter(prefix="/api/v1/orders", tags=["orders"])


@router.post(
    "",
    dependencies=[require(Permission.INTAKE_WRITE).dep],
    response_model=OrderOut,
    status_code=201,
)
def create_order(
    body: OrderIn, request: Request, session: SessionDep, principal: CurrentPrincipal
) -> OrderOut:
    """Record an order of an account; kept for the declared legal period for transactions."""
    vault = request.app.state.vault
    try:
        subject = subjects.find_subject_by(
            session=session, vault=vault, kind="account_id", value=body.account_id
        )
    except SubjectError as error:
        raise AppError(422, str(error), field="account_id") from None
    if subject is None:
        raise AppError(404, "no such account", field="account_id")
    try:
        order = service.record_order(
            session=session,
            vault=vault,
            declaration=request.app.state.policy.declaration,
            subject_id=subject.id,
            fields=body.fields,
            notice_version=body.notice_version,
            actor=principal.actor,
            placed_at=body.placed_at,
        )
    except service.OrderError as error:
        raise AppError(error.status, str(error), field=error.field) from None
    return OrderOut(
        order_id=order.order_ref,
        subject_id=order.subject_id,
        amount=str(order.amount),
        currency=order.currency,
        placed_at=order.placed_at,
        retained_until=order.expires_at,
        law=order.law,
    )
