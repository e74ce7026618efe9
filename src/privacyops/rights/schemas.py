"""API shapes of rights requests."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

RequestTypeName = Literal[
    "access",
    "portability",
    "correction",
    "deletion",
    "restriction",
    "objection",
    "withdraw_consent",
    "complaint",
    "inquiry",
]


class _Contact(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=32)
    country: str | None = Field(default=None, max_length=2, description="ISO 3166-1 alpha-2")
    state: str | None = Field(default=None, max_length=3, description="US state or CA province")
    language: str = Field(default="en", max_length=16, description="en or zh-CN")

    @model_validator(mode="after")
    def _one_contact(self) -> _Contact:
        if bool(self.email and self.email.strip()) == bool(self.phone and self.phone.strip()):
            raise ValueError("give exactly one of email and phone")
        return self

    @property
    def contact(self) -> tuple[str, str]:
        if self.email and self.email.strip():
            return "email", self.email
        return "phone", self.phone or ""


class RequestIn(_Contact):
    type: RequestTypeName
    details: str | None = Field(default=None, max_length=5000)
    purposes: list[str] | None = Field(
        default=None, max_length=50, description="withdraw_consent: the purposes (default all)"
    )


class AccountDeletionIn(_Contact):
    details: str | None = Field(default=None, max_length=5000)


class StaffEntryIn(RequestIn):
    channel: Literal["email", "contact_page"] = "email"


class VerifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=1, max_length=12)
    second_kind: Literal["phone", "account_id", "device_serial"] | None = None
    second_value: str | None = Field(default=None, max_length=120)


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(max_length=2000)


class ExtendIn(ReasonIn):
    until: datetime | None = Field(default=None, description="default: the law's latest date")


class StaffVerifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    method: str = Field(max_length=500, description="how the identity was checked")


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(max_length=5000)


class CorrectionsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    corrections: dict[str, dict[str, str]] = Field(
        description="category -> field -> new value (declared fields only)"
    )


class Receipt(BaseModel):
    id: str
    type: str
    status: str
    received_at: datetime
    due_at: datetime
    verification_level: str
    #: Only to the requester (public intake): the status token, shown once.
    token: str | None = None
    status_url: str | None = None


class StatusOut(BaseModel):
    id: str
    type: str
    status: str
    received_at: datetime
    due_at: datetime
    extended_due_at: datetime | None
    extension_reason: str | None
    verification_level: str
    verified: bool
    needs_second_identifier: bool
    awaiting_staff: bool
    decision_reason: str | None
    outcome_summary: str | None
    closed_at: datetime | None


class QueueItem(BaseModel):
    id: str
    type: str
    status: str
    channel: str
    regime: str
    received_at: datetime
    due_at: datetime
    effective_due_at: datetime
    deadline: str


class StepOut(BaseModel):
    name: str
    status: str
    attempts: int
    error: str | None


class NoteOut(BaseModel):
    at: datetime
    author: str
    kind: str
    text: str


class DetailOut(QueueItem):
    language: str
    country: str | None
    region_code: str | None
    verification_level: str
    verified_at: datetime | None
    extended_due_at: datetime | None
    extension_reason: str | None
    closed_at: datetime | None
    decision_reason: str | None
    facts: dict[str, Any]
    steps: list[StepOut]
    timeline: list[NoteOut]


class ExecutionOut(BaseModel):
    id: str
    status: str
    error: str | None
    failed_step: str | None
    steps: list[StepOut]


class MetricsRow(BaseModel):
    right: str
    received: int
    complied: int
    denied: int
    expired: int
    open: int
    median_days_to_close: float | None
    closed_on_time: int


class MetricsOut(BaseModel):
    year: int
    rows: list[MetricsRow]
