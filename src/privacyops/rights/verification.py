"""Identity verification of a requester: one-time codes, matching data points, levels.

The level a request needs follows the CCPA regulations' degrees of certainty
(11 CCR 7062): opt-outs (withdrawal of consent, objection) and complaints need
none; a code sent to the e-mail address on file (one matching data point) is a
*reasonable* degree, enough for correction, restriction and inquiries; access to
specific pieces of information, portability and deletion need a *reasonably
high* degree: the code plus a second identifier that matches one held for the
subject (phone, account id or device serial, compared by blind index).

Codes are six digits, stored only as an HMAC under a key derived from the key
store (a plain SHA-256 of a six-digit code is reversed by trying all of them),
valid for ``CODE_MINUTES``, used once. Each code allows ``MAX_ATTEMPTS`` tries;
a request allows ``MAX_CODES_PER_HOUR`` codes and ``MAX_FAILURES_PER_HOUR``
wrong answers across its codes, so guessing is bounded per request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from privacyops.rights.models import (
    RequestType,
    RightsRequest,
    VerificationCode,
    VerificationLevel,
)
from privacyops.subjects import service as subjects
from privacyops.vault.blind_index import IdentityKind
from privacyops.vault.errors import InvalidIdentityError
from privacyops.vault.service import Vault

CODE_DIGITS = 6
CODE_MINUTES = 15
MAX_ATTEMPTS = 5
MAX_CODES_PER_HOUR = 3
RESEND_AFTER_SECONDS = 60
MAX_FAILURES_PER_HOUR = 10
#: Days a request may wait for verification before it expires (``service.expire_unverified``).
VERIFY_WITHIN_DAYS = 14

LEVELS: dict[str, VerificationLevel] = {
    RequestType.ACCESS.value: VerificationLevel.REASONABLY_HIGH,
    RequestType.PORTABILITY.value: VerificationLevel.REASONABLY_HIGH,
    RequestType.DELETION.value: VerificationLevel.REASONABLY_HIGH,
    RequestType.CORRECTION.value: VerificationLevel.REASONABLE,
    RequestType.RESTRICTION.value: VerificationLevel.REASONABLE,
    RequestType.INQUIRY.value: VerificationLevel.REASONABLE,
    RequestType.OBJECTION.value: VerificationLevel.NONE,
    RequestType.WITHDRAW_CONSENT.value: VerificationLevel.NONE,
    RequestType.COMPLAINT.value: VerificationLevel.NONE,
}

#: Identities that count as the second data point of a reasonably high degree.
SECOND_KINDS = (IdentityKind.PHONE, IdentityKind.ACCOUNT_ID, IdentityKind.DEVICE_SERIAL)

_CODE_PURPOSE = "rights.verification_code"
_CONTACT_PURPOSE = "rights.contact"
_CONTACT_AAD = b"privacyops/rights/contact/v1\x00"


class VerificationError(ValueError):
    """A refused verification; ``code`` is the API's error code."""

    def __init__(self, message: str, *, code: str = "invalid", field: str | None = "code") -> None:
        super().__init__(message)
        self.code = code
        self.field = field


def level_for(request_type: str) -> VerificationLevel:
    return LEVELS[request_type]


def _code_key(vault: Vault) -> bytes:
    return vault.keystore.blind_index_key(_CODE_PURPOSE)


def code_hash(vault: Vault, request_id: str, code: str) -> str:
    message = f"{request_id}\x00{code}".encode()
    return hmac.new(_code_key(vault), message, hashlib.sha256).hexdigest()


def _failures_since(session: Session, request_id: str, since: datetime) -> int:
    return (
        session.scalar(
            select(func.coalesce(func.sum(VerificationCode.attempts), 0)).where(
                VerificationCode.request_id == request_id, VerificationCode.sent_at >= since
            )
        )
        or 0
    )


def _lock_request(session: Session, request_id: str) -> None:
    """Serialise code issuing and checking per request across processes (a row lock on
    PostgreSQL; SQLite has one writer at a time), so the counts read next are exact."""
    session.execute(
        select(RightsRequest.id).where(RightsRequest.id == request_id).with_for_update()
    )


