"""Access packages at rest: a zip encrypted with AES-256-GCM in chunks while it is written.

The zip is produced by ``zipfile`` writing into ``EncryptingWriter`` (zipfile
handles an unseekable output with data descriptors), so the plaintext never
touches the disk and memory holds one chunk at a time, whatever the
subject's history weighs.

File layout (version 1)::

    "POPKG" 0x01 | nonce prefix (8 random bytes) | chunk size (4, big-endian)
    then per chunk: length (4, big-endian) | ciphertext + tag (16)

Chunk ``i`` is sealed with nonce ``prefix || i`` (4 bytes, big-endian) and
associated data ``header || i (8 bytes) || final (1 byte)``. The counter stops
reordering and the final flag stops truncation: cut the file after any chunk
and the chunk that is now last was not sealed as final, so it fails. The key
is random per package and never reused, so the counter nonces cannot repeat.
The key itself is stored encrypted under the subject's vault key
(``AccessPackage.key_ciphertext``): erasing the subject makes the package
unreadable like every other value of it.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"POPKG\x01"
CHUNK_BYTES = 64 * 1024
KEY_BYTES = 32
_PREFIX_BYTES = 8
_HEADER_BYTES = len(MAGIC) + _PREFIX_BYTES + 4
_TAG_BYTES = 16


class PackageIntegrityError(ValueError):
    """The package file was changed, truncated, or the key is not its key."""


def new_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def _aad(header: bytes, index: int, final: bool) -> bytes:
    return header + index.to_bytes(8, "big") + (b"\x01" if final else b"\x00")


def _nonce(prefix: bytes, index: int) -> bytes:
    if index >= 2**32:
        raise ValueError("package too large for one key")
    return prefix + index.to_bytes(4, "big")


class EncryptingWriter:
    """A write-only binary stream that seals what it receives into ``path``.

    Writes go to ``path.part`` (mode 0600); ``finish`` seals the last chunk,
    syncs the file and renames it into place, so a package file that exists
    is complete. ``abort`` removes the partial file.
    """

    def __init__(self, path: Path, key: bytes, *, chunk_bytes: int = CHUNK_BYTES) -> None:
        self.path = path
        self._part = path.with_name(path.name + ".part")
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self._part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        self._file: BinaryIO = os.fdopen(fd, "wb")
        self._aead = AESGCM(key)
        self._prefix = secrets.token_bytes(_PREFIX_BYTES)
        self._chunk = chunk_bytes
        self._header = MAGIC + self._prefix + chunk_bytes.to_bytes(4, "big")
        self._file.write(self._header)
        self._buffer = bytearray()
        self._index = 0
        self._digest = hashlib.sha256()
        self.plain_bytes = 0

    # zipfile needs write(), flush() and close(); it wraps a stream without tell() itself,
    # and never closes a stream it was given (``finish`` does).
    def write(self, data: bytes, /) -> int:
        view = memoryview(data)
        self._digest.update(view)
        self.plain_bytes += len(view)
        self._buffer += view
        while len(self._buffer) >= self._chunk:
            self._seal(bytes(self._buffer[: self._chunk]), final=False)
            del self._buffer[: self._chunk]
        return len(view)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def _seal(self, chunk: bytes, *, final: bool) -> None:
        sealed = self._aead.encrypt(
            _nonce(self._prefix, self._index), chunk, _aad(self._header, self._index, final)
        )
        self._file.write(len(sealed).to_bytes(4, "big") + sealed)
        self._index += 1

    def finish(self) -> tuple[int, str]:
        """Seal the rest, make the file durable and put it in place: (plain size, SHA-256)."""
        self._seal(bytes(self._buffer), final=True)
        self._buffer.clear()
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        os.replace(self._part, self.path)
        return self.plain_bytes, self._digest.hexdigest()

    def abort(self) -> None:
        self._file.close()
        self._part.unlink(missing_ok=True)


def _read_exact(handle: BinaryIO, size: int) -> bytes:
    data = handle.read(size)
    if len(data) != size:
        raise PackageIntegrityError("package file is truncated")
    return data


def decrypt(path: Path, key: bytes) -> Iterator[bytes]:
    """The package's zip bytes, chunk by chunk; raises ``PackageIntegrityError`` on tampering.

    A chunk is yielded only after it authenticated, but a truncation is seen
    only at the end: a consumer must treat an exception as a failed download.
    """
    aead = AESGCM(key)
    with path.open("rb") as handle:
        header = handle.read(_HEADER_BYTES)
        if len(header) != _HEADER_BYTES or not header.startswith(MAGIC):
            raise PackageIntegrityError("not a package file")
        prefix = header[len(MAGIC) : len(MAGIC) + _PREFIX_BYTES]
        chunk_bytes = int.from_bytes(header[-4:], "big")
        index = 0
        length = handle.read(4)
        while True:
            if len(length) != 4:
                raise PackageIntegrityError("package file is truncated")
            size = int.from_bytes(length, "big")
            if size > chunk_bytes + _TAG_BYTES:
                raise PackageIntegrityError("package chunk is too large")
            sealed = _read_exact(handle, size)
            length = handle.read(4)
            final = not length
            try:
                plain = aead.decrypt(_nonce(prefix, index), sealed, _aad(header, index, final))
            except InvalidTag:
                raise PackageIntegrityError(
                    "package failed authentication: changed, truncated or a foreign key"
                ) from None
            if plain:
                yield plain
            if final:
                return
            index += 1
