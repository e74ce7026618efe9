"""Policy pages: the public policy and its history, and the console's policy section."""

from __future__ import annotations

import json
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from privacyops.errors import AppError
from privacyops.policy import render, versions
from privacyops.policy.api import LangQuery, attachment, store
from privacyops.policy.loader import DeclarationError
from privacyops.staff.permissions import Permission
from privacyops.web import i18n
from privacyops.web.deps import PUBLIC, CurrentPrincipal, SessionDep, require_page
from privacyops.web.i18n import N_, pick_language, translations
from privacyops.web.templating import render_admin, render_center, staff_language, trusted_html

router = APIRouter(include_in_schema=False)

DOCUMENTS = {
    "page": N_("Public policy page"),
    "apple": N_("Apple App Privacy"),
    "datasafety": N_("Google Play Data safety"),
    "ropa": N_("Records of processing"),
    "cookies": N_("Cookie table"),
}


@router.get("/policy", dependencies=[PUBLIC.dep])
def public_policy(request: Request, session: SessionDep) -> Response:
    """The latest published version; before any is published, the declaration in force."""
    lang = pick_language(request)
    row = versions.latest(session=session)
    if row is not None:
        html = row.page_zh if lang == "zh-CN" else row.page_en
    else:
        html = render.render_page(store(request).declaration, "zh-CN" if lang == "zh-CN" else "en")
    return render_center(
        request,
        "center/policy.html",
        {
            "article": trusted_html(html),
            "current": row,
            "history": versions.list_versions(session=session),
        },
    )


@router.get("/policy/versions/{version}", dependencies=[PUBLIC.dep])
def public_policy_version(request: Request, version: str, session: SessionDep) -> Response:
    lang = pick_language(request)
    row = versions.get(session=session, version=version)
    if row is None:
        raise AppError(404, f"no published version {version!r}", field="version")
    html = row.page_zh if lang == "zh-CN" else row.page_en
    return render_center(
        request,
        "center/policy.html",
        {
            "article": trusted_html(html),
            "current": row,
            "history": versions.list_versions(session=session),
        },
    )


@router.get("/admin/policy", dependencies=[require_page(Permission.POLICY_READ).dep])
async def policy_home(request: Request, session: SessionDep) -> Response:
    current = store(request).current
    latest = versions.latest(session=session)
    context = {
        "decl": current.declaration,
        "path": current.path,
        "published": latest,
        "in_sync": latest is not None and latest.sha256 == versions.digest(current.source),
        "versions": versions.list_versions(session=session),
        "documents": DOCUMENTS,
        "message": translations(staff_language(request)).gettext(
            N_("Published version %(version)s")
        )
        % {"version": published}
        if (published := request.query_params.get("published"))
        else None,
    }
    return await render_admin(request, "admin/policy/home.html", context)


@router.post("/admin/policy/publish", dependencies=[require_page(Permission.POLICY_PUBLISH).dep])
async def policy_publish(
    request: Request, session: SessionDep, principal: CurrentPrincipal
) -> Response:
    try:
        current = store(request).reload()
        row = versions.publish(
            session=session, source=current.source, name=str(current.path), actor=principal.actor
        )
    except (DeclarationError, versions.PublishError) as error:
        latest = versions.latest(session=session)
        context = {
            "decl": store(request).declaration,
            "path": store(request).path,
            "published": latest,
            "in_sync": False,
            "versions": versions.list_versions(session=session),
            "documents": DOCUMENTS,
            "error": i18n.say(staff_language(request), error),
        }
        return await render_admin(request, "admin/policy/home.html", context, status=409)
    return RedirectResponse(f"/admin/policy?published={quote(row.version)}", status_code=303)


@router.get("/admin/policy/diff", dependencies=[require_page(Permission.POLICY_READ).dep])
async def policy_diff(
    request: Request,
    session: SessionDep,
    old: Annotated[str, Query(max_length=40)],
    new: Annotated[str, Query(max_length=40)],
) -> Response:
    try:
        result = versions.diff(session=session, old=old, new=new)
    except versions.PublishError as error:
        raise AppError(404, i18n.say(staff_language(request), error)) from None
    return await render_admin(request, "admin/policy/diff.html", {"diff": result})


@router.get("/admin/policy/{document}", dependencies=[require_page(Permission.POLICY_READ).dep])
async def policy_document(request: Request, document: str, lang: LangQuery = "en") -> Response:
    decl = store(request).declaration
    downloads: list[tuple[str, str]] = []
    if document == "page":
        body = render.render_page(decl, lang)
    elif document == "apple":
        body = render.apple_html(decl, lang)
        downloads = [
            ("apple.json", N_("App Privacy answers (JSON)")),
            ("app_privacy_details.json", N_("fastlane upload file")),
        ]
    elif document == "datasafety":
        body = render.datasafety_html(decl, lang)
        downloads = [("datasafety.csv", N_("Play Console import CSV"))]
    elif document == "ropa":
        body = render.ropa_html(decl, lang)
        downloads = [(f"ropa.csv?lang={lang}", N_("Records of processing (CSV)"))]
    elif document == "cookies":
        body = render.cookies_html(decl, lang)
    else:
        raise AppError(404, f"no policy document {document!r}")
    context = {
        "title": DOCUMENTS[document],
        "document": document,
        "body": trusted_html(body),
        "lang": lang,
        "downloads": downloads,
    }
    return await render_admin(request, "admin/policy/document.html", context)


@router.get("/admin/policy/files/{name}", dependencies=[require_page(Permission.POLICY_READ).dep])
def policy_file(request: Request, name: str, lang: LangQuery = "en") -> Response:
    decl = store(request).declaration
    if name == "apple.json":
        text = json.dumps(render.apple_answers(decl), indent=2, ensure_ascii=False)
        return attachment(text, "application/json", name)
    if name == "app_privacy_details.json":
        return attachment(
            json.dumps(render.app_privacy_details(decl), indent=2), "application/json", name
        )
    if name == "datasafety.csv":
        return attachment(render.datasafety_csv(decl), "text/csv; charset=utf-8", "data_safety.csv")
    if name == "ropa.csv":
        return attachment(
            render.ropa_csv(decl, lang),
            "text/csv; charset=utf-8",
            f"records_of_processing_{lang}.csv",
        )
    raise AppError(404, f"no policy file {name!r}")
