"""Synthetic demo data: obviously fake people and devices, enough to make pages real."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from privacyops.audit import service as audit
from privacyops.audit.models import AuditEvent
from privacyops.collection import demo as collection_demo
from privacyops.consent import demo as consent_demo
from privacyops.incidents import demo as incidents_demo
from privacyops.orders import demo as orders_demo
from privacyops.policy import versions
from privacyops.policy.service import PolicyStore
from privacyops.retention import demo as retention_demo
from privacyops.rights import demo as rights_demo
from privacyops.staff import service as staff
from privacyops.staff.models import StaffUser
from privacyops.staff.permissions import Permission, Role
from privacyops.telemetry import simulator as telemetry_demo
from privacyops.vault.service import Vault

DEMO_STAFF = [
    ("dpo.demo", Role.PRIVACY_OFFICER, "Dana Demo (DPO)"),
    ("agent.demo", Role.SUPPORT_AGENT, "Sam Sample (support)"),
    ("auditor.demo", Role.AUDITOR, "Avery Example (auditor)"),
]
DEMO_PASSWORD = "demo-password-123"  # noqa: S105 - printed by `make run`, dev only
DEMO_CLIENTS = [
    ("website", [Permission.INTAKE_WRITE, Permission.CONSENT_WRITE, Permission.CONSENT_READ]),
    ("mobile-apps", [Permission.INTAKE_WRITE, Permission.CONSENT_WRITE, Permission.REQUESTS_READ]),
    ("device-fleet", [Permission.TELEMETRY_WRITE]),
]


def is_loaded(*, session: Session) -> bool:
    return (
        session.scalar(select(AuditEvent.id).where(AuditEvent.action == "demo.loaded")) is not None
    )


def load(*, session: Session, policy: PolicyStore, vault: Vault) -> dict[str, str]:
    """Seed every domain once; returns the demo API keys (shown once) by client name."""
    keys: dict[str, str] = {}
    if is_loaded(session=session):
        return keys
    if versions.latest(session=session) is None:
        current = policy.current
        versions.publish(
            session=session, source=current.source, name=str(current.path), actor="system:demo"
        )
    for username, role, name in DEMO_STAFF:
        if session.scalar(select(StaffUser.id).where(StaffUser.username == username)) is None:
            staff.create_staff(
                session=session,
                username=username,
                role=role,
                password=DEMO_PASSWORD,
                display_name=name,
                actor="system:demo",
            )
    people = collection_demo.seed(session=session, vault=vault, declaration=policy.declaration)
    telemetry_demo.seed_demo(
        session=session, vault=vault, declaration=policy.declaration, actor="system:demo"
    )
    consent_demo.seed(session=session, vault=vault, declaration=policy.declaration)
    orders_demo.seed(session=session, vault=vault, declaration=policy.declaration)
    incidents_demo.seed(session=session, declaration=policy.declaration)
    retention_demo.seed(session=session, vault=vault, declaration=policy.declaration)
    rights_demo.seed(session=session, vault=vault, declaration=policy.declaration)
    for client_name, scopes in DEMO_CLIENTS:
        key, _client = staff.create_api_client(
            session=session, name=client_name, scopes=[s.value for s in scopes], actor="system:demo"
        )
        keys[client_name] = key
    audit.record(
        session=session,
        actor="system:demo",
        action="demo.loaded",
        target_type="system",
        target_id="demo",
        details={"staff": len(DEMO_STAFF), "api_clients": len(DEMO_CLIENTS), "subjects": people},
    )
    return keys


def ensure_first_admin(*, session: Session) -> str | None:
    """Create `admin` with a one-time password when no admin exists; return that password."""
    has_admin = session.scalar(select(StaffUser.id).where(StaffUser.role == Role.ADMIN.value))
    if has_admin is not None:
        return None
    password = secrets.token_urlsafe(12)
    staff.create_staff(
        session=session,
        username="admin",
        role=Role.ADMIN,
        password=password,
        display_name="Administrator",
        actor="system",
        must_change_password=True,
    )
    return password
