"""Helpers for the executor tests: requests, personal values, running a request, packages."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from privacyops.db import Database, utcnow
from privacyops.policy.schema import Declaration
from privacyops.rights import executors
from privacyops.rights.executors import ExecutionReport
from privacyops.rights.models import RightsRequest
from privacyops.settings import Settings
from privacyops.subjects import records
from privacyops.subjects import service as subjects
from privacyops.subjects.models import PersonalRecord
from privacyops.vault.service import Vault

ACTOR = "staff:dpo"
ALICE = "Alice.Zhang@Example.com"
BOB = "bob.li@example.com"


def store(
    session: Session,
    vault: Vault,
    subject_id: str,
    category: str,
    values: dict[str, str],
    *,
    purpose: str = "service_support",
    collected_at: datetime | None = None,
    expires_at: datetime | None = None,
) -> None:
    collected = collected_at or utcnow()
    records.store_values(
        session=session,
        vault=vault,
        subject_id=subject_id,
        category=category,
        values=values,
        purpose=purpose,
        region="cn",
        expires_at=expires_at if expires_at is not None else collected + timedelta(days=365),
        notice_version="1.0.0",
        source="form",
        actor=ACTOR,
        collected_at=collected,
    )


@dataclass
class World:
    """A database, the vault and the declaration, with small builders on top."""

    db: Database
    vault: Vault
    settings: Settings
    declaration: Declaration

    def subject(self, email: str, *, country: str = "DE", phone: str | None = None) -> str:
        with self.db.unit_of_work() as session:
            subject = subjects.create_subject(
                session=session, kind="customer", country=country, actor=ACTOR
            )
            subjects.add_identity(
                session=session,
                vault=self.vault,
                subject_id=subject.id,
                kind="email",
                value=email,
                actor=ACTOR,
            )
            values = {"name": f"Name of {email}", "email": email}
            if phone:
                subjects.add_identity(
                    session=session,
                    vault=self.vault,
                    subject_id=subject.id,
                    kind="phone",
                    value=phone,
                    actor=ACTOR,
                )
                values["phone"] = phone
            store(session, self.vault, subject.id, "contact", values)
            return subject.id

    def request(
        self,
        subject_id: str,
        kind: str,
        *,
        status: str = "verified",
        level: str = "reasonable",
        facts: dict[str, Any] | None = None,
        regime: str = "EU",
        channel: str = "privacy_center",
    ) -> str:
        now = utcnow()
        with self.db.unit_of_work() as session:
            request = RightsRequest(
                type=kind,
                status=status,
                channel=channel,
                subject_id=subject_id,
                contact_kind="email",
                language="en",
                country="DE" if regime == "EU" else "CN",
                regime=regime,
                received_at=now,
                due_at=now + timedelta(days=30),
                verification_level=level,
                verified_at=now if status == "verified" else None,
                facts=facts or {},
                status_token_hash="0" * 64,
                created_by=ACTOR,
            )
            session.add(request)
            session.flush()
            return request.id

    def execute(self, request_id: str) -> ExecutionReport:
        with self.db.unit_of_work() as session:
            return executors.execute(
                session=session,
                vault=self.vault,
                settings=self.settings,
                declaration=self.declaration,
                request_id=request_id,
                actor=ACTOR,
                checkpoint=session.commit,
            )

    def download(self, token: str, *, now: datetime | None = None) -> bytes:
        with self.db.unit_of_work() as session:
            found = executors.open_package(
                session=session, vault=self.vault, settings=self.settings, token=token, now=now
            )
        return b"".join(found.chunks)

    def records_of(self, subject_id: str) -> int:
        with self.db.unit_of_work() as session:
            return (
                session.scalar(
                    select(func.count())
                    .select_from(PersonalRecord)
                    .where(PersonalRecord.subject_id == subject_id)
                )
                or 0
            )

    def values_of(self, subject_id: str, category: str | None = None) -> dict[str, str]:
        with self.db.unit_of_work() as session:
            return {
                v.field: v.value
                for v in records.iter_values(
                    session=session,
                    vault=self.vault,
                    subject_id=subject_id,
                    reveal=True,
                    category=category,
                )
            }


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def json_of(files: dict[str, bytes], name: str) -> Any:
    return json.loads(files[name])
