"""API shapes for orders. Field values are checked against the declaration, not here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class OrderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    notice_version: str = Field(
        min_length=1, max_length=40, description="The policy version the person was shown."
    )
    account_id: str = Field(min_length=1, max_length=64, description="The buyer's account.")
    fields: dict[str, Any] = Field(description="Fields of the declared `orders` category.")
    placed_at: datetime | None = Field(
        default=None,
        description="When the order was placed (with a zone; default now). The legal period"
        " runs from then.",
    )


class OrderOut(BaseModel):
    order_id: str
    subject_id: str
    amount: str
    currency: str
    placed_at: datetime
    retained_until: datetime
    law: str
