"""Cross-border counters: per year, how many people's data went abroad, and the CN route.

PIPL's export rules count people, not transfers, cumulatively from 1
January: the CAC's 2024 provisions exempt a handler sending non-sensitive
personal information of fewer than 100,000 people a year, and require a
standard contract or certification (then a security assessment) above
that, or for any sensitive data. Everything we hold is stored in mainland
China first (``storage.primary_region: cn``), so every disclosure to a
recipient outside CN is an export and counts here.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session

from privacyops.disclosures.models import Disclosure
from privacyops.jurisdictions import service as jurisdictions
from privacyops.jurisdictions.enums import TransferRoute


@dataclass(frozen=True)
class CountryCount:
    country: str
    people: int
    sensitive_people: int
    disclosures: int


@dataclass(frozen=True)
class ThresholdFinding:
    """A year whose exports need more than the exemption: for the conformance audit."""

    year: int
    people: int
    sensitive_people: int
    route: TransferRoute
    basis: str
    always: str

    @property
    def message(self) -> str:
        return (
            f"{self.year}: personal data of {self.people} people "
            f"({self.sensitive_people} with sensitive data) left mainland China; "
            f"route required: {self.route.value.replace('_', ' ')}"
        )


def _abroad(year: int) -> ColumnElement[bool]:
    return and_(Disclosure.year == year, Disclosure.abroad.is_(True))


def counters(session: Session, year: int) -> list[CountryCount]:
    """Distinct people (and people with sensitive data) whose data went to each country."""
    sensitive_subject = case((Disclosure.sensitive.is_(True), Disclosure.subject_id))
    query = (
        select(
            Disclosure.country,
            func.count(func.distinct(Disclosure.subject_id)),
            func.count(func.distinct(sensitive_subject)),
            func.count(Disclosure.id),
        )
        .where(_abroad(year))
        .group_by(Disclosure.country)
        .order_by(Disclosure.country)
    )
    return [CountryCount(c, int(p), int(s), int(n)) for c, p, s, n in session.execute(query)]


def totals(session: Session, year: int) -> tuple[int, int]:
    """People whose data went abroad this year at all, and those with sensitive data."""
    sensitive_subject = case((Disclosure.sensitive.is_(True), Disclosure.subject_id))
    row = session.execute(
        select(
            func.count(func.distinct(Disclosure.subject_id)),
            func.count(func.distinct(sensitive_subject)),
        ).where(_abroad(year))
    ).one()
    return int(row[0]), int(row[1])


def cn_threshold_findings(session: Session, year: int) -> list[ThresholdFinding]:
    """One finding if the year's exports are past the CN exemption, else none."""
    people, sensitive = totals(session, year)
    # A person whose sensitive data left also had ordinary data leave: counted in both.
    assessment = jurisdictions.cn_transfer_route(
        non_sensitive_people=people, sensitive_people=sensitive
    )
    if assessment.route is TransferRoute.EXEMPT:
        return []
    return [
        ThresholdFinding(
            year, people, sensitive, assessment.route, assessment.basis, assessment.always
        )
    ]


__all__ = ["CountryCount", "ThresholdFinding", "cn_threshold_findings", "counters"]
