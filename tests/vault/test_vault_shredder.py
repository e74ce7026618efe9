"""Crypto-shredding: subject key sealing, the data-key cache and its eviction."""

from __future__ import annotations

import pytest

from privacyops.vault.crypto import decrypt_field, encrypt_field, field_aad, new_data_key
from privacyops.vault.errors import IntegrityError, KeyDestroyedError
from privacyops.vault.keystore import FileKeyStore, WrappedKey
from privacyops.vault.shredder import (
    DataKeyCache,
    open_subject_key,
    seal_subject_key,
    subject_key_context,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class KeyTable:
    """Stands in for the future ``subject_keys`` table: subject id -> wrapped key bytes."""

    def __init__(self, store: FileKeyStore) -> None:
        self.store = store
        self.rows: dict[str, bytes] = {}
        self.loads = 0

    def create(self, subject_id: str) -> bytes:
        data_key = new_data_key()
        self.rows[subject_id] = seal_subject_key(self.store, subject_id, data_key).to_bytes()
        return data_key

    def loader(self, subject_id: str) -> bytes | None:
        self.loads += 1
        wrapped = self.rows.get(subject_id)
        return None if wrapped is None else open_subject_key(self.store, subject_id, wrapped)


@pytest.fixture
def table(store: FileKeyStore) -> KeyTable:
    return KeyTable(store)


def test_seal_and_open_subject_key(store: FileKeyStore) -> None:
    data_key = new_data_key()
    wrapped = seal_subject_key(store, "s-1", data_key)
    assert open_subject_key(store, "s-1", wrapped) == data_key
    assert open_subject_key(store, "s-1", wrapped.to_bytes()) == data_key


def test_a_wrapped_key_moved_to_another_subject_fails(store: FileKeyStore) -> None:
    wrapped = seal_subject_key(store, "s-1", new_data_key())
    with pytest.raises(IntegrityError):
        open_subject_key(store, "s-2", wrapped)


def test_no_key_row_means_destroyed(store: FileKeyStore) -> None:
    with pytest.raises(KeyDestroyedError, match="s-1") as info:
        open_subject_key(store, "s-1", None)
    assert info.value.subject_id == "s-1"


def test_subject_context_is_unambiguous() -> None:
    assert subject_key_context("a") != subject_key_context("a\x00")
    with pytest.raises(ValueError, match="empty"):
        subject_key_context("")


def test_cache_unwraps_once_per_subject(table: KeyTable) -> None:
    data_key = table.create("s-1")
    cache = DataKeyCache(max_size=4)
    aad = field_aad("s-1", "contact", "email")
    blobs = [encrypt_field(data_key, f"v{i}", aad=aad) for i in range(10)]
    for blob in blobs:
        cipher = cache.get_or_load("s-1", lambda: table.loader("s-1"))
        cipher.decrypt(blob, aad=aad)
    assert table.loads == 1
    assert (cache.hits, cache.misses) == (9, 1)


def test_cache_is_lru_bounded(table: KeyTable) -> None:
    cache = DataKeyCache(max_size=2)
    for sid in ("a", "b", "c"):
        table.create(sid)
    cache.get_or_load("a", lambda: table.loader("a"))
    cache.get_or_load("b", lambda: table.loader("b"))
    cache.get_or_load("a", lambda: table.loader("a"))  # a is now the most recent
    cache.get_or_load("c", lambda: table.loader("c"))  # pushes out b
    assert len(cache) == 2
    assert "a" in cache
    assert "b" not in cache
    assert "c" in cache


def test_erasure_then_evict_never_serves_the_key(table: KeyTable) -> None:
    data_key = table.create("s-1")
    aad = field_aad("s-1", "contact", "phone")
    blob = encrypt_field(data_key, "+8613812345678", aad=aad)
    backup_copy = bytes(blob)  # a copy elsewhere: a replica, a backup, an export
    cache = DataKeyCache()
    cache.get_or_load("s-1", lambda: table.loader("s-1"))

    del table.rows["s-1"]  # the erasure transaction commits
    assert cache.evict("s-1") is True
    assert cache.evict("s-1") is False

    with pytest.raises(KeyDestroyedError):
        cache.get_or_load("s-1", lambda: table.loader("s-1"))
    assert "s-1" not in cache  # a destroyed key is not cached either
    with pytest.raises(IntegrityError):  # no key anywhere opens the copies
        decrypt_field(new_data_key(), backup_copy, aad=aad)


def test_load_racing_an_eviction_is_not_cached(table: KeyTable) -> None:
    table.create("s-1")
    cache = DataKeyCache()

    def load_while_erased() -> bytes | None:
        data_key = table.loader("s-1")  # read before the erasure committed ...
        del table.rows["s-1"]  # ... which commits now, in another thread
        cache.evict("s-1")
        return data_key

    cipher = cache.get_or_load("s-1", load_while_erased)
    assert cipher is not None  # this reader saw the key before the erasure
    assert "s-1" not in cache  # but nobody gets it from the cache afterwards
    with pytest.raises(KeyDestroyedError):
        cache.get_or_load("s-1", lambda: table.loader("s-1"))


def test_entries_expire_after_max_age(table: KeyTable) -> None:
    table.create("s-1")
    clock = FakeClock()
    cache = DataKeyCache(max_age=60, clock=clock)
    cache.get_or_load("s-1", lambda: table.loader("s-1"))
    clock.now += 59
    assert cache.get("s-1") is not None
    clock.now += 2
    assert cache.get("s-1") is None
    assert len(cache) == 0


def test_clear_and_put(table: KeyTable) -> None:
    cache = DataKeyCache(max_age=None)
    data_key = table.create("s-1")
    cipher = cache.put("s-1", data_key)
    assert cache.get("s-1") is cipher
    cache.clear()
    assert len(cache) == 0


@pytest.mark.parametrize(("size", "age"), [(0, 1.0), (1, 0.0), (1, -5.0)])
def test_cache_arguments_are_validated(size: int, age: float) -> None:
    with pytest.raises(ValueError, match="max_"):
        DataKeyCache(size, max_age=age)


def test_rotation_does_not_disturb_subject_keys(table: KeyTable, store: FileKeyStore) -> None:
    data_key = table.create("s-1")
    store.rotate()
    assert table.loader("s-1") == data_key
    assert WrappedKey.from_bytes(table.rows["s-1"]).key_id == "k1"
