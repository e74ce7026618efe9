"""Message templates: what each one needs, the two languages, and rendering with Jinja2.

Each template key has ``templates/<key>.txt`` (blocks ``subject`` and ``body``;
the plain-text part and the in-app text) and ``templates/<key>.html`` (the HTML
part, autoescaped, extending ``_layout.html``). Their words go through gettext
(the catalogues in ``privacyops/locale``), so one template serves every language.
Values are checked against the key's ``TemplateSpec``
before a message is queued, so a typo fails at the caller and not hours
later in the delivery job. Undefined names in a template raise
(``StrictUndefined``) instead of rendering as empty text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    Template,
    TemplateError,
    TemplateNotFound,
    select_autoescape,
)
from markupsafe import Markup

from privacyops.notify.errors import NotifyTemplateError
from privacyops.web import i18n
from privacyops.web.i18n import N_

TEMPLATE_DIR = Path(__file__).parent / "templates"
DEFAULT_LANGUAGE = "en"
LANGUAGES = ("en", "zh-CN")


@dataclass(frozen=True)
class TemplateSpec:
    required: frozenset[str]
    optional: frozenset[str] = frozenset()
    #: Values that are personal or grant access; accepted only in the encrypted secret context.
    personal: frozenset[str] = frozenset()

    @property
    def known(self) -> frozenset[str]:
        return self.required | self.optional


def _spec(required: str, optional: str = "", personal: str = "") -> TemplateSpec:
    return TemplateSpec(
        frozenset(required.split()), frozenset(optional.split()), frozenset(personal.split())
    )


SPECS: dict[str, TemplateSpec] = {
    "request_received": _spec("request_id request_type due_date status_url"),
    "verification_code": _spec("code expires_at", "request_id", personal="code"),
    "request_extended": _spec("request_id new_due_date reason", "status_url"),
    "request_completed": _spec(
        "request_id request_type actions kept",
        "download_url download_expires_at",
        personal="download_url",
    ),
    "request_expired": _spec("request_id received_at", "privacy_center_url"),
    "request_denied": _spec(
        "request_id request_type reason authority", "authority_url privacy_center_url"
    ),
    "breach_notice": _spec(
        "reference nature categories consequences measures contact",
        "recommendations occurred_at",
    ),
    "policy_update": _spec("version change summary policy_url consent_required", "effective_date"),
    "clock_reminder": _spec("reference title regime audience due_at remaining rule incident_url"),
}

REQUEST_TYPES: dict[str, str] = {
    "access": N_("access to your personal information"),
    "portability": N_("a copy of your data to take elsewhere"),
    "correction": N_("correction of your personal information"),
    "deletion": N_("deletion of your personal information"),
    "restriction": N_("restriction of processing"),
    "objection": N_("objection to processing"),
    "withdraw_consent": N_("withdrawal of consent"),
    "complaint": N_("a complaint"),
    "inquiry": N_("a question about your data"),
}

#: What separates two sentences or a label and its value: a space in English, nothing in Chinese.
GAPS = {"en": " ", "zh-CN": ""}


def resolve_language(language: str) -> str:
    """``en``/``en-GB`` -> ``en``; ``zh``, ``zh-CN``, ``zh_Hans`` and other Chinese -> ``zh-CN``
    (Simplified is the only Chinese we write); anything else falls back to English."""
    tag = language.strip().replace("_", "-").lower()
    if tag == "zh" or tag.startswith("zh-"):
        return "zh-CN"
    return DEFAULT_LANGUAGE


def _format_date(value: object) -> str:
    """Dates as people read them: ``5 December 2026`` / ``2026年12月5日``; times in UTC."""
    try:
        return i18n.format_datetime(value, i18n.current_language())
    except (TypeError, ValueError):
        raise TemplateError(f"not a date: {value!r}") from None


def _request_type(value: str) -> str:
    label = REQUEST_TYPES.get(value)
    return i18n.translations(i18n.current_language()).gettext(label) if label else value


def _strong(value: object) -> Markup:
    return Markup("<strong>%s</strong>") % value


def _link(text: object, href: object = None) -> Markup:
    return Markup('<a href="%s">%s</a>') % (text if href is None else href, text)


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    i18n.install(env)
    env.filters.update(
        {"date": _format_date, "request_type": _request_type, "strong": _strong, "link": _link}
    )
    return env


@dataclass(frozen=True)
class Rendered:
    language: str
    subject: str
    text: str
    html: str


def spec_for(key: str) -> TemplateSpec:
    spec = SPECS.get(key)
    if spec is None:
        raise NotifyTemplateError(
            f"unknown template {key!r}; known: {', '.join(sorted(SPECS))}", field="template"
        )
    return spec


def check_values(key: str, context: Mapping[str, Any], secret: Mapping[str, Any]) -> None:
    """Refuse unknown, missing, doubled or misplaced values for template ``key``."""
    spec = spec_for(key)
    unknown = sorted((set(context) | set(secret)) - spec.known)
    if unknown:
        raise NotifyTemplateError(
            f"template {key!r} has no value named {', '.join(unknown)}", field="context"
        )
    doubled = sorted(set(context) & set(secret))
    if doubled:
        raise NotifyTemplateError(
            f"{', '.join(doubled)} given in both context and secret_context", field="context"
        )
    misplaced = sorted(set(context) & spec.personal)
    if misplaced:
        raise NotifyTemplateError(
            f"{', '.join(misplaced)} is personal: pass it in secret_context", field="context"
        )
    missing = sorted(spec.required - set(context) - set(secret))
    if missing:
        raise NotifyTemplateError(f"template {key!r} needs {', '.join(missing)}", field="context")


def _load(name: str) -> Template:
    try:
        return environment().get_template(name)
    except TemplateNotFound:
        raise NotifyTemplateError(
            f"template file {name} is missing from {TEMPLATE_DIR}", field="template"
        ) from None


def _block(template: Template, name: str, values: dict[str, Any]) -> str:
    block = template.blocks.get(name)
    if block is None:
        raise NotifyTemplateError(f"{template.name} has no block {name!r}", field="template")
    return "".join(block(template.new_context(values))).strip()


def render(key: str, language: str, values: Mapping[str, Any]) -> Rendered:
    """Subject, plain text and HTML of ``key`` in ``language`` (resolved, see above)."""
    spec_for(key)
    lang = resolve_language(language)
    text_template = _load(f"{key}.txt")
    html_template = _load(f"{key}.html")
    scope = {**values, "lang": lang, "gap": GAPS[lang]}
    with i18n.speaking(lang):
        try:
            subject = " ".join(_block(text_template, "subject", scope).split())
            text = _block(text_template, "body", scope) + "\n"
            html = html_template.render({**scope, "subject": subject})
        except TemplateError as error:
            raise NotifyTemplateError(f"template {key!r} ({lang}): {error}") from None
    return Rendered(language=lang, subject=subject, text=text, html=html)
