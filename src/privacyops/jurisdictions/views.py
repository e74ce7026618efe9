"""Console pages: the regime table with its two calculators, and one regime in full."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from functools import cache
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from privacyops.jurisdictions import service
from privacyops.jurisdictions.api import promise, regime_or_404, restore_plus
from privacyops.jurisdictions.schemas import BreachClock, Deadline
from privacyops.staff.permissions import Permission
from privacyops.web.deps import require_page
from privacyops.web.i18n import N_, translations
from privacyops.web.templating import render_admin, staff_language

router = APIRouter(include_in_schema=False)

PAGE = [require_page(Permission.POLICY_READ).dep]
REGIME_ZONE = "regime"
"""Zone choice meaning "the regime's own local time" (for the EU, the member state's)."""

FormValue = Annotated[str, Query(max_length=40)]
FIELDS = (N_("received at"), N_("aware at"))


class FormError(ValueError):
    """A calculator input the page shows back instead of refusing the request."""

    def __init__(self, message: str, **values: str) -> None:
        super().__init__(message % values)
        self.message, self.values = message, values

    def said(self, request: Request) -> str:
        """The message in the console's language (the names in it too)."""
        say = translations(staff_language(request)).gettext
        named = {key: say(v) if v in FIELDS else v for key, v in self.values.items()}
        return say(self.message) % named


@dataclass(frozen=True)
class DeadlineResult:
    answer: Deadline
    zone: tzinfo


@dataclass(frozen=True)
class BreachResult:
    clocks: list[BreachClock]
    aware_at: datetime
    zone: tzinfo


@cache
def zone_choices() -> tuple[str, ...]:
    zones: set[str] = set()
    for regime in service.all_regimes():
        zones.add(regime.calendar.timezone)
        zones.update(regime.calendar.timezone_by_country.values())
    return ("UTC", *sorted(zones))


def _instant(raw: str, zone: tzinfo, name: str) -> datetime:
    """A form's date and time: an explicit offset wins, else it is read in ``zone``."""
    try:
        value = datetime.fromisoformat(restore_plus(raw))
    except ValueError:
        raise FormError(
            N_("%(name)s: %(raw)s is not a date and time (YYYY-MM-DDTHH:MM)"),
            name=name,
            raw=repr(raw),
        ) from None
    return value if value.tzinfo is not None else value.replace(tzinfo=zone)


def _zone(choice: str) -> ZoneInfo:
    if choice not in zone_choices():
        raise FormError(N_("unknown time zone %(zone)s"), zone=repr(choice))
    return ZoneInfo(choice)


def _deadline(
    request: Request, regime: str, received_at: str, zone: str, country: str
) -> DeadlineResult | str:
    rules = regime_or_404(regime, "regime")
    country_code = country.strip() or None
    try:
        local = service.calendar_for(rules, country=country_code).timezone
        shown = local if zone == REGIME_ZONE else _zone(zone)
        terms = promise(request)
        answer = service.request_deadline(
            regime=rules.code,
            received_at=_instant(received_at, shown, FIELDS[0]),
            promised_days=terms.days,
            promised_business_days=terms.business_days,
            country=country_code,
        )
    except FormError as error:
        return error.said(request)
    except service.InvalidPlaceError as error:
        return str(error)
    return DeadlineResult(answer=answer, zone=local)


def _breach(
    request: Request, regimes: list[str], aware_at: str, zone: str, major: bool, cii: bool
) -> BreachResult | str:
    if not regimes:
        return FormError(N_("pick at least one regime")).said(request)
    codes = [regime_or_404(code, "regimes").code for code in regimes]
    try:
        shown = _zone(zone)
        aware = _instant(aware_at, shown, FIELDS[1])
    except FormError as error:
        return error.said(request)
    clocks = service.breach_clocks(
        regimes=codes, aware_at=aware, major=major, critical_infrastructure=cii
    )
    return BreachResult(clocks=clocks, aware_at=aware, zone=shown)


@router.get("/admin/jurisdictions", dependencies=PAGE)
async def jurisdictions_page(
    request: Request,
    regime: FormValue = "",
    received_at: FormValue = "",
    zone: FormValue = "UTC",
    country: FormValue = "",
    regimes: Annotated[list[str] | None, Query(max_length=30)] = None,
    aware_at: FormValue = "",
    aware_zone: FormValue = "UTC",
    major: bool = False,
    cii: bool = False,
) -> Response:
    book = service.rulebook()
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M")
    chosen = regimes or []
    context = {
        "book": book,
        "summaries": service.regime_summaries(staff_language(request)),
        "zones": zone_choices(),
        "regime_zone": REGIME_ZONE,
        "terms": promise(request),
        "form": {
            "regime": regime or book.country_mapping.default,
            "received_at": received_at or now,
            "zone": zone,
            "country": country,
            "regimes": chosen,
            "aware_at": aware_at or now,
            "aware_zone": aware_zone,
            "major": major,
            "cii": cii,
        },
        "deadline": _deadline(request, regime, received_at, zone, country)
        if regime and received_at
        else None,
        "breach": _breach(request, chosen, aware_at, aware_zone, major, cii) if aware_at else None,
    }
    return await render_admin(request, "admin/jurisdictions/index.html", context)


@router.get("/admin/jurisdictions/{code}", dependencies=PAGE)
async def regime_page(request: Request, code: str) -> Response:
    regime = regime_or_404(code)
    context = {"regime": regime, "summary": service.summarize(regime, staff_language(request))}
    return await render_admin(request, "admin/jurisdictions/regime.html", context)
