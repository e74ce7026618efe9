"""API shapes of the subjects console: summaries, a subject's data by category, staff actions."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from privacyops.collection.age import ChildDataReason, ParentalConsentMethod

SearchKind = Literal["email", "phone", "account_id", "device_serial"]


class SearchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: SearchKind = Field(description="Which identity the value is.")
    value: str = Field(min_length=1, max_length=254)


class SubjectOut(BaseModel):
    id: str
    kind: str
    state: str
    country: str | None
    region_code: str | None
    jurisdiction: str | None
    age_status: str
    age_threshold: int | None
    parental_consent_at: datetime | None
    created_at: datetime
    closed_at: datetime | None
    erased_at: datetime | None


class MatchOut(BaseModel):
    subject: SubjectOut
    matched_by: str = Field(description="`identity`, or `device_owner` for a device's owners.")


class SearchOut(BaseModel):
    kind: SearchKind
    matches: list[MatchOut]


class IdentityOut(BaseModel):
    kind: str
    created_at: datetime


class ValueOut(BaseModel):
    record_id: int
    field: str
    purpose: str
    region: str
    collected_at: datetime
    expires_at: datetime | None
    source: str
    value: str
    masked: bool


class CategoryOut(BaseModel):
    key: str
    label: str
    values: list[ValueOut]


class FindingOut(BaseModel):
    record_id: int
    field: str
    entity_type: str
    start: int
    end: int
    text: str
    masked: bool


class ProfileOut(BaseModel):
    subject: SubjectOut
    identities: list[IdentityOut]
    categories: list[CategoryOut]
    findings: list[FindingOut]
    masked: bool
    truncated: bool = Field(description="More values exist than this answer shows.")


class ParentalConsentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    method: ParentalConsentMethod
    verified_at: datetime | None = None


class ChildDataIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: ChildDataReason


class ChildDataOut(BaseModel):
    subject_id: str
    state: str
    age_status: str
    records_purged: int
    device_periods_unlinked: int
