"""Running a verified request and telling the requester once it is complete.

Execution goes through ``rights.executors.execute`` with the ``checkpoint`` the
face passes in; nothing else here commits.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from privacyops.policy.schema import Declaration
from privacyops.rights import executors
from privacyops.rights.common import RightsError
from privacyops.rights.executors import ExecutionError, ExecutionReport
from privacyops.rights.lookups import get
from privacyops.rights.messages import _completed_notice
from privacyops.rights.models import RequestStatus, RequestType, RightsRequest
from privacyops.settings import Settings
from privacyops.vault.service import Vault

__all__ = ["run", "runs_on_its_own"]


#: Types that wait for staff after verification: corrections are reviewed, inquiries answered.
REVIEWED_TYPES = frozenset({RequestType.CORRECTION.value, RequestType.INQUIRY.value})


def runs_on_its_own(request: RightsRequest) -> bool:
    """Whether the request executes right after verification (no staff review needed)."""
    return request.status == RequestStatus.VERIFIED and request.type not in REVIEWED_TYPES


def run(
    *,
    session: Session,
    vault: Vault,
    settings: Settings,
    declaration: Declaration,
    request_id: str,
    actor: str,
    checkpoint: executors.Checkpoint | None = None,
) -> ExecutionReport:
    """Execute (or resume) a verified request; once complete, queue the requester's notice.

    The notice is queued in the same run as the last step when nothing
    crashes; a run that finds the request already complete without a notice
    queues it then (with a new download token for a package).
    """
    request = get(session=session, request_id=request_id)
    if request.type == RequestType.INQUIRY:
        raise RightsError("inquiries are answered by staff: approve with the answer", field="type")
    if request.type == RequestType.CORRECTION and not (request.facts or {}).get(
        "corrections_reviewed_by"
    ):
        raise RightsError("submit the reviewed corrections first", field="corrections")
    if (request.facts or {}).get("awaiting_staff"):
        raise RightsError("the requester is not verified yet", field=None)
    try:
        report = executors.execute(
            session=session,
            vault=vault,
            settings=settings,
            declaration=declaration,
            request_id=request_id,
            actor=actor,
            checkpoint=checkpoint,
        )
    except ExecutionError as error:
        code = "conflict" if error.code == "forbidden" else error.code
        raise RightsError(str(error), code=code, field=error.field) from None
    request = session.get_one(RightsRequest, request_id, populate_existing=True)
    if report.completed and not (request.facts or {}).get("final_notice"):
        _completed_notice(session, vault, settings, request, report.download_token)
        session.flush()
        if checkpoint is not None:
            checkpoint()
    return report
