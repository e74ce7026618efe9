"""Telemetry routes: device registration, ownership, signed batches, alarms, exports.

Devices send with the fleet's API key (scope ``telemetry.write``) and sign
each body with their own secret: ``X-Device-Serial`` names the device and
``X-Signature`` is the hex HMAC-SHA256 of the exact body bytes. A batch is
answered only after its readings are committed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from privacyops.audit import service as audit
from privacyops.consent.checks import checker_for
from privacyops.db import Database, utcnow
from privacyops.errors import AppError
from privacyops.policy.schema import Declaration
from privacyops.staff.permissions import Permission
from privacyops.subjects import service as subjects
from privacyops.subjects.errors import SubjectError
from privacyops.telemetry import codecs, messages, pseudonyms, rejections, service
from privacyops.telemetry.checks import rules_for
from privacyops.telemetry.feeds import EXPORT_COLUMNS, ConsentCheck
from privacyops.telemetry.models import Device, Ownership, RejectionSource
from privacyops.telemetry.schemas import (
    AlarmOut,
    AlarmsOut,
    BatchIn,
    BatchOut,
    DeviceIn,
    DeviceOut,
    OwnershipIn,
    OwnershipOut,
    RegisteredOut,
    RejectedOut,
)
from privacyops.vault.blind_index import IdentityKind
from privacyops.vault.errors import InvalidIdentityError
from privacyops.vault.service import Vault
from privacyops.web.deps import CurrentPrincipal, SessionDep, get_db, require

router = APIRouter(prefix="/api/v1/telemetry", tags=["telemetry"])
TELEMETRY = [require(Permission.TELEMETRY_WRITE).dep]
APPS = [require(Permission.INTAKE_WRITE).dep]
READ = [require(Permission.SUBJECTS_READ).dep]
REPORTS = [require(Permission.REPORTS_READ).dep]
STATUS_OF = {"invalid": 422, "not_found": 404, "conflict": 409, "unauthorized": 401}
MAX_EXPORT = timedelta(days=366)
FLUSH_BYTES = 64 * 1024


def refused(error: service.TelemetryError | SubjectError) -> AppError:
    return AppError(STATUS_OF.get(error.code, 422), str(error), field=error.field)


def _vault(request: Request) -> Vault:
    vault: Vault = request.app.state.vault
    return vault


def _declaration(request: Request) -> Declaration:
    declaration: Declaration = request.app.state.policy.declaration
    return declaration


def device_out(device: Device) -> DeviceOut:
    return DeviceOut.model_validate(device, from_attributes=True)


def ownership_out(period: Ownership) -> OwnershipOut:
    return OwnershipOut(
        id=period.id,
        device_id=period.device_id,
        subject_id=period.subject_id,
        claimed_at=period.claimed_at,
        released_at=period.released_at,
        linked_kinds=sorted(period.kinds()),
    )


@router.post("/devices", dependencies=TELEMETRY, response_model=RegisteredOut, status_code=201)
def register(
    body: DeviceIn, request: Request, session: SessionDep, principal: CurrentPrincipal
) -> RegisteredOut:
    """Register a device; the answer holds its signing secret, shown this once."""
    try:
        device, secret = service.register_device(
            session=session,
            vault=_vault(request),
            serial=body.serial,
            model=body.model,
            firmware=body.firmware,
            region=body.region,
            actor=principal.actor,
        )
    except service.TelemetryError as error:
        raise refused(error) from None
    return RegisteredOut(**device_out(device).model_dump(), secret=secret)


def _account(session: SessionDep, vault: Vault, account_id: str) -> str:
    try:
        subject = subjects.find_subject_by(
            session=session, vault=vault, kind=IdentityKind.ACCOUNT_ID, value=account_id
        )
    except SubjectError as error:
        raise AppError(422, str(error), field="account_id") from None
    if subject is None:
        raise AppError(404, "no account with this account_id", field="account_id")
    return subject.id


@router.post("/ownerships", dependencies=APPS, response_model=OwnershipOut, status_code=201)
def claim(
    body: OwnershipIn, request: Request, session: SessionDep, principal: CurrentPrincipal
) -> OwnershipOut:
    """An account claims a device: its readings are linked to the account from `at` on."""
    vault = _vault(request)
    try:
        period = service.claim(
            session=session,
            vault=vault,
            declaration=_declaration(request),
            serial=body.serial,
            subject_id=_account(session, vault, body.account_id),
            actor=principal.actor,
            at=body.at,
        )
    except service.TelemetryError as error:
        raise refused(error) from None
    return ownership_out(period)


@router.post("/ownerships/release", dependencies=APPS, response_model=OwnershipOut)
def release(
    body: OwnershipIn, request: Request, session: SessionDep, principal: CurrentPrincipal
) -> OwnershipOut:
    """An account releases a device: readings after `at` are no longer linked to it."""
    vault = _vault(request)
    try:
        period = service.release(
            session=session,
            vault=vault,
            serial=body.serial,
            subject_id=_account(session, vault, body.account_id),
            actor=principal.actor,
            at=body.at,
        )
    except service.TelemetryError as error:
        raise refused(error) from None
    return ownership_out(period)


class _RefusalError(Exception):
    """A batch refused whole; recorded against the device after the rollback."""

    def __init__(self, error: AppError, key: bytes | None) -> None:
        super().__init__(error.message)
        self.error = error
        self.key = key


def _checked(
    session: Session, request: Request, device: Device, batch: codecs.Batch
) -> service.BatchResult:
    declaration = _declaration(request)
    key = device.device_key
    if batch.batch_id is not None and not messages.new_batch_ids(session, [(key, batch.batch_id)]):
        # Sent before under this id: answer as then, store nothing.
        _rows, bad, _repeats = rules_for(declaration).check(key, batch.readings, utcnow())
        accepted = len(batch.readings) - len(bad)
        return service.BatchResult(accepted=accepted, duplicates=accepted, rejected=bad)
    result = service.ingest_batch(
        session=session, declaration=declaration, device=device, readings=batch.readings
    )
    if result.rejected:
        rejections.record(
            session=session,
            device_key=key,
            source=RejectionSource.HTTP,
            reason=rejections.summary(result.rejected, len(batch.readings)),
            size=int(request.headers.get("content-length") or 0),
            readings=len(result.rejected),
        )
    return result


def _ingest(
    request: Request, serial: str, signature: str, body: bytes, encoding: codecs.Encoding
) -> service.BatchResult:
    db: Database = get_db(request)
    vault = _vault(request)
    try:
        with db.unit_of_work() as session:
            try:
                device = service.authenticate(
                    session=session, vault=vault, serial=serial, body=body, signature=signature
                )
            except service.TelemetryError as error:
                raise _RefusalError(refused(error), _key_or_none(vault, serial)) from None
            try:
                batch = codecs.decode(body, encoding)
            except codecs.BatchError as error:
                raise _RefusalError(
                    AppError(422, str(error), field=error.field), device.device_key
                ) from None
            return _checked(session, request, device, batch)
    except _RefusalError as refusal:
        with db.unit_of_work() as session:
            rejections.record(
                session=session,
                device_key=refusal.key,
                source=RejectionSource.HTTP,
                reason=refusal.error.message,
                size=len(body),
            )
        raise refusal.error from None


def _key_or_none(vault: Vault, serial: str) -> bytes | None:
    try:
        return pseudonyms.device_key(vault, serial)
    except InvalidIdentityError:
        return None


_BATCH_SCHEMA = {"schema": BatchIn.model_json_schema()}


@router.post(
    "/batches",
    dependencies=TELEMETRY,
    response_model=BatchOut,
    responses={207: {"model": BatchOut, "description": "Some readings were refused."}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {encoding.value: _BATCH_SCHEMA for encoding in codecs.Encoding},
        }
    },
)
async def post_batch(
    request: Request,
    x_device_serial: Annotated[str | None, Header(max_length=64)] = None,
    x_signature: Annotated[str | None, Header(max_length=200)] = None,
) -> Response:
    """Store a device's readings: 200 if all were good, 207 with the refused ones by index.

    The body is JSON, CBOR or MessagePack, as its Content-Type says (same shape).
    """
    if not x_device_serial:
        raise AppError(422, "the X-Device-Serial header is required", field="X-Device-Serial")
    if not x_signature:
        raise AppError(422, "the X-Signature header is required", field="X-Signature")
    try:
        encoding = codecs.encoding_of(request.headers.get("content-type"))
    except codecs.BatchError as error:
        raise AppError(415, str(error), field="Content-Type") from None
    body = await request.body()
    result = await run_in_threadpool(_ingest, request, x_device_serial, x_signature, body, encoding)
    out = BatchOut(
        accepted=result.accepted,
        stored=result.stored,
        duplicates=result.duplicates,
        rejected=[RejectedOut(**asdict(r)) for r in result.rejected],
    )
    return JSONResponse(out.model_dump(), status_code=207 if result.rejected else 200)


@router.get("/alarms", dependencies=READ, response_model=AlarmsOut)
def alarms(
    request: Request,
    session: SessionDep,
    device: Annotated[str | None, Query(max_length=64, description="A serial.")] = None,
    account_id: Annotated[str | None, Query(max_length=128)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> AlarmsOut:
    """Recent alarms of one device, or of an account's devices while it held them."""
    if (device is None) == (account_id is None):
        raise AppError(422, "give either device or account_id", field="device")
    vault = _vault(request)
    try:
        if device is not None:
            found = service.device_or_404(session, vault, device)
            rows = service.alarms_for_device(session=session, device=found, limit=limit)
        else:
            subject_id = _account(session, vault, account_id or "")
            rows = service.alarms_for_subject(session=session, subject_id=subject_id, limit=limit)
    except service.TelemetryError as error:
        raise refused(error) from None
    return AlarmsOut(alarms=[AlarmOut(**asdict(alarm)) for alarm in rows])


