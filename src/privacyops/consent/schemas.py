"""API shapes of the consent routes (browser and integrations)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints

ChoiceKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
Choices = Annotated[dict[ChoiceKey, StrictBool], Field(max_length=32)]
CookieId = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9_-]{22,64}$"),
    Field(description="The random id the banner generated (at least 128 bits, base64url)."),
]
Version = Annotated[str, StringConstraints(pattern=r"^\d{1,6}\.\d{1,6}\.\d{1,6}$")]
NoticeVersion = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._+-]{1,40}$")]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Lang = Literal["en", "zh-CN"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BrowserChoiceIn(_In):
    """A choice made on the banner or in its preferences dialog."""

    cookie_id: CookieId
    choices: Choices = Field(
        description="Cookie category or purpose key -> allowed. Necessary ones cannot be false."
    )
    method: Literal["banner", "preferences", "gpc", "jurisdiction_default"] = "banner"
    lang: Lang = "en"
    policy_version: Version | None = None
    notice_hash: Sha256 | None = None
    gpc: StrictBool = Field(False, description="navigator.globalPrivacyControl was true.")


class BrowserWithdrawIn(_In):
    cookie_id: CookieId
    lang: Lang = "en"
    policy_version: Version | None = None
    notice_hash: Sha256 | None = None


class SubjectChoiceIn(_In):
    """A choice an integration records for a known data subject."""

    choices: Choices = Field(description="Purpose or cookie category key -> allowed.")
    method: Literal["form", "api", "preferences", "banner", "gpc"] = "api"
    lang: Lang = "en"
    policy_version: Version | None = Field(
        None, description="The published policy version the person saw; default the latest."
    )
    notice_version: NoticeVersion | None = Field(
        None, description="Your own notice's version, if the app showed its own wording."
    )
    notice_hash: Sha256 | None = Field(None, description="SHA-256 of the wording shown.")
    gpc: StrictBool = False


class SubjectWithdrawIn(_In):
    method: Literal["form", "api", "preferences"] = "api"
    lang: Lang = "en"
    policy_version: Version | None = None
    notice_version: NoticeVersion | None = None
    notice_hash: Sha256 | None = None


class DecisionOut(BaseModel):
    purpose: str
    state: str
    method: str


class RecordedOut(BaseModel):
    receipt_id: str
    recorded_at: datetime
    regime: str
    policy_version: str
    gpc_honoured: bool = Field(description="The GPC signal was applied as an opt-out.")
    decisions: list[DecisionOut]


class PurposeStateOut(BaseModel):
    purpose: str
    state: str
    allowed: bool = Field(description="What may_process answers now.")
    stale: bool = Field(description="Granted under a version older than a renewal asks for.")
    source: str = Field(description="recorded, default (the regime's) or essential.")
    method: str | None = None
    at: datetime | None = None
    policy_version: str | None = None
    receipt_id: str | None = None


class StateOut(BaseModel):
    subject_id: str
    regime: str
    restricted: bool
    purposes: list[PurposeStateOut]


class CheckOut(BaseModel):
    subject_id: str
    purpose: str
    allowed: bool


class DayOut(BaseModel):
    day: date
    granted: int
    denied: int
    withdrawn: int


class ReportOut(BaseModel):
    since: date
    until: date
    total: int
    by_purpose: dict[str, dict[str, int]]
    by_regime: dict[str, dict[str, int]]
    by_method: dict[str, dict[str, int]]
    by_day: list[DayOut]


class ScanOut(BaseModel):
    id: int
    scanned_at: datetime
    url: str
    region: str | None
    ok: bool
    violations: int
    findings: dict[str, Any]
