"""Synthetic consent decisions for the demo: made-up visitors over the last 90 days.

Visitors are ids like ``demo-visitor-000123-…`` (blind-indexed like real ones),
networks come from the documentation ranges (198.51.100.0/24, 2001:db8::/32), and
a few demo account holders (``demo-0001``…) decide in the app. Enough rows to make
the console's reports, chart and regime split real; bulk-inserted in one statement
per batch, with one audit event for the whole load.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from privacyops.audit import service as audit
from privacyops.consent import notices
from privacyops.consent.catalogue import catalogue, default_granted
from privacyops.consent.models import ConsentEvent
from privacyops.db import utcnow
from privacyops.jurisdictions import service as jurisdictions
from privacyops.policy import versions
from privacyops.policy.schema import Declaration
from privacyops.subjects import service as subjects
from privacyops.vault.service import Vault

#: (country, state, weight): where the demo's visitors come from.
PLACES = [
    ("CN", None, 30),
    ("DE", None, 12),
    ("FR", None, 8),
    ("US", "CA", 12),
    ("US", "TX", 5),
    ("US", "CO", 4),
    ("GB", None, 7),
    ("JP", None, 6),
    ("BR", None, 5),
    ("SG", None, 4),
    ("KR", None, 4),
    ("IN", None, 3),
]
BROWSERS = ["Chrome", "Mobile Safari", "Safari", "Firefox", "Edge", "Chrome Mobile", "WeChat"]
ACTOR = "system:demo"


def _rows(rng: random.Random, base: dict[str, Any], decide: dict[str, str]) -> list[dict[str, Any]]:
    receipt = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    return [{**base, "receipt_id": receipt, "purpose": p, "state": s} for p, s in decide.items()]


def seed(
    *,
    session: Session,
    vault: Vault,
    declaration: Declaration,
    visitors: int = 1500,
    days: int = 90,
    now: datetime | None = None,
) -> int:
    """Insert the demo's consent events; returns how many."""
    rng = random.Random(20261125)  # noqa: S311 - demo data, not security
    end = now or utcnow()
    cat = catalogue(declaration)
    latest = versions.latest(session=session)
    version = latest.version if latest else declaration.policy.version
    notice = {lang: notices.notice_for(declaration, lang, version) for lang in ("en", "zh-CN")}
    for item in notice.values():
        notices.remember(session=session, notice=item)
    optional = [p for p in cat.optional if cat.purposes[p].category]
    places = [p[:2] for p in PLACES]
    weights = [p[2] for p in PLACES]
    rows: list[dict[str, Any]] = []
    for n in range(visitors):
        country, state = rng.choices(places, weights)[0]
        regime = jurisdictions.regime_for(country=country, state=state)
        gpc = jurisdictions.gpc_required(country=country, state=state, on=end.date())
        lang = "zh-CN" if country == "CN" else "en"
        at = end - timedelta(days=rng.random() * (days - 1))
        cookie = vault.index("cookie_id", f"demo-visitor-{n:06d}-{rng.getrandbits(48):012x}")
        v4 = rng.random() < 0.8
        base: dict[str, Any] = {
            "subject_id": None,
            "cookie_index": cookie,
            "policy_version": version,
            "notice_version": version,
            "notice_hash": notice[lang].sha256,
            "lang": lang,
            "regime": regime.code,
            "ip_prefix": "198.51.100.0" if v4 else "2001:db8:1::",
            "ua_family": rng.choice(BROWSERS),
            "actor": "public:consent-banner",
        }
        opt_out = all(default_granted(cat.purposes[p], regime) for p in optional)
        granted: dict[str, str] = {}
        if opt_out:
            granted = dict.fromkeys(optional, "granted")
            first = {**base, "occurred_at": at, "method": "jurisdiction_default"}
            rows += _rows(rng, first, granted)
            if gpc and rng.random() < 0.15:
                rows += _rows(rng, {**first, "method": "gpc"}, {"sale_sharing": "denied"})
        roll = rng.random()
        later = at + timedelta(seconds=rng.randint(3, 90))
        if roll < (0.25 if opt_out else 0.6):
            decide = dict.fromkeys(optional, "granted")
            method = "banner"
        elif roll < (0.45 if opt_out else 0.88):
            decide = {p: "withdrawn" if granted.get(p) else "denied" for p in optional}
            method = "banner"
        else:
            decide = {p: "granted" if p.startswith("product") else "denied" for p in optional}
            method = "preferences"
        if later <= end:
            rows += _rows(rng, {**base, "occurred_at": later, "method": method}, decide)
        if rng.random() < 0.06 and any(s == "granted" for s in decide.values()):
            back = later + timedelta(days=rng.random() * 20)
            if back <= end:
                gone = {p: "withdrawn" if s == "granted" else "denied" for p, s in decide.items()}
                rows += _rows(rng, {**base, "occurred_at": back, "method": "preferences"}, gone)
    rows += _app_decisions(session, vault, rng, end, days, version, notice["en"].sha256, optional)
    rows.sort(key=lambda row: row["occurred_at"])
    for start in range(0, len(rows), 1000):
        session.execute(insert(ConsentEvent), rows[start : start + 1000])
    audit.record(
        session=session,
        actor=ACTOR,
        action="consent.demo_loaded",
        target_type="system",
        target_id="demo",
        details={"events": len(rows), "visitors": visitors},
    )
    return len(rows)


def _app_decisions(
    session: Session,
    vault: Vault,
    rng: random.Random,
    end: datetime,
    days: int,
    version: str,
    notice_hash: str,
    optional: list[str],
) -> list[dict[str, Any]]:
    """Demo account holders switching analytics on or off in the app."""
    rows: list[dict[str, Any]] = []
    for n in range(1, 61, 2):
        subject = subjects.find_subject_by(
            session=session, vault=vault, kind="account_id", value=f"demo-{n:04d}"
        )
        if subject is None:
            continue
        decide = {p: rng.choice(["granted", "denied"]) for p in optional}
        base: dict[str, Any] = {
            "subject_id": subject.id,
            "cookie_index": None,
            "policy_version": version,
            "notice_version": version,
            "notice_hash": notice_hash,
            "lang": "en",
            "regime": subject.jurisdiction or "CN",
            "occurred_at": end - timedelta(days=rng.random() * (days - 1)),
            "method": rng.choice(["form", "api"]),
            "ip_prefix": None,
            "ua_family": "FSTSMART app",
            "actor": "api_client:mobile-apps",
        }
        rows += _rows(rng, base, decide)
    return rows
