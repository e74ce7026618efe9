"""In-app messages for the apps: list an account's messages, mark one read.

Both routes need `requests.read` (the apps' API-key scope): the messages are
the notices about the person's requests and about the policy. Marking read
is a read receipt, not a change to a request, so it needs no write scope;
it only touches a message of the account named in the body.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from privacyops.db import utcnow
from privacyops.errors import AppError
from privacyops.notify import service
from privacyops.notify.models import InAppMessage
from privacyops.notify.schemas import InAppMessageOut, InAppMessagesOut, MarkReadIn
from privacyops.staff.permissions import Permission
from privacyops.subjects.errors import SubjectError
from privacyops.vault.service import Vault
from privacyops.web.deps import SessionDep, require

router = APIRouter(prefix="/api/v1/messages", tags=["messages"])
READ = [require(Permission.REQUESTS_READ).dep]


def _vault(request: Request) -> Vault:
    vault: Vault = request.app.state.vault
    return vault


def _out(message: InAppMessage) -> InAppMessageOut:
    return InAppMessageOut(
        id=message.id,
        template=message.template,
        language=message.language,
        title=message.title,
        body=message.body,
        created_at=message.created_at,
        read_at=message.read_at,
    )


def _invalid(error: SubjectError) -> AppError:
    return AppError(422, f"account_id: {error}", field="account_id")


@router.get("", dependencies=READ, summary="An account's in-app messages, newest first")
def list_messages(
    request: Request,
    session: SessionDep,
    account_id: Annotated[str, Query(min_length=1, max_length=200)],
    unread_only: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> InAppMessagesOut:
    """An account the system does not know has no messages (an empty list, not 404)."""
    try:
        found = service.inbox(
            session=session,
            vault=_vault(request),
            account_id=account_id,
            unread_only=unread_only,
            limit=limit,
        )
    except SubjectError as error:
        raise _invalid(error) from None
    return InAppMessagesOut(messages=[_out(message) for message in found])


@router.post("/{message_id}/read", dependencies=READ, summary="Mark an in-app message read")
def mark_read(
    message_id: str, body: MarkReadIn, request: Request, session: SessionDep
) -> InAppMessageOut:
    """Idempotent: a second call keeps the first read time."""
    try:
        message = service.mark_read(
            session=session,
            vault=_vault(request),
            account_id=body.account_id,
            message_id=message_id,
            now=utcnow(),
        )
    except SubjectError as error:
        raise _invalid(error) from None
    if message is None:
        raise AppError(404, "no such message for this account", field="message_id")
    return _out(message)
