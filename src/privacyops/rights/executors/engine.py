"""The step runner: a request's execution as recorded, idempotent, resumable steps.

On the first run the request's steps are created (``request_step`` rows, in
position order) and the request goes ``in_progress``. Each run then takes the
steps that are not ``done``, in order, and for each one:

1. runs it; a step is idempotent (running it again after it half-happened
   ends in the same state), because a crash can stop it anywhere;
2. marks it ``done`` with its result (non-personal facts, or sealed values)
   in the same transaction as its work, then calls ``checkpoint``.

``checkpoint`` is the one commit outside a face: the caller passes its unit
of work's ``session.commit`` (as ``vault.rotation`` does) so that each
finished step is durable and a rerun after a crash continues from the last
finished step. Without it the whole run is one transaction the caller
commits, and each step runs inside a SAVEPOINT so a failing step leaves
nothing half-done.

Two runners of one request (a retried job next to a slow one) do not run a
step twice on PostgreSQL: each step row is locked (``FOR UPDATE``) before it
runs and until its commit, and re-read after the wait. SQLite has no row
locks; run one worker per request there (the embedded job runner does).

A step that raises is rolled back, marked ``failed`` with its error (the
exception's class and message; database errors by class and SQLSTATE only,
since their messages can quote personal values), a note is added to the
request's timeline and an audit event written. The request stays
``in_progress`` and the report carries the error: never a silent stop. The
next run retries the failed step first.

When every step is done the request is completed in the same transaction as
the last step: ``facts["outcome"]`` says what was done and what was kept and
why.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session

from privacyops.audit import service as audit
from privacyops.db import utcnow
from privacyops.policy.schema import Declaration
from privacyops.rights.models import (
    RequestNote,
    RequestStatus,
    RequestStep,
    RightsRequest,
    StepStatus,
    VerificationLevel,
)
from privacyops.settings import Settings
from privacyops.vault.service import Vault

Checkpoint = Callable[[], None]
"""Makes the work so far durable; the face passes its unit of work's ``session.commit``."""

ERROR_LIMIT = 1000


