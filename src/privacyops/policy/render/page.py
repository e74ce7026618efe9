"""The public policy page, in English or Simplified Chinese.

Each part of the declaration is placed under the heading of the section it
cites, so moving an item to another section in the YAML moves it on the
page, and a new section appears as soon as something cites it.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from privacyops.policy.base import Lang
from privacyops.policy.promises import Channel
from privacyops.policy.render import wording
from privacyops.policy.render.blocks import Block, bullets, para, table, terms
from privacyops.policy.render.cookies import cookie_categories, cookie_table
from privacyops.policy.schema import Declaration

_Placed = defaultdict[str, list[Block]]


def render_page(decl: Declaration, lang: Lang = "en") -> str:
    """The policy as a standalone HTML ``<article>`` fragment."""
    return wording.render("page.html", **page_context(decl, lang))


def page_context(decl: Declaration, lang: Lang = "en") -> dict[str, Any]:
    placed: _Placed = defaultdict(list)
    for builder in (
        _overview,
        _cookies,
        _collection,
        _usage,
        _sharing,
        _storage,
        _security,
        _rights,
        _app_stores,
        _legal,
        _age,
        _updates,
        _contact,
    ):
        builder(decl, lang, placed)
    meta = decl.policy
    sections = [
        {
            "id": s.id,
            "number": s.id if "." in s.id else f"{s.id}.",
            "title": s.title.get(lang),
            "level": 2 if "." not in s.id else 3,
            "blocks": placed.get(s.id, []),
        }
        for s in decl.sections
    ]
    return {
        "lang": lang,
        "l": wording.labels(lang),
        "title": meta.title.get(lang),
        "version": meta.version,
        "meta": {"version": wording.sentence("version_line", lang, label=meta.label)},
        "effective": wording.long_date(meta.effective_date, lang),
        "effective_iso": meta.effective_date.isoformat(),
        "updated": wording.long_date(meta.last_updated, lang),
        "updated_iso": meta.last_updated.isoformat(),
        "controller": decl.controller.name,
        "sections": sections,
    }


def _overview(decl: Declaration, lang: Lang, placed: _Placed) -> None:
    placed[decl.policy.section].append(para(decl.policy.introduction.get(lang)))
    scope = decl.scope
    placed[scope.section] += [
        terms((s.label.get(lang), s.detail.get(lang)) for s in scope.surfaces),
        para(scope.applicable_users.get(lang)),
        terms((d.term.get(lang), d.meaning.get(lang)) for d in scope.definitions),
    ]


def _collection(decl: Declaration, lang: Lang, placed: _Placed) -> None:
    by_section: dict[str, list[str]] = defaultdict(list)
    for principle in decl.principles:
        by_section[principle.section].append(principle.text.get(lang))
    for section, texts in by_section.items():
        placed[section].append(bullets(texts))
    methods = {m.key: m.label.get(lang) for m in decl.collection_methods}
    purposes = {p.key: p.label.get(lang) for p in decl.purposes}
    cats: dict[str, list[list[str]]] = defaultdict(list)
    for cat in decl.categories:
        cats[cat.section].append(
            [
                cat.label.get(lang),
                cat.description.get(lang),
                wording.pick(wording.SOURCES[cat.source], lang),
                wording.join((methods[m] for m in cat.methods), lang),
                wording.join((purposes[p] for p in cat.purposes), lang),
                wording.yes_no(cat.sensitive, lang),
            ]
        )
    head = [
        wording.label(k, lang)
        for k in ("category", "description", "source", "methods", "purposes", "sensitive")
    ]
    for section, rows in cats.items():
        placed[section].append(table(head, rows, css="data-categories"))
    method_sections: dict[str, list[str]] = defaultdict(list)
    for method in decl.collection_methods:
        method_sections[method.section].append(method.label.get(lang))
    for section, labels in method_sections.items():
        placed[section].append(bullets(labels))


def _cookies(decl: Declaration, lang: Lang, placed: _Placed) -> None:
    policy = decl.cookie_policy
    placed[policy.section] += [
        cookie_categories(decl, lang),
        para(policy.management.get(lang)),
        cookie_table(decl, lang),
    ]


def _usage(decl: Declaration, lang: Lang, placed: _Placed) -> None:
    rows: dict[str, list[list[str]]] = defaultdict(list)
    for p in decl.purposes:
        basis = p.lawful_basis
        rows[p.section].append(
            [
                p.label.get(lang),
                p.description.get(lang),
                wording.yes_no(p.requires_consent, lang),
                wording.pick(wording.GDPR_BASES[basis.gdpr], lang) if basis else "",
                wording.pipl_basis(basis.pipl, lang) if basis else "",
            ]
        )
    head = [
        wording.label(k, lang)
        for k in ("purpose", "description", "consent", "basis_gdpr", "basis_pipl")
    ]
    for section, section_rows in rows.items():
        placed[section].append(table(head, section_rows, css="purposes"))
    auto = decl.automated_decisions
    placed[auto.section].append(bullets(c.text.get(lang) for c in auto.commitments))
    if auto.significant_decisions:
        placed[auto.section].append(
            terms((d.description.get(lang), d.logic.get(lang)) for d in auto.significant_decisions)
        )


def _sharing(decl: Declaration, lang: Lang, placed: _Placed) -> None:
    sharing = decl.sharing
    placed[sharing.section] += [
        para(sharing.no_sale.statement.get(lang)),
        bullets(g.text.get(lang) for g in sharing.grounds),
    ]
    cats = {c.key: c.label.get(lang) for c in decl.categories}
    for r in decl.recipients:
        row = [
            r.label.get(lang),
            r.description.get(lang),
            wording.join((cats[k] for k in r.categories), lang),
            wording.countries(r.countries, lang),
            r.safeguard.get(lang),
        ]
        _append_row(
            placed,
            r.section,
            "recipients",
            row,
            lang,
            ("recipient", "description", "data_shared", "location", "safeguard"),
        )
    placed[sharing.section].append(para(sharing.transfers_statement.get(lang)))
    for t in decl.transfers:
        row = [
            t.description.get(lang),
            wording.countries(t.destinations, lang),
            wording.join((wording.pick(wording.MECHANISMS[m], lang) for m in t.mechanisms), lang),
            t.safeguard.get(lang),
        ]
        _append_row(
            placed,
            t.section,
            "transfers",
            row,
            lang,
            ("transfer", "location", "mechanisms", "safeguard"),
        )


def _append_row(
    placed: _Placed, section: str, css: str, row: list[str], lang: Lang, head: tuple[str, ...]
) -> None:
    """Add a row to the section's table of this kind, starting the table if needed."""
    for existing in placed[section]:
        if existing["kind"] == "table" and existing["css"] == css:
            existing["rows"].append(row)
            return
    placed[section].append(table([wording.label(k, lang) for k in head], [row], css=css))


