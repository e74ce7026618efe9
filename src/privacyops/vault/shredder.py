"""Crypto-shredding: what erasing a subject's key means, and the data-key cache.

Every personal field of a subject is encrypted under that subject's data key
(``crypto``). The key is split in two halves (``shares``): the database holds
one, wrapped by a master key (``keystore``); the key store holds the other.
Destroying the key makes every copy of the fields unreadable at once,
wherever they are, so erasure costs the same for a subject with ten rows or
ten million.

Erasing subject S (the database layer implements steps 1-2; this module
provides the pieces):

1. In **one transaction**: null S's wrapped key half (the row stays as a
   tombstone, so no new key is made for S), delete S's blind indexes (an
   HMAC of a known e-mail would otherwise still find the erased rows),
   record the audit event without personal data. Commit.
2. **After** the commit, ``DataKeyCache.evict(S)`` and delete S's key-store
   half (``shares``). Not before: evicting first would let a concurrent
   reader reload the key from the row that is still visible and cache it
   again, and deleting first would destroy the data of an erasure that then
   rolls back. A load that started before the evict and
   finishes after it is returned to its caller (it read the key before the
   deletion committed) but is not cached (see ``get_or_load``).
   Other processes have their own caches: signal them (e.g. PostgreSQL
   ``NOTIFY`` -> ``evict``) or rely on ``max_age``, which bounds how long any
   process can still serve the key from memory.
3. The ciphertext rows can then be purged in the background at leisure:
   they are already unreadable. Readers get ``KeyDestroyedError``.

Copies of the data, and how shredding reaches each:

- **Backups of the database.** A restored backup brings S's wrapped key
  back, and the master key still opens it. That is why the data key is split
  (``shares``): the wrapped half in the database is useless without the
  other half, which lives only in the key store and is deleted by the
  erasure, so every database backup is unreadable for S at once
  (``Vault.shred``; proven by ``tests/vault/test_vault_db_backup.py``).
  What remains is backups of the key store itself: give ``./var/keys`` its
  own, short, backup retention; erasure is complete at T + that horizon.
  Rotating the master key and retiring the old version still bounds how
  long any old copy of the wrapped halves stays useful.
- **Memory** (not reached). Python cannot wipe bytes; ``evict`` drops the
  reference, so the key is never *served* again, but freed memory may hold
  it until reused.
- **Plaintext copies** (not reached): logs, exports, search indexes,
  derived values.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from privacyops.vault.crypto import FieldCipher
from privacyops.vault.errors import KeyDestroyedError
from privacyops.vault.keystore import MasterKeyStore, WrappedKey

DEFAULT_CACHE_SIZE = 10_000
DEFAULT_MAX_AGE_SECONDS = 300.0

DataKeyLoader = Callable[[], bytes | None]
"""Returns the subject's unwrapped data key, or None when no key row exists (erased)."""


def subject_key_context(subject_id: str) -> bytes:
    """The wrap context of a subject's data key: a wrapped key moved to another
    subject's row fails to unwrap."""
    if not subject_id:
        raise ValueError("empty subject id")
    return b"subject\x00" + subject_id.encode("utf-8")


def seal_subject_key(store: MasterKeyStore, subject_id: str, data_key: bytes) -> WrappedKey:
    """Wrap a subject's data key for storage."""
    return store.wrap(data_key, context=subject_key_context(subject_id))


def open_subject_key(
    store: MasterKeyStore, subject_id: str, wrapped: WrappedKey | bytes | None
) -> bytes:
    """Unwrap a subject's stored data key; ``None`` (no row) means the subject was shredded."""
    if wrapped is None:
        raise KeyDestroyedError(subject_id)
    if isinstance(wrapped, bytes):
        wrapped = WrappedKey.from_bytes(wrapped)
    return store.unwrap(wrapped, context=subject_key_context(subject_id))


class DataKeyCache:
    """A small LRU of unwrapped data keys (as ready ``FieldCipher`` objects).

    An unwrap costs a few microseconds, more than encrypting a field; reading
    a subject's profile touches many fields, so the key is unwrapped once and
    reused. Entries expire after ``max_age`` seconds (``None``: never) so that
    a process that missed an eviction signal stops serving a shredded key in
    bounded time. Thread-safe.
    """

    def __init__(
        self,
        max_size: int = DEFAULT_CACHE_SIZE,
        *,
        max_age: float | None = DEFAULT_MAX_AGE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_size < 1:
            raise ValueError("max_size must be at least 1")
        if max_age is not None and max_age <= 0:
            raise ValueError("max_age must be positive (or None)")
        self._max_size = max_size
        self._max_age = max_age
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, tuple[FieldCipher, float]] = OrderedDict()
        # Bumped by every evict/clear. A load that sees it change while the
        # key was being fetched does not cache its result.
        self._generation = 0
        self.hits = 0
        self.misses = 0

    @property
    def max_size(self) -> int:
        return self._max_size

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, subject_id: object) -> bool:
        return subject_id in self._entries

    def get(self, subject_id: str) -> FieldCipher | None:
        with self._lock:
            entry = self._entries.get(subject_id)
            if entry is not None:
                cipher, loaded_at = entry
                if self._max_age is None or self._clock() - loaded_at < self._max_age:
                    self._entries.move_to_end(subject_id)
                    self.hits += 1
                    return cipher
                del self._entries[subject_id]
            self.misses += 1
            return None

    def put(self, subject_id: str, data_key: bytes) -> FieldCipher:
        """Cache a key the caller just created or unwrapped (prefer ``get_or_load``)."""
        cipher = FieldCipher(data_key)
        with self._lock:
            self._insert(subject_id, cipher)
        return cipher

    def get_or_load(self, subject_id: str, load: DataKeyLoader) -> FieldCipher:
        """The subject's cipher from the cache, else from ``load`` (raises
        ``KeyDestroyedError`` when ``load`` finds no key).

        ``load`` runs without the lock (it reads the database and unwraps), so
        two threads may load the same subject at once; both get the same key.
        """
        cipher = self.get(subject_id)
        if cipher is not None:
            return cipher
        generation = self._generation
        data_key = load()
        if data_key is None:
            raise KeyDestroyedError(subject_id)
        cipher = FieldCipher(data_key)
        with self._lock:
            if self._generation == generation:
                self._insert(subject_id, cipher)
        return cipher

    def evict(self, subject_id: str) -> bool:
        """Forget one subject's key (call after its erasure commits). True if it was cached."""
        with self._lock:
            self._generation += 1
            return self._entries.pop(subject_id, None) is not None

    def clear(self) -> None:
        """Forget every key (e.g. after a forced master-key retire)."""
        with self._lock:
            self._generation += 1
            self._entries.clear()

    def _insert(self, subject_id: str, cipher: FieldCipher) -> None:
        self._entries[subject_id] = (cipher, self._clock())
        self._entries.move_to_end(subject_id)
        while len(self._entries) > self._max_size:
            self._entries.popitem(last=False)
