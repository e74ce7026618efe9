"""Field encryption: AES-256-GCM under a per-subject data key.

Blob layout (version 1, 29 bytes of overhead per field)::

    0x01 | nonce (12 random bytes) | ciphertext | tag (16 bytes)

Why AAD. GCM proves a blob was written with this key, but not *where* it
was written. Within one subject the key is the same for every field, so
someone with write access to the database could swap the encrypted e-mail
into the phone column, or replace a current value with an older blob of
another field, and decryption would succeed. Across subjects the different
keys already refuse a moved blob, but only as long as keys are never shared
(a subject merge, a restore into another row). The associated data names
subject, category and field, so a blob decrypts only in the place it was
written for; anywhere else it raises ``IntegrityError``. Build it with
``field_aad``. (The wrapped data key is bound to its subject the same way,
through the ``context`` of ``MasterKeyStore.wrap``.) It does not stop a
rollback to an older blob of the *same* field; that would need a row version
in the AAD.

Nonces are random 96-bit values. Under one data key that is safe far beyond
the number of fields a single subject will ever have (the usual bound is
2**32 encryptions per key).
"""

from __future__ import annotations

import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from privacyops.vault.errors import (
    IntegrityError,
    KeyDestroyedError,
    UnsupportedFormatError,
    VaultError,
)
from privacyops.vault.keystore import DATA_KEY_BYTES

__all__ = [
    "FIELD_FORMAT_VERSION",
    "FieldCipher",
    "IntegrityError",
    "KeyDestroyedError",
    "UnsupportedFormatError",
    "VaultError",
    "decrypt_field",
    "encrypt_field",
    "field_aad",
    "new_data_key",
]

FIELD_FORMAT_VERSION = 1
_VERSION_BYTE = bytes((FIELD_FORMAT_VERSION,))
_NONCE_BYTES = 12
_TAG_BYTES = 16
_MIN_BLOB = 1 + _NONCE_BYTES + _TAG_BYTES
_AAD_PREFIX = b"privacyops/field/v1"


def new_data_key() -> bytes:
    """A fresh random 256-bit data key for one subject."""
    return secrets.token_bytes(DATA_KEY_BYTES)


def field_aad(subject_id: str, category: str, field: str) -> bytes:
    """Associated data binding a blob to one subject, data category and field.

    Each part is length-prefixed, so ("ab", "c") and ("a", "bc") can never
    produce the same bytes.
    """
    out = bytearray(_AAD_PREFIX)
    for part in (subject_id, category, field):
        if not part:
            raise ValueError("subject_id, category and field must all be non-empty")
        raw = part.encode("utf-8")
        out += len(raw).to_bytes(2, "big") + raw
    return bytes(out)


class FieldCipher:
    """AES-256-GCM bound to one data key.

    Building the underlying ``AESGCM`` object costs about as much as one
    encryption, so code that handles several fields of one subject builds a
    ``FieldCipher`` once (``DataKeyCache`` holds them) instead of passing raw
    key bytes to ``encrypt_field`` each time.
    """

    __slots__ = ("_aead",)

    def __init__(self, data_key: bytes) -> None:
        if len(data_key) != DATA_KEY_BYTES:
            raise ValueError(f"data key must be {DATA_KEY_BYTES} bytes")
        self._aead = AESGCM(data_key)

    def __repr__(self) -> str:
        return "FieldCipher(<key hidden>)"

    def encrypt(self, plaintext: bytes | str, *, aad: bytes) -> bytes:
        if isinstance(plaintext, str):
            plaintext = plaintext.encode("utf-8")
        if not aad:
            raise ValueError("aad is required; build it with field_aad()")
        nonce = secrets.token_bytes(_NONCE_BYTES)
        return _VERSION_BYTE + nonce + self._aead.encrypt(nonce, plaintext, aad)

    def decrypt(self, blob: bytes, *, aad: bytes) -> bytes:
        if len(blob) < _MIN_BLOB:
            raise IntegrityError(f"field blob too short ({len(blob)} bytes)")
        if blob[0] != FIELD_FORMAT_VERSION:
            raise UnsupportedFormatError(f"unknown field format version {blob[0]}")
        try:
            return self._aead.decrypt(blob[1 : 1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES :], aad)
        except InvalidTag:
            raise IntegrityError(
                "field failed authentication: tampered, wrong key, or moved to another "
                "subject/category/field"
            ) from None


def _cipher(data_key: bytes | FieldCipher) -> FieldCipher:
    return data_key if isinstance(data_key, FieldCipher) else FieldCipher(data_key)


def encrypt_field(data_key: bytes | FieldCipher, plaintext: bytes | str, *, aad: bytes) -> bytes:
    """Encrypt one field value (``str`` is encoded as UTF-8)."""
    return _cipher(data_key).encrypt(plaintext, aad=aad)


def decrypt_field(data_key: bytes | FieldCipher, blob: bytes, *, aad: bytes) -> bytes:
    """Decrypt one field value; raises ``IntegrityError`` unless ``aad`` matches exactly."""
    return _cipher(data_key).decrypt(blob, aad=aad)
