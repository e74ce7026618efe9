"""What the rights-request modules share: the refusal, the system actor, notes and audit.

Every function in ``intake``, ``identity``, ``decisions``, ``running``,
``downloads``, ``lookups`` and ``messages`` takes the caller's ``session`` and
never commits; the face (a route, a job) owns the transaction.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy.orm import Session

from privacyops.audit import service as audit
from privacyops.db import utcnow
from privacyops.rights.models import RequestNote, RightsRequest

__all__ = ["DETAILS_CATEGORY", "SYSTEM", "RightsError"]

SYSTEM = "system:rights"
DETAILS_CATEGORY = "rights.request"


class RightsError(ValueError):
    """A refusal; ``code`` is the API's error code (not_found, invalid, conflict, gone, ...)."""

    def __init__(self, message: str, *, code: str = "conflict", field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.field = field


def _token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _note(session: Session, request: RightsRequest, author: str, kind: str, text: str) -> None:
    session.add(
        RequestNote(request_id=request.id, at=utcnow(), author=author, kind=kind, text=text)
    )


def _audit(
    session: Session, actor: str, action: str, request: RightsRequest, **details: Any
) -> None:
    audit.record(
        session=session,
        actor=actor,
        action=f"rights.{action}",
        target_type="rights_request",
        target_id=request.id,
        details=details,
    )
