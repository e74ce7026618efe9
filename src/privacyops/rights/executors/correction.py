"""Correction: staff-reviewed new values replace the old ones, which are gone afterwards.

New values are personal data, so they never sit readable in ``facts``. Staff
submit the reviewed corrections with ``submit_corrections``: each value is
checked against the declaration (field declared for the category, right
type), encrypted under the subject's key (bound to the request and field)
and kept in the result of the request's ``seal_corrections`` step; ``facts``
keeps only which fields change and who reviewed them. If an intake path put
plain values in ``facts["corrections"]`` instead, the ``seal_corrections``
step seals them the same way and removes them from ``facts`` (it refuses
corrections no staff member reviewed: ``facts["corrections_reviewed_by"]``).

``apply_corrections`` deletes the subject's old values of those fields and
stores the new ones with the old values' purpose, region, notice and expiry
(a correction is not a new collection), in one transaction with one audit
event per category; then the sealed copies are wiped from the step result.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from privacyops.audit import service as audit
from privacyops.collection.fields import FieldValueError, check_value
from privacyops.db import utcnow
from privacyops.policy import versions
from privacyops.policy.schema import Declaration
from privacyops.rights.executors.engine import ExecutionError, StepContext, StepSpec
from privacyops.rights.models import (
    RequestStatus,
    RequestStep,
    RequestType,
    RightsRequest,
    StepStatus,
)
from privacyops.subjects import records
from privacyops.subjects import service as subjects
from privacyops.vault.service import Vault

SEAL_STEP = "seal_corrections"
KEY_CATEGORY = "rights.correction"

Corrections = Mapping[str, Mapping[str, object]]


def _checked(declaration: Declaration, corrections: Corrections) -> dict[str, dict[str, str]]:
    if not isinstance(corrections, Mapping) or not corrections:
        raise ExecutionError("corrections must name at least one category", field="corrections")
    checked: dict[str, dict[str, str]] = {}
    for category, fields in corrections.items():
        try:
            allowed = declaration.allowed_fields(category)
        except KeyError:
            raise ExecutionError(
                f"category {category!r} is not declared", code="invalid", field="corrections"
            ) from None
        if not isinstance(fields, Mapping) or not fields:
            raise ExecutionError(f"no fields to correct in {category!r}", field="corrections")
        for name, raw in fields.items():
            decl = allowed.get(name)
            if decl is None:
                raise ExecutionError(
                    f"field {name!r} is not declared for {category!r}",
                    code="invalid",
                    field=f"corrections.{category}.{name}",
                )
            try:
                checked.setdefault(category, {})[name] = check_value(decl, raw)
            except FieldValueError as error:
                raise ExecutionError(
                    f"{category}.{error}", code="invalid", field=f"corrections.{category}.{name}"
                ) from None
    return checked


def _aad_field(request_id: str, category: str, field: str) -> str:
    return f"{request_id}:{category}.{field}"


def _seal(
    session: Session, vault: Vault, request: RightsRequest, values: dict[str, dict[str, str]]
) -> dict[str, dict[str, str]]:
    return {
        category: {
            name: base64.b64encode(
                vault.encrypt(
                    session=session,
                    subject_id=request.subject_id,
                    category=KEY_CATEGORY,
                    field=_aad_field(request.id, category, name),
                    value=value,
                )
            ).decode("ascii")
            for name, value in fields.items()
        }
        for category, fields in values.items()
    }


def _field_names(values: Mapping[str, Mapping[str, Any]]) -> dict[str, list[str]]:
    return {category: sorted(fields) for category, fields in values.items()}


def submit_corrections(
    *,
    session: Session,
    vault: Vault,
    declaration: Declaration,
    request_id: str,
    corrections: Corrections,
    reviewed_by: str,
) -> dict[str, list[str]]:
    """Staff action: validate and seal reviewed corrections; returns the fields that will change."""
    request = session.get(RightsRequest, request_id, with_for_update=True)
    if request is None or request.type != RequestType.CORRECTION:
        raise ExecutionError(f"no correction request {request_id!r}", code="not_found")
    if request.status in (RequestStatus.COMPLETED, RequestStatus.DENIED, RequestStatus.EXPIRED):
        raise ExecutionError(f"request {request_id} is {request.status}")
    checked = _checked(declaration, corrections)
    step = session.scalar(
        select(RequestStep).where(
            RequestStep.request_id == request_id, RequestStep.name == SEAL_STEP
        )
    )
    if step is None:
        step = RequestStep(request_id=request_id, name=SEAL_STEP, position=1)
        session.add(step)
    elif step.status == StepStatus.DONE and step.result.get("applied"):
        raise ExecutionError(f"the corrections of {request_id} were already applied")
    now = utcnow()
    step.status, step.attempts, step.started_at, step.finished_at = (
        StepStatus.DONE.value,
        1,
        now,
        now,
    )
    step.error = None
    step.result = {"sealed": _seal(session, vault, request, checked)}
    fields = _field_names(checked)
    request.facts = {
        **(request.facts or {}),
        "corrections": fields,
        "corrections_reviewed_by": reviewed_by,
    }
    audit.record(
        session=session,
        actor=reviewed_by,
        action="rights.corrections_reviewed",
        target_type="rights_request",
        target_id=request_id,
        details={"fields": fields},
    )
    session.flush()
    return fields


def seal_corrections(ctx: StepContext) -> dict[str, Any]:
    """Seal plain corrections left in ``facts`` (submit_corrections does this up front)."""
    request = ctx.request
    facts = dict(request.facts or {})
    if not facts.get("corrections_reviewed_by"):
        raise ExecutionError("the corrections have not been reviewed by staff yet")
    pending = facts.get("corrections")
    if not isinstance(pending, Mapping) or not pending:
        raise ExecutionError("the request names no corrections")
    if all(isinstance(v, list) for v in pending.values()):
        raise ExecutionError("the corrections' values are missing; submit them again")
    checked = _checked(ctx.declaration, pending)
    sealed = _seal(ctx.session, ctx.vault, request, checked)
    request.facts = {**facts, "corrections": _field_names(checked)}
    return {"sealed": sealed}


def apply_corrections(ctx: StepContext) -> dict[str, Any]:
    session, vault, request = ctx.session, ctx.vault, ctx.request
    subject_id = request.subject_id
    subjects.get_subject(session=session, subject_id=subject_id)
    sealed: Mapping[str, Mapping[str, str]] = ctx.results.get(SEAL_STEP, {}).get("sealed", {})
    if not sealed:
        raise ExecutionError("no sealed corrections to apply")
    latest = versions.latest(session=session)
    fallback_notice = latest.version if latest is not None else ctx.declaration.policy.version
    applied: dict[str, list[str]] = {}
    for category, fields in sealed.items():
        values = {
            name: vault.decrypt_text(
                session=session,
                subject_id=subject_id,
                category=KEY_CATEGORY,
                field=_aad_field(request.id, category, name),
                ciphertext=base64.b64decode(blob),
            )
            for name, blob in fields.items()
        }
        model = None  # the newest existing value of the category: its purpose, region, expiry
        for value in records.iter_values(
            session=session, vault=vault, subject_id=subject_id, reveal=False, category=category
        ):
            model = value
        decl = ctx.declaration.category(category)
        now = utcnow()
        keep_expiry = model is not None and model.expires_at is not None and model.expires_at > now
        expires = (
            model.expires_at
            if model and keep_expiry
            else decl.retention.expires_at(collected_at=now)
        )
        records.delete_values(
            session=session,
            subject_id=subject_id,
            category=category,
            fields=list(values),
            actor=ctx.actor,
        )
        records.store_values(
            session=session,
            vault=vault,
            subject_id=subject_id,
            category=category,
            values=values,
            purpose=model.purpose if model else decl.purposes[0],
            region=model.region if model else decl.storage.primary,
            expires_at=expires,
            notice_version=model.notice_version if model else fallback_notice,
            source="rights_correction",
            actor=ctx.actor,
            collected_at=now,
        )
        applied[category] = sorted(values)
    seal_step = session.scalar(
        select(RequestStep).where(
            RequestStep.request_id == request.id, RequestStep.name == SEAL_STEP
        )
    )
    if seal_step is not None:  # the sealed copies are duplicates now: wipe them
        seal_step.result = {"fields": applied, "applied": True}
    audit.record(
        session=session,
        actor=ctx.actor,
        action="rights.corrected",
        target_type="subject",
        target_id=subject_id,
        details={"request_id": request.id, "fields": applied},
    )
    session.flush()
    return {"corrected": applied}


def outcome(ctx: StepContext) -> dict[str, Any]:
    corrected = ctx.results.get("apply_corrections", {}).get("corrected", {})
    return {
        "summary": f"{sum(len(f) for f in corrected.values())} value(s) corrected",
        "corrected": corrected,
        "kept": [],
    }


STEPS = (StepSpec(SEAL_STEP, seal_corrections), StepSpec("apply_corrections", apply_corrections))
