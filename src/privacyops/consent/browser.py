"""Public routes the banner script talks to, the script itself and the GPC support resource.

A browser is identified only by the random id its banner generated (sent in the
body, or read from the consent cookie on the same site); it is blind-indexed
before anything is stored. The POST routes answer CORS requests from any origin
without credentials, so the script can be served to the company's other sites.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any
from urllib.parse import unquote

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from privacyops.consent import context as ctx
from privacyops.consent import notices, receipts, script, state
from privacyops.consent import service as consent
from privacyops.consent.catalogue import SALE_SHARING, catalogue, default_granted
from privacyops.consent.checks import checker_for
from privacyops.consent.models import Method
from privacyops.consent.schemas import (
    BrowserChoiceIn,
    BrowserWithdrawIn,
    DecisionOut,
    Lang,
    RecordedOut,
)
from privacyops.db import utcnow
from privacyops.errors import AppError
from privacyops.policy.schema import Declaration
from privacyops.settings import Settings
from privacyops.vault.blind_index import IdentityKind
from privacyops.web.deps import PUBLIC, SessionDep, in_unit_of_work

router = APIRouter(tags=["consent (browser)"])
OPEN = [PUBLIC.dep]
ACTOR = "public:consent-banner"
CORS = {
    "access-control-allow-origin": "*",
    "access-control-allow-methods": "GET, POST, OPTIONS",
    "access-control-allow-headers": "content-type",
    "access-control-max-age": "600",
}
GPC_SUPPORT_SINCE = "2026-11-24"
"""When this service started honouring GPC (the `lastUpdate` of /.well-known/gpc.json)."""


def consent_cookie(declaration: Declaration) -> tuple[str, int]:
    """The declared cookie that stores the choice: a necessary one named like consent."""
    necessary = {c.key for c in declaration.cookie_policy.categories if not c.requires_consent}
    for cookie in declaration.cookies:
        if cookie.category in necessary and "consent" in cookie.name.lower():
            return cookie.name, cookie.max_age_days or 180
    return "privacyops_consent", 180


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _declaration(request: Request) -> Declaration:
    declaration: Declaration = request.app.state.policy.declaration
    return declaration


def _who(request: Request, cookie_id: str) -> consent.Who:
    return consent.Who(
        cookie_index=request.app.state.vault.index(IdentityKind.COOKIE_ID, cookie_id)
    )


def recorded_out(recorded: consent.Recorded) -> RecordedOut:
    return RecordedOut(
        receipt_id=recorded.receipt_id,
        recorded_at=recorded.context.at,
        regime=recorded.context.regime.code,
        policy_version=recorded.context.policy_version,
        gpc_honoured=any(d.method is Method.GPC for d in recorded.decisions),
        decisions=[
            DecisionOut(purpose=d.purpose, state=d.state.value, method=d.method.value)
            for d in recorded.decisions
        ],
    )


@router.get("/consent/config", dependencies=OPEN)
def config(
    request: Request,
    session: SessionDep,
    lang: Lang = "en",
    since: Annotated[str | None, Query(max_length=20, pattern=r"^\d+\.\d+\.\d+$")] = None,
    region: Annotated[str | None, Query(max_length=10)] = None,
) -> JSONResponse:
    """What the banner shows and decides for this visitor, in one language."""
    declaration = _declaration(request)
    today = date.today()
    place = ctx.visitor_place(request, _settings(request), on=today)
    renewals = checker_for(request.app).renewals(session)
    version = renewals.latest or declaration.policy.version
    notice = notices.notice_for(declaration, lang, version)
    cat = catalogue(declaration)
    name, max_age = consent_cookie(declaration)
    domains = {c.name: c.domain for c in declaration.cookies}
    categories = []
    for item in notice.body["categories"]:
        purposes = item["purposes"]
        default = item["required"] or (
            bool(purposes) and all(default_granted(cat.purposes[p], place.regime) for p in purposes)
        )
        categories.append(
            {
                **item,
                "default": default,
                "cookies": [{"name": c, "domain": domains[c]} for c in item["cookies"]],
            }
        )
    due = renewals.since(since) if since else []
    renew_purposes = sorted({p for _v, purposes in due for p in purposes})
    sale = cat.purposes[SALE_SHARING]
    body: dict[str, Any] = {
        "lang": lang,
        "policy_version": version,
        "policy_url": f"/policy?lang={lang}",
        "cookie": {"name": name, "max_age_days": max_age},
        "notice": {"version": notice.version, "hash": notice.sha256},
        "texts": notice.body["texts"],
        "categories": categories,
        "extra": [
            {
                "key": SALE_SHARING,
                **notice.body["sale_sharing"],
                "default": default_granted(sale, place.regime),
            }
        ]
        if place.gpc_applies
        else [],
        "region": {
            "country": place.country,
            "state": place.state,
            "regime": place.regime.code,
            "analytics": place.regime.cookies.analytics.value,
            "advertising": place.regime.cookies.advertising.value,
        },
        "gpc": {
            "applies": place.gpc_applies,
            "signal": ctx.gpc_signal(request),
            "purposes": list(cat.gpc_purposes),
        },
        "renewals": [
            {
                "version": v,
                "purposes": list(purposes),
                "categories": cat.categories_of(set(purposes)),
            }
            for v, purposes in renewals.majors
        ],
        "renewal": {
            "needed": bool(renew_purposes),
            "since": since,
            "purposes": renew_purposes,
            "categories": cat.categories_of(set(renew_purposes)),
        },
    }
    return JSONResponse(body, headers={**CORS, "cache-control": "no-store", "vary": "sec-gpc"})


def _context(
    request: Request,
    session: SessionDep,
    *,
    lang: Lang,
    policy_version: str | None,
    notice_hash: str | None,
    gpc: bool,
) -> consent.Context:
    declaration = _declaration(request)
    now = utcnow()
    place = ctx.visitor_place(request, _settings(request), on=now.date())
    renewals = checker_for(request.app).renewals(session)
    version = ctx.policy_version(policy_version, renewals, declaration)
    notice_version, notice_sha = ctx.notice(
        session=session, declaration=declaration, lang=lang, version=version, sent_hash=notice_hash
    )
    return consent.Context(
        regime=place.regime,
        gpc_applies=place.gpc_applies,
        gpc_signal=gpc or ctx.gpc_signal(request),
        policy_version=version,
        notice_version=notice_version,
        notice_hash=notice_sha,
        lang=lang,
        at=now,
        actor=ACTOR,
        ip_prefix=ctx.ip_prefix(request),
        ua_family=ctx.ua_family(request),
    )


def _refused(error: consent.ConsentError) -> AppError:
    return AppError(error.status, str(error), field=error.field)


@router.post("/consent/choices", dependencies=OPEN, status_code=201, response_model=RecordedOut)
async def record_choice(body: BrowserChoiceIn, request: Request) -> JSONResponse:
    """Record a visitor's choice; `Sec-GPC: 1` opts out of sale and sharing where law says so."""

    def work(session: Session) -> consent.Recorded:
        context = _context(
            request,
            session,
            lang=body.lang,
            policy_version=body.policy_version,
            notice_hash=body.notice_hash,
            gpc=body.gpc,
        )
        return consent.record_choices(
            session=session,
            declaration=_declaration(request),
            who=_who(request, body.cookie_id),
            choices=body.choices,
            method=Method(body.method),
            context=context,
        )

    return await _recorded(request, work)


