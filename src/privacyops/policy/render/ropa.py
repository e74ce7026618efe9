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

COLUMNS: dict[str, tuple[str, str]] = {
    "controller": ("Controller", "个人信息处理者"),
    "controller_contact": ("Controller contact", "处理者联系方式"),
    "category_key": ("Category key", "类别标识"),
    "category": ("Data category", "信息类别"),
    "fides_category": ("Taxonomy category", "分类体系类别"),
    "fields": ("Fields", "字段"),
    "sensitive": ("Sensitive", "敏感信息"),
    "data_subjects": ("Data subjects", "个人信息主体"),
    "source": ("Source", "来源"),
    "purpose_key": ("Purpose key", "目的标识"),
    "purpose": ("Purpose", "处理目的"),
    "fides_use": ("Taxonomy use", "分类体系用途"),
    "lawful_basis_gdpr": ("Lawful basis (GDPR)", "法律依据（GDPR）"),
    "lawful_basis_pipl": ("Lawful basis (PIPL)", "法律依据（个人信息保护法）"),
    "consent_required": ("Consent required", "是否需要同意"),
    "recipients": ("Recipients", "接收方"),
    "transfers": ("Cross-border transfers", "跨境传输"),
    "safeguards": ("Transfer safeguards", "跨境传输保护措施"),
    "storage_regions": ("Storage regions", "存储地区"),
    "retention": ("Retention", "保存期限"),
    "retention_rule": ("Retention rule", "保存规则"),
    "security_measures": ("Security measures", "安全措施"),
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
    title = "Records of processing activities" if lang == "en" else "个人信息处理活动记录"
    blocks = [table(head, body, css="ropa")]
    return wording.render("fragment.html", css="ropa", lang=lang, title=title, blocks=blocks)
