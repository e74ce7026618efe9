"""API shapes for staff, logins and API clients."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=200)


class SecondFactorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=r"^\s*\d{6}\s*$")


class PrincipalOut(BaseModel):
    kind: str
    name: str
    role: str | None
    permissions: list[str]
    csrf_token: str | None = None
    second_factor_pending: bool = False


class StaffIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=80)
    role: str
    password: str = Field(min_length=1, max_length=200)
    display_name: str | None = Field(default=None, max_length=120)


class StaffPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: str | None = None
    active: bool | None = None


class StaffOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    username: str
    display_name: str
    role: str
    totp_enabled: bool
    active: bool
    created_at: datetime


class ApiClientIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=80)
    scopes: list[str] = Field(min_length=1)


class ApiClientOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    key_prefix: str
    scopes: list[str]
    active: bool
    created_at: datetime
    last_used_at: datetime | None


class ApiClientCreated(ApiClientOut):
    key: str = Field(description="Shown once; only its hash is stored.")
