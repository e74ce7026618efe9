"""The state consent leaves: per purpose, recorded or the regime's default. Reads only.

The current state of a purpose is its newest event, or, without one, the default
of the person's regime (opt-in regimes deny, opt-out regimes allow). On top of
that, a subject's state and the registered deny predicates (restriction today;
an upheld objection later) can only take permission away.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from privacyops.consent.catalogue import Catalogue, PurposeInfo, catalogue, default_granted
from privacyops.consent.models import ConsentEvent, ConsentState
from privacyops.consent.renewal import Renewals
from privacyops.consent.service import DENY_PREDICATES, Who, live_subject, regime_of
from privacyops.jurisdictions.rules import Regime
from privacyops.policy.schema import Declaration

Source = Literal["recorded", "default", "essential"]


@dataclass(frozen=True, slots=True)
class PurposeState:
    purpose: str
    state: ConsentState
    allowed: bool
    stale: bool
    source: Source
    method: str | None = None
    at: datetime | None = None
    policy_version: str | None = None
    receipt_id: str | None = None


def latest_events(*, session: Session, who: Who) -> dict[str, ConsentEvent]:
    """The newest event per purpose: one index range read, newest first."""
    newest: dict[str, ConsentEvent] = {}
    rows = session.scalars(select(ConsentEvent).where(who.where()).order_by(ConsentEvent.id.desc()))
    for row in rows:
        newest.setdefault(row.purpose, row)
    return newest


def states(
    *,
    cat: Catalogue,
    newest: Mapping[str, ConsentEvent],
    regime: Regime,
    renewals: Renewals,
    deny: Callable[[PurposeInfo], bool] | None = None,
) -> list[PurposeState]:
    """The state of every purpose: recorded, stale, or the regime's default."""
    result: list[PurposeState] = []
    for key, info in cat.purposes.items():
        denied_by_rule = deny is not None and deny(info)
        if info.essential:
            result.append(
                PurposeState(key, ConsentState.GRANTED, not denied_by_rule, False, "essential")
            )
            continue
        event = newest.get(key)
        if event is None:
            granted = default_granted(info, regime)
            state = ConsentState.GRANTED if granted else ConsentState.DENIED
            result.append(
                PurposeState(key, state, granted and not denied_by_rule, False, "default")
            )
            continue
        state = ConsentState(event.state)
        stale = state is ConsentState.GRANTED and renewals.stale(key, event.policy_version)
        allowed = state is ConsentState.GRANTED and not stale and not denied_by_rule
        result.append(
            PurposeState(
                key,
                state,
                allowed,
                stale,
                "recorded",
                event.method,
                event.occurred_at,
                event.policy_version,
                event.receipt_id,
            )
        )
    return result


def subject_states(
    *, session: Session, declaration: Declaration, subject_id: str, renewals: Renewals
) -> list[PurposeState]:
    """A subject's state per purpose with restriction and the deny predicates applied."""
    subject = live_subject(session=session, subject_id=subject_id)
    newest = latest_events(session=session, who=Who(subject_id=subject_id))

    def deny(info: PurposeInfo) -> bool:
        return any(predicate(session, subject, info) for predicate in DENY_PREDICATES)

    return states(
        cat=catalogue(declaration),
        newest=newest,
        regime=regime_of(subject),
        renewals=renewals,
        deny=deny,
    )


def receipt_events(*, session: Session, who: Who, receipt_id: str | None) -> list[ConsentEvent]:
    """The events of one receipt (the newest receipt if ``receipt_id`` is None)."""
    query = select(ConsentEvent).where(who.where()).order_by(ConsentEvent.id.desc())
    if receipt_id is not None:
        return list(session.scalars(query.where(ConsentEvent.receipt_id == receipt_id)))
    rows: list[ConsentEvent] = []
    for row in session.scalars(query):
        if rows and row.receipt_id != rows[0].receipt_id:
            break
        rows.append(row)
    return rows
