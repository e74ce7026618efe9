"""Synthetic orders and disclosures for the first demo customers (obviously fake)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from privacyops.disclosures import service as disclosures
from privacyops.orders import service
from privacyops.policy.schema import Declaration
from privacyops.subjects import service as subjects
from privacyops.vault.service import Vault

ACTOR = "system:demo"
CUSTOMERS = 6


def seed(*, session: Session, vault: Vault, declaration: Declaration) -> int:
    """An order each for the first demo accounts, shipped (and for some, paid abroad)."""
    made = 0
    for n in range(1, CUSTOMERS + 1):
        subject = subjects.find_subject_by(
            session=session, vault=vault, kind="account_id", value=f"demo-{n:04d}"
        )
        if subject is None or subject.state != "active":
            continue
        ref = f"DEMO-SO-{n:04d}"
        service.record_order(
            session=session,
            vault=vault,
            declaration=declaration,
            subject_id=subject.id,
            fields={
                "order_id": ref,
                "products": f"{n} x FST smart breaker (demo)",
                "amount": 99.0 * n,
                "currency": "CNY",
                "billing_name": f"Demo Customer {n}",
                "billing_address": f"{n} Example Road, Demo City",
                "shipping_name": f"Demo Customer {n}",
                "shipping_address": f"{n} Example Road, Demo City",
            },
            notice_version=declaration.policy.version,
            actor=ACTOR,
        )
        for recipient, country in (("payment_partners", None), ("logistics", _country(n))):
            disclosures.disclose(
                session=session,
                vault=vault,
                declaration=declaration,
                subject_id=subject.id,
                recipient=recipient,
                categories=["orders"],
                purpose="order_cooperation",
                basis="service_necessity",
                actor=ACTOR,
                country=country,
            )
        made += 1
    return made


def _country(n: int) -> str:
    """Most parcels stay in China; a few go to customers abroad (an export to count)."""
    return ("CN", "CN", "DE", "CN", "SG", "CN")[(n - 1) % 6]
