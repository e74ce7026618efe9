"""The notice a person sees before choosing, and the hash that pins its exact wording.

A consent event stores the notice's SHA-256, not its text; the text is stored once
in `consent_notice`, so a record can always show what the person read (GDPR Art.
7(1), EDPB 05/2020 §4: "what information was shown").
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from privacyops.consent.catalogue import SALE_SHARING, catalogue
from privacyops.consent.models import ConsentNotice
from privacyops.db import utcnow
from privacyops.policy.base import Lang
from privacyops.policy.schema import Declaration
from privacyops.vault import hooks
from privacyops.web.i18n import N_, translations

#: The banner's own words; a notice holds them translated, so its hash pins the wording read.
UI_TEXTS: dict[str, str] = {
    "region": N_("Cookie consent"),
    "title": N_("Your privacy choices"),
    "body": N_(
        "We use necessary cookies to run this site. With your consent we also use analytics and "
        "functional cookies. Accept or reject them, or choose per category; you can change your "
        "mind at any time."
    ),
    "body_opt_out": N_(
        "We use necessary cookies to run this site, and analytics and functional cookies unless "
        "you turn them off. Accept or reject them, or choose per category; you can change your "
        "mind at any time."
    ),
    "accept": N_("Accept all"),
    "reject": N_("Reject all"),
    "preferences": N_("Preferences"),
    "save": N_("Save my choices"),
    "close": N_("Close"),
    "dialog": N_("Cookie preferences"),
    "dialog_body": N_(
        "Choose what you allow. Necessary cookies are always on; switch each of the others on or "
        "off."
    ),
    "always_on": N_("Always on"),
    "cookies": N_("Cookies"),
    "gpc": N_("Opt-Out Preference Signal Honored"),
    "renew": N_(
        "Our privacy policy changed in a way that affects a choice you made. Please choose again."
    ),
    "policy": N_("Privacy policy"),
    "saved": N_("Your choices were saved."),
    "on": N_("allowed"),
    "off": N_("not allowed"),
}


@dataclass(frozen=True)
class Notice:
    version: str
    lang: Lang
    sha256: str
    body: dict[str, Any]


def texts(lang: Lang) -> dict[str, str]:
    """The banner's own words in ``lang``."""
    words = translations(lang)
    return {key: words.gettext(text) for key, text in UI_TEXTS.items()}


def sale_sharing_text(lang: Lang) -> dict[str, str]:
    words = translations(lang)
    return {
        "label": words.gettext("Sale or sharing of personal information, targeted ads"),
        "description": words.gettext(
            "We do not sell or share your personal information or use it for targeted "
            "advertising. Your choice is kept and honoured should that ever change."
        ),
    }


def notice_body(declaration: Declaration, lang: Lang, version: str) -> dict[str, Any]:
    """Everything the banner and its dialog show, in one language, as plain data."""
    cat = catalogue(declaration)
    purposes: dict[str, str] = {p.key: p.label.get(lang) for p in declaration.purposes}
    purposes[SALE_SHARING] = sale_sharing_text(lang)["label"]
    return {
        "controller": declaration.controller.name,
        "policy_version": version,
        "texts": texts(lang),
        "categories": [
            {
                "key": c.key,
                "label": c.label.get(lang),
                "description": c.description.get(lang),
                "required": not c.requires_consent,
                "purposes": list(cat.categories[c.key].purposes),
                "cookies": list(cat.categories[c.key].cookies),
            }
            for c in declaration.cookie_policy.categories
        ],
        "purposes": purposes,
        "sale_sharing": sale_sharing_text(lang),
    }


def digest(body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


_built: dict[tuple[str, str], tuple[Declaration, Notice]] = {}


def notice_for(declaration: Declaration, lang: Lang, version: str) -> Notice:
    """The notice in ``lang`` (built once per declaration, language and version)."""
    cached = _built.get((lang, version))
    if cached is not None and cached[0] is declaration:
        return cached[1]
    body = notice_body(declaration, lang, version)
    built = Notice(version=version, lang=lang, sha256=digest(body), body=body)
    if len(_built) > 64:
        _built.clear()
    _built[(lang, version)] = (declaration, built)
    return built


_known: set[str] = set()


def remember(*, session: Session, notice: Notice) -> None:
    """Store the notice's text once; concurrent writers of the same text do not collide."""
    if notice.sha256 in _known:
        return
    values = {
        "sha256": notice.sha256,
        "version": notice.version,
        "lang": notice.lang,
        "body": notice.body,
        "first_used_at": utcnow(),
    }
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(ConsentNotice).values(**values).on_conflict_do_nothing())
    # Until this transaction commits another request may insert the same text
    # again, which the ON CONFLICT clause makes harmless.
    hooks.after_commit(session, lambda: _known.add(notice.sha256))


def forget_known() -> None:
    """Tests empty the tables between cases; the process-wide memory must follow."""
    _known.clear()


def find(*, session: Session, sha256: str) -> ConsentNotice | None:
    return session.scalar(select(ConsentNotice).where(ConsentNotice.sha256 == sha256))