def _storage(decl: Declaration, lang: Lang, placed: _Placed) -> None:
    storage = decl.storage
    regions = {r.key: r.label.get(lang) for r in storage.regions}
    rows = [
        [
            cat.label.get(lang),
            wording.retention(cat.retention, lang),
            wording.join(
                (regions[k] for k in [cat.storage.primary, *cat.storage.cross_region]), lang
            ),
        ]
        for cat in decl.categories
    ]
    head = [wording.label(k, lang) for k in ("category", "retention", "storage")]
    placed[storage.section] += [
        para(storage.statement.get(lang)),
        para(storage.retention_statement.get(lang)),
        table(head, rows, css="retention"),
    ]


def _security(decl: Declaration, lang: Lang, placed: _Placed) -> None:
    security = decl.security
    placed[security.section].append(bullets(m.text.get(lang) for m in security.measures))
    incident = security.incident_response
    placed[incident.section] += [
        bullets(s.text.get(lang) for s in incident.steps),
        para(wording.sentence("breach_clock", lang, hours=incident.regulator_deadline_hours)),
    ]


def _rights(decl: Declaration, lang: Lang, placed: _Placed) -> None:
    rights = decl.rights
    sla = rights.sla
    channels = {c.key: c for c in decl.contact.channels}
    placed[rights.section] += [
        terms((r.label.get(lang), r.description.get(lang)) for r in rights.items),
        bullets(
            [
                wording.sentence(
                    "data_rights_sla",
                    lang,
                    days=sla.data_rights.days,
                    counting=wording.counting(sla.data_rights.counting, lang),
                ),
                wording.sentence(
                    "inquiry_sla",
                    lang,
                    min_days=sla.general_inquiries.min_days,
                    max_days=sla.general_inquiries.max_days,
                    counting=wording.counting(sla.general_inquiries.counting, lang),
                ),
                rights.identity_verification.text.get(lang),
            ],
            title=wording.label("deadlines", lang),
        ),
        terms(
            ((channels[k].label.get(lang), _reach(decl, channels[k])) for k in rights.channels),
            title=wording.label("channels", lang),
        ),
    ]


