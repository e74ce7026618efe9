"""Disclosure routes: one door out (`subjects.write`), and the accounting (`subjects.read`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from privacyops.disclosures import service
from privacyops.disclosures.models import Disclosure
from privacyops.disclosures.schemas import DisclosureIn, DisclosureOut
from privacyops.errors import AppError
from privacyops.staff.permissions import Permission
from privacyops.web.deps import CurrentPrincipal, SessionDep, require

router = APIRouter(prefix="/api/v1/disclosures", tags=["disclosures"])


def _out(row: Disclosure) -> DisclosureOut:
    return DisclosureOut(
        id=row.id,
        subject_id=row.subject_id,
        recipient=row.recipient,
        recipient_kind=row.recipient_kind,
        country=row.country,
        categories=[str(c) for c in row.categories],
        purpose=row.purpose,
        basis=row.basis,
        disclosed_at=row.disclosed_at,
        actor=row.actor,
    )


@router.post(
    "",
    dependencies=[require(Permission.SUBJECTS_WRITE).dep],
    response_model=DisclosureOut,
    status_code=201,
)
def create_disclosure(
    body: DisclosureIn, request: Request, session: SessionDep, principal: CurrentPrincipal
) -> DisclosureOut:
    """Disclose categories of a subject's data to a declared recipient, or be refused."""
    try:
        row = service.disclose(
            session=session,
            vault=request.app.state.vault,
            declaration=request.app.state.policy.declaration,
            subject_id=body.subject_id,
            recipient=body.recipient,
            categories=body.categories,
            purpose=body.purpose,
            basis=body.basis,
            actor=principal.actor,
            country=body.country,
        )
    except service.DisclosureError as error:
        raise AppError(error.status, str(error), field=error.field) from None
    return _out(row)


@router.get(
    "", dependencies=[require(Permission.SUBJECTS_READ).dep], response_model=list[DisclosureOut]
)
def list_disclosures(
    session: SessionDep, subject_id: Annotated[str, Query(min_length=1, max_length=36)]
) -> list[DisclosureOut]:
    """The accounting of disclosures of one subject, oldest first."""
    return [_out(row) for row in service.rows_for_subject(session, subject_id)]
