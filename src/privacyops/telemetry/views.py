"""Console pages: the device list with its alarms feed, and one device with its chart."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from privacyops.db import utcnow
from privacyops.errors import AppError
from privacyops.staff.permissions import Permission
from privacyops.subjects import service as subjects
from privacyops.subjects.errors import SubjectError
from privacyops.telemetry import chart, rejections, service
from privacyops.vault.blind_index import IdentityKind
from privacyops.vault.service import Vault
from privacyops.web import i18n
from privacyops.web.deps import SessionDep, require_page
from privacyops.web.i18n import N_
from privacyops.web.templating import render_admin

router = APIRouter(include_in_schema=False)
PAGE = [require_page(Permission.SUBJECTS_READ).dep]
PER_PAGE = 50

#: The fixed sentences the intake stores as refusal reasons, with their message ids. A
#: stored reason stays as it was written; it is translated when shown, its variable parts
#: (counts, topics, a reading's own check message) kept, and one no pattern matches is
#: shown as stored.
REASONS = [
    (
        r"(?P<refused>\d+) of (?P<total>\d+) readings refused; reading (?P<index>\d+): (?P<why>.*)",
        N_("%(refused)s of %(total)s readings refused; reading %(index)s: %(why)s"),
    ),
    (
        r"the broker refused a publish to (?P<topic>.*) \(not its topic\)",
        N_("the broker refused a publish to %(topic)s (not its topic)"),
    ),
    (
        r"message of (?P<size>\d+) bytes exceeds the (?P<limit>\d+)-byte limit",
        N_("message of %(size)s bytes exceeds the %(limit)s-byte limit"),
    ),
    (r"not a device topic: (?P<topic>.*)", N_("not a device topic: %(topic)s")),
    (r"could not be stored \((?P<error>\w+)\)", N_("could not be stored (%(error)s)")),
    (r"the body is not valid (?P<codec>[\w ]+)", N_("the body is not valid %(codec)s")),
    (r"unknown device or bad signature", N_("unknown device or bad signature")),
    (r"unknown serial: no device is registered", N_("unknown serial: no device is registered")),
    (r"the serial in the topic is not valid", N_("the serial in the topic is not valid")),
    (r"batch_id is required over MQTT", N_("batch_id is required over MQTT")),
    (
        r"only alarm readings may be published on the alarms topic",
        N_("only alarm readings may be published on the alarms topic"),
    ),
    (r"the message is empty", N_("the message is empty")),
    (r"the body is nested too deeply", N_("the body is nested too deeply")),
]
_REASONS = [(re.compile(pattern, re.S), message) for pattern, message in REASONS]


def reason_label(reason: str) -> str:
    """A stored refusal reason in the language of the page being rendered."""
    for pattern, message in _REASONS:
        found = pattern.fullmatch(reason)
        if found:
            text = i18n.translations(i18n.current_language()).gettext(message)
            return text % found.groupdict()
    return reason


@router.get("/admin/devices", dependencies=PAGE)
async def devices_page(
    request: Request,
    session: SessionDep,
    serial: Annotated[str, Query(max_length=64)] = "",
    account_id: Annotated[str, Query(max_length=128)] = "",
    before: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    vault: Vault = request.app.state.vault
    notice, devices, alarms, account = None, [], [], None
    serial, account_id = serial.strip(), account_id.strip()
    try:
        if serial:
            found = service.find_device(session=session, vault=vault, serial=serial)
            devices = [found] if found else []
            notice = None if found else N_("No device has this serial.")
            alarms = service.alarms_for_device(session=session, device=found) if found else []
        elif account_id:
            subject = subjects.find_subject_by(
                session=session, vault=vault, kind=IdentityKind.ACCOUNT_ID, value=account_id
            )
            if subject is None:
                notice = N_("No account has this id.")
            else:
                account = subject.id
                held = service.periods_of_subject(session=session, subject_id=subject.id)
                devices = [service.get_device(session=session, device_id=p.device_id) for p in held]
                devices = list({d.id: d for d in devices}.values())
                alarms = service.alarms_for_subject(session=session, subject_id=subject.id)
        else:
            devices = service.list_devices(session=session, limit=PER_PAGE, before=before)
            alarms = service.recent_alarms(session=session, limit=20)
    except (service.TelemetryError, SubjectError) as error:
        notice = str(error)
    context = {
        "devices": devices,
        "alarms": alarms,
        "notice": notice,
        "serial": serial,
        "account_id": account_id,
        "account": account,
        "total": service.count_devices(session=session),
        "more": len(devices) == PER_PAGE and not serial and not account_id,
    }
    return await render_admin(request, "telemetry/devices.html", context)


@router.get("/admin/devices/{device_id}", dependencies=PAGE)
async def device_page(
    request: Request,
    session: SessionDep,
    device_id: Annotated[int, Path(ge=1, le=2**62)],
    days: Annotated[int, Query(ge=1, le=90)] = 7,
    refresh: Annotated[int | None, Query(ge=2, le=3600)] = None,
) -> Response:
    try:
        device = service.get_device(session=session, device_id=device_id)
    except service.TelemetryError as error:
        raise AppError(404, str(error)) from None
    end = max(utcnow(), device.last_seen_at or utcnow())
    start = end - timedelta(days=days)
    alarms = service.alarms_for_device(session=session, device=device, limit=50)
    points = service.electrical_series(session=session, device=device, start=start, end=end)
    context = {
        "device": device,
        "days": days,
        "chart": chart.build(points, alarms, start, end),
        "start": start,
        "end": end,
        "alarms": alarms,
        "periods": service.periods_of_device(session=session, device_id=device.id),
        "refusals": rejections.for_device(session=session, device_key=device.device_key),
        "refusal_counts": rejections.counts_for_device(
            session=session, device_key=device.device_key
        ),
        "refresh": refresh,
        "reason_label": reason_label,
    }
    return await render_admin(request, "telemetry/device.html", context)
