"""API shapes for in-app messages."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class InAppMessageOut(BaseModel):
    id: str
    template: str = Field(description="What kind of message it is, e.g. `request_completed`.")
    language: str = Field(description="`en` or `zh-CN`: the language title and body are in.")
    title: str
    body: str = Field(description="Plain text.")
    created_at: datetime
    read_at: datetime | None


class InAppMessagesOut(BaseModel):
    messages: list[InAppMessageOut]


class MarkReadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    account_id: str = Field(
        min_length=1, max_length=200, description="The account the message belongs to."
    )