def issue_code(
    *, session: Session, vault: Vault, request_id: str, now: datetime
) -> tuple[str, VerificationCode]:
    """A new code for the request (earlier unused codes stop working); returns the raw code."""
    _lock_request(session, request_id)
    recent = list(
        session.scalars(
            select(VerificationCode)
            .where(
                VerificationCode.request_id == request_id,
                VerificationCode.sent_at >= now - timedelta(hours=1),
            )
            .order_by(VerificationCode.sent_at.desc())
        )
    )
    if len(recent) >= MAX_CODES_PER_HOUR:
        raise VerificationError(
            "too many codes were sent for this request; try again in an hour",
            code="rate_limited",
            field=None,
        )
    if recent and now - recent[0].sent_at < timedelta(seconds=RESEND_AFTER_SECONDS):
        raise VerificationError(
            f"a code was sent less than {RESEND_AFTER_SECONDS} seconds ago; check your inbox",
            code="rate_limited",
            field=None,
        )
    for old in session.scalars(
        select(VerificationCode).where(
            VerificationCode.request_id == request_id, VerificationCode.used_at.is_(None)
        )
    ):
        old.expires_at = min(old.expires_at, now)
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    row = VerificationCode(
        request_id=request_id,
        code_hash=code_hash(vault, request_id, code),
        sent_at=now,
        expires_at=now + timedelta(minutes=CODE_MINUTES),
        attempts=0,
    )
    session.add(row)
    session.flush()
    return code, row


def check_code(
    *, session: Session, vault: Vault, request_id: str, code: str, now: datetime
) -> VerificationCode:
    """The live code the answer matches, marked used; a wrong answer counts as an attempt.

    The caller commits even when this raises, so counted attempts survive.
    """
    _lock_request(session, request_id)
    if _failures_since(session, request_id, now - timedelta(hours=1)) >= MAX_FAILURES_PER_HOUR:
        raise VerificationError(
            "too many wrong codes; try again in an hour", code="rate_limited", field=None
        )
    latest = session.scalar(
        select(VerificationCode)
        .where(VerificationCode.request_id == request_id, VerificationCode.used_at.is_(None))
        .order_by(VerificationCode.sent_at.desc(), VerificationCode.id.desc())
        .limit(1)
        .with_for_update()
    )
    if latest is None:
        raise VerificationError("no code is waiting for this request; ask for a new one")
    if latest.attempts >= MAX_ATTEMPTS:
        raise VerificationError(
            "too many wrong codes; ask for a new one", code="rate_limited", field=None
        )
    if now >= latest.expires_at:
        raise VerificationError("this code has expired; ask for a new one", code="gone")
    answer = "".join(code.split())
    if not hmac.compare_digest(code_hash(vault, request_id, answer), latest.code_hash):
        latest.attempts += 1
        session.flush()
        left = MAX_ATTEMPTS - latest.attempts
        if left <= 0:
            raise VerificationError(
                "too many wrong codes; ask for a new one", code="rate_limited", field=None
            )
        raise VerificationError(f"wrong code; {left} attempt(s) left")
    latest.used_at = now
    session.flush()
    return latest


@dataclass(frozen=True)
class SecondPoint:
    kind: str
    value: str


def second_kinds_on_file(*, session: Session, subject_id: str, besides: str) -> list[str]:
    """Kinds of identity held for the subject that can serve as a second data point."""
    kinds = {i.kind for i in subjects.identities_of(session=session, subject_id=subject_id)}
    return [k.value for k in SECOND_KINDS if k.value in kinds and k.value != besides]


def matches_identity(
    *, session: Session, vault: Vault, subject_id: str, point: SecondPoint
) -> bool:
    """Whether the value is one of the subject's identities of that kind (by blind index)."""
    if point.kind not in {k.value for k in SECOND_KINDS}:
        raise VerificationError(
            "the second identifier must be a phone, an account id or a device serial",
            field="second_kind",
        )
    try:
        index = vault.index(point.kind, point.value)
    except InvalidIdentityError:
        raise VerificationError(
            "the second identifier is not valid", field="second_value"
        ) from None
    found = False
    for identity in subjects.identities_of(session=session, subject_id=subject_id):
        if identity.kind == point.kind and hmac.compare_digest(identity.blind_index, index):
            found = True
    return found


class ContactSealer:
    """Seals the contact a requester gave, bound to the request id.

    Not the subject's data key: the notice confirming an erasure goes out after
    that key is destroyed. The key is derived from the key store's index secret
    (like notify's), and the sealed value is removed when the request closes.
    """

    def __init__(self, vault: Vault) -> None:
        key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=b"privacyops/rights", info=b"contact/v1"
        ).derive(vault.keystore.blind_index_key(_CONTACT_PURPOSE))
        self._aead = AESGCM(key)

    def seal(self, request_id: str, contact: str) -> bytes:
        nonce = secrets.token_bytes(12)
        return nonce + self._aead.encrypt(
            nonce, contact.encode("utf-8"), _CONTACT_AAD + request_id.encode()
        )

    def open(self, request_id: str, blob: bytes) -> str | None:
        try:
            plain = self._aead.decrypt(blob[:12], blob[12:], _CONTACT_AAD + request_id.encode())
        except (InvalidTag, ValueError):
            return None
        return plain.decode("utf-8")
