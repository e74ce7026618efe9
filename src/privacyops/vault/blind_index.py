"""Keyed blind indexes over normalised identity values.

An identity (e-mail, phone, device serial, account id, cookie id) is stored
encrypted under the subject's data key, so the database cannot search it.
Beside it we store ``HMAC-SHA256(k_kind, normalise(value))``, truncated: equal
identities give equal indexes, so "which subject owns alice@example.com?" is
one indexed lookup, while the database (and its backups) holds nothing that
can be reversed or brute-forced without the key.

Keys. Each kind has its own HMAC key, derived from the key store's index
secret with the purpose ``identity.<kind>``. The same string as an account id
and as a cookie id therefore gives unrelated indexes, and a leak of one
column's key says nothing about the others. The index secret is not rotated
with the wrapping keys, so indexes stay valid across ``rotate()``.

Length. 16 bytes by default, 32 at most, 16 at least. CipherSweet truncates
much harder (to a few bits more than log2 of the row count), deliberately
creating false matches that blur frequency analysis. That suits searching a
column; our indexes decide *whose* data a request or a connector touches,
and a false match would hand one person's data to another. At 128 bits a
collision is not expected before about 2**64 values.

Leakage. Equal values show as equal indexes, exactly like deterministic
encryption: someone who holds the database and the key can test a guessed
e-mail. So the index secret never enters the database, and erasing a
subject nulls its index columns together with deleting its data key (see
``shredder``): otherwise HMAC(email) would still link a known e-mail to the
erased rows.

Normalisation decides what "equal" means; it is part of the index format.
Changing a rule changes indexes and requires re-indexing from plaintext, so
every rule is documented on its function and pinned by tests.
"""

from __future__ import annotations

import hmac
import re
import unicodedata
from enum import StrEnum

from privacyops.vault.errors import InvalidIdentityError
from privacyops.vault.keystore import MasterKeyStore

DEFAULT_INDEX_BYTES = 16
MIN_INDEX_BYTES = 16
MAX_INDEX_BYTES = 32
DEFAULT_COUNTRY_CODE = "86"

_PHONE_SEPARATORS = re.compile(r"[\s\-.()/\u2010-\u2015]")
_COUNTRY_CODE = re.compile(r"[1-9][0-9]{0,2}")
_WHITESPACE = re.compile(r"\s")


