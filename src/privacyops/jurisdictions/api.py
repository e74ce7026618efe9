"""JSON routes over the rulebook: regimes, request deadlines, breach clocks, place lookup."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import AwareDatetime, BeforeValidator

from privacyops.errors import AppError
from privacyops.jurisdictions import service
from privacyops.jurisdictions.rules import Regime
from privacyops.jurisdictions.schemas import BreachClock, Deadline, PlaceRules, RegimeSummary
from privacyops.policy.api import store
from privacyops.staff.permissions import Permission
from privacyops.web.deps import require

router = APIRouter(prefix="/api/v1/jurisdictions", tags=["jurisdictions"])

READ = [require(Permission.POLICY_READ).dep]

_SPACE_FOR_PLUS = re.compile(r"(\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$")


def restore_plus(text: str) -> str:
    """An unencoded ``+08:00`` in a query string arrives as `` 08:00``; put the sign back."""
    return _SPACE_FOR_PLUS.sub(r"\1+\2", text.strip())


def _restore_plus_in(value: object) -> object:
    return restore_plus(value) if isinstance(value, str) else value


Instant = Annotated[AwareDatetime, BeforeValidator(_restore_plus_in)]
RegimeQuery = Annotated[str, Query(min_length=2, max_length=12, description="EU, GB, CN, US-CA…")]
PlaceCode = Annotated[str | None, Query(max_length=6)]


@dataclass(frozen=True)
class Promise:
    """What the declaration promises data subjects (rights SLA, minimum age)."""

    days: int
    business_days: bool
    minimum_age: int


def promise(request: Request) -> Promise:
    declaration = store(request).declaration
    sla = declaration.rights.sla.data_rights
    return Promise(
        days=sla.days,
        business_days=sla.counting == "business",
        minimum_age=declaration.age_policy.minimum_age,
    )


def regime_or_404(code: str, field: str = "code") -> Regime:
    try:
        return service.get_regime(code.strip().upper())
    except service.UnknownRegimeError as error:
        raise AppError(404, str(error), field=field) from None


def place_or_422(error: service.InvalidPlaceError) -> AppError:
    field = "state" if str(error).startswith("state") else "country"
    return AppError(422, str(error), field=field)


@router.get("", dependencies=READ, response_model=list[RegimeSummary])
def list_regimes() -> list[RegimeSummary]:
    """Every regime in one line: deadlines, clocks, consent age, cookies, GPC."""
    return service.regime_summaries()


@router.get("/deadline", dependencies=READ, response_model=Deadline)
def deadline(
    request: Request,
    regime: RegimeQuery,
    received_at: Annotated[Instant, Query(description="ISO 8601 with a zone or offset")],
    country: Annotated[str | None, Query(max_length=6, description="EU member state")] = None,
) -> Deadline:
    """Due date of a data-subject request: the earlier of the declared promise and the law."""
    code = regime_or_404(regime, "regime").code
    terms = promise(request)
    try:
        return service.request_deadline(
            regime=code,
            received_at=received_at,
            promised_days=terms.days,
            promised_business_days=terms.business_days,
            country=country,
        )
    except service.InvalidPlaceError as error:
        raise place_or_422(error) from None


@router.get("/breach-clocks", dependencies=READ, response_model=list[BreachClock])
def breach_clocks(
    regimes: Annotated[list[str], Query(min_length=1, max_length=30)],
    aware_at: Annotated[Instant, Query(description="ISO 8601 with a zone or offset")],
    major: bool = False,
    critical_infrastructure: bool = False,
) -> list[BreachClock]:
    """Every notification clock an incident starts in these regimes, soonest first."""
    codes = [regime_or_404(code, "regimes").code for code in regimes]
    return service.breach_clocks(
        regimes=codes,
        aware_at=aware_at,
        major=major,
        critical_infrastructure=critical_infrastructure,
    )


@router.get("/lookup", dependencies=READ, response_model=PlaceRules)
def lookup(
    request: Request,
    country: PlaceCode = None,
    state: PlaceCode = None,
    on: Annotated[date | None, Query(description="the day to answer for; today (UTC)")] = None,
) -> PlaceRules:
    """Which regime governs a person in this place, and its consent age, cookies and GPC duty."""
    try:
        return service.place_rules(
            country=country,
            state=state,
            on=on or datetime.now(UTC).date(),
            policy_minimum=promise(request).minimum_age,
        )
    except service.InvalidPlaceError as error:
        raise place_or_422(error) from None


@router.get("/{code}", dependencies=READ, response_model=Regime)
def get_regime(code: str) -> Regime:
    """One regime in full, with its sources and verification marks."""
    return regime_or_404(code)
