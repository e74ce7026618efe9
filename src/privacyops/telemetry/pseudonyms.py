"""Keyed pseudonyms for devices, the per-device signing secret, and its signature check.

Three keys, each derived from the key store's index secret for its own
purpose (HKDF domain separation, ``MasterKeyStore.blind_index_key``), so none
of them can be linked with another or with the identity blind indexes:

- ``telemetry.device``: ``device_key = trunc128(HMAC(k, normalised serial))``,
  the only device identifier the database holds (registry and readings).
  Searching by serial recomputes it; nobody without the key store can go back.
- ``telemetry.export.YYYY-MM``: analytics exports name a device
  ``YYYY-MM.<trunc128(HMAC(k_month, device_key))>``, a different pseudonym each
  calendar month of the reading, so an export links a device's readings within
  a month and never across months, and never carries the serial or the stable
  ``device_key``. (The month keys derive from one secret: whoever holds the key
  store can recompute any month; the rotation protects the exported data.)
- ``telemetry.device_credential``: encrypts each device's signing secret
  (AES-256-GCM, bound to its ``device_key``). The secret must be readable to
  check an HMAC, so it is stored encrypted rather than hashed; a database dump
  without the key directory reveals none.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from privacyops.telemetry.models import DEVICE_KEY_BYTES
from privacyops.vault.blind_index import IdentityKind
from privacyops.vault.crypto import FieldCipher, field_aad
from privacyops.vault.keystore import MasterKeyStore
from privacyops.vault.service import Vault

DEVICE_PURPOSE = "telemetry.device"
CREDENTIAL_PURPOSE = "telemetry.device_credential"
EXPORT_PURPOSE = "telemetry.export.{kid}"
SECRET_PREFIX = "pod_"  # noqa: S105 - a prefix, not a secret
SIGNATURE_PREFIX = "sha256="


def normalized_serial(vault: Vault, serial: str) -> str:
    """Raises ``InvalidIdentityError`` for an empty serial."""
    return vault.normalize(IdentityKind.DEVICE_SERIAL, serial)


def device_key(vault: Vault, serial: str) -> bytes:
    key = vault.keystore.blind_index_key(DEVICE_PURPOSE)
    digest = hmac.digest(key, normalized_serial(vault, serial).encode("utf-8"), "sha256")
    return digest[:DEVICE_KEY_BYTES]


def month_id(moment: datetime) -> str:
    return f"{moment.year:04d}-{moment.month:02d}"


class MonthlyPseudonyms:
    """Export pseudonyms, memoised per (device, month) for the length of one export."""

    def __init__(self, keystore: MasterKeyStore) -> None:
        self._keystore = keystore
        self._keys: dict[str, bytes] = {}
        self._memo: dict[tuple[bytes, str], str] = {}

    def of(self, device: bytes, moment: datetime) -> str:
        kid = month_id(moment)
        found = self._memo.get((device, kid))
        if found is None:
            key = self._keys.get(kid)
            if key is None:
                key = self._keys[kid] = self._keystore.blind_index_key(
                    EXPORT_PURPOSE.format(kid=kid)
                )
            digest = hmac.digest(key, device, "sha256")[:16].hex()
            found = self._memo[(device, kid)] = f"{kid}.{digest}"
        return found


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def _credential_cipher(vault: Vault) -> FieldCipher:
    return FieldCipher(vault.keystore.blind_index_key(CREDENTIAL_PURPOSE))


def _aad(key: bytes) -> bytes:
    return field_aad(key.hex(), "telemetry_device", "credential")


def seal_secret(vault: Vault, key: bytes, secret: str) -> bytes:
    return _credential_cipher(vault).encrypt(secret, aad=_aad(key))


def open_secret(vault: Vault, key: bytes, sealed: bytes) -> bytes:
    """Raises the vault's ``IntegrityError`` if the blob was moved to another device."""
    return _credential_cipher(vault).decrypt(sealed, aad=_aad(key))


def _serial_aad(key: bytes) -> bytes:
    return field_aad(key.hex(), "telemetry_device", "sealed_serial")


def seal_serial(vault: Vault, key: bytes, normalized: str) -> bytes:
    """The normalised serial, for the broker's password file (an MQTT user name is a serial)."""
    return _credential_cipher(vault).encrypt(normalized, aad=_serial_aad(key))


def open_serial(vault: Vault, key: bytes, sealed: bytes) -> str:
    return _credential_cipher(vault).decrypt(sealed, aad=_serial_aad(key)).decode("utf-8")


MQTT_PASSWORD_CONTEXT = b"privacyops mqtt password v1\n"


def mqtt_password(secret: bytes | str, serial: str) -> str:
    """A device's broker password: hex HMAC-SHA256 under its signing secret of a fixed
    context line followed by its normalised serial (so firmware computes it, nothing is sent)."""
    return sign(secret, MQTT_PASSWORD_CONTEXT + serial.encode("utf-8"))


def sign(secret: bytes | str, body: bytes) -> str:
    """What a device sends as ``X-Signature``: hex HMAC-SHA256 of the exact body bytes."""
    raw = secret.encode("utf-8") if isinstance(secret, str) else secret
    return hmac.new(raw, body, hashlib.sha256).hexdigest()


def signature_ok(secret: bytes, body: bytes, presented: str) -> bool:
    """Constant-time comparison; ``sha256=`` in front of the hex digest is accepted."""
    given = presented.strip().removeprefix(SIGNATURE_PREFIX).lower()
    return hmac.compare_digest(sign(secret, body).encode(), given.encode("ascii", "replace"))
