"""The privacy declaration: pydantic models for ``policy/*.yaml``.

Shape problems (a missing or unknown field, a wrong type, a retention rule
that cannot be computed) are pydantic ``ValidationError``s. Problems between
parts (a category naming an unknown purpose, a purpose without a lawful
basis, a data use outside the fideslang taxonomy) are found once the shape
is valid and raised together as ``InconsistentDeclarationError``, each with the
path of the offending value so the loader can point at its line.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Literal, TypeVar

from pydantic import Field, model_validator

from privacyops.policy.base import LANGS, Item, Key, Lang, Model, Sectioned, Text
from privacyops.policy.consistency import find_issues
from privacyops.policy.problems import InconsistentDeclarationError, Issue
from privacyops.policy.promises import (
    AgePolicy,
    AppStores,
    AutomatedDecisions,
    Contact,
    Controller,
    Country,
    LaxDate,
    LegalCompliance,
    PolicyMeta,
    PolicyUpdates,
    Rights,
    Scope,
    Section,
    SectionedItem,
    Security,
    Sharing,
    Storage,
    SurfaceKey,
)
from privacyops.policy.retention import RetentionRule
from privacyops.policy.sources import ExternalSource

Source = Literal["user_provided", "automatic", "hardware", "third_party"]
FieldType = Literal[
    "string",
    "text",
    "email",
    "phone",
    "identifier",
    "integer",
    "number",
    "boolean",
    "date",
    "datetime",
    "ip_address",
    "url",
    "country",
    "enum",
]
GdprBasis = Literal[
    "consent",
    "contract",
    "legal_obligation",
    "vital_interests",
    "public_task",
    "legitimate_interests",
]
PiplBasis = Literal[
    "consent",
    "separate_consent",
    "contract",
    "hr_management",
    "legal_obligation",
    "emergency",
    "public_interest_reporting",
    "publicly_disclosed",
    "other_law",
]
CONSENT_BASES = frozenset({"consent", "separate_consent"})
RecipientKind = Literal[
    "affiliate", "service_provider", "payment_partner", "logistics_provider", "legal_compliance"
]
RecipientRole = Literal["processor", "controller", "authority"]
SharingGround = Literal["consent", "legal_obligation", "service_necessity", "rights_protection"]
TransferMechanism = Literal[
    "pipl_standard_contract",
    "pipl_security_assessment",
    "pipl_certification",
    "pipl_exemption",
    "gdpr_scc",
    "gdpr_adequacy",
    "uk_idta",
    "contractual_safeguards",
]
CookieCategoryKey = Literal["necessary", "analytics", "functional"]
STRING_TYPES = frozenset({"string", "text", "email", "phone", "identifier", "url"})


class DataSubject(Sectioned):
    key: Key
    label: Text
    fides_subject: str


class CollectionMethod(Sectioned):
    key: Key
    label: Text


class FieldDecl(Model):
    """One field intake may accept; anything not declared is refused."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)
    type: FieldType
    required: bool = False
    max_length: int | None = Field(default=None, gt=0)
    unit: str | None = None
    choices: list[str] | None = None
    fides_category: str | None = None

    @model_validator(mode="after")
    def _coherent(self) -> FieldDecl:
        if (self.type == "enum") != bool(self.choices):
            raise ValueError("'choices' is needed for type enum and only for it")
        if self.max_length is not None and self.type not in STRING_TYPES:
            raise ValueError(f"'max_length' does not apply to type {self.type}")
        if self.unit is not None and self.type not in {"integer", "number"}:
            raise ValueError(f"'unit' does not apply to type {self.type}")
        return self


class LawfulBasis(Model):
    gdpr: GdprBasis
    pipl: PiplBasis

    def uses_consent(self) -> bool:
        return self.gdpr in CONSENT_BASES or self.pipl in CONSENT_BASES


class CategoryStorage(Model):
    primary: Key
    cross_region: list[Key] = Field(default_factory=list)


class StoreTypes(Model):
    """App-store data types a category is reported as (App Store Connect / Play ids)."""

    apple: list[str] = Field(default_factory=list)
    google_play: list[str] = Field(default_factory=list)


class DataCategory(Sectioned):
    key: Key
    label: Text
    description: Text
    fides_category: str
    subjects: list[Key] = Field(min_length=1)
    source: Source
    methods: list[Key] = Field(min_length=1)
    surfaces: list[SurfaceKey] = Field(min_length=1)
    proactive: bool = True
    """False: collected only when a specific need arises (policy 2.2, sensitive data)."""
    fields: list[FieldDecl]
    purposes: list[Key] = Field(min_length=1)
    basis_overrides: dict[Key, LawfulBasis] = Field(default_factory=dict)
    storage: CategoryStorage
    retention: RetentionRule
    recipients: list[Key] = Field(default_factory=list)
    transfers: list[Key] = Field(default_factory=list)
    linked_to_identity: bool
    tracking: bool
    sensitive: bool
    ephemeral: bool = False
    store_types: StoreTypes = StoreTypes()

    def field(self, name: str) -> FieldDecl | None:
        return next((f for f in self.fields if f.name == name), None)


class StorePurpose(Model):
    apple: str
    google_play: str


class Purpose(Sectioned):
    key: Key
    label: Text
    description: Text
    fides_use: str
    essential: bool
    requires_consent: bool
    lawful_basis: LawfulBasis | None = None
    store_purpose: StorePurpose


