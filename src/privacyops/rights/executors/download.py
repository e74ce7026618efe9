"""Downloading a package: the token, its expiry, the decrypted stream; and package files.

A token is ``<package id>.<secret>``: the id finds the row by primary key (no
scan, no timing difference between unknown ids and wrong secrets beyond the
lookup), the secret is compared with its stored SHA-256 in constant time. Only
the hash is stored; the raw token exists in the report of the run that built
the package (or of ``reissue_download``) and in what the caller sends.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from privacyops.audit import service as audit
from privacyops.db import utcnow
from privacyops.rights.executors import package
from privacyops.rights.executors.engine import ExecutionError
from privacyops.rights.models import AccessPackage, RequestStatus, RequestType, RightsRequest
from privacyops.settings import Settings
from privacyops.vault.errors import VaultError
from privacyops.vault.service import Vault

#: The vault "category" the package key is bound to (AAD), with the request id as field.
KEY_CATEGORY = "rights.access_package"


class PackageError(ExecutionError):
    """A download refused: unknown or wrong token (``not_found``), expired or erased (``gone``)."""


@dataclass(frozen=True)
class PackageDownload:
    request_id: str
    filename: str
    size_bytes: int
    sha256: str
    expires_at: datetime
    chunks: Iterator[bytes]


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_token(package_id: int) -> tuple[str, str]:
    secret = secrets.token_urlsafe(32)
    return f"{package_id}.{secret}", token_hash(secret)


def open_package(
    *, session: Session, vault: Vault, settings: Settings, token: str, now: datetime | None = None
) -> PackageDownload:
    """Check the token and expiry, and stream the decrypted zip (``PackageDownload.chunks``).

    Records the download (``downloaded_at`` and an audit event) in the
    caller's transaction. The key is opened here, so the chunks can be
    streamed after the session has closed.
    """
    package_id, _, secret = token.partition(".")
    row = session.get(AccessPackage, int(package_id)) if package_id.isdigit() else None
    if row is None or not hmac.compare_digest(token_hash(secret), row.download_token_hash):
        raise PackageError("this download link is not valid", code="not_found", field="token")
    moment = now or utcnow()
    if moment >= row.expires_at:
        raise PackageError("this download link has expired", code="gone", field="token")
    request = session.get_one(RightsRequest, row.request_id)
    path = settings.packages_dir / row.path
    try:
        key = vault.decrypt(
            session=session,
            subject_id=request.subject_id,
            category=KEY_CATEGORY,
            field=request.id,
            ciphertext=row.key_ciphertext,
        )
    except VaultError:
        raise PackageError("this package no longer exists", code="gone", field="token") from None
    if not path.is_file():
        raise PackageError("this package no longer exists", code="gone", field="token")
    row.downloaded_at = moment
    audit.record(
        session=session,
        actor="requester",
        action="rights.package_downloaded",
        target_type="rights_request",
        target_id=request.id,
        details={"package_id": row.id},
    )
    session.flush()
    return PackageDownload(
        request_id=request.id,
        filename=f"{request.id}-personal-data.zip",
        size_bytes=row.size_bytes,
        sha256=row.sha256,
        expires_at=row.expires_at,
        chunks=package.decrypt(path, key),
    )


def reissue_download(*, session: Session, request_id: str, actor: str) -> str:
    """A new download token for a built, unexpired package; the old token stops working."""
    row = session.scalar(select(AccessPackage).where(AccessPackage.request_id == request_id))
    request = session.get(RightsRequest, request_id)
    if row is None or request is None or request.status != RequestStatus.COMPLETED:
        raise PackageError(f"request {request_id} has no package", code="not_found")
    if request.type not in (RequestType.ACCESS, RequestType.PORTABILITY):
        raise PackageError(f"request {request_id} is not an access request", code="conflict")
    if utcnow() >= row.expires_at:
        raise PackageError("the package has expired; open a new request", code="gone")
    token, row.download_token_hash = new_token(row.id)
    audit.record(
        session=session,
        actor=actor,
        action="rights.package_token_reissued",
        target_type="rights_request",
        target_id=request_id,
        details={"package_id": row.id},
    )
    session.flush()
    return token


def remove_package_files(
    *,
    session: Session,
    settings: Settings,
    subject_id: str | None = None,
    expired_before: datetime | None = None,
) -> int:
    """Delete package files of a subject (erasure) or past expiry (a periodic job); idempotent."""
    query = select(AccessPackage.path).join(RightsRequest)
    if subject_id is not None:
        query = query.where(RightsRequest.subject_id == subject_id)
    if expired_before is not None:
        query = query.where(AccessPackage.expires_at < expired_before)
    removed = 0
    for name in session.scalars(query):
        path: Path = settings.packages_dir / name
        for candidate in (path, path.with_name(path.name + ".part")):
            if candidate.exists():
                candidate.unlink()
                removed += 1
    return removed
