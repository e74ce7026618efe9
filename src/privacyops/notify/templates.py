"""Message templates: what each one needs, the two languages, and rendering with Jinja2.

Each template key has, per language, ``templates/<key>.<lang>.txt`` (blocks
``subject`` and ``body``; the plain-text part and the in-app text) and
``templates/<key>.<lang>.html`` (the HTML part, autoescaped, extending
``_layout.html``). Values are checked against the key's ``TemplateSpec``
before a message is queued, so a typo fails at the caller and not hours
later in the delivery job. Undefined names in a template raise
(``StrictUndefined``) instead of rendering as empty text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
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
    pass_context,
    select_autoescape,
)
from jinja2.runtime import Context

from privacyops.notify.errors import NotifyTemplateError

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

REQUEST_TYPES: dict[str, dict[str, str]] = {
    "access": {"en": "access to your personal information", "zh-CN": "查阅您的个人信息"},
    "portability": {"en": "a copy of your data to take elsewhere", "zh-CN": "转移您的个人信息"},
    "correction": {"en": "correction of your personal information", "zh-CN": "更正您的个人信息"},
    "deletion": {"en": "deletion of your personal information", "zh-CN": "删除您的个人信息"},
    "restriction": {"en": "restriction of processing", "zh-CN": "限制处理"},
    "objection": {"en": "objection to processing", "zh-CN": "反对处理"},
    "withdraw_consent": {"en": "withdrawal of consent", "zh-CN": "撤回同意"},
    "complaint": {"en": "a complaint", "zh-CN": "投诉"},
    "inquiry": {"en": "a question about your data", "zh-CN": "关于个人信息的咨询"},
}

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def resolve_language(language: str) -> str:
    """``en``/``en-GB`` -> ``en``; ``zh``, ``zh-CN``, ``zh_Hans`` and other Chinese -> ``zh-CN``
    (Simplified is the only Chinese we write); anything else falls back to English."""
    tag = language.strip().replace("_", "-").lower()
    if tag == "zh" or tag.startswith("zh-"):
        return "zh-CN"
    return DEFAULT_LANGUAGE


def _as_datetime(value: object) -> date | datetime:
    if isinstance(value, datetime | date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
        except ValueError:
            pass
    raise TemplateError(f"not a date: {value!r}")


@pass_context
def _format_date(context: Context, value: object) -> str:
    """Dates as people read them: ``5 December 2026`` / ``2026年12月5日``; times in UTC."""
    when = _as_datetime(value)
    zh = context.get("lang") == "zh-CN"
    text = (
        f"{when.year}年{when.month}月{when.day}日"
        if zh
        else (f"{when.day} {_MONTHS[when.month - 1]} {when.year}")
    )
    if isinstance(when, datetime):
        at = when.astimezone(UTC) if when.tzinfo else when
        text += f" {at:%H:%M} (UTC)" if zh else f", {at:%H:%M} UTC"
    return text


@pass_context
def _request_type(context: Context, value: str) -> str:
    labels = REQUEST_TYPES.get(value)
    return labels[str(context.get("lang"))] if labels else value


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
    env.filters["date"] = _format_date
    env.filters["request_type"] = _request_type
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
    text_template = _load(f"{key}.{lang}.txt")
    html_template = _load(f"{key}.{lang}.html")
    scope = {**values, "lang": lang}
    try:
        subject = " ".join(_block(text_template, "subject", scope).split())
        text = _block(text_template, "body", scope) + "\n"
        html = html_template.render({**scope, "subject": subject})
    except TemplateError as error:
        raise NotifyTemplateError(f"template {key!r} ({lang}): {error}") from None
    return Rendered(language=lang, subject=subject, text=text, html=html)
