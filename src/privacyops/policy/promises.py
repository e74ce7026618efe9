"""The declaration's commitments: who we are, what we promise, how to reach us.

The data map (categories, purposes, recipients, cookies) lives in
``schema.py``; this module holds the rest of the policy's promises in a
form that code can read (numbers, flags, paths) next to the wording the
public page shows.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal, get_args

from pydantic import Field, model_validator

from privacyops.policy.base import (
    Country,
    Item,
    Key,
    Model,
    Path,
    Sectioned,
    SectionRef,
    SemVer,
    Text,
)

LaxDate = Annotated[date, Field(strict=False)]
ChangeClass = Literal["major", "minor"]
SurfaceKey = Literal["website", "mobile_app", "device", "support"]
SharingGround = Literal["consent", "legal_obligation", "service_necessity", "rights_protection"]
RightKey = Literal[
    "access",
    "correction",
    "deletion",
    "restriction",
    "portability",
    "withdraw_consent",
    "objection",
    "complaint",
]
ALL_RIGHTS: tuple[RightKey, ...] = get_args(RightKey)
Handles = Literal["data_rights", "general_inquiries", "complaints", "security"]


class Section(Model):
    id: SectionRef
    title: Text


class PolicyVersion(Model):
    version: SemVer
    label: str = Field(min_length=1)
    effective_date: LaxDate
    change_class: ChangeClass
    summary: Text


class PolicyMeta(Sectioned):
    title: Text
    public_path: Path
    """Where the rendered page is published on the controller's website."""
    version: SemVer
    label: str = Field(min_length=1)
    effective_date: LaxDate
    last_updated: LaxDate
    change_class: ChangeClass
    introduction: Text
    history: list[PolicyVersion] = Field(min_length=1)


class Controller(Sectioned):
    name: str = Field(min_length=1)
    name_local: str | None = None
    address: Text
    website: Annotated[str, Field(pattern=r"^https://[a-z0-9.\-]+$")]
    emails: list[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[a-z]+$")]] = Field(min_length=1)


class Surface(Model):
    key: SurfaceKey
    label: Text
    detail: Text


class Definition(Model):
    key: Key
    term: Text
    meaning: Text


class Scope(Sectioned):
    surfaces: list[Surface] = Field(min_length=1)
    applicable_users: Text
    definitions: list[Definition]


class SectionedItem(Sectioned):
    key: Key
    text: Text


class NoSale(Model):
    sell: Literal[False]
    rent: Literal[False]
    trade: Literal[False]
    cross_context_advertising: bool
    statement: Text


class Ground(Model):
    key: SharingGround
    text: Text


class Sharing(Sectioned):
    no_sale: NoSale
    grounds: list[Ground] = Field(min_length=1)
    transfers_statement: Text


class AutomatedDecision(Model):
    key: Key
    description: Text
    logic: Text
    purpose: Key
    human_review: bool


class AutomatedDecisions(Sectioned):
    significant_decisions: list[AutomatedDecision]
    commitments: list[Item] = Field(min_length=1)


class IncidentResponse(Sectioned):
    steps: list[Item] = Field(min_length=1)
    regulator_deadline_hours: int = Field(gt=0)
    notify_users: bool


class Security(Sectioned):
    measures: list[Item] = Field(min_length=1)
    incident_response: IncidentResponse


class Right(Model):
    key: RightKey
    label: Text
    description: Text


class Deadline(Model):
    days: int = Field(gt=0)
    counting: Literal["calendar", "business"]


class Window(Model):
    min_days: int = Field(gt=0)
    max_days: int = Field(gt=0)
    counting: Literal["calendar", "business"]

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.min_days > self.max_days:
            raise ValueError("min_days is larger than max_days")
        return self


class Sla(Model):
    data_rights: Deadline
    general_inquiries: Window


class IdentityVerification(Model):
    required: Literal["always", "when_needed"]
    text: Text


class Rights(Sectioned):
    items: list[Right] = Field(min_length=1)
    sla: Sla
    identity_verification: IdentityVerification
    channels: list[Key] = Field(min_length=1)


class Channel(Model):
    key: Key
    kind: Literal["email", "web_form", "postal"]
    value: str = Field(min_length=1)
    label: Text
    handles: list[Handles] = Field(min_length=1)


class Contact(Sectioned):
    channels: list[Channel] = Field(min_length=1)
    complaint: Text


class Permission(Model):
    name: Annotated[str, Field(pattern=r"^android\.permission\.[A-Z_]+$")]
    rationale: Text
    data_leaves_device: bool


class Apple(Sectioned):
    policy_link_in_app_store_connect: bool
    policy_link_in_app: bool
    att_before_tracking: bool
    third_party_ad_linkage: Literal[False]
    kids_category: bool
    commitments: list[Item] = Field(min_length=1)


class GooglePlay(Sectioned):
    data_safety_form: bool
    account_deletion_path: Path
    data_deletion_path: Path | None = None
    account_creation_methods: list[str] = Field(min_length=1)
    account_creation_note: str | None = None
    encrypted_in_transit: bool
    independent_security_review: bool | None = None
    outside_app_account_types: list[str] = Field(default_factory=list)
    outside_app_account_note: str | None = None
    designed_for_families: bool
    age_signals_from: LaxDate
    sensitive_permissions: list[Permission]
    commitments: list[Item] = Field(min_length=1)


class Store(Model):
    key: Key
    label: Text


class OtherStores(Sectioned):
    stores: list[Store] = Field(min_length=1)
    commitment: Text


class AppStores(Sectioned):
    apple: Apple
    google_play: GooglePlay
    others: OtherStores


class Law(Model):
    key: Key
    name: Text


class Regime(Sectioned):
    key: Key
    region: Text
    laws: list[Law] = Field(min_length=1)
    commitments: list[Item] = Field(min_length=1)


class LegalCompliance(Sectioned):
    regimes: list[Regime] = Field(min_length=1)


class AgePolicy(Sectioned):
    audience: Text
    minimum_age: int = Field(ge=13, le=21)
    higher_local_threshold_applies: bool
    parental_consent: list[Literal["coppa", "gdpr_k", "pipl_under_14"]]
    age_verification: bool
    child_data_on_discovery: Literal["delete", "delete_or_anonymize"]
    statements: list[Item] = Field(min_length=1)


class UpdateChannel(Model):
    key: Literal["website_notice", "email", "in_app"]
    label: Text


class PolicyUpdates(Sectioned):
    channels: list[UpdateChannel] = Field(min_length=1)
    major_change_prominent_notice: bool
    renewed_consent: Literal["never", "where_required_by_law", "always"]
    history_on_request: bool
    statements: list[Item] = Field(min_length=1)


class Region(Model):
    key: Key
    label: Text
    countries: list[Country] = Field(min_length=1)


class Storage(Sectioned):
    primary_region: Key
    regions: list[Region] = Field(min_length=1)
    statement: Text
    retention_statement: Text


__all__ = [
    "ALL_RIGHTS",
    "AgePolicy",
    "AppStores",
    "AutomatedDecisions",
    "ChangeClass",
    "Contact",
    "Controller",
    "Country",
    "LaxDate",
    "LegalCompliance",
    "PolicyMeta",
    "PolicyUpdates",
    "Rights",
    "Scope",
    "Section",
    "SectionedItem",
    "Security",
    "Sharing",
    "Storage",
    "SurfaceKey",
]
