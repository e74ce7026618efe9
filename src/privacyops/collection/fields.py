"""Check one submitted value against the field the declaration names for it.

Values are stored as text in the vault, so each check also returns the canonical
text form (an ISO date, a trimmed string, an upper-case country code).
"""

from __future__ import annotations

import ipaddress
import re
from datetime import date, datetime

from privacyops.policy.schema import FieldDecl

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
PHONE = re.compile(r"^\+?[0-9][0-9 ()\-]{5,30}$")
COUNTRY = re.compile(r"^[A-Z]{2}$")
IDENTIFIER = re.compile(r"^[A-Za-z0-9._:\-]+$")
URL = re.compile(r"^https?://[^\s]+$")
DEFAULT_TEXT_LIMIT = 20_000


class FieldValueError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def _text(decl: FieldDecl, raw: object) -> str:
    if not isinstance(raw, str):
        raise FieldValueError(decl.name, "must be a string")
    value = raw.strip()
    if "\x00" in value:
        raise FieldValueError(decl.name, "must not contain NUL characters")
    limit = decl.max_length or DEFAULT_TEXT_LIMIT
    if len(value) > limit:
        raise FieldValueError(decl.name, f"must be at most {limit} characters")
    if decl.required and not value:
        raise FieldValueError(decl.name, "must not be empty")
    return value


def _number(decl: FieldDecl, raw: object) -> str:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise FieldValueError(decl.name, "must be a number")
    if decl.type == "integer" and not isinstance(raw, int):
        raise FieldValueError(decl.name, "must be a whole number")
    return repr(raw)


def _dated(decl: FieldDecl, raw: object) -> str:
    text = _text(decl, raw)
    try:
        if decl.type == "date":
            return date.fromisoformat(text).isoformat()
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise FieldValueError(decl.name, f"must be an ISO 8601 {decl.type}") from None
    if moment.tzinfo is None:
        raise FieldValueError(decl.name, "must carry a time zone (e.g. 2026-01-31T09:00:00Z)")
    return moment.isoformat()


_PATTERNS = {
    "email": (EMAIL, "must be an e-mail address"),
    "phone": (PHONE, "must be a phone number"),
    "identifier": (IDENTIFIER, "may contain only letters, digits and . _ : -"),
    "url": (URL, "must be an http(s) URL"),
}


def check_value(decl: FieldDecl, raw: object) -> str:
    """The canonical text of `raw` for field `decl`, or FieldValueError saying what is wrong."""
    if decl.type in ("integer", "number"):
        return _number(decl, raw)
    if decl.type == "boolean":
        if not isinstance(raw, bool):
            raise FieldValueError(decl.name, "must be true or false")
        return "true" if raw else "false"
    if decl.type in ("date", "datetime"):
        return _dated(decl, raw)
    value = _text(decl, raw)
    if decl.type in _PATTERNS:
        pattern, message = _PATTERNS[decl.type]
        if not pattern.match(value):
            raise FieldValueError(decl.name, message)
    elif decl.type == "country":
        value = value.upper()
        if not COUNTRY.match(value):
            raise FieldValueError(decl.name, "must be an ISO 3166 two-letter country code")
    elif decl.type == "enum":
        if value not in (decl.choices or []):
            raise FieldValueError(decl.name, f"must be one of {', '.join(decl.choices or [])}")
    elif decl.type == "ip_address":
        try:
            ipaddress.ip_address(value)
        except ValueError:
            raise FieldValueError(decl.name, "must be an IP address") from None
    return value