class IdentityKind(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    DEVICE_SERIAL = "device_serial"
    ACCOUNT_ID = "account_id"
    COOKIE_ID = "cookie_id"


def normalize_email(value: str) -> str:
    """``" Alice@Example.COM "`` -> ``"alice@example.com"``.

    Rules: Unicode NFKC (full-width input from CJK keyboards becomes ASCII),
    trim, lower-case the whole address, drop a trailing dot of the domain,
    encode the domain with IDNA (``bücher.de`` -> ``xn--bcher-kva.de``,
    stdlib codec, IDNA 2003). The local part is lower-cased although RFC 5321
    allows case-sensitive mailboxes: no provider we meet uses that, and users
    type their address in any case. Dots and ``+tags`` are kept: removing
    them is right for some providers and merges different people at others.
    """
    text = unicodedata.normalize("NFKC", value).strip()
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain or _WHITESPACE.search(text):
        raise InvalidIdentityError(f"not an e-mail address: {value!r}")
    domain = domain.rstrip(".").lower()
    if domain.isascii():
        # What the IDNA codec does to ASCII labels (check 1..63 characters),
        # without its cost: most addresses take this path.
        if not all(0 < len(label) < 64 for label in domain.split(".")):
            raise InvalidIdentityError(f"invalid e-mail domain: {value!r}")
    else:
        try:
            domain = domain.encode("idna").decode("ascii").lower()
        except UnicodeError:
            raise InvalidIdentityError(f"invalid e-mail domain: {value!r}") from None
    return f"{local.lower()}@{domain}"


def normalize_phone(value: str, *, default_country_code: str = DEFAULT_COUNTRY_CODE) -> str:
    """Reduce a phone number to ``+<country code><number>`` (E.164 shape).

    With the default country code 86, ``"+86 138-1234-5678"``,
    ``"0086 13812345678"``, ``"8613812345678"`` and ``"13812345678"`` all
    become ``"+8613812345678"``.

    Rules, in order (deliberately simple; no numbering-plan database):

    1. NFKC, trim; remove spaces, hyphens and dashes, dots, slashes and
       brackets; a written trunk ``(0)`` after ``+cc`` is dropped.
    2. A leading ``+`` means the country code follows.
    3. Else a leading ``00`` (international call prefix) is replaced by ``+``.
    4. Else digits that already start with the default country code and are
       longer than 10 digits are taken as international without the ``+``.
       (Holds for 86, 1, 44 and the like: national numbers there do not start
       with the country code at that length.)
    5. Else the number is national: one trunk ``0`` is dropped and the
       default country code is prefixed. Italy, which keeps its leading 0,
       is the known exception: give such numbers with ``+39``.

    The result must have 7 to 15 digits (E.164 limit) and only ASCII digits;
    extensions and letters are refused rather than guessed.
    """
    code = default_country_code.removeprefix("+")
    if not _COUNTRY_CODE.fullmatch(code):
        raise ValueError(f"invalid default country code {default_country_code!r}")
    text = unicodedata.normalize("NFKC", value).strip()
    international = text.startswith("+")
    if international:
        text = text[1:].replace("(0)", "", 1)
    digits = _PHONE_SEPARATORS.sub("", text)
    if not digits or not (digits.isascii() and digits.isdigit()):
        raise InvalidIdentityError(f"not a phone number: {value!r}")
    if not international:
        if digits.startswith("00"):
            digits = digits[2:]
        elif not (digits.startswith(code) and len(digits) > 10):
            digits = code + digits.removeprefix("0")
    if not 7 <= len(digits) <= 15 or digits.startswith("0"):
        raise InvalidIdentityError(f"not a phone number: {value!r}")
    return "+" + digits


def normalize_device_serial(value: str) -> str:
    """NFKC, trim, upper-case. Inner dashes and colons are part of a serial and kept."""
    text = unicodedata.normalize("NFKC", value).strip().upper()
    if not text:
        raise InvalidIdentityError("empty device serial")
    return text


def normalize_opaque_id(value: str) -> str:
    """Account and cookie ids are opaque and case-sensitive: trim only."""
    text = value.strip()
    if not text:
        raise InvalidIdentityError("empty identifier")
    return text


class BlindIndexer:
    """Computes blind indexes; one instance per process is enough (it caches the keys)."""

    def __init__(
        self,
        keystore: MasterKeyStore,
        *,
        length: int = DEFAULT_INDEX_BYTES,
        default_country_code: str = DEFAULT_COUNTRY_CODE,
    ) -> None:
        if not MIN_INDEX_BYTES <= length <= MAX_INDEX_BYTES:
            raise ValueError(f"index length must be {MIN_INDEX_BYTES}..{MAX_INDEX_BYTES} bytes")
        normalize_phone("13800000000", default_country_code=default_country_code)  # validates
        self._keystore = keystore
        self._length = length
        self._country_code = default_country_code
        self._keys: dict[IdentityKind, bytes] = {}

    @property
    def length(self) -> int:
        return self._length

    def normalize(self, kind: IdentityKind | str, value: str) -> str:
        """The canonical text that is indexed (also what should be stored encrypted)."""
        kind = IdentityKind(kind)
        if kind is IdentityKind.EMAIL:
            return normalize_email(value)
        if kind is IdentityKind.PHONE:
            return normalize_phone(value, default_country_code=self._country_code)
        if kind is IdentityKind.DEVICE_SERIAL:
            return normalize_device_serial(value)
        return normalize_opaque_id(value)

    def index(self, kind: IdentityKind | str, value: str) -> bytes:
        """Blind index of ``value`` as an identity of ``kind`` (normalised first)."""
        kind = IdentityKind(kind)
        return self.index_normalized(kind, self.normalize(kind, value))

    def index_normalized(self, kind: IdentityKind, normalized: str) -> bytes:
        """Blind index of a value that is already canonical (skips normalisation)."""
        key = self._keys.get(kind)
        if key is None:
            key = self._keys[kind] = self._keystore.blind_index_key(f"identity.{kind.value}")
        return hmac.digest(key, normalized.encode("utf-8"), "sha256")[: self._length]
