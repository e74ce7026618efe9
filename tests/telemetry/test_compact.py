"""Compact batches over HTTP (CBOR, MessagePack), batch ids, and refusals recorded per device."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import cbor2
import msgpack
import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select
from tests.telemetry.conftest import SERIAL, Fleet, alarm, electrical, status

from privacyops.telemetry import codecs, messages, pseudonyms, rejections, service
from privacyops.telemetry.models import Message, RejectionSource

ENCODINGS = [codecs.Encoding.CBOR, codecs.Encoding.MSGPACK, codecs.Encoding.JSON]


def send(
    client: TestClient,
    body: bytes,
    *,
    secret: str,
    content_type: str,
    serial: str = SERIAL,
) -> Response:
    return client.post(
        "/api/v1/telemetry/batches",
        content=body,
        headers={
            "content-type": content_type,
            "x-device-serial": serial,
            "x-signature": pseudonyms.sign(secret, body),
        },
    )


def refusals(fleet: Fleet, serial: str = SERIAL) -> list[rejections.Refused]:
    with fleet.db.unit_of_work() as session:
        key = service.device_or_404(session, fleet.vault, serial).device_key
        return rejections.for_device(session=session, device_key=key)


@pytest.mark.parametrize("encoding", ENCODINGS, ids=lambda e: e.name)
def test_each_encoding_is_stored_with_the_same_checks(
    fleet: Fleet, device_client: Callable[..., TestClient], now: datetime, encoding: codecs.Encoding
) -> None:
    _id, secret = fleet.device()
    readings = [
        electrical(now - timedelta(minutes=1)),
        status(now),
        alarm(now),
        electrical(now, voltage=5000.0),
    ]
    body = codecs.encode({"readings": readings}, encoding)
    answer = send(device_client(), body, secret=secret, content_type=encoding.value)
    assert answer.status_code == 207, answer.text
    assert answer.json()["stored"] == 3
    assert answer.json()["rejected"][0]["index"] == 3
    assert "voltage" in refusals(fleet)[0].reason
    with fleet.db.unit_of_work() as session:
        device = service.device_or_404(session, fleet.vault, SERIAL)
        assert len(service.alarms_for_device(session=session, device=device)) == 1


def test_native_timestamps_are_read_in_cbor_and_msgpack(
    fleet: Fleet, device_client: Callable[..., TestClient], now: datetime
) -> None:
    _id, secret = fleet.device()
    client = device_client()
    moment = now.astimezone(UTC)
    as_cbor = cbor2.dumps({"readings": [{**electrical(moment), "recorded_at": moment}]})
    as_msgpack = msgpack.packb(
        {"readings": [{**status(moment), "reported_at": moment}]}, datetime=True
    )
    assert (
        send(client, as_cbor, secret=secret, content_type="application/cbor").json()["stored"] == 1
    )
    answer = send(client, as_msgpack, secret=secret, content_type="application/x-msgpack")
    assert answer.json()["stored"] == 1, answer.text


def test_a_batch_id_sent_again_stores_nothing(
    fleet: Fleet, device_client: Callable[..., TestClient], now: datetime
) -> None:
    _id, secret = fleet.device()
    client = device_client()
    first = {"batch_id": "b-1", "readings": [electrical(now)]}
    again = {"batch_id": "b-1", "readings": [electrical(now - timedelta(minutes=9))]}
    body = codecs.encode(first, codecs.Encoding.CBOR)
    assert send(client, body, secret=secret, content_type="application/cbor").json()["stored"] == 1
    body = codecs.encode(again, codecs.Encoding.CBOR)
    answer = send(client, body, secret=secret, content_type="application/cbor").json()
    assert answer == {"accepted": 1, "stored": 0, "duplicates": 1, "rejected": []}


def test_bad_bodies_are_refused_in_the_error_shape_and_recorded(
    fleet: Fleet, device_client: Callable[..., TestClient], now: datetime
) -> None:
    _id, secret = fleet.device()
    client = device_client()
    garbage = send(client, b"\xff\x00\x01", secret=secret, content_type="application/cbor")
    assert garbage.status_code == 422
    assert garbage.json()["error"]["message"] == "the body is not valid CBOR"
    shape = send(client, msgpack.packb([1, 2]), secret=secret, content_type="application/msgpack")
    assert shape.status_code == 422
    assert shape.json()["error"]["field"] == "readings"
    unsupported = send(client, b"<x/>", secret=secret, content_type="application/xml")
    assert unsupported.status_code == 415
    assert unsupported.json()["error"]["field"] == "Content-Type"
    forged = send(
        client,
        codecs.encode({"readings": [electrical(now)]}, codecs.Encoding.CBOR),
        secret="pod_wrong",
        content_type="application/cbor",
    )
    assert forged.status_code == 401
    reasons = [r.reason for r in refusals(fleet)]
    assert reasons == [
        "unknown device or bad signature",
        'the body must be {"readings": [...]}',
        "the body is not valid CBOR",
    ]
    assert all(r.source == "http" and r.size > 0 for r in refusals(fleet))
    with fleet.db.unit_of_work() as session:
        device = service.device_or_404(session, fleet.vault, SERIAL)
        assert device.last_seen_at is None


def test_the_sweep_forgets_old_batch_ids_and_refusals(fleet: Fleet, now: datetime) -> None:
    with fleet.db.unit_of_work() as session:
        key = b"k" * 16
        messages.new_batch_ids(session, [(key, "old")])
        rejections.record(
            session=session,
            device_key=key,
            source=RejectionSource.HTTP,
            reason="r",
            size=1,
            at=now - timedelta(days=91),
        )
        rejections.record(
            session=session, device_key=key, source=RejectionSource.HTTP, reason="r", size=1
        )
    with fleet.db.unit_of_work() as session:
        service.sweep(
            session=session, declaration=fleet.declaration, actor="t", now=now + timedelta(days=31)
        )
    with fleet.db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Message)) == 0
        assert len(rejections.for_device(session=session, device_key=key)) == 1
