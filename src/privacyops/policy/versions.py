"""Publish the declaration as a policy version, list, read and diff versions.

A version is immutable once published: its declaration text, hash and rendered pages
are kept so that any historical version can be shown exactly as it was.
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from privacyops.audit import service as audit
from privacyops.db import utcnow
from privacyops.policy.loader import parse_declaration
from privacyops.policy.models import PolicyVersion
from privacyops.policy.render.page import render_page
from privacyops.policy.schema import Declaration
from privacyops.web.i18n import N_, RefusalError


class PublishError(RefusalError):
    """A version that may not be published or compared."""


@dataclass(frozen=True)
class VersionDiff:
    old: str
    new: str
    text: str
    purposes_added: list[str]
    purposes_removed: list[str]
    purposes_changed: list[str]
    categories_added: list[str]
    categories_removed: list[str]
    categories_changed: list[str]


def digest(source: str) -> str:
    return hashlib.sha256(source.encode()).hexdigest()


def _purpose_fingerprints(declaration: Declaration) -> dict[str, str]:
    """What a person consented to for a purpose: its own text and the data that serves it."""
    result: dict[str, str] = {}
    for purpose in declaration.purposes:
        categories = sorted(c.key for c in declaration.categories if purpose.key in c.purposes)
        body = purpose.model_dump_json() + "|" + ",".join(categories)
        result[purpose.key] = hashlib.sha256(body.encode()).hexdigest()
    return result


def _fingerprints(items: dict[str, str], old: dict[str, str]) -> tuple[list[str], ...]:
    added = sorted(set(items) - set(old))
    removed = sorted(set(old) - set(items))
    changed = sorted(key for key in set(items) & set(old) if items[key] != old[key])
    return added, removed, changed


def _category_fingerprints(declaration: Declaration) -> dict[str, str]:
    return {
        c.key: hashlib.sha256(c.model_dump_json().encode()).hexdigest()
        for c in declaration.categories
    }


def purposes_needing_renewal(new: Declaration, old: Declaration | None) -> list[str]:
    """Consent-based purposes a major version changes; all of them if nothing narrower shows."""
    if new.policy.change_class != "major":
        return []
    consented = {p.key for p in new.purposes if p.requires_consent}
    if old is None:
        return []
    added, _removed, changed = _fingerprints(_purpose_fingerprints(new), _purpose_fingerprints(old))
    touched = sorted((set(added) | set(changed)) & consented)
    return touched or sorted(consented)


def latest(*, session: Session) -> PolicyVersion | None:
    return session.scalar(select(PolicyVersion).order_by(PolicyVersion.id.desc()).limit(1))


def list_versions(*, session: Session) -> list[PolicyVersion]:
    return list(session.scalars(select(PolicyVersion).order_by(PolicyVersion.id.desc())))


def get(*, session: Session, version: str) -> PolicyVersion | None:
    return session.scalar(select(PolicyVersion).where(PolicyVersion.version == version))


def publish(*, session: Session, source: str, name: str, actor: str) -> PolicyVersion:
    """Validate `source` and publish it; refuses a reused version number or an unchanged text."""
    declaration = parse_declaration(source, name=name)
    meta = declaration.policy
    previous = latest(session=session)
    sha = digest(source)
    if previous is not None and previous.sha256 == sha:
        raise PublishError(
            N_("version {version} already has exactly this text"), version=previous.version
        )
    if get(session=session, version=meta.version) is not None:
        raise PublishError(
            N_("version {version} is already published; raise the version to publish changes"),
            version=meta.version,
        )
    old = parse_declaration(previous.source, name=previous.version) if previous else None
    row = PolicyVersion(
        version=meta.version,
        label=meta.label,
        change_class=meta.change_class,
        effective_date=meta.effective_date,
        published_at=utcnow(),
        published_by=actor,
        sha256=sha,
        source=source,
        page_en=render_page(declaration, "en"),
        page_zh=render_page(declaration, "zh-CN"),
        renew_consent_for=purposes_needing_renewal(declaration, old),
    )
    session.add(row)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="policy.published",
        target_type="policy_version",
        target_id=row.version,
        details={
            "sha256": sha,
            "change_class": row.change_class,
            "renew_consent_for": row.renew_consent_for,
        },
    )
    return row


def diff(*, session: Session, old: str, new: str) -> VersionDiff:
    rows = {v: get(session=session, version=v) for v in (old, new)}
    missing = [v for v, row in rows.items() if row is None]
    if missing:
        raise PublishError(N_("no published version '{version}'"), version=missing[0])
    before, after = rows[old], rows[new]
    if before is None or after is None:
        raise PublishError(N_("both versions must be published"))
    text = "".join(
        difflib.unified_diff(
            before.source.splitlines(keepends=True),
            after.source.splitlines(keepends=True),
            fromfile=f"policy {old}",
            tofile=f"policy {new}",
        )
    )
    old_decl = parse_declaration(before.source, name=old)
    new_decl = parse_declaration(after.source, name=new)
    p_added, p_removed, p_changed = _fingerprints(
        _purpose_fingerprints(new_decl), _purpose_fingerprints(old_decl)
    )
    c_added, c_removed, c_changed = _fingerprints(
        _category_fingerprints(new_decl), _category_fingerprints(old_decl)
    )
    return VersionDiff(old, new, text, p_added, p_removed, p_changed, c_added, c_removed, c_changed)
