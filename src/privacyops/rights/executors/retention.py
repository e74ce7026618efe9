"""What an erasure keeps because a law requires it, and how that survives the shred.

Legally retained data and the destroyed key. Erasure destroys the key under
which everything of the subject is encrypted, so a value that must survive
(a ``legal`` retention category, e.g. contract records under the PRC Civil
Code's limitation period, whose expiry has not passed; or a category under a
legal hold from the retention domain) is first decrypted and stored again
under a retention subject: a new subject with its own key, no identities (the
person's e-mail or phone no longer finds anything), state ``restricted`` (no
processing but storage), each value with its original collection time, its
original expiry, and the category's legal-obligation purpose. A
``rights_retained`` line links request, erased subject and holder, with the
category, the law and the date until which it is kept; the requester's report
lists the same. When that date passes, ``release_expired_retention`` (a
periodic job) erases the holder like any subject, so the retained copy ends
by crypto-shredding too.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from privacyops.db import utcnow
from privacyops.policy.retention import Legal
from privacyops.policy.schema import DataCategory, Declaration
from privacyops.rights.executors import extensions
from privacyops.rights.executors.engine import StepContext
from privacyops.rights.executors.models import RetainedData
from privacyops.subjects import records
from privacyops.subjects import service as subjects
from privacyops.subjects.models import SubjectState
from privacyops.subjects.records import StoredValue
from privacyops.vault.service import Vault


@dataclass(frozen=True)
class Keep:
    """Why a category is kept: its law and until when (None: until a hold is lifted)."""

    law: str
    until: datetime | None
    legal: bool  # a legal retention period (only unexpired values kept), else a hold (all)


def category_of(declaration: Declaration, key: str) -> DataCategory | None:
    try:
        return declaration.category(key)
    except KeyError:
        return None


def _reasons(ctx: StepContext, categories: list[str]) -> dict[str, Keep]:
    reasons: dict[str, Keep] = {}
    for key in categories:
        decl = category_of(ctx.declaration, key)
        if decl is not None and isinstance(decl.retention, Legal):
            reasons[key] = Keep(decl.retention.law, None, legal=True)
    for hold in extensions.legal_holds(ctx.session, ctx.request.subject_id):
        for key in hold.categories or categories:
            if key in categories:
                reasons[key] = Keep(f"{hold.law} ({hold.reason})", hold.until, legal=False)
    return reasons


def _legal_purpose(declaration: Declaration, decl: DataCategory | None, fallback: str) -> str:
    """The category's purpose whose basis is a legal obligation: what retained data is for."""
    if decl is None:
        return fallback
    for key in decl.purposes:
        basis = declaration.basis(decl.key, key)
        if basis.gdpr == "legal_obligation" or basis.pipl == "legal_obligation":
            return key
    return fallback


def _submissions(values: Iterator[StoredValue]) -> Iterator[list[StoredValue]]:
    """Values grouped as they were stored (same time, purpose, expiry): one write per group."""
    group: list[StoredValue] = []
    for value in values:
        if group and (
            (value.collected_at, value.purpose, value.expires_at, value.notice_version)
            != (
                group[0].collected_at,
                group[0].purpose,
                group[0].expires_at,
                group[0].notice_version,
            )
            or any(v.field == value.field for v in group)
        ):
            yield group
            group = []
        group.append(value)
    if group:
        yield group


def retain_legal(ctx: StepContext) -> dict[str, Any]:
    """Copy what the law still requires under a retention subject (see the module notes)."""
    session, subject_id = ctx.session, ctx.request.subject_id
    subject = subjects.get_subject(session=session, subject_id=subject_id)
    if subject.state == SubjectState.ERASED:
        return {"holder_subject_id": None, "kept": []}
    categories = list(ctx.results.get("inventory", {}).get("categories", {}))
    reasons = _reasons(ctx, categories)
    now = utcnow()
    holder: str | None = None
    kept: list[dict[str, Any]] = []
    for key, why in sorted(reasons.items()):
        decl = category_of(ctx.declaration, key)
        count, latest = 0, None
        values = records.iter_values(
            session=session, vault=ctx.vault, subject_id=subject_id, reveal=True, category=key
        )
        alive = (v for v in values if not why.legal or v.expires_at is None or v.expires_at > now)
        for group in _submissions(alive):
            if holder is None:
                holder = subjects.create_subject(
                    session=session,
                    kind=subject.kind,
                    actor=ctx.actor,
                    country=subject.country,
                    region_code=subject.region_code,
                    jurisdiction=subject.jurisdiction,
                ).id
            first = group[0]
            expires = first.expires_at if why.legal else why.until
            records.store_values(
                session=session,
                vault=ctx.vault,
                subject_id=holder,
                category=key,
                values={v.field: v.value for v in group},
                purpose=_legal_purpose(ctx.declaration, decl, first.purpose),
                region=first.region,
                expires_at=expires,
                notice_version=first.notice_version,
                source=first.source,
                actor=ctx.actor,
                collected_at=first.collected_at,
            )
            count += len(group)
            if expires is not None and (latest is None or expires > latest):
                latest = expires
        if count:
            until = latest if why.legal else why.until
            session.add(
                RetainedData(
                    request_id=ctx.request.id,
                    erased_subject_id=subject_id,
                    holder_subject_id=holder,
                    source="vault",
                    category=key,
                    law=why.law,
                    records=count,
                    retained_until=until,
                    created_at=now,
                )
            )
            kept.append(kept_line(ctx.declaration, key, why.law, until, count, "vault"))
    if holder is not None:
        subjects.set_state(
            session=session, subject_id=holder, state=SubjectState.RESTRICTED, actor=ctx.actor
        )
    session.flush()
    return {"holder_subject_id": holder, "kept": kept}


def kept_line(
    declaration: Declaration, key: str, law: str, until: datetime | None, count: int, where: str
) -> dict[str, Any]:
    decl = category_of(declaration, key)
    return {
        "category": key,
        "label_en": decl.label.en if decl else key,
        "label_zh": decl.label.zh_cn if decl else key,
        "law": law,
        "until": until.isoformat() if until else None,
        "records": count,
        "where": where,
    }


def release_expired_retention(
    *, session: Session, vault: Vault, actor: str, now: datetime | None = None
) -> int:
    """Erase retention subjects whose every period has ended; returns how many were erased.

    For a periodic job (the retention domain's sweep). A holder with an
    open-ended hold (``retained_until`` None) is left alone.
    """
    moment = now or utcnow()
    lines = list(
        session.scalars(
            select(RetainedData).where(
                RetainedData.released_at.is_(None), RetainedData.holder_subject_id.is_not(None)
            )
        )
    )
    by_holder: dict[str, list[RetainedData]] = {}
    for line in lines:
        assert line.holder_subject_id is not None
        by_holder.setdefault(line.holder_subject_id, []).append(line)
    released = 0
    for holder, held in by_holder.items():
        if any(line.retained_until is None or line.retained_until > moment for line in held):
            continue
        subjects.erase(session=session, vault=vault, subject_id=holder, actor=actor)
        for line in held:
            line.released_at = moment
        released += 1
    session.flush()
    return released