class Recipient(Sectioned):
    key: Key
    kind: RecipientKind
    role: RecipientRole
    label: Text
    description: Text
    countries: list[Country] = Field(min_length=1)
    categories: list[Key] = Field(min_length=1)
    purposes: list[Key] = Field(min_length=1)
    ground: SharingGround
    safeguard: Text
    agreement_ref: str | None = Field(default=None, min_length=1, max_length=200)
    """The signed processing or sharing agreement (PIPL art. 21, GDPR art. 28), by reference."""
    review_by: LaxDate | None = None
    """When the agreement must next be reviewed; the console warns once it has passed."""


class Transfer(Sectioned):
    key: Key
    description: Text
    destinations: list[Country] = Field(min_length=1)
    recipients: list[Key] = Field(default_factory=list)
    mechanisms: list[TransferMechanism] = Field(min_length=1)
    separate_consent: bool
    safeguard: Text


class CookieCategory(Sectioned):
    key: CookieCategoryKey
    label: Text
    description: Text
    requires_consent: bool


class CookiePolicy(Sectioned):
    data_category: Key
    management: Text
    categories: list[CookieCategory] = Field(min_length=1)


class Cookie(Sectioned):
    name: str = Field(pattern=r"^[A-Za-z0-9_\-.]+$")
    category: str
    provider: str = Field(min_length=1)
    first_party: bool
    domain: str = Field(min_length=1)
    max_age_days: int | None = Field(default=None, gt=0)
    """None: a session cookie, gone when the browser closes."""
    purpose: Key
    description: Text


@dataclass(frozen=True, slots=True)
class Use:
    """One category used for one purpose: a line of the records of processing."""

    category: DataCategory
    purpose: Purpose
    basis: LawfulBasis
    recipients: tuple[Recipient, ...]


class Declaration(Model):
    schema_version: Literal[1]
    policy: PolicyMeta
    sections: list[Section] = Field(min_length=1)
    controller: Controller
    scope: Scope
    principles: list[SectionedItem] = Field(min_length=1)
    data_subjects: list[DataSubject] = Field(min_length=1)
    collection_methods: list[CollectionMethod] = Field(min_length=1)
    storage: Storage
    categories: list[DataCategory] = Field(min_length=1)
    purposes: list[Purpose] = Field(min_length=1)
    automated_decisions: AutomatedDecisions
    sharing: Sharing
    recipients: list[Recipient]
    transfers: list[Transfer]
    cookie_policy: CookiePolicy
    cookies: list[Cookie]
    security: Security
    rights: Rights
    contact: Contact
    app_stores: AppStores
    legal_compliance: LegalCompliance
    age_policy: AgePolicy
    policy_updates: PolicyUpdates
    external_sources: list[ExternalSource] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Declaration:
        issues = find_issues(self)
        if issues:
            raise InconsistentDeclarationError(issues)
        return self

    # Lookups by key. The lists are short (tens of entries), so a scan is fine;
    # hot paths (intake, consent checks) should build their own indexes once.

    def category(self, key: str) -> DataCategory:
        return _find(self.categories, key, "data category")

    def purpose(self, key: str) -> Purpose:
        return _find(self.purposes, key, "purpose")

    def recipient(self, key: str) -> Recipient:
        return _find(self.recipients, key, "recipient")

    def transfer(self, key: str) -> Transfer:
        return _find(self.transfers, key, "transfer")

    def cookie(self, name: str) -> Cookie:
        for cookie in self.cookies:
            if cookie.name == name:
                return cookie
        raise KeyError(f"cookie {name!r} is not declared")

    def cookie_category(self, key: str) -> CookieCategory:
        return _find(self.cookie_policy.categories, key, "cookie category")

    def section_title(self, section: str, lang: Lang) -> str:
        for item in self.sections:
            if item.id == section:
                return item.title.get(lang)
        raise KeyError(f"section {section!r} is not declared")

    def allowed_fields(self, category: str) -> Mapping[str, FieldDecl]:
        """Fields intake may accept for a category, by name."""
        return {f.name: f for f in self.category(category).fields}

    def basis(self, category: str, purpose: str) -> LawfulBasis:
        """The lawful basis for using a category for a purpose (override or default)."""
        cat = self.category(category)
        if purpose not in cat.purposes:
            raise KeyError(f"data category {category!r} is not declared for purpose {purpose!r}")
        found = cat.basis_overrides.get(purpose) or self.purpose(purpose).lawful_basis
        if found is None:  # unreachable for a validated declaration
            raise KeyError(f"purpose {purpose!r} has no lawful basis")
        return found

    def consent_purposes(self) -> frozenset[str]:
        return frozenset(p.key for p in self.purposes if p.requires_consent)

    def uses(self) -> Iterator[Use]:
        """Every (category, purpose) pair with its basis and the recipients it may reach."""
        for cat in self.categories:
            for purpose_key in cat.purposes:
                purpose = self.purpose(purpose_key)
                recipients = tuple(
                    r
                    for r in (self.recipient(k) for k in cat.recipients)
                    if purpose_key in r.purposes
                )
                yield Use(cat, purpose, self.basis(cat.key, purpose_key), recipients)

    def app_categories(self) -> list[DataCategory]:
        """Categories the mobile apps collect (what the store labels describe)."""
        return [c for c in self.categories if "mobile_app" in c.surfaces]


_Keyed = TypeVar("_Keyed", DataCategory, Purpose, Recipient, Transfer, CookieCategory)


def _find(items: list[_Keyed], key: str, what: str) -> _Keyed:
    for item in items:
        if item.key == key:
            return item
    raise KeyError(f"{what} {key!r} is not declared")


__all__ = [
    "LANGS",
    "CookieCategory",
    "DataCategory",
    "Declaration",
    "FieldDecl",
    "InconsistentDeclarationError",
    "Issue",
    "Item",
    "Lang",
    "LawfulBasis",
    "Purpose",
    "Recipient",
    "Text",
    "Transfer",
    "Use",
]
