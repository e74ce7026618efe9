"""Sealing of a message's personal parts: the recipient address and the secret context.

Why not the subject's data key. A message often has to outlive its subject's
key: the notice that confirms an erasure is queued in the transaction that
destroys the key and delivered after it. So each message is sealed under one
notify key instead, and its personal parts are readable only while the
message is pending: delivery nulls both ciphertexts once the message is sent
or suppressed (a failed one keeps them so it can be requeued after an outage,
until ``service.forget_subject``). What stays is the address's blind index,
for the suppression list and as proof of which address was notified.

The key. AES-256-GCM under a key derived with HKDF (SHA-256) from the key
store's index secret, through ``MasterKeyStore.blind_index_key`` with its own
purpose, then once more with an ``info`` naming this use, so it is independent
of every blind-index key. That secret lives outside the database and is never
rotated with the wrapping keys, so a pending message stays readable across a
master key rotation. The cost: a database backup taken while a message was
pending, together with the key store, reveals that message's address.

Blob layout: ``0x01 | nonce (12) | ciphertext | tag (16)``. The associated
data names the message id and the field, so a blob copied into another row
or column fails to open.
"""

from __future__ import annotations

import json
import secrets
import threading
import weakref
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from privacyops.vault.keystore import MasterKeyStore

KEY_PURPOSE = "notify.message"
_INFO = b"privacyops/notify/aes-256-gcm/v1"
_SALT = b"privacyops/notify"
_VERSION = 1
_NONCE_BYTES = 12
_AAD_PREFIX = b"privacyops/notify/v1\x00"

RECIPIENT = "recipient"
SECRET_CONTEXT = "secret_context"  # noqa: S105 - a field name in the associated data


class SealError(Exception):
    """A sealed value failed to open: tampered, moved to another row, or a foreign key."""


def _aad(message_id: str, field: str) -> bytes:
    return _AAD_PREFIX + message_id.encode() + b"\x00" + field.encode()


class MessageSealer:
    """Encrypts and decrypts the personal parts of outbound messages."""

    __slots__ = ("_aead",)

    def __init__(self, keystore: MasterKeyStore) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=_INFO).derive(
            keystore.blind_index_key(KEY_PURPOSE)
        )
        self._aead = AESGCM(key)

    def __repr__(self) -> str:
        return "MessageSealer(<key hidden>)"

    def seal(self, message_id: str, field: str, plaintext: str) -> bytes:
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode("utf-8"), _aad(message_id, field))
        return bytes((_VERSION,)) + nonce + sealed

    def open(self, message_id: str, field: str, blob: bytes) -> str:
        if len(blob) < 1 + _NONCE_BYTES + 16 or blob[0] != _VERSION:
            raise SealError(f"message {message_id}: {field} is not a sealed value")
        try:
            plain = self._aead.decrypt(
                blob[1 : 1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES :], _aad(message_id, field)
            )
        except InvalidTag:
            raise SealError(f"message {message_id}: {field} failed authentication") from None
        return plain.decode("utf-8")

    def seal_json(self, message_id: str, field: str, value: dict[str, Any]) -> bytes:
        return self.seal(message_id, field, json.dumps(value, ensure_ascii=False))

    def open_json(self, message_id: str, field: str, blob: bytes) -> dict[str, Any]:
        value = json.loads(self.open(message_id, field, blob))
        if not isinstance(value, dict):
            raise SealError(f"message {message_id}: {field} is not an object")
        return value


_sealers: weakref.WeakKeyDictionary[MasterKeyStore, MessageSealer] = weakref.WeakKeyDictionary()
_sealers_lock = threading.Lock()


def sealer_for(keystore: MasterKeyStore) -> MessageSealer:
    """The sealer of a key store, derived once per process and key store."""
    with _sealers_lock:
        sealer = _sealers.get(keystore)
        if sealer is None:
            sealer = _sealers[keystore] = MessageSealer(keystore)
        return sealer
