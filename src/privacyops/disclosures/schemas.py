"""API shapes for disclosures. What may be disclosed is checked against the declaration."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class DisclosureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subject_id: str = Field(min_length=1, max_length=36)
    recipient: str = Field(min_length=1, max_length=64, description="A declared recipient key.")
    categories: list[str] = Field(min_length=1, max_length=20)
    purpose: str = Field(min_length=1, max_length=64)
    basis: str = Field(
        min_length=1, max_length=32, description="A declared sharing ground, e.g. `consent`."
    )
    country: str | None = Field(
        default=None, max_length=2, description="Where the recipient receives it (ISO alpha-2)."
    )


class DisclosureOut(BaseModel):
    id: int
    subject_id: str
    recipient: str
    recipient_kind: str
    country: str
    categories: list[str]
    purpose: str
    basis: str
    disclosed_at: datetime
    actor: str
