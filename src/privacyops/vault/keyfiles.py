"""Key files on disk for ``FileKeyStore``: format, private permissions, crash-safe creation.

A key file is ``MAGIC | kind | 32-byte secret | checksum`` where the
checksum is the first 8 bytes of SHA-256 over what precedes it. The checksum
turns a corrupted or foreign file into one clear error at start-up instead
of a flood of ``IntegrityError`` later. Files are never rewritten in place:
a key is created once and, at most, deleted.
"""

from __future__ import annotations

import ctypes
import hashlib
import hmac
import os
import secrets
import sys
import time
from collections.abc import Callable
from pathlib import Path

from privacyops.vault.errors import KeyStoreError

KIND_WRAP = 1
KIND_INDEX = 2
KIND_SHARE = 3  # one subject's key-store share (see ``shares``)
TMP_PREFIX = ".tmp-"
SECRET_BYTES = 32
POSIX = os.name == "posix"

_MAGIC = b"POVK\x01"
_CHECKSUM_BYTES = 8
_FILE_BYTES = len(_MAGIC) + 1 + SECRET_BYTES + _CHECKSUM_BYTES
_STALE_TMP_SECONDS = 600


def encode_key_file(kind: int, secret: bytes) -> bytes:
    body = _MAGIC + bytes((kind,)) + secret
    return body + hashlib.sha256(body).digest()[:_CHECKSUM_BYTES]


def read_key_file(path: Path, kind: int) -> bytes:
    """The secret in ``path``; refuses a file open to others, corrupt or of another kind."""
    check_private(path)
    data = path.read_bytes()
    body, checksum = data[:-_CHECKSUM_BYTES], data[-_CHECKSUM_BYTES:]
    if (
        len(data) != _FILE_BYTES
        or not body.startswith(_MAGIC)
        or body[len(_MAGIC)] != kind
        or not hmac.compare_digest(hashlib.sha256(body).digest()[:_CHECKSUM_BYTES], checksum)
    ):
        raise KeyStoreError(f"{path}: not a valid privacyops key file (corrupt or foreign)")
    return body[len(_MAGIC) + 1 :]


def check_private(path: Path) -> None:
    """Refuse a key that group or others could read, as ssh does: it may have leaked."""
    if POSIX and path.stat().st_mode & 0o077:
        raise KeyStoreError(
            f"{path}: readable by group or others; run `chmod go-rwx {path}` and check who read it"
        )


def prepare_directory(directory: Path) -> None:
    """Create the key directory with mode 0700, or check an existing one.

    An existing directory that is open to others is tightened while it holds
    no key yet (an operator's plain ``mkdir``), and refused once it does.
    """
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise KeyStoreError(f"{directory}: cannot create key directory: {exc}") from exc
    if not POSIX or not directory.stat().st_mode & 0o077:
        return
    if any(p.name.endswith(".key") for p in directory.iterdir()):
        raise KeyStoreError(
            f"{directory}: key directory is open to group or others; run `chmod 700 {directory}`"
        )
    directory.chmod(0o700)


def fsync_dir(directory: Path) -> None:
    """Make a created or removed name in ``directory`` durable."""
    if not POSIX:
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def create_key_file(path: Path, kind: int) -> bool:
    """Write a fresh random key to ``path`` atomically; False if ``path`` already exists.

    Crash safety: the key is written and fsynced under a temporary name, then
    published with ``os.link``, which is atomic like ``os.replace`` but
    refuses to overwrite. Overwriting would be a disaster here: when two
    processes start at once, the loser's key would silently replace a key the
    winner may already have wrapped data under. A crash before the link
    leaves only a temporary file (removed later by ``remove_stale_tmp``),
    never a half-written key under a real name. The directory is fsynced so
    the new name survives a power cut.
    """
    tmp = path.with_name(f"{TMP_PREFIX}{os.getpid()}-{secrets.token_hex(6)}")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(tmp, flags, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            if POSIX:
                os.fchmod(fh.fileno(), 0o600)  # whatever the umask
            fh.write(encode_key_file(kind, secrets.token_bytes(SECRET_BYTES)))
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(path.parent)
    return True


def remove_stale_tmp(path: Path) -> None:
    """Delete a temporary file left by a crash mid-write (never published, so never used).

    Only files older than ten minutes: a younger one may belong to a writer
    that is still running.
    """
    try:
        if time.time() - path.stat().st_mtime > _STALE_TMP_SECONDS:
            path.unlink()
    except FileNotFoundError:
        pass


def create_fresh_key_files(paths: list[Path], kind: int) -> list[bytes]:
    """Write a fresh random key to each of ``paths`` (names nobody used yet); their secrets.

    For many keys at once (a batch import creates one key-store share per new
    subject). Each file is written straight under its name with ``O_EXCL``,
    without the temporary name and link of ``create_key_file``, and made
    durable by one barrier for all of them (``durable``) instead of an fsync
    per file and directory. That is safe only for names no committed row can
    refer to yet: a crash may leave a torn file, but only under the name of a
    subject whose row never committed, so nothing ever reads it. A name that
    exists already raises ``FileExistsError`` and the caller's transaction
    rolls back.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    secrets_out: list[bytes] = []
    for path in paths:
        secret = secrets.token_bytes(SECRET_BYTES)
        fd = os.open(path, flags, 0o600)
        try:
            if POSIX:
                os.fchmod(fd, 0o600)
            os.write(fd, encode_key_file(kind, secret))
        finally:
            os.close(fd)
        secrets_out.append(secret)
    durable(paths)
    return secrets_out


def durable(paths: list[Path]) -> None:
    """Make written files and their names durable: one ``syncfs`` of the file system on
    Linux (one flush for any number of files), else an fsync per file and directory."""
    if not paths or not POSIX:
        return
    syncfs = _syncfs()
    if syncfs is not None:
        fd = os.open(paths[0].parent, os.O_RDONLY)
        try:
            if syncfs(fd) == 0:
                return
        finally:
            os.close(fd)
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    for directory in {path.parent for path in paths}:
        fsync_dir(directory)


def _syncfs() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        function: Callable[[int], int] = libc.syncfs
    except (OSError, AttributeError):
        return None
    return function
