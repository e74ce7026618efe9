"""The erasure dry run of one rights request, as the console and the API show it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from privacyops.audit import service as audit
from privacyops.policy.schema import Declaration
from privacyops.rights.models import RightsRequest
from privacyops.settings import Settings
from privacyops.sources.errors import ConnectorError
from privacyops.sources.runs import dry_run
from privacyops.subjects import service as subjects
from privacyops.subjects.models import SubjectState
from privacyops.vault.service import Vault


class PreviewError(ValueError):
    """The request has no erasure to preview; ``status`` as the API answers it."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Preview:
    request_id: str
    subject_id: str
    at: datetime
    tables: list[dict[str, Any]]
    #: Why the sources could not be read (unreachable, no index...); the tables are then empty.
    error: str | None


def erasure_preview(
    *,
    session: Session,
    vault: Vault,
    settings: Settings,
    declaration: Declaration,
    request_id: str,
    actor: str,
    now: datetime,
) -> Preview:
    request = session.get(RightsRequest, request_id)
    if request is None:
        raise PreviewError(f"no rights request {request_id!r}", status=404)
    if request.type != "deletion":
        raise PreviewError(f"request {request_id} is a {request.type} request", status=409)
    subject = subjects.get_subject(session=session, subject_id=request.subject_id)
    if subject.state == SubjectState.ERASED:
        raise PreviewError(f"the subject of {request_id} is already erased", status=409)
    tables: list[dict[str, Any]] = []
    error = None
    try:
        tables = dry_run(
            session=session,
            vault=vault,
            settings=settings,
            declaration=declaration,
            subject_id=subject.id,
            now=now,
        )
    except ConnectorError as failed:
        error = str(failed)
    audit.record(
        session=session,
        actor=actor,
        action="sources.erasure_previewed",
        target_type="rights_request",
        target_id=request_id,
        details={"tables": len(tables), "failed": error is not None},
    )
    return Preview(request_id, subject.id, now, tables, error)


__all__ = ["Preview", "PreviewError", "erasure_preview"]
