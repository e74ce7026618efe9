"""An order's bookkeeping row; its personal values live in the vault.

The row holds what accounting needs to find and total an order (reference,
amount, currency, when, until when it must be kept and under which law). The
products and the billing and shipping name, address and phone are personal
values of the ``orders`` category, encrypted under the subject's key
(``subjects.records``) with ``source = "order:<reference>"`` linking them to
this row; an erasure re-encrypts them under a retention subject until the
same expiry (``rights.executors.retention``).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from privacyops.db import Base
from privacyops.subjects.models import BigId


class Order(Base):
    __tablename__ = "customer_order"
    __table_args__ = (UniqueConstraint("order_ref", name="uq_customer_order_ref"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subject_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("subject.id", ondelete="RESTRICT"), index=True
    )
    order_ref: Mapped[str] = mapped_column(String(64))
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    currency: Mapped[str] = mapped_column(String(3))
    placed_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    law: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(120))
