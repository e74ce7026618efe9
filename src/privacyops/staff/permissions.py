"""The one registry of permissions and what each role is granted.

Every route declares exactly one entry of this registry (or `PUBLIC`); the role x
route test walks the app and checks each role against `ROLE_PERMISSIONS`.
"""

from __future__ import annotations

from enum import StrEnum

from privacyops.web.i18n import N_


class Role(StrEnum):
    ADMIN = "admin"
    PRIVACY_OFFICER = "privacy_officer"
    SUPPORT_AGENT = "support_agent"
    AUDITOR = "auditor"


class Permission(StrEnum):
    CONSOLE_VIEW = "console.view"
    STAFF_MANAGE = "staff.manage"
    API_CLIENTS_MANAGE = "api_clients.manage"
    AUDIT_READ = "audit.read"
    AUDIT_VERIFY = "audit.verify"
    POLICY_READ = "policy.read"
    POLICY_PUBLISH = "policy.publish"
    SUBJECTS_READ = "subjects.read"
    SUBJECTS_READ_PERSONAL = "subjects.read_personal"
    SUBJECTS_WRITE = "subjects.write"
    REQUESTS_READ = "requests.read"
    REQUESTS_VERIFY = "requests.verify"
    REQUESTS_MANAGE = "requests.manage"
    CONSENT_READ = "consent.read"
    CONSENT_WRITE = "consent.write"
    INTAKE_WRITE = "intake.write"
    TELEMETRY_WRITE = "telemetry.write"
    INCIDENTS_READ = "incidents.read"
    INCIDENTS_MANAGE = "incidents.manage"
    RETENTION_MANAGE = "retention.manage"
    REPORTS_READ = "reports.read"
    SOURCES_READ = "sources.read"


ALL = frozenset(Permission)

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: ALL,
    Role.PRIVACY_OFFICER: ALL - {Permission.STAFF_MANAGE, Permission.API_CLIENTS_MANAGE},
    Role.SUPPORT_AGENT: frozenset(
        {
            Permission.CONSOLE_VIEW,
            Permission.POLICY_READ,
            Permission.SUBJECTS_READ,
            Permission.REQUESTS_READ,
            Permission.REQUESTS_VERIFY,
            Permission.CONSENT_READ,
        }
    ),
    Role.AUDITOR: frozenset(
        {
            Permission.CONSOLE_VIEW,
            Permission.AUDIT_READ,
            Permission.AUDIT_VERIFY,
            Permission.POLICY_READ,
            Permission.REQUESTS_READ,
            Permission.CONSENT_READ,
            Permission.INCIDENTS_READ,
            Permission.REPORTS_READ,
            Permission.SOURCES_READ,
        }
    ),
}

#: What an integration (website, app, device fleet) may be granted as an API-key scope.
API_SCOPES = frozenset(
    {
        Permission.INTAKE_WRITE,
        Permission.CONSENT_READ,
        Permission.CONSENT_WRITE,
        Permission.TELEMETRY_WRITE,
        Permission.REQUESTS_READ,
    }
)

DESCRIPTIONS: dict[Permission, str] = {
    Permission.CONSOLE_VIEW: N_("Open the admin console."),
    Permission.STAFF_MANAGE: N_("Create, disable and re-role staff users."),
    Permission.API_CLIENTS_MANAGE: N_("Issue and revoke API keys for integrations."),
    Permission.AUDIT_READ: N_("Read the audit log."),
    Permission.AUDIT_VERIFY: N_("Run the audit chain verifier."),
    Permission.POLICY_READ: N_("Read the declaration and its derived outputs."),
    Permission.POLICY_PUBLISH: N_("Publish a new policy version."),
    Permission.SUBJECTS_READ: N_("Find data subjects and see their data masked."),
    Permission.SUBJECTS_READ_PERSONAL: N_("See personal values unmasked."),
    Permission.SUBJECTS_WRITE: N_("Change data subjects and their data."),
    Permission.REQUESTS_READ: N_("See rights requests."),
    Permission.REQUESTS_VERIFY: N_("Verify a requester's identity."),
    Permission.REQUESTS_MANAGE: N_("Approve, deny, extend and execute rights requests."),
    Permission.CONSENT_READ: N_("Read consent records and reports."),
    Permission.CONSENT_WRITE: N_("Record consent choices."),
    Permission.INTAKE_WRITE: N_("Send personal data in through the intake API."),
    Permission.TELEMETRY_WRITE: N_("Send device telemetry."),
    Permission.INCIDENTS_READ: N_("Read the incident register."),
    Permission.INCIDENTS_MANAGE: N_("Record and notify incidents."),
    Permission.RETENTION_MANAGE: N_("Run sweeps and set legal holds."),
    Permission.REPORTS_READ: N_("Read reports and metrics."),
    Permission.SOURCES_READ: N_("See external sources' health, check them, and dry-run erasures."),
}


def granted(role: Role | str, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[Role(role)]
