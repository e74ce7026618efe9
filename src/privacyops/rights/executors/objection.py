"""Objection: processing on legitimate interests stops for the purposes objected to.

Which purposes: ``facts["purposes"]`` (absent or empty: every purpose). Only a
purpose whose lawful basis in the request's regime family is legitimate
interests (GDPR art. 21) can be objected to; the others are reported with
their basis (consent: withdraw it instead; contract or law: needed for them).
Each stopped purpose is a ``rights_objection`` row. ``objected`` is registered
with the consent domain's deny predicates, so ``may_process`` answers no for
an objected purpose (essential ones included: anti-fraud rests on legitimate
interests); the consent cache is told after the commit that records or lifts
an objection. ``lift_objection`` is the staff action that ends one
(compelling legitimate grounds, with the reason recorded).

Automated decisions: each significant automated decision in the declaration
that uses an objected purpose gets a human-review task on the request's
timeline (GDPR art. 22(3): a person, not the system, reviews the decision).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from privacyops.audit import service as audit
from privacyops.consent import freshness
from privacyops.consent import service as consent
from privacyops.consent.catalogue import PurposeInfo
from privacyops.db import utcnow
from privacyops.policy.schema import Declaration
from privacyops.rights.executors.engine import ExecutionError, StepContext, StepSpec
from privacyops.rights.executors.models import Objection
from privacyops.rights.models import RequestNote
from privacyops.subjects.models import Subject
from privacyops.vault import hooks

OBJECTABLE_BASIS = "legitimate_interests"


def family(regime: str) -> str:
    """Which column of a lawful basis applies: ``pipl`` in mainland China, else ``gdpr``."""
    return "pipl" if regime == "CN" else "gdpr"


def _bases(declaration: Declaration, purpose: str, column: str) -> set[str]:
    """The purpose's bases in one regime family, over every category that uses it."""
    found = {
        getattr(declaration.basis(cat.key, purpose), column)
        for cat in declaration.categories
        if purpose in cat.purposes
    }
    default = declaration.purpose(purpose).lawful_basis
    if not found and default is not None:
        found.add(getattr(default, column))
    return found


def stop_processing(ctx: StepContext) -> dict[str, Any]:
    request, session = ctx.request, ctx.session
    raw = (request.facts or {}).get("purposes") or [p.key for p in ctx.declaration.purposes]
    if not isinstance(raw, list) or not all(isinstance(p, str) for p in raw):
        raise ExecutionError("facts.purposes must be a list of purpose keys", field="purposes")
    column = family(request.regime)
    stopped: list[str] = []
    not_applicable: list[dict[str, Any]] = []
    now = utcnow()
    for purpose in sorted(set(raw)):
        try:
            bases = _bases(ctx.declaration, purpose, column)
        except KeyError:
            raise ExecutionError(f"purpose {purpose!r} is not declared", field="purposes") from None
        if OBJECTABLE_BASIS not in bases:
            not_applicable.append({"purpose": purpose, "basis": sorted(bases), "family": column})
            continue
        exists = session.scalar(
            select(Objection.id).where(
                Objection.subject_id == request.subject_id,
                Objection.purpose == purpose,
                Objection.request_id == request.id,
            )
        )
        if exists is None:
            session.add(
                Objection(
                    subject_id=request.subject_id,
                    purpose=purpose,
                    request_id=request.id,
                    created_at=now,
                )
            )
        stopped.append(purpose)
    if stopped:
        audit.record(
            session=session,
            actor=ctx.actor,
            action="rights.objection_recorded",
            target_type="subject",
            target_id=request.subject_id,
            details={"request_id": request.id, "purposes": stopped},
        )
    session.flush()
    _announce(session, request.subject_id)
    return {"stopped": stopped, "not_applicable": not_applicable}


def review_automated(ctx: StepContext) -> dict[str, Any]:
    """A human-review task for every significant automated decision of an objected purpose."""
    stopped = set(ctx.results.get("stop_processing", {}).get("stopped", []))
    raw = (ctx.request.facts or {}).get("purposes") or []
    asked = stopped | set(raw if isinstance(raw, list) else [])
    tasks: list[str] = []
    for decision in ctx.declaration.automated_decisions.significant_decisions:
        if decision.purpose in asked or not raw:
            ctx.session.add(
                RequestNote(
                    request_id=ctx.request.id,
                    at=utcnow(),
                    author=ctx.actor,
                    kind="review_task",
                    text=(
                        f"Human review requested for the automated decision '{decision.key}' "
                        f"(purpose {decision.purpose}): a staff member re-decides it and "
                        "records the result on this request."
                    ),
                )
            )
            tasks.append(decision.key)
    ctx.session.flush()
    return {"review_tasks": tasks}


def objected_purposes(*, session: Session, subject_id: str) -> set[str]:
    """Purposes the subject objected to that are still stopped."""
    return set(
        session.scalars(
            select(Objection.purpose).where(
                Objection.subject_id == subject_id, Objection.lifted_at.is_(None)
            )
        )
    )


def is_objected(*, session: Session, subject_id: str, purpose: str) -> bool:
    return purpose in objected_purposes(session=session, subject_id=subject_id)


_MEMO = "privacyops.rights.objections"


@consent.register_deny
def objected(session: Session, subject: Subject, purpose: PurposeInfo) -> bool:
    """Consent's deny predicate: called per purpose while a subject's decisions load,
    so the subject's objections are read once per transaction."""
    memo: tuple[object, dict[str, set[str]]] | None = session.info.get(_MEMO)
    transaction = session.get_transaction()
    if memo is None or memo[0] is not transaction:
        memo = session.info[_MEMO] = (transaction, {})
    found = memo[1].get(subject.id)
    if found is None:
        found = memo[1][subject.id] = objected_purposes(session=session, subject_id=subject.id)
    return purpose.key in found


def _announce(session: Session, subject_id: str) -> None:
    """Objections change consent decisions: tell the consent cache once this commits."""
    session.info.pop(_MEMO, None)
    freshness.notify(session, subject_id)
    hooks.after_commit(session, lambda: consent.changed(subject_id))


def lift_objection(
    *, session: Session, subject_id: str, purpose: str, actor: str, reason: str
) -> int:
    """Staff action: processing for ``purpose`` may resume (compelling grounds).

    Returns how many objections were lifted.
    """
    if not reason.strip():
        raise ExecutionError(
            "give the compelling grounds for lifting the objection", field="reason"
        )
    rows = list(
        session.scalars(
            select(Objection).where(
                Objection.subject_id == subject_id,
                Objection.purpose == purpose,
                Objection.lifted_at.is_(None),
            )
        )
    )
    now = utcnow()
    for row in rows:
        row.lifted_at, row.lifted_by = now, actor
        session.add(
            RequestNote(
                request_id=row.request_id,
                at=now,
                author=actor,
                kind="objection_lifted",
                text=f"Objection to {purpose} lifted: {reason.strip()}",
            )
        )
    if rows:
        audit.record(
            session=session,
            actor=actor,
            action="rights.objection_lifted",
            target_type="subject",
            target_id=subject_id,
            details={"purpose": purpose},
        )
    session.flush()
    _announce(session, subject_id)
    return len(rows)


def outcome(ctx: StepContext) -> dict[str, Any]:
    stop = ctx.results.get("stop_processing", {})
    review = ctx.results.get("review_automated", {})
    return {
        "summary": f"processing stopped for {len(stop.get('stopped', []))} purpose(s)",
        **stop,
        **review,
        "kept": [],
    }


STEPS = (
    StepSpec("stop_processing", stop_processing),
    StepSpec("review_automated", review_automated),
)
