"""Master key store: wraps per-subject data keys and derives blind-index keys.

Two independent secrets live here, never in the database:

- **Wrapping keys** (versioned: ``k1``, ``k2``, ...). Each subject's data key
  is stored in the database only *wrapped* (AES-256-GCM, random 96-bit nonce;
  NIST allows 2**32 such wraps per key, far above one per subject) under the
  current wrapping key. ``rotate()`` adds a version; older versions stay so
  that keys wrapped before the rotation still unwrap, until a rewrap job has
  moved them and ``retire()`` deletes the old version.
- **The index secret** (one, never rotated with the wrapping keys). Blind
  indexes are HMACs of identity values; if their key changed with every
  rotation, every index column would have to be recomputed, and that is
  impossible once the plaintext is gone (it is only stored encrypted, and for
  erased subjects not at all). Keeping it separate also lets a deployment put
  it under a different backup and access policy.

``MasterKeyStore`` is the interface a cloud KMS or a Vault transit engine can
implement; ``FileKeyStore`` is the embedded default (``./var/keys``).
"""

from __future__ import annotations

import os
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from privacyops.vault import keyfiles
from privacyops.vault.errors import (
    IntegrityError,
    KeyInUseError,
    KeyStoreError,
    UnknownMasterKeyError,
    UnsupportedFormatError,
)

DATA_KEY_BYTES = 32
WRAPPED_KEY_VERSION = 1
_WRAP_NONCE_BYTES = 12
_KEY_ID_RE = re.compile(r"[A-Za-z0-9._:/-]{1,255}")
_PURPOSE_RE = re.compile(r"[a-z0-9][a-z0-9_.:-]{0,63}")
# The AAD of a wrap names the scheme and the master key version, then the
# caller's context (the subject id). key_id cannot hold a NUL, so the
# concatenation is unambiguous.
_WRAP_AAD_PREFIX = b"privacyops/dek-wrap/v1\x00"
_INDEX_HKDF_SALT = b"privacyops/blind-index"


@dataclass(frozen=True, slots=True)
class WrappedKey:
    """A data key encrypted under one master key version.

    ``to_bytes()`` layout (65 bytes for a file-store key):
    ``version(1) | len(key_id)(1) | key_id | len(nonce)(1) | nonce | ciphertext``.
    The nonce length is explicit so a KMS whose ciphertext carries its own IV
    can store an empty nonce.
    """

    key_id: str
    nonce: bytes
    ciphertext: bytes

    def __post_init__(self) -> None:
        if not _KEY_ID_RE.fullmatch(self.key_id):
            raise ValueError(f"invalid master key id {self.key_id!r}")
        if len(self.nonce) > 255:
            raise ValueError("nonce longer than 255 bytes")
        if not self.ciphertext:
            raise ValueError("empty ciphertext")

    def to_bytes(self) -> bytes:
        kid = self.key_id.encode("ascii")
        return b"".join(
            (
                bytes((WRAPPED_KEY_VERSION, len(kid))),
                kid,
                bytes((len(self.nonce),)),
                self.nonce,
                self.ciphertext,
            )
        )

    @classmethod
    def from_bytes(cls, blob: bytes) -> WrappedKey:
        if not blob:
            raise IntegrityError("empty wrapped key")
        if blob[0] != WRAPPED_KEY_VERSION:
            raise UnsupportedFormatError(f"unknown wrapped-key format version {blob[0]}")
        try:
            kid_len = blob[1]
            kid_end = 2 + kid_len
            nonce_len = blob[kid_end]
            nonce_end = kid_end + 1 + nonce_len
            key_id = blob[2:kid_end].decode("ascii")
            nonce, ciphertext = blob[kid_end + 1 : nonce_end], blob[nonce_end:]
            if len(nonce) != nonce_len:
                raise IndexError
            return cls(key_id=key_id, nonce=nonce, ciphertext=ciphertext)
        except (IndexError, UnicodeDecodeError, ValueError):
            raise IntegrityError("malformed wrapped key") from None


class MasterKeyStore(Protocol):
    """What the vault needs from a key-encryption-key provider (file, KMS, Vault transit)."""

    @property
    def current_key_id(self) -> str:
        """The master key version that new wraps use."""
        ...

    def wrap(self, data_key: bytes, *, context: bytes) -> WrappedKey:
        """Encrypt ``data_key`` under the current version, bound to ``context``."""
        ...

    def unwrap(self, wrapped: WrappedKey, *, context: bytes) -> bytes:
        """Decrypt a data key; ``context`` must equal the one given to ``wrap``."""
        ...

    def rotate(self) -> str:
        """Create a new master key version, make it current, return its id."""
        ...

    def retire(self, key_id: str, *, force: bool = False) -> None:
        """Destroy an old version. Refused while data keys may still depend on it."""
        ...

    def blind_index_key(self, purpose: str) -> bytes:
        """A 32-byte HMAC key for one purpose, stable across ``rotate()``."""
        ...


