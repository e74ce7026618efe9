"""The conformance audit: read the live data and list every place it breaks the declaration.

Each check is a read (no write, no audit event of its own: the faces record
that an audit ran). A ``violation`` is a broken promise and fails a deploy
gate; a ``warning`` needs a person to look; ``info`` is context.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from privacyops.audit import service as audit
from privacyops.consent import scans
from privacyops.consent.models import ConsentState
from privacyops.consent.service import Who
from privacyops.consent.state import latest_events
from privacyops.db import utcnow
from privacyops.disclosures import counters
from privacyops.incidents import clocks
from privacyops.jurisdictions.enums import TransferRoute
from privacyops.policy.schema import Declaration
from privacyops.retention import service as retention
from privacyops.rights import deadlines
from privacyops.subjects import service as subjects
from privacyops.subjects.models import PersonalRecord, SubjectState

Severity = Literal["violation", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("violation", "warning", "info")

#: Transfer mechanisms that satisfy each CN export route (PIPL art. 38).
ROUTE_MECHANISMS = {
    TransferRoute.STANDARD_CONTRACT_OR_CERTIFICATION: {
        "pipl_standard_contract",
        "pipl_certification",
        "pipl_security_assessment",
    },
    TransferRoute.SECURITY_ASSESSMENT: {"pipl_security_assessment"},
}


@dataclass(frozen=True)
class Finding:
    kind: str
    severity: Severity
    what: str
    count: int
    fix: str
    """Where to fix it: a command, a console page or the declaration."""
    details: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Report:
    ran_at: datetime
    findings: list[Finding]
    checks: list[str]

    @property
    def violations(self) -> int:
        return sum(1 for f in self.findings if f.severity == "violation")

    @property
    def ok(self) -> bool:
        return self.violations == 0

    def by_severity(self, severity: Severity) -> list[Finding]:
        return [f for f in self.findings if f.severity == severity]

    def as_json(self) -> dict[str, Any]:
        return {
            "ran_at": self.ran_at.isoformat(),
            "ok": self.ok,
            "violations": self.violations,
            "warnings": len(self.by_severity("warning")),
            "checks": self.checks,
            "findings": [f.as_json() for f in self.findings],
        }


Check = Callable[[Session, Declaration, datetime], Iterator[Finding]]


def _n(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def expired_data(session: Session, declaration: Declaration, now: datetime) -> Iterator[Finding]:
    for line in retention.preview(session=session, declaration=declaration, now=now):
        if line.due > 0:
            yield Finding(
                "expired_data",
                "violation",
                f"{_n(line.due, 'value', 'values')} of category '{line.category}' past "
                f"expiry ({line.rule}) and under no legal hold",
                line.due,
                "privacyops retention sweep",
                {"category": line.category, "rule": line.rule, "held": line.held},
            )


def undeclared_data(session: Session, declaration: Declaration, now: datetime) -> Iterator[Finding]:
    declared = {c.key: {f.name for f in c.fields} for c in declaration.categories}
    rows = session.execute(
        select(PersonalRecord.category, PersonalRecord.field, func.count())
        .group_by(PersonalRecord.category, PersonalRecord.field)
        .order_by(PersonalRecord.category, PersonalRecord.field)
    )
    for category, name, count in rows:
        if category not in declared:
            yield Finding(
                "undeclared_category",
                "violation",
                f"{_n(count, 'value', 'values')} stored under category '{category}', which "
                "the declaration does not name",
                int(count),
                f"declare '{category}' in {_policy_file()} or delete the rows",
                {"category": category, "field": name},
            )
        elif name not in declared[category]:
            yield Finding(
                "undeclared_field",
                "violation",
                f"{_n(count, 'value', 'values')} of field '{category}.{name}' stored; the "
                "declaration does not name that field",
                int(count),
                f"declare the field under '{category}' in {_policy_file()} or delete the rows",
                {"category": category, "field": name},
            )


def _policy_file() -> str:
    return "the declaration (PRIVACYOPS_POLICY)"


def _needs_consent(declaration: Declaration, category: str, purpose: str) -> bool:
    if purpose in declaration.consent_purposes():
        return True
    return declaration.basis(category, purpose).uses_consent()


def _granted(session: Session, subject_id: str, purpose: str) -> bool:
    event = latest_events(session=session, who=Who(subject_id=subject_id)).get(purpose)
    return event is not None and event.state == ConsentState.GRANTED.value


def purposes(session: Session, declaration: Declaration, now: datetime) -> Iterator[Finding]:
    declared = {c.key: set(c.purposes) for c in declaration.categories}
    rows = session.execute(
        select(PersonalRecord.category, PersonalRecord.purpose, func.count())
        .group_by(PersonalRecord.category, PersonalRecord.purpose)
        .order_by(PersonalRecord.category, PersonalRecord.purpose)
    )
    for category, purpose, count in rows:
        if category not in declared:
            continue  # reported as an undeclared category
        if purpose not in declared[category]:
            yield Finding(
                "purpose_without_basis",
                "violation",
                f"{_n(count, 'value', 'values')} of '{category}' stored for purpose "
                f"'{purpose}', which the declaration does not give that category: no lawful basis",
                int(count),
                "declare the purpose for the category (with its basis) or delete the rows",
                {"category": category, "purpose": purpose},
            )
            continue
        if not _needs_consent(declaration, category, purpose):
            continue
        holders = session.scalars(
            select(PersonalRecord.subject_id)
            .where(PersonalRecord.category == category, PersonalRecord.purpose == purpose)
            .distinct()
        )
        missing = 0
        for subject_id in holders:
            subject = subjects.get_subject(session=session, subject_id=subject_id)
            if subject.state == SubjectState.ERASED:
                continue  # unreadable already; the purge job removes the rows
            if not _granted(session, subject_id, purpose):
                missing += 1
        if missing:
            yield Finding(
                "purpose_without_consent",
                "violation",
                f"{_n(missing, 'person has', 'people have')} '{category}' values stored for "
                f"'{purpose}', a purpose that needs consent, without a standing consent",
                missing,
                "stop the integration storing them, then delete the values (or record the consent)",
                {"category": category, "purpose": purpose},
            )


def overdue_requests(
    session: Session, declaration: Declaration, now: datetime
) -> Iterator[Finding]:
    found = deadlines.overdue_requests(session=session, now=now)
    if found:
        ids = [item.id for item in found]
        yield Finding(
            "overdue_request",
            "violation",
            f"{_n(len(found), 'rights request', 'rights requests')} past the due date "
            "without an answer",
            len(found),
            "/admin/requests",
            {"requests": ids[:50]},
        )


def incident_clocks(session: Session, declaration: Declaration, now: datetime) -> Iterator[Finding]:
    for incident, state in clocks.overdue_clocks(session, now):
        due = state.due_at.strftime("%Y-%m-%d %H:%M UTC") if state.due_at else "?"
        yield Finding(
            "incident_clock_overdue",
            "violation",
            f"{incident.reference}: the {state.regime} notice to {state.audience} "
            f"({state.clock.stage}) was due {due} and none is recorded",
            1,
            f"/admin/incidents/{incident.id}",
            {"incident": incident.reference, "regime": state.regime, "clock": state.key},
        )


COOKIE_KINDS = {
    "undeclared": "cookie_undeclared",
    "before_consent": "cookie_before_consent",
    "after_reject": "cookie_after_reject",
    "no_banner": "cookie_no_banner",
}


def cookies(session: Session, declaration: Declaration, now: datetime) -> Iterator[Finding]:
    scan = scans.latest(session=session)
    if scan is None:
        yield Finding(
            "no_cookie_scan",
            "warning",
            "no cookie scan is on record, so what the website sets is unchecked",
            0,
            "privacyops cookies scan URL",
        )
        return
    grouped: dict[str, list[dict[str, str]]] = {}
    for item in scan.findings.get("violations", []):
        grouped.setdefault(str(item.get("kind", "")), []).append(item)
    for kind, items in sorted(grouped.items()):
        names = sorted({str(i.get("cookie", "")) for i in items if i.get("cookie")})
        yield Finding(
            COOKIE_KINDS.get(kind, f"cookie_{kind}"),
            "violation",
            f"the latest scan of {scan.url} ({scan.scanned_at:%Y-%m-%d}) found "
            + "; ".join(sorted({str(i.get("message", kind)) for i in items})),
            len(items),
            "declare the cookies in the declaration or stop the page setting them before consent",
            {"scan": scan.id, "cookies": names},
        )


def cross_border(session: Session, declaration: Declaration, now: datetime) -> Iterator[Finding]:
    declared = {m for t in declaration.transfers for m in t.mechanisms}
    for found in counters.cn_threshold_findings(session, now.year):
        needed = ROUTE_MECHANISMS.get(found.route, set())
        covered = bool(needed & declared)
        yield Finding(
            "cn_export_threshold",
            "warning" if covered else "violation",
            found.message
            + (
                "; the declaration names a mechanism for it: check the filing is in place"
                if covered
                else "; the declaration names no mechanism for that route"
            ),
            found.people,
            "/admin/disclosures",
            {"year": found.year, "route": found.route.value, "basis": found.basis},
        )


CHECKS: tuple[tuple[str, Check], ...] = (
    ("expired_data", expired_data),
    ("undeclared_data", undeclared_data),
    ("purposes", purposes),
    ("overdue_requests", overdue_requests),
    ("incident_clocks", incident_clocks),
    ("cookies", cookies),
    ("cross_border", cross_border),
)


def run(*, session: Session, declaration: Declaration, now: datetime | None = None) -> Report:
    moment = now or utcnow()
    findings: list[Finding] = []
    for _name, check in CHECKS:
        findings.extend(check(session, declaration, moment))
    order = {s: i for i, s in enumerate(SEVERITIES)}
    findings.sort(key=lambda f: (order[f.severity], f.kind))
    return Report(moment, findings, [name for name, _ in CHECKS])


def record_run(*, session: Session, report: Report, actor: str) -> None:
    """Note in the audit log that an audit ran and what it found (kinds and counts only)."""
    kinds: dict[str, int] = {}
    for finding in report.findings:
        kinds[finding.kind] = kinds.get(finding.kind, 0) + 1
    audit.record(
        session=session,
        actor=actor,
        action="conformance.audit_run",
        target_type="system",
        target_id="conformance",
        details={"ok": report.ok, "violations": report.violations, "kinds": kinds},
    )
