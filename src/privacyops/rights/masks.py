"""Values that erase a field of an external table without breaking the table.

The target system keeps working after an erasure only if every replacement
still has the field's type and fits its length: a masked e-mail is still an
e-mail (``erased-3f9a1c2e@erased.invalid``; ``.invalid`` is reserved by RFC
2606, so nothing is ever delivered to it), a masked phone has the same digit
count and separators, a masked date is a date.

``mask`` is derived from the row (source, table, column, primary key): two
rows of one person get different values, so a unique column stays unique
and the rows no longer link. ``pseudonym`` (the ``hash`` strategy) is derived
from the value: equal values give equal pseudonyms, so rows of one person
still join after erasure, but nobody without the key can test a guess.
Both are HMAC-SHA256 under a key of the key store (never in the database).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from privacyops.collection import network
from privacyops.policy.sources import ExternalField

KEY_PURPOSE = "rights.external_erasure"
EMAIL_DOMAIN = "erased.invalid"
SHORT_EMAIL_DOMAIN = "x.invalid"
TEXT_MASK = "[erased]"
URL_MASK = "https://erased.invalid/"


class MaskError(ValueError):
    """No replacement of the field's type fits its length."""


def _digest(secret: bytes, *parts: str) -> str:
    message = "\x00".join(parts).encode("utf-8")
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def _fit_hex(prefix: str, digest: str, limit: int | None, *, least: int = 4, cap: int = 16) -> str:
    """``prefix`` and up to ``cap`` hex digits (64 bits: unique per table) within ``limit``."""
    room = cap if limit is None else min(cap, limit - len(prefix))
    if room < least:
        raise MaskError(f"a length limit of {limit} leaves no room for a replacement")
    return prefix + digest[:room]


def _email(prefixes: tuple[str, ...], digest: str, limit: int | None) -> str:
    """The longest-readable e-mail that fits: ``erased-<hex>@erased.invalid`` down to
    ``e<hex>@x.invalid`` (15 characters, the declaration's minimum)."""
    for domain in (EMAIL_DOMAIN, SHORT_EMAIL_DOMAIN):
        room = None if limit is None else limit - len(domain) - 1
        for prefix in prefixes:
            if room is None or room >= len(prefix) + 4:
                return f"{_fit_hex(prefix, digest, room)}@{domain}"
    raise MaskError(f"an e-mail does not fit in {limit} characters")


def _phone(original: str, digest: str) -> str:
    """Same length, same separators and leading ``+``; every digit replaced."""
    digits = iter(str(int(digest, 16)))
    out = [next(digits) if ch.isdigit() else ch for ch in original]
    return "".join(out)


def _text_limit(field: ExternalField, column_length: int | None) -> int | None:
    limits = [n for n in (field.max_length, column_length) if n is not None]
    return min(limits) if limits else None


def mask(
    field: ExternalField,
    value: Any,
    *,
    secret: bytes,
    row_key: str,
    column_length: int | None = None,
) -> Any:
    """A per-row replacement of ``value`` with the field's type and length."""
    if value is None:
        return None
    limit = _text_limit(field, column_length)
    digest = _digest(secret, "mask", field.name, row_key)
    kind = field.type
    if kind == "email":
        return _email(("erased-", "e"), digest, limit)
    if kind == "phone":
        return _phone(str(value), digest)
    if kind == "identifier":
        return _fit_hex("erased-", digest, limit)
    if kind in ("string", "text"):
        return TEXT_MASK if limit is None or limit >= len(TEXT_MASK) else "*" * min(limit, 3)
    if kind == "url":
        if limit is not None and limit < len(URL_MASK):
            raise MaskError(f"a URL does not fit in {limit} characters")
        return URL_MASK
    if kind in ("integer", "number"):
        return Decimal(0) if isinstance(value, Decimal) else type(value)(0)
    if kind == "datetime" and isinstance(value, datetime):
        return value.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    if kind in ("date", "datetime") and isinstance(value, date):
        return value.replace(month=1, day=1)
    if kind == "ip_address":
        return network.truncate(str(value))
    raise MaskError(f"a {kind} value of type {type(value).__name__} cannot be masked")


def pseudonym(
    field: ExternalField, value: Any, *, secret: bytes, column_length: int | None = None
) -> Any:
    """A keyed replacement equal for equal values, with the field's type and length."""
    if value is None:
        return None
    limit = _text_limit(field, column_length)
    text = str(value)
    if field.type == "email":
        text = text.strip().lower()
    digest = _digest(secret, "hash", field.type, text)
    if field.type == "email":
        return _email(("h",), digest, limit)
    if field.type == "phone":
        return _phone(text, digest)
    if field.type in ("string", "text", "identifier"):
        return _fit_hex("", digest, limit, least=8)
    raise MaskError(f"a {field.type} value cannot be hashed")


def fits(field: ExternalField, column_length: int | None) -> str | None:
    """Why the field's strategy cannot work with the real column, or None when it can."""
    if field.erase not in ("mask", "hash") or column_length is None:
        return None
    probe: dict[str, Any] = {
        "email": "someone@example.com",
        "phone": "1" * min(column_length, 11),
        "identifier": "id",
        "string": "text",
        "text": "text",
        "url": "https://example.com/",
        "ip_address": "192.0.2.1",
    }
    if field.type not in probe:
        return None
    try:
        if field.erase == "mask":
            out = mask(
                field, probe[field.type], secret=b"k", row_key="1", column_length=column_length
            )
        else:
            out = pseudonym(field, probe[field.type], secret=b"k", column_length=column_length)
    except MaskError as error:
        return str(error)
    if isinstance(out, str) and len(out) > column_length:
        return (
            f"its {field.erase} value needs {len(out)} characters, the column holds {column_length}"
        )
    return None
