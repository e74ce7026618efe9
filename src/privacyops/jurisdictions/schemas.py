"""Answers the jurisdictions service gives: deadlines, breach clocks, transfer routes.

All datetimes are timezone-aware UTC. A ``due_at`` is the last second of the due
day in the regime's local time zone, or an exact instant for hour-based clocks.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from privacyops.jurisdictions.enums import Audience, ClockBasis, TransferRoute, Verification


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
