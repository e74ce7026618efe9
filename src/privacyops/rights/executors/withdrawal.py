"""Withdrawal of consent: for every consent-based purpose, or for the ones the person chose.

The withdrawal is recorded by the consent service (``withdraw_all``, or a
choice of ``False`` per chosen purpose): append-only events with a receipt,
under our notice in the request's language and the subject's regime, so
``may_process`` answers no from then on (the service tells the cache after
the commit). A request's channel maps to the consent ``method``: ``api`` and
``email`` to ``api``, the privacy center, contact page and account to ``form``.

``facts["purposes"]`` names the chosen purposes (absent or empty: all). A
purpose that does not rest on consent is reported, not silently skipped:
withdrawing consent cannot stop what a contract or a law requires (an
objection or a deletion can).
"""

from __future__ import annotations

from typing import Any

from privacyops.consent import notices
from privacyops.consent import service as consent
from privacyops.consent.models import Method
from privacyops.db import utcnow
from privacyops.policy import versions
from privacyops.policy.base import Lang
from privacyops.rights.executors.engine import ExecutionError, StepContext, StepSpec
from privacyops.rights.models import Channel
from privacyops.subjects import service as subjects

#: The consent method a request's channel stands for (the consent event's ``method``).
_METHODS = {Channel.API.value: Method.API, Channel.EMAIL.value: Method.API}


def _chosen(ctx: StepContext) -> list[str] | None:
    raw = (ctx.request.facts or {}).get("purposes")
    if raw in (None, [], ()):
        return None
    if not isinstance(raw, list) or not all(isinstance(p, str) for p in raw):
        raise ExecutionError("facts.purposes must be a list of purpose keys", field="purposes")
    known = {p.key for p in ctx.declaration.purposes}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ExecutionError(f"purposes not declared: {', '.join(unknown)}", field="purposes")
    return sorted(set(raw))


def withdraw(ctx: StepContext) -> dict[str, Any]:
    chosen = _chosen(ctx)
    consent_based = sorted(ctx.declaration.consent_purposes())
    targets = consent_based if chosen is None else [p for p in chosen if p in consent_based]
    not_consent = [] if chosen is None else [p for p in chosen if p not in consent_based]
    receipt = None
    if targets:
        who = consent.Who(subject_id=ctx.request.subject_id)
        method = _METHODS.get(ctx.request.channel, Method.FORM)
        context = _context(ctx)
        if chosen is None:
            recorded = consent.withdraw_all(
                session=ctx.session,
                declaration=ctx.declaration,
                who=who,
                method=method,
                context=context,
            )
        else:
            recorded = consent.record_choices(
                session=ctx.session,
                declaration=ctx.declaration,
                who=who,
                choices=dict.fromkeys(targets, False),
                method=method,
                context=context,
            )
        receipt = recorded.receipt_id
        targets = sorted(d.purpose for d in recorded.decisions)
    return {"withdrawn": targets, "not_based_on_consent": not_consent, "receipt_id": receipt}


def _context(ctx: StepContext) -> consent.Context:
    """The consent context of a request: the subject's regime, our notice in its language."""
    session, request = ctx.session, ctx.request
    subject = subjects.get_subject(session=session, subject_id=request.subject_id)
    latest = versions.latest(session=session)
    version = latest.version if latest is not None else ctx.declaration.policy.version
    lang: Lang = "zh-CN" if request.language.lower().startswith("zh") else "en"
    notice = notices.notice_for(ctx.declaration, lang, version)
    notices.remember(session=session, notice=notice)
    return consent.Context(
        regime=consent.regime_of(subject),
        gpc_applies=False,
        gpc_signal=False,
        policy_version=version,
        notice_version=notice.version,
        notice_hash=notice.sha256,
        lang=lang,
        at=utcnow(),
        actor=ctx.actor,
    )


def outcome(ctx: StepContext) -> dict[str, Any]:
    result = ctx.results.get("withdraw", {})
    return {
        "summary": f"consent withdrawn for {len(result.get('withdrawn', []))} purpose(s)",
        **result,
        "kept": [],
    }


STEPS = (StepSpec("withdraw", withdraw),)
