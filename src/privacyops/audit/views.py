"""Console pages for the audit log: events, tree heads, proofs, export, verification."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from privacyops.audit import heads, proofs, sequencer, service, signing, tree
from privacyops.settings import Settings
from privacyops.staff.permissions import Permission
from privacyops.web import i18n
from privacyops.web.deps import SessionDep, SettingsDep, require_page
from privacyops.web.templating import render_admin, staff_language

router = APIRouter(include_in_schema=False)


def _context(session: Session, settings: Settings) -> dict[str, Any]:
    try:
        key = signing.public_key(settings.key_dir)
        key_problem = None
    except signing.SigningKeyError as error:
        key, key_problem = None, str(error)
    latest = heads.latest(session=session)
    return {
        "tree_size": tree.tree_size(session=session),
        "pending": sequencer.pending_count(session=session),
        "latest": latest,
        "latest_export": json.dumps(heads.export(latest, key), indent=2)
        if latest is not None and key is not None
        else None,
        "recent_heads": heads.listing(session=session, limit=8),
        "public_key": signing.public_b64(key) if key is not None else None,
        "key_problem": key_problem,
    }


@router.get("/admin/audit", dependencies=[require_page(Permission.AUDIT_READ).dep])
async def audit_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    before: Annotated[int | None, Query(ge=1)] = None,
    action: Annotated[str | None, Query(max_length=80)] = None,
    proof: Annotated[int | None, Query(ge=1)] = None,
    old_size: Annotated[int | None, Query(ge=1)] = None,
    new_size: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    context = _context(session, settings)
    context.update(action=action, proof_event=proof, old_size=old_size, new_size=new_size)
    context["events"] = service.recent(
        session=session, limit=100, before=before, action=action or None
    )
    if proof is not None:
        try:
            document = proofs.inclusion_document(session=session, event_id=proof)
            context["proof"] = document
            context["proof_ok"] = proofs.check_document_inclusion(document)
        except proofs.ProofRequestError as error:
            context["proof_error"] = i18n.say(staff_language(request), error)
    if old_size is not None and new_size is not None:
        try:
            document = proofs.consistency_document(
                session=session, old_size=old_size, new_size=new_size
            )
            context["consistency"] = document
            context["consistency_ok"] = proofs.check_document_consistency(document)
        except proofs.ProofRequestError as error:
            context["consistency_error"] = i18n.say(staff_language(request), error)
    status = 422 if "proof_error" in context or "consistency_error" in context else 200
    return await render_admin(request, "admin/audit.html", context, status=status)


@router.get("/admin/audit/verify", dependencies=[require_page(Permission.AUDIT_VERIFY).dep])
async def audit_verify_page(
    request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    context = _context(session, settings)
    key = signing.public_key(settings.key_dir) if context["public_key"] else None
    context["verification"] = service.verify(session=session, public_key=key)
    context["events"] = service.recent(session=session, limit=100)
    return await render_admin(request, "admin/audit.html", context)


@router.post("/admin/audit/sequence", dependencies=[require_page(Permission.AUDIT_VERIFY).dep])
async def audit_sequence_now(session: SessionDep, settings: SettingsDep) -> Response:
    sequencer.sequence_batch(session=session, key=signing.signing_key(settings.key_dir))
    return RedirectResponse("/admin/audit", status_code=303)


@router.get("/admin/audit/head.json", dependencies=[require_page(Permission.AUDIT_READ).dep])
async def audit_head_download(session: SessionDep, settings: SettingsDep) -> Response:
    latest = heads.latest(session=session)
    if latest is None:
        return RedirectResponse("/admin/audit", status_code=303)
    document = heads.export(latest, signing.public_key(settings.key_dir))
    return Response(
        json.dumps(document, indent=2) + "\n",
        media_type="application/json",
        headers={
            "content-disposition": f'attachment; filename="audit-tree-head-{latest.size}.json"'
        },
    )
