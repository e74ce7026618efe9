"""Console page: the orders, their subjects and until when each must be kept."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from privacyops.db import utcnow
from privacyops.orders import service
from privacyops.staff.permissions import Permission
from privacyops.web.deps import SessionDep, require_page
from privacyops.web.templating import render_admin

router = APIRouter(include_in_schema=False)


@router.get("/admin/orders", dependencies=[require_page(Permission.SUBJECTS_READ).dep])
async def orders_page(request: Request, session: SessionDep) -> Response:
    orders = service.list_orders(session=session, limit=200)
    rule = service.legal_rule(request.app.state.policy.declaration)
    return await render_admin(
        request, "orders/index.html", {"orders": orders, "rule": rule, "now": utcnow()}
    )