WrappedKeyCounter = Callable[[str], int]
"""Returns how many stored wrapped data keys name the given master key id."""


def rewrap(store: MasterKeyStore, wrapped: WrappedKey, *, context: bytes) -> WrappedKey:
    """Move a wrapped data key to the current master key version (no-op if already there)."""
    if wrapped.key_id == store.current_key_id:
        return wrapped
    return store.wrap(store.unwrap(wrapped, context=context), context=context)


def _wrap_aad(key_id: str, context: bytes) -> bytes:
    return _WRAP_AAD_PREFIX + key_id.encode("ascii") + b"\x00" + context


_WRAP_FILE_RE = re.compile(r"k([1-9][0-9]{0,8})\.wrap\.key")
_INDEX_FILE = "index.key"
# Directory mtimes come from a coarse kernel clock: a change made in the same
# tick as our last scan leaves the mtime unchanged. A periodic rescan bounds
# how long such a change (or one made by another process) can go unseen.
_RESCAN_SECONDS = 1.0


class FileKeyStore:
    """Master keys in files under one private directory (embedded default: ``./var/keys``).

    Files are created on first use (mode 0600, directory 0700) and never
    rewritten: a rotation adds ``k<n+1>.wrap.key``, ``retire`` deletes one.
    The highest version present is current, so there is no pointer file that
    a crash could leave out of step with the keys.

    Several processes may share the directory. ``wrap`` and ``current_key_id``
    check the directory's mtime (one ``stat``) and rescan when it changed, so a
    rotation made elsewhere is picked up before the next wrap; ``unwrap`` of an
    unknown version rescans once before failing. Every instance also rescans
    at least once a second, so a version retired elsewhere stops unwrapping
    here within about a second.

    ``retire`` needs proof that no stored data key still names the version:
    pass ``wrapped_key_counter`` (the database layer counts its rows), or call
    ``retire(..., force=True)`` to destroy the version and, with it, every
    data key still wrapped under it (a bulk crypto-shred). The current version
    is never retired; rotate first. Between ``rotate`` and ``retire`` leave
    the other processes time to notice the rotation (well over a second, in
    practice the length of the rewrap job), or one of them may still wrap a
    new key under the old version after the count was taken.
    """

    def __init__(
        self, directory: Path, *, wrapped_key_counter: WrappedKeyCounter | None = None
    ) -> None:
        self._directory = Path(directory)
        self._counter = wrapped_key_counter
        self._lock = threading.RLock()
        self._loaded = False
        self._dir_mtime_ns = -1
        self._scanned_at = 0.0
        self._wrapping: dict[str, AESGCM] = {}
        self._current = ""
        self._index_secret = b""
        self._index_keys: dict[str, bytes] = {}

    @property
    def directory(self) -> Path:
        return self._directory

    @property
    def current_key_id(self) -> str:
        self._refresh(stat=True)
        return self._current

    def key_ids(self) -> tuple[str, ...]:
        """Every master key version held, oldest first."""
        self._refresh(stat=True)
        return tuple(self._wrapping)

    def wrap(self, data_key: bytes, *, context: bytes) -> WrappedKey:
        if len(data_key) != DATA_KEY_BYTES:
            raise ValueError(f"data key must be {DATA_KEY_BYTES} bytes")
        if not context:
            raise ValueError("context must name the subject; an empty context binds nothing")
        self._refresh(stat=True)
        key_id = self._current
        nonce = secrets.token_bytes(_WRAP_NONCE_BYTES)
        ciphertext = self._wrapping[key_id].encrypt(nonce, data_key, _wrap_aad(key_id, context))
        return WrappedKey(key_id=key_id, nonce=nonce, ciphertext=ciphertext)

    def unwrap(self, wrapped: WrappedKey, *, context: bytes) -> bytes:
        self._refresh(stat=False)  # the hot path: a clock read, no syscall
        aead = self._wrapping.get(wrapped.key_id)
        if aead is None:
            with self._lock:
                self._scan()
            aead = self._wrapping.get(wrapped.key_id)
            if aead is None:
                raise UnknownMasterKeyError(wrapped.key_id)
        try:
            data_key = aead.decrypt(
                wrapped.nonce, wrapped.ciphertext, _wrap_aad(wrapped.key_id, context)
            )
        except (InvalidTag, ValueError):
            # ValueError: a nonce of the wrong length, i.e. a damaged blob.
            raise IntegrityError(
                f"wrapped data key failed authentication under {wrapped.key_id!r} "
                "(tampered, or unwrapped with another context)"
            ) from None
        if len(data_key) != DATA_KEY_BYTES:
            raise IntegrityError("unwrapped data key has the wrong length")
        return data_key

    def rotate(self) -> str:
        with self._lock:
            self._ensure_loaded()
            self._scan()
            while True:
                version = max(int(k[1:]) for k in self._wrapping) + 1
                if keyfiles.create_key_file(self._wrap_path(f"k{version}"), keyfiles.KIND_WRAP):
                    break
                self._scan()  # another process rotated at the same moment
            self._scan()
            return f"k{version}"

    def retire(self, key_id: str, *, force: bool = False) -> None:
        with self._lock:
            self._ensure_loaded()
            self._scan()
            if key_id not in self._wrapping:
                raise UnknownMasterKeyError(key_id)
            if key_id == self._current:
                raise KeyInUseError(f"{key_id!r} is the current master key; rotate first")
            if not force:
                if self._counter is None:
                    raise KeyInUseError(
                        f"cannot prove that no data key is wrapped by {key_id!r}: "
                        "configure a wrapped_key_counter, or pass force=True to shred them"
                    )
                in_use = self._counter(key_id)
                if in_use:
                    raise KeyInUseError(
                        f"{in_use} data keys are still wrapped by {key_id!r}; rewrap them first"
                    )
            self._wrap_path(key_id).unlink()
            keyfiles.fsync_dir(self._directory)
            self._scan()

    def blind_index_key(self, purpose: str) -> bytes:
        key = self._index_keys.get(purpose)
        if key is not None:
            return key
        if not _PURPOSE_RE.fullmatch(purpose):
            raise ValueError(f"invalid blind-index purpose {purpose!r}")
        self._ensure_loaded()
        # HKDF with the purpose in `info` gives each identity kind its own
        # independent key from one secret (domain separation): equal strings
        # of different kinds never produce equal indexes.
        key = HKDF(
            algorithm=hashes.SHA256(),
            length=32,
            salt=_INDEX_HKDF_SALT,
            info=b"v1\x00" + purpose.encode("ascii"),
        ).derive(self._index_secret)
        self._index_keys[purpose] = key
        return key

    def reload(self) -> None:
        """Re-read the directory now (after an operator changed it by hand)."""
        with self._lock:
            self._ensure_loaded()
            self._scan()

    # -- internals ----------------------------------------------------------

    def _wrap_path(self, key_id: str) -> Path:
        return self._directory / f"{key_id}.wrap.key"

    def _ensure_loaded(self) -> None:
        if self._loaded:
            return
        with self._lock:
            if self._loaded:
                return
            keyfiles.prepare_directory(self._directory)
            index_path = self._directory / _INDEX_FILE
            has_wrap_keys = any(_WRAP_FILE_RE.fullmatch(p.name) for p in self._directory.iterdir())
            if not index_path.exists():
                # The index secret is created before the first wrapping key, so
                # "wrapping keys but no index secret" can only mean deletion.
                # A new secret would silently break every stored blind index.
                if has_wrap_keys:
                    raise KeyStoreError(
                        f"{index_path} is missing but wrapping keys exist; restore it from "
                        "backup (a new one would invalidate every blind index)"
                    )
                keyfiles.create_key_file(index_path, keyfiles.KIND_INDEX)
            if not has_wrap_keys:
                keyfiles.create_key_file(self._wrap_path("k1"), keyfiles.KIND_WRAP)
            self._index_secret = keyfiles.read_key_file(index_path, keyfiles.KIND_INDEX)
            self._scan()
            self._loaded = True

    def _refresh(self, *, stat: bool) -> None:
        """Rescan when due by time, or (``stat=True``) when the directory changed."""
        self._ensure_loaded()
        due = time.monotonic() - self._scanned_at >= _RESCAN_SECONDS
        if not due and stat:
            try:
                due = os.stat(self._directory).st_mtime_ns != self._dir_mtime_ns
            except OSError as exc:
                raise KeyStoreError(f"{self._directory}: {exc}") from exc
        if due:
            with self._lock:
                self._scan()

    def _scan(self) -> None:
        """Rebuild the version table from disk; callers hold the lock."""
        try:
            mtime = os.stat(self._directory).st_mtime_ns
            paths = list(self._directory.iterdir())
        except OSError as exc:
            raise KeyStoreError(f"{self._directory}: {exc}") from exc
        found: dict[int, str] = {}
        for path in paths:
            match = _WRAP_FILE_RE.fullmatch(path.name)
            if match:
                found[int(match.group(1))] = f"k{match.group(1)}"
            elif path.name.startswith(keyfiles.TMP_PREFIX):
                keyfiles.remove_stale_tmp(path)
        if not found:
            raise KeyStoreError(f"{self._directory}: no wrapping key left")
        table: dict[str, AESGCM] = {}
        for version in sorted(found):
            key_id = found[version]
            known = self._wrapping.get(key_id)
            if known is None:
                known = AESGCM(keyfiles.read_key_file(self._wrap_path(key_id), keyfiles.KIND_WRAP))
            table[key_id] = known
        # Swap whole objects so lock-free readers see a consistent table.
        self._wrapping = table
        self._current = found[max(found)]
        self._dir_mtime_ns = mtime
        self._scanned_at = time.monotonic()
