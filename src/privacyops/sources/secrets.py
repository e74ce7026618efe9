"""Where an external source's URL (and so its password) comes from: never the declaration.

``url_env`` names an environment variable; ``url_secret`` names a line of the
secrets file (``PRIVACYOPS_SOURCES_SECRETS_FILE``)::

    # name = SQLAlchemy URL
    shop = postgresql+psycopg://privacyops:s3cret@db.internal/shop
    crm  = mysql+pymysql://privacyops:s3cret@crm.internal/crm

The file must live outside the repository that holds the declaration and be
readable by its owner only (mode 600), so it is neither committed by mistake
nor read by other local users.
"""

from __future__ import annotations

import re
import stat
from pathlib import Path

from privacyops.policy.sources import ExternalSource
from privacyops.settings import Settings
from privacyops.sources.errors import ConnectorError

_LINE = re.compile(r"^\s*([A-Za-z0-9_.-]{1,100})\s*=\s*(\S.*?)\s*$")


def read_secrets_file(path: Path, *, repository: Path | None = None) -> dict[str, str]:
    """The file's ``name = URL`` lines; a bad line is refused as ``file:line: message``."""
    if repository is not None and path.resolve().is_relative_to(repository.resolve()):
        raise ConnectorError(f"{path}: the sources secrets file must live outside the repository")
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConnectorError(
            f"{path}: cannot read the sources secrets file ({error.strerror})"
        ) from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConnectorError(f"{path}: readable by others; make it readable by its owner only")
    found: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            raise ConnectorError(f"{path}:{number}: expected 'name = URL'")
        name, url = match.groups()
        if name in found:
            raise ConnectorError(f"{path}:{number}: {name!r} is given twice")
        found[name] = url
    return found


def repository_of(path: Path) -> Path | None:
    """The git work tree holding ``path`` (the declaration), if any."""
    for folder in [path.resolve(), *path.resolve().parents]:
        if (folder / ".git").exists():
            return folder
    return None


def resolve_url(source: ExternalSource, settings: Settings) -> str:
    if source.url is not None:
        return source.url
    if source.url_env is not None:
        url = settings.environment_value(source.url_env)
        if not url:
            raise ConnectorError(f"external source {source.name}: ${source.url_env} is not set")
        return url
    assert source.url_secret is not None  # one of the three, checked when the declaration loads
    if settings.sources_secrets_file is None:
        raise ConnectorError(
            f"external source {source.name}: url_secret needs PRIVACYOPS_SOURCES_SECRETS_FILE"
        )
    secrets = read_secrets_file(
        settings.sources_secrets_file, repository=repository_of(settings.policy)
    )
    url = secrets.get(source.url_secret)
    if not url:
        raise ConnectorError(
            f"external source {source.name}: {settings.sources_secrets_file} has no "
            f"{source.url_secret!r}"
        )
    return url


__all__ = ["read_secrets_file", "repository_of", "resolve_url"]
