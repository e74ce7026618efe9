"""API shapes for policy versions."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict


class PolicyVersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    version: str
    label: str
    change_class: str
    effective_date: date
    published_at: datetime
    published_by: str
    sha256: str
    renew_consent_for: list[str]


class PolicyVersionDetail(PolicyVersionOut):
    source: str
    page_en: str
    page_zh: str


class VersionDiffOut(BaseModel):
    old: str
    new: str
    text: str
    purposes_added: list[str]
    purposes_removed: list[str]
    purposes_changed: list[str]
    categories_added: list[str]
    categories_removed: list[str]
    categories_changed: list[str]
