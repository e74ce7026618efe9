"""Access packages: the requester's download link and a copy for staff.

Every function takes the caller's ``session`` and never commits.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from privacyops.db import utcnow
from privacyops.rights import executors
from privacyops.rights.common import RightsError, _audit
from privacyops.rights.executors import ExecutionError, PackageDownload
from privacyops.rights.executors import package as package_files
from privacyops.rights.executors.download import KEY_CATEGORY as PACKAGE_KEY_CATEGORY
from privacyops.rights.lookups import get, package_of
from privacyops.settings import Settings
from privacyops.vault.errors import VaultError
from privacyops.vault.service import Vault

__all__ = ["open_download", "staff_package"]


def staff_package(
    *, session: Session, vault: Vault, settings: Settings, request_id: str, actor: str
) -> PackageDownload:
    """A built package for staff allowed to read personal values, without touching the
    requester's link (``reissue_download`` would replace it); audited."""
    request = get(session=session, request_id=request_id)
    row = package_of(session=session, request_id=request_id)
    if row is None:
        raise RightsError(f"request {request_id} has no package", code="not_found", field=None)
    if utcnow() >= row.expires_at:
        raise RightsError("the package has expired", code="gone", field=None)
    path = settings.packages_dir / row.path
    try:
        key = vault.decrypt(
            session=session,
            subject_id=request.subject_id,
            category=PACKAGE_KEY_CATEGORY,
            field=request.id,
            ciphertext=row.key_ciphertext,
        )
    except VaultError:
        raise RightsError("the package no longer exists", code="gone", field=None) from None
    if not path.is_file():
        raise RightsError("the package no longer exists", code="gone", field=None)
    _audit(session, actor, "package_downloaded_by_staff", request, package_id=row.id)
    session.flush()
    return PackageDownload(
        request_id=request.id,
        filename=f"{request.id}-personal-data.zip",
        size_bytes=row.size_bytes,
        sha256=row.sha256,
        expires_at=row.expires_at,
        chunks=package_files.decrypt(path, key),
    )


def open_download(
    *, session: Session, vault: Vault, settings: Settings, token: str
) -> PackageDownload:
    """The requester's download link: checked and streamed by the executors' ``open_package``."""
    try:
        return executors.open_package(session=session, vault=vault, settings=settings, token=token)
    except ExecutionError as error:
        raise RightsError(str(error), code=error.code, field=error.field) from None
