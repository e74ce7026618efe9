"""Policy-update announcements (policy section 10) through the channels the declaration names.

The channels come from the announced version's own declaration
(``policy_updates.channels``): ``email`` and ``in_app`` queue notify's
``policy_update`` to every active subject in their language; ``website_notice``
publishes a bilingual notice on the public notices page. A major version gets
a prominent notice; renewed consent is asked for when the version lists
purposes in ``renew_consent_for`` (and the declaration does not say ``never``,
or always when it says ``always``). Each message has an idempotency key per
version, subject and channel, so announcing again resumes and never sends twice.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from privacyops.audit import service as audit
from privacyops.db import utcnow
from privacyops.incidents.models import NoticeKind, PolicyAnnouncement, PublicNotice
from privacyops.incidents.notices import email_of, language_of
from privacyops.incidents.service import IncidentError
from privacyops.notify import service as notify
from privacyops.notify.errors import NotifyError
from privacyops.policy import versions
from privacyops.policy.loader import parse_declaration
from privacyops.subjects.models import Subject, SubjectState
from privacyops.vault.service import Vault
from privacyops.web.i18n import translations


def _summary(change: str, renew: list[str], language: str) -> str:
    words = translations(language)
    major = change == "major"
    text = words.gettext("A major change.") if major else words.gettext("A minor update.")
    if renew:
        purposes = str(words.pgettext("list separator", ", ")).join(renew)
        sentence = words.gettext("{change} These purposes need your consent again: {purposes}.")
        text = sentence.format(change=text, purposes=purposes)
    return text


def announce_policy_version(
    session: Session,
    vault: Vault,
    version: str,
    actor: str,
    *,
    base_url: str = "",
    now: datetime | None = None,
) -> PolicyAnnouncement:
    """Announce a published version; run again to resume an interrupted announcement."""
    now = now or utcnow()
    row = versions.get(session=session, version=version)
    if row is None:
        raise IncidentError(f"no published version {version!r}", field="version")
    declaration = parse_declaration(row.source, name=row.version)
    updates = declaration.policy_updates
    channels: list[str] = [str(channel.key) for channel in updates.channels]
    major = row.change_class == "major"
    renew = list(row.renew_consent_for or [])
    consent_required = (updates.renewed_consent == "always" and major) or (
        updates.renewed_consent != "never" and bool(renew)
    )
    prominent = major and updates.major_change_prominent_notice
    policy_url = f"{base_url}/policy/versions/{row.version}"
    counts: Counter[str] = Counter()
    for subject in session.scalars(
        select(Subject).where(Subject.state == SubjectState.ACTIVE.value).order_by(Subject.id)
    ):
        lang = language_of(subject)
        context = {
            "version": row.version,
            "change": row.change_class,
            "summary": _summary(row.change_class, renew, lang),
            "policy_url": policy_url,
            "consent_required": consent_required,
            "effective_date": row.effective_date,
        }
        key = f"policy:{row.version}:{subject.id}"
        if "email" in channels:
            address = email_of(session, vault, subject.id, actor)
            if address is not None:
                try:
                    notify.queue_email(
                        session=session,
                        vault=vault,
                        to=address,
                        template="policy_update",
                        language=lang,
                        context=context,
                        subject_id=subject.id,
                        idempotency_key=f"{key}:email",
                        batch=f"policy-{row.version}",
                        actor=actor,
                        now=now,
                    )
                    counts["email"] += 1
                except NotifyError:
                    counts["email_refused"] += 1
        if "in_app" in channels:
            notify.queue_in_app(
                session=session,
                subject_id=subject.id,
                template="policy_update",
                language=lang,
                context=context,
                idempotency_key=f"{key}:in_app",
                batch=f"policy-{row.version}",
                actor=actor,
                now=now,
            )
            counts["in_app"] += 1
    if "website_notice" in channels:
        _website_notice(session, row.version, row.change_class, renew, prominent, now)
        counts["website_notice"] = 1
    announcement = session.scalar(
        select(PolicyAnnouncement).where(PolicyAnnouncement.version == row.version)
    )
    if announcement is None:
        announcement = PolicyAnnouncement(version=row.version, announced_by=actor)
        session.add(announcement)
    announcement.change_class = row.change_class
    announcement.prominent = prominent
    announcement.consent_required = consent_required
    announcement.renew_consent_for = renew
    announcement.channels = channels
    announcement.counts = dict(counts)
    announcement.announced_at = now
    announcement.announced_by = actor
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="policy.announced",
        target_type="policy_version",
        target_id=row.version,
        details={
            "channels": channels,
            "queued": {f"{k}_messages": v for k, v in counts.items()},
            "consent": consent_required,
        },
    )
    return announcement


def _website_notice(
    session: Session, version: str, change: str, renew: list[str], prominent: bool, now: datetime
) -> PublicNotice:
    slug = f"policy-{version}"
    notice = session.scalar(select(PublicNotice).where(PublicNotice.slug == slug))
    if notice is None:
        notice = PublicNotice(slug=slug, kind=NoticeKind.POLICY.value, policy_version=version)
        session.add(notice)
    notice.title_en, notice.title_zh = (
        translations(lang).gettext("We updated our privacy policy (version %(version)s)")
        % {"version": version}
        for lang in ("en", "zh-CN")
    )
    notice.body_en = _summary(change, renew, "en")
    notice.body_zh = _summary(change, renew, "zh-CN")
    notice.prominent, notice.published_at = prominent, now
    session.flush()
    return notice


def pending_versions(*, session: Session) -> list[str]:
    """Published updates not announced yet, oldest first (the first version is no update)."""
    announced = set(session.scalars(select(PolicyAnnouncement.version)))
    published = sorted(versions.list_versions(session=session), key=lambda v: v.published_at)
    return [v.version for v in published[1:] if v.version not in announced]


def announce_pending(
    *, session: Session, vault: Vault, actor: str, base_url: str = "", now: datetime | None = None
) -> list[str]:
    """Announce every published update not yet announced: publishing is enough, this job
    (or the console's *Announce*) does the sending. Returns the versions announced."""
    done = []
    for version in pending_versions(session=session):
        announce_policy_version(session, vault, version, actor, base_url=base_url, now=now)
        done.append(version)
    return done


def history(*, session: Session) -> list[PolicyAnnouncement]:
    query = select(PolicyAnnouncement).order_by(PolicyAnnouncement.announced_at.desc())
    return list(session.scalars(query))
