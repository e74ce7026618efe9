"""Renewed consent: which consents a later major policy version made stale.

Publishing a major version lists the consent-based purposes whose wording or data
changed (`policy_version.renew_consent_for`). A consent given under an older
version for such a purpose no longer covers what we do: it is *stale*, the check
denies it and the banner asks again. A refusal never goes stale (asking again
someone who said no is nagging, not renewal).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from privacyops.policy import versions

SemVer = tuple[int, int, int]


def semver(version: str) -> SemVer:
    """``"1.2.3"`` -> ``(1, 2, 3)``; anything unparsable sorts first (0, 0, 0)."""
    parts = version.split(".")
    try:
        major, minor, patch = (int(part) for part in parts[:3])
    except ValueError:
        return (0, 0, 0)
    return (major, minor, patch)


@dataclass(frozen=True)
class Renewals:
    """For each purpose, the newest major version that asked to renew consent for it."""

    floors: dict[str, SemVer]
    latest: str | None
    majors: tuple[tuple[str, tuple[str, ...]], ...]
    """(version, purposes) of every major version that asks for renewal, oldest first."""
    versions: frozenset[str] = frozenset()

    def stale(self, purpose: str, given_under: str) -> bool:
        floor = self.floors.get(purpose)
        return floor is not None and semver(given_under) < floor

    def since(self, version: str) -> list[tuple[str, tuple[str, ...]]]:
        """Renewals asked for by versions newer than ``version``."""
        mark = semver(version)
        return [(v, purposes) for v, purposes in self.majors if semver(v) > mark]


def load(*, session: Session) -> Renewals:
    rows = versions.list_versions(session=session)
    floors: dict[str, SemVer] = {}
    majors: list[tuple[str, tuple[str, ...]]] = []
    for row in sorted(rows, key=lambda r: semver(r.version)):
        if row.change_class != "major" or not row.renew_consent_for:
            continue
        majors.append((row.version, tuple(row.renew_consent_for)))
        for purpose in row.renew_consent_for:
            floors[purpose] = max(floors.get(purpose, (0, 0, 0)), semver(row.version))
    latest = max(rows, key=lambda r: semver(r.version)).version if rows else None
    return Renewals(
        floors=floors,
        latest=latest,
        majors=tuple(majors),
        versions=frozenset(r.version for r in rows),
    )
