"""Helpers shared by the consent tests and the consent browser tests."""

from __future__ import annotations

from sqlalchemy.orm import Session
from tests.conftest import ROOT

from privacyops.policy import versions
from privacyops.policy.models import PolicyVersion

SOURCE = (ROOT / "policy" / "fstsmart.yaml").read_text(encoding="utf-8")
ANALYTICS = "product_analytics"


def bumped(source: str, version: str) -> str:
    """The declaration as a new major version whose analytics purpose says something new."""
    text = source.replace('  version: "1.0.0"\n', f'  version: "{version}"\n', 1)
    text = text.replace("  label: V1.0\n", f"  label: V{version}\n", 1)
    entry = (
        f'    - version: "{version}"\n      label: V{version}\n      effective_date: 2026-04-13\n'
        "      change_class: major\n"
        "      summary: {en: Analytics now also measures the shop., zh-CN: 分析范围扩展至商店。}\n"
    )
    text = text.replace("  history:\n", "  history:\n" + entry, 1)
    start = text.index(f"  - key: {ANALYTICS}\n")
    english = text.index("en: ", text.index("description:", start))
    return text[:english] + "en: Now also in the shop. " + text[english + 4 :]


def publish_v1(session: Session) -> PolicyVersion:
    return versions.publish(session=session, source=SOURCE, name="fstsmart.yaml", actor="test")


def publish_major(session: Session, version: str = "2.0.0") -> PolicyVersion:
    if versions.latest(session=session) is None:
        publish_v1(session)
    row = versions.publish(
        session=session, source=bumped(SOURCE, version), name="fstsmart.yaml", actor="test"
    )
    assert ANALYTICS in row.renew_consent_for, row.renew_consent_for
    return row
