"""FileKeyStore: files and permissions, wrapping, rotation, retirement, index keys."""

from __future__ import annotations

import os
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from privacyops.vault import keyfiles, keystore
from privacyops.vault.crypto import new_data_key
from privacyops.vault.errors import (
    IntegrityError,
    KeyInUseError,
    KeyStoreError,
    UnknownMasterKeyError,
    UnsupportedFormatError,
)
from privacyops.vault.keystore import FileKeyStore, MasterKeyStore, WrappedKey, rewrap

CTX = b"subject\x00s-1"
posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A permissive umask, to prove the modes are set explicitly rather than inherited."""
    old = os.umask(0)
    yield
    os.umask(old)


def test_file_store_satisfies_the_protocol(store: FileKeyStore) -> None:
    typed: MasterKeyStore = store
    assert typed.current_key_id == "k1"


def test_nothing_is_created_before_first_use(key_dir: Path) -> None:
    FileKeyStore(key_dir)
    assert not key_dir.exists()


@posix_only
@pytest.mark.usefixtures("open_umask")
def test_first_use_creates_private_directory_and_files(store: FileKeyStore, key_dir: Path) -> None:
    store.wrap(new_data_key(), context=CTX)
    assert mode(key_dir) == 0o700
    assert sorted(p.name for p in key_dir.iterdir()) == ["index.key", "k1.wrap.key"]
    assert all(mode(p) == 0o600 for p in key_dir.iterdir())
    store.rotate()
    assert mode(key_dir / "k2.wrap.key") == 0o600


def test_keys_survive_reopen(store: FileKeyStore, key_dir: Path) -> None:
    data_key = new_data_key()
    blob = store.wrap(data_key, context=CTX).to_bytes()
    index_key = store.blind_index_key("identity.email")
    reopened = FileKeyStore(key_dir)
    assert reopened.unwrap(WrappedKey.from_bytes(blob), context=CTX) == data_key
    assert reopened.blind_index_key("identity.email") == index_key


def test_wrap_round_trip_and_serialization(store: FileKeyStore) -> None:
    data_key = new_data_key()
    wrapped = store.wrap(data_key, context=CTX)
    assert wrapped.key_id == "k1"
    assert len(wrapped.nonce) == 12
    blob = wrapped.to_bytes()
    assert blob[0] == keystore.WRAPPED_KEY_VERSION
    assert len(blob) == 1 + 1 + 2 + 1 + 12 + 32 + 16
    assert WrappedKey.from_bytes(blob) == wrapped
    assert store.unwrap(wrapped, context=CTX) == data_key


@pytest.mark.parametrize("key_id", ["", "k1\n", "k\x001", "ключ", "k" * 256])
def test_wrapped_key_refuses_odd_key_ids(key_id: str) -> None:
    with pytest.raises(ValueError, match="key id"):
        WrappedKey(key_id=key_id, nonce=b"", ciphertext=b"x")


def test_wrapped_key_allows_empty_nonce_for_kms_formats() -> None:
    wrapped = WrappedKey(key_id="arn:aws:kms/abc", nonce=b"", ciphertext=b"opaque")
    assert WrappedKey.from_bytes(wrapped.to_bytes()) == wrapped


@pytest.mark.parametrize(
    "blob", [b"", b"\x01", b"\x01\x05k1", b"\x01\x02k1\x0cshort", b"\x01\x02\xff\xfe\x00x"]
)
def test_malformed_wrapped_key_is_an_integrity_error(blob: bytes) -> None:
    with pytest.raises(IntegrityError):
        WrappedKey.from_bytes(blob)


def test_unknown_wrapped_key_version(store: FileKeyStore) -> None:
    blob = bytearray(store.wrap(new_data_key(), context=CTX).to_bytes())
    blob[0] = 9
    with pytest.raises(UnsupportedFormatError):
        WrappedKey.from_bytes(bytes(blob))


def test_unwrap_with_another_context_fails(store: FileKeyStore) -> None:
    wrapped = store.wrap(new_data_key(), context=CTX)
    with pytest.raises(IntegrityError, match="another context"):
        store.unwrap(wrapped, context=b"subject\x00s-2")


def test_tampered_wrapped_key_fails(store: FileKeyStore) -> None:
    wrapped = store.wrap(new_data_key(), context=CTX)
    flipped = bytes([wrapped.ciphertext[0] ^ 1]) + wrapped.ciphertext[1:]
    with pytest.raises(IntegrityError):
        store.unwrap(WrappedKey(wrapped.key_id, wrapped.nonce, flipped), context=CTX)
    with pytest.raises(IntegrityError):
        store.unwrap(WrappedKey(wrapped.key_id, b"\x00" * 12, wrapped.ciphertext), context=CTX)


def test_wrap_refuses_bad_input(store: FileKeyStore) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        store.wrap(b"short", context=CTX)
    with pytest.raises(ValueError, match="context"):
        store.wrap(new_data_key(), context=b"")


def test_rotation_keeps_old_wraps_readable(store: FileKeyStore, key_dir: Path) -> None:
    old_key = new_data_key()
    old = store.wrap(old_key, context=CTX)
    assert store.rotate() == "k2"
    assert store.current_key_id == "k2"
    new = store.wrap(new_data_key(), context=CTX)
    assert (old.key_id, new.key_id) == ("k1", "k2")
    assert store.unwrap(old, context=CTX) == old_key
    assert FileKeyStore(key_dir).unwrap(old, context=CTX) == old_key
    assert store.key_ids() == ("k1", "k2")


def test_rewrap_moves_a_key_to_the_current_version(store: FileKeyStore) -> None:
    data_key = new_data_key()
    old = store.wrap(data_key, context=CTX)
    assert rewrap(store, old, context=CTX) is old
    store.rotate()
    moved = rewrap(store, old, context=CTX)
    assert moved.key_id == "k2"
    assert store.unwrap(moved, context=CTX) == data_key


def test_rotation_by_another_process_is_seen(
    key_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two instances stand for two processes sharing ./var/keys. The directory
    # mtime can miss a change made in the same clock tick; the periodic
    # rescan catches it, so make that period zero here.
    monkeypatch.setattr(keystore, "_RESCAN_SECONDS", 0.0)
    first, second = FileKeyStore(key_dir), FileKeyStore(key_dir)
    assert second.current_key_id == "k1"
    first.rotate()
    assert second.wrap(new_data_key(), context=CTX).key_id == "k2"


def test_unwrap_of_a_version_created_elsewhere_rescans(key_dir: Path) -> None:
    first, second = FileKeyStore(key_dir), FileKeyStore(key_dir)
    second.current_key_id  # noqa: B018  (load now, before the rotation)
    first.rotate()
    data_key = new_data_key()
    assert second.unwrap(first.wrap(data_key, context=CTX), context=CTX) == data_key


def test_retire_refuses_the_current_key_even_forced(store: FileKeyStore) -> None:
    with pytest.raises(KeyInUseError, match="rotate first"):
        store.retire("k1", force=True)


def test_retire_without_a_counter_is_refused_unless_forced(store: FileKeyStore) -> None:
    old = store.wrap(new_data_key(), context=CTX)
    store.rotate()
    with pytest.raises(KeyInUseError, match="cannot prove"):
        store.retire("k1")
    store.retire("k1", force=True)  # a bulk shred of everything under k1
    assert store.key_ids() == ("k2",)
    with pytest.raises(UnknownMasterKeyError):
        store.unwrap(old, context=CTX)


def test_retire_consults_the_counter(key_dir: Path) -> None:
    in_use = {"k1": 3}
    store = FileKeyStore(key_dir, wrapped_key_counter=lambda kid: in_use.get(kid, 0))
    store.rotate()
    with pytest.raises(KeyInUseError, match="3 data keys"):
        store.retire("k1")
    assert (key_dir / "k1.wrap.key").exists()
    in_use["k1"] = 0
    store.retire("k1")
    assert not (key_dir / "k1.wrap.key").exists()
    assert FileKeyStore(key_dir).key_ids() == ("k2",)


def test_retire_of_an_unknown_version(store: FileKeyStore) -> None:
    with pytest.raises(UnknownMasterKeyError):
        store.retire("k9", force=True)


def test_blind_index_keys_are_stable_and_separated(store: FileKeyStore, key_dir: Path) -> None:
    email = store.blind_index_key("identity.email")
    phone = store.blind_index_key("identity.phone")
    assert len(email) == 32
    assert email != phone
    store.rotate()
    assert store.blind_index_key("identity.email") == email
    assert FileKeyStore(key_dir).blind_index_key("identity.email") == email
    other_install = FileKeyStore(key_dir.parent / "other")
    assert other_install.blind_index_key("identity.email") != email


@pytest.mark.parametrize("purpose", ["", "Email", "has space", "x" * 65, "email\n"])
def test_blind_index_purpose_is_validated(store: FileKeyStore, purpose: str) -> None:
    with pytest.raises(ValueError, match="purpose"):
        store.blind_index_key(purpose)


@posix_only
def test_key_file_open_to_others_is_refused(store: FileKeyStore, key_dir: Path) -> None:
    store.current_key_id  # noqa: B018
    (key_dir / "k1.wrap.key").chmod(0o644)
    with pytest.raises(KeyStoreError, match="chmod go-rwx"):
        FileKeyStore(key_dir).current_key_id  # noqa: B018


@posix_only
def test_directory_open_to_others(key_dir: Path) -> None:
    key_dir.mkdir(parents=True, mode=0o755)
    key_dir.chmod(0o755)
    FileKeyStore(key_dir).current_key_id  # noqa: B018  (empty: tightened, then used)
    assert mode(key_dir) == 0o700
    key_dir.chmod(0o755)
    with pytest.raises(KeyStoreError, match="chmod 700"):
        FileKeyStore(key_dir).current_key_id  # noqa: B018


def test_corrupt_key_file_is_refused(store: FileKeyStore, key_dir: Path) -> None:
    store.rotate()
    path = key_dir / "k2.wrap.key"
    data = bytearray(path.read_bytes())
    data[10] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(KeyStoreError, match="corrupt"):
        FileKeyStore(key_dir).current_key_id  # noqa: B018


def test_missing_index_secret_is_not_silently_recreated(store: FileKeyStore, key_dir: Path) -> None:
    store.current_key_id  # noqa: B018
    (key_dir / "index.key").unlink()
    with pytest.raises(KeyStoreError, match="restore it"):
        FileKeyStore(key_dir).blind_index_key("identity.email")


def test_key_files_are_never_overwritten(store: FileKeyStore, key_dir: Path) -> None:
    store.current_key_id  # noqa: B018
    path = key_dir / "k1.wrap.key"
    before = path.read_bytes()
    assert keyfiles.create_key_file(path, keyfiles.KIND_WRAP) is False
    assert path.read_bytes() == before
    assert not [p for p in key_dir.iterdir() if p.name.startswith(keyfiles.TMP_PREFIX)]


def test_concurrent_first_use_agrees_on_one_key(key_dir: Path) -> None:
    stores = [FileKeyStore(key_dir) for _ in range(8)]
    barrier = threading.Barrier(len(stores))
    wrapped: dict[int, WrappedKey] = {}
    data_key = new_data_key()

    def start(i: int) -> None:
        barrier.wait()
        wrapped[i] = stores[i].wrap(data_key, context=CTX)

    threads = [threading.Thread(target=start, args=(i,)) for i in range(len(stores))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in stores:  # every instance unwraps what every other one wrapped
        assert all(s.unwrap(w, context=CTX) == data_key for w in wrapped.values())
    assert len({s.blind_index_key("identity.email") for s in stores}) == 1


def test_leftover_temp_files_from_a_crash_are_cleaned(store: FileKeyStore, key_dir: Path) -> None:
    store.current_key_id  # noqa: B018
    stale, fresh = key_dir / ".tmp-1-dead", key_dir / ".tmp-2-live"
    stale.write_bytes(b"half a key")
    fresh.write_bytes(b"being written")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    store.reload()
    assert not stale.exists()
    assert fresh.exists()
    assert store.key_ids() == ("k1",)
