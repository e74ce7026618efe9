"""Masked views of personal values for staff without ``subjects.read_personal``.

A mask keeps just enough to recognise a value on the phone with its owner
(``a***@example.com``, ``138****5678``) and keeps its shape, so a masked
e-mail still looks like an e-mail. It never reveals the length of free text.
"""

from __future__ import annotations

import re

_PHONE_CHARS = re.compile(r"^\+?[0-9 ()./-]{7,}$")
_PHONE_FIELDS = frozenset({"phone", "mobile", "telephone", "phone_number"})
_EMAIL_FIELDS = frozenset({"email", "email_address"})
STARS = "***"


def mask_email(value: str) -> str:
    """``alice@example.com`` -> ``a***@example.com``."""
    local, at, domain = value.strip().rpartition("@")
    if not at or not local:
        return mask_text(value)
    return f"{local[0]}{STARS}@{domain}"


def mask_phone(value: str) -> str:
    """Hide the four digits before the last four: ``13812345678`` -> ``138****5678``.

    ``+8613812345678`` -> ``+86138****5678``. Separators are dropped. Numbers
    shorter than nine digits keep only their last two digits.
    """
    text = value.strip()
    plus = "+" if text.startswith("+") else ""
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) < 9:
        return plus + "*" * max(len(digits) - 2, 1) + digits[-2:]
    return f"{plus}{digits[:-8]}****{digits[-4:]}"


def mask_text(value: str) -> str:
    """First character and a fixed run of stars: ``Alice Zhang`` -> ``A***``."""
    text = value.strip()
    return f"{text[0]}{STARS}" if len(text) > 1 else STARS


def mask_value(field: str, value: str) -> str:
    """The mask for a value of ``field``, chosen by the field's name, else by the value's shape."""
    name = field.lower()
    if name in _EMAIL_FIELDS or (name not in _PHONE_FIELDS and "@" in value):
        return mask_email(value)
    if name in _PHONE_FIELDS or _PHONE_CHARS.fullmatch(value.strip()):
        return mask_phone(value)
    return mask_text(value)
