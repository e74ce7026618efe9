"""Staff accounts, logins, second factors and API clients. No HTTP here."""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import timedelta

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from privacyops.audit import service as audit
from privacyops.db import Database, utcnow
from privacyops.limits import counter
from privacyops.staff.errors import StaffError as StaffError
from privacyops.staff.errors import TooManyAttemptsError as TooManyAttemptsError
from privacyops.staff.models import ApiClient, StaffSession, StaffUser
from privacyops.staff.permissions import API_SCOPES, ROLE_PERMISSIONS, Permission, Role
from privacyops.web.i18n import N_

_hasher = PasswordHasher()
#: Verified against when the username is unknown, so both paths cost one argon2 check.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
MIN_PASSWORD_LENGTH = 12


@dataclass(frozen=True)
class Principal:
    """Who is calling: a logged-in staff member or an integration's API key."""

    kind: str
    id: int
    name: str
    role: str | None
    permissions: frozenset[Permission]
    csrf_token: str | None = None
    second_factor_pending: bool = False

    @property
    def actor(self) -> str:
        return f"{self.kind}:{self.name}"

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions


def _server_secret(session: Session) -> bytes:
    return str(session.info["server_secret"]).encode()


def _totp_cipher(session: Session) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"staff-totp").derive(
        _server_secret(session)
    )
    return AESGCM(key)


def _token_hash(token: str) -> str:
    """API keys and session tokens are 256-bit random values, so a plain SHA-256 suffices."""
    return hashlib.sha256(token.encode()).hexdigest()


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StaffError(
            N_("password must be at least {num} characters"),
            field="password",
            num=MIN_PASSWORD_LENGTH,
        )


def create_staff(
    *,
    session: Session,
    username: str,
    role: Role | str,
    password: str,
    display_name: str | None = None,
    actor: str = "system",
    must_change_password: bool = False,
) -> StaffUser:
    username = username.strip().lower()
    if (
        not username
        or len(username) > 80
        or not username.replace(".", "").replace("_", "").replace("-", "").isalnum()
    ):
        raise StaffError("username must be 1-80 letters, digits, '.', '_' or '-'", field="username")
    try:
        role = Role(role)
    except ValueError:
        raise StaffError(N_("unknown role '{role}'"), field="role", role=role) from None
    _check_password(password)
    if session.scalar(select(StaffUser.id).where(StaffUser.username == username)) is not None:
        raise StaffError(
            N_("username '{username}' is taken"),
            field="username",
            code="conflict",
            username=username,
        )
    user = StaffUser(
        username=username,
        display_name=display_name or username,
        role=role.value,
        password_hash=_hasher.hash(password),
        must_change_password=must_change_password,
        created_at=utcnow(),
    )
    session.add(user)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="staff.created",
        target_type="staff",
        target_id=user.id,
        details={"role": role.value},
    )
    return user


def list_staff(*, session: Session) -> list[StaffUser]:
    return list(session.scalars(select(StaffUser).order_by(StaffUser.username)))


def count_staff(*, session: Session) -> int:
    return session.scalar(select(func.count(StaffUser.id))) or 0


def update_staff(
    *,
    session: Session,
    staff_id: int,
    actor: str,
    role: str | None = None,
    active: bool | None = None,
) -> StaffUser:
    user = session.get(StaffUser, staff_id)
    if user is None:
        raise StaffError("no such staff user", code="not_found")
    changes: dict[str, str | bool] = {}
    if role is not None:
        try:
            user.role = Role(role).value
        except ValueError:
            raise StaffError(N_("unknown role '{role}'"), field="role", role=role) from None
        changes["role"] = user.role
    if active is not None:
        user.active = active
        changes["active"] = active
        if not active:
            session.execute(delete(StaffSession).where(StaffSession.staff_id == user.id))
    audit.record(
        session=session,
        actor=actor,
        action="staff.updated",
        target_type="staff",
        target_id=user.id,
        details=changes,
    )
    return user


#: Failed logins and wrong second-factor codes are counted per minute.
ATTEMPT_WINDOW = timedelta(minutes=1)


def authenticate(
    *, session: Session, db: Database, username: str, password: str, client: str, limit: int
) -> StaffUser:
    """Check a password, counting failures per account and per client address.

    Every attempt takes one hit on both shared counters before the password is
    checked (so concurrent guesses through several workers cannot overrun the
    limit); a successful login gives its hits back. The counts are committed on
    their own, whatever the caller's transaction does.
    """
    username = username.strip().lower()
    keys = [f"login:user:{username}", f"login:client:{client}"[:240]]
    if not counter.take_all(db=db, keys=keys, limit=limit, window=ATTEMPT_WINDOW):
        raise TooManyAttemptsError("too many failed logins; wait a minute", code="rate_limited")
    user = session.scalar(select(StaffUser).where(StaffUser.username == username))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
        ok = user is not None and user.active
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or user is None:
        raise StaffError("unknown username or wrong password", code="unauthorized")
    counter.give_back(db=db, keys=keys)
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def start_session(*, session: Session, user: StaffUser, minutes: int) -> tuple[str, StaffSession]:
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = StaffSession(
        token_hash=_token_hash(token),
        staff_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        second_factor_done=not user.totp_enabled,
        created_at=now,
        expires_at=now + timedelta(minutes=minutes),
    )
    session.add(row)
    session.flush()
    audit.record(
        session=session,
        actor=f"staff:{user.username}",
        action="staff.login",
        target_type="staff",
        target_id=user.id,
        details={"second_factor": user.totp_enabled},
    )
    return token, row


