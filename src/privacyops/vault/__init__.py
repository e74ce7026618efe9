"""vault domain: field encryption, per-subject keys, key store, crypto-shredding.

Module map:

- ``crypto``: AES-256-GCM field encryption under a subject's data key.
- ``keystore``: master keys that wrap data keys, and the blind-index secret.
- ``blind_index``: normalised, keyed indexes for identity lookups.
- ``shredder``: what erasure means, and the cache of unwrapped data keys.
- ``shares``: why each data key is split, and the key-store half (outside the database).
- ``models``, ``service``, ``rotation``, ``hooks``: the ``subject_key`` table and the
  ``Vault`` the other domains use (keys, fields, shredding, master key rotation).
- ``cli``: ``privacyops keys rotate|status|finish-shreds``.
- ``errors``: the ``VaultError`` hierarchy.

``Vault`` is imported from ``privacyops.vault.service`` (it needs the database
layer, which this package's crypto core does not).
"""

from privacyops.vault.blind_index import BlindIndexer, IdentityKind
from privacyops.vault.crypto import (
    FieldCipher,
    decrypt_field,
    encrypt_field,
    field_aad,
    new_data_key,
)
from privacyops.vault.errors import (
    IntegrityError,
    InvalidIdentityError,
    KeyDestroyedError,
    KeyInUseError,
    KeyStoreError,
    UnknownMasterKeyError,
    UnsupportedFormatError,
    VaultError,
)
from privacyops.vault.keystore import FileKeyStore, MasterKeyStore, WrappedKey, rewrap
from privacyops.vault.shredder import (
    DataKeyCache,
    open_subject_key,
    seal_subject_key,
    subject_key_context,
)

__all__ = [
    "BlindIndexer",
    "DataKeyCache",
    "FieldCipher",
    "FileKeyStore",
    "IdentityKind",
    "IntegrityError",
    "InvalidIdentityError",
    "KeyDestroyedError",
    "KeyInUseError",
    "KeyStoreError",
    "MasterKeyStore",
    "UnknownMasterKeyError",
    "UnsupportedFormatError",
    "VaultError",
    "WrappedKey",
    "decrypt_field",
    "encrypt_field",
    "field_aad",
    "new_data_key",
    "open_subject_key",
    "rewrap",
    "seal_subject_key",
    "subject_key_context",
]
