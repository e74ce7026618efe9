"""`POST /api/v1/intake/batch`: many records of one category in one request (imports)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from privacyops.collection import batch
from privacyops.collection.api import WRITE, make_intake, refused
from privacyops.collection.intake import IntakeError
from privacyops.errors import AppError
from privacyops.web.deps import CurrentPrincipal, SessionDep

router = APIRouter(prefix="/api/v1/intake", tags=["intake"])
MAX_RECORDS = 1000


class BatchRecordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    fields: dict[str, Any] = Field(description="Fields of the declared category.")
    requester: dict[str, Any] | None = Field(
        default=None,
        description="For categories without identity fields (support): "
        "`email`, `phone` or `account_id`.",
    )
    country: str | None = Field(default=None, max_length=2, description="ISO 3166 alpha-2.")
    region: str | None = Field(default=None, max_length=8, description="State or province.")


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: str = Field(max_length=64, description="Data category of every record.")
    purpose: str = Field(max_length=64)
    kind: str = Field(default="customer", max_length=32, description="Kind of new subjects.")
    notice_version: str = Field(min_length=1, max_length=40)
    skip_existing: bool = Field(
        default=True,
        description="Skip a record whose subject already holds values of the category "
        "(a retried import stores nothing twice).",
    )
    strict: bool = Field(default=False, description="Store nothing if any record is refused.")
    records: list[BatchRecordIn] = Field(min_length=1, max_length=MAX_RECORDS)


class AcceptedOut(BaseModel):
    index: int
    subject_id: str
    created: bool


class RejectedOut(BaseModel):
    index: int
    status: int
    message: str
    field: str | None


class BatchOut(BaseModel):
    accepted: list[AcceptedOut]
    skipped: list[int]
    rejected: list[RejectedOut]
    records_stored: int


@router.post("/batch", dependencies=WRITE, response_model=BatchOut)
def intake_batch(
    body: BatchIn, request: Request, session: SessionDep, principal: CurrentPrincipal
) -> BatchOut:
    """Up to 1000 records of one declared category, each checked like a single submission.

    A refused record is listed with its index and reason and nothing of it is
    stored; the others are (or, with `strict`, none is: 422 naming the first).
    Records are indexed from 0.
    """
    intake = make_intake(request, session, principal)
    rows = [
        batch.BatchRow(
            line=index,
            fields=record.fields,
            requester=record.requester,
            country=record.country,
            region=record.region,
        )
        for index, record in enumerate(body.records)
    ]
    try:
        result = batch.intake_batch(
            intake,
            category=body.category,
            purpose=body.purpose,
            kind=body.kind,
            notice_version=body.notice_version,
            source="import",
            rows=rows,
            skip_existing=body.skip_existing,
        )
    except IntakeError as error:
        raise refused(error) from None
    rejected = sorted(result.rejected, key=lambda r: r.line)
    if body.strict and rejected:
        first = rejected[0]
        field = f"records.{first.line}" + (f".{first.field}" if first.field else "")
        raise AppError(first.status, f"record {first.line}: {first.message}", field=field)
    return BatchOut(
        accepted=[
            AcceptedOut(index=a.line, subject_id=a.subject_id, created=a.created)
            for a in result.accepted
        ],
        skipped=result.skipped,
        rejected=[
            RejectedOut(index=r.line, status=r.status, message=r.message, field=r.field)
            for r in rejected
        ],
        records_stored=result.records,
    )
