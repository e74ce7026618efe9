"""What a consent route learns from the request: region, GPC signal, notice, network, browser.

Region comes from the client's IP country (offline registry data), never from
`Accept-Language`, which says what a person reads, not where they are. Outside
production a test or a demo may pretend to be elsewhere with the
`X-Consent-Region` header or the `region` query parameter (`US-CA`, `DE`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from fastapi import Request
from sqlalchemy.orm import Session
from ua_parser import parse_user_agent

from privacyops.collection.network import InvalidAddressError, country_of, truncate
from privacyops.consent import notices
from privacyops.consent.renewal import Renewals
from privacyops.errors import AppError
from privacyops.jurisdictions import service as jurisdictions
from privacyops.jurisdictions.rules import Regime
from privacyops.policy.base import Lang
from privacyops.policy.schema import Declaration
from privacyops.settings import Settings

REGION_HEADER = "x-consent-region"
MAX_UA = 512


@dataclass(frozen=True)
class Place:
    country: str | None
    state: str | None
    regime: Regime
    gpc_applies: bool


def _client_host(request: Request) -> str | None:
    return request.client.host if request.client else None


def where(*, country: str | None, state: str | None, on: date, field: str = "region") -> Place:
    try:
        regime = jurisdictions.regime_for(country=country, state=state)
        gpc = jurisdictions.gpc_required(country=country, state=state, on=on)
    except jurisdictions.InvalidPlaceError as error:
        raise AppError(422, f"{field}: {error}", field=field) from None
    return Place(country, state, regime, gpc)


def visitor_place(request: Request, settings: Settings, *, on: date) -> Place:
    """The visitor's place: the override outside production, else the IP's country."""
    override = request.headers.get(REGION_HEADER) or request.query_params.get("region")
    if override and settings.env != "prod":
        country, _, state = override.strip().upper().partition("-")
        return where(country=country or None, state=state or None, on=on)
    host = _client_host(request)
    return where(country=country_of(host) if host else None, state=None, on=on)


def gpc_signal(request: Request) -> bool:
    """`Sec-GPC: 1` exactly; any other value means no signal (the spec's rule)."""
    return "1" in (value.strip() for value in request.headers.getlist("sec-gpc"))


def ip_prefix(request: Request) -> str | None:
    host = _client_host(request)
    if not host:
        return None
    try:
        return truncate(host)
    except InvalidAddressError:
        return None


@lru_cache(maxsize=4096)
def _family(user_agent: str) -> str | None:
    parsed = parse_user_agent(user_agent)
    return parsed.family[:40] if parsed is not None else None


def ua_family(request: Request) -> str | None:
    agent = request.headers.get("user-agent", "")[:MAX_UA]
    return _family(agent) if agent else None


def policy_version(requested: str | None, renewals: Renewals, declaration: Declaration) -> str:
    """The version a choice was made under: the one sent if published, else the latest."""
    if requested is None:
        return renewals.latest or declaration.policy.version
    if renewals.versions and requested not in renewals.versions:
        raise AppError(
            422, f"policy_version: {requested} was never published", field="policy_version"
        )
    return requested


def notice(
    *,
    session: Session,
    declaration: Declaration,
    lang: Lang,
    version: str,
    sent_hash: str | None,
    sent_version: str | None = None,
) -> tuple[str, str]:
    """(notice version, hash) of the wording shown; our own notice is stored on first use.

    A hash we do not know is refused unless the caller also names its own notice
    version (an app that showed its own wording).
    """
    ours = notices.notice_for(declaration, lang, version)
    if sent_hash is None or sent_hash == ours.sha256:
        notices.remember(session=session, notice=ours)
        return sent_version or ours.version, ours.sha256
    if sent_version is not None or notices.find(session=session, sha256=sent_hash) is not None:
        return sent_version or version, sent_hash
    raise AppError(422, "notice_hash: not a notice this service showed", field="notice_hash")
