"""The cookie table: every declared cookie with its category, duration and purpose."""

from __future__ import annotations

from typing import Any

from privacyops.policy.base import Lang
from privacyops.policy.render import wording
from privacyops.policy.render.blocks import Block, bullets, table
from privacyops.policy.schema import Declaration


def cookie_rows(decl: Declaration, lang: Lang = "en") -> list[dict[str, Any]]:
    """One dict per cookie; what the consent script and the cookie page both read."""
    rows: list[dict[str, Any]] = []
    for cookie in decl.cookies:
        category = decl.cookie_category(cookie.category)
        purpose = decl.purpose(cookie.purpose)
        lifetime = cookie.max_age_days
        rows.append(
            {
                "name": cookie.name,
                "category": category.key,
                "category_label": category.label.get(lang),
                "requires_consent": category.requires_consent,
                "provider": cookie.provider,
                "first_party": cookie.first_party,
                "domain": cookie.domain,
                "max_age_days": lifetime,
                "duration": wording.label("session", lang)
                if lifetime is None
                else wording.days(lifetime, lang),
                "purpose": purpose.key,
                "purpose_label": purpose.label.get(lang),
                "description": cookie.description.get(lang),
                "section": cookie.section,
            }
        )
    return rows


def cookie_table(decl: Declaration, lang: Lang = "en") -> Block:
    head = [
        wording.label(key, lang)
        for key in ("cookie", "cookie_category", "provider", "duration", "purpose", "description")
    ]
    rows = [
        [
            row["name"],
            row["category_label"],
            row["provider"],
            row["duration"],
            row["purpose_label"],
            row["description"],
        ]
        for row in cookie_rows(decl, lang)
    ]
    return table(head, rows, css="cookie-table")


def cookie_categories(decl: Declaration, lang: Lang = "en") -> Block:
    return bullets(
        f"{c.label.get(lang)}: {c.description.get(lang)}" for c in decl.cookie_policy.categories
    )


def cookies_html(decl: Declaration, lang: Lang = "en") -> str:
    title = decl.section_title(decl.cookie_policy.section, lang)
    blocks = [cookie_categories(decl, lang), cookie_table(decl, lang)]
    return wording.render("fragment.html", css="cookies", lang=lang, title=title, blocks=blocks)
