"""Judging what a real browser stored against the declaration, and keeping the verdict.

A scan visits a page three times in fresh browser contexts: before any choice,
after "Accept all" and after "Reject all". The rules:

- every cookie must be declared (`undeclared`);
- before a choice only necessary cookies may exist (`before_consent`): the scan
  runs as a visitor of an opt-in regime unless told otherwise;
- after "Reject all" only necessary cookies may exist (`after_reject`);
- the banner must be there to click (`no_banner`).

A declared optional cookie that never appears, even after "Accept all", is a note,
not a violation: the page may simply not use it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from privacyops.audit import service as audit
from privacyops.consent.models import CookieScan
from privacyops.policy.schema import Declaration

PHASES = ("before", "accept", "reject")


@dataclass(frozen=True, slots=True)
class SeenCookie:
    name: str
    domain: str
    expires: float | None = None


@dataclass
class Verdict:
    phases: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    violations: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations

    def as_json(self) -> dict[str, Any]:
        return {"phases": self.phases, "violations": self.violations, "notes": self.notes}


def judge(
    *,
    declaration: Declaration,
    seen: Mapping[str, Sequence[SeenCookie]],
    banner_found: Mapping[str, bool] | None = None,
) -> Verdict:
    """Compare the cookies of each phase with the declaration."""
    declared = {c.name: c for c in declaration.cookies}
    necessary = {c.key for c in declaration.cookie_policy.categories if not c.requires_consent}
    verdict = Verdict()
    for phase in PHASES:
        rows = []
        for cookie in sorted(seen.get(phase, ()), key=lambda c: (c.name, c.domain)):
            decl = declared.get(cookie.name)
            category = decl.category if decl else None
            rows.append(
                {
                    "name": cookie.name,
                    "domain": cookie.domain,
                    "category": category,
                    "declared": decl is not None,
                }
            )
            if decl is None:
                verdict.violations.append(
                    {
                        "kind": "undeclared",
                        "phase": phase,
                        "cookie": cookie.name,
                        "message": f"{cookie.name} ({cookie.domain}) is not in the declaration",
                    }
                )
            elif category not in necessary and phase in ("before", "reject"):
                when = "before any choice" if phase == "before" else "after Reject all"
                verdict.violations.append(
                    {
                        "kind": "before_consent" if phase == "before" else "after_reject",
                        "phase": phase,
                        "cookie": cookie.name,
                        "message": f"{category} cookie {cookie.name} was set {when}",
                    }
                )
        verdict.phases[phase] = rows
    for phase, found in (banner_found or {}).items():
        if not found:
            verdict.violations.append(
                {
                    "kind": "no_banner",
                    "phase": phase,
                    "cookie": "",
                    "message": "the consent banner did not appear",
                }
            )
    accepted = {c.name for c in seen.get("accept", ())}
    for name, decl in declared.items():
        if decl.category not in necessary and name not in accepted:
            verdict.notes.append(f"{name} ({decl.category}) was not set even after Accept all")
    return verdict


def store(
    *, session: Session, url: str, region: str | None, verdict: Verdict, at: datetime, actor: str
) -> CookieScan:
    row = CookieScan(
        scanned_at=at,
        url=url[:2000],
        region=region,
        ok=verdict.ok,
        violations=len(verdict.violations),
        findings=verdict.as_json(),
        actor=actor,
    )
    session.add(row)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="consent.cookie_scan",
        target_type="cookie_scan",
        target_id=row.id,
        details={"ok": row.ok, "violations": row.violations},
    )
    return row


def latest(*, session: Session) -> CookieScan | None:
    """The newest scan, for the console and the conformance audit."""
    return session.scalar(select(CookieScan).order_by(CookieScan.scanned_at.desc()).limit(1))