def _consent(request: Request) -> ConsentCheck:
    """The consent domain's cached ``may_process`` (decisions at most its ttl old)."""
    checker = checker_for(request.app)

    def may_process(_session: Session, subject_id: str, purpose: str) -> bool:
        return checker.may_process(subject_id, purpose)

    return may_process


def _csv(
    db: Database,
    vault: Vault,
    declaration: Declaration,
    window: tuple[datetime, datetime],
    purpose: str,
    may_process: ConsentCheck,
) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    with db.unit_of_work() as session:
        for row in service.export_rows(
            session=session,
            vault=vault,
            declaration=declaration,
            start=window[0],
            end=window[1],
            purpose=purpose,
            may_process=may_process,
        ):
            writer.writerow(v.isoformat() if isinstance(v, datetime) else v for v in row)
            if buffer.tell() > FLUSH_BYTES:
                yield buffer.getvalue().encode()
                buffer.seek(0)
                buffer.truncate()
    yield buffer.getvalue().encode()


@router.get("/export", dependencies=REPORTS, response_class=StreamingResponse)
def export(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    start: Annotated[datetime, Query(alias="from", description="Inclusive, with a zone.")],
    end: Annotated[datetime, Query(alias="to", description="Exclusive, with a zone.")],
    purpose: Annotated[str, Query(max_length=64)] = "product_analytics",
) -> StreamingResponse:
    """Readings for analytics as CSV, under monthly pseudonyms; owners without consent left out."""
    if start.tzinfo is None or end.tzinfo is None:
        raise AppError(422, "from and to must carry a time zone (e.g. Z)", field="from")
    if not start < end <= start + MAX_EXPORT:
        raise AppError(422, "to must be after from, at most 366 days later", field="to")
    declaration = _declaration(request)
    if purpose not in {p.key for p in declaration.purposes}:
        raise AppError(422, f"purpose {purpose!r} is not declared", field="purpose")
    if not service.export_kinds(declaration, purpose):
        raise AppError(422, f"no telemetry is declared for {purpose!r}", field="purpose")
    audit.record(
        session=session,
        actor=principal.actor,
        action="telemetry.exported",
        target_type="table",
        target_id="telemetry_reading",
        details={"from": start.isoformat(), "to": end.isoformat(), "purpose": purpose},
    )
    stream = _csv(
        get_db(request), _vault(request), declaration, (start, end), purpose, _consent(request)
    )
    return StreamingResponse(
        stream,
        media_type="text/csv",
        headers={"content-disposition": 'attachment; filename="telemetry-export.csv"'},
    )
