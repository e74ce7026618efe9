"""The access package's readable summary, written in the request's language.

The data subject reads it, so it follows the language the request was made in
(stored on the request), never the console's: the gettext catalogue gives the
fixed text, the declaration gives each category's own wording in both languages.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from privacyops.policy.base import Lang
from privacyops.policy.schema import Declaration
from privacyops.rights.executors.export import SectionInfo, retention_text
from privacyops.web import i18n

_TEMPLATES = Path(__file__).parent / "templates"


def summary_language(request_language: str) -> Lang:
    """Our language tag for a request's stored language (``zh``, ``zh-CN``… read as Chinese)."""
    return "zh-CN" if request_language.lower().startswith("zh") else "en"


@cache
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(_TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    i18n.install(env)
    return env


def _facts(declaration: Declaration, key: str | None, lang: Lang) -> dict[str, Any] | None:
    """Why a category is held, who receives it, how long it is kept; None if undeclared."""
    if key is None:
        return None
    try:
        decl = declaration.category(key)
    except KeyError:
        return None
    return {
        "description": decl.description.get(lang),
        "purposes": [declaration.purpose(p).label.get(lang) for p in decl.purposes],
        "recipients": [declaration.recipient(r).label.get(lang) for r in decl.recipients],
        "retention": retention_text(decl, lang),
        "source": decl.source,
    }


def render_summary(
    *,
    declaration: Declaration,
    request_id: str,
    generated_at: datetime,
    expires_at: datetime,
    sections: Sequence[SectionInfo],
    language: str,
) -> str:
    lang = summary_language(language)
    zh = lang == "zh-CN"
    controller = declaration.controller
    with i18n.speaking(lang):
        return (
            _environment()
            .get_template("package_summary.html")
            .render(
                lang=lang,
                controller=(controller.name_local or controller.name) if zh else controller.name,
                complaint=declaration.contact.complaint.get(lang),
                request_id=request_id,
                generated_at=i18n.format_datetime(generated_at, lang),
                expires_at=i18n.format_datetime(expires_at, lang),
                sections=[
                    {
                        "label": s.label_zh if zh else s.label_en,
                        "records": s.records,
                        "files": s.files,
                        "facts": _facts(declaration, s.category, lang),
                    }
                    for s in sections
                ],
                separator="、" if zh else ", ",
            )
        )