def _app_stores(decl: Declaration, lang: Lang, placed: _Placed) -> None:
    apple, play, others = decl.app_stores.apple, decl.app_stores.google_play, decl.app_stores.others
    placed[apple.section].append(bullets(c.text.get(lang) for c in apple.commitments))
    url = decl.controller.website + play.account_deletion_path
    placed[play.section] += [
        bullets(c.text.get(lang) for c in play.commitments),
        para(wording.sentence("account_deletion", lang, url=url)),
        para(
            wording.sentence(
                "age_signals", lang, date=wording.long_date(play.age_signals_from, lang)
            )
        ),
    ]
    if play.sensitive_permissions:
        head = [wording.label("permission", lang), wording.label("why", lang)]
        rows = [
            [p.name.rsplit(".", 1)[-1], p.rationale.get(lang)] for p in play.sensitive_permissions
        ]
        placed[play.section].append(table(head, rows, css="permissions"))
    placed[others.section] += [
        bullets(s.label.get(lang) for s in others.stores),
        para(others.commitment.get(lang)),
    ]


def _legal(decl: Declaration, lang: Lang, placed: _Placed) -> None:
    for regime in decl.legal_compliance.regimes:
        laws = wording.series((law.name.get(lang) for law in regime.laws), lang)
        items = [laws, *(c.text.get(lang) for c in regime.commitments)]
        placed[regime.section].append(bullets(items, title=regime.region.get(lang)))


def _age(decl: Declaration, lang: Lang, placed: _Placed) -> None:
    age = decl.age_policy
    placed[age.section] += [
        para(age.audience.get(lang)),
        para(wording.sentence("minimum_age", lang, age=age.minimum_age)),
        bullets(s.text.get(lang) for s in age.statements),
    ]


def _updates(decl: Declaration, lang: Lang, placed: _Placed) -> None:
    updates = decl.policy_updates
    placed[updates.section] += [
        bullets(s.text.get(lang) for s in updates.statements),
        bullets(c.label.get(lang) for c in updates.channels),
    ]


def _contact(decl: Declaration, lang: Lang, placed: _Placed) -> None:
    controller = decl.controller
    name = controller.name if not controller.name_local or lang == "en" else controller.name_local
    placed[controller.section].append(
        terms(
            [
                (wording.label("controller", lang), name),
                (wording.label("address", lang), controller.address.get(lang)),
                (wording.label("website", lang), controller.website),
                (wording.label("email", lang), " / ".join(controller.emails)),
            ]
        )
    )
    contact = decl.contact
    placed[contact.section] += [
        terms((c.label.get(lang), _reach(decl, c)) for c in contact.channels),
        para(contact.complaint.get(lang)),
    ]


def _reach(decl: Declaration, channel: Channel) -> str:
    """How a reader reaches a channel: a web form's path becomes a full address."""
    if channel.kind == "web_form" and channel.value.startswith("/"):
        return decl.controller.website + channel.value
    return channel.value
