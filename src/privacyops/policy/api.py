"""JSON and file routes for the declaration, its versions and derived documents."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from privacyops.errors import AppError
from privacyops.policy import render, versions
from privacyops.policy.base import Lang
from privacyops.policy.loader import DeclarationError
from privacyops.policy.schemas import PolicyVersionDetail, PolicyVersionOut, VersionDiffOut
from privacyops.policy.service import PolicyStore
from privacyops.staff.permissions import Permission
from privacyops.web.deps import PUBLIC, CurrentPrincipal, SessionDep, require

router = APIRouter(prefix="/api/v1/policy", tags=["policy"])

LangQuery = Annotated[Lang, Query(description="en or zh-CN")]


def store(request: Request) -> PolicyStore:
    policy: PolicyStore = request.app.state.policy
    return policy


def attachment(body: str, media_type: str, filename: str) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


@router.get("", dependencies=[require(Permission.POLICY_READ).dep])
def declaration(request: Request) -> dict[str, Any]:
    """The declaration in force, as JSON."""
    return store(request).declaration.model_dump(mode="json")


@router.get("/versions", dependencies=[PUBLIC.dep], response_model=list[PolicyVersionOut])
def list_versions(session: SessionDep) -> list[PolicyVersionOut]:
    return [PolicyVersionOut.model_validate(v) for v in versions.list_versions(session=session)]


@router.get("/versions/{version}", dependencies=[PUBLIC.dep], response_model=PolicyVersionDetail)
def get_version(version: str, session: SessionDep) -> PolicyVersionDetail:
    row = versions.get(session=session, version=version)
    if row is None:
        raise AppError(404, f"no published version {version!r}", field="version")
    return PolicyVersionDetail.model_validate(row)


@router.post(
    "/versions",
    dependencies=[require(Permission.POLICY_PUBLISH).dep],
    response_model=PolicyVersionOut,
    status_code=201,
)
def publish(request: Request, session: SessionDep, principal: CurrentPrincipal) -> PolicyVersionOut:
    """Publish the declaration file as it is now on disk."""
    try:
        current = store(request).reload()
        row = versions.publish(
            session=session, source=current.source, name=str(current.path), actor=principal.actor
        )
    except DeclarationError as error:
        raise AppError(422, str(error), code="invalid_declaration") from None
    except versions.PublishError as error:
        raise AppError(409, str(error), code="conflict") from None
    return PolicyVersionOut.model_validate(row)


@router.get(
    "/diff", dependencies=[require(Permission.POLICY_READ).dep], response_model=VersionDiffOut
)
def diff(
    session: SessionDep,
    old: Annotated[str, Query(max_length=40)],
    new: Annotated[str, Query(max_length=40)],
) -> VersionDiffOut:
    try:
        result = versions.diff(session=session, old=old, new=new)
    except versions.PublishError as error:
        raise AppError(404, str(error)) from None
    return VersionDiffOut(**result.__dict__)


@router.get("/apple", dependencies=[require(Permission.POLICY_READ).dep])
def apple(request: Request) -> dict[str, Any]:
    """Apple App Store "App Privacy" answers."""
    return render.apple_answers(store(request).declaration)


@router.get("/datasafety.csv", dependencies=[require(Permission.POLICY_READ).dep])
def datasafety(request: Request) -> Response:
    """The Google Play Console Data safety import CSV."""
    body = render.datasafety_csv(store(request).declaration)
    return attachment(body, "text/csv; charset=utf-8", "data_safety.csv")


@router.get("/ropa.csv", dependencies=[require(Permission.POLICY_READ).dep])
def ropa(request: Request, lang: LangQuery = "en") -> Response:
    """Records of processing activities (GDPR Art. 30 / PIPL)."""
    body = render.ropa_csv(store(request).declaration, lang)
    return attachment(body, "text/csv; charset=utf-8", f"records_of_processing_{lang}.csv")


@router.get("/cookies", dependencies=[PUBLIC.dep])
def cookies(request: Request, lang: LangQuery = "en") -> Response:
    rows = render.cookie_rows(store(request).declaration, lang)
    return Response(json.dumps(rows, ensure_ascii=False), media_type="application/json")
