"""Helpers for the request tests: a requester's desk on the HTTP API, with a real SMTP sink.

Messages are queued by the app and delivered here the way the delivery job
does it (``notify.deliver_due`` through ``SmtpBackend``) to an aiosmtpd sink,
so codes and links are read from real e-mail.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from tests.notify.support import SENDER, Received, SmtpSink, free_port
from tests.rights.support import World

from privacyops.db import utcnow
from privacyops.notify import service as notify
from privacyops.notify.backends import SmtpBackend
from privacyops.rights.models import RightsRequest
from privacyops.subjects import service as subjects

CODE = re.compile(r"^\s+(\d{6})\s*$", re.MULTILINE)
LINK = re.compile(r"(https?://\S+/requests/(?:status|download)/\S+)")


@contextmanager
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink(port=free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


@dataclass
class Desk:
    """A requester (the public API) and the mail they receive."""

    client: TestClient
    world: World
    sink: SmtpSink
    seen: int = 0
    tokens: dict[str, str] = field(default_factory=dict)

    # -- mail -------------------------------------------------------------------------

    def deliver(self, now: datetime | None = None) -> list[Received]:
        backend = SmtpBackend("127.0.0.1", self.sink.port, sender=SENDER)
        try:
            with self.world.db.unit_of_work() as session:
                notify.deliver_due(
                    session=session,
                    vault=self.world.vault,
                    backend=backend,
                    now=now or utcnow(),
                    checkpoint=session.commit,
                )
        finally:
            backend.close()
        new = self.sink.received[self.seen :]
        self.seen = len(self.sink.received)
        return new

    def mail_to(self, address: str, now: datetime | None = None) -> list[Received]:
        self.deliver(now)
        return [m for m in self.sink.received if address.lower() in (t.lower() for t in m.rcpt_tos)]

    def code(self, address: str, now: datetime | None = None) -> str:
        """The newest verification code sent to the address."""
        codes = [
            match.group(1)
            for m in self.mail_to(address, now)
            if (match := CODE.search(m.body("plain")))
        ]
        assert codes, f"no code was mailed to {address}"
        return codes[-1]

    def link(self, address: str, kind: str) -> str:
        links = [
            match.group(1)
            for m in self.mail_to(address)
            if (match := LINK.search(m.body("plain"))) and f"/requests/{kind}/" in match.group(1)
        ]
        assert links, f"no {kind} link was mailed to {address}"
        return links[-1]

    # -- requests -----------------------------------------------------------------------

    def submit(self, kind: str, email: str | None = None, **body: Any) -> dict[str, Any]:
        payload: dict[str, Any] = {"type": kind, **body}
        if email is not None:
            payload["email"] = email
        response = self.client.post("/api/v1/requests", json=payload)
        assert response.status_code == 201, response.text
        made: dict[str, Any] = response.json()
        self.tokens[made["id"]] = made["token"]
        return made

    def status(self, request_id: str, token: str | None = None) -> Any:
        return self.client.get(
            f"/api/v1/requests/{request_id}/status",
            headers={"x-requester-token": token or self.tokens[request_id]},
        )

    def verify(
        self,
        request_id: str,
        code: str,
        *,
        second: tuple[str, str] | None = None,
        token: str | None = None,
    ) -> Any:
        body: dict[str, Any] = {"code": code}
        if second is not None:
            body["second_kind"], body["second_value"] = second
        return self.client.post(
            f"/api/v1/requests/{request_id}/verify",
            json=body,
            headers={"x-requester-token": token or self.tokens[request_id]},
        )

    def resend(self, request_id: str) -> Any:
        return self.client.post(
            f"/api/v1/requests/{request_id}/code",
            headers={"x-requester-token": self.tokens[request_id]},
        )

    def stored(self, request_id: str) -> RightsRequest:
        with self.world.db.unit_of_work() as session:
            request = session.get_one(RightsRequest, request_id)
            session.expunge(request)
            return request

    # -- people ---------------------------------------------------------------------------

    def customer(
        self,
        email: str,
        *,
        phone: str | None = None,
        account_id: str | None = None,
        country: str = "DE",
    ) -> str:
        subject_id = self.world.subject(email, country=country, phone=phone)
        if account_id is not None:
            with self.world.db.unit_of_work() as session:
                subjects.add_identity(
                    session=session,
                    vault=self.world.vault,
                    subject_id=subject_id,
                    kind="account_id",
                    value=account_id,
                    actor="staff:test",
                )
        return subject_id


@contextmanager
def open_desk(client: TestClient, world: World) -> Iterator[Desk]:
    with smtp_sink() as sink:
        yield Desk(client, world, sink)
