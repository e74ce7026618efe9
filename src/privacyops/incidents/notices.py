"""Notices to people about an incident: e-mail and in-app messages, or a public notice.

Individual notices go through notify's ``breach_notice`` template in each
person's language, in one notify batch per incident (batch key = incident id).
Each message has an idempotency key made of the incident, the subject and the
channel, so a run that stopped half-way is simply run again: the messages
already queued are found and returned, never queued twice, and notify's
delivery sends each queued message once. The e-mail address is read from the
vault (``email`` field of the account/contact categories); reading it is a
recorded disclosure. Where telling each person would need disproportionate
effort, a bilingual public notice is published at ``/notices/{slug}``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from privacyops.audit import service as audit
from privacyops.db import utcnow
from privacyops.incidents import reports, service
from privacyops.incidents.models import Incident, NoticeKind, PublicNotice
from privacyops.notify import service as notify
from privacyops.notify.errors import NotifyError
from privacyops.policy.schema import Declaration
from privacyops.subjects import records
from privacyops.subjects.models import Subject
from privacyops.vault.service import Vault
from privacyops.web.i18n import N_, NP_, translations

EMAIL_CATEGORIES = ("account", "contact")
ZH_COUNTRIES = frozenset({"CN", "TW", "HK", "MO"})


@dataclass
class NoticeRun:
    """What one run queued: messages per channel and language, and who had no address."""

    subjects: int = 0
    queued: Counter[str] = field(default_factory=Counter)
    languages: Counter[str] = field(default_factory=Counter)
    no_address: int = 0
    errors: list[str] = field(default_factory=list)


def language_of(subject: Subject) -> str:
    """zh-CN for people under PIPL or in Chinese-speaking places, English otherwise."""
    if subject.jurisdiction == "CN" or (subject.country or "") in ZH_COUNTRIES:
        return "zh-CN"
    return "en"


def email_of(session: Session, vault: Vault, subject_id: str, actor: str) -> str | None:
    for category in EMAIL_CATEGORIES:
        values = records.values_of(
            session=session,
            vault=vault,
            subject_id=subject_id,
            reveal=True,
            actor=actor,
            category=category,
        )
        for value in values:
            if value.field == "email":
                return value.value
    return None


def notice_context(
    declaration: Declaration, incident: Incident, language: str
) -> dict[str, object]:
    zh = language == "zh-CN"
    words = translations(language)
    labels = {c.key: (c.label.zh_cn if zh else c.label.en) for c in declaration.categories}
    return {
        "reference": incident.reference,
        "nature": incident.description,
        "categories": [labels.get(key, key) for key in incident.categories],
        "consequences": incident.consequences or words.gettext("Still being assessed."),
        "measures": incident.measures or [words.gettext("We contained the incident.")],
        "contact": reports.contact_point(declaration),
        "occurred_at": incident.detected_at,
    }


def notify_individuals(
    *,
    session: Session,
    vault: Vault,
    declaration: Declaration,
    incident_id: str,
    actor: str,
    channels: tuple[str, ...] = ("email", "in_app"),
    now: datetime | None = None,
) -> NoticeRun:
    """Queue the breach notice to every affected subject; safe to run again after a stop."""
    now = now or utcnow()
    incident = service.get(session=session, incident_id=incident_id)
    run = NoticeRun()
    contexts = {lang: notice_context(declaration, incident, lang) for lang in ("en", "zh-CN")}
    regimes: Counter[str] = Counter()
    for subject in service.affected_subjects(session=session, categories=incident.categories):
        run.subjects += 1
        lang = language_of(subject)
        run.languages[lang] += 1
        regimes[subject.jurisdiction or "unknown"] += 1
        key = f"incident:{incident.id}:{subject.id}"
        if "email" in channels:
            address = email_of(session, vault, subject.id, actor)
            if address is None:
                run.no_address += 1
            else:
                try:
                    notify.queue_email(
                        session=session,
                        vault=vault,
                        to=address,
                        template="breach_notice",
                        language=lang,
                        context=contexts[lang],
                        subject_id=subject.id,
                        idempotency_key=f"{key}:email",
                        batch=incident.id,
                        actor=actor,
                        now=now,
                    )
                    run.queued["email"] += 1
                except NotifyError as error:
                    run.errors.append(f"{subject.id}: {error}")
        if "in_app" in channels:
            notify.queue_in_app(
                session=session,
                subject_id=subject.id,
                template="breach_notice",
                language=lang,
                context=contexts[lang],
                idempotency_key=f"{key}:in_app",
                batch=incident.id,
                actor=actor,
                now=now,
            )
            run.queued["in_app"] += 1
    done = {
        notice.regime
        for notice in reports.notices_of(session=session, incident_id=incident.id)
        if notice.audience == "individuals" and notice.channel != "public_notice"
    }
    for regime in sorted(code for code in regimes if code not in ("unknown", *done)):
        reports.record_notice(
            session=session,
            incident_id=incident.id,
            regime=regime,
            audience="individuals",
            stage="notice",
            channel="+".join(channels),
            actor=actor,
            sent_at=now,
            detail={"subjects": regimes[regime], "batch": incident.id},
        )
    audit.record(
        session=session,
        actor=actor,
        action="incident.individuals_notified",
        target_type="incident",
        target_id=incident.id,
        details={
            "subjects": run.subjects,
            "queued": {f"{k}_messages": v for k, v in run.queued.items()},
            "no_address": run.no_address,
        },
    )
    return run


def delivery_status(*, session: Session, incident_id: str) -> dict[str, int]:
    return notify.batch_status(session=session, batch=incident_id)


#: The public notice's headings, in order: nature, categories, consequences, measures, contact.
PUBLIC_HEADINGS = (
    N_("What happened"),
    N_("Information involved"),
    N_("What it may mean"),
    NP_("incident notice", "What we did"),
    N_("Questions"),
)


def _public_body(ctx: dict[str, object], language: str) -> str:
    words = translations(language)
    heads = [
        str(words.pgettext(*head)) if isinstance(head, tuple) else words.gettext(head)
        for head in PUBLIC_HEADINGS
    ]
    colon = str(words.pgettext("between a term and its explanation", ": "))
    measures = ctx["measures"]
    assert isinstance(measures, list)
    cats = ctx["categories"]
    assert isinstance(cats, list)
    values = [
        ctx["nature"],
        str(words.pgettext("list separator", ", ")).join(cats),
        ctx["consequences"],
        str(words.pgettext("between phrases", "; ")).join(str(m) for m in measures),
        ctx["contact"],
    ]
    return "\n\n".join(f"{head}{colon}{value}" for head, value in zip(heads, values, strict=True))


def _public_texts(declaration: Declaration, incident: Incident) -> tuple[str, str, str, str]:
    """Title and body in English and in Chinese (the public notice is bilingual)."""
    texts = []
    for language in ("en", "zh-CN"):
        ctx = notice_context(declaration, incident, language)
        title = translations(language).gettext("Security incident notice {reference}")
        texts.append((title.format(reference=incident.reference), _public_body(ctx, language)))
    (title_en, body_en), (title_zh, body_zh) = texts
    return title_en, title_zh, body_en, body_zh


def publish_public_notice(
    *,
    session: Session,
    declaration: Declaration,
    incident_id: str,
    actor: str,
    now: datetime | None = None,
) -> PublicNotice:
    """Publish (or refresh) the incident's public notice; counts as the notice to individuals
    of every regime of the incident (GDPR Art. 34(3)(c): a public communication)."""
    now = now or utcnow()
    incident = service.get(session=session, incident_id=incident_id)
    slug = incident.reference.lower()
    title_en, title_zh, body_en, body_zh = _public_texts(declaration, incident)
    texts = {"title_en": title_en, "title_zh": title_zh, "body_en": body_en, "body_zh": body_zh}
    notice = session.scalar(select(PublicNotice).where(PublicNotice.slug == slug))
    if notice is None:
        notice = PublicNotice(
            slug=slug,
            kind=NoticeKind.BREACH.value,
            incident_id=incident.id,
            prominent=True,
            published_at=now,
            **texts,
        )
        session.add(notice)
        session.flush()
        reports.record_notice(
            session=session,
            incident_id=incident.id,
            regime=None,
            audience="individuals",
            stage="notice",
            channel="public_notice",
            actor=actor,
            sent_at=now,
            detail={"slug": slug},
        )
    for name, value in texts.items():
        setattr(notice, name, value)
    notice.published_at = now
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="incident.public_notice",
        target_type="incident",
        target_id=incident.id,
        details={"slug": slug},
    )
    return notice


def public_notices(*, session: Session) -> list[PublicNotice]:
    query = select(PublicNotice).order_by(PublicNotice.published_at.desc(), PublicNotice.id.desc())
    return list(session.scalars(query))


def public_notice(*, session: Session, slug: str) -> PublicNotice | None:
    return session.scalar(select(PublicNotice).where(PublicNotice.slug == slug))