@router.post("/consent/withdraw", dependencies=OPEN, status_code=201, response_model=RecordedOut)
async def withdraw(body: BrowserWithdrawIn, request: Request) -> JSONResponse:
    """Withdraw every non-essential purpose for this browser in one call."""

    def work(session: Session) -> consent.Recorded:
        context = _context(
            request,
            session,
            lang=body.lang,
            policy_version=body.policy_version,
            notice_hash=body.notice_hash,
            gpc=False,
        )
        return consent.withdraw_all(
            session=session,
            declaration=_declaration(request),
            who=_who(request, body.cookie_id),
            method=Method.PREFERENCES,
            context=context,
        )

    return await _recorded(request, work)


async def _recorded(request: Request, work: Callable[[Session], consent.Recorded]) -> JSONResponse:
    """The write of a banner route, in one unit of work; a refusal changes nothing."""
    try:
        recorded = await in_unit_of_work(request, work)
    except consent.ConsentError as error:
        raise _refused(error) from None
    return JSONResponse(
        recorded_out(recorded).model_dump(mode="json"), status_code=201, headers=CORS
    )


@router.options("/consent/choices", dependencies=OPEN, include_in_schema=False)
@router.options("/consent/withdraw", dependencies=OPEN, include_in_schema=False)
def preflight() -> Response:
    return Response(status_code=204, headers=CORS)


def _cookie_id(request: Request) -> str | None:
    """The id stored in the consent cookie (URI-encoded JSON with an ``id`` member)."""
    name, _ = consent_cookie(_declaration(request))
    raw = request.cookies.get(name)
    if not raw:
        return None
    try:
        value = json.loads(unquote(raw))
    except ValueError:
        return None
    found = value.get("id") if isinstance(value, dict) else None
    return found if isinstance(found, str) and 22 <= len(found) <= 64 else None


@router.get("/consent/receipt", dependencies=OPEN)
def last_receipt(request: Request, session: SessionDep) -> JSONResponse:
    """This browser's latest consent receipt, as a JSON download."""
    cookie_id = _cookie_id(request)
    if cookie_id is None:
        raise AppError(404, "no consent choice is stored in this browser")
    who = _who(request, cookie_id)
    events = state.receipt_events(session=session, who=who, receipt_id=None)
    if not events:
        raise AppError(404, "no consent choice is recorded for this browser")
    receipt = receipts.build(
        declaration=_declaration(request),
        events=events,
        who=who,
        public_url=_settings(request).public_url,
        service_name="website",
    )
    filename = f"consent-receipt-{receipt['consentReceiptID']}.json"
    return JSONResponse(
        receipt,
        headers={
            "content-disposition": f'attachment; filename="{filename}"',
            "cache-control": "no-store",
        },
    )


@router.get("/consent.js", dependencies=OPEN, include_in_schema=False)
def consent_js(request: Request) -> Response:
    """The banner script (minified; gzip when the browser accepts it)."""
    served = script.served()
    if request.headers.get("if-none-match") == served.etag:
        return Response(status_code=304, headers={"etag": served.etag})
    headers = {
        "etag": served.etag,
        "cache-control": "public, max-age=300",
        "vary": "accept-encoding",
        "access-control-allow-origin": "*",
    }
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["content-encoding"] = "gzip"
        return Response(served.gzipped, media_type="text/javascript", headers=headers)
    return Response(served.minified, media_type="text/javascript", headers=headers)


@router.get("/.well-known/gpc.json", dependencies=OPEN, include_in_schema=False)
def gpc_support() -> JSONResponse:
    """GPC support resource: we honour the signal at least where the law requires it."""
    return JSONResponse(
        {"gpc": True, "lastUpdate": GPC_SUPPORT_SINCE},
        headers={"access-control-allow-origin": "*", "cache-control": "public, max-age=86400"},
    )
