"""The recipients register from the declaration: who gets what, where, under which agreement."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from privacyops.policy.base import Lang
from privacyops.policy.schema import Declaration
from privacyops.web.i18n import N_, translations

#: Agreements are flagged this long before their review date.
REVIEW_NOTICE = timedelta(days=30)


@dataclass(frozen=True)
class RecipientEntry:
    key: str
    label: str
    kind: str
    role: str
    countries: tuple[str, ...]
    categories: tuple[str, ...]
    purposes: tuple[str, ...]
    ground: str
    safeguard: str
    transfers: tuple[str, ...]
    agreement_ref: str | None
    review_by: date | None
    warnings: tuple[str, ...] = field(default=())


def register(declaration: Declaration, *, today: date, lang: Lang = "en") -> list[RecipientEntry]:
    """Every declared recipient; warnings for a missing, expired or soon-due agreement.

    An authority (``role: authority``) acts under the law, not a contract: no
    agreement is expected of it.
    """
    say = translations(lang).gettext
    entries = []
    for recipient in declaration.recipients:
        warnings: list[str] = []
        if recipient.role != "authority":
            if recipient.agreement_ref is None:
                warnings.append(say(N_("no processing agreement on record")))
            if recipient.review_by is None:
                warnings.append(say(N_("no review date for the agreement")))
            elif recipient.review_by < today:
                overdue = say(N_("agreement review overdue since {date}"))
                warnings.append(overdue.format(date=recipient.review_by))
            elif recipient.review_by <= today + REVIEW_NOTICE:
                due = say(N_("agreement review due by {date}"))
                warnings.append(due.format(date=recipient.review_by))
        transfers = tuple(
            t.key
            for t in declaration.transfers
            if recipient.key in t.recipients
            or (not t.recipients and set(t.destinations) & set(recipient.countries))
        )
        entries.append(
            RecipientEntry(
                key=recipient.key,
                label=recipient.label.get(lang),
                kind=recipient.kind,
                role=recipient.role,
                countries=tuple(recipient.countries),
                categories=tuple(recipient.categories),
                purposes=tuple(recipient.purposes),
                ground=recipient.ground,
                safeguard=recipient.safeguard.get(lang),
                transfers=transfers,
                agreement_ref=recipient.agreement_ref,
                review_by=recipient.review_by,
                warnings=tuple(warnings),
            )
        )
    return entries
