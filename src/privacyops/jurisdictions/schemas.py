"""Answers the jurisdictions service gives: deadlines, breach clocks, transfer routes.

All datetimes are timezone-aware UTC. A ``due_at`` is the last second of the due
day in the regime's local time zone, or an exact instant for hour-based clocks.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from privacyops.jurisdictions.enums import (
    Audience,
    ClockBasis,
    ClockTier,
    ConsentModel,
    DayKind,
    TransferRoute,
    Verification,
)


class _Answer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Deadline(_Answer):
    """When a data-subject request must be answered, and why.

    ``due_at`` is the earlier of the company's promise and the law's rule.
    ``target_at`` is the internal goal: the regime's conservative SLA where it is
    earlier than ``due_at``, else ``due_at``. ``extended_due_at`` is the latest the
    law allows after an extension (None where the law has none).
    """

    regime: str
    received_at: datetime
    timezone: str
    due_at: datetime
    due_date: date
    decided_by: Literal["law", "promise"]
    basis: str
    law_due_at: datetime | None
    promise_due_at: datetime
    target_at: datetime
    extended_due_at: datetime | None
    extension_rule: str | None
    calendar: str
    calendar_confirmed: bool
    caveats: tuple[str, ...]
    verification: Verification
    sources: tuple[str, ...]


class InquiryDeadline(_Answer):
    """A general inquiry: aim for ``target_at``, never later than ``due_at``."""

    regime: str
    received_at: datetime
    timezone: str
    target_at: datetime
    due_at: datetime
    basis: str
    calendar: str
    calendar_confirmed: bool
    caveats: tuple[str, ...]


class BreachClock(_Answer):
    """One notification duty after a breach: who must be told, by when, and why.

    ``due_at`` is None where the law gives no fixed clock ("without undue delay",
    "as soon as feasible"); ``rule`` and ``basis`` then say so.
    """

    regime: str
    audience: Audience
    stage: str
    due_at: datetime | None
    rule: str
    basis: str
    basis_kind: ClockBasis
    threshold: str | None
    recipient: str | None
    law: str | None
    source: str | None
    calendar_confirmed: bool
    verification: Verification


class TransferAssessment(_Answer):
    """The route PRC law requires for an outbound transfer of personal information."""

    route: TransferRoute
    basis: str
    always: str


class RequestRuleSummary(_Answer):
    """A regime's request deadline in a few words: ``period`` is "1 month", "15 business days"."""

    period: str
    day_kind: DayKind
    roll_forward: bool
    extension: str | None
    extension_rule: str | None
    target_days: int | None
    applies_from: date | None
    verification: Verification


class ClockSummary(_Answer):
    """One breach clock of a regime, before any incident.

    ``period`` reads "72 hours"; ``note`` names the stage or incident tier, a basis
    other than law and a start date, where the clock has any.
    """

    audience: Audience
    stage: str
    tier: ClockTier
    period: str
    note: str | None
    basis_kind: ClockBasis
    applies_from: date | None


class RegimeSummary(_Answer):
    """One line of the regime table: the numbers a privacy officer looks up most.

    ``regulator_clock`` and ``individuals_clock`` join that audience's clocks, each
    followed by its note in brackets.
    """

    code: str
    name: str
    countries: tuple[str, ...]
    subdivisions: tuple[str, ...]
    applies_alongside: tuple[str, ...]
    request_deadline: RequestRuleSummary
    regulator_clock: str
    individuals_clock: str
    breach_clocks: tuple[ClockSummary, ...]
    breach_verification: Verification
    consent_age: int
    consent_age_range: tuple[int, int] | None
    cookies_advertising: ConsentModel
    cookies_analytics: ConsentModel
    gpc_required: bool
    gpc_since: date | None
    verification: Verification


class PlaceRules(_Answer):
    """What applies to a person in one place on the day ``on``.

    ``consent_age`` is the stricter of the policy's minimum and ``law_consent_age``
    (the local law's, counting regimes that apply alongside, such as COPPA).
    """

    country: str | None
    state: str | None
    regime: str
    regime_name: str
    applies_alongside: tuple[str, ...]
    consent_age: int
    law_consent_age: int
    cookies_advertising: ConsentModel
    cookies_analytics: ConsentModel
    gpc_required: bool
    on: date
