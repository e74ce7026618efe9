"""What a sweep would do, per category: the rule, the action on expiry, what is due and held.

Nothing here changes data: the preview plans a sweep, ``upcoming`` is the
retention page's outlook.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from privacyops.db import utcnow
from privacyops.policy.render import wording
from privacyops.policy.schema import Declaration
from privacyops.retention.holds import active_holds, held_by
from privacyops.subjects.models import PersonalRecord

Action = Literal["delete", "anonymize"]

UNDECLARED = "not declared: the row's own expiry"


def expiry_actions(declaration: Declaration) -> dict[str, Action]:
    """What each category's expiry does: delete, or anonymise where the rule says so.

    A rule states anonymisation with ``on_expiry: anonymize``; a rule without
    it deletes, which is the declaration's default promise.
    """
    actions: dict[str, Action] = {}
    for category in declaration.categories:
        chosen = getattr(category.retention, "on_expiry", "delete")
        actions[category.key] = "anonymize" if chosen == "anonymize" else "delete"
    return actions


def rule_text(declaration: Declaration, category: str) -> str:
    for item in declaration.categories:
        if item.key == category:
            return f"{item.retention.kind}: {wording.retention(item.retention, 'en')}"
    return UNDECLARED


@dataclass
class Line:
    """One category in a preview: what is due, what a hold keeps, under which rule."""

    category: str
    rule: str
    action: Action
    expired: int
    held: int

    @property
    def due(self) -> int:
        return self.expired - self.held


def preview(
    *,
    session: Session,
    declaration: Declaration,
    now: datetime | None = None,
    actions: Mapping[str, Action] | None = None,
) -> list[Line]:
    """What a sweep at ``now`` would remove and keep, per category; changes nothing."""
    cutoff = now or utcnow()
    chosen = {**expiry_actions(declaration), **(actions or {})}
    held = case((held_by(active_holds(session=session, now=cutoff)), 1), else_=0)
    rows = session.execute(
        select(PersonalRecord.category, func.count(), func.coalesce(func.sum(held), 0))
        .where(PersonalRecord.expires_at <= cutoff)
        .group_by(PersonalRecord.category)
        .order_by(PersonalRecord.category)
    )
    return [
        Line(category, rule_text(declaration, category), chosen.get(category, "delete"), n, int(h))
        for category, n, h in rows
    ]


@dataclass(frozen=True)
class Upcoming:
    category: str
    rule: str
    expired: int
    within_7: int
    within_30: int
    within_90: int
    open_ended: int
    held: int
    expired_held: int
    total: int

    @property
    def due(self) -> int:
        """Expired and not held: what the next sweep takes."""
        return self.expired - self.expired_held


def upcoming(
    *, session: Session, declaration: Declaration, now: datetime | None = None
) -> list[Upcoming]:
    """Per category: already expired, expiring within 7, 30 and 90 days, no expiry yet, held
    (all held rows, and the expired ones among them)."""
    moment = now or utcnow()
    expiry = PersonalRecord.expires_at
    held = held_by(active_holds(session=session, now=moment))

    def within(days: int) -> Any:
        edge = moment + timedelta(days=days)
        return func.coalesce(func.sum(case(((expiry > moment) & (expiry <= edge), 1), else_=0)), 0)

    rows = session.execute(
        select(
            PersonalRecord.category,
            func.coalesce(func.sum(case((expiry <= moment, 1), else_=0)), 0),
            within(7),
            within(30),
            within(90),
            func.coalesce(func.sum(case((expiry.is_(None), 1), else_=0)), 0),
            func.coalesce(func.sum(case((held, 1), else_=0)), 0),
            func.coalesce(func.sum(case(((expiry <= moment) & held, 1), else_=0)), 0),
            func.count(),
        )
        .group_by(PersonalRecord.category)
        .order_by(PersonalRecord.category)
    )
    found = {
        category: Upcoming(category, rule_text(declaration, category), *map(int, numbers))
        for category, *numbers in rows
    }
    for item in declaration.categories:
        found.setdefault(
            item.key, Upcoming(item.key, rule_text(declaration, item.key), 0, 0, 0, 0, 0, 0, 0, 0)
        )
    return sorted(found.values(), key=lambda u: u.category)
