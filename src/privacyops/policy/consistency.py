"""Checks between the parts of a declaration whose shape is already valid.

Each finding carries the path (pydantic-style ``loc``) of the value at
fault, so the loader can report ``file:line: message``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from privacyops.policy import stores, taxonomy
from privacyops.policy.base import Loc, section_refs
from privacyops.policy.problems import Issue
from privacyops.policy.promises import ALL_RIGHTS
from privacyops.policy.retention import Legal
from privacyops.policy.sources import reference_issues, retention_issues

if TYPE_CHECKING:
    from privacyops.policy.schema import CookieCategory, Declaration


class _Checks:
    def __init__(self, decl: Declaration) -> None:
        self.decl = decl
        self.issues: list[Issue] = []

    def add(self, loc: Loc, message: str) -> None:
        self.issues.append(Issue(loc, message))

    def known(
        self,
        loc: Loc,
        values: Iterable[str],
        allowed: Iterable[str],
        what: str,
        missing: str = "is not declared",
    ) -> None:
        allowed_set = set(allowed)
        for index, value in enumerate(values):
            if value not in allowed_set:
                self.add((*loc, index), f"{what} '{value}' {missing}")

    def unique(self, loc: Loc, values: Sequence[str], what: str) -> None:
        seen: Counter[str] = Counter()
        for index, value in enumerate(values):
            seen[value] += 1
            if seen[value] == 2:
                self.add((*loc, index), f"{what} '{value}' is declared twice")

    def taxonomy_key(self, loc: Loc, key: str, kind: str, keys: frozenset[str]) -> None:
        if key in keys:
            return
        if key in taxonomy.deprecated():
            self.add(loc, f"{kind} '{key}' is deprecated in the taxonomy")
        else:
            self.add(loc, f"{kind} '{key}' is not in the taxonomy")


def find_issues(decl: Declaration) -> list[Issue]:
    checks = _Checks(decl)
    for step in (
        _unique_keys,
        _sections,
        _taxonomy,
        _category_refs,
        _lawful_bases,
        _sharing,
        _store_labels,
        _cookies,
        _promises,
        _external_sources,
    ):
        step(checks)
    return checks.issues


def _unique_keys(c: _Checks) -> None:
    d = c.decl
    c.unique(("sections",), [s.id for s in d.sections], "section")
    c.unique(("principles",), [p.key for p in d.principles], "principle")
    c.unique(("data_subjects",), [s.key for s in d.data_subjects], "data subject")
    c.unique(("collection_methods",), [m.key for m in d.collection_methods], "collection method")
    c.unique(("categories",), [k.key for k in d.categories], "data category")
    c.unique(("purposes",), [p.key for p in d.purposes], "purpose")
    c.unique(("recipients",), [r.key for r in d.recipients], "recipient")
    c.unique(("transfers",), [t.key for t in d.transfers], "transfer")
    c.unique(("cookies",), [f"{k.name}@{k.domain}" for k in d.cookies], "cookie")
    c.unique(("storage", "regions"), [r.key for r in d.storage.regions], "region")
    c.unique(("contact", "channels"), [ch.key for ch in d.contact.channels], "contact channel")
    c.unique(("rights", "items"), [r.key for r in d.rights.items], "right")
    cats = [k.key for k in d.cookie_policy.categories]
    c.unique(("cookie_policy", "categories"), cats, "cookie category")
    for i, cat in enumerate(d.categories):
        c.unique(("categories", i, "fields"), [f.name for f in cat.fields], "field")


def _sections(c: _Checks) -> None:
    declared = {s.id for s in c.decl.sections}
    cited: set[str] = set()
    for loc, section in section_refs(c.decl):
        cited.add(section)
        if section not in declared:
            c.add(loc, f"section '{section}' is not in the declared sections")
    # A heading with subsections ("2" above "2.1") is covered through them.
    cited |= {ref.split(".")[0] for ref in cited}
    for i, heading in enumerate(c.decl.sections):
        if heading.id not in cited:
            c.add(("sections", i), f"nothing in the declaration covers section '{heading.id}'")


def _taxonomy(c: _Checks) -> None:
    d = c.decl
    categories, uses, subjects = (
        taxonomy.data_categories(),
        taxonomy.data_uses(),
        taxonomy.data_subjects(),
    )
    for i, cat in enumerate(d.categories):
        loc: Loc = ("categories", i)
        c.taxonomy_key((*loc, "fides_category"), cat.fides_category, "data category", categories)
        for j, field in enumerate(cat.fields):
            if field.fides_category is not None:
                floc = (*loc, "fields", j, "fides_category")
                c.taxonomy_key(floc, field.fides_category, "data category", categories)
    for i, purpose in enumerate(d.purposes):
        c.taxonomy_key(("purposes", i, "fides_use"), purpose.fides_use, "data use", uses)
    for i, subject in enumerate(d.data_subjects):
        loc = ("data_subjects", i, "fides_subject")
        c.taxonomy_key(loc, subject.fides_subject, "data subject", subjects)


def _category_refs(c: _Checks) -> None:
    d = c.decl
    subjects = [s.key for s in d.data_subjects]
    methods = [m.key for m in d.collection_methods]
    surfaces = [s.key for s in d.scope.surfaces]
    purposes = [p.key for p in d.purposes]
    regions = [r.key for r in d.storage.regions]
    recipients = {r.key: r for r in d.recipients}
    transfers = [t.key for t in d.transfers]
    primary = d.storage.primary_region
    c.known(("storage",), [primary], regions, "region")
    for i, cat in enumerate(d.categories):
        loc: Loc = ("categories", i)
        c.known((*loc, "subjects"), cat.subjects, subjects, "data subject")
        c.known((*loc, "methods"), cat.methods, methods, "collection method")
        c.known((*loc, "surfaces"), cat.surfaces, surfaces, "surface")
        c.known((*loc, "purposes"), cat.purposes, purposes, "purpose")
        c.known((*loc, "recipients"), cat.recipients, recipients, "recipient")
        c.known((*loc, "transfers"), cat.transfers, transfers, "transfer")
        c.known((*loc, "storage", "primary"), [cat.storage.primary], regions, "region")
        c.known((*loc, "storage", "cross_region"), cat.storage.cross_region, regions, "region")
        if not cat.fields and cat.proactive:
            c.add((*loc, "fields"), f"data category '{cat.key}' declares no fields")
        if cat.storage.primary != primary:
            c.add(
                (*loc, "storage", "primary"),
                f"data category '{cat.key}' is stored first in '{cat.storage.primary}', "
                f"but the declared primary region is '{primary}'",
            )
        if cat.storage.cross_region and not cat.transfers:
            c.add(
                (*loc, "storage", "cross_region"),
                f"data category '{cat.key}' is stored across regions but declares no transfer",
            )
        for j, key in enumerate(cat.recipients):
            if key not in recipients:
                continue
            if cat.key not in recipients[key].categories:
                c.add(
                    (*loc, "recipients", j),
                    f"data category '{cat.key}' goes to recipient '{key}', "
                    "which is not declared to receive it",
                )
            elif not set(recipients[key].purposes) & set(cat.purposes):
                c.add(
                    (*loc, "recipients", j),
                    f"data category '{cat.key}' goes to recipient '{key}' "
                    "for none of the category's purposes",
                )


def _lawful_bases(c: _Checks) -> None:
    d = c.decl
    by_key = {p.key: p for p in d.purposes}
    for i, purpose in enumerate(d.purposes):
        basis = purpose.lawful_basis
        if basis is None:
            c.add(("purposes", i), f"purpose '{purpose.key}' has no lawful basis")
        elif basis.uses_consent() and not purpose.requires_consent:
            c.add(
                ("purposes", i, "requires_consent"),
                f"purpose '{purpose.key}' relies on consent but requires_consent is false",
            )
    for i, cat in enumerate(d.categories):
        loc: Loc = ("categories", i)
        for key, basis in cat.basis_overrides.items():
            if key not in cat.purposes:
                c.add(
                    (*loc, "basis_overrides", key),
                    f"data category '{cat.key}' overrides the basis of purpose '{key}', "
                    "which it does not declare",
                )
            elif basis.uses_consent() and not by_key[key].requires_consent:
                c.add(
                    (*loc, "basis_overrides", key),
                    f"data category '{cat.key}' relies on consent for purpose '{key}', "
                    "which does not require consent",
                )
        if not cat.sensitive:
            continue
        for key in cat.purposes:
            chosen = cat.basis_overrides.get(key) or getattr(by_key.get(key), "lawful_basis", None)
            if chosen is not None and (chosen.pipl, chosen.gdpr) != ("separate_consent", "consent"):
                c.add(
                    (*loc, "sensitive"),
                    f"sensitive data category '{cat.key}' needs separate consent (pipl) "
                    f"and consent (gdpr) for purpose '{key}'",
                )


def _sharing(c: _Checks) -> None:
    d = c.decl
    categories = {k.key: k for k in d.categories}
    purposes = [p.key for p in d.purposes]
    recipients = [r.key for r in d.recipients]
    for i, recipient in enumerate(d.recipients):
        loc: Loc = ("recipients", i)
        c.known((*loc, "categories"), recipient.categories, categories, "data category")
        c.known((*loc, "purposes"), recipient.purposes, purposes, "purpose")
        for j, key in enumerate(recipient.categories):
            if key in categories and recipient.key not in categories[key].recipients:
                c.add(
                    (*loc, "categories", j),
                    f"recipient '{recipient.key}' may receive data category '{key}', "
                    "which does not list it among its recipients",
                )
    for i, transfer in enumerate(d.transfers):
        c.known(("transfers", i, "recipients"), transfer.recipients, recipients, "recipient")
    for i, decision in enumerate(d.automated_decisions.significant_decisions):
        loc = ("automated_decisions", "significant_decisions", i)
        c.known((*loc, "purpose"), [decision.purpose], purposes, "purpose")
        if not decision.human_review:
            c.add(
                (*loc, "human_review"), f"automated decision '{decision.key}' has no human review"
            )


_NOT_IN_STORE = "is not in the store's vocabulary"


def _store_labels(c: _Checks) -> None:
    d = c.decl
    apple, play = stores.apple_types(), stores.play_types()
    for i, cat in enumerate(d.categories):
        loc: Loc = ("categories", i)
        types = cat.store_types
        c.known(
            (*loc, "store_types", "apple"), types.apple, apple, "Apple data type", _NOT_IN_STORE
        )
        c.known(
            (*loc, "store_types", "google_play"),
            types.google_play,
            play,
            "Play data type",
            _NOT_IN_STORE,
        )
        in_app = "mobile_app" in cat.surfaces
        for store, given in (("Apple", types.apple), ("Google Play", types.google_play)):
            if in_app and not given:
                c.add(
                    (*loc, "surfaces"),
                    f"data category '{cat.key}' is collected in the mobile app "
                    f"but has no {store} data type",
                )
        if not in_app and (types.apple or types.google_play):
            c.add(
                (*loc, "store_types"),
                f"data category '{cat.key}' has store data types but no mobile_app surface",
            )
        if cat.tracking and not d.app_stores.apple.att_before_tracking:
            c.add(
                (*loc, "tracking"),
                f"data category '{cat.key}' is used for tracking, "
                "but app_stores.apple.att_before_tracking is false",
            )
        if cat.tracking and not d.sharing.no_sale.cross_context_advertising:
            c.add(
                (*loc, "tracking"),
                f"data category '{cat.key}' is used for tracking, "
                "but sharing.no_sale.cross_context_advertising is false",
            )
    for i, purpose in enumerate(d.purposes):
        loc = ("purposes", i, "store_purpose")
        chosen = purpose.store_purpose
        apple_ids, play_ids = stores.apple_purposes(), stores.play_purposes()
        c.known((*loc, "apple"), [chosen.apple], apple_ids, "Apple purpose", _NOT_IN_STORE)
        c.known(
            (*loc, "google_play"), [chosen.google_play], play_ids, "Play purpose", _NOT_IN_STORE
        )
    play_decl = d.app_stores.google_play
    loc = ("app_stores", "google_play")
    c.known(
        (*loc, "account_creation_methods"),
        play_decl.account_creation_methods,
        stores.play_account_methods(),
        "Play account creation method",
        _NOT_IN_STORE,
    )
    c.known(
        (*loc, "outside_app_account_types"),
        play_decl.outside_app_account_types,
        stores.play_outside_account_types(),
        "Play outside-app account type",
        _NOT_IN_STORE,
    )


def _cookies(c: _Checks) -> None:
    d = c.decl
    cookie_cats: dict[str, CookieCategory] = {k.key: k for k in d.cookie_policy.categories}
    purposes = {p.key: p for p in d.purposes}
    holder_key = d.cookie_policy.data_category
    holder = next((k for k in d.categories if k.key == holder_key), None)
    if holder is None:
        c.add(("cookie_policy", "data_category"), f"data category '{holder_key}' is not declared")
    for i, cookie in enumerate(d.cookies):
        loc: Loc = ("cookies", i)
        category = cookie_cats.get(cookie.category)
        if category is None:
            c.add(
                (*loc, "category"),
                f"cookie '{cookie.name}' has unknown category '{cookie.category}'",
            )
        purpose = purposes.get(cookie.purpose)
        if purpose is None:
            c.add((*loc, "purpose"), f"purpose '{cookie.purpose}' is not declared")
        elif category is not None and not category.requires_consent and not purpose.essential:
            c.add(
                (*loc, "purpose"),
                f"cookie '{cookie.name}' is {category.key} but serves "
                f"non-essential purpose '{cookie.purpose}'",
            )
        if holder is None:
            continue
        if cookie.purpose not in holder.purposes:
            c.add(
                (*loc, "purpose"),
                f"cookie '{cookie.name}' serves purpose '{cookie.purpose}', "
                f"which data category '{holder.key}' does not declare",
            )
        longest = holder.retention.max_days()
        if longest is not None and (cookie.max_age_days or 0) > longest:
            c.add(
                (*loc, "max_age_days"),
                f"cookie '{cookie.name}' lives longer than the retention of '{holder.key}'",
            )


def _promises(c: _Checks) -> None:
    d = c.decl
    meta = d.policy
    current = [h for h in meta.history if h.version == meta.version]
    if not current or (current[0].effective_date, current[0].change_class, current[0].label) != (
        meta.effective_date,
        meta.change_class,
        meta.label,
    ):
        c.add(("policy", "history"), f"policy history has no matching entry for {meta.version}")
    if meta.last_updated < meta.effective_date:
        c.add(("policy", "last_updated"), "last_updated is before effective_date")
    declared_rights = {r.key for r in d.rights.items}
    for right in ALL_RIGHTS:
        if right not in declared_rights:
            c.add(("rights", "items"), f"right '{right}' is not declared")
    channels = {ch.key: ch for ch in d.contact.channels}
    c.known(("rights", "channels"), d.rights.channels, channels, "contact channel")
    if not any("data_rights" in ch.handles for ch in d.contact.channels):
        c.add(("contact", "channels"), "no contact channel handles data_rights")
    for i, channel in enumerate(d.contact.channels):
        if channel.kind == "email" and channel.value not in d.controller.emails:
            c.add(
                ("contact", "channels", i, "value"),
                f"email channel '{channel.value}' is not one of the controller's emails",
            )


def _external_sources(c: _Checks) -> None:
    legal = {cat.key for cat in c.decl.categories if isinstance(cat.retention, Legal)}
    for loc, message in reference_issues(c.decl.external_sources):
        c.add(loc, message)
    for loc, message in retention_issues(c.decl.external_sources, legal):
        c.add(loc, message)


__all__ = ["find_issues"]
