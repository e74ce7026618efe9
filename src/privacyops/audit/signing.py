"""The log's Ed25519 signing key, kept in the key directory (never in the database).

Created on first use, mode 0600, published atomically so two processes starting
at once end up with the same key. The public key is what an auditor keeps.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

KEY_FILE = "audit-log.ed25519"


class SigningKeyError(RuntimeError):
    """The signing key file is unreadable, malformed or open to others."""


def raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    return hashlib.sha256(raw_public(key)).hexdigest()


def public_from_b64(text: str) -> Ed25519PublicKey:
    try:
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))
    except ValueError as error:
        raise SigningKeyError(f"not an Ed25519 public key: {error}") from None


def public_b64(key: Ed25519PublicKey) -> str:
    return base64.b64encode(raw_public(key)).decode()


def public_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def check_signature(key: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    try:
        key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


def _write_new(path: Path) -> None:
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    tmp = path.with_name(f".tmp-{os.getpid()}-{secrets.token_hex(6)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), 0o600)
            fh.write(pem)
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(FileExistsError):  # another process won: use its key
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def signing_key(key_dir: Path) -> Ed25519PrivateKey:
    """The log's private key from ``key_dir``, created there on first use."""
    path = key_dir / KEY_FILE
    try:
        if not path.exists():
            key_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            _write_new(path)
        if path.stat().st_mode & 0o077:
            raise SigningKeyError(f"{path}: readable by group or others; run `chmod 600 {path}`")
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except OSError as error:
        raise SigningKeyError(f"{path}: {error.strerror}") from None
    except (ValueError, TypeError) as error:
        raise SigningKeyError(f"{path}: not an Ed25519 private key ({error})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{path}: not an Ed25519 private key")
    return key


def public_key(key_dir: Path) -> Ed25519PublicKey:
    return signing_key(key_dir).public_key()
