"""The languages people read: the choice per request, the gettext catalogues, and
locale-aware dates and numbers.

Messages live in ``privacyops/locale/<locale>/LC_MESSAGES/messages.po`` with the
English text as message id; ``make messages`` extracts, updates and compiles them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path

from babel import dates, numbers
from babel.support import NullTranslations, Translations
from fastapi import Request
from jinja2 import Environment

LANGUAGES = ("en", "zh-CN")
LANG_COOKIE = "po_lang"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
#: Our language tags (as in URLs, cookies and stored rows) and the Babel locale of each.
LOCALES = {"en": "en", "zh-CN": "zh_CN"}


def N_(message: str) -> str:  # noqa: N802 - the name pybabel looks for
    """Marks a message for extraction where it is translated later, at display time."""
    return message


def NP_(context: str, message: str) -> tuple[str, str]:  # noqa: N802 - a pybabel keyword
    """Marks a message with a context (``-k NP_:1c,2``), translated later with pgettext."""
    return (context, message)


def pick_language(request: Request) -> str:
    """The `lang` query parameter, then the cookie, then Accept-Language, then English."""
    for candidate in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if candidate in LANGUAGES:
            return candidate
    accept = request.headers.get("accept-language", "").lower()
    return "zh-CN" if accept.startswith("zh") else "en"


def locale_of(lang: str) -> str:
    return LOCALES.get(lang, "en")


class RefusalError(ValueError):
    """A refusal whose text is a message id with ``{name}`` slots that ``values`` fill:
    ``str()`` is the English (API, CLI, logs); ``say`` gives it in a reader's language."""

    def __init__(self, message: str, **values: object) -> None:
        super().__init__(message.format(**values) if values else message)
        self.message_id = message
        self.values = values


def say(lang: str, message: object) -> str:
    """``message`` in ``lang``: a RefusalError is translated, then filled; any other message is
    looked up as written (and shown as is if the catalogue does not know it)."""
    words = translations(lang)
    if isinstance(message, RefusalError):
        return words.gettext(message.message_id).format(**message.values)
    return words.gettext(str(message))


@cache
def translations(lang: str) -> NullTranslations:
    """The compiled catalogue for ``lang``; English text passes through unchanged."""
    return Translations.load(str(LOCALE_DIR), [locale_of(lang)], domain="messages")


def _as_time(value: object) -> date | datetime:
    if isinstance(value, datetime | date):
        return value
    if isinstance(value, str):
        text = value.strip()
        return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    raise TypeError(f"not a date: {value!r}")


def format_date(value: object, lang: str, format: str = "long") -> str:
    """``7 December 2026`` / ``2026年12月7日`` (a datetime is read in UTC)."""
    when = _as_time(value)
    if isinstance(when, datetime):
        when = (when.astimezone(UTC) if when.tzinfo else when).date()
    if format == "long" and lang == "en":
        format = "d MMMM y"
    return dates.format_date(when, format, locale=locale_of(lang))


def format_time(value: datetime, lang: str) -> str:
    return dates.format_time(value.astimezone(UTC), "HH:mm", tzinfo=UTC, locale=locale_of(lang))


def format_datetime(value: object, lang: str) -> str:
    """``7 December 2026, 09:30 UTC`` / ``2026年12月7日 09:30 (UTC)``."""
    when = _as_time(value)
    if not isinstance(when, datetime):
        return format_date(when, lang)
    at = when if when.tzinfo else when.replace(tzinfo=UTC)
    day, time = format_date(at, lang), format_time(at, lang)
    return f"{day} {time} (UTC)" if lang == "zh-CN" else f"{day}, {time} UTC"


def format_decimal(value: float | int, lang: str) -> str:
    return numbers.format_decimal(value, locale=locale_of(lang))


_speaking: ContextVar[str] = ContextVar("privacyops_language", default="en")


@contextmanager
def speaking(lang: str) -> Iterator[None]:
    """Templates rendered inside this block speak ``lang`` (macros and imports included)."""
    token = _speaking.set(lang if lang in LANGUAGES else "en")
    try:
        yield
    finally:
        _speaking.reset(token)


def current_language() -> str:
    return _speaking.get()


def _gettext(message: str) -> str:
    return translations(_speaking.get()).gettext(message)


def _ngettext(singular: str, plural: str, num: int) -> str:
    return translations(_speaking.get()).ngettext(singular, plural, num)


def _pgettext(context: str, message: str) -> str:
    return str(translations(_speaking.get()).pgettext(context, message))


def _npgettext(context: str, singular: str, plural: str, num: int) -> str:
    return translations(_speaking.get()).npgettext(context, singular, plural, num)


def _date_filter(value: object, format: str = "long") -> str:
    return format_date(value, _speaking.get(), format)


def _datetime_filter(value: object) -> str:
    return format_datetime(value, _speaking.get())


def _number_filter(value: float | int) -> str:
    return format_decimal(value, _speaking.get())


def install(env: Environment) -> None:
    """gettext (new style: autoescaped, ``%(name)s``) and ``|date``, ``|datetime``,
    ``|number`` filters on ``env``, in the language of the enclosing `speaking` block."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(  # type: ignore[attr-defined]
        _gettext, _ngettext, newstyle=True, pgettext=_pgettext, npgettext=_npgettext
    )
    env.filters.update(
        {"date": _date_filter, "datetime": _datetime_filter, "number": _number_filter}
    )
