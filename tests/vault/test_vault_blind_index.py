"""Blind indexes: normalisation rules, stability across rotation, domain separation."""

from __future__ import annotations

import hmac
from pathlib import Path

import pytest

from privacyops.vault.blind_index import (
    BlindIndexer,
    IdentityKind,
    normalize_device_serial,
    normalize_email,
    normalize_opaque_id,
    normalize_phone,
)
from privacyops.vault.errors import InvalidIdentityError
from privacyops.vault.keystore import FileKeyStore


@pytest.fixture
def indexer(store: FileKeyStore) -> BlindIndexer:
    return BlindIndexer(store)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Alice@Example.COM ", "alice@example.com"),
        ("  alice@example.com.", "alice@example.com"),
        ("ａｌｉｃｅ＠ｅｘａｍｐｌｅ．ｃｏｍ", "alice@example.com"),  # full-width IME input
        ("Hans@Bücher.DE", "hans@xn--bcher-kva.de"),
        ("li@例子.中国", "li@xn--fsqu00a.xn--fiqs8s"),
        ("a.b+tag@gmail.com", "a.b+tag@gmail.com"),  # dots and tags are kept
        ('"odd@local"@example.com', '"odd@local"@example.com'),
    ],
)
def test_normalize_email(raw: str, expected: str) -> None:
    assert normalize_email(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "alice",
        "@example.com",
        "alice@",
        "al ice@example.com",
        "a@b..c",
        "a@.",
        "a@" + "x" * 64 + ".com",  # a DNS label holds at most 63 characters
        "a@bü..de",
    ],
)
def test_invalid_email(raw: str) -> None:
    with pytest.raises(InvalidIdentityError, match="e-mail"):
        normalize_email(raw)


@pytest.mark.parametrize("domain", ["Example.COM", "xn--bcher-kva.de", "a-b.c0.io", "x" * 63])
def test_ascii_domains_match_the_idna_codec(domain: str) -> None:
    # ASCII domains skip the codec for speed; the result must be the same.
    assert normalize_email(f"a@{domain}") == f"a@{domain.encode('idna').decode().lower()}"


def test_invalid_identity_is_also_a_value_error() -> None:
    assert issubclass(InvalidIdentityError, ValueError)


@pytest.mark.parametrize(
    "raw",
    [
        "+86 138-1234-5678",
        "8613812345678",
        "13812345678",
        "0086 138 1234 5678",
        "+86 (138) 1234.5678",
        "１３８１２３４５６７８",  # full-width digits
        "  138 1234 5678\t",
    ],
)
def test_normalize_phone_chinese_mobile(raw: str) -> None:
    assert normalize_phone(raw) == "+8613812345678"


@pytest.mark.parametrize(
    ("raw", "code", "expected"),
    [
        ("(010) 1234-5678", "86", "+861012345678"),  # trunk 0 dropped
        ("+44 (0)20 7946 0958", "86", "+442079460958"),  # written trunk after +cc
        ("020 7946 0958", "44", "+442079460958"),
        ("(212) 555-1234", "+1", "+12125551234"),
        ("1-212-555-1234", "1", "+12125551234"),
        ("+1 212 555 1234", "86", "+12125551234"),  # explicit code wins over default
    ],
)
def test_normalize_phone_other_regions(raw: str, code: str, expected: str) -> None:
    assert normalize_phone(raw, default_country_code=code) == expected


@pytest.mark.parametrize(
    "raw", ["", "+", "12", "138-1234-5678 ext 9", "+0 123 4567", "+1234567890123456", "abc"]
)
def test_invalid_phone(raw: str) -> None:
    with pytest.raises(InvalidIdentityError):
        normalize_phone(raw)


@pytest.mark.parametrize("code", ["", "0", "1234", "8a"])
def test_invalid_default_country_code(code: str) -> None:
    with pytest.raises(ValueError, match="country code"):
        normalize_phone("13812345678", default_country_code=code)


def test_normalize_device_serial_and_opaque_ids() -> None:
    assert normalize_device_serial("  sn-ab12:cd \n") == "SN-AB12:CD"
    assert normalize_opaque_id("  Acc-42 ") == "Acc-42"  # case is significant
    for fn in (normalize_device_serial, normalize_opaque_id):
        with pytest.raises(InvalidIdentityError):
            fn("   ")


def test_variants_give_the_same_index(indexer: BlindIndexer) -> None:
    assert indexer.index("email", "Alice@Example.COM ") == indexer.index(
        IdentityKind.EMAIL, "alice@example.com"
    )
    phones = {indexer.index("phone", p) for p in ("+86 138-1234-5678", "8613812345678")}
    assert phones == {indexer.index("phone", "13812345678")}
    assert indexer.index("device_serial", "ab-1 ") == indexer.index("device_serial", "AB-1")


def test_distinct_values_give_distinct_indexes(indexer: BlindIndexer) -> None:
    assert indexer.index("email", "alice@example.com") != indexer.index("email", "bob@example.com")
    assert indexer.index("account_id", "Acc-1") != indexer.index("account_id", "acc-1")


def test_kinds_are_domain_separated(indexer: BlindIndexer) -> None:
    same = "ABC123"
    indexes = {indexer.index(kind, same) for kind in ("device_serial", "account_id", "cookie_id")}
    assert len(indexes) == 3


def test_index_is_truncated_hmac_sha256_under_the_kind_key(
    indexer: BlindIndexer, store: FileKeyStore
) -> None:
    # Pins the format: a change here breaks every stored index.
    key = store.blind_index_key("identity.email")
    full = hmac.digest(key, b"alice@example.com", "sha256")
    assert indexer.index("email", " ALICE@example.com") == full[:16]
    assert BlindIndexer(store, length=32).index("email", "alice@example.com") == full


def test_index_stable_across_rotation_and_reopen(store: FileKeyStore, key_dir: Path) -> None:
    before = BlindIndexer(store).index("email", "alice@example.com")
    store.rotate()
    store.rotate()
    assert BlindIndexer(store).index("email", "alice@example.com") == before
    assert BlindIndexer(FileKeyStore(key_dir)).index("email", "Alice@example.com") == before


def test_index_depends_on_the_installation_secret(indexer: BlindIndexer, tmp_path: Path) -> None:
    other = BlindIndexer(FileKeyStore(tmp_path / "other-keys"))
    assert other.index("email", "alice@example.com") != indexer.index("email", "alice@example.com")


@pytest.mark.parametrize("length", [15, 33, 0])
def test_length_bounds(store: FileKeyStore, length: int) -> None:
    with pytest.raises(ValueError, match=r"16\.\.32"):
        BlindIndexer(store, length=length)


def test_indexer_default_country_code(store: FileKeyStore) -> None:
    us = BlindIndexer(store, default_country_code="1")
    assert us.normalize("phone", "(212) 555-1234") == "+12125551234"
    with pytest.raises(ValueError, match="country code"):
        BlindIndexer(store, default_country_code="x")


def test_unknown_kind_is_refused(indexer: BlindIndexer) -> None:
    with pytest.raises(ValueError, match="passport"):
        indexer.index("passport", "E1234")
