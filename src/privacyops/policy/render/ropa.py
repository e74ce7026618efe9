"""Records of processing activities (GDPR art. 30, PIPL art. 54-55 records).

One row per data category and purpose: who the controller is, on what legal
basis, about whom, who receives it, whether it leaves the country and under
which safeguard, how long it is kept and how it is protected.
"""

from __future__ import annotations

import csv
import io

from privacyops.policy.base import Lang
from privacyops.policy.render import wording
from privacyops.policy.render.blocks import table
from privacyops.policy.retention import AccountLife, ConsentLife, Fixed, Legal
from privacyops.policy.schema import Declaration
from privacyops.web.i18n import N_, NP_

#: Column keys (the CSV header, stable) and the heading each has in the HTML table.
COLUMNS: dict[str, wording.Message] = {
    "controller": N_("Controller"),
    "controller_contact": N_("Controller contact"),
    "category_key": N_("Category key"),
    "category": N_("Data category"),
    "fides_category": N_("Taxonomy category"),
    "fields": N_("Fields"),
    "sensitive": N_("Sensitive"),
    "data_subjects": N_("Data subjects"),
    "source": N_("Source"),
    "purpose_key": N_("Purpose key"),
    "purpose": NP_("records of processing", "Purpose"),
    "fides_use": N_("Taxonomy use"),
    "lawful_basis_gdpr": N_("Lawful basis (GDPR)"),
    "lawful_basis_pipl": N_("Lawful basis (PIPL)"),
    "consent_required": N_("Consent required"),
    "recipients": N_("Recipients"),
    "transfers": N_("Cross-border transfers"),
    "safeguards": N_("Transfer safeguards"),
    "storage_regions": N_("Storage regions"),
    "retention": N_("Retention"),
    "retention_rule": N_("Retention rule"),
    "security_measures": N_("Security measures"),
}


def ropa_rows(decl: Declaration, lang: Lang = "en") -> list[dict[str, str]]:
    controller = decl.controller
    contact = wording.join([controller.address.get(lang), *controller.emails], lang)
    subjects = {s.key: s.label.get(lang) for s in decl.data_subjects}
    regions = {r.key: r.label.get(lang) for r in decl.storage.regions}
    security = wording.join((m.text.get(lang) for m in decl.security.measures), lang)
    rows = []
    for use in decl.uses():
        cat, purpose, basis = use.category, use.purpose, use.basis
        transfers = [decl.transfer(k) for k in cat.transfers]
        rows.append(
            {
                "controller": controller.name,
                "controller_contact": contact,
                "category_key": cat.key,
                "category": cat.label.get(lang),
                "fides_category": cat.fides_category,
                "fields": wording.series((f.name for f in cat.fields), lang),
                "sensitive": wording.yes_no(cat.sensitive, lang),
                "data_subjects": wording.series((subjects[s] for s in cat.subjects), lang),
                "source": wording.pick(wording.SOURCES[cat.source], lang),
                "purpose_key": purpose.key,
                "purpose": purpose.label.get(lang),
                "fides_use": purpose.fides_use,
                "lawful_basis_gdpr": wording.pick(wording.GDPR_BASES[basis.gdpr], lang),
                "lawful_basis_pipl": wording.pipl_basis(basis.pipl, lang),
                "consent_required": wording.yes_no(
                    purpose.requires_consent or basis.uses_consent(), lang
                ),
                "recipients": wording.join((r.label.get(lang) for r in use.recipients), lang),
                "transfers": wording.join(
                    (
                        f"{t.description.get(lang)} ({wording.countries(t.destinations, lang)})"
                        for t in transfers
                    ),
                    lang,
                ),
                "safeguards": wording.join((t.safeguard.get(lang) for t in transfers), lang),
                "storage_regions": wording.join(
                    (regions[k] for k in [cat.storage.primary, *cat.storage.cross_region]), lang
                ),
                "retention": wording.retention(cat.retention, lang),
                "retention_rule": _rule(cat.retention),
                "security_measures": security,
            }
        )
    return rows


def _rule(rule: AccountLife | ConsentLife | Fixed | Legal) -> str:
    """The rule as a compact, language-neutral string, e.g. ``fixed:365d``."""
    match rule:
        case AccountLife(grace_days=grace) | ConsentLife(grace_days=grace):
            return f"{rule.kind}+{grace}d"
        case Fixed(days=days):
            return f"fixed:{days}d"
        case Legal(years=years, law=law):
            return f"legal:{years}y ({law})"


def ropa_csv(decl: Declaration, lang: Lang = "en") -> str:
    """The records as CSV; the header row holds the stable column keys."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(ropa_rows(decl, lang))
    return out.getvalue()


def ropa_html(decl: Declaration, lang: Lang = "en") -> str:
    rows = ropa_rows(decl, lang)
    head = [wording.pick(COLUMNS[key], lang) for key in COLUMNS]
    body = [[row[key] for key in COLUMNS] for row in rows]
    title = wording.pick(N_("Records of processing activities"), lang)
    blocks = [table(head, body, css="ropa")]
    return wording.render("fragment.html", css="ropa", lang=lang, title=title, blocks=blocks)
