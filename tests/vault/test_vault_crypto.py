"""Field encryption: round trip, the blob format, AAD binding, tamper detection."""

from __future__ import annotations

import pytest

from privacyops.vault.crypto import (
    FIELD_FORMAT_VERSION,
    FieldCipher,
    decrypt_field,
    encrypt_field,
    field_aad,
    new_data_key,
)
from privacyops.vault.errors import IntegrityError, UnsupportedFormatError, VaultError

AAD = field_aad("subject-1", "contact", "email")


@pytest.fixture
def key() -> bytes:
    return new_data_key()


@pytest.mark.parametrize(
    "plaintext", [b"alice@example.com", b"", b"\x00\xff" * 500, "张伟 13812345678"]
)
def test_round_trip(key: bytes, plaintext: bytes | str) -> None:
    blob = encrypt_field(key, plaintext, aad=AAD)
    expected = plaintext.encode() if isinstance(plaintext, str) else plaintext
    assert decrypt_field(key, blob, aad=AAD) == expected


def test_blob_format_is_version_nonce_ciphertext_tag(key: bytes) -> None:
    blob = encrypt_field(key, b"12345", aad=AAD)
    assert blob[0] == FIELD_FORMAT_VERSION
    assert len(blob) == 1 + 12 + 5 + 16


def test_same_plaintext_encrypts_differently(key: bytes) -> None:
    # A random nonce per field: equal values must not be visible as equal blobs.
    blobs = {encrypt_field(key, b"same", aad=AAD) for _ in range(50)}
    assert len(blobs) == 50
    assert len({b[1:13] for b in blobs}) == 50


def test_cipher_object_and_raw_key_interoperate(key: bytes) -> None:
    cipher = FieldCipher(key)
    assert decrypt_field(key, cipher.encrypt("x", aad=AAD), aad=AAD) == b"x"
    assert cipher.decrypt(encrypt_field(key, "y", aad=AAD), aad=AAD) == b"y"
    assert key.hex() not in repr(cipher)


@pytest.mark.parametrize(
    "other",
    [
        field_aad("subject-2", "contact", "email"),  # another subject's row
        field_aad("subject-1", "contact", "phone"),  # another column
        field_aad("subject-1", "billing", "email"),  # another category
    ],
)
def test_aad_mismatch_fails(key: bytes, other: bytes) -> None:
    blob = encrypt_field(key, b"alice@example.com", aad=AAD)
    with pytest.raises(IntegrityError):
        decrypt_field(key, blob, aad=other)


def test_field_aad_parts_cannot_run_into_each_other() -> None:
    assert field_aad("ab", "c", "d") != field_aad("a", "bc", "d")
    assert field_aad("a", "b", "cd") != field_aad("a", "bc", "d")


@pytest.mark.parametrize("part", [("", "c", "f"), ("s", "", "f"), ("s", "c", "")])
def test_field_aad_refuses_empty_parts(part: tuple[str, str, str]) -> None:
    with pytest.raises(ValueError, match="non-empty"):
        field_aad(*part)


def test_empty_aad_is_refused(key: bytes) -> None:
    with pytest.raises(ValueError, match="aad"):
        encrypt_field(key, b"x", aad=b"")


def test_every_flipped_byte_is_detected(key: bytes) -> None:
    blob = encrypt_field(key, b"alice@example.com", aad=AAD)
    for i in range(len(blob)):
        tampered = bytearray(blob)
        tampered[i] ^= 0x01
        with pytest.raises(IntegrityError):
            decrypt_field(key, bytes(tampered), aad=AAD)


def test_unknown_version_is_an_integrity_error(key: bytes) -> None:
    blob = bytearray(encrypt_field(key, b"x", aad=AAD))
    blob[0] = 0x7F
    with pytest.raises(UnsupportedFormatError, match="version 127"):
        decrypt_field(key, bytes(blob), aad=AAD)


@pytest.mark.parametrize("cut", [0, 1, 13, 28])
def test_truncated_blob_fails(key: bytes, cut: int) -> None:
    blob = encrypt_field(key, b"x", aad=AAD)
    with pytest.raises(IntegrityError):
        decrypt_field(key, blob[:cut], aad=AAD)


def test_wrong_key_fails_and_hides_the_library_exception(key: bytes) -> None:
    blob = encrypt_field(key, b"secret", aad=AAD)
    with pytest.raises(IntegrityError) as info:
        decrypt_field(new_data_key(), blob, aad=AAD)
    assert isinstance(info.value, VaultError)
    assert info.value.__suppress_context__


@pytest.mark.parametrize("bad", [b"", b"k" * 16, b"k" * 31, b"k" * 33])
def test_data_key_must_be_256_bits(bad: bytes) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        encrypt_field(bad, b"x", aad=AAD)


def test_new_data_keys_are_random() -> None:
    assert len({new_data_key() for _ in range(100)}) == 100
