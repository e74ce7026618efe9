"""Words the renderers add around the declaration's own text, in both languages.

Only interface words (table headings, yes/no) and sentences built from
numbers in the declaration (retention periods, deadlines, dates) live here;
every statement of the policy itself comes from the declaration. The English
text is the message id in the gettext catalogues (``privacyops/locale``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import cache

from babel import dates
from jinja2 import Environment, PackageLoader, StrictUndefined

from privacyops.policy.base import Lang
from privacyops.policy.retention import AccountLife, ConsentLife, Fixed, Legal
from privacyops.web import i18n
from privacyops.web.i18n import N_, NP_

#: A catalogue message id, or a (context, message id) pair marked with ``NP_``.
Message = str | tuple[str, str]


LABELS: dict[str, str] = {
    "version": N_("Version"),
    "effective": N_("Effective date"),
    "updated": N_("Last updated"),
    "controller": N_("Data controller"),
    "address": N_("Address"),
    "website": N_("Website"),
    "email": N_("E-mail"),
    "category": N_("Data category"),
    "description": N_("Description"),
    "fields": N_("Fields"),
    "source": N_("Source"),
    "methods": N_("Collected through"),
    "purposes": N_("Purposes"),
    "purpose": N_("Purpose"),
    "sensitive": N_("Sensitive"),
    "retention": N_("Retention"),
    "storage": N_("Stored in"),
    "consent": N_("Needs your consent"),
    "essential": N_("Essential"),
    "basis_gdpr": N_("Legal basis (GDPR)"),
    "basis_pipl": N_("Legal basis (PIPL)"),
    "recipient": N_("Recipient"),
    "data_shared": N_("Data shared"),
    "location": N_("Location"),
    "safeguard": N_("Safeguard"),
    "ground": N_("Ground"),
    "transfer": N_("Transfer"),
    "mechanisms": N_("Mechanisms"),
    "cookie": N_("Cookie"),
    "cookie_category": N_("Type"),
    "provider": N_("Provider"),
    "duration": N_("Duration"),
    "right": N_("Right"),
    "channels": N_("How to reach us"),
    "deadlines": N_("Response times"),
    "permission": N_("Permission"),
    "why": N_("Why we ask"),
    "stores": N_("Stores"),
    "laws": N_("Laws"),
    "yes": N_("Yes"),
    "no": N_("No"),
    "session": N_("Until you close the browser"),
    "first_party": N_("First party"),
    "third_party": N_("Third party"),
}

SOURCES: dict[str, str] = {
    "user_provided": N_("Provided by you"),
    "automatic": N_("Collected automatically"),
    "hardware": N_("Reported by smart hardware"),
    "third_party": N_("From authorised third parties"),
}

GDPR_BASES: dict[str, str] = {
    "consent": N_("Consent"),
    "contract": N_("Performance of a contract"),
    "legal_obligation": N_("Legal obligation"),
    "vital_interests": N_("Vital interests"),
    "public_task": N_("Public task"),
    "legitimate_interests": N_("Legitimate interests"),
}

PIPL_BASES: dict[str, tuple[str, str]] = {
    "consent": NP_("PIPL legal basis", "Consent"),
    "separate_consent": NP_("PIPL legal basis", "Separate consent"),
    "contract": NP_("PIPL legal basis", "Necessary for a contract"),
    "hr_management": NP_("PIPL legal basis", "Human resources management"),
    "legal_obligation": NP_("PIPL legal basis", "Statutory duty or obligation"),
    "emergency": NP_("PIPL legal basis", "Public health emergency or protection of life"),
    "public_interest_reporting": NP_("PIPL legal basis", "News reporting in the public interest"),
    "publicly_disclosed": NP_("PIPL legal basis", "Information already made public"),
    "other_law": NP_("PIPL legal basis", "Other circumstances set by law"),
}

MECHANISMS: dict[str, str] = {
    "pipl_standard_contract": N_("PIPL standard contract"),
    "pipl_security_assessment": N_("CAC security assessment"),
    "pipl_certification": N_("Personal information protection certification"),
    "pipl_exemption": N_("Exemption under China's cross-border data rules"),
    "gdpr_scc": N_("EU standard contractual clauses"),
    "gdpr_adequacy": N_("EU adequacy decision"),
    "uk_idta": N_("UK international data transfer agreement or addendum"),
    "contractual_safeguards": N_("Equivalent contractual safeguards"),
}


def pick(text: Message, lang: Lang) -> str:
    """``text`` in ``lang``: a catalogue message id, with its context if it has one."""
    if isinstance(text, tuple):
        return str(i18n.translations(lang).pgettext(*text))
    return i18n.translations(lang).gettext(text)


def pipl_basis(key: str, lang: Lang) -> str:
    context, message = PIPL_BASES[key]
    return str(i18n.translations(lang).pgettext(context, message))


def colon(lang: Lang) -> str:
    return str(i18n.translations(lang).pgettext("between a term and its explanation", ": "))


def label(key: str, lang: Lang) -> str:
    return colon(lang) if key == "colon" else pick(LABELS[key], lang)


def labels(lang: Lang) -> dict[str, str]:
    return {"colon": colon(lang)} | {key: pick(text, lang) for key, text in LABELS.items()}


def yes_no(value: bool, lang: Lang) -> str:
    return label("yes" if value else "no", lang)


def long_date(day: date, lang: Lang) -> str:
    """``December 7, 2026`` / ``2026年12月7日``."""
    return dates.format_date(day, "long", locale=i18n.locale_of(lang))


def days(count: int, lang: Lang) -> str:
    return i18n.translations(lang).ngettext("{num} day", "{num} days", count).format(num=count)


def retention(rule: AccountLife | ConsentLife | Fixed | Legal, lang: Lang) -> str:
    words = i18n.translations(lang)
    match rule:
        case AccountLife(grace_days=grace):
            text, num = (
                words.ngettext(
                    "While your account exists, then {num} day",
                    "While your account exists, then {num} days",
                    grace,
                ),
                grace,
            )
        case ConsentLife(grace_days=grace):
            text, num = (
                words.ngettext(
                    "Until you withdraw consent, then {num} day",
                    "Until you withdraw consent, then {num} days",
                    grace,
                ),
                grace,
            )
        case Fixed(days=count):
            text, num = (
                words.ngettext("{num} day from collection", "{num} days from collection", count),
                count,
            )
        case Legal(years=years, law=law):
            text = words.ngettext(
                "{num} year, as required by {law}", "{num} years, as required by {law}", years
            )
            return text.format(num=years, law=law)
    return text.format(num=num)


def join(items: Iterable[str], lang: Lang) -> str:
    """Join phrases that may contain commas themselves."""
    return str(i18n.translations(lang).pgettext("between phrases", "; ")).join(items)


def series(items: Iterable[str], lang: Lang) -> str:
    """Join short names into a list."""
    return str(i18n.translations(lang).pgettext("list separator", ", ")).join(items)


COUNTRIES: dict[str, str] = {
    "CN": N_("Mainland China"),
    "*": N_("other countries and regions where needed"),
}


def countries(codes: list[str], lang: Lang) -> str:
    return series((pick(COUNTRIES[c], lang) if c in COUNTRIES else c for c in codes), lang)


def sentence(key: str, lang: Lang, **values: object) -> str:
    return pick(SENTENCES[key], lang).format(**values)


SENTENCES: dict[str, str] = {
    "data_rights_sla": N_("Data rights requests: answered within {days} {counting} days."),
    "inquiry_sla": N_(
        "General inquiries: answered within {min_days} to {max_days} {counting} days."
    ),
    "minimum_age": N_("Minimum age: {age}, or the higher age that local law sets."),
    "account_deletion": N_("Delete your account and its data at {url}."),
    "age_signals": N_("Age Signals API adaptation applies from {date}."),
    "breach_clock": N_("Regulator reporting deadline where the GDPR applies: {hours} hours."),
    "version_line": N_("Version {label}"),
}

COUNTING: dict[str, str] = {
    "calendar": N_("calendar"),
    "business": N_("business"),
}


def counting(kind: str, lang: Lang) -> str:
    return pick(COUNTING[kind], lang)


@cache
def environment() -> Environment:
    return Environment(
        loader=PackageLoader("privacyops.policy", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(template: str, **context: object) -> str:
    return environment().get_template(template).render(**context)
