"""Synthetic orders and disclosures for the first demo customers (obviously fake)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from privacyops.db import utcnow
from privacyops.disclosures import service as disclosures
from privacyops.orders import service
from privacyops.policy.schema import Declaration
from privacyops.subjects import service as subjects
from privacyops.vault.service import Vault

ACTOR = "system:demo"
CUSTOMERS = 40
PRODUCTS = (
    ("FST-MCB-63 smart breaker (demo)", 129.0),
    ("FST-RCBO-40 residual-current breaker (demo)", 219.0),
    ("FST-EM-3P three-phase energy meter (demo)", 499.0),
    ("FST-GW-2 gateway (demo)", 349.0),
)


def seed(*, session: Session, vault: Vault, declaration: Declaration) -> int:
    """One to three orders for each of the first demo accounts over the last 34 months.

    Each is shipped and paid (some parcels abroad); the oldest are close to the end
    of their legal period, so the console shows orders about to be purged.
    """
    rng = random.Random(20261202)  # noqa: S311 - demo data, not security
    now = utcnow()
    made = 0
    for n in range(1, CUSTOMERS + 1):
        subject = subjects.find_subject_by(
            session=session, vault=vault, kind="account_id", value=f"demo-{n:04d}"
        )
        if subject is None or subject.state != "active":
            continue
        for k in range(1 + n % 3):
            _order(session, vault, declaration, subject.id, n, k, rng, now)
            made += 1
    return made


def _order(
    session: Session,
    vault: Vault,
    declaration: Declaration,
    subject_id: str,
    n: int,
    k: int,
    rng: random.Random,
    now: datetime,
) -> None:
    product, price = PRODUCTS[(n + k) % len(PRODUCTS)]
    quantity = 1 + rng.randrange(3)
    service.record_order(
        session=session,
        vault=vault,
        declaration=declaration,
        subject_id=subject_id,
        fields={
            "order_id": f"DEMO-SO-{n:04d}-{k + 1}",
            "products": f"{quantity} x {product}",
            "amount": round(price * quantity, 2),
            "currency": "CNY",
            "billing_name": f"Demo Customer {n}",
            "billing_address": f"{n} Example Road, Demo City",
            "shipping_name": f"Demo Customer {n}",
            "shipping_address": f"{n} Example Road, Demo City",
        },
        notice_version=declaration.policy.version,
        actor=ACTOR,
        placed_at=now - timedelta(days=rng.randrange(1, 34 * 30), minutes=rng.randrange(1440)),
    )
    for recipient, country in (("payment_partners", None), ("logistics", _country(n))):
        disclosures.disclose(
            session=session,
            vault=vault,
            declaration=declaration,
            subject_id=subject_id,
            recipient=recipient,
            categories=["orders"],
            purpose="order_cooperation",
            basis="service_necessity",
            actor=ACTOR,
            country=country,
        )


def _country(n: int) -> str:
    """Most parcels stay in China; a few go to customers abroad (an export to count)."""
    return ("CN", "CN", "DE", "CN", "SG", "CN")[(n - 1) % 6]
