"""The one door personal data leaves by (``disclose``), and the accounting. Never commits.

``disclose`` checks, in order, and refuses on the first failure with an
error naming the field, before anything is written (so a refused disclosure
leaves no trace as sent):

1. the recipient is declared;
2. each category is declared, the recipient may receive it, and it names
   the recipient among its own;
3. the purpose is declared for each category and for the recipient;
4. the basis is one of the declaration's sharing grounds, and the
   recipient's declared ground or the person's consent;
5. the destination country is one the recipient is declared in;
6. the subject exists and is not erased, and the consent domain allows the
   purpose now (consent given where needed, no restriction for a
   non-essential purpose, no upheld objection), read inside this
   transaction rather than from the per-process cache;
7. sensitive categories need the purpose's consent in any case.

The log row and an audit event name categories, never values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import privacyops.rights.executors.objection  # noqa: F401 - registers the objection deny rule
from privacyops.audit import service as audit
from privacyops.consent import renewal
from privacyops.consent import state as consent_state
from privacyops.consent.service import ConsentError
from privacyops.db import utcnow
from privacyops.disclosures.models import Disclosure
from privacyops.policy.schema import Declaration, Recipient
from privacyops.rights.executors.extensions import AccessSection, register_access_section
from privacyops.vault.service import Vault
from privacyops.web.i18n import N_

HOME_COUNTRY = "CN"
ACCOUNTING_COLUMNS = (
    "disclosed_at",
    "recipient",
    "recipient_kind",
    "country",
    "categories",
    "purpose",
    "basis",
)


class DisclosureError(ValueError):
    """A refusal the face turns into an HTTP error (``status``) naming ``field``."""

    def __init__(self, message: str, *, field: str, status: int = 422) -> None:
        super().__init__(message)
        self.field = field
        self.status = status


@dataclass(frozen=True)
class AccountingLine:
    """One past disclosure, as the person's access package lists it."""

    disclosed_at: datetime
    recipient: str
    recipient_kind: str
    country: str
    categories: tuple[str, ...]
    purpose: str
    basis: str

    def as_row(self) -> dict[str, Any]:
        return {
            "disclosed_at": self.disclosed_at.isoformat(),
            "recipient": self.recipient,
            "recipient_kind": self.recipient_kind,
            "country": self.country,
            "categories": " ".join(self.categories),
            "purpose": self.purpose,
            "basis": self.basis,
        }


def _recipient(declaration: Declaration, key: str) -> Recipient:
    try:
        return declaration.recipient(key)
    except KeyError:
        raise DisclosureError(f"recipient {key!r} is not declared", field="recipient") from None


def _check_categories(declaration: Declaration, recipient: Recipient, keys: Sequence[str]) -> bool:
    """Whether any category is sensitive; refuses an undeclared or not-allowed one."""
    if not keys:
        raise DisclosureError("name at least one data category", field="categories")
    sensitive = False
    for key in keys:
        try:
            category = declaration.category(key)
        except KeyError:
            raise DisclosureError(
                f"data category {key!r} is not declared", field="categories"
            ) from None
        if key not in recipient.categories or recipient.key not in category.recipients:
            raise DisclosureError(
                f"data category {key!r} may not be disclosed to recipient {recipient.key!r}",
                field="categories",
            )
        sensitive = sensitive or category.sensitive
    return sensitive


def _check_purpose(
    declaration: Declaration, recipient: Recipient, keys: Sequence[str], purpose: str
) -> None:
    try:
        declaration.purpose(purpose)
    except KeyError:
        raise DisclosureError(f"purpose {purpose!r} is not declared", field="purpose") from None
    if purpose not in recipient.purposes:
        raise DisclosureError(
            f"recipient {recipient.key!r} is not declared for purpose {purpose!r}", field="purpose"
        )
    for key in keys:
        try:
            declaration.basis(key, purpose)
        except KeyError:
            raise DisclosureError(
                f"data category {key!r} is not declared for purpose {purpose!r}", field="purpose"
            ) from None


def _check_basis(declaration: Declaration, recipient: Recipient, basis: str) -> None:
    grounds = [g.key for g in declaration.sharing.grounds]
    if not basis:
        raise DisclosureError("the basis of the disclosure is required", field="basis")
    if basis not in grounds:
        raise DisclosureError(
            f"basis {basis!r} is not a declared sharing ground ({', '.join(grounds)})",
            field="basis",
        )
    if basis not in (recipient.ground, "consent"):
        raise DisclosureError(
            f"recipient {recipient.key!r} is declared on the ground {recipient.ground!r}, "
            f"not {basis!r}",
            field="basis",
        )