class ExecutionError(ValueError):
    """A request that cannot be executed (not verified, closed, unknown); ``code`` as in the API."""

    def __init__(self, message: str, *, code: str = "conflict", field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.field = field


@dataclass
class StepContext:
    """What a step sees: the transaction, the request, the results of earlier steps."""

    session: Session
    vault: Vault
    settings: Settings
    declaration: Declaration
    request: RightsRequest
    actor: str
    results: dict[str, dict[str, Any]]
    #: Values for the report only (a download token); never stored.
    secrets: dict[str, str] = field(default_factory=dict)
    #: Commits the step's work so far; only non-atomic steps call it, between idempotent batches.
    checkpoint: Checkpoint = lambda: None


StepFn = Callable[[StepContext], dict[str, Any]]


@dataclass(frozen=True)
class StepSpec:
    name: str
    run: StepFn
    #: False: the step commits its own idempotent batches through ``ctx.checkpoint``.
    atomic: bool = True


@dataclass(frozen=True)
class Plan:
    steps: tuple[StepSpec, ...]
    #: The outcome facts once every step is done (what was done, kept and why).
    outcome: Callable[[StepContext], dict[str, Any]]


@dataclass(frozen=True)
class StepOutcome:
    name: str
    status: str
    attempts: int
    error: str | None


@dataclass(frozen=True)
class ExecutionReport:
    """Where a request's execution stands after a run."""

    request_id: str
    type: str
    status: str
    steps: tuple[StepOutcome, ...]
    outcome: dict[str, Any]
    error: str | None = None
    failed_step: str | None = None
    #: The raw download token of a package built in this run, for the requester only.
    download_token: str | None = field(default=None, repr=False)

    @property
    def completed(self) -> bool:
        return self.status == RequestStatus.COMPLETED


def describe(error: BaseException) -> str:
    """The error as recorded: never a database message (it can quote personal values)."""
    if isinstance(error, DBAPIError):
        code = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
        return f"{type(error).__name__}: database error" + (f" (SQLSTATE {code})" if code else "")
    if isinstance(error, SQLAlchemyError):
        return f"{type(error).__name__}: database error"
    text = f"{type(error).__name__}: {error}"
    return text if len(text) <= ERROR_LIMIT else text[: ERROR_LIMIT - 1] + "…"


def _request(session: Session, request_id: str) -> RightsRequest:
    request = session.get(RightsRequest, request_id, with_for_update=True, populate_existing=True)
    if request is None:
        raise ExecutionError(f"no rights request {request_id!r}", code="not_found", field="id")
    return request


def _check_runnable(request: RightsRequest) -> None:
    status = request.status
    if status in (RequestStatus.DENIED, RequestStatus.EXPIRED):
        raise ExecutionError(f"request {request.id} is {status}; nothing to execute")
    needs_check = request.verification_level != VerificationLevel.NONE
    if needs_check and (
        status == RequestStatus.PENDING_VERIFICATION or request.verified_at is None
    ):
        raise ExecutionError(
            f"request {request.id} is not verified; it cannot be executed", code="forbidden"
        )


def _steps(session: Session, request_id: str) -> list[RequestStep]:
    return list(
        session.scalars(
            select(RequestStep)
            .where(RequestStep.request_id == request_id)
            .order_by(RequestStep.position)
            .execution_options(populate_existing=True)
        )
    )


def _claim(session: Session, step_id: int) -> RequestStep:
    """The step, locked until its transaction ends (PostgreSQL): a second runner of the same
    request waits here, then finds the step done instead of running it again."""
    return session.get_one(RequestStep, step_id, with_for_update=True, populate_existing=True)


def _report(
    request: RightsRequest, steps: list[RequestStep], secrets: Mapping[str, str]
) -> ExecutionReport:
    failed = next((s for s in steps if s.status == StepStatus.FAILED), None)
    outcome = request.facts.get("outcome") if isinstance(request.facts, dict) else None
    return ExecutionReport(
        request_id=request.id,
        type=request.type,
        status=request.status,
        steps=tuple(StepOutcome(s.name, s.status, s.attempts, s.error) for s in steps),
        outcome=dict(outcome) if isinstance(outcome, dict) else {},
        error=failed.error if failed else None,
        failed_step=failed.name if failed else None,
        download_token=secrets.get("download_token"),
    )


def _start(session: Session, request: RightsRequest, plan: Plan, actor: str) -> None:
    """Create the steps on the first run and move the request to ``in_progress``."""
    existing = {s.name for s in _steps(session, request.id)}
    for position, spec in enumerate(plan.steps, start=1):
        if spec.name not in existing:
            session.add(RequestStep(request_id=request.id, name=spec.name, position=position))
    if request.status != RequestStatus.IN_PROGRESS:
        previous, request.status = request.status, RequestStatus.IN_PROGRESS.value
        audit.record(
            session=session,
            actor=actor,
            action="rights.execution_started",
            target_type="rights_request",
            target_id=request.id,
            details={"from": previous, "type": request.type},
        )
    session.flush()


def run(
    *,
    session: Session,
    vault: Vault,
    settings: Settings,
    declaration: Declaration,
    request_id: str,
    actor: str,
    plans: Mapping[str, Plan],
    checkpoint: Checkpoint | None = None,
) -> ExecutionReport:
    """Run the request's pending and failed steps in order; see the module notes."""
    request = _request(session, request_id)
    if request.status == RequestStatus.COMPLETED:
        return _report(request, _steps(session, request_id), {})
    _check_runnable(request)
    plan = plans.get(request.type)
    if plan is None:
        raise ExecutionError(f"requests of type {request.type!r} have no executor", field="type")
    _start(session, request, plan, actor)
    commit = checkpoint or (lambda: None)
    commit()
    ctx = StepContext(session, vault, settings, declaration, request, actor, results={})
    specs = {spec.name: spec for spec in plan.steps}
    for listed in _steps(session, request_id):
        step = _claim(session, listed.id)
        if step.status == StepStatus.DONE:  # by an earlier run, or a concurrent one
            ctx.results[step.name] = dict(step.result or {})
            continue
        spec = specs.get(step.name)
        if spec is None:  # a step of an older plan: nothing runs it any more
            raise ExecutionError(f"step {step.name!r} is not part of the {request.type} plan")
        if not _run_step(ctx, step, spec, checkpoint):
            commit()
            request = _request(session, request_id)
            return _report(request, _steps(session, request_id), ctx.secrets)
        last = step.name == plan.steps[-1].name
        if last:
            _complete(ctx, plan)
        commit()
        ctx.request = _request(session, request_id)
    request = _request(session, request_id)
    if request.status != RequestStatus.COMPLETED:  # every step was done by an earlier run
        ctx.request = request
        _complete(ctx, plan)
        commit()
    return _report(request, _steps(session, request_id), ctx.secrets)


def _run_step(
    ctx: StepContext, step: RequestStep, spec: StepSpec, checkpoint: Checkpoint | None
) -> bool:
    """Run one step; True when done. A failure is rolled back and recorded."""
    session = ctx.session
    attempts = step.attempts + 1
    started = utcnow()
    savepoint = None if checkpoint is not None else session.begin_nested()
    ctx.checkpoint = checkpoint if (checkpoint is not None and not spec.atomic) else (lambda: None)
    try:
        result = spec.run(ctx)
        step.status = StepStatus.DONE.value
        step.attempts, step.started_at, step.finished_at = attempts, started, utcnow()
        step.error, step.result = None, result
        session.flush()
        if savepoint is not None:
            savepoint.commit()
    except Exception as error:  # a step's failure is recorded, never raised past the runner
        if savepoint is not None:
            savepoint.rollback()
        else:
            session.rollback()
        _record_failure(ctx, step.id, attempts, started, describe(error))
        return False
    finally:
        ctx.checkpoint = lambda: None
    ctx.results[step.name] = result
    audit.record(
        session=session,
        actor=ctx.actor,
        action="rights.step_done",
        target_type="rights_request",
        target_id=ctx.request.id,
        details={"step": step.name, "attempts": attempts},
    )
    return True


def _record_failure(
    ctx: StepContext, step_id: int, attempts: int, started: datetime, error: str
) -> None:
    session = ctx.session
    step = session.get_one(RequestStep, step_id, populate_existing=True)
    step.status = StepStatus.FAILED.value
    step.attempts, step.started_at, step.finished_at, step.error = attempts, started, None, error
    session.add(
        RequestNote(
            request_id=step.request_id,
            at=utcnow(),
            author=ctx.actor,
            kind="step_failed",
            text=f"Step {step.name} failed (attempt {attempts}): {error}",
        )
    )
    audit.record(
        session=session,
        actor=ctx.actor,
        action="rights.step_failed",
        target_type="rights_request",
        target_id=step.request_id,
        details={"step": step.name, "attempts": attempts, "error": error[:200]},
    )
    session.flush()


def _complete(ctx: StepContext, plan: Plan) -> None:
    request = ctx.request
    outcome = plan.outcome(ctx)
    request.facts = {**(request.facts or {}), "outcome": outcome}
    request.status = RequestStatus.COMPLETED.value
    request.closed_at = utcnow()
    ctx.session.add(
        RequestNote(
            request_id=request.id,
            at=request.closed_at,
            author=ctx.actor,
            kind="completed",
            text=f"{request.type} request executed: {outcome.get('summary', 'done')}",
        )
    )
    audit.record(
        session=ctx.session,
        actor=ctx.actor,
        action="rights.request_completed",
        target_type="rights_request",
        target_id=request.id,
        details={"type": request.type},
    )
    ctx.session.flush()
