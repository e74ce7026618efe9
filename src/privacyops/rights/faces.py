"""What the rights pages and JSON routes share: the app's policy, vault and settings, the
refusal in the API's error shape, and running a request once it may run.

The routes own the transaction (the request's unit of work commits before the
response). The commits here are the exceptions, each where a step must survive
a later failure.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, TypeVar

from fastapi import Request
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from privacyops.errors import AppError
from privacyops.policy.schema import Declaration
from privacyops.rights import running
from privacyops.rights.common import RightsError
from privacyops.rights.executors import ExecutionReport, PackageDownload
from privacyops.rights.models import RightsRequest
from privacyops.settings import Settings
from privacyops.vault.service import Vault

P = ParamSpec("P")
T = TypeVar("T")

STATUS_FOR = {
    "not_found": 404,
    "invalid": 422,
    "conflict": 409,
    "gone": 410,
    "rate_limited": 429,
}


def refusal(error: RightsError) -> AppError:
    return AppError(STATUS_FOR.get(error.code, 409), str(error), code=error.code, field=error.field)


def or_refusal(action: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Call a rights function; its refusal becomes the API's error (404, 409, 422...)."""
    try:
        return action(*args, **kwargs)
    except RightsError as error:
        raise refusal(error) from None


def declaration_of(request: Request) -> Declaration:
    declaration: Declaration = request.app.state.policy.declaration
    return declaration


def vault_of(request: Request) -> Vault:
    vault: Vault = request.app.state.vault
    return vault


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def run_now(http: Request, session: Session, request_id: str, actor: str) -> ExecutionReport:
    """Execute (or resume) a request; raises ``RightsError`` when it may not run."""
    # What was decided (verified, approved) stands even if a step of the execution fails.
    session.commit()
    return running.run(
        session=session,
        vault=vault_of(http),
        settings=settings_of(http),
        declaration=declaration_of(http),
        request_id=request_id,
        actor=actor,
        # Each finished step is made durable, so a rerun continues after it.
        checkpoint=session.commit,
    )


def run_if_ready(http: Request, session: Session, request: RightsRequest, actor: str) -> None:
    """Execute a request that needs no staff review."""
    if not running.runs_on_its_own(request):
        return
    try:
        run_now(http, session, request.id, actor)
    except RightsError:
        session.rollback()  # stays verified; staff see it in the queue and execute it


def package_stream(found: PackageDownload) -> StreamingResponse:
    """An access package as a zip download, never cached."""
    return StreamingResponse(
        found.chunks,
        media_type="application/zip",
        headers={
            "content-disposition": f'attachment; filename="{found.filename}"',
            "cache-control": "no-store",
        },
    )
