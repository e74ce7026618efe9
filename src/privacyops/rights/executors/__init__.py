"""Executors of data subject requests: each request type as recorded, resumable steps.

Public API (the rights-request modules, console and jobs call these; none commits
except through the ``checkpoint`` a face passes in):

- ``execute``: run a verified request's steps; returns an ``ExecutionReport``.
- ``open_package``: check a download token and stream the decrypted package.
- ``reissue_download``: a new token for a built package (the old one stops working).
- ``submit_corrections``: staff-reviewed corrections, sealed until applied.
- ``lift_restriction``, ``lift_objection``: staff actions.
- ``is_objected``, ``objected_purposes``: for the consent domain's deny checks.
- ``release_expired_retention``, ``remove_package_files``: for periodic jobs.

Module map: ``engine`` (step runner); one module per request type (``access``,
``deletion``, ``correction``, ``restriction``, ``objection``, ``withdrawal``,
``complaint``); ``retention`` (what an erasure keeps), ``package``
(encryption at rest), ``export`` (package contents), ``download``,
``extensions`` (legal-hold and access-section hooks), ``models`` (objections
and retained data). External databases are ``rights.connectors``.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from privacyops.policy.schema import Declaration
from privacyops.rights.executors import (
    access,
    complaint,
    correction,
    deletion,
    objection,
    restriction,
    withdrawal,
)
from privacyops.rights.executors.correction import submit_corrections
from privacyops.rights.executors.download import (
    PackageDownload,
    PackageError,
    open_package,
    reissue_download,
    remove_package_files,
)
from privacyops.rights.executors.engine import (
    Checkpoint,
    ExecutionError,
    ExecutionReport,
    Plan,
    StepOutcome,
    StepSpec,
    run,
)
from privacyops.rights.executors.objection import is_objected, lift_objection, objected_purposes
from privacyops.rights.executors.restriction import lift_restriction
from privacyops.rights.executors.retention import release_expired_retention
from privacyops.rights.models import RequestType
from privacyops.settings import Settings
from privacyops.vault.service import Vault

_ACCESS = Plan((StepSpec("build_package", access.build_package),), access.outcome)

PLANS: dict[str, Plan] = {
    RequestType.ACCESS.value: _ACCESS,
    RequestType.PORTABILITY.value: _ACCESS,
    RequestType.DELETION.value: Plan(deletion.STEPS, deletion.outcome),
    RequestType.CORRECTION.value: Plan(correction.STEPS, correction.outcome),
    RequestType.RESTRICTION.value: Plan(restriction.STEPS, restriction.outcome),
    RequestType.OBJECTION.value: Plan(objection.STEPS, objection.outcome),
    RequestType.WITHDRAW_CONSENT.value: Plan(withdrawal.STEPS, withdrawal.outcome),
    RequestType.COMPLAINT.value: Plan(complaint.STEPS, complaint.outcome),
}


def execute(
    *,
    session: Session,
    vault: Vault,
    settings: Settings,
    declaration: Declaration,
    request_id: str,
    actor: str,
    checkpoint: Checkpoint | None = None,
) -> ExecutionReport:
    """Run the request's pending and failed steps in order and report where it stands.

    Refuses (``ExecutionError``) a request that is not verified (unless it
    needs no verification), denied, expired, or of a type without executor
    (inquiries). A completed request returns its report and does nothing.
    Pass ``checkpoint=session.commit`` from the face so that each finished
    step is durable (see ``engine``); a failed step is recorded and reported
    (``report.error``), the request stays ``in_progress``, and the next call
    retries it. ``report.download_token`` carries an access package's token
    for the requester, only in the run that built it.
    """
    return run(
        session=session,
        vault=vault,
        settings=settings,
        declaration=declaration,
        request_id=request_id,
        actor=actor,
        plans=PLANS,
        checkpoint=checkpoint,
    )


__all__ = [
    "PLANS",
    "Checkpoint",
    "ExecutionError",
    "ExecutionReport",
    "PackageDownload",
    "PackageError",
    "StepOutcome",
    "execute",
    "is_objected",
    "lift_objection",
    "lift_restriction",
    "objected_purposes",
    "open_package",
    "reissue_download",
    "release_expired_retention",
    "remove_package_files",
    "submit_corrections",
]