def _principal_for(user: StaffUser, row: StaffSession) -> Principal:
    return Principal(
        kind="staff",
        id=user.id,
        name=user.username,
        role=user.role,
        permissions=ROLE_PERMISSIONS[Role(user.role)] if row.second_factor_done else frozenset(),
        csrf_token=row.csrf_token,
        second_factor_pending=not row.second_factor_done,
    )


def resolve_session(*, session: Session, token: str) -> Principal | None:
    row = session.scalar(select(StaffSession).where(StaffSession.token_hash == _token_hash(token)))
    if row is None or row.expires_at <= utcnow():
        return None
    user = session.get(StaffUser, row.staff_id)
    if user is None or not user.active:
        return None
    return _principal_for(user, row)


def end_session(*, session: Session, token: str) -> None:
    session.execute(delete(StaffSession).where(StaffSession.token_hash == _token_hash(token)))


def begin_totp_enrolment(*, session: Session, staff_id: int) -> str:
    """Store a fresh, not yet enabled, TOTP secret and return its provisioning URI."""
    user = session.get_one(StaffUser, staff_id)
    secret = pyotp.random_base32()
    nonce = os.urandom(12)
    user.totp_secret = nonce + _totp_cipher(session).encrypt(nonce, secret.encode(), None)
    user.totp_enabled = False
    uri: str = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name="privacyops")
    return uri


def _totp_for(session: Session, user: StaffUser) -> pyotp.TOTP:
    if user.totp_secret is None:
        raise StaffError("no second factor is being set up", code="invalid")
    blob = user.totp_secret
    secret = _totp_cipher(session).decrypt(blob[:12], blob[12:], None).decode()
    return pyotp.TOTP(secret)


def current_totp_code(*, session: Session, staff_id: int) -> str:
    """The code an authenticator app would show now (used by the demo and the tests)."""
    code: str = _totp_for(session, session.get_one(StaffUser, staff_id)).now()
    return code


def confirm_totp(*, session: Session, staff_id: int, code: str) -> None:
    user = session.get_one(StaffUser, staff_id)
    if not _totp_for(session, user).verify(code.strip(), valid_window=1):
        raise StaffError("the code does not match", field="code")
    user.totp_enabled = True
    audit.record(
        session=session,
        actor=f"staff:{user.username}",
        action="staff.totp_enabled",
        target_type="staff",
        target_id=user.id,
    )


def pass_second_factor(
    *, session: Session, db: Database, token: str, code: str, client: str, limit: int
) -> Principal:
    row = session.scalar(select(StaffSession).where(StaffSession.token_hash == _token_hash(token)))
    if row is None or row.expires_at <= utcnow():
        raise StaffError("session expired; log in again", code="unauthorized")
    user = session.get_one(StaffUser, row.staff_id)
    keys = [f"login:totp:{user.username}"]
    if not counter.take_all(db=db, keys=keys, limit=limit, window=ATTEMPT_WINDOW):
        raise TooManyAttemptsError("too many wrong codes; wait a minute", code="rate_limited")
    if not _totp_for(session, user).verify(code.strip(), valid_window=1):
        raise StaffError("the code does not match", field="code", code="unauthorized")
    counter.give_back(db=db, keys=keys)
    row.second_factor_done = True
    return _principal_for(user, row)


def create_api_client(
    *, session: Session, name: str, scopes: list[str], actor: str
) -> tuple[str, ApiClient]:
    """Issue an API key; the raw key is returned once and only its hash is kept."""
    name = name.strip()
    if not name or len(name) > 80:
        raise StaffError("name must be 1-80 characters", field="name")
    try:
        wanted = {Permission(scope) for scope in scopes}
    except ValueError as error:
        raise StaffError(str(error), field="scopes") from None
    if not wanted or not wanted <= API_SCOPES:
        allowed = ", ".join(sorted(API_SCOPES))
        raise StaffError(
            N_("scopes must be a non-empty subset of: {allowed}"), field="scopes", allowed=allowed
        )
    if session.scalar(select(ApiClient.id).where(ApiClient.name == name)) is not None:
        raise StaffError(
            N_("an API client named '{name}' exists"), field="name", code="conflict", name=name
        )
    prefix = secrets.token_hex(4)
    key = f"po_{prefix}_{secrets.token_urlsafe(32)}"
    client = ApiClient(
        name=name,
        key_prefix=prefix,
        key_hash=_token_hash(key),
        scopes=sorted(scope.value for scope in wanted),
        created_at=utcnow(),
    )
    session.add(client)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="api_client.created",
        target_type="api_client",
        target_id=client.id,
        details={"scopes": client.scopes},
    )
    return key, client


def revoke_api_client(*, session: Session, client_id: int, actor: str) -> ApiClient:
    client = session.get(ApiClient, client_id)
    if client is None:
        raise StaffError("no such API client", code="not_found")
    client.active = False
    audit.record(
        session=session,
        actor=actor,
        action="api_client.revoked",
        target_type="api_client",
        target_id=client.id,
    )
    return client


def list_api_clients(*, session: Session) -> list[ApiClient]:
    return list(session.scalars(select(ApiClient).order_by(ApiClient.name)))


def resolve_api_key(*, session: Session, key: str) -> Principal | None:
    parts = key.split("_")
    if len(parts) < 3 or parts[0] != "po":
        return None
    client = session.scalar(select(ApiClient).where(ApiClient.key_prefix == parts[1]))
    if client is None or not client.active:
        return None
    if not secrets.compare_digest(client.key_hash, _token_hash(key)):
        return None
    now = utcnow()
    if client.last_used_at is None or now - client.last_used_at > timedelta(minutes=1):
        client.last_used_at = now
    return Principal(
        kind="api",
        id=client.id,
        name=client.name,
        role=None,
        permissions=frozenset(Permission(scope) for scope in client.scopes),
    )
