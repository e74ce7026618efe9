"""Retention rules that a machine can turn into an expiry time.

Every stored personal row carries an expiry derived from its category's
rule, so a rule that cannot be computed is refused when the declaration is
loaded, with a message that says what is missing, rather than later when a
sweep meets it.

``expires_at(collected_at=..., ended_at=...)`` returns None while a record
cannot expire yet: ``ended_at`` is when the account was closed (account_life)
or consent was withdrawn (consent_life), and is ignored by the other rules.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class AccountLife(_Rule):
    """Kept while the account exists, deleted ``grace_days`` after it is closed."""

    kind: Literal["account_life"]
    grace_days: int = Field(ge=0)

    def expires_at(
        self, *, collected_at: datetime, ended_at: datetime | None = None
    ) -> datetime | None:
        return None if ended_at is None else ended_at + timedelta(days=self.grace_days)

    def max_days(self) -> int | None:
        return None


class ConsentLife(_Rule):
    """Kept while consent stands, deleted ``grace_days`` after it is withdrawn."""

    kind: Literal["consent_life"]
    grace_days: int = Field(ge=0)

    def expires_at(
        self, *, collected_at: datetime, ended_at: datetime | None = None
    ) -> datetime | None:
        return None if ended_at is None else ended_at + timedelta(days=self.grace_days)

    def max_days(self) -> int | None:
        return None


class Fixed(_Rule):
    kind: Literal["fixed"]
    days: int = Field(gt=0)

    def expires_at(
        self, *, collected_at: datetime, ended_at: datetime | None = None
    ) -> datetime | None:
        return collected_at + timedelta(days=self.days)

    def max_days(self) -> int | None:
        return self.days


class Legal(_Rule):
    """Kept for a period a law prescribes, counted from collection."""

    kind: Literal["legal"]
    years: int = Field(gt=0)
    law: str = Field(min_length=1)

    def expires_at(
        self, *, collected_at: datetime, ended_at: datetime | None = None
    ) -> datetime | None:
        return add_years(collected_at, self.years)

    def max_days(self) -> int | None:
        return self.years * 366


_NEEDS: dict[str, tuple[str, ...]] = {
    "account_life": ("grace_days",),
    "consent_life": ("grace_days",),
    "fixed": ("days",),
    "legal": ("years", "law"),
}
_MINIMUM = {"grace_days": 0, "days": 1, "years": 1}


def _computable(value: Any) -> Any:
    """Refuse, with one plain sentence, any rule an expiry cannot be computed from."""
    if not isinstance(value, dict):
        raise ValueError("retention rule cannot be computed: expected a mapping with 'kind'")
    kind = value.get("kind")
    if kind not in _NEEDS:
        expected = ", ".join(_NEEDS)
        raise ValueError(
            f"retention rule cannot be computed: unknown kind {kind!r} (expected one of {expected})"
        )
    for name in _NEEDS[kind]:
        given = value.get(name)
        if name == "law":
            if not isinstance(given, str) or not given.strip():
                raise ValueError(f"retention rule cannot be computed: '{kind}' needs 'law'")
            continue
        least = _MINIMUM[name]
        if isinstance(given, bool) or not isinstance(given, int) or given < least:
            raise ValueError(
                f"retention rule cannot be computed: '{kind}' needs '{name}' "
                f"as a whole number >= {least}"
            )
    return value


RetentionRule = Annotated[
    AccountLife | ConsentLife | Fixed | Legal,
    Field(discriminator="kind"),
    BeforeValidator(_computable),
]


def add_years(moment: datetime, years: int) -> datetime:
    """Same calendar day ``years`` later; 29 February becomes 28 February."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)
