"""Messages to the requester: where they go, queueing them, and the closing notices.

Messages are e-mail queued through ``notify``, one per request and event. The
notice that closes a request drops the sealed contact with it.

Every function takes the caller's ``session`` and never commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from privacyops.notify import service as notify
from privacyops.notify.errors import NotifyError
from privacyops.rights import executors
from privacyops.rights import verification as checks
from privacyops.rights.common import SYSTEM
from privacyops.rights.executors import ExecutionError
from privacyops.rights.lookups import package_of
from privacyops.rights.models import RequestType, RightsRequest
from privacyops.settings import Settings
from privacyops.subjects import records
from privacyops.subjects import service as subjects
from privacyops.subjects.errors import SubjectError
from privacyops.subjects.models import SubjectState
from privacyops.vault.blind_index import IdentityKind
from privacyops.vault.errors import VaultError
from privacyops.vault.service import Vault
from privacyops.web.i18n import N_, format_date, translations

__all__ = ["ACTIONS", "action_text", "status_url"]


#: What was done, per request type, told to the requester in their language.
ACTIONS: dict[str, str] = {
    "access": N_("We prepared a copy of the personal information we hold about you."),
    "portability": N_("We prepared your information as machine-readable files (JSON and CSV)."),
    "deletion": N_("We deleted your personal information and destroyed the key that protected it."),
    "correction": N_("We replaced the information you asked us to correct."),
    "restriction": N_("We limited the processing of your information to what is essential."),
    "objection": N_(
        "We stopped the processing based on our legitimate interests that you objected to."
    ),
    "withdraw_consent": N_("We recorded the withdrawal of your consent; it applies from now on."),
    "complaint": N_("We passed your complaint to our privacy officer, who will reply to you."),
    "inquiry": N_("We answered your question."),
}


def action_text(request_type: str, lang: str) -> str:
    """What was done for a request of ``request_type``, in ``lang`` ("" for an unknown type)."""
    message = ACTIONS.get(request_type)
    return translations(lang).gettext(message) if message else ""


def status_url(settings: Settings, token: str) -> str:
    return f"{settings.public_url}/requests/status/{token}"


def _contact(vault: Vault, request: RightsRequest) -> str | None:
    if request.contact_ciphertext is None:
        return None
    return checks.ContactSealer(vault).open(request.id, request.contact_ciphertext)


def _email_on_file(session: Session, vault: Vault, subject_id: str) -> str | None:
    """An e-mail value held for the subject whose blind index is one of its identities."""
    subject = subjects.get_subject(session=session, subject_id=subject_id)
    if subject.state == SubjectState.ERASED:
        return None
    indexes = {
        i.blind_index
        for i in subjects.identities_of(session=session, subject_id=subject_id)
        if i.kind == IdentityKind.EMAIL
    }
    if not indexes:
        return None
    found: str | None = None
    for value in records.iter_values(
        session=session, vault=vault, subject_id=subject_id, reveal=True
    ):
        if value.field != "email":
            continue
        try:
            if vault.index(IdentityKind.EMAIL, value.value) in indexes:
                found = value.value  # the newest matching value wins
        except ValueError:
            continue
    return found


def _address(session: Session, vault: Vault, request: RightsRequest) -> str | None:
    """Where messages about the request go: the e-mail given, or the one on file."""
    if request.contact_kind == IdentityKind.EMAIL:
        return _contact(vault, request)
    return _email_on_file(session, vault, request.subject_id)


def _send(
    session: Session,
    vault: Vault,
    request: RightsRequest,
    *,
    to: str | None,
    template: str,
    key: str,
    context: Mapping[str, Any],
    secret: Mapping[str, Any] | None = None,
) -> bool:
    if to is None:
        return False
    try:
        notify.queue_email(
            session=session,
            vault=vault,
            to=to,
            template=template,
            language=request.language,
            context=context,
            secret_context=secret,
            subject_id=request.subject_id,
            idempotency_key=f"rights:{request.id}:{key}",
            actor=SYSTEM,
        )
    except NotifyError:
        return False
    return True


def _kept(request: RightsRequest, outcome: Mapping[str, Any]) -> list[dict[str, str]]:
    zh = request.language == "zh-CN"
    words = translations(request.language)
    lines = []
    for line in outcome.get("kept", []) or []:
        if not isinstance(line, Mapping):
            continue
        until = str(line.get("until") or "")[:10]
        what = str(line.get("label_zh" if zh else "label_en") or line.get("category", ""))
        why = str(line.get("law", ""))
        if until:
            try:
                day = format_date(until, request.language)
            except ValueError:
                day = until
            why = words.gettext("%(law)s (until %(date)s)") % {"law": why, "date": day}
        lines.append({"what": what, "why": why})
    return lines


def _completed_notice(
    session: Session,
    vault: Vault,
    settings: Settings,
    request: RightsRequest,
    download_token: str | None,
) -> None:
    outcome = (request.facts or {}).get("outcome", {})
    secret: dict[str, Any] = {}
    context: dict[str, Any] = {
        "request_id": request.id,
        "request_type": request.type,
        "actions": [action_text(request.type, request.language)],
        "kept": _kept(request, outcome),
    }
    if download_token is None and request.type in (RequestType.ACCESS, RequestType.PORTABILITY):
        try:
            download_token = executors.reissue_download(
                session=session, request_id=request.id, actor=SYSTEM
            )
        except ExecutionError:
            download_token = None
    if download_token is not None:
        secret["download_url"] = f"{settings.public_url}/requests/download/{download_token}"
        package = package_of(session=session, request_id=request.id)
        if package is not None:
            context["download_expires_at"] = package.expires_at
    _send(
        session,
        vault,
        request,
        to=_address_for_closing(session, vault, request),
        template="request_completed",
        key="completed",
        context=context,
        secret=secret or None,
    )
    _close_contact(request)


def _address_for_closing(session: Session, vault: Vault, request: RightsRequest) -> str | None:
    try:
        return _address(session, vault, request)
    except (VaultError, SubjectError):
        return None


def _close_contact(request: RightsRequest) -> None:
    request.contact_ciphertext = None
    request.facts = {**(request.facts or {}), "final_notice": True}
