"""API shapes for intake. Field values are checked against the declaration, not here."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

FieldValues = dict[str, Any]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")
    notice_version: str = Field(
        min_length=1, max_length=40, description="The policy version the person was shown."
    )
    country: str | None = Field(default=None, max_length=2, description="ISO 3166 alpha-2.")
    region: str | None = Field(
        default=None, max_length=8, description="State or province code, e.g. CA for California."
    )
    network_type: str | None = Field(default=None, max_length=16)


class AccountIn(_In):
    fields: FieldValues = Field(description="Fields of the declared `account` category.")
    birth_date: date | None = None
    age: int | None = Field(default=None, ge=0, le=130)


class AccountUpdateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    notice_version: str = Field(min_length=1, max_length=40)
    fields: FieldValues


class ContactIn(_In):
    fields: FieldValues = Field(description="Fields of the declared `contact` category.")
    purpose: str = Field(default="service_support", max_length=64)


class TicketIn(_In):
    fields: FieldValues = Field(description="Fields of the declared `support` category.")
    requester: FieldValues = Field(
        description="How to reach the requester: `email`, `phone` or `account_id`."
    )


class CooperationIn(_In):
    fields: FieldValues = Field(description="Fields of the declared `key_account` category.")


class AutomaticIn(BaseModel):
    """What the website or an app observed about one visit or one use of the app."""

    model_config = ConfigDict(extra="forbid")
    notice_version: str = Field(min_length=1, max_length=40)
    purpose: str = Field(default="service_support", max_length=64)
    identity: dict[str, Any] = Field(
        description="Exactly one of `account_id` (an existing account) or `cookie_id`."
    )
    user_agent: str | None = Field(
        default=None, max_length=2048, description="Parsed into browser, OS and device."
    )
    ip_address: str | None = Field(
        default=None, max_length=64, description="Stored truncated (/24, /48) with its country."
    )
    country: str | None = Field(default=None, max_length=2)
    region: str | None = Field(default=None, max_length=8)
    data: dict[str, Any] = Field(
        default_factory=dict,
        description="Declared automatic categories and their fields, e.g. "
        '`{"network_type": {"network_type": "wifi"}, "log_behavior": [{...}]}`.',
    )


class StoredOut(BaseModel):
    category: str
    field: str
    purpose: str
    region: str
    expires_at: datetime | None


class FindingOut(BaseModel):
    field: str
    entity_type: str
    start: int
    end: int


class IntakeOut(BaseModel):
    subject_id: str
    created: bool
    notice_version: str
    stored: list[StoredOut]
    pii_findings: list[FindingOut] = []
    age_status: str | None = None


class ClosedOut(BaseModel):
    subject_id: str
    records_now_expiring: int
