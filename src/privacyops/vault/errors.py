"""Errors raised by the vault.

Every failure of the vault is a ``VaultError`` so that a face (route, job,
CLI command) can turn it into one clear message. The subclasses separate the
cases a caller must handle differently:

- ``KeyDestroyedError``: the subject was erased; the data is gone for good.
  This is the *expected* outcome of crypto-shredding, not a fault.
- ``IntegrityError``: a blob or a wrapped key failed authentication. It was
  tampered with, truncated, moved to another row or subject (AAD mismatch),
  or decrypted with the wrong key. Never retry; report it.
- ``KeyStoreError`` and its subclasses: the master key store itself is
  unusable or refused an operation.
"""

from __future__ import annotations


class VaultError(Exception):
    """Base class of every vault failure."""


class KeyDestroyedError(VaultError):
    """The subject's data key no longer exists: the subject was crypto-shredded."""

    def __init__(self, subject_id: str) -> None:
        super().__init__(f"data key of subject {subject_id!r} has been destroyed")
        self.subject_id = subject_id


class IntegrityError(VaultError):
    """Ciphertext failed authentication: tampered, truncated, swapped or wrong key."""


class UnsupportedFormatError(IntegrityError):
    """A blob starts with a format version byte this code does not know.

    A subclass of ``IntegrityError`` because, to a reader, an unknown version
    and a corrupted first byte look the same: the blob cannot be trusted.
    """


class KeyStoreError(VaultError):
    """The master key store is unusable (bad permissions, corrupt key file, I/O)."""


class UnknownMasterKeyError(KeyStoreError):
    """A wrapped key names a master key version the store does not hold (retired?)."""

    def __init__(self, key_id: str) -> None:
        super().__init__(f"master key {key_id!r} is not in the key store (retired or foreign)")
        self.key_id = key_id


class KeyInUseError(KeyStoreError):
    """Retiring a master key was refused because data keys may still be wrapped by it."""


class InvalidIdentityError(VaultError, ValueError):
    """An identity value cannot be normalised (empty, malformed e-mail or phone)."""
