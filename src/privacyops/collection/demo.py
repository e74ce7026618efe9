"""Synthetic customers, contacts, tickets and cooperation requests for the demo.

Everything is obviously fake: example.com addresses, +86 138 0000 numbers,
account ids starting with `demo-`. It goes through the same intake checks as
real data, so the demo also shows that the declaration accepts it.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import timedelta

from sqlalchemy.orm import Session

from privacyops.collection import age, automatic, intake
from privacyops.db import utcnow
from privacyops.policy.schema import Declaration
from privacyops.subjects.models import Subject
from privacyops.vault.service import Vault

PLACES = [
    ("CN", None),
    ("CN", None),
    ("DE", None),
    ("FR", None),
    ("US", "CA"),
    ("GB", None),
    ("BR", None),
    ("SG", None),
    ("JP", None),
    ("US", "TX"),
    ("KR", None),
    ("IN", None),
]
GIVEN = [
    "Alex",
    "Bao",
    "Chen",
    "Dana",
    "Emil",
    "Fang",
    "Greta",
    "Hiro",
    "Ines",
    "Jun",
    "Kai",
    "Lena",
]
FAMILY = ["Example", "Sample", "Placeholder", "Testperson", "Demo", "Fictional"]
TICKETS = [
    "The breaker trips every evening; my phone is +86 138 0000 {n:04d}.",
    "设备无法联网，请回电 138 0000 {n:04d}，谢谢。",
    "Energy readings look too high since the firmware update. Reach me at demo{n:03d}@example.com.",
    "告警记录显示过压，请协助排查。",
]


def _declare(
    context: intake.Intake,
    category: str,
    purpose: str,
    values: Mapping[str, object],
    *,
    kind: str,
    country: str,
    region: str | None,
    identities: dict[str, str] | None = None,
) -> str:
    checked = intake.validate_fields(
        context, category=category, purpose=purpose, values=values, subject_id=None
    )
    subject, _created = intake.resolve_subject(
        context,
        identities=identities or intake.identities_in(checked),
        kind=kind,
        country=country,
        region=region,
    )
    stored = intake.store_fields(
        context,
        subject_id=subject.id,
        category=category,
        purpose=purpose,
        values=checked,
        notice_version=context.declaration.policy.version,
        source="demo",
    )
    intake.record_findings(session=context.session, stored=stored, texts=checked)
    return subject.id


def seed(*, session: Session, vault: Vault, declaration: Declaration, customers: int = 60) -> int:
    """Create `customers` account holders plus contacts, tickets and cooperation requests."""
    rng = random.Random(20261124)  # noqa: S311 - demo data, not security
    context = intake.Intake(
        session=session,
        vault=vault,
        declaration=declaration,
        actor="system:demo",
        explicit_consent=lambda _session, _subject, _purpose: False,
    )
    created = 0
    for n in range(1, customers + 1):
        country, region = rng.choice(PLACES)
        name = f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}"
        account = {
            "account_id": f"demo-{n:04d}",
            "email": f"demo{n:03d}@example.com",
            "phone": f"+86 138 0000 {n:04d}",
            "display_name": name,
            "language": "zh-CN" if country == "CN" else "en",
            "country": country,
            "created_at": (utcnow() - timedelta(days=rng.randint(1, 700))).isoformat(),
        }
        subject_id = _declare(
            context,
            "account",
            "account_management",
            account,
            kind="customer",
            country=country,
            region=region,
        )
        created += 1
        if n % 3 == 0:
            ticket = {
                "ticket_id": f"T-{10000 + n}",
                "subject": "Device support",
                "message": rng.choice(TICKETS).format(n=n),
                "channel": rng.choice(["email", "web_form", "app", "phone"]),
                "product_model": rng.choice(["FST-MCB-63", "FST-RCBO-40", "FST-METER-3P"]),
                "created_at": utcnow().isoformat(),
            }
            _declare(
                context,
                "support",
                "service_support",
                ticket,
                kind="customer",
                country=country,
                region=region,
                identities={"email": f"demo{n:03d}@example.com"},
            )
        if n % 10 == 0:
            intake.close_account(context, subject_id=subject_id)
    for n in range(1, customers // 4 + 1):
        country, region = rng.choice(PLACES)
        _declare(
            context,
            "contact",
            "service_support",
            {
                "name": f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}",
                "email": f"prospect{n:03d}@example.com",
                "company": f"Example Grid {n} Co.",
                "country": country,
            },
            kind="prospect",
            country=country,
            region=region,
        )
        created += 1
    for n in range(1, customers // 10 + 1):
        _declare(
            context,
            "key_account",
            "order_cooperation",
            {
                "company_name": f"Example Utilities {n} Ltd.",
                "contact_name": f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}",
                "email": f"partner{n:02d}@example.com",
                "cooperation_details": f"{rng.randint(50, 900)} smart breakers per quarter",
            },
            kind="business_contact",
            country="CN",
            region=None,
        )
        created += 1
    created += _automatic_and_minors(context, rng)
    return created


USER_AGENTS = [
    "Mozilla/5.0 (Linux; Android 14; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.6099.144 Mobile Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
]
#: Documentation networks and well-known public resolvers: never a real visitor's address.
DEMO_ADDRESSES = ["8.8.8.8", "1.1.1.1", "203.0.113.45", "2001:4860:4860::8888"]


def _automatic_and_minors(context: intake.Intake, rng: random.Random) -> int:
    """A few visits of demo accounts and visitors, and a minor's account held for a parent."""
    version = context.declaration.policy.version
    for n in range(1, 6):
        automatic.collect(
            context,
            automatic.Submission(
                notice_version=version,
                purpose="service_support",
                identity={"account_id": f"demo-{n:04d}"},
                data={
                    "network_type": {"network_type": rng.choice(["wifi", "cellular"])},
                    "log_behavior": [
                        {
                            "event": "screen_view",
                            "page_or_screen": "devices",
                            "app_version": "3.2.0",
                            "occurred_at": (utcnow() - timedelta(minutes=m)).isoformat(),
                        }
                        for m in (5, 1)
                    ],
                },
                user_agent=rng.choice(USER_AGENTS),
                ip_address=rng.choice(DEMO_ADDRESSES),
            ),
        )
    automatic.collect(
        context,
        automatic.Submission(
            notice_version=version,
            purpose="service_support",
            identity={"cookie_id": "demo-visitor-cookie-0001"},
            data={"log_behavior": {"event": "page_view", "occurred_at": utcnow().isoformat()}},
            user_agent=USER_AGENTS[2],
            ip_address="1.1.1.1",
        ),
    )
    decision = age.decide(declaration=context.declaration, age=14, country="DE", state=None)
    minor = {
        "account_id": "demo-minor-0001",
        "email": "minor0001@example.com",
        "display_name": "Kai Fictional",
        "language": "en",
        "country": "DE",
        "created_at": utcnow().isoformat(),
    }
    subject_id = _declare(
        context, "account", "account_management", minor, kind="customer", country="DE", region=None
    )
    subject = context.session.get_one(Subject, subject_id)
    age.apply(session=context.session, subject=subject, decision=decision, actor=context.actor)
    return 2