def _country(recipient: Recipient, country: str | None) -> str:
    concrete = [c for c in recipient.countries if c != "*"]
    if country is None:
        if len(concrete) == 1 and "*" not in recipient.countries:
            return concrete[0]
        raise DisclosureError(
            f"recipient {recipient.key!r} may be in several countries; name the country",
            field="country",
        )
    code = country.strip().upper()
    if len(code) != 2 or not code.isalpha():
        raise DisclosureError("country must be an ISO 3166 alpha-2 code", field="country")
    if code not in recipient.countries and "*" not in recipient.countries:
        raise DisclosureError(
            f"recipient {recipient.key!r} is not declared in country {code!r}", field="country"
        )
    return code


def processing_allowed(
    session: Session, declaration: Declaration, subject_id: str, purpose: str
) -> bool:
    """Consent, restriction and objections for one purpose, read in this transaction."""
    try:
        found = consent_state.subject_states(
            session=session,
            declaration=declaration,
            subject_id=subject_id,
            renewals=renewal.load(session=session),
        )
    except ConsentError as error:
        raise DisclosureError(str(error), field="subject_id", status=error.status) from None
    return any(row.purpose == purpose and row.allowed for row in found)


def disclose(
    *,
    session: Session,
    vault: Vault,
    declaration: Declaration,
    subject_id: str,
    recipient: str,
    categories: Sequence[str],
    purpose: str,
    basis: str,
    actor: str,
    country: str | None = None,
    authority_request_id: int | None = None,
) -> Disclosure:
    """Check a disclosure against the declaration and the subject, then log it.

    ``vault`` is not read: the log holds no value, and whatever carries the
    values to the recipient reads them after this returns, in the same
    transaction, so a refusal here stops it.
    """
    del vault
    target = _recipient(declaration, recipient)
    keys = list(dict.fromkeys(categories))
    sensitive = _check_categories(declaration, target, keys)
    _check_purpose(declaration, target, keys, purpose)
    _check_basis(declaration, target, basis)
    where = _country(target, country)
    if not processing_allowed(session, declaration, subject_id, purpose):
        raise DisclosureError(
            f"the subject's consent, restriction or objection does not allow purpose {purpose!r}",
            field="purpose",
            status=403,
        )
    if (sensitive or basis == "consent") and not declaration.purpose(purpose).requires_consent:
        raise DisclosureError(
            "sensitive data and consent-based disclosures need a purpose the person consents to",
            field="basis" if basis == "consent" else "categories",
            status=403,
        )
    now = utcnow()
    row = Disclosure(
        subject_id=subject_id,
        recipient=target.key,
        recipient_kind=target.kind,
        country=where,
        abroad=where != HOME_COUNTRY,
        sensitive=sensitive,
        categories=keys,
        purpose=purpose,
        basis=basis,
        year=now.year,
        disclosed_at=now,
        actor=actor,
        authority_request_id=authority_request_id,
    )
    session.add(row)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="disclosure.made",
        target_type="subject",
        target_id=subject_id,
        details={
            "disclosure_id": row.id,
            "recipient": target.key,
            "categories": keys,
            "purpose": purpose,
            "basis": basis,
            "country": where,
        },
    )
    return row


def rows_for_subject(session: Session, subject_id: str) -> list[Disclosure]:
    query = (
        select(Disclosure)
        .where(Disclosure.subject_id == subject_id)
        .order_by(Disclosure.disclosed_at, Disclosure.id)
    )
    return list(session.scalars(query))


def disclosures_for_subject(session: Session, subject_id: str) -> list[AccountingLine]:
    """Every disclosure of the subject's data, oldest first (the accounting of disclosures)."""
    return [
        AccountingLine(
            r.disclosed_at,
            r.recipient,
            r.recipient_kind,
            r.country,
            tuple(str(c) for c in r.categories),
            r.purpose,
            r.basis,
        )
        for r in rows_for_subject(session, subject_id)
    ]


def recent(*, session: Session, limit: int = 100) -> list[Disclosure]:
    return list(session.scalars(select(Disclosure).order_by(Disclosure.id.desc()).limit(limit)))


def _accounting_rows(session: Session, subject_id: str) -> list[dict[str, Any]]:
    return [line.as_row() for line in disclosures_for_subject(session, subject_id)]


register_access_section(
    AccessSection(
        name="disclosures",
        label=N_("Disclosures of your data to recipients"),
        columns=ACCOUNTING_COLUMNS,
        rows=_accounting_rows,
    )
)
